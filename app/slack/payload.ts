// Slack interactivity callbacks, after the signature check: the form's `payload` field holds JSON.
// Only what the App acts on is kept, and every field it relies on is checked here, so the decision
// code never meets an unexpected shape. The button value is untrusted (anyone with the bot token can
// post a message with such buttons); it is decoded strictly here and checked against GitHub later.
import {
  ACTION_IDS,
  decodeReference,
  encodeReference,
  METADATA_EVENT_TYPE,
  metadataToReference,
  REJECT_MODAL_CALLBACK_ID,
  REJECT_REASON_ACTION_ID,
  REJECT_REASON_BLOCK_ID,
  ReferenceFormatError as ReferenceDecodeError,
  type RequestReference,
  sameReference,
} from "../../common/reference.js";

/** Slack's own ceilings, with room to spare: anything larger was not built by Slack. */
const LIMITS = {
  payloadChars: 1024 * 1024,
  id: 255,
  url: 2048,
  messageText: 40_000,
  blocks: 100,
  actions: 25,
  privateMetadata: 3000,
  /** plain_text_input's own maximum. */
  reason: 3000,
} as const;

const USER_ID = /^[UW][A-Z0-9]{1,30}$/;
const CHANNEL_ID = /^[A-Z][A-Z0-9]{1,30}$/;
const MESSAGE_TS = /^\d{1,15}\.\d{1,10}$/;

export type PayloadErrorKind = "malformed" | "bad_reference";

/** Who clicked and where, when known: lets the route answer a bad reference to the clicker. */
export interface PayloadErrorContext {
  userId: string;
  channelId?: string;
  messageTs?: string;
  responseUrl?: string;
}

export class PayloadError extends Error {
  override name = "PayloadError";
  constructor(
    readonly kind: PayloadErrorKind,
    message: string,
    readonly context?: PayloadErrorContext,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface SlackUserRef {
  id: string;
  username?: string;
  team_id?: string;
}

export interface ClickedAction {
  action_id: string;
  block_id: string;
  value: string;
  action_ts: string;
}

export interface ClickedMessage {
  ts: string;
  text: string;
  blocks: unknown[];
  metadata?: { event_type: string; event_payload: Record<string, unknown> };
  thread_ts?: string;
  bot_id?: string;
  app_id?: string;
}

export interface BlockActionsInteraction {
  type: "block_actions";
  user: SlackUserRef;
  team?: { id: string };
  channel: { id: string };
  message: ClickedMessage;
  container: { type: string; message_ts?: string; channel_id?: string; is_ephemeral?: boolean };
  actions: [ClickedAction];
  trigger_id: string;
  response_url: string;
  api_app_id: string;
  /** Which of the App's buttons was clicked. */
  action: "approve" | "reject";
  /** The request reference decoded from the button's value. */
  reference: RequestReference;
}

export interface RejectModalMetadata {
  reference: RequestReference;
  /** Channel and ts of the request message the modal was opened from. */
  channel: string;
  ts: string;
}

export interface ViewSubmissionInteraction {
  type: "view_submission";
  user: SlackUserRef;
  team?: { id: string };
  view: {
    id: string;
    callback_id: string;
    private_metadata: string;
    state: { values: Record<string, Record<string, unknown>> };
  };
  trigger_id: string;
  api_app_id?: string;
  /** Decoded `private_metadata`. */
  modal: RejectModalMetadata;
  /** The reason as typed, trimmed; "" when left empty (the route answers with a modal error). */
  reason: string;
}

export interface IgnoredInteraction {
  type: "ignored";
  reason: string;
}

export type Interaction = BlockActionsInteraction | ViewSubmissionInteraction | IgnoredInteraction;

const OUR_ACTIONS: Record<string, "approve" | "reject"> = {
  [ACTION_IDS.approve]: "approve",
  [ACTION_IDS.reject]: "reject",
};

/** Parses a verified interactivity body. Throws PayloadError. */
export function parseInteraction(rawBody: Buffer | string): Interaction {
  const text = typeof rawBody === "string" ? rawBody : rawBody.toString("utf8");
  const form = new URLSearchParams(text);
  const payloadText = form.get("payload");
  if (payloadText === null) throw malformed("the form has no payload field");
  if (payloadText.length > LIMITS.payloadChars) throw malformed("payload too large");

  let payload: unknown;
  try {
    payload = JSON.parse(payloadText);
  } catch (error) {
    throw new PayloadError("malformed", "payload is not valid JSON", undefined, { cause: error });
  }
  const root = object(payload, "payload");
  const type = root.type;
  if (typeof type !== "string") throw malformed("payload.type is missing");
  if (type === "block_actions") return parseBlockActions(root);
  if (type === "view_submission") return parseViewSubmission(root);
  return { type: "ignored", reason: `interaction type "${clip(type)}" is not handled` };
}

function parseBlockActions(root: Record<string, unknown>): Interaction {
  const user = parseUser(root.user);
  const actionsRaw = array(root.actions, "actions", LIMITS.actions);
  if (actionsRaw.length === 0) throw malformed("actions is empty");
  const first = object(actionsRaw[0], "actions[0]");
  const actionId = string(first.action_id, "actions[0].action_id", LIMITS.id);
  const action = OUR_ACTIONS[actionId];
  if (!action) return { type: "ignored", reason: `action "${clip(actionId)}" is not handled` };

  const container = object(root.container, "container");
  const containerType = string(container.type, "container.type", LIMITS.id);
  if (containerType !== "message") {
    return { type: "ignored", reason: `click in a ${clip(containerType)}, not in a message` };
  }
  if (container.is_ephemeral === true) return { type: "ignored", reason: "click in an ephemeral message" };

  const channelId = pattern(object(root.channel, "channel").id, "channel.id", CHANNEL_ID);
  const message = parseMessage(root.message);
  const clicked: ClickedAction = {
    action_id: actionId,
    block_id: string(first.block_id, "actions[0].block_id", LIMITS.id),
    value: string(first.value, "actions[0].value", 2000, true),
    action_ts: string(first.action_ts, "actions[0].action_ts", LIMITS.id),
  };
  const responseUrl = string(root.response_url, "response_url", LIMITS.url);
  const context: PayloadErrorContext = { userId: user.id, channelId, messageTs: message.ts, responseUrl };

  let reference: RequestReference;
  try {
    reference = decodeReference(clicked.value);
  } catch (error) {
    throw badReference(error, "the button", context);
  }
  // The message metadata carries the same reference; when present it must agree with the button.
  if (message.metadata?.event_type === METADATA_EVENT_TYPE) {
    let fromMetadata: RequestReference;
    try {
      fromMetadata = metadataToReference(message.metadata);
    } catch (error) {
      throw badReference(error, "the message metadata", context);
    }
    if (!sameReference(reference, fromMetadata)) {
      throw new PayloadError("bad_reference", "the button and the message metadata disagree", context);
    }
  }

  const containerOut: BlockActionsInteraction["container"] = { type: containerType };
  if (typeof container.message_ts === "string") containerOut.message_ts = container.message_ts;
  if (typeof container.channel_id === "string") containerOut.channel_id = container.channel_id;
  if (typeof container.is_ephemeral === "boolean") containerOut.is_ephemeral = container.is_ephemeral;

  const result: BlockActionsInteraction = {
    type: "block_actions",
    user,
    channel: { id: channelId },
    message,
    container: containerOut,
    actions: [clicked],
    trigger_id: string(root.trigger_id, "trigger_id", LIMITS.id),
    response_url: responseUrl,
    api_app_id: string(root.api_app_id, "api_app_id", LIMITS.id),
    action,
    reference,
  };
  const team = parseTeam(root.team);
  if (team) result.team = team;
  return result;
}

function parseViewSubmission(root: Record<string, unknown>): Interaction {
  const user = parseUser(root.user);
  const view = object(root.view, "view");
  const callbackId = typeof view.callback_id === "string" ? view.callback_id : "";
  if (callbackId !== REJECT_MODAL_CALLBACK_ID) {
    return { type: "ignored", reason: `view "${clip(callbackId)}" is not handled` };
  }
  const privateMetadata = string(
    view.private_metadata,
    "view.private_metadata",
    LIMITS.privateMetadata,
    true,
  );
  let modal: RejectModalMetadata;
  try {
    modal = decodeModalMetadata(privateMetadata);
  } catch (error) {
    throw badReference(error, "the modal", { userId: user.id });
  }

  const state = object(view.state, "view.state");
  const values = object(state.values, "view.state.values");
  const block = values[REJECT_REASON_BLOCK_ID];
  const input =
    block && typeof block === "object"
      ? (block as Record<string, unknown>)[REJECT_REASON_ACTION_ID]
      : undefined;
  if (!input || typeof input !== "object") {
    throw malformed(`view.state.values has no ${REJECT_REASON_BLOCK_ID}.${REJECT_REASON_ACTION_ID}`);
  }
  // An input left empty arrives as null (or without a value).
  const raw = (input as Record<string, unknown>).value;
  const reason = raw === null || raw === undefined ? "" : string(raw, "reason", LIMITS.reason, true);

  const result: ViewSubmissionInteraction = {
    type: "view_submission",
    user,
    view: {
      id: string(view.id, "view.id", LIMITS.id),
      callback_id: callbackId,
      private_metadata: privateMetadata,
      state: { values: values as Record<string, Record<string, unknown>> },
    },
    trigger_id: string(root.trigger_id, "trigger_id", LIMITS.id),
    modal,
    reason: reason.trim(),
  };
  if (typeof root.api_app_id === "string") result.api_app_id = root.api_app_id;
  const team = parseTeam(root.team);
  if (team) result.team = team;
  return result;
}

/** `private_metadata` of the reject modal: JSON `{ ref, channel, ts }`, at most 3000 characters. */
export function encodeModalMetadata(metadata: RejectModalMetadata): string {
  if (!CHANNEL_ID.test(metadata.channel)) throw new ReferenceDecodeError("invalid channel id");
  if (!MESSAGE_TS.test(metadata.ts)) throw new ReferenceDecodeError("invalid message ts");
  const text = JSON.stringify({
    ref: encodeReference(metadata.reference),
    channel: metadata.channel,
    ts: metadata.ts,
  });
  if (text.length > LIMITS.privateMetadata) throw new ReferenceDecodeError("modal metadata too long");
  return text;
}

/** Throws the reference module's ReferenceFormatError naming what is wrong. */
export function decodeModalMetadata(text: string): RejectModalMetadata {
  if (text.length > LIMITS.privateMetadata) throw new ReferenceDecodeError("modal metadata too long");
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ReferenceDecodeError("modal metadata is not valid JSON");
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new ReferenceDecodeError("modal metadata has the wrong shape");
  }
  const { ref, channel, ts } = parsed as Record<string, unknown>;
  if (typeof channel !== "string" || !CHANNEL_ID.test(channel))
    throw new ReferenceDecodeError("invalid channel id");
  if (typeof ts !== "string" || !MESSAGE_TS.test(ts)) throw new ReferenceDecodeError("invalid message ts");
  return { reference: decodeReference(ref), channel, ts };
}

function parseUser(value: unknown): SlackUserRef {
  const raw = object(value, "user");
  const user: SlackUserRef = { id: pattern(raw.id, "user.id", USER_ID) };
  if (typeof raw.username === "string") user.username = raw.username.slice(0, LIMITS.id);
  if (typeof raw.team_id === "string") user.team_id = raw.team_id.slice(0, LIMITS.id);
  return user;
}

/** Null for org-wide installs, so absent is fine; present means it has an id. */
function parseTeam(value: unknown): { id: string } | undefined {
  if (value === undefined || value === null) return undefined;
  return { id: string(object(value, "team").id, "team.id", LIMITS.id) };
}

function parseMessage(value: unknown): ClickedMessage {
  const raw = object(value, "message");
  const message: ClickedMessage = {
    ts: pattern(raw.ts, "message.ts", MESSAGE_TS, "a message ts"),
    text: raw.text === undefined ? "" : string(raw.text, "message.text", LIMITS.messageText, true),
    blocks: raw.blocks === undefined ? [] : array(raw.blocks, "message.blocks", LIMITS.blocks),
  };
  if (raw.metadata !== undefined && raw.metadata !== null) {
    const metadata = object(raw.metadata, "message.metadata");
    message.metadata = {
      event_type: string(metadata.event_type, "message.metadata.event_type", LIMITS.id),
      event_payload:
        metadata.event_payload === undefined
          ? {}
          : object(metadata.event_payload, "message.metadata.event_payload"),
    };
  }
  if (typeof raw.thread_ts === "string")
    message.thread_ts = pattern(raw.thread_ts, "message.thread_ts", MESSAGE_TS, "a message ts");
  if (typeof raw.bot_id === "string") message.bot_id = raw.bot_id.slice(0, LIMITS.id);
  if (typeof raw.app_id === "string") message.app_id = raw.app_id.slice(0, LIMITS.id);
  return message;
}

function object(value: unknown, path: string): Record<string, unknown> {
  if (!value || typeof value !== "object" || Array.isArray(value))
    throw malformed(`${path} is not an object`);
  return value as Record<string, unknown>;
}

function array(value: unknown, path: string, max: number): unknown[] {
  if (!Array.isArray(value)) throw malformed(`${path} is not a list`);
  if (value.length > max) throw malformed(`${path} has more than ${max} items`);
  return value;
}

function string(value: unknown, path: string, max: number, allowEmpty = false): string {
  if (typeof value !== "string") throw malformed(`${path} is not a string`);
  if (!allowEmpty && value === "") throw malformed(`${path} is empty`);
  if (value.length > max) throw malformed(`${path} is longer than ${max} characters`);
  return value;
}

function pattern(value: unknown, path: string, re: RegExp, what = "a valid Slack id"): string {
  const text = string(value, path, LIMITS.id);
  if (!re.test(text)) throw malformed(`${path} is not ${what}`);
  return text;
}

function malformed(message: string): PayloadError {
  return new PayloadError("malformed", message);
}

function badReference(error: unknown, where: string, context: PayloadErrorContext): PayloadError {
  const detail = error instanceof ReferenceDecodeError ? error.message : "unreadable";
  return new PayloadError(
    "bad_reference",
    `${where} carries no valid request reference: ${detail}`,
    context,
    {
      cause: error,
    },
  );
}

function clip(text: string): string {
  return text.slice(0, 60);
}
