// `slack.reply`: one thread reply under the request message. Its id makes it one-shot.
import type { SlackApi } from "../slack/api.js";
import { slackOutcome } from "./slack-outcome.js";
import type { EffectHandler } from "./types.js";

export interface ReplyPayload {
  text: string;
}

export function slackReplyHandler(slack: SlackApi): EffectHandler {
  return {
    kind: "slack.reply",
    run(effect, request, context) {
      const { text } = effect.payload as ReplyPayload;
      return slackOutcome(effect, context.now(), () =>
        slack.postThreadReply(request.channelId, request.messageTs, text),
      );
    },
  };
}
