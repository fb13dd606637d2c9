// How the Action tells the App, through GitHub, where it posted a request: a notice annotation on its
// job (`::notice title=slack-deploy-gate request::<reference> <channel> <ts>`), which the App reads
// through the checks API when GitHub reports the gate. The App then reads that message from Slack and
// checks it as at any first contact (its metadata and buttons must carry the same reference, its words
// must match the run) before it adopts it: an annotation is a pointer, never trusted for what it says.
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
