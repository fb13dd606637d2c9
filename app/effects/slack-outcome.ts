// How a Slack call ends as an effect outcome: done; later at Slack's Retry-After (that method only);
// later with backoff when Slack failed; obsolete when the message or channel is gone for good.

import { notes } from "../sentences.js";
import { classifySlackError } from "../slack/api.js";
import type { EffectOutcome, EffectRow } from "../store/types.js";
import { retryLater } from "./retry.js";

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
      return retryLater(
        effect,
        now,
        `Slack: ${failure.code}`,
        new Date(now.getTime() + failure.retryAfterMs),
      );
    }
    return retryLater(effect, now, `Slack: ${failure.code}`);
  }
}
