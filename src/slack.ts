// The Slack Web API calls the action makes. Retries are bounded on purpose: the client's default
// policy retries 5xx and 429 for about half an hour, which would hold a runner hostage.
import * as core from "@actions/core";
import { type Logger, type LogLevel, WebClient } from "@slack/web-api";
import type { RequestMessage } from "../common/message.js";
import { proxyFetchFor } from "./proxy.js";

/** Three attempts, 0.5 s then 1 s apart: a brief Slack hiccup is absorbed, an outage fails fast. */
export const RETRY_CONFIG = { retries: 2, factor: 2, minTimeout: 500, maxTimeout: 2000, randomize: false };
/** Per HTTP request; Slack answers in well under a second when it is healthy. */
export const REQUEST_TIMEOUT_MS = 15_000;

export function createSlackClient(token: string, slackApiUrl: string): WebClient {
  return new WebClient(token, {
    slackApiUrl,
    logger: debugLogger(),
    retryConfig: RETRY_CONFIG,
    // A 429 fails at once with the Retry-After Slack sent, instead of sleeping inside the step.
    rejectRateLimitedCalls: true,
    timeout: REQUEST_TIMEOUT_MS,
    fetch: proxyFetchFor(slackApiUrl),
  });
}

export interface PostedMessage {
  channelId: string;
  ts: string;
}

export async function postRequestMessage(
  client: WebClient,
  channel: string,
  message: RequestMessage,
): Promise<PostedMessage> {
  const result = await client.chat.postMessage({
    channel,
    text: message.text,
    blocks: message.blocks,
    metadata: message.metadata,
    // Links to GitHub would unfurl into large previews that push the buttons out of sight.
    unfurl_links: false,
    unfurl_media: false,
  });
  if (!result.channel || !result.ts)
    throw new Error("Slack accepted the message but did not say where it is");
  return { channelId: result.channel, ts: result.ts };
}

export async function permalinkFor(client: WebClient, posted: PostedMessage): Promise<string> {
  const result = await client.chat.getPermalink({ channel: posted.channelId, message_ts: posted.ts });
  if (!result.permalink) throw new Error("Slack returned no permalink");
  return result.permalink;
}

/**
 * The client's own log lines (it redacts the token) go to the step's debug log, and only when step
 * debugging is on: they include whole request bodies, too much for every run's log.
 */
function debugLogger(): Logger {
  let level = "debug" as LogLevel;
  const log = (parts: unknown[]) => {
    if (core.isDebug()) core.debug(`slack: ${parts.map(String).join(" ")}`);
  };
  return {
    debug: (...msg) => log(msg),
    info: (...msg) => log(msg),
    warn: (...msg) => log(msg),
    error: (...msg) => log(msg),
    setLevel: (l) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => {},
  };
}
