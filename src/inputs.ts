// The action's inputs, read and validated before anything is sent anywhere. Every failure names the
// input and says what a valid value looks like, because the person reading it is editing a workflow.
import * as core from "@actions/core";
import type { Mode } from "../common/reference.js";

export const DEFAULT_SLACK_API_URL = "https://slack.com/api/";
export const AVAILABLE_MODES: readonly Mode[] = ["gate"];
export const UPCOMING_MODES: readonly Mode[] = ["wait", "dispatch"];
/** Enough for any reasonable audience, and keeps the mentions within one section. */
export const MAX_MENTIONS = 50;

export interface ActionInputs {
  slackBotToken: string;
  /** A channel ID (`C…`, `G…`, `D…`) or `#name`. */
  channel: string;
  environment: string;
  mode: Mode;
  message: string;
  mentions: string[];
  /** Always ends in `/`, as the Slack client expects. */
  slackApiUrl: string;
  githubToken: string;
}

export class InputError extends Error {
  override name = "InputError";
}

export type InputReader = (name: string) => string;

const defaultReader: InputReader = (name) => core.getInput(name);

const CHANNEL_ID = /^[CGD][A-Z0-9]{2,20}$/;
// Slack channel names: lower case letters, digits, `-`, `_` and `.`, at most 80 characters.
const CHANNEL_NAME = /^#[\p{Ll}\p{Lo}\p{N}_.-][\p{Ll}\p{Lo}\p{N}_.-]{0,79}$/u;
const USER_ID = /^[UW][A-Z0-9]{2,20}$/;
const GROUP_ID = /^S[A-Z0-9]{2,20}$/;

/**
 * Reads the token first and masks it before anything else can print it, then validates the rest.
 * Throws InputError with the fix.
 */
export function readInputs(read: InputReader = defaultReader): ActionInputs {
  const slackBotToken = read("slack-bot-token").trim();
  if (slackBotToken) core.setSecret(slackBotToken);
  const githubToken = read("github-token").trim();
  if (githubToken) core.setSecret(githubToken);

  if (!slackBotToken) {
    throw new InputError(
      "Input `slack-bot-token` is required: pass your Slack app's Bot User OAuth Token from a secret, " +
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub expression for the user to copy
        "e.g. `slack-bot-token: ${{ secrets.SLACK_BOT_TOKEN }}`.",
    );
  }
  if (/\s/.test(slackBotToken)) {
    throw new InputError(
      "Input `slack-bot-token` contains whitespace: copy the token again, without spaces or line breaks.",
    );
  }

  return {
    slackBotToken,
    channel: parseChannel(read("channel")),
    environment: parseEnvironment(read("environment")),
    mode: parseMode(read("mode")),
    message: read("message"),
    mentions: parseMentions(read("mention")),
    slackApiUrl: parseSlackApiUrl(read("slack-api-url")),
    githubToken,
  };
}

export function parseChannel(raw: string): string {
  const channel = raw.trim();
  if (!channel) {
    throw new InputError(
      "Input `channel` is required: a Slack channel ID such as `C0123ABCD` or a name such as `#deploys`.",
    );
  }
  if (CHANNEL_ID.test(channel) || CHANNEL_NAME.test(channel)) return channel;
  if (CHANNEL_NAME.test(`#${channel}`) && !channel.startsWith("#")) {
    throw new InputError(
      `Input \`channel\` is "${clip(channel)}": write a channel name with its \`#\`, as \`#${clip(channel)}\`, or use the channel ID (C…).`,
    );
  }
  throw new InputError(
    `Input \`channel\` is "${clip(channel)}", which is neither a channel ID (like \`C0123ABCD\`, shown in the channel's details in Slack) nor a \`#name\` (lower case, no spaces).`,
  );
}

export function parseEnvironment(raw: string): string {
  const environment = raw.trim();
  if (!environment) {
    throw new InputError(
      "Input `environment` is required: the name of the GitHub environment the deploy job uses, e.g. `production`.",
    );
  }
  if (environment.length > 255 || /\p{Cc}/u.test(environment)) {
    throw new InputError(
      "Input `environment` must be a GitHub environment name: at most 255 characters, on one line.",
    );
  }
  return environment;
}

export function parseMode(raw: string): Mode {
  const mode = raw.trim() || "gate";
  if ((AVAILABLE_MODES as readonly string[]).includes(mode)) return mode as Mode;
  const available = AVAILABLE_MODES.map((m) => `\`${m}\``).join(", ");
  const upcoming = UPCOMING_MODES.map((m) => `\`${m}\``).join(" and ");
  if ((UPCOMING_MODES as readonly string[]).includes(mode)) {
    throw new InputError(
      `Input \`mode\` is \`${mode}\`, which this version does not support yet. Available: ${available}. ${upcoming} are coming in a later release.`,
    );
  }
  throw new InputError(
    `Input \`mode\` is "${clip(mode)}", which is not a mode. Available: ${available} (the default). ${upcoming} are coming in a later release.`,
  );
}

/** Comma- (or newline-) separated Slack user IDs (`U…`, `W…`) and user group IDs (`S…`). */
export function parseMentions(raw: string): string[] {
  const items = raw
    .split(/[,\n]/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  const bad = items.filter((id) => !USER_ID.test(id) && !GROUP_ID.test(id));
  if (bad.length > 0) {
    throw new InputError(
      `Input \`mention\` has ${bad.map((b) => `"${clip(b)}"`).join(", ")}: list Slack user IDs (U… or W…, from a profile's ⋮ menu → Copy member ID) ` +
        "and user group IDs (S…), separated by commas. Names and @handles do not work.",
    );
  }
  const unique = [...new Set(items)];
  if (unique.length > MAX_MENTIONS) {
    throw new InputError(
      `Input \`mention\` lists ${unique.length} IDs; at most ${MAX_MENTIONS} fit. Mention a user group (S…) instead.`,
    );
  }
  return unique;
}

export function parseSlackApiUrl(raw: string): string {
  const value = raw.trim() || DEFAULT_SLACK_API_URL;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InputError(
      `Input \`slack-api-url\` is "${clip(value)}", which is not a URL. Leave it out to use ${DEFAULT_SLACK_API_URL}.`,
    );
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new InputError(`Input \`slack-api-url\` must be an http(s) URL such as ${DEFAULT_SLACK_API_URL}.`);
  }
  if (url.username || url.password || url.search || url.hash) {
    throw new InputError(
      "Input `slack-api-url` must be a plain base URL, without credentials, query or fragment.",
    );
  }
  return url.href.endsWith("/") ? url.href : `${url.href}/`;
}

function clip(s: string): string {
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
