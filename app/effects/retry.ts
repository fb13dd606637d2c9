// When to try an effect again: the time the other side named (Retry-After, a rate limit's reset), or
// a doubling backoff (short for Slack: a message showing a stale state is seen by everyone in the
// channel); after a day of failures, give up and say so.
import { classifyGitHubError } from "../github/errors.js";
import { notes } from "../sentences.js";
import type { EffectOutcome, EffectRow } from "../store/types.js";

/** A deployment is waiting: the first retry comes soon, then each waits twice as long. */
const FIRST_RETRY_MS = 2_000;
const MAX_RETRY_MS = 15 * 60_000;
/** Slack effects back off to this at most: when Slack is back, the message is right within seconds. */
export const SLACK_MAX_RETRY_MS = 30_000;
/** After this long, an effect that keeps failing is given up and shown as such. */
export const GIVE_UP_AFTER_MS = 24 * 60 * 60_000;

export function retryLater(effect: EffectRow, now: Date, error: string, notBefore?: Date): EffectOutcome {
  if (now.getTime() - effect.createdAt.getTime() > GIVE_UP_AFTER_MS) {
    return { state: "failed", note: notes.gaveUp(effect.attempts + 1, error) };
  }
  const cap = effect.kind.startsWith("slack.") ? SLACK_MAX_RETRY_MS : MAX_RETRY_MS;
  const backoff = new Date(now.getTime() + Math.min(FIRST_RETRY_MS * 2 ** effect.attempts, cap));
  // A named time wins over the backoff, even when it is sooner: it is when the other side is ready.
  return { state: "retry", error, nextAttemptAt: notBefore ?? backoff };
}

/** How a failed GitHub call ends an effect: later when GitHub may take it then, never when it refused. */
export function githubFailure(effect: EffectRow, now: Date, error: unknown): EffectOutcome {
  const failure = classifyGitHubError(error, now);
  switch (failure.kind) {
    case "rate_limited":
      return retryLater(effect, now, notes.rateLimited(), failure.retryAt);
    case "transient":
      return retryLater(
        effect,
        now,
        failure.status ? notes.githubAnswered(failure.status) : notes.githubUnreachable(failure.message),
      );
    case "refused":
      return { state: "obsolete", note: notes.refused(failure.status, failure.message) };
  }
}
