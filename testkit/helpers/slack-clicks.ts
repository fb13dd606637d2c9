// Interactivity payloads built the way Slack builds them: a button click is made from the buttons of
// a message that was really posted (as the fake Slack stored it), and a modal submission from the
// view that was really opened. A test therefore cannot click a button or fill an input that never
// existed. Field names and shapes follow Slack's block_actions and view_submission references.
import { randomBytes } from "node:crypto";
import { FAKE_APP_ID, FAKE_TEAM_ID } from "../fakes/slack.js";

// biome-ignore lint/suspicious/noExplicitAny: Block Kit JSON, as posted or opened.
type BlockJson = any;

/** A message as the fake Slack stores it, with Slack's field names. */
export interface PostedMessage {
  channel: string;
  ts: string;
  text: string;
  blocks: BlockJson[];
  metadata?: { event_type: string; event_payload: Record<string, unknown> };
  user?: string;
  bot_id?: string;
  app_id?: string;
  team?: string;
  thread_ts?: string;
}

export interface Clicker {
  id: string;
  username?: string;
  teamId?: string;
}

// The fake Slack's workspace and app: the App pins them from auth.test / bots.info at start-up.
export const DEFAULT_TEAM_ID = FAKE_TEAM_ID;
export const DEFAULT_APP_ID = FAKE_APP_ID;

export interface BlockActionsOptions {
  message: PostedMessage;
  actionId: string;
  user: Clicker;
  /** From the fake Slack's issueTriggerId(), so a views.open with it succeeds once. */
  triggerId: string;
  apiAppId?: string;
  responseUrl?: string;
  channelName?: string;
}

export function blockActionsPayload(options: BlockActionsOptions): Record<string, unknown> {
  const { message, actionId, user } = options;
  const found = findButton(message.blocks, actionId);
  if (!found) {
    throw new Error(`message ${message.channel}/${message.ts} has no button with action_id "${actionId}"`);
  }
  const { element, blockId } = found;
  const teamId = user.teamId ?? message.team ?? DEFAULT_TEAM_ID;
  const username = user.username ?? user.id.toLowerCase();

  const action: Record<string, unknown> = {
    action_id: element.action_id,
    block_id: blockId,
    text: structuredClone(element.text),
    value: element.value,
    type: "button",
    action_ts: slackTs(),
  };
  if (element.style !== undefined) action.style = element.style;

  const container: Record<string, unknown> = {
    type: "message",
    message_ts: message.ts,
    channel_id: message.channel,
    is_ephemeral: false,
  };
  if (message.thread_ts !== undefined) container.thread_ts = message.thread_ts;

  return {
    type: "block_actions",
    user: { id: user.id, username, name: username, team_id: teamId },
    api_app_id: options.apiAppId ?? message.app_id ?? DEFAULT_APP_ID,
    token: "verification-token-unused",
    container,
    trigger_id: options.triggerId,
    team: { id: teamId, domain: "test-workspace" },
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: message.channel, name: options.channelName ?? "deployments" },
    message: messageAsSlackSendsIt(message),
    state: { values: {} },
    response_url:
      options.responseUrl ??
      `https://hooks.slack.com/actions/${teamId}/${digits(13)}/${randomBytes(12).toString("base64url")}`,
    actions: [action],
  };
}

export interface OpenedView {
  /** The id Slack gave the view when it was opened. */
  id: string;
  type?: string;
  callback_id?: string;
  private_metadata?: string;
  blocks: BlockJson[];
  [key: string]: BlockJson;
}

/** A view as the fake Slack records it after views.open. */
export interface RecordedView {
  id: string;
  hash?: string;
  view: Record<string, unknown>;
}

export interface ViewSubmissionOptions {
  /** The view as passed to views.open plus the id Slack gave it, or the fake Slack's record of it. */
  view: OpenedView | RecordedView;
  values: Record<string, Record<string, { type: "plain_text_input"; value: string | null }>>;
  user: Clicker;
  triggerId?: string;
  apiAppId?: string;
}

export function viewSubmissionPayload(options: ViewSubmissionOptions): Record<string, unknown> {
  const { user } = options;
  const view = asOpenedView(options.view);
  const teamId = user.teamId ?? DEFAULT_TEAM_ID;
  const username = user.username ?? user.id.toLowerCase();
  const appId = options.apiAppId ?? DEFAULT_APP_ID;

  // Slack reports every input block of the view, filled or not; inputs left empty come as null.
  const inputs = inputElements(view.blocks);
  const state: Record<string, Record<string, { type: string; value: string | null }>> = {};
  for (const input of inputs) {
    const block = state[input.blockId] ?? {};
    block[input.actionId] = { type: input.type, value: null };
    state[input.blockId] = block;
  }
  for (const [blockId, byAction] of Object.entries(options.values)) {
    for (const [actionId, entry] of Object.entries(byAction)) {
      const input = inputs.find((i) => i.blockId === blockId && i.actionId === actionId);
      if (!input) throw new Error(`view ${view.id} has no input ${blockId}.${actionId}`);
      if (input.type !== entry.type) {
        throw new Error(`input ${blockId}.${actionId} is a ${input.type}, not a ${entry.type}`);
      }
      (state[blockId] as Record<string, { type: string; value: string | null }>)[actionId] = {
        type: entry.type,
        value: entry.value === "" ? null : entry.value,
      };
    }
  }
  // Slack's client refuses to submit a required input that is empty (whitespace does get through).
  for (const input of inputs) {
    if (!input.optional && !state[input.blockId]?.[input.actionId]?.value) {
      throw new Error(
        `Slack would not submit view ${view.id}: required input ${input.blockId}.${input.actionId} is empty`,
      );
    }
  }

  const { id, ...opened } = view;
  return {
    type: "view_submission",
    team: { id: teamId, domain: "test-workspace" },
    user: { id: user.id, username, name: username, team_id: teamId },
    api_app_id: appId,
    token: "verification-token-unused",
    trigger_id: options.triggerId ?? triggerId(),
    view: {
      ...structuredClone(opened),
      id,
      team_id: teamId,
      type: view.type ?? "modal",
      private_metadata: view.private_metadata ?? "",
      callback_id: view.callback_id ?? "",
      state: { values: state },
      hash: view.hash ?? `${Math.floor(Date.now() / 1000)}.${randomBytes(6).toString("hex")}`,
      clear_on_close: view.clear_on_close ?? false,
      notify_on_close: view.notify_on_close ?? false,
      close: view.close ?? null,
      submit: view.submit ?? null,
      previous_view_id: null,
      root_view_id: id,
      app_id: view.app_id ?? appId,
      external_id: view.external_id ?? "",
      app_installed_team_id: teamId,
      bot_id: view.bot_id ?? "B0TESTBOT",
    },
    response_urls: [],
    is_enterprise_install: false,
    enterprise: null,
  };
}

function asOpenedView(view: OpenedView | RecordedView): OpenedView {
  if (Array.isArray((view as OpenedView).blocks)) return view as OpenedView;
  const recorded = view as RecordedView;
  if (!recorded.view || typeof recorded.view !== "object") throw new Error("view has no blocks");
  const opened: OpenedView = { ...(recorded.view as OpenedView), id: recorded.id };
  if (recorded.hash !== undefined) opened.hash = recorded.hash;
  return opened;
}

/** A trigger id in Slack's shape (`<digits>.<digits>.<hex>`). */
export function triggerId(): string {
  return `${digits(13)}.${digits(12)}.${randomBytes(16).toString("hex")}`;
}

function findButton(
  blocks: BlockJson[],
  actionId: string,
): { element: BlockJson; blockId: string } | undefined {
  for (const block of blocks ?? []) {
    const candidates =
      block?.type === "actions" ? (block.elements ?? []) : block?.accessory ? [block.accessory] : [];
    for (const element of candidates) {
      if (element?.type === "button" && element.action_id === actionId) {
        if (typeof block.block_id !== "string") {
          throw new Error(`the block holding "${actionId}" has no block_id; Slack always assigns one`);
        }
        return { element, blockId: block.block_id };
      }
    }
  }
  return undefined;
}

function inputElements(
  blocks: BlockJson[],
): Array<{ blockId: string; actionId: string; type: string; optional: boolean }> {
  const inputs = [];
  for (const block of blocks ?? []) {
    if (block?.type !== "input" || !block.element) continue;
    if (typeof block.block_id !== "string" || typeof block.element.action_id !== "string") {
      throw new Error("an input block without block_id/action_id cannot be read back from view.state");
    }
    inputs.push({
      blockId: block.block_id,
      actionId: block.element.action_id,
      type: block.element.type,
      optional: block.optional === true,
    });
  }
  return inputs;
}

function messageAsSlackSendsIt(message: PostedMessage): Record<string, unknown> {
  const out: Record<string, unknown> = {
    user: message.user,
    type: "message",
    ts: message.ts,
    bot_id: message.bot_id,
    app_id: message.app_id,
    text: message.text,
    team: message.team,
    blocks: structuredClone(message.blocks),
  };
  if (message.metadata !== undefined) out.metadata = structuredClone(message.metadata);
  if (message.thread_ts !== undefined) out.thread_ts = message.thread_ts;
  for (const key of Object.keys(out)) if (out[key] === undefined) delete out[key];
  return out;
}

function slackTs(): string {
  const ms = Date.now();
  return `${Math.floor(ms / 1000)}.${String((ms % 1000) * 1000 + Math.floor(Math.random() * 1000)).padStart(6, "0")}`;
}

function digits(n: number): string {
  let out = String(1 + Math.floor(Math.random() * 9));
  while (out.length < n) out += String(Math.floor(Math.random() * 10));
  return out;
}
