// An Approve click: authorize, save the request on the first authorized click, then vote → decide.
import { noteClick } from "../activity/context.js";
import * as say from "../sentences.js";
import type { Actor, ApproveClick } from "../slack/interaction.js";
import type { Store } from "../store/types.js";
import type { Authorizer } from "./authorize.js";
import type { Decisions } from "./decide.js";
import type { Refusals } from "./refuse.js";
import { requestFor } from "./request.js";

export function createApprove(deps: {
  store: Store;
  authorizer: Authorizer;
  decisions: Decisions;
  refusals: Refusals;
  tell: (actor: Actor, text: string) => Promise<void>;
}) {
  const { authorizer, decisions, refusals, tell } = deps;
  return async (click: ApproveClick, recovered: boolean): Promise<void> => {
    decisions.prepare(click);
    const auth = await authorizer.authorize(click.reference, click, "approve");
    if (!auth.ok) return refusals.refuse(click, auth, click);
    const row = await requestFor(deps.store, click, auth);
    if (row.decision) {
      noteClick({ outcome: "closed" });
      return tell(click, say.alreadyDecided(row.decision, row.decidedBy));
    }
    await decisions.vote({ row, actor: click, vote: "approve", reason: null, force: auth, recovered });
  };
}
