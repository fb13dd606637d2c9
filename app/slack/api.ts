// The App's side of the Slack Web API: the handful of calls it makes, with bounded retries so a
// failing Slack delays an update by seconds, not minutes.
import { LogLevel, WebClient } from "@slack/web-api";

export interface SlackApi {
  updateMessage(channel: string, ts: string, text: string, blocks: unknown[]): Promise<void>;
  postThreadReply(channel: string, threadTs: string, text: string): Promise<void>;
  postEphemeral(channel: string, user: string, text: string): Promise<void>;
  /** Returns the opened view's id. */
  openModal(triggerId: string, view: object): Promise<string | undefined>;
  updateModal(viewId: string, view: object): Promise<void>;
  groupMembers(groupId: string): Promise<string[]>;
  userName(userId: string): Promise<string | undefined>;
}

export interface SlackApiOptions {
  token: string;
  apiUrl: string;
  groupTtlMs?: number;
  now?: () => number;
}

export function createSlackApi(options: SlackApiOptions): SlackApi {
  const client = new WebClient(options.token, {
    slackApiUrl: options.apiUrl,
    // Two quick retries on 5xx/429/network errors, then give up: the caller reports the failure.
    retryConfig: { retries: 2, factor: 2, minTimeout: 250, maxTimeout: 1000, randomize: false },
    timeout: 10_000,
    logLevel: LogLevel.ERROR,
  });
  const now = options.now ?? Date.now;
  const groupTtl = options.groupTtlMs ?? 5 * 60_000;
  const groups = new Map<string, { members: Promise<string[]>; expires: number }>();
  const names = new Map<string, Promise<string | undefined>>();

  return {
    async updateMessage(channel, ts, text, blocks) {
      await client.chat.update({ channel, ts, text, blocks: blocks as never });
    },
    async postThreadReply(channel, threadTs, text) {
      await client.chat.postMessage({
        channel,
        thread_ts: threadTs,
        text,
        unfurl_links: false,
        unfurl_media: false,
      });
    },
    async postEphemeral(channel, user, text) {
      await client.chat.postEphemeral({ channel, user, text });
    },
    async openModal(triggerId, view) {
      const result = await client.views.open({ trigger_id: triggerId, view: view as never });
      return result.view?.id;
    },
    async updateModal(viewId, view) {
      await client.views.update({ view_id: viewId, view: view as never });
    },
    groupMembers(groupId) {
      const cached = groups.get(groupId);
      if (cached && cached.expires > now()) return cached.members;
      // Cached as a promise so a burst of clicks makes one call; an error is not kept.
      const members = client.usergroups.users
        .list({ usergroup: groupId })
        .then((result) => result.users ?? [])
        .catch((error: unknown) => {
          groups.delete(groupId);
          throw error;
        });
      groups.set(groupId, { members, expires: now() + groupTtl });
      return members;
    },
    userName(userId) {
      // Shared by concurrent callers; a failed look-up is not kept.
      let name = names.get(userId);
      if (!name) {
        name = client.users
          .info({ user: userId })
          .then((r) => r.user?.profile?.display_name || r.user?.real_name || r.user?.name || undefined)
          .catch(() => undefined);
        names.set(userId, name);
        void name.then((n) => {
          if (!n) names.delete(userId);
        });
      }
      return name;
    },
  };
}

/** Slack's error code for a failed call (`channel_not_found`…), or a short description. */
export function slackErrorCode(error: unknown): string {
  const data = (error as { data?: { error?: string } }).data;
  if (data?.error) return data.error;
  const code = (error as { code?: string }).code;
  return code ?? (error instanceof Error ? error.message : String(error));
}
