// What the Slack route hands to the click path: a verified, parsed, typed interaction. Nothing past the
// route sees Slack's raw payload.
import type { RequestReference } from "../../common/reference.js";

/** Who acted, where, on which message. */
export interface Actor {
  /** Slack user ID of the person who clicked or submitted. */
  user: string;
  channelId: string;
  messageTs: string;
}

export interface ApproveClick extends Actor {
  kind: "approve";
  reference: RequestReference;
  /** The message's blocks as Slack sent them with the click (to rebuild the message on updates). */
  messageBlocks: unknown[];
}

export interface RejectClick extends Actor {
  kind: "reject_clicked";
  reference: RequestReference;
  messageBlocks: unknown[];
  /** Lasts 3 s and works once: the reason form must open before any slow work. */
  triggerId: string;
}

export interface RejectSubmission extends Actor {
  kind: "reject_submitted";
  reference: RequestReference;
  /** Trimmed; never empty (the route answers an empty reason with a form error itself). */
  reason: string;
}

/** A button whose reference cannot be read: the clicker is told, nothing changes. */
export interface UnreadableButton extends Actor {
  kind: "unreadable_button";
  problem: string;
}

export type Interaction = ApproveClick | RejectClick | RejectSubmission | UnreadableButton;

/** What the click path offers the route. */
export interface InteractionHandler {
  /**
   * Handles one interaction after it was recorded (`inboundId`) and acknowledged. `recovered` is true
   * when a later process picks up an interaction a crashed one had acknowledged: time-bound steps
   * (opening the reason form) are skipped and the person is told instead.
   */
  handle(interaction: Interaction, context: { inboundId: string; recovered: boolean }): Promise<void>;
}
