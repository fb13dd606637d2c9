// The reject form's `private_metadata`: which request it rejects and where the request message is, so
// any replica can act on the submission. The App writes it; Slack hands it back untouched, but it is
// decoded as strictly as a button value.
import {
  decodeReference,
  encodeReference,
  ReferenceFormatError,
  type RequestReference,
} from "../../common/reference.js";

/** Slack's limit for `private_metadata`. */
export const MAX_PRIVATE_METADATA = 3000;

export const CHANNEL_ID = /^[A-Z][A-Z0-9]{1,30}$/;
export const MESSAGE_TS = /^\d{1,15}\.\d{1,10}$/;

export interface RejectModalMetadata {
  reference: RequestReference;
  /** Channel and ts of the request message the form was opened from. */
  channel: string;
  ts: string;
}

/** JSON `{ ref, channel, ts }`; throws ReferenceFormatError when it cannot be written faithfully. */
export function encodeModalMetadata(metadata: RejectModalMetadata): string {
  if (!CHANNEL_ID.test(metadata.channel)) throw new ReferenceFormatError("invalid channel id");
  if (!MESSAGE_TS.test(metadata.ts)) throw new ReferenceFormatError("invalid message ts");
  const text = JSON.stringify({
    ref: encodeReference(metadata.reference),
    channel: metadata.channel,
    ts: metadata.ts,
  });
  if (text.length > MAX_PRIVATE_METADATA) throw new ReferenceFormatError("modal metadata too long");
  return text;
}

/** Throws ReferenceFormatError naming what is wrong. */
export function decodeModalMetadata(text: string): RejectModalMetadata {
  if (text.length > MAX_PRIVATE_METADATA) throw new ReferenceFormatError("modal metadata too long");
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ReferenceFormatError("modal metadata is not valid JSON");
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new ReferenceFormatError("modal metadata has the wrong shape");
  }
  const { ref, channel, ts } = parsed as Record<string, unknown>;
  if (typeof channel !== "string" || !CHANNEL_ID.test(channel))
    throw new ReferenceFormatError("invalid channel id");
  if (typeof ts !== "string" || !MESSAGE_TS.test(ts)) throw new ReferenceFormatError("invalid message ts");
  return { reference: decodeReference(ref), channel, ts };
}
