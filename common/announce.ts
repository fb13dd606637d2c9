// How the Action tells the App, through GitHub, where it posted a request: a notice annotation on its
// job (`::notice title=slack-deploy-gate request::<reference> <channel> <ts>`), which the App reads
// through the checks API when GitHub reports the gate. The App then reads that message from Slack and
// checks it as at any first contact (its metadata and buttons must carry the same reference, its words
// must match the run) before it adopts it: an annotation is a pointer, never trusted for what it says.
import { createHash } from "node:crypto";
import { decodeReference, encodeReference, type RequestReference } from "./reference.js";

export const ANNOUNCE_TITLE = "slack-deploy-gate request";

export interface Announcement {
  reference: RequestReference;
  /** Where the message is: a channel ID and the message's ts. */
  channel: string;
  ts: string;
}

const CHANNEL = /^[CGD][A-Z0-9]{2,20}$/;
const TS = /^\d{1,12}\.\d{1,9}$/;

export function formatAnnouncement(announcement: Announcement): string {
  return `${encodeReference(announcement.reference)} ${announcement.channel} ${announcement.ts}`;
}

/** The announcement an annotation carries, or undefined when it is not one of ours or unreadable. */
export function readAnnouncement(
  title: string | null | undefined,
  message: string,
): Announcement | undefined {
  if (title !== ANNOUNCE_TITLE) return undefined;
  const text = message.trim();
  const tsAt = text.lastIndexOf(" ");
  const channelAt = text.lastIndexOf(" ", tsAt - 1);
  if (tsAt <= 0 || channelAt <= 0) return undefined;
  const channel = text.slice(channelAt + 1, tsAt);
  const ts = text.slice(tsAt + 1);
  if (!CHANNEL.test(channel) || !TS.test(ts)) return undefined;
  try {
    return { reference: decodeReference(text.slice(0, channelAt)), channel, ts };
  } catch {
    return undefined;
  }
}

/**
 * The id of the request the App posts itself for a gate (the repository, run, attempt and environment):
 * one per gate, so a redelivered webhook posts one message, and the Action can look for the App's check
 * run of that request (`external_id`) before it asks a second time.
 */
export function gateRequestId(gate: {
  repository: string;
  runId: number;
  runAttempt: number;
  environment: string;
}): string {
  const key = [
    gate.repository.toLowerCase(),
    gate.runId,
    gate.runAttempt,
    gate.environment.toLowerCase(),
  ].join("\n");
  return `app-${createHash("sha256").update(key).digest("base64url").slice(0, 20)}`;
}

/** Channel and ts from a Slack permalink (`…/archives/C0123/p1700000000123456`), if it is one. */
export function permalinkTarget(url: string): { channel: string; ts: string } | undefined {
  const match = /\/archives\/([CGD][A-Z0-9]{2,20})\/p(\d{10})(\d{6})(?:$|[?#])/.exec(url);
  return match ? { channel: match[1] as string, ts: `${match[2]}.${match[3]}` } : undefined;
}
