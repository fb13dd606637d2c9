// `slack.post`: posts the App's own request message (app/requests/post.ts) and records where Slack put
// it, so that clicks find the request and later updates edit that message. Once per request: a request
// that has its message is done. Slack gives no idempotency key: an answer lost after Slack posted can
// post the message twice (the second one's clicks are superseded at their first contact).
import { recordHere } from "../activity/context.js";
import type { PostPayload } from "../requests/post.js";
import type { SlackApi } from "../slack/api.js";
import type { RequestRow } from "../store/types.js";
import { slackOutcome } from "./slack-outcome.js";
import type { EffectHandler } from "./types.js";

export function slackPostHandler(
  slack: SlackApi,
  /** Best effort, once posted (app/requests/post.ts `markAsked`): its failure changes nothing here. */
  afterPost?: (request: RequestRow, posted: { channel: string; ts: string }) => Promise<void>,
): EffectHandler {
  return {
    kind: "slack.post",
    async run(effect, request, context) {
      if (request.messageTs) return { state: "done" };
      const payload = effect.payload as PostPayload;
      return slackOutcome(effect, context.now(), async () => {
        const posted = await slack.postMessage(payload);
        await context.store.setMessage(request.requestId, posted.channel, posted.ts, payload.blocks);
        await afterPost?.(request, posted).catch(() => undefined);
        recordHere({ kind: "posted", channel: posted.channel, ts: posted.ts });
      });
    },
  };
}
