// Checks a request reference against GitHub before anyone's click counts: the App must be installed on
// the repository, the run must exist, and the click must be for the run's current attempt.
import type { Probot, ProbotOctokit } from "probot";
import type { RequestReference } from "../../common/reference.js";

export type Octokit = InstanceType<typeof ProbotOctokit>;

export interface RunInfo {
  id: number;
  attempt: number;
  status: string;
  conclusion: string | null;
  actor: string | undefined;
  triggeringActor: string | undefined;
  htmlUrl: string;
}

export type RunCheck =
  | { ok: true; installationId: number; octokit: Octokit; run: RunInfo }
  | { ok: false; message: string };

export interface RunLookup {
  check(ref: RequestReference): Promise<RunCheck>;
  octokitFor(installationId: number): Promise<Octokit>;
  getRun(octokit: Octokit, repository: string, runId: number): Promise<RunInfo | undefined>;
}

export function createRunLookup(
  app: Probot,
  options: { installationTtlMs?: number; now?: () => number } = {},
): RunLookup {
  const now = options.now ?? Date.now;
  const ttl = options.installationTtlMs ?? 5 * 60_000;
  const installations = new Map<string, { id: Promise<number | undefined>; expires: number }>();
  // One client per installation: building an Octokit per click costs more than the request it makes.
  // Its auth strategy renews the installation token on its own.
  const clients = new Map<number, { octokit: Promise<Octokit>; expires: number }>();

  function octokitFor(installationId: number): Promise<Octokit> {
    const cached = clients.get(installationId);
    if (cached && cached.expires > now()) return cached.octokit;
    const octokit = app.auth(installationId) as Promise<Octokit>;
    clients.set(installationId, { octokit, expires: now() + ttl });
    octokit.catch(() => clients.delete(installationId));
    return octokit;
  }
  // Concurrent clicks on one message share one run look-up.
  const inflight = new Map<string, Promise<RunInfo | undefined>>();

  // The promise is cached, so concurrent clicks on a new repository share one look-up; a failed
  // look-up is forgotten at once, and "not installed" is not cached (installing takes effect at once).
  function installationFor(repository: string): Promise<number | undefined> {
    const key = repository.toLowerCase();
    const cached = installations.get(key);
    if (cached && cached.expires > now()) return cached.id;
    const [owner, repo] = split(repository);
    const id = app
      .auth()
      .then((appOctokit) => appOctokit.rest.apps.getRepoInstallation({ owner, repo }))
      .then(({ data }) => data.id)
      .catch((error: unknown) => {
        installations.delete(key);
        if (status(error) === 404) return undefined;
        throw error;
      });
    installations.set(key, { id, expires: now() + ttl });
    return id;
  }

  async function getRun(octokit: Octokit, repository: string, runId: number): Promise<RunInfo | undefined> {
    const key = `${repository.toLowerCase()}#${runId}`;
    const pending = inflight.get(key);
    if (pending) return pending;
    const [owner, repo] = split(repository);
    const request = octokit.rest.actions
      .getWorkflowRun({ owner, repo, run_id: runId })
      .then(({ data }) => ({
        id: data.id,
        attempt: data.run_attempt ?? 1,
        status: data.status ?? "unknown",
        conclusion: data.conclusion ?? null,
        actor: data.actor?.login,
        triggeringActor: data.triggering_actor?.login,
        htmlUrl: data.html_url,
      }))
      .catch((error: unknown) => {
        if (status(error) === 404) return undefined;
        throw error;
      })
      .finally(() => inflight.delete(key));
    inflight.set(key, request);
    return request;
  }

  return {
    octokitFor,
    getRun,
    async check(ref) {
      const installationId = await installationFor(ref.repository);
      if (installationId === undefined) {
        return {
          ok: false,
          message: `slack-deploy-gate is not installed on ${ref.repository}, so it cannot act on its deployments.`,
        };
      }
      const octokit = await octokitFor(installationId);
      const run = await getRun(octokit, ref.repository, ref.runId);
      if (!run)
        return { ok: false, message: `Workflow run ${ref.runId} does not exist in ${ref.repository}.` };
      if (run.attempt !== ref.runAttempt) {
        return {
          ok: false,
          message: `This request is for attempt ${ref.runAttempt} of the run, which is now on attempt ${run.attempt}. An approval belongs to one attempt: use the request posted for the re-run.`,
        };
      }
      if (run.status === "completed") {
        return {
          ok: false,
          message: `The run has already finished (${run.conclusion ?? "completed"}); there is nothing left to approve.`,
        };
      }
      return { ok: true, installationId, octokit, run };
    },
  };
}

export function split(repository: string): [string, string] {
  const [owner, repo] = repository.split("/");
  return [owner ?? "", repo ?? ""];
}

export function status(error: unknown): number | undefined {
  const value = (error as { status?: unknown }).status;
  return typeof value === "number" ? value : undefined;
}
