// How a Slack call ends as an effect outcome: done; later at Slack's Retry-After (that method only);
// later with backoff when Slack failed; obsolete when the message or channel is gone for good.

import { notes } from "../sentences.js";
import { classifySlackError } from "../slack/api.js";
import type { EffectOutcome, EffectRow } from "../store/types.js";
import { retryLater } from "./retry.js";

const MIN_RETRY_AFTER_MS = 1_000;

export async function slackOutcome(
  effect: EffectRow,
  now: Date,
  call: () => Promise<void>,
): Promise<EffectOutcome> {
  try {
    await call();
    return { state: "done" };
  } catch (error) {
    const failure = classifySlackError(error);
    if (failure.kind === "permanent") return { state: "obsolete", note: notes.messageGone(failure.code) };
    if (failure.kind === "rate_limited") {
      // Retry-After as Slack gives it, but never 0: a limit answered with "now" again and again
      // would otherwise be retried in a tight loop.
      return retryLater(
        effect,
        now,
        `Slack: ${failure.code}`,
        new Date(now.getTime() + Math.max(failure.retryAfterMs, MIN_RETRY_AFTER_MS)),
      );
    }
    return retryLater(effect, now, `Slack: ${failure.code}`);
  }
}
