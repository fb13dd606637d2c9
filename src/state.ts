// What the main step leaves for the post step (`runs.post`, run only when the job was cancelled): the
// request message to mark cancelled, and whether the step was still waiting when it was stopped.
import * as core from "@actions/core";
import type { KnownBlock } from "@slack/web-api";

const KEYS = {
  post: "sdg-is-post",
  phase: "sdg-phase",
  channel: "sdg-channel",
  ts: "sdg-ts",
  blocks: "sdg-blocks",
} as const;

/**
 * - `waiting`: the request is posted and the step waits for the decision (a cancellation now leaves
 *   the message with live buttons: the post step closes it);
 * - `closed`: the step ended with an outcome, or marked the message itself; nothing left to do.
 */
export type Phase = "waiting" | "closed";

export interface WaitingMessage {
  channelId: string;
  ts: string;
  blocks: KnownBlock[];
}

/** True in the post step. The main step marks its own run first, as actions/checkout does. */
export function isPostStep(): boolean {
  if (core.getState(KEYS.post)) return true;
  core.saveState(KEYS.post, "true");
  return false;
}

export function saveWaiting(message: WaitingMessage): void {
  core.saveState(KEYS.channel, message.channelId);
  core.saveState(KEYS.ts, message.ts);
  core.saveState(KEYS.blocks, JSON.stringify(message.blocks));
  core.saveState(KEYS.phase, "waiting" satisfies Phase);
}

export function saveClosed(): void {
  core.saveState(KEYS.phase, "closed" satisfies Phase);
}

/** The message the main step was waiting on when the job was cancelled, if any. */
export function readWaiting(): WaitingMessage | undefined {
  if (core.getState(KEYS.phase) !== "waiting") return undefined;
  const channelId = core.getState(KEYS.channel);
  const ts = core.getState(KEYS.ts);
  let blocks: unknown;
  try {
    blocks = JSON.parse(core.getState(KEYS.blocks) || "null");
  } catch {
    return undefined;
  }
  if (!channelId || !ts || !Array.isArray(blocks)) return undefined;
  return { channelId, ts, blocks: blocks as KnownBlock[] };
}
