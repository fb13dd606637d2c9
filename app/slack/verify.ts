// Slack's request signing, v0 scheme: HMAC-SHA256 over `v0:{timestamp}:{raw body}` with the app's
// signing secret, sent hex-encoded as `X-Slack-Signature: v0=…`. The timestamp bounds replays.
// Reasons returned on failure are safe to log: they never contain the secret or the expected value.
import { createHmac, timingSafeEqual } from "node:crypto";

export const SIGNATURE_VERSION = "v0";
/** Slack's recommended window, applied both ways so a fast clock on either side cannot widen it. */
export const MAX_CLOCK_SKEW_SECONDS = 300;

export interface VerifyInput {
  signingSecret: string;
  /** `X-Slack-Request-Timestamp` as received (Node hands repeated headers over as arrays). */
  timestamp: string | string[] | undefined;
  /** `X-Slack-Signature` as received. */
  signature: string | string[] | undefined;
  /** The request body exactly as it arrived, before any decoding. */
  rawBody: Buffer;
  /** Unix time in seconds; defaults to the system clock. */
  now?: number;
}

export type VerifyResult = { ok: true } | { ok: false; reason: string };

const TIMESTAMP = /^\d{1,12}$/;
const SIGNATURE = /^v0=[0-9a-f]{64}$/;

export function verifySlackSignature(input: VerifyInput): VerifyResult {
  if (!input.signingSecret) return fail("no signing secret configured");

  const timestamp = single(input.timestamp);
  if (timestamp === undefined) return fail("missing X-Slack-Request-Timestamp header");
  if (timestamp === null) return fail("repeated X-Slack-Request-Timestamp header");
  if (!TIMESTAMP.test(timestamp)) return fail("malformed X-Slack-Request-Timestamp header");

  const signature = single(input.signature);
  if (signature === undefined) return fail("missing X-Slack-Signature header");
  if (signature === null) return fail("repeated X-Slack-Signature header");
  if (!signature.startsWith(`${SIGNATURE_VERSION}=`)) return fail("unsupported X-Slack-Signature version");
  if (!SIGNATURE.test(signature)) return fail("malformed X-Slack-Signature header");

  // Cheap checks first: a replayed request is refused before any hashing.
  const now = input.now ?? Math.floor(Date.now() / 1000);
  const age = now - Number(timestamp);
  if (age > MAX_CLOCK_SKEW_SECONDS) return fail(`stale timestamp (${age}s old)`);
  if (age < -MAX_CLOCK_SKEW_SECONDS) return fail(`timestamp in the future (${-age}s ahead)`);

  const expected = Buffer.from(
    `${SIGNATURE_VERSION}=${createHmac("sha256", input.signingSecret)
      .update(`${SIGNATURE_VERSION}:${timestamp}:`)
      .update(input.rawBody)
      .digest("hex")}`,
  );
  const given = Buffer.from(signature);
  // timingSafeEqual throws on a length mismatch; the format check above makes that impossible,
  // but a failed comparison must never become an exception.
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return fail("signature mismatch");
  }
  return { ok: true };
}

/** The header's one value; undefined when absent, null when sent more than once. */
function single(value: string | string[] | undefined): string | undefined | null {
  if (value === undefined) return undefined;
  if (Array.isArray(value)) {
    if (value.length === 0) return undefined;
    return value.length === 1 ? (value[0] as string) : null;
  }
  return value === "" ? undefined : value;
}

function fail(reason: string): VerifyResult {
  return { ok: false, reason };
}
