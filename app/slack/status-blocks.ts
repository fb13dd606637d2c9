// The request message as the App shows it: the Action's blocks with a status block above the
// buttons while votes come in, and in place of the buttons once the request is closed. The words
// come from app/sentences.ts; this module only places blocks.
import type { KnownBlock } from "@slack/web-api";
import { SLACK_LIMITS } from "../../common/message.js";
import { truncate } from "../../common/mrkdwn.js";
import { BLOCK_IDS } from "../../common/reference.js";
import { plainSummary, type RequestStatus, statusLine } from "../sentences.js";

/** The message's blocks with the status shown; buttons stay only while votes are still coming in. */
export function renderStatus(
  original: unknown[],
  status: RequestStatus,
): { text: string; blocks: KnownBlock[] } {
  const blocks = original as KnownBlock[];
  const block: KnownBlock = {
    type: "section",
    block_id: BLOCK_IDS.status,
    text: { type: "mrkdwn", text: truncate(statusLine(status), SLACK_LIMITS.sectionText) },
  };
  const buttons = blocks.find((b) => b.block_id === BLOCK_IDS.actions);
  const shown = status.kind === "progress" && buttons ? [block, buttons] : [block];
  return { text: plainSummary(status), blocks: replaceActionsBlock(blocks, shown) };
}

/** The Action's blocks without any status the App added (what a request keeps to rebuild from). */
export function withoutStatus(blocks: unknown[]): unknown[] {
  return blocks.filter((b) => !isStatusBlockId((b as { block_id?: unknown }).block_id));
}

/** Block ids the App's status blocks get: `sdg_status`, then `sdg_status_2`, `sdg_status_3`, … */
export function statusBlockId(index: number): string {
  return index === 0 ? BLOCK_IDS.status : `${BLOCK_IDS.status}_${index + 1}`;
}

const NUMBERED_STATUS_ID = new RegExp(`^${BLOCK_IDS.status}_\\d+$`);

function isStatusBlockId(id: unknown): boolean {
  return typeof id === "string" && (id === BLOCK_IDS.status || NUMBERED_STATUS_ID.test(id));
}

/**
 * Replaces the buttons (and any status shown earlier) with `statusBlocks`, in the place where the
 * buttons were (or before the footer, or at the end). Status blocks without a `block_id` are given
 * `statusBlockId(n)` so that a later call finds and replaces them again; a status block may itself
 * be an actions block with `block_id: BLOCK_IDS.actions` to keep the buttons under partial progress.
 * Status blocks that would take the message past Slack's 50 blocks are dropped from the end.
 */
export function replaceActionsBlock(
  blocks: readonly KnownBlock[],
  statusBlocks: readonly KnownBlock[],
): KnownBlock[] {
  const isReplaced = (b: KnownBlock) => b.block_id === BLOCK_IDS.actions || isStatusBlockId(b.block_id);
  const firstReplaced = blocks.findIndex(isReplaced);
  const kept = blocks.filter((b) => !isReplaced(b));

  let insertAt: number;
  if (firstReplaced !== -1) {
    insertAt = blocks.slice(0, firstReplaced).filter((b) => !isReplaced(b)).length;
  } else {
    const footer = kept.findIndex((b) => b.block_id === BLOCK_IDS.footer);
    insertAt = footer === -1 ? kept.length : footer;
  }

  const room = Math.max(0, SLACK_LIMITS.blocksPerMessage - kept.length);
  let n = 0;
  const inserted = statusBlocks.slice(0, room).map((b) => {
    if (b.block_id !== undefined) return b;
    const withId = { ...b, block_id: statusBlockId(n) } as KnownBlock;
    n += 1;
    return withId;
  });
  return [...kept.slice(0, insertAt), ...inserted, ...kept.slice(insertAt)];
}
