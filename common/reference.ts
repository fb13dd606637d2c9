// The approval-request reference: what the Action writes into button values and message metadata
// and what the App reads back from Slack's callbacks. Both sides must agree on it, so it lives here.
// It is untrusted on the way back (anyone holding the bot token can post a message), so the decoder
// is strict and the App still checks every field against GitHub.
import { randomBytes } from "node:crypto";

export const REFERENCE_VERSION = 1;
export const MODES = ["gate", "wait", "dispatch"] as const;
export type Mode = (typeof MODES)[number];

/** Slack's limit on a button value; the encoded reference must stay well under it. */
export const MAX_REFERENCE_LENGTH = 1000;

export const METADATA_EVENT_TYPE = "deployment_approval_requested";
export const ACTION_IDS = { approve: "sdg_approve", reject: "sdg_reject" } as const;
export const BLOCK_IDS = { actions: "sdg_actions", footer: "sdg_footer", status: "sdg_status" } as const;
export const REJECT_MODAL_CALLBACK_ID = "sdg_reject_reason";
export const REJECT_REASON_BLOCK_ID = "sdg_reason";
export const REJECT_REASON_ACTION_ID = "sdg_reason_input";

export interface RequestReference {
  /** `owner/name` */
  repository: string;
  runId: number;
  runAttempt: number;
  environment: string;
  mode: Mode;
  /** Unique per request message, made by the Action. */
  requestId: string;
}

export class ReferenceFormatError extends Error {
  override name = "ReferenceFormatError";
}

// GitHub's own limits: owner up to 39 characters, repository name up to 100, environment name up to 255.
const REPOSITORY = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/[A-Za-z0-9._-]{1,100}$/;
const REQUEST_ID = /^[A-Za-z0-9_-]{8,64}$/;
// Environment names: printable, no control characters; GitHub allows spaces and most punctuation.
const ENVIRONMENT = /^\P{Cc}{1,255}$/u;

export function newRequestId(): string {
  return randomBytes(12).toString("base64url");
}

/** Throws ReferenceFormatError naming the first field that is wrong. */
export function validateReference(ref: RequestReference): RequestReference {
  if (!REPOSITORY.test(ref.repository))
    throw new ReferenceFormatError(`invalid repository "${clip(ref.repository)}"`);
  if (!isPositiveInt(ref.runId)) throw new ReferenceFormatError("invalid run id");
  if (!isPositiveInt(ref.runAttempt) || ref.runAttempt > 10_000)
    throw new ReferenceFormatError("invalid run attempt");
  if (!ENVIRONMENT.test(ref.environment) || ref.environment.trim() !== ref.environment) {
    throw new ReferenceFormatError("invalid environment name");
  }
  if (!(MODES as readonly string[]).includes(ref.mode))
    throw new ReferenceFormatError(`invalid mode "${clip(ref.mode)}"`);
  if (!REQUEST_ID.test(ref.requestId)) throw new ReferenceFormatError("invalid request id");
  return ref;
}

/** Compact, versioned: `sdg1:` then a JSON array in a fixed order. */
export function encodeReference(ref: RequestReference): string {
  validateReference(ref);
  const value = `sdg${REFERENCE_VERSION}:${JSON.stringify([
    ref.repository,
    ref.runId,
    ref.runAttempt,
    ref.environment,
    ref.mode,
    ref.requestId,
  ])}`;
  if (value.length > MAX_REFERENCE_LENGTH) throw new ReferenceFormatError("reference too long");
  return value;
}

export function decodeReference(value: unknown): RequestReference {
  if (typeof value !== "string") throw new ReferenceFormatError("reference is not a string");
  if (value.length > MAX_REFERENCE_LENGTH) throw new ReferenceFormatError("reference too long");
  const match = /^sdg(\d+):(.*)$/s.exec(value);
  if (!match) throw new ReferenceFormatError("not a slack-deploy-gate reference");
  if (Number(match[1]) !== REFERENCE_VERSION) {
    throw new ReferenceFormatError(
      `unsupported reference version ${match[1]} (this build reads ${REFERENCE_VERSION})`,
    );
  }
  let parts: unknown;
  try {
    parts = JSON.parse(match[2] ?? "");
  } catch {
    throw new ReferenceFormatError("reference is not valid JSON");
  }
  if (!Array.isArray(parts) || parts.length !== 6)
    throw new ReferenceFormatError("reference has the wrong shape");
  const [repository, runId, runAttempt, environment, mode, requestId] = parts;
  if (
    typeof repository !== "string" ||
    typeof runId !== "number" ||
    typeof runAttempt !== "number" ||
    typeof environment !== "string" ||
    typeof mode !== "string" ||
    typeof requestId !== "string"
  ) {
    throw new ReferenceFormatError("reference has a field of the wrong type");
  }
  return validateReference({ repository, runId, runAttempt, environment, mode: mode as Mode, requestId });
}

/** Slack message metadata (`event_payload` values must be flat). */
export function referenceToMetadata(ref: RequestReference): {
  event_type: string;
  event_payload: Record<string, string | number>;
} {
  validateReference(ref);
  return {
    event_type: METADATA_EVENT_TYPE,
    event_payload: {
      v: REFERENCE_VERSION,
      repository: ref.repository,
      run_id: ref.runId,
      run_attempt: ref.runAttempt,
      environment: ref.environment,
      mode: ref.mode,
      request_id: ref.requestId,
    },
  };
}

export function metadataToReference(metadata: unknown): RequestReference {
  if (!metadata || typeof metadata !== "object") throw new ReferenceFormatError("no metadata");
  const { event_type, event_payload } = metadata as { event_type?: unknown; event_payload?: unknown };
  if (event_type !== METADATA_EVENT_TYPE)
    throw new ReferenceFormatError("metadata is not an approval request");
  if (!event_payload || typeof event_payload !== "object")
    throw new ReferenceFormatError("metadata has no payload");
  const p = event_payload as Record<string, unknown>;
  if (p.v !== REFERENCE_VERSION) throw new ReferenceFormatError("unsupported metadata version");
  const { repository, run_id, run_attempt, environment, mode, request_id } = p;
  if (
    typeof repository !== "string" ||
    typeof run_id !== "number" ||
    typeof run_attempt !== "number" ||
    typeof environment !== "string" ||
    typeof mode !== "string" ||
    typeof request_id !== "string"
  ) {
    throw new ReferenceFormatError("metadata has a missing field or a field of the wrong type");
  }
  return validateReference({
    repository,
    runId: run_id,
    runAttempt: run_attempt,
    environment,
    mode: mode as Mode,
    requestId: request_id,
  });
}

export function sameReference(a: RequestReference, b: RequestReference): boolean {
  return (
    a.repository.toLowerCase() === b.repository.toLowerCase() &&
    a.runId === b.runId &&
    a.runAttempt === b.runAttempt &&
    a.environment === b.environment &&
    a.mode === b.mode &&
    a.requestId === b.requestId
  );
}

function isPositiveInt(n: unknown): n is number {
  return typeof n === "number" && Number.isSafeInteger(n) && n > 0;
}

function clip(s: unknown): string {
  return String(s).slice(0, 60);
}
