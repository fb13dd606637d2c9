// `slack.update`: re-renders the request message from the stored state. Coalesced per request: a
// refresh while it waits replaces what it will show, so Slack gets the newest state once.

import type { SlackApi } from "../slack/api.js";
import { renderStatus } from "../slack/status-blocks.js";
import { type MessageUpdatePayload, requestStatus } from "./message-state.js";
import { slackOutcome } from "./slack-outcome.js";
import type { EffectHandler } from "./types.js";

export function slackUpdateHandler(slack: SlackApi): EffectHandler {
  return {
    kind: "slack.update",
    async run(effect, request, context) {
      const effects = request.decision ? await context.store.listEffects(request.requestId) : [];
      const status = requestStatus(request, effects, effect.payload as MessageUpdatePayload);
      if (!status) return { state: "done" };
      const { text, blocks } = renderStatus(request.messageBlocks, status);
      return slackOutcome(effect, context.now(), () =>
        slack.updateMessage(request.channelId, request.messageTs, text, blocks),
      );
    },
  };
}
