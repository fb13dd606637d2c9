// Turns what went wrong into what to do about it. Slack's error codes stay in the text (in
// parentheses) so they can be searched for; the rest of each line is the fix.

export interface ErrorContext {
  /** The `channel` input as given. */
  channel: string;
  /** The Slack API base URL in use. */
  slackApiUrl: string;
  /** Attempts made for retryable failures, for the message. */
  attempts: number;
}

interface SlackLikeError {
  code?: unknown;
  data?: { error?: unknown; needed?: unknown; errors?: unknown; response_metadata?: { messages?: unknown } };
  retryAfter?: unknown;
  statusCode?: unknown;
  original?: unknown;
  message?: unknown;
}

const TOKEN_ERRORS = new Set([
  "invalid_auth",
  "not_authed",
  "account_inactive",
  "token_revoked",
  "token_expired",
]);
const MESSAGE_ERRORS = new Set([
  "msg_too_long",
  "invalid_blocks",
  "invalid_blocks_format",
  "invalid_metadata_format",
]);

/** A one-paragraph explanation of a failed Slack call, naming the fix. Never includes the token. */
export function explainSlackError(error: unknown, ctx: ErrorContext): string {
  const e = (error ?? {}) as SlackLikeError;
  switch (e.code) {
    case "slack_webapi_platform_error":
      return explainPlatformError(String(e.data?.error ?? "unknown_error"), e.data ?? {}, ctx);
    case "slack_webapi_rate_limited_error":
      return rateLimited(typeof e.retryAfter === "number" ? e.retryAfter : undefined);
    case "slack_webapi_http_error": {
      const status = Number(e.statusCode);
      if (status >= 500) {
        return (
          `Slack answered HTTP ${status} ${ctx.attempts} times in a row, so the request was not posted. ` +
          "Slack may be having trouble (https://slack-status.com): re-run the job in a few minutes." +
          customUrlHint(ctx)
        );
      }
      return `Slack's API at ${ctx.slackApiUrl} answered HTTP ${status}. Check the \`slack-api-url\` input: it must be the Web API base URL, e.g. https://slack.com/api/.`;
    }
    case "slack_webapi_request_error": {
      const cause = e.original instanceof Error ? e.original.message : String(e.message ?? "");
      return (
        `Could not reach Slack at ${ctx.slackApiUrl} after ${ctx.attempts} attempts (${oneLine(cause)}). ` +
        "Check the `slack-api-url` input and that the runner can reach it (proxy, firewall)."
      );
    }
    default:
      return `Posting to Slack failed: ${oneLine(error instanceof Error ? error.message : String(error))}`;
  }
}

function explainPlatformError(
  code: string,
  data: NonNullable<SlackLikeError["data"]>,
  ctx: ErrorContext,
): string {
  if (TOKEN_ERRORS.has(code)) {
    return (
      `Slack rejected the bot token (${code}). Set the \`slack-bot-token\` input to your Slack app's Bot User OAuth Token ` +
      "(starts with `xoxb-`, under OAuth & Permissions), stored as a repository or organization secret; " +
      "if the app was uninstalled or the token revoked, reinstall the app and update the secret."
    );
  }
  if (MESSAGE_ERRORS.has(code)) {
    const details = Array.isArray(data.errors) ? ` ${data.errors.map(String).map(oneLine).join("; ")}` : "";
    return (
      `Slack refused the message (${code}).${details} Shorten the \`message\` input; if the step still fails, ` +
      "please report it as a bug in slack-deploy-gate with this error."
    );
  }
  switch (code) {
    case "channel_not_found":
      return (
        `Slack cannot find the channel "${ctx.channel}" (channel_not_found). Use the channel ID (like C0123ABCD, ` +
        "at the bottom of the channel's details) or its exact #name; for a private channel, invite the app first " +
        "with `/invite @your-app` in it."
      );
    case "not_in_channel":
      return (
        `The Slack app is not a member of "${ctx.channel}" (not_in_channel). Invite it with \`/invite @your-app\` ` +
        "in that channel, or add the `chat:write.public` bot scope to the app and reinstall it (public channels only)."
      );
    case "is_archived":
      return `The channel "${ctx.channel}" is archived (is_archived). Unarchive it or set \`channel\` to another one.`;
    case "restricted_action":
    case "restricted_action_read_only_channel":
    case "restricted_action_non_threadable_channel":
      return `Workspace settings do not let the app post in "${ctx.channel}" (${code}). Ask a Slack admin, or use another channel.`;
    case "missing_scope": {
      const needed = typeof data.needed === "string" ? data.needed : "chat:write";
      return (
        `The Slack app is missing the \`${needed}\` scope (missing_scope). Add it under OAuth & Permissions → ` +
        "Bot Token Scopes (the manifest in this repository lists what is needed), reinstall the app, and update the token secret."
      );
    }
    case "ratelimited":
      return rateLimited(undefined);
    case "ekm_access_denied":
    case "team_access_not_granted":
      return `Slack denied access to the workspace (${code}). A Slack admin must allow the app.`;
    default:
      return `Slack refused to post the request (${code}). See https://docs.slack.dev/reference/methods/chat.postMessage for what it means.`;
  }
}

function rateLimited(retryAfter: number | undefined): string {
  const wait = retryAfter !== undefined ? ` and asked to wait ${retryAfter} s` : "";
  return (
    `Slack rate-limited the request (ratelimited)${wait}. Re-run the job shortly; if it keeps happening, ` +
    "something else is posting a lot with the same token."
  );
}

function customUrlHint(ctx: ErrorContext): string {
  return ctx.slackApiUrl === "https://slack.com/api/"
    ? ""
    : ` If ${ctx.slackApiUrl} is not Slack, check the \`slack-api-url\` input.`;
}

function oneLine(s: string): string {
  const line = s.replace(/\s+/g, " ").trim();
  return line.length > 300 ? `${line.slice(0, 297)}...` : line;
}
