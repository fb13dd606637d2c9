// `github.review` (gate mode): reviews the App's deployment protection rule with the decision. One
// call per attempt, never retried in line: a rate limit schedules the next attempt at the time GitHub
// names, a 5xx or a lost answer is retried by the sweep, and any other 4xx is final. A 422 after an
// earlier attempt may mean GitHub took the decision and the answer was lost, so before anything is
// said the App reads what GitHub shows: the environments the run still waits on, and the run.
import { classifyGitHubError, githubMessage } from "../github/errors.js";
import type { Installations, Octokit } from "../github/installations.js";
import { reviewProtectionRule } from "../github/review.js";
import type { RunInfo, Runs } from "../github/runs.js";
import { notes, reviewComment } from "../sentences.js";
import type { EffectOutcome, RequestRow } from "../store/types.js";
import { githubFailure } from "./retry.js";
import type { EffectHandler } from "./types.js";

/** What the deciding click knew of the gate; without it the handler reads the gate. */
export interface ReviewPayload {
  gate: { environment: string; installationId: number } | null;
}

/** A run read by the deciding click this recently is not read again. */
const FRESH_RUN_MS = 5_000;

export function reviewHandler(deps: { installations: Installations; runs: Runs }): EffectHandler {
  const { installations, runs } = deps;

  return {
    kind: "github.review",
    async run(effect, request, context) {
      const now = context.now();
      if (!request.decision) return { state: "obsolete", note: "the request has no decision" };
      // Taken already: a wake during the claim that sent it (the gate reported again) runs it once
      // more, and a second review would be refused, or judged against a run that has since finished.
      if (effect.result !== null && effect.result !== undefined) return { state: "done" };
      const known = (effect.payload as ReviewPayload | null)?.gate ?? null;
      const gate =
        known ??
        (await context.store.getGate(request.repository, request.runId, request.environment)) ??
        null;
      if (!gate) return { state: "waiting", note: "waiting for GitHub to report the gate" };

      let octokit: Octokit;
      let run: RunInfo | undefined;
      try {
        octokit = await installations.client(gate.installationId);
        // The gate webhook does not say which attempt waits: a decision for an earlier attempt must
        // not pass a re-run's gate, so the run is read, unless the deciding click found the gate
        // already there and read the run a moment ago.
        run =
          (known && runs.recent(request.repository, request.runId, FRESH_RUN_MS)) ||
          (await runs.get(octokit, request.repository, request.runId));
      } catch (error) {
        return githubFailure(effect, now, error);
      }
      // A run that finished before the first attempt never took the decision; after an attempt whose
      // answer was lost it may have, so what GitHub shows decides (below), as after a 422.
      const neverSent = effect.attempts === 0;
      const stale = staleRun(run, request, neverSent);
      if (stale) return stale;
      if (run?.status === "completed") return conclude(request, gate.environment, run, [], null);

      try {
        await reviewProtectionRule(octokit, {
          repository: request.repository,
          runId: request.runId,
          environment: gate.environment,
          state: request.decision === "approved" ? "approved" : "rejected",
          comment: reviewComment(request.decision, request.decidedBy, request.reason, request.requestId),
        });
        return { state: "done", result: { reviewed: request.decision } };
      } catch (error) {
        const failure = classifyGitHubError(error, now);
        if (failure.kind === "refused" && failure.status === 422) {
          return whatGitHubShows(octokit, request, gate.environment, githubMessage(error));
        }
        return githubFailure(effect, now, error);
      }
    },
  };

  /** After a 422: GitHub's own record decides, and when it cannot tell, Slack says exactly that. */
  async function whatGitHubShows(
    octokit: Octokit,
    request: RequestRow,
    environment: string,
    message: string,
  ): Promise<EffectOutcome> {
    let pending: string[];
    let run: RunInfo | undefined;
    try {
      pending = await runs.pendingEnvironments(octokit, request.repository, request.runId);
      run = await runs.get(octokit, request.repository, request.runId);
    } catch {
      return { state: "failed", note: notes.couldNotVerify(environment) };
    }
    const stale = staleRun(run, request, false);
    if (stale) return stale;
    return conclude(request, environment, run, pending, message);
  }

  /** What GitHub shows about a decision it may or may not have taken. */
  function conclude(
    request: RequestRow,
    environment: string,
    run: RunInfo | undefined,
    pending: string[],
    refusal: string | null,
  ): EffectOutcome {
    const folded = environment.toLowerCase();
    if (refusal !== null && pending.some((name) => name.toLowerCase() === folded)) {
      // Still waiting there, yet refused: GitHub will refuse it again.
      return { state: "obsolete", note: notes.refused(422, refusal) };
    }
    const finished = run?.status === "completed";
    const succeeded = run?.conclusion === "success";
    if (request.decision === "approved") {
      // Only an approval lets a job past its gate; a run that went on, or succeeded, went past it.
      if (!finished || succeeded)
        return { state: "done", result: { confirmed: notes.wentPast(environment) } };
      return { state: "failed", note: notes.cannotTell(environment, run?.conclusion ?? null) };
    }
    if (finished && !succeeded) {
      return { state: "done", result: { confirmed: notes.stoppedAnyway(run?.conclusion ?? null) } };
    }
    return { state: "obsolete", note: notes.wentAhead(environment) };
  }
}

/** A run that is gone, re-run or (before the call) finished can no longer take this decision. */
function staleRun(
  run: RunInfo | undefined,
  request: RequestRow,
  checkFinished = true,
): EffectOutcome | undefined {
  if (!run) return { state: "obsolete", note: notes.runGone() };
  if (run.attempt !== request.runAttempt) return { state: "obsolete", note: notes.reRun(run.attempt) };
  if (checkFinished && run.status === "completed") {
    return { state: "obsolete", note: notes.runFinished(run.conclusion) };
  }
  return undefined;
}
