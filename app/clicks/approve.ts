// An Approve click: authorize, save the request on the first authorized click, then vote → decide.
import type { RequestReference } from "../../common/reference.js";
import * as say from "../sentences.js";
import type { Actor, ApproveClick, RejectClick } from "../slack/interaction.js";
import { withoutStatus } from "../slack/status-blocks.js";
import type { RequestRow, Store } from "../store/types.js";
import type { Authorization, Authorizer } from "./authorize.js";
import { slackTsToDate } from "./authorize.js";
import type { Decisions } from "./decide.js";
import type { Refusals } from "./refuse.js";

export function createApprove(deps: {
  store: Store;
  authorizer: Authorizer;
  decisions: Decisions;
  refusals: Refusals;
  tell: (actor: Actor, text: string) => Promise<void>;
}) {
  const { authorizer, decisions, refusals, tell } = deps;
  return async (click: ApproveClick, recovered: boolean): Promise<void> => {
    const auth = await authorizer.authorize(click.reference, click, "approve");
    if (!auth.ok) return refusals.refuse(click, auth, click);
    const row = await requestFor(deps.store, click, auth);
    if (row.decision) return tell(click, say.alreadyDecided(row.decision, row.decidedBy));
    await decisions.vote({ row, actor: click, vote: "approve", reason: null, force: auth, recovered });
  };
}

/** The stored request, saved from the click on the first authorized one (the existing row wins a race). */
export async function requestFor(
  store: Store,
  click: (ApproveClick | RejectClick) & { reference: RequestReference },
  auth: Authorization,
): Promise<RequestRow> {
  if (auth.existing) return auth.existing;
  return store.saveRequest({
    requestId: click.reference.requestId,
    repository: click.reference.repository,
    runId: click.reference.runId,
    runAttempt: click.reference.runAttempt,
    environment: click.reference.environment,
    mode: click.reference.mode,
    channelId: click.channelId,
    messageTs: click.messageTs,
    // Kept as the Action posted it; the App's status blocks are rebuilt on every update.
    messageBlocks: withoutStatus(click.messageBlocks),
    createdAt: slackTsToDate(click.messageTs),
  });
}
