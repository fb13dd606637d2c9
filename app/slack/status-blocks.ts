// How a request message looks after people act on it: progress while votes come in, then the outcome
// in place of the buttons. Slack must never say "approved" before GitHub accepted it, so an approval
// that is not delivered yet says so.
import type { KnownBlock } from "@slack/web-api";
import { replaceActionsBlock } from "../../common/message.js";
import { escapeMrkdwn, truncate } from "../../common/mrkdwn.js";
import { BLOCK_IDS } from "../../common/reference.js";

export type Delivery = "delivered" | "waiting_gate" | "retrying" | "obsolete";

export type RequestStatus =
  | { kind: "progress"; approvers: string[]; required: number }
  | { kind: "approved"; approvers: string[]; at: Date; delivery: Delivery; note?: string }
  | { kind: "rejected"; by: string; reason: string; at: Date; delivery: Delivery; note?: string }
  | { kind: "expired"; at: Date }
  | { kind: "closed"; note: string };

/** The message's blocks with the status shown: above the buttons while open, instead of them once closed. */
export function renderStatus(
  original: unknown[],
  status: RequestStatus,
): { text: string; blocks: KnownBlock[] } {
  const blocks = original as KnownBlock[];
  const block: KnownBlock = {
    type: "section",
    block_id: BLOCK_IDS.status,
    text: { type: "mrkdwn", text: truncate(statusLine(status), 3000) },
  };
  const buttons = blocks.find((b) => b.block_id === BLOCK_IDS.actions);
  const shown = status.kind === "progress" && buttons ? [block, buttons] : [block];
  return { text: plainSummary(status), blocks: replaceActionsBlock(blocks, shown) };
}

export function statusLine(status: RequestStatus): string {
  switch (status.kind) {
    case "progress":
      return `:hourglass_flowing_sand: ${status.approvers.length} of ${status.required} approvals: ${mentions(status.approvers)}`;
    case "approved": {
      const who = `*Approved* by ${mentions(status.approvers)} ${when(status.at)}`;
      return `${deliveryIcon(status.delivery, ":white_check_mark:")} ${who}${deliveryNote(status.delivery, "resumed", status.note)}`;
    }
    case "rejected": {
      const who = `*Rejected* by ${mentions([status.by])} ${when(status.at)}`;
      const reason = `\n>${escapeMrkdwn(status.reason).replace(/\n/g, "\n>")}`;
      return `${deliveryIcon(status.delivery, ":x:")} ${who}${deliveryNote(status.delivery, "stopped", status.note)}${reason}`;
    }
    case "expired":
      return `:alarm_clock: *Expired* ${when(status.at)}: no decision was made in time. Re-run the workflow to ask again.`;
    case "closed":
      return `:white_circle: *Closed*: ${escapeMrkdwn(status.note)}`;
  }
}

function deliveryIcon(delivery: Delivery, done: string): string {
  if (delivery === "delivered") return done;
  if (delivery === "obsolete") return ":white_circle:";
  return ":hourglass_flowing_sand:";
}

function deliveryNote(delivery: Delivery, verb: string, note: string | undefined): string {
  const detail = note ? ` (${escapeMrkdwn(note)})` : "";
  switch (delivery) {
    case "delivered":
      return ` · deployment ${verb}`;
    case "waiting_gate":
      return ` · waiting for GitHub to reach the environment's gate; it is applied the moment it does`;
    case "retrying":
      return ` · GitHub has not accepted it yet${detail}; retrying automatically`;
    case "obsolete":
      return ` · not applied: ${note ? escapeMrkdwn(note) : "the run no longer waits"}`;
  }
}

function plainSummary(status: RequestStatus): string {
  switch (status.kind) {
    case "progress":
      return `${status.approvers.length} of ${status.required} approvals`;
    case "approved":
      return status.delivery === "delivered" ? "Deployment approved" : "Approved, not yet applied in GitHub";
    case "rejected":
      return status.delivery === "delivered" ? "Deployment rejected" : "Rejected, not yet applied in GitHub";
    case "expired":
      return "Approval request expired";
    case "closed":
      return "Approval request closed";
  }
}

function mentions(users: string[]): string {
  return users.map((u) => `<@${u}>`).join(", ");
}

function when(at: Date): string {
  const seconds = Math.floor(at.getTime() / 1000);
  return `<!date^${seconds}^{date_short_pretty} at {time}|${at.toISOString()}>`;
}
