// The App's side of the Slack Web API: the handful of calls it makes. Slack limits each method on its
// own, so a rate limit is never waited out inside the client (which would pause every method behind
// it): a 429 is thrown at once with its Retry-After, and the caller decides — an effect is scheduled
// for later, a click's ephemeral reply or form goes on at once. Group members and display names are
// cached (lru-cache, concurrent look-ups shared).
import { LogLevel, WebClient } from "@slack/web-api";
import { LRUCache } from "lru-cache";

export interface SlackApi {
  /** Posts a message (an App-posted request); returns where Slack put it. */
  postMessage(message: {
    channel: string;
    text: string;
    blocks: unknown[];
    metadata?: { event_type: string; event_payload: Record<string, unknown> };
  }): Promise<{ channel: string; ts: string }>;
  updateMessage(channel: string, ts: string, text: string, blocks: unknown[]): Promise<void>;
  /**
   * One message of a channel as Slack holds it (conversations.history at `ts`, with its metadata);
   * undefined when it is not there. Throws when Slack will not say (no history scope, not a member).
   */
  readMessage(channel: string, ts: string): Promise<PostedMessage | undefined>;
  postThreadReply(channel: string, threadTs: string, text: string): Promise<void>;
  /** `blocks`, when given, are what Slack shows; `text` is then the notification's fallback. */
  postEphemeral(channel: string, user: string, text: string, blocks?: unknown[]): Promise<void>;
  /** Returns the opened view's id. */
  openModal(triggerId: string, view: object): Promise<string | undefined>;
  updateModal(viewId: string, view: object): Promise<void>;
  groupMembers(groupId: string): Promise<string[]>;
  /** The person's display name; undefined when Slack cannot say within `timeoutMs`. */
  userName(userId: string, timeoutMs: number): Promise<string | undefined>;
  /** A link to a message (chat.getPermalink); undefined when Slack cannot say. */
  permalink(channel: string, ts: string): Promise<string | undefined>;
}

export interface PostedMessage {
  ts: string;
  /** The Slack app that posted it, when an app did. */
  appId: string | undefined;
  blocks: unknown[];
  metadata: { event_type?: unknown; event_payload?: unknown } | undefined;
}

export interface SlackApiOptions {
  token: string;
  apiUrl: string;
  groupTtlMs?: number;
}

export function createSlackApi(options: SlackApiOptions): SlackApi {
  const common = {
    slackApiUrl: options.apiUrl,
    rejectRateLimitedCalls: true,
    logLevel: LogLevel.ERROR,
  };
  // Someone is waiting for these (a form must open within the trigger's 3 s): one quick retry.
  const interactive = new WebClient(options.token, {
    ...common,
    retryConfig: { retries: 1, factor: 1, minTimeout: 200, maxTimeout: 200, randomize: false },
    timeout: 2_500,
  });
  // Message updates and thread replies are effects: the effect runner retries them, so no retry here.
  const durable = new WebClient(options.token, {
    ...common,
    retryConfig: { retries: 0 },
    timeout: 10_000,
  });

  const groups = new LRUCache<string, string[]>({
    max: 1_000,
    ttl: options.groupTtlMs ?? 5 * 60_000,
    fetchMethod: async (group) => (await interactive.usergroups.users.list({ usergroup: group })).users ?? [],
  });
  const names = new LRUCache<string, string>({
    max: 10_000,
    ttl: 60 * 60_000,
    fetchMethod: async (user) => {
      const r = await durable.users.info({ user });
      return r.user?.profile?.display_name || r.user?.real_name || r.user?.name || undefined;
    },
  });

  return {
    async postMessage(message) {
      const result = await durable.chat.postMessage({
        channel: message.channel,
        text: message.text,
        blocks: message.blocks as never,
        ...(message.metadata ? { metadata: message.metadata as never } : {}),
        unfurl_links: false,
        unfurl_media: false,
      });
      if (!result.ts || !result.channel)
        throw Object.assign(new Error("no ts"), { data: { error: "no_ts" } });
      return { channel: result.channel, ts: result.ts };
    },
    async readMessage(channel, ts) {
      const result = await durable.conversations.history({
        channel,
        latest: ts,
        oldest: ts,
        inclusive: true,
        limit: 1,
        include_all_metadata: true,
      });
      const message = result.messages?.find((m) => m.ts === ts);
      if (!message) return undefined;
      const raw = message as { app_id?: string; blocks?: unknown[]; metadata?: PostedMessage["metadata"] };
      return { ts, appId: raw.app_id, blocks: raw.blocks ?? [], metadata: raw.metadata };
    },
    async updateMessage(channel, ts, text, blocks) {
      await durable.chat.update({ channel, ts, text, blocks: blocks as never });
    },
    async postThreadReply(channel, threadTs, text) {
      await durable.chat.postMessage({
        channel,
        thread_ts: threadTs,
        text,
        unfurl_links: false,
        unfurl_media: false,
      });
    },
    async postEphemeral(channel, user, text, blocks) {
      await interactive.chat.postEphemeral({
        channel,
        user,
        text,
        ...(blocks ? { blocks: blocks as never } : {}),
      });
    },
    async openModal(triggerId, view) {
      const result = await interactive.views.open({ trigger_id: triggerId, view: view as never });
      return result.view?.id;
    },
    async updateModal(viewId, view) {
      await interactive.views.update({ view_id: viewId, view: view as never });
    },
    async groupMembers(groupId) {
      return (await groups.fetch(groupId)) ?? [];
    },
    async permalink(channel, ts) {
      const result = await durable.chat.getPermalink({ channel, message_ts: ts }).catch(() => undefined);
      return result?.permalink || undefined;
    },
    async userName(userId, timeoutMs) {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), timeoutMs);
      });
      try {
        return await Promise.race([names.fetch(userId).catch(() => undefined), late]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

export type SlackFailure =
  /** Slack asked to wait: `retryAfterMs` from its Retry-After. */
  | { kind: "rate_limited"; retryAfterMs: number; code: string }
  /** The target is gone or the bot may not write there: asking again gets the same answer. */
  | { kind: "permanent"; code: string }
  /** 5xx, timeout, no answer, or an error Slack may not repeat. */
  | { kind: "transient"; code: string };

const PERMANENT = new Set([
  "channel_not_found",
  "message_not_found",
  "cant_update_message",
  "edit_window_closed",
  "is_archived",
  "not_in_channel",
  "thread_not_found",
  "user_not_found",
  "user_not_in_channel",
  "invalid_auth",
  "account_inactive",
  "token_revoked",
  "missing_scope",
  "not_authed",
  "invalid_blocks",
  "msg_too_long",
  "no_text",
]);

export function classifySlackError(error: unknown): SlackFailure {
  const code = slackErrorCode(error);
  const retryAfter = (error as { retryAfter?: unknown } | null)?.retryAfter;
  if (typeof retryAfter === "number") {
    return { kind: "rate_limited", retryAfterMs: retryAfter * 1000, code: "ratelimited" };
  }
  if (code === "ratelimited") return { kind: "rate_limited", retryAfterMs: 1000, code };
  if (PERMANENT.has(code)) return { kind: "permanent", code };
  return { kind: "transient", code };
}

/** Slack's error code for a failed call (`channel_not_found`…), or a short description. */
export function slackErrorCode(error: unknown): string {
  const data = (error as { data?: { error?: string } } | null)?.data;
  if (data?.error) return data.error;
  const code = (error as { code?: string } | null)?.code;
  return code ?? (error instanceof Error ? error.message : String(error));
}
