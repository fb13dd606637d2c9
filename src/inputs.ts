// The action's inputs, read and validated before anything is sent anywhere. Every failure names the
// input and says what a valid value looks like, because the person reading it is editing a workflow.
// Which inputs are needed depends on the mode; a mode's inputs are all checked before anything is posted.
import * as core from "@actions/core";
import { DispatchTargetError, parseDispatchRef, parseWorkflowFile } from "../common/dispatch.js";
import type { Mode } from "../common/reference.js";
import { formatDuration, parseDuration } from "./duration.js";

export const DEFAULT_SLACK_API_URL = "https://slack.com/api/";
/** `gate`, `wait` and `dispatch` post a request; `verify` checks one, in the workflow dispatch mode starts. */
export type ActionMode = Mode | "verify";
export const ACTION_MODES: readonly ActionMode[] = ["gate", "wait", "dispatch", "verify"];
/** Enough for any reasonable audience, and keeps the mentions within one section. */
export const MAX_MENTIONS = 50;
export const DEFAULT_TIMEOUT_MS = 60 * 60_000;
export const DEFAULT_POLL_INTERVAL_MS = 10_000;
/** GitHub's limits on one job's execution time: hosted runners 6 hours, self-hosted runners 5 days. */
export const HOSTED_JOB_LIMIT_MS = 6 * 3_600_000;
export const SELF_HOSTED_JOB_LIMIT_MS = 5 * 86_400_000;
export const MIN_POLL_INTERVAL_MS = 1000;
export const MAX_POLL_INTERVAL_MS = 10 * 60_000;

/** What posting a request needs (every mode but `verify`). */
export interface PostInputs {
  slackBotToken: string;
  /** A channel ID (`C…`, `G…`, `D…`) or `#name`. */
  channel: string;
  message: string;
  mentions: string[];
  /** Always ends in `/`, as the Slack client expects. */
  slackApiUrl: string;
}

export interface WaitInputs {
  appId: number;
  timeoutMs: number;
  pollIntervalMs: number;
}

export interface DispatchInputs {
  workflow: string;
  /** Undefined: the run's own branch or tag. */
  ref: string | undefined;
}

export interface VerifyInputs {
  appId: number;
  requestId: string;
}

export interface ActionInputs {
  mode: ActionMode;
  environment: string;
  githubToken: string;
  /** Absent in `verify` mode, which posts nothing. */
  post: PostInputs | undefined;
  wait: WaitInputs | undefined;
  dispatch: DispatchInputs | undefined;
  verify: VerifyInputs | undefined;
  /** Inputs given that this mode does not use, to mention in the log. */
  ignored: string[];
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
const REQUEST_ID = /^[A-Za-z0-9_-]{8,64}$/;

/** What every mode that posts the request reads. */
const POST_INPUTS = ["slack-bot-token", "channel", "message", "mention", "slack-api-url"];
/** Inputs each mode reads beyond `mode`, `environment` and `github-token`. */
const MODE_INPUTS: Record<ActionMode, readonly string[]> = {
  gate: POST_INPUTS,
  wait: [...POST_INPUTS, "app-id", "timeout", "poll-interval"],
  dispatch: [...POST_INPUTS, "dispatch-workflow", "dispatch-ref"],
  verify: ["app-id", "request-id"],
};
/** Every input some mode reads, in the order the modes above name them. */
const ALL_OPTIONAL = [...new Set(Object.values(MODE_INPUTS).flat())];

/**
 * Reads the tokens first and masks them before anything else can print them, then validates the rest.
 * Throws InputError with the fix. `env` supplies RUNNER_ENVIRONMENT (which job time limit applies).
 */
export function readInputs(
  read: InputReader = defaultReader,
  env: NodeJS.ProcessEnv = process.env,
): ActionInputs {
  const slackBotToken = read("slack-bot-token").trim();
  if (slackBotToken) core.setSecret(slackBotToken);
  const githubToken = read("github-token").trim();
  if (githubToken) core.setSecret(githubToken);

  const mode = parseMode(read("mode"));
  const environment = parseEnvironment(read("environment"));
  const used = MODE_INPUTS[mode];
  // slack-api-url has a default in action.yml, so it always arrives; only name it when it was changed.
  const ignored = ALL_OPTIONAL.filter(
    (name) =>
      !used.includes(name) &&
      read(name).trim() !== "" &&
      !(name === "slack-api-url" && read(name).trim() === DEFAULT_SLACK_API_URL),
  );

  const inputs: ActionInputs = {
    mode,
    environment,
    githubToken,
    post: undefined,
    wait: undefined,
    dispatch: undefined,
    verify: undefined,
    ignored,
  };
  if (mode === "verify") {
    inputs.verify = {
      appId: parseAppId(read("app-id"), mode),
      requestId: parseRequestId(read("request-id")),
    };
    requireGithubToken(githubToken, mode);
    return inputs;
  }

  // Mode-specific inputs first: a wrong one fails the step before the token is even looked at.
  if (mode === "wait") {
    inputs.wait = {
      appId: parseAppId(read("app-id"), mode),
      timeoutMs: parseTimeout(read("timeout"), env),
      pollIntervalMs: parsePollInterval(read("poll-interval")),
    };
    requireGithubToken(githubToken, mode);
  }
  if (mode === "dispatch") {
    inputs.dispatch = parseDispatch(read("dispatch-workflow"), read("dispatch-ref"));
  }
  inputs.post = readPostInputs(read, slackBotToken);
  return inputs;
}

function readPostInputs(read: InputReader, slackBotToken: string): PostInputs {
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
    message: read("message"),
    mentions: parseMentions(read("mention")),
    slackApiUrl: parseSlackApiUrl(read("slack-api-url")),
  };
}

/** The input trimmed; an empty one stops the step with `missing`, which says what to give. */
function required(raw: string, missing: string): string {
  const value = raw.trim();
  if (!value) throw new InputError(missing);
  return value;
}

function requireGithubToken(token: string, mode: ActionMode): void {
  if (token) return;
  throw new InputError(
    `Input \`github-token\` is empty, and \`${mode}\` mode reads the App's check run with it: leave it out to use \`\${{ github.token }}\`, and give the job \`permissions: checks: read\`.`,
  );
}

/** The GitHub App's numeric ID (public: on the App's settings page). */
export function parseAppId(raw: string, mode: ActionMode): number {
  const value = required(
    raw,
    `Input \`app-id\` is required in \`${mode}\` mode: the numeric ID of the slack-deploy-gate GitHub App (its settings page shows it, under "App ID"). ` +
      "Only a check run written by that App counts as a decision.",
  );
  const id = Number(value);
  if (!/^\d{1,15}$/.test(value) || !Number.isSafeInteger(id) || id <= 0) {
    throw new InputError(
      `Input \`app-id\` is "${clip(value)}": give the App's numeric ID, such as \`123456\` (not its name or client ID).`,
    );
  }
  return id;
}

export function parseRequestId(raw: string): string {
  const value = required(
    raw,
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub expression for the user to copy
    "Input `request-id` is required in `verify` mode: pass the request ID the App dispatched this workflow with, e.g. `request-id: ${{ inputs.request-id }}`.",
  );
  if (!REQUEST_ID.test(value)) {
    throw new InputError(
      `Input \`request-id\` is "${clip(value)}", which is not a slack-deploy-gate request ID (8 to 64 letters, digits, \`-\` or \`_\`).`,
    );
  }
  return value;
}

/** The longest a job may run where this step runs: a timeout beyond it could never be reached. */
export function jobTimeLimitMs(env: NodeJS.ProcessEnv): number {
  return env.RUNNER_ENVIRONMENT === "self-hosted" ? SELF_HOSTED_JOB_LIMIT_MS : HOSTED_JOB_LIMIT_MS;
}

export function parseTimeout(raw: string, env: NodeJS.ProcessEnv = process.env): number {
  const value = raw.trim();
  if (!value) return DEFAULT_TIMEOUT_MS;
  const ms = parseDuration(value);
  const limit = jobTimeLimitMs(env);
  const where = limit === SELF_HOSTED_JOB_LIMIT_MS ? "on a self-hosted runner" : "on a GitHub-hosted runner";
  if (ms === undefined || ms < 1000) {
    throw new InputError(
      `Input \`timeout\` is "${clip(value)}", which is not a duration: write it as \`30m\`, \`2h\`, \`1h30m\` (units s, m, h, d), at most ${formatDuration(limit)} ${where}.`,
    );
  }
  if (ms > limit) {
    throw new InputError(
      `Input \`timeout\` is ${formatDuration(ms)}, longer than a job may run ${where} (${formatDuration(limit)}): GitHub would stop the job first. Use dispatch mode to wait longer without holding a runner.`,
    );
  }
  return ms;
}

export function parsePollInterval(raw: string): number {
  const value = raw.trim();
  if (!value) return DEFAULT_POLL_INTERVAL_MS;
  const ms = parseDuration(value);
  if (ms === undefined || ms < MIN_POLL_INTERVAL_MS || ms > MAX_POLL_INTERVAL_MS) {
    throw new InputError(
      `Input \`poll-interval\` is "${clip(value)}": write a duration from ${formatDuration(MIN_POLL_INTERVAL_MS)} to ${formatDuration(MAX_POLL_INTERVAL_MS)}, such as \`10s\` (the default) or \`1m\`.`,
    );
  }
  return ms;
}

export function parseDispatch(rawWorkflow: string, rawRef: string): DispatchInputs {
  if (!rawWorkflow.trim()) {
    throw new InputError(
      "Input `dispatch-workflow` is required in `dispatch` mode: the file name of the workflow to start on approval, in .github/workflows/ (e.g. `deploy.yml`). Its first step should be this action with `mode: verify`.",
    );
  }
  return {
    workflow: asInput("dispatch-workflow", () => parseWorkflowFile(rawWorkflow)),
    ref: rawRef.trim() ? asInput("dispatch-ref", () => parseDispatchRef(rawRef)) : undefined,
  };
}

function asInput<T>(input: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof DispatchTargetError) throw new InputError(`Input \`${input}\` is ${error.message}.`);
    throw error;
  }
}

export function parseChannel(raw: string): string {
  const channel = required(
    raw,
    "Input `channel` is required: a Slack channel ID such as `C0123ABCD` or a name such as `#deploys`.",
  );
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
  const environment = required(
    raw,
    "Input `environment` is required: the name of the GitHub environment the deploy job uses, e.g. `production`.",
  );
  if (environment.length > 255 || /\p{Cc}/u.test(environment)) {
    throw new InputError(
      "Input `environment` must be a GitHub environment name: at most 255 characters, on one line.",
    );
  }
  return environment;
}

export function parseMode(raw: string): ActionMode {
  const mode = raw.trim() || "gate";
  if ((ACTION_MODES as readonly string[]).includes(mode)) return mode as ActionMode;
  throw new InputError(
    `Input \`mode\` is "${clip(mode)}", which is not a mode. Available: ${ACTION_MODES.map((m) => `\`${m}\``).join(", ")} (\`gate\` is the default).`,
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
