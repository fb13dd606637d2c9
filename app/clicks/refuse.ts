// Telling the clicker why nothing changed, privately. An expired request also loses its buttons.

import { noteClick } from "../activity/context.js";
import { messageUpdate } from "../effects/message-state.js";
import type { EffectRunner } from "../effects/runner.js";
import { linkBlocks } from "../identity/link-button.js";
import { closeRequest } from "../requests/life.js";
import * as say from "../sentences.js";
import type { Actor, ApproveClick, RejectClick } from "../slack/interaction.js";
import type { Store } from "../store/types.js";
import type { Authorization } from "./authorize.js";
import { requestFor } from "./request.js";

export interface Refusals {
  refuse(
    actor: Actor,
    auth: Extract<Authorization, { ok: false }>,
    click?: ApproveClick | RejectClick,
  ): Promise<void>;
}

export function createRefusals(deps: {
  store: Store;
  runner: EffectRunner;
  tell: (actor: Actor, text: string, blocks?: unknown[]) => Promise<void>;
  /** A link button URL for the person (app/identity/), when linking would answer the refusal. */
  linkUrl?: (slackUserId: string) => string | undefined;
  now?: () => Date;
}): Refusals {
  const { store, runner, tell } = deps;
  const now = deps.now ?? (() => new Date());
  return {
    async refuse(actor, auth, click) {
      const text = say.refusal(auth.refusal);
      noteClick({ outcome: "refused", refusal: auth.refusal.kind, text: say.refusalForForm(auth.refusal) });
      const url = say.linkWouldHelp(auth.refusal) ? deps.linkUrl?.(actor.user) : undefined;
      await tell(actor, text, url ? linkBlocks(text, url) : undefined);
      const refused = auth.refusal;
      if ((refused.kind === "message_mismatch" || refused.kind === "superseded") && click && !auth.existing) {
        // First contact refused: keep the request with GitHub's facts, closed, so that its message shows
        // what its buttons named and why nobody can approve it (app/requests/first-contact.ts).
        const row = await requestFor(store, click, auth);
        await closeRequest(
          { store, runner, now },
          row,
          refused.kind === "message_mismatch"
            ? { kind: "mismatch", problems: refused.problems }
            : { kind: "superseded", channelId: refused.channelId, messageTs: refused.messageTs },
        );
        return;
      }
      if (refused.kind !== "expired") return;
      // Expiry is checked last: the button was verified against GitHub, so the request may be saved.
      const row =
        auth.existing ??
        (click ? await requestFor(store, click, { ...auth, existing: undefined }) : undefined);
      if (!row || row.decision) return;
      await runner.record([messageUpdate(row.requestId, { show: "expired", at: now().toISOString() })], row);
    },
  };
}
