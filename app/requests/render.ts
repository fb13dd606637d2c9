// The request message as the App shows it after first contact: rebuilt whole by the shared builder
// from what the App read from GitHub and the policy (the request's facts), never from the posted words.
// Only the workflow's own text (labelled as such) and its pings are kept from the message as posted;
// the header says what happened once something did, the footer how the run ended, and the status
// (progress, the decision, a closure) sits where the buttons were.
import type { KnownBlock } from "@slack/web-api";
import { DISPATCH_BLOCK_ID } from "../../common/dispatch.js";
import {
  buildRequestMessage,
  replaceActionsBlock,
  SLACK_LIMITS,
  workflowParts,
} from "../../common/message.js";
import { truncate } from "../../common/mrkdwn.js";
import { BLOCK_IDS } from "../../common/reference.js";
import { headerTitle, outcomeFooter, plainSummary, type RequestStatus, statusLine } from "../sentences.js";
import type { RequestRow } from "../store/types.js";

/** The whole message for a request that has facts; undefined for one that has none (kept as posted). */
export function renderRequest(
  request: RequestRow,
  status: RequestStatus | undefined,
): { text: string; blocks: KnownBlock[] } | undefined {
  const { facts } = request;
  if (!facts) return undefined;
  const posted = request.messageBlocks as KnownBlock[];
  const workflow = workflowParts(posted);
  const title = headerTitle(request, status, request.outcome);
  const approvedAt = request.decision === "approved" ? request.decidedAt : null;
  const open = !status || status.kind === "progress" || status.kind === "pending";
  // Who may approve and by when is for a request still open; once it is not, the status says what happened.
  const { approval, ...rest } = facts;
  const built = buildRequestMessage(
    {
      ...rest,
      ...(open && approval ? { approval } : {}),
      reference: {
        repository: request.repository,
        runId: request.runId,
        runAttempt: request.runAttempt,
        environment: request.environment,
        mode: request.mode,
        requestId: request.requestId,
      },
      mentions: workflow.mentions,
      origin: request.origin,
    },
    {
      ...(title ? { title } : {}),
      ...(request.outcome ? { footerNote: outcomeFooter(request.outcome, approvedAt) } : {}),
      ...(workflow.text !== undefined ? { workflowText: workflow.text } : {}),
    },
  );
  let blocks = built.blocks;
  // Dispatch mode: what an approval starts is read from the message as posted (common/dispatch.ts).
  const dispatch = posted.find((b) => b.block_id === DISPATCH_BLOCK_ID);
  if (dispatch) {
    const at = blocks.findIndex((b) => b.block_id === BLOCK_IDS.actions);
    blocks.splice(at === -1 ? blocks.length : at, 0, dispatch);
  }
  const line = status ? statusLine(status) : "";
  const statusBlocks: KnownBlock[] = line
    ? [{ type: "section", text: { type: "mrkdwn", text: truncate(line, SLACK_LIMITS.sectionText) } }]
    : [];
  const buttons = blocks.find((b) => b.block_id === BLOCK_IDS.actions);
  if (open && buttons) statusBlocks.push(buttons);
  blocks = replaceActionsBlock(blocks, statusBlocks);
  return { text: status ? plainSummary(status) : built.text, blocks };
}
