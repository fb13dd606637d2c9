// A fake Slack Web API on loopback, for tests and the sandbox. It answers like Slack: POST
// `/api/<method>` with the token in `Authorization: Bearer` (or a `token` form field), form or JSON
// bodies (form fields `blocks`, `metadata`, `view` hold JSON strings), HTTP 200 with `ok: false` and
// Slack's error names, 429 with Retry-After when rate limited. It enforces the limits Slack enforces,
// keeps the channel's messages (updated in place by chat.update), and records every call. A test can
// rate-limit one method (429 with Retry-After for that method only, as Slack limits per method).
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { BodyTooLargeError, readBody } from "../../app/slack/read-body.js";
import { listenOnLoopback } from "../loopback.js";
import { createSlackApps, type FakeSlackApp, type FakeSlackInstall } from "./slack-apps.js";
import { checkBlocks, checkModalView } from "./slack-blocks.js";

export type { FakeSlackApp, FakeSlackInstall } from "./slack-apps.js";

export const FAKE_TEAM_ID = "T0FAKETEAM";
export const FAKE_BOT_USER_ID = "U0BOT";
export const FAKE_BOT_ID = "B0BOT";
export const FAKE_APP_ID = "A0APP";
export const DEFAULT_BOT_TOKEN = "xoxb-test-token";
/** An app configuration token the fake accepts for `apps.manifest.create` unless told otherwise. */
export const DEFAULT_CONFIG_TOKEN = "xoxe.xoxp-1-test-config-token";
export const DEFAULT_CHANNEL_ID = "C0DEPLOYS";
/** Scopes a token has unless told otherwise; `chat:write.public` is left out on purpose. */
export const DEFAULT_SCOPES = [
  "chat:write",
  "users:read",
  "usergroups:read",
  "channels:history",
  "groups:history",
];
/** A trigger_id is good for this long, once. */
export const TRIGGER_TTL_MS = 3000;
const MAX_MESSAGE_TEXT = 40_000;
const MAX_BODY_BYTES = 5 * 1024 * 1024;

export interface FakeUser {
  name: string;
  realName?: string;
  isBot?: boolean;
  deleted?: boolean;
}

export interface FakeChannel {
  name: string;
  /** Whether the bot has joined (default true). Without it, posting needs `chat:write.public`. */
  memberOfBot?: boolean;
  /** Private channels the bot is not in look like they do not exist, as in Slack. */
  isPrivate?: boolean;
  /** Users in the channel (for ephemerals); default: every known user. */
  members?: string[];
}

export interface FakeSlackOptions {
  /** Valid bot tokens (default `['xoxb-test-token']`). */
  tokens?: string[];
  users?: Record<string, FakeUser>;
  usergroups?: Record<string, string[]>;
  /** Default: `C0DEPLOYS` named `deploys`, with the bot in it. */
  channels?: Record<string, FakeChannel>;
  /** The bot token's scopes (default DEFAULT_SCOPES). */
  scopes?: string[];
  /** Base of permalinks (default `https://fake-workspace.slack.com/`). */
  workspaceUrl?: string;
  /** App configuration tokens for `apps.manifest.create` (default `[DEFAULT_CONFIG_TOKEN]`). */
  configTokens?: string[];
  /** Seconds sent in Retry-After for injected rate limits (default 1). */
  retryAfterSeconds?: number;
  /** The workspace the bot token belongs to (default `T0FAKETEAM`). */
  teamId?: string;
  /** Set for a workspace in an Enterprise Grid organization; auth.test then reports it. */
  enterpriseId?: string;
  /** The Slack app's id (default `A0APP`): what messages and bots.info carry. */
  appId?: string;
  /** Milliseconds since the epoch; tests may move it to expire trigger ids. */
  clock?: () => number;
  port?: number;
}

export interface Call {
  method: string;
  token: string | undefined;
  /** Form or JSON body (and query), with `blocks`, `metadata`, `view` decoded from JSON where sent as strings. */
  body: Record<string, unknown>;
  at: Date;
}

export interface FakeMessage {
  type: "message";
  channel: string;
  ts: string;
  text: string;
  blocks: unknown[];
  metadata?: { event_type: string; event_payload: Record<string, unknown> };
  thread_ts?: string;
  user: string;
  bot_id: string;
  app_id: string;
  team: string;
  edited?: { user: string; ts: string };
}

export interface FakeEphemeral {
  channel: string;
  user: string;
  text: string;
  blocks: unknown[];
  ts: string;
  thread_ts?: string;
}

export interface FakeView {
  id: string;
  hash: string;
  view: Record<string, unknown>;
  trigger_id: string;
  user?: string;
}

export type FailureKind =
  | "ratelimited"
  | "server_error"
  | "invalid_auth"
  | "channel_not_found"
  | "not_in_channel";

export interface FakeSlack {
  /** `http://127.0.0.1:PORT/api/` */
  url: string;
  port: number;
  calls: Call[];
  messages: FakeMessage[];
  ephemerals: FakeEphemeral[];
  views: FakeView[];
  /** Apps created with `apps.manifest.create`, and their installs through OAuth (`oauth.v2.access`). */
  apps: FakeSlackApp[];
  installs: FakeSlackInstall[];
  /** The next `times` calls of `method` (or `*` for any) fail this way. */
  failNext(method: string, kind: FailureKind, times?: number): void;
  /**
   * Rate-limits one method as Slack does: for `seconds` (or for the next `times` calls, if given,
   * within that window), each call answers 429 with the seconds left in Retry-After, while every
   * other method keeps working.
   */
  rateLimit(method: string, options: { seconds: number; times?: number }): void;
  /** Lifts every rate limit set with rateLimit. */
  clearRateLimits(): void;
  /** A fresh trigger_id, valid for 3 s and one views.open, optionally tied to a user. */
  issueTriggerId(user?: string): string;
  /** Calls of one method, in order. */
  callsTo(method: string): Call[];
  close(): Promise<void>;
  /** Forgets calls, messages, ephemerals, views, pending failures, rate limits and trigger ids. */
  reset(): void;
}

class SlackApiError extends Error {
  constructor(
    readonly error: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(error);
  }
}

interface Trigger {
  issuedAt: number;
  used: boolean;
  user?: string;
}

type Handler = (body: Record<string, unknown>) => Record<string, unknown>;

/** Which scope each method needs; methods not listed need none. */
const REQUIRED_SCOPE: Record<string, string> = {
  "chat.postMessage": "chat:write",
  "chat.update": "chat:write",
  "chat.postEphemeral": "chat:write",
  "usergroups.users.list": "usergroups:read",
  "users.info": "users:read",
  "bots.info": "users:read",
};

export async function startFakeSlack(options: FakeSlackOptions = {}): Promise<FakeSlack> {
  const tokens = new Set(options.tokens ?? [DEFAULT_BOT_TOKEN]);
  let webUrl = "";
  const slackApps = createSlackApps({
    configTokens: new Set(options.configTokens ?? [DEFAULT_CONFIG_TOKEN]),
    botTokens: tokens,
    webUrl: () => webUrl,
    teamId: FAKE_TEAM_ID,
    teamName: "Fake Workspace",
    botUserId: FAKE_BOT_USER_ID,
    clock: options.clock ?? Date.now,
  });
  const scopes = new Set(options.scopes ?? DEFAULT_SCOPES);
  const clock = options.clock ?? Date.now;
  const workspaceUrl = options.workspaceUrl ?? "https://fake-workspace.slack.com/";
  const retryAfter = options.retryAfterSeconds ?? 1;
  const teamId = options.teamId ?? FAKE_TEAM_ID;
  const appId = options.appId ?? FAKE_APP_ID;
  const users: Record<string, FakeUser> = {
    [FAKE_BOT_USER_ID]: { name: "deploy-gate", realName: "Deploy Gate", isBot: true },
    ...options.users,
  };
  const usergroups = options.usergroups ?? {};
  const channels: Record<string, FakeChannel> = options.channels ?? {
    [DEFAULT_CHANNEL_ID]: { name: "deploys", memberOfBot: true },
  };

  const calls: Call[] = [];
  const messages: FakeMessage[] = [];
  const ephemerals: FakeEphemeral[] = [];
  const views: FakeView[] = [];
  const failures: Array<{ method: string; kind: FailureKind; left: number }> = [];
  const rateLimits = new Map<string, { until: number; left: number }>();
  const triggers = new Map<string, Trigger>();
  let lastMicros = 0;
  let viewCounter = 0;

  /** Slack timestamps: `seconds.micros`, unique and increasing. */
  const nextTs = (): string => {
    lastMicros = Math.max(clock() * 1000, lastMicros + 1);
    return `${Math.floor(lastMicros / 1e6)}.${String(lastMicros % 1e6).padStart(6, "0")}`;
  };

  const resolveChannel = (raw: unknown, forPosting: boolean): string => {
    if (typeof raw !== "string" || raw.trim() === "") throw new SlackApiError("channel_not_found");
    const id = channels[raw]
      ? raw
      : Object.entries(channels).find(([, c]) => c.name === raw.replace(/^#/, ""))?.[0];
    const channel = id ? channels[id] : undefined;
    if (!id || !channel) throw new SlackApiError("channel_not_found");
    const member = channel.memberOfBot ?? true;
    if (!member && channel.isPrivate) throw new SlackApiError("channel_not_found");
    if (!member && forPosting && !scopes.has("chat:write.public")) throw new SlackApiError("not_in_channel");
    return id;
  };

  const channelMembers = (id: string): string[] => {
    const channel = channels[id];
    return (
      channel?.members ??
      Object.entries(users)
        .filter(([, u]) => !u.isBot)
        .map(([uid]) => uid)
    );
  };

  const requireText = (body: Record<string, unknown>) => {
    const text = typeof body.text === "string" ? body.text : "";
    const hasBlocks = Array.isArray(body.blocks) && body.blocks.length > 0;
    if (!text && !hasBlocks) throw new SlackApiError("no_text");
    if (text.length > MAX_MESSAGE_TEXT) throw new SlackApiError("msg_too_long");
    return text;
  };

  const requireBlocks = (body: Record<string, unknown>): unknown[] | undefined => {
    if (body.blocks === undefined) return undefined;
    const errors = checkBlocks(body.blocks, "message");
    if (errors.length > 0) throw invalidWithMessages("invalid_blocks", errors);
    return body.blocks as unknown[];
  };

  const requireMetadata = (body: Record<string, unknown>): FakeMessage["metadata"] | undefined => {
    const m = body.metadata;
    if (m === undefined) return undefined;
    if (
      typeof m !== "object" ||
      m === null ||
      typeof (m as Json).event_type !== "string" ||
      typeof (m as Json).event_payload !== "object" ||
      (m as Json).event_payload === null
    ) {
      throw new SlackApiError("invalid_metadata_format");
    }
    const metadata = m as FakeMessage["metadata"] & Json;
    for (const value of Object.values(metadata.event_payload)) {
      // Slack keeps event_payload to a flat object of strings, numbers and booleans (or arrays of them).
      if (typeof value === "object" && value !== null && !Array.isArray(value)) {
        throw new SlackApiError("invalid_metadata_schema");
      }
    }
    return { event_type: metadata.event_type, event_payload: metadata.event_payload };
  };

  const findMessage = (channel: string, ts: unknown): FakeMessage => {
    const found = messages.find((m) => m.channel === channel && m.ts === ts);
    if (!found) throw new SlackApiError("message_not_found");
    return found;
  };

  const messageView = (m: FakeMessage) => ({ ...m, blocks: structuredClone(m.blocks) });

  const handlers: Record<string, Handler> = {
    "auth.test": () => ({
      url: workspaceUrl,
      team: "Fake Workspace",
      user: users[FAKE_BOT_USER_ID]?.name,
      team_id: teamId,
      user_id: FAKE_BOT_USER_ID,
      bot_id: FAKE_BOT_ID,
      ...(options.enterpriseId ? { enterprise_id: options.enterpriseId } : {}),
      is_enterprise_install: false,
    }),

    "bots.info": (body) => {
      // Without `bot`, Slack describes the calling bot.
      if (body.bot !== undefined && body.bot !== FAKE_BOT_ID) throw new SlackApiError("bot_not_found");
      return {
        bot: {
          id: FAKE_BOT_ID,
          deleted: false,
          name: users[FAKE_BOT_USER_ID]?.name,
          updated: Math.floor(clock() / 1000),
          app_id: appId,
          user_id: FAKE_BOT_USER_ID,
          icons: { image_36: "", image_48: "", image_72: "" },
        },
      };
    },

    "chat.postMessage": (body) => {
      const channel = resolveChannel(body.channel, true);
      const blocks = requireBlocks(body);
      const text = requireText(body);
      const metadata = requireMetadata(body);
      const message: FakeMessage = {
        type: "message",
        channel,
        ts: nextTs(),
        text,
        blocks: blocks ?? [],
        user: FAKE_BOT_USER_ID,
        bot_id: FAKE_BOT_ID,
        app_id: appId,
        team: teamId,
      };
      if (metadata) message.metadata = metadata;
      if (typeof body.thread_ts === "string" && body.thread_ts) {
        findMessage(channel, body.thread_ts);
        message.thread_ts = body.thread_ts;
      }
      messages.push(message);
      const { channel: _channel, ...rest } = messageView(message);
      return { channel, ts: message.ts, message: rest };
    },

    "chat.update": (body) => {
      const channel = resolveChannel(body.channel, false);
      if (typeof body.ts !== "string" || !body.ts) throw new SlackApiError("message_not_found");
      const message = findMessage(channel, body.ts);
      const blocks = requireBlocks(body);
      const text = requireText(body);
      const metadata = requireMetadata(body);
      message.text = text;
      if (blocks !== undefined) message.blocks = blocks;
      if (metadata) message.metadata = metadata;
      message.edited = { user: FAKE_BOT_USER_ID, ts: nextTs() };
      const { channel: _channel, ...rest } = messageView(message);
      return { channel, ts: message.ts, text: message.text, message: rest };
    },

    "chat.postEphemeral": (body) => {
      const channel = resolveChannel(body.channel, true);
      const user = body.user;
      if (typeof user !== "string" || !users[user]) throw new SlackApiError("user_not_found");
      if (!channelMembers(channel).includes(user)) throw new SlackApiError("user_not_in_channel");
      const blocks = requireBlocks(body);
      const text = requireText(body);
      const ephemeral: FakeEphemeral = { channel, user, text, blocks: blocks ?? [], ts: nextTs() };
      if (typeof body.thread_ts === "string" && body.thread_ts) ephemeral.thread_ts = body.thread_ts;
      ephemerals.push(ephemeral);
      return { message_ts: ephemeral.ts };
    },

    // One channel's messages, newest first (thread replies are not listed), as Slack pages them; the
    // bot reads public channels with channels:history and private ones with groups:history, as a member.
    "conversations.history": (body) => {
      const channel = resolveChannel(body.channel, false);
      const needed = channels[channel]?.isPrivate ? "groups:history" : "channels:history";
      if (!scopes.has(needed))
        throw new SlackApiError("missing_scope", { needed, provided: [...scopes].join(",") });
      if ((channels[channel]?.memberOfBot ?? true) === false) throw new SlackApiError("not_in_channel");
      const inclusive = body.inclusive === true || body.inclusive === "true" || body.inclusive === "1";
      const latest = body.latest === undefined ? Number.POSITIVE_INFINITY : Number(body.latest);
      const oldest = body.oldest === undefined ? 0 : Number(body.oldest);
      const limit = Math.min(Math.max(Number(body.limit ?? 100) || 100, 1), 999);
      const withMetadata = body.include_all_metadata === true || body.include_all_metadata === "true";
      const within = messages
        .filter((m) => m.channel === channel && !m.thread_ts)
        .filter((m) => {
          const ts = Number(m.ts);
          return (inclusive ? ts <= latest : ts < latest) && (inclusive ? ts >= oldest : ts > oldest);
        })
        .reverse();
      const page = within.slice(0, limit).map((m) => {
        const { channel: _channel, metadata, ...rest } = messageView(m);
        return withMetadata && metadata ? { ...rest, metadata } : rest;
      });
      return { messages: page, has_more: within.length > limit, pin_count: 0 };
    },

    "chat.getPermalink": (body) => {
      const channel = resolveChannel(body.channel, false);
      const message = findMessage(channel, body.message_ts);
      const base = `${workspaceUrl.replace(/\/+$/, "")}/archives/${channel}/p${message.ts.replace(".", "")}`;
      const permalink = message.thread_ts ? `${base}?thread_ts=${message.thread_ts}&cid=${channel}` : base;
      return { channel, permalink };
    },

    "views.open": (body) => {
      const triggerId = body.trigger_id;
      if (typeof triggerId !== "string" || !triggerId)
        throw invalidWithMessages("invalid_arguments", ["[ERROR] missing required field: trigger_id"]);
      const trigger = triggers.get(triggerId);
      if (!trigger) throw new SlackApiError("invalid_trigger_id");
      if (trigger.used || clock() - trigger.issuedAt > TRIGGER_TTL_MS)
        throw new SlackApiError("expired_trigger_id");
      const errors = checkModalView(body.view);
      if (errors.length > 0) throw invalidWithMessages("invalid_arguments", errors);
      trigger.used = true;
      viewCounter += 1;
      const record: FakeView = {
        id: `V${String(viewCounter).padStart(8, "0")}`,
        hash: `${Math.floor(clock() / 1000)}.${randomBytes(4).toString("hex")}`,
        view: body.view as Record<string, unknown>,
        trigger_id: triggerId,
      };
      if (trigger.user) record.user = trigger.user;
      views.push(record);
      return { view: viewResponse(record, teamId, appId) };
    },

    "views.update": (body) => {
      const record = views.find(
        (v) =>
          (typeof body.view_id === "string" && v.id === body.view_id) ||
          (typeof body.external_id === "string" && v.view.external_id === body.external_id),
      );
      if (!record) throw new SlackApiError("not_found");
      if (typeof body.hash === "string" && body.hash !== record.hash)
        throw new SlackApiError("hash_conflict");
      const errors = checkModalView(body.view);
      if (errors.length > 0) throw invalidWithMessages("invalid_arguments", errors);
      record.view = body.view as Record<string, unknown>;
      record.hash = `${Math.floor(clock() / 1000)}.${randomBytes(4).toString("hex")}`;
      return { view: viewResponse(record, teamId, appId) };
    },

    "usergroups.users.list": (body) => {
      const id = body.usergroup;
      if (typeof id !== "string" || !usergroups[id]) throw new SlackApiError("no_such_subteam");
      return { users: [...usergroups[id]] };
    },

    "users.info": (body) => {
      const id = body.user;
      const user = typeof id === "string" ? users[id] : undefined;
      if (!user || typeof id !== "string") throw new SlackApiError("user_not_found");
      const realName = user.realName ?? user.name;
      return {
        user: {
          id,
          team_id: teamId,
          name: user.name,
          deleted: user.deleted ?? false,
          real_name: realName,
          is_bot: user.isBot ?? false,
          is_app_user: false,
          profile: { real_name: realName, display_name: user.name, team: teamId },
        },
      };
    },
  };

  const takeFailure = (method: string): FailureKind | undefined => {
    const index = failures.findIndex((f) => f.method === method || f.method === "*");
    const failure = failures[index];
    if (!failure) return undefined;
    failure.left -= 1;
    if (failure.left <= 0) failures.splice(index, 1);
    return failure.kind;
  };

  /** Seconds left in the method's rate-limit window, or undefined when the call may proceed. */
  const rateLimitedFor = (method: string): number | undefined => {
    const limit = rateLimits.get(method);
    if (!limit) return undefined;
    const left = limit.until - clock();
    if (left <= 0 || limit.left <= 0) {
      rateLimits.delete(method);
      return undefined;
    }
    limit.left -= 1;
    return Math.max(1, Math.ceil(left / 1000));
  };

  const handleApi = async (req: IncomingMessage, res: ServerResponse, method: string, url: URL) => {
    let body: Record<string, unknown>;
    let token: string | undefined;
    try {
      ({ body, token } = await decodeRequest(req, url));
    } catch (error) {
      const code = error instanceof SlackApiError ? error.error : "invalid_form_data";
      calls.push({ method, token: undefined, body: {}, at: new Date(clock()) });
      return sendJson(res, 200, { ok: false, error: code });
    }
    calls.push({ method, token, body, at: new Date(clock()) });

    const limited = rateLimitedFor(method);
    if (limited !== undefined) {
      res.setHeader("Retry-After", String(limited));
      return sendJson(res, 429, { ok: false, error: "ratelimited" });
    }
    const failure = takeFailure(method);
    if (failure === "ratelimited") {
      res.setHeader("Retry-After", String(retryAfter));
      return sendJson(res, 429, { ok: false, error: "ratelimited" });
    }
    if (failure === "server_error") return sendJson(res, 500, { ok: false, error: "fatal_error" });
    if (failure) return sendJson(res, 200, { ok: false, error: failure });

    // App management authenticates with a configuration token or client credentials, not a bot token.
    const managed = slackApps.api(method, body, req.headers.authorization, token);
    if (managed) return sendJson(res, 200, managed);
    const handler = handlers[method];
    if (!handler) return sendJson(res, 200, { ok: false, error: "unknown_method" });
    if (!token) return sendJson(res, 200, { ok: false, error: "not_authed" });
    if (!tokens.has(token)) return sendJson(res, 200, { ok: false, error: "invalid_auth" });
    const needed = REQUIRED_SCOPE[method];
    if (needed && !scopes.has(needed)) {
      return sendJson(res, 200, {
        ok: false,
        error: "missing_scope",
        needed,
        provided: [...scopes].join(","),
      });
    }
    try {
      return sendJson(res, 200, { ok: true, ...handler(body) }, scopes);
    } catch (error) {
      if (error instanceof SlackApiError)
        return sendJson(res, 200, { ok: false, error: error.error, ...error.extra });
      throw error;
    }
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const route = async () => {
      if (url.pathname.startsWith("/api/")) {
        if (req.method !== "POST" && req.method !== "GET")
          return sendJson(res, 405, { ok: false, error: "method_not_allowed" });
        return handleApi(req, res, url.pathname.slice("/api/".length), url);
      }
      if (url.pathname === "/_fake/state" && req.method === "GET") {
        res.setHeader("Access-Control-Allow-Origin", "*");
        return sendJson(res, 200, { messages, ephemerals, views });
      }
      if (url.pathname === "/_fake/reset" && req.method === "POST") {
        req.resume();
        fake.reset();
        return sendJson(res, 200, { ok: true });
      }
      if (await slackApps.page(req, res, url)) return;
      req.resume();
      return sendJson(res, 404, { ok: false, error: "not_found" });
    };
    route().catch((error: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { ok: false, error: "fatal_error", detail: String(error) });
      else res.destroy();
    });
  });

  const port = await listenOnLoopback(server, options.port);
  webUrl = `http://127.0.0.1:${port}/`;

  const fake: FakeSlack = {
    url: `http://127.0.0.1:${port}/api/`,
    port,
    calls,
    messages,
    ephemerals,
    views,
    apps: slackApps.apps,
    installs: slackApps.installs,
    failNext(method, kind, times = 1) {
      failures.push({ method, kind, left: times });
    },
    rateLimit(method, { seconds, times }) {
      rateLimits.set(method, { until: clock() + seconds * 1000, left: times ?? Number.POSITIVE_INFINITY });
    },
    clearRateLimits() {
      rateLimits.clear();
    },
    issueTriggerId(user) {
      const id = `${Math.floor(clock() / 1000)}.${randomBytes(5).readUIntBE(0, 5)}.${randomBytes(16).toString("hex")}`;
      triggers.set(
        id,
        user === undefined ? { issuedAt: clock(), used: false } : { issuedAt: clock(), used: false, user },
      );
      return id;
    },
    callsTo(method) {
      return calls.filter((c) => c.method === method);
    },
    close() {
      return new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
    },
    reset() {
      // Emptied in place: callers hold references to these arrays.
      calls.length = 0;
      messages.length = 0;
      ephemerals.length = 0;
      views.length = 0;
      failures.length = 0;
      rateLimits.clear();
      triggers.clear();
    },
  };
  return fake;
}

type Json = Record<string, unknown>;

function invalidWithMessages(error: string, problems: string[]): SlackApiError {
  const messages = problems.map((m) => (m.startsWith("[ERROR]") ? m : `[ERROR] ${m}`));
  return new SlackApiError(error, { errors: problems, response_metadata: { messages } });
}

function viewResponse(record: FakeView, teamId: string, appId: string): Record<string, unknown> {
  return {
    ...record.view,
    id: record.id,
    team_id: teamId,
    app_id: appId,
    bot_id: FAKE_BOT_ID,
    hash: record.hash,
    state: { values: {} },
    private_metadata: record.view.private_metadata ?? "",
    callback_id: record.view.callback_id ?? "",
  };
}

/** Fields Slack expects as JSON inside a form body. */
const JSON_FIELDS = ["blocks", "metadata", "view", "attachments"];
const JSON_FIELD_ERRORS: Record<string, string> = {
  blocks: "invalid_blocks_format",
  metadata: "invalid_metadata_format",
  view: "invalid_arguments",
  attachments: "invalid_attachments",
};

async function decodeRequest(
  req: IncomingMessage,
  url: URL,
): Promise<{ body: Record<string, unknown>; token: string | undefined }> {
  const raw = await readBody(req, MAX_BODY_BYTES).catch((error: unknown) => {
    throw error instanceof BodyTooLargeError ? new SlackApiError("request_too_large") : error;
  });
  const contentType = (req.headers["content-type"] ?? "").split(";")[0]?.trim().toLowerCase();
  const body: Record<string, unknown> = Object.fromEntries(url.searchParams);
  if (contentType === "application/json" && raw.length > 0) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw.toString("utf8"));
    } catch {
      throw new SlackApiError("invalid_json");
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
      throw new SlackApiError("invalid_json");
    Object.assign(body, parsed);
    // Slack does not read a token from a JSON body: only the Authorization header counts.
    delete body.token;
  } else if (raw.length > 0) {
    Object.assign(body, Object.fromEntries(new URLSearchParams(raw.toString("utf8"))));
    for (const field of JSON_FIELDS) {
      const value = body[field];
      if (typeof value !== "string") continue;
      try {
        body[field] = JSON.parse(value);
      } catch {
        throw new SlackApiError(JSON_FIELD_ERRORS[field] ?? "invalid_arguments");
      }
    }
  }
  const header = req.headers.authorization;
  const bearer = header?.startsWith("Bearer ") ? header.slice("Bearer ".length).trim() : undefined;
  const token = bearer || (typeof body.token === "string" ? body.token : undefined);
  delete body.token;
  return { body, token };
}

function sendJson(res: ServerResponse, status: number, payload: unknown, scopes?: Set<string>): void {
  const body = JSON.stringify(payload);
  res.statusCode = status;
  res.setHeader("Content-Type", "application/json; charset=utf-8");
  if (scopes) res.setHeader("X-OAuth-Scopes", [...scopes].join(","));
  res.setHeader("Content-Length", Buffer.byteLength(body));
  res.end(body);
}
