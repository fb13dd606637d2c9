// What the Action itself writes on the request message: it stopped waiting (expired) or its run was
// cancelled. The buttons give way to the outcome, as when the App shows a decision, and the thread gets
// a line for the record. Only the Action knows these outcomes; the App shows the decisions.
import type { KnownBlock, WebClient } from "@slack/web-api";
import { replaceActionsBlock } from "../common/message.js";
import { BLOCK_IDS } from "../common/reference.js";
import { formatDuration } from "./duration.js";

export type Closure = { kind: "expired"; timeoutMs: number } | { kind: "cancelled" };

export interface MessageTarget {
  channelId: string;
  ts: string;
  /** The message's blocks as posted. */
  blocks: KnownBlock[];
}

export function closureLine(closure: Closure, at: Date): string {
  const when = `<!date^${Math.floor(at.getTime() / 1000)}^{date_short_pretty} at {time}|${at.toISOString()}>`;
  if (closure.kind === "expired") {
    return `:alarm_clock: *Expired* ${when}: nobody decided within ${formatDuration(closure.timeoutMs)}, so the workflow step stopped waiting. Re-run the workflow to ask again.`;
  }
  return `:no_entry_sign: *Cancelled* ${when}: the workflow run was cancelled before a decision. Nothing was sent to GitHub.`;
}

export async function closeRequestMessage(
  client: WebClient,
  target: MessageTarget,
  closure: Closure,
  at: Date = new Date(),
): Promise<void> {
  const line = closureLine(closure, at);
  const status: KnownBlock = {
    type: "section",
    block_id: BLOCK_IDS.status,
    text: { type: "mrkdwn", text: line },
  };
  await client.chat.update({
    channel: target.channelId,
    ts: target.ts,
    text: closure.kind === "expired" ? "Approval request expired" : "Approval request cancelled",
    blocks: replaceActionsBlock(target.blocks, [status]),
  });
  await client.chat.postMessage({
    channel: target.channelId,
    thread_ts: target.ts,
    text: line,
    unfurl_links: false,
    unfurl_media: false,
  });
}
