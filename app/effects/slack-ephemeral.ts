// `slack.ephemeral`: one private reply to one person in the request's channel (e.g. "your vote came
// after the decision"). Only worth sending soon: after a few minutes it is given up.
import type { SlackApi } from "../slack/api.js";
import { slackOutcome } from "./slack-outcome.js";
import type { EffectHandler } from "./types.js";

export interface EphemeralPayload {
  channel: string;
  user: string;
  text: string;
}

const STALE_AFTER_MS = 10 * 60_000;

export function slackEphemeralHandler(slack: SlackApi): EffectHandler {
  return {
    kind: "slack.ephemeral",
    async run(effect, _request, context) {
      const { channel, user, text } = effect.payload as EphemeralPayload;
      if (context.now().getTime() - effect.createdAt.getTime() > STALE_AFTER_MS) {
        return { state: "obsolete", note: "too late to tell the person privately" };
      }
      return slackOutcome(effect, context.now(), () => slack.postEphemeral(channel, user, text));
    },
  };
}
