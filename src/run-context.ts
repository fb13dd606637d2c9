// What the workflow run tells the action about itself, from the environment a runner sets.
import { context } from "@actions/github";

export interface RunContext {
  /** `owner/name` */
  repository: string;
  owner: string;
  repo: string;
  runId: number;
  runAttempt: number;
  sha: string;
  /**
   * The commit GitHub's run is for (its `head_sha`), where the App writes its check run: the pull
   * request's head for `pull_request` events (GITHUB_SHA is then a merge commit), GITHUB_SHA otherwise.
   */
  headSha: string;
  ref: string;
  actor: string;
  workflow: string;
  eventName: string;
  serverUrl: string;
  apiUrl: string;
}

export class RunContextError extends Error {
  override name = "RunContextError";
}

export function readRunContext(): RunContext {
  let owner: string | undefined;
  let repo: string | undefined;
  try {
    ({ owner, repo } = context.repo);
  } catch {
    // context.repo throws when neither GITHUB_REPOSITORY nor an event payload names the repository.
  }
  if (!owner || !repo) {
    throw new RunContextError(
      "GITHUB_REPOSITORY is not set: this action must run as a step of a GitHub Actions workflow.",
    );
  }
  if (!Number.isSafeInteger(context.runId) || context.runId <= 0) {
    throw new RunContextError(
      "GITHUB_RUN_ID is not set: this action must run as a step of a GitHub Actions workflow.",
    );
  }
  // Older GitHub Enterprise Server runners do not set GITHUB_RUN_ATTEMPT; a run without it is its first attempt.
  const runAttempt =
    Number.isSafeInteger(context.runAttempt) && context.runAttempt > 0 ? context.runAttempt : 1;
  const sha = context.sha ?? "";
  const pullHead = (context.payload as { pull_request?: { head?: { sha?: unknown } } }).pull_request?.head
    ?.sha;
  const headSha = context.eventName === "pull_request" && typeof pullHead === "string" ? pullHead : sha;
  return {
    repository: `${owner}/${repo}`,
    owner,
    repo,
    runId: context.runId,
    runAttempt,
    sha,
    headSha,
    ref: context.ref ?? "",
    actor: context.actor ?? "",
    workflow: context.workflow ?? "",
    eventName: context.eventName ?? "",
    serverUrl: context.serverUrl,
    apiUrl: context.apiUrl,
  };
}
