// Workflow runs as data: the run (attempt, status, who triggered it) and the environments it waits
// on. Nothing here decides or words anything; callers do.
import { LRUCache } from "lru-cache";
import { httpStatus, splitRepository } from "./errors.js";
import type { Octokit } from "./installations.js";

export interface RunInfo {
  id: number;
  attempt: number;
  /** `queued`, `in_progress`, `waiting`, `completed`, … */
  status: string;
  conclusion: string | null;
  actor: string | undefined;
  triggeringActor: string | undefined;
  htmlUrl: string;
  headSha: string;
  /** The workflow's name, the branch (or tag) and the event GitHub's run is for. */
  name: string;
  headBranch: string | null;
  event: string;
  /** When this attempt started. */
  startedAt: Date | null;
  /** When this copy was read from GitHub. */
  readAt: Date;
}

export interface Runs {
  /** The run as GitHub has it now; undefined when it does not exist. Concurrent callers share a read. */
  get(octokit: Octokit, repository: string, runId: number): Promise<RunInfo | undefined>;
  /**
   * A copy read within `maxAgeMs`, if this process has one: the click that just checked the run
   * hands it to the effect that follows, so the deciding click reads the run once. Ages are measured
   * on the machine's clock, like `readAt`.
   */
  recent(repository: string, runId: number, maxAgeMs: number): RunInfo | undefined;
  /** Names of the environments the run waits on right now (GitHub's pending deployments). */
  pendingEnvironments(octokit: Octokit, repository: string, runId: number): Promise<string[]>;
}

export function createRuns(): Runs {
  const inflight = new Map<string, Promise<RunInfo | undefined>>();
  // Only the last read per run, briefly; never used for a decision older than it.
  const lastRead = new LRUCache<string, RunInfo>({ max: 5_000, ttl: 60_000 });
  const key = (repository: string, runId: number) => `${repository.toLowerCase()}#${runId}`;

  return {
    get(octokit, repository, runId) {
      const k = key(repository, runId);
      const pending = inflight.get(k);
      if (pending) return pending;
      const [owner, repo] = splitRepository(repository);
      const request = octokit.rest.actions
        // Someone is waiting for the answer: one quick retry, then the caller says GitHub failed.
        .getWorkflowRun({ owner, repo, run_id: runId, request: { retries: 1 } })
        .then(({ data }): RunInfo => {
          const run: RunInfo = {
            id: data.id,
            attempt: data.run_attempt ?? 1,
            status: data.status ?? "unknown",
            conclusion: data.conclusion ?? null,
            actor: data.actor?.login,
            triggeringActor: data.triggering_actor?.login,
            htmlUrl: data.html_url,
            headSha: data.head_sha,
            name: data.name ?? "",
            headBranch: data.head_branch ?? null,
            event: data.event,
            startedAt: data.run_started_at ? new Date(data.run_started_at) : null,
            readAt: new Date(),
          };
          lastRead.set(k, run);
          return run;
        })
        .catch((error: unknown) => {
          if (httpStatus(error) === 404) return undefined;
          throw error;
        })
        .finally(() => inflight.delete(k));
      inflight.set(k, request);
      return request;
    },
    recent(repository, runId, maxAgeMs) {
      const run = lastRead.get(key(repository, runId));
      return run && Date.now() - run.readAt.getTime() <= maxAgeMs ? run : undefined;
    },
    async pendingEnvironments(octokit, repository, runId) {
      const [owner, repo] = splitRepository(repository);
      const { data } = await octokit.rest.actions.getPendingDeploymentsForRun({
        owner,
        repo,
        run_id: runId,
        request: { retries: 1 },
      });
      return data.map((d) => d.environment.name ?? "").filter((name) => name !== "");
    },
  };
}
