// `slack.update`: re-renders the request message from the stored state. Coalesced per request: a
// refresh while it waits replaces what it will show, so Slack gets the newest state once.

import { renderRequest } from "../requests/render.js";
import type { SlackApi } from "../slack/api.js";
import { renderStatus } from "../slack/status-blocks.js";
import { type MessageUpdatePayload, requestStatus } from "./message-state.js";
import { retryLater } from "./retry.js";
import { slackOutcome } from "./slack-outcome.js";
import type { EffectHandler } from "./types.js";

export function slackUpdateHandler(slack: SlackApi): EffectHandler {
  return {
    kind: "slack.update",
    async run(effect, request, context) {
      // An App-posted request whose message Slack has not taken yet (its slack.post runs first).
      if (!request.messageTs)
        return retryLater(effect, context.now(), "the request message is not posted yet");
      const effects = request.decision ? await context.store.listEffects(request.requestId) : [];
      const status = requestStatus(request, effects, effect.payload as MessageUpdatePayload);
      if (!status && !request.facts) return { state: "done" };
      // A superseded request links the one that holds the gate.
      const url =
        status?.kind === "closure" && status.closure.kind === "superseded"
          ? await slack.permalink(status.closure.channelId, status.closure.messageTs)
          : undefined;
      const shown = status?.kind === "closure" && url ? { ...status, url } : status;
      // With facts the App rebuilds the whole message (app/requests/render.ts); without, it keeps the
      // posted blocks and shows its status where the buttons were.
      const rendered = renderRequest(request, shown) ?? (shown && renderStatus(request.messageBlocks, shown));
      if (!rendered) return { state: "done" };
      return slackOutcome(effect, context.now(), () =>
        slack.updateMessage(request.channelId, request.messageTs, rendered.text, rendered.blocks),
      );
    },
  };
}
