// `slack.reply`: one thread reply under the request message. Its id makes it one-shot.
import type { SlackApi } from "../slack/api.js";
import { retryLater } from "./retry.js";
import { slackOutcome } from "./slack-outcome.js";
import type { EffectHandler } from "./types.js";

export interface ReplyPayload {
  text: string;
}

export function slackReplyHandler(slack: SlackApi): EffectHandler {
  return {
    kind: "slack.reply",
    async run(effect, request, context) {
      if (!request.messageTs)
        return retryLater(effect, context.now(), "the request message is not posted yet");
      const { text } = effect.payload as ReplyPayload;
      return slackOutcome(effect, context.now(), () =>
        slack.postThreadReply(request.channelId, request.messageTs, text),
      );
    },
  };
}
