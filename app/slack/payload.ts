// Slack interactivity callbacks, after the signature check: the form's `payload` field holds JSON. Two
// steps, so the route can refuse another workspace before reading any further: the envelope (where the
// click comes from), then the typed interaction (what the click path acts on). Only the fields the App
// reads are checked; the button value is untrusted (anyone with the bot token can post such buttons)
// and is decoded strictly here, then checked against GitHub by the click path.
import {
  ACTION_IDS,
  decodeReference,
  METADATA_EVENT_TYPE,
  metadataToReference,
  REJECT_MODAL_CALLBACK_ID,
  REJECT_REASON_ACTION_ID,
  REJECT_REASON_BLOCK_ID,
  ReferenceFormatError,
  type RequestReference,
  sameReference,
} from "../../common/reference.js";
import type { Interaction } from "./interaction.js";
import { CHANNEL_ID, decodeModalMetadata, MESSAGE_TS, type RejectModalMetadata } from "./modal-metadata.js";

/** Slack's own ceilings, with room to spare: anything larger was not built by Slack. */
const LIMITS = {
  payloadChars: 1024 * 1024,
  id: 255,
  blocks: 100,
  actions: 25,
  /** plain_text_input's own maximum. */
  reason: 3000,
} as const;

const USER_ID = /^[UW][A-Z0-9]{1,30}$/;
/** Team (T…), enterprise (E…) and app (A…) ids. */
const SLACK_ID = /^[A-Z][A-Z0-9]{1,30}$/;

export class PayloadError extends Error {
  override name = "PayloadError";
}

/** Where an interaction comes from, as Slack signed it: what the workspace pin checks. */
export interface Origin {
  /** `team.id`; null for some payloads of apps installed on a whole Enterprise Grid org. */
  teamId: string | null;
  /** `enterprise.id`; null outside Enterprise Grid. */
  enterpriseId: string | null;
  /** `api_app_id`. */
  appId: string | null;
}

export interface Envelope {
  /** `payload.type`: `block_actions`, `view_submission`, … */
  type: string;
  origin: Origin;
  root: Record<string, unknown>;
}

export type ParsedPayload =
  | { kind: "interaction"; interaction: Interaction }
  /** A reject form submitted with a blank reason: answered in the form, nothing recorded. */
  | { kind: "blank_reason" }
  /** A reject form whose metadata the App cannot read: answered in the form, nothing changes. */
  | { kind: "unreadable_form"; problem: string }
  /** Not something the App acts on (another action, view or interaction type). */
  | { kind: "ignored"; reason: string };

/** Reads the form and the payload's JSON and where it comes from. Throws PayloadError. */
export function decodeEnvelope(rawBody: Buffer | string): Envelope {
  const text = typeof rawBody === "string" ? rawBody : rawBody.toString("utf8");
  const payloadText = new URLSearchParams(text).get("payload");
  if (payloadText === null) throw new PayloadError("the form has no payload field");
  if (payloadText.length > LIMITS.payloadChars) throw new PayloadError("payload too large");
  let payload: unknown;
  try {
    payload = JSON.parse(payloadText);
  } catch {
    throw new PayloadError("payload is not valid JSON");
  }
  const root = object(payload, "payload");
  const type = root.type;
  if (typeof type !== "string" || type === "") throw new PayloadError("payload.type is missing");
  return {
    type,
    root,
    origin: {
      teamId: optionalId(root.team, "team"),
      enterpriseId: optionalId(root.enterprise, "enterprise"),
      appId:
        root.api_app_id === undefined || root.api_app_id === null ? null : id(root.api_app_id, "api_app_id"),
    },
  };
}

/** The typed interaction in a decoded envelope. Throws PayloadError when a field the App reads is wrong. */
export function parseInteraction(envelope: Envelope): ParsedPayload {
  if (envelope.type === "block_actions") return parseBlockActions(envelope.root);
  if (envelope.type === "view_submission") return parseViewSubmission(envelope.root);
  return ignored(`interaction type "${clip(envelope.type)}" is not handled`);
}

function parseBlockActions(root: Record<string, unknown>): ParsedPayload {
  const user = pattern(object(root.user, "user").id, "user.id", USER_ID);
  const actions = array(root.actions, "actions", LIMITS.actions);
  if (actions.length === 0) throw new PayloadError("actions is empty");
  const action = object(actions[0], "actions[0]");
  const actionId = string(action.action_id, "actions[0].action_id", LIMITS.id);
  const which =
    actionId === ACTION_IDS.approve ? "approve" : actionId === ACTION_IDS.reject ? "reject" : undefined;
  if (!which) return ignored(`action "${clip(actionId)}" is not handled`);

  const container = object(root.container, "container");
  if (container.type !== "message") return ignored("a click outside a message");
  if (container.is_ephemeral === true) return ignored("a click in an ephemeral message");

  const channelId = pattern(object(root.channel, "channel").id, "channel.id", CHANNEL_ID);
  const message = object(root.message, "message");
  const messageTs = pattern(message.ts, "message.ts", MESSAGE_TS, "a message ts");
  const actor = { user, channelId, messageTs };

  const reference = buttonReference(action.value, message.metadata);
  if (typeof reference === "string") {
    return { kind: "interaction", interaction: { kind: "unreadable_button", ...actor, problem: reference } };
  }
  const messageBlocks =
    message.blocks === undefined ? [] : array(message.blocks, "message.blocks", LIMITS.blocks);
  if (which === "approve") {
    return { kind: "interaction", interaction: { kind: "approve", ...actor, reference, messageBlocks } };
  }
  const triggerId = string(root.trigger_id, "trigger_id", LIMITS.id);
  return {
    kind: "interaction",
    interaction: { kind: "reject_clicked", ...actor, reference, messageBlocks, triggerId },
  };
}

/** The button's reference, or why it cannot be used. The message metadata, when present, must agree. */
function buttonReference(value: unknown, metadata: unknown): RequestReference | string {
  let reference: RequestReference;
  try {
    reference = decodeReference(value);
  } catch (error) {
    return `the button carries no valid request reference: ${problem(error)}`;
  }
  if (metadata === undefined || metadata === null) return reference;
  if ((metadata as { event_type?: unknown }).event_type !== METADATA_EVENT_TYPE) return reference;
  let fromMetadata: RequestReference;
  try {
    fromMetadata = metadataToReference(metadata);
  } catch (error) {
    return `the message metadata carries no valid request reference: ${problem(error)}`;
  }
  if (!sameReference(reference, fromMetadata)) return "the button and the message metadata disagree";
  return reference;
}

function parseViewSubmission(root: Record<string, unknown>): ParsedPayload {
  const user = pattern(object(root.user, "user").id, "user.id", USER_ID);
  const view = object(root.view, "view");
  if (view.callback_id !== REJECT_MODAL_CALLBACK_ID) {
    const callbackId = typeof view.callback_id === "string" ? view.callback_id : "";
    return ignored(`view "${clip(callbackId)}" is not handled`);
  }
  let modal: RejectModalMetadata;
  try {
    modal = decodeModalMetadata(string(view.private_metadata, "view.private_metadata", 100_000, true));
  } catch (error) {
    if (error instanceof PayloadError) throw error;
    return { kind: "unreadable_form", problem: problem(error) };
  }

  const values = object(object(view.state, "view.state").values, "view.state.values");
  const block = values[REJECT_REASON_BLOCK_ID];
  const input =
    block && typeof block === "object"
      ? (block as Record<string, unknown>)[REJECT_REASON_ACTION_ID]
      : undefined;
  if (!input || typeof input !== "object") {
    throw new PayloadError(`view.state.values has no ${REJECT_REASON_BLOCK_ID}.${REJECT_REASON_ACTION_ID}`);
  }
  // An input left empty arrives as null (or without a value); whitespace gets through Slack's check.
  const raw = (input as Record<string, unknown>).value;
  const reason = raw === null || raw === undefined ? "" : string(raw, "reason", LIMITS.reason, true).trim();
  if (reason === "") return { kind: "blank_reason" };
  return {
    kind: "interaction",
    interaction: {
      kind: "reject_submitted",
      user,
      channelId: modal.channel,
      messageTs: modal.ts,
      reference: modal.reference,
      reason,
    },
  };
}

function ignored(reason: string): ParsedPayload {
  return { kind: "ignored", reason };
}

/** `{ id }` or null/absent (org-wide installs send `team: null`; outside Grid, `enterprise: null`). */
function optionalId(value: unknown, path: string): string | null {
  if (value === undefined || value === null) return null;
  return id(object(value, path).id, `${path}.id`);
}

function id(value: unknown, path: string): string {
  return pattern(value, path, SLACK_ID);
}

function object(value: unknown, path: string): Record<string, unknown> {
  if (!value || typeof value !== "object" || Array.isArray(value))
    throw new PayloadError(`${path} is not an object`);
  return value as Record<string, unknown>;
}

function array(value: unknown, path: string, max: number): unknown[] {
  if (!Array.isArray(value)) throw new PayloadError(`${path} is not a list`);
  if (value.length > max) throw new PayloadError(`${path} has more than ${max} items`);
  return value;
}

function string(value: unknown, path: string, max: number, allowEmpty = false): string {
  if (typeof value !== "string") throw new PayloadError(`${path} is not a string`);
  if (!allowEmpty && value === "") throw new PayloadError(`${path} is empty`);
  if (value.length > max) throw new PayloadError(`${path} is longer than ${max} characters`);
  return value;
}

function pattern(value: unknown, path: string, re: RegExp, what = "a valid Slack id"): string {
  const text = string(value, path, LIMITS.id);
  if (!re.test(text)) throw new PayloadError(`${path} is not ${what}`);
  return text;
}

function problem(error: unknown): string {
  return error instanceof ReferenceFormatError ? error.message : "unreadable";
}

function clip(text: string): string {
  return text.slice(0, 60);
}
