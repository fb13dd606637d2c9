// The request as the App keeps it: saved from the first authorized click (the existing row wins a race).
import type { RequestReference } from "../../common/reference.js";
import type { ApproveClick, RejectClick } from "../slack/interaction.js";
import { withoutStatus } from "../slack/status-blocks.js";
import type { RequestRow, Store } from "../store/types.js";
import { type Authorization, slackTsToDate } from "./authorize.js";

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
    // First contact: the facts the App read from GitHub, from which it rebuilds the message.
    ...(auth.firstContact
      ? {
          facts: auth.firstContact.facts,
          expiresAt: auth.firstContact.expiresAt,
          remindEveryMs: auth.firstContact.remindEveryMs,
        }
      : {}),
  });
}
