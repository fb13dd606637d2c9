// The request message as the App shows it: the Action's blocks with a status block above the
// buttons while votes come in, and in place of the buttons once the request is closed. The words
// come from app/sentences.ts; the block editing is common/message.ts's (the Action's wait mode marks
// its own message expired or cancelled with it).
import type { KnownBlock } from "@slack/web-api";
import { replaceActionsBlock, SLACK_LIMITS, statusBlockId } from "../../common/message.js";
import { truncate } from "../../common/mrkdwn.js";
import { BLOCK_IDS } from "../../common/reference.js";
import { plainSummary, type RequestStatus, statusLine } from "../sentences.js";

/** The message's blocks with the status shown; buttons stay only while votes are still coming in. */
export function renderStatus(
  original: unknown[],
  status: RequestStatus,
): { text: string; blocks: KnownBlock[] } {
  const blocks = original as KnownBlock[];
  const line = statusLine(status);
  const shown: KnownBlock[] = line
    ? [
        {
          type: "section",
          block_id: BLOCK_IDS.status,
          text: { type: "mrkdwn", text: truncate(line, SLACK_LIMITS.sectionText) },
        },
      ]
    : [];
  const buttons = blocks.find((b) => b.block_id === BLOCK_IDS.actions);
  if ((status.kind === "progress" || status.kind === "pending") && buttons) shown.push(buttons);
  return { text: plainSummary(status), blocks: replaceActionsBlock(blocks, shown) };
}

/** The Action's blocks without any status the App added (what a request keeps to rebuild from). */
export function withoutStatus(blocks: unknown[]): unknown[] {
  return blocks.filter((b) => !isStatusBlockId((b as { block_id?: unknown }).block_id));
}

const NUMBERED_STATUS_ID = new RegExp(`^${statusBlockId(0)}_\\d+$`);

function isStatusBlockId(id: unknown): boolean {
  return typeof id === "string" && (id === statusBlockId(0) || NUMBERED_STATUS_ID.test(id));
}
