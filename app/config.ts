// The App's settings, read once from the environment. A missing or malformed setting stops start-up
// with one line that names it; nothing here ever echoes a secret's value.
import { createPrivateKey } from "node:crypto";
import { readFileSync } from "node:fs";

export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface AppConfig {
  appId: number;
  privateKey: string;
  webhookSecret: string;
  slackSigningSecret: string;
  slackBotToken: string;
  slackApiUrl: string;
  /** SLACK_APP_ID: the Slack app whose clicks count, when the bot token cannot look it up. */
  slackAppId: string | undefined;
  /** SLACK_ALLOWED_TEAM_IDS: other workspaces of an Enterprise Grid org whose clicks count. */
  allowedTeamIds: string[];
  databaseUrl: string | undefined;
  port: number;
  host: string;
  logLevel: LogLevel;
  /** GitHub REST base URL: api.github.com, or `${GHE_PROTOCOL}://${GHE_HOST}/api/v3`. */
  githubApiUrl: string;
  /** How often undelivered decisions are retried (SWEEP_INTERVAL_MS, default 30 s). */
  sweepIntervalMs: number;
  /** How long SIGTERM waits for work in flight before the process exits (SHUTDOWN_TIMEOUT_MS, default 10 s). */
  shutdownTimeoutMs: number;
  /** When set, GET /metrics requires `Authorization: Bearer <token>` (METRICS_TOKEN). */
  metricsToken: string | undefined;
  /** GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET: the GitHub App's OAuth client, for GitHub sign-in. */
  githubClient: { id: string; secret: string } | undefined;
  /** PUBLIC_URL: the App's address as browsers, Slack and GitHub reach it, without a trailing slash. */
  publicUrl: string | undefined;
  /** ACTIVITY_RETENTION_DAYS: how long the activity page keeps a request (default 90 days). */
  activityRetentionDays: number;
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

type Env = Record<string, string | undefined>;

export function loadConfig(env: Env): AppConfig {
  const appId = required(env, "APP_ID");
  if (!/^[1-9]\d{0,11}$/.test(appId))
    throw new ConfigError("APP_ID must be the App's numeric ID (GitHub shows it on the App's settings page)");

  return {
    appId: Number(appId),
    privateKey: privateKey(env),
    webhookSecret: required(env, "WEBHOOK_SECRET"),
    slackSigningSecret: required(env, "SLACK_SIGNING_SECRET"),
    slackBotToken: slackToken(env),
    slackApiUrl: httpUrl(env, "SLACK_API_URL", "https://slack.com/api/", true),
    slackAppId: slackAppId(env),
    allowedTeamIds: allowedTeamIds(env),
    databaseUrl: optional(env, "DATABASE_URL"),
    port: port(env),
    host: optional(env, "HOST") ?? "localhost",
    logLevel: logLevel(env),
    githubApiUrl: githubApiUrl(env),
    sweepIntervalMs: sweepInterval(env),
    shutdownTimeoutMs: shutdownTimeout(env),
    metricsToken: metricsToken(env),
    githubClient: githubClient(env),
    publicUrl: publicUrl(env),
    activityRetentionDays: activityRetentionDays(env),
  };
}

function required(env: Env, name: string): string {
  const value = optional(env, name);
  if (value === undefined) throw new ConfigError(`${name} is not set (see .env.example)`);
  return value;
}

function optional(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

function privateKey(env: Env): string {
  const inline = optional(env, "PRIVATE_KEY");
  const path = optional(env, "PRIVATE_KEY_PATH");
  let key: string;
  let name: string;
  if (inline) {
    // Hosting dashboards often store the PEM on one line with literal "\n".
    key = inline.replace(/\\n/g, "\n");
    name = "PRIVATE_KEY";
  } else if (path) {
    name = "PRIVATE_KEY_PATH";
    try {
      key = readFileSync(path, "utf8");
    } catch (error) {
      throw new ConfigError(
        `PRIVATE_KEY_PATH cannot be read: ${(error as NodeJS.ErrnoException).code ?? "error"} ${path}`,
      );
    }
  } else {
    throw new ConfigError("PRIVATE_KEY or PRIVATE_KEY_PATH must be set to the App's private key (PEM)");
  }
  if (!/-----BEGIN (RSA )?PRIVATE KEY-----[\s\S]+-----END (RSA )?PRIVATE KEY-----/.test(key)) {
    throw new ConfigError(`${name} is not a PEM private key (expected "-----BEGIN RSA PRIVATE KEY-----")`);
  }
  try {
    // A damaged key would otherwise fail only at the first GitHub call; GitHub App keys are RSA.
    if (createPrivateKey(key).asymmetricKeyType !== "rsa") throw new Error("not RSA");
  } catch {
    throw new ConfigError(
      `${name} is not a usable RSA private key (download a new one from the App's settings)`,
    );
  }
  return key;
}

function slackToken(env: Env): string {
  const token = required(env, "SLACK_BOT_TOKEN");
  if (!/^xox[a-z]-[A-Za-z0-9-]+$/.test(token)) {
    throw new ConfigError("SLACK_BOT_TOKEN is not a Slack token (expected it to start with xoxb-)");
  }
  return token;
}

function httpUrl(env: Env, name: string, fallback: string, trailingSlash: boolean): string {
  const value = optional(env, name) ?? fallback;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`${name} is not a URL`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:")
    throw new ConfigError(`${name} must be an http(s) URL`);
  const text = url.toString();
  return trailingSlash && !text.endsWith("/") ? `${text}/` : text;
}

function port(env: Env): number {
  const value = optional(env, "PORT");
  if (value === undefined) return 3000;
  if (!/^\d{1,5}$/.test(value) || Number(value) > 65535)
    throw new ConfigError("PORT must be a number from 0 to 65535");
  return Number(value);
}

function logLevel(env: Env): LogLevel {
  const value = (optional(env, "LOG_LEVEL") ?? "info").toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(value)) {
    throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(", ")}`);
  }
  return value as LogLevel;
}

function githubApiUrl(env: Env): string {
  const host = optional(env, "GHE_HOST");
  const protocol = optional(env, "GHE_PROTOCOL") ?? "https";
  if (protocol !== "https" && protocol !== "http")
    throw new ConfigError("GHE_PROTOCOL must be https or http");
  if (!host) return "https://api.github.com";
  if (!/^[A-Za-z0-9.-]+(:\d{1,5})?$/.test(host)) {
    throw new ConfigError("GHE_HOST must be a host name with an optional port, without a scheme or path");
  }
  return `${protocol}://${host}/api/v3`;
}

function sweepInterval(env: Env): number {
  const value = optional(env, "SWEEP_INTERVAL_MS");
  if (value === undefined) return 30_000;
  if (!/^\d{1,9}$/.test(value) || Number(value) < 1000) {
    throw new ConfigError("SWEEP_INTERVAL_MS must be a number of milliseconds, at least 1000");
  }
  return Number(value);
}

function activityRetentionDays(env: Env): number {
  const value = optional(env, "ACTIVITY_RETENTION_DAYS");
  if (value === undefined) return 90;
  if (!/^\d{1,4}$/.test(value) || Number(value) < 1 || Number(value) > 3650) {
    throw new ConfigError("ACTIVITY_RETENTION_DAYS must be a number of days from 1 to 3650");
  }
  return Number(value);
}

function shutdownTimeout(env: Env): number {
  const value = optional(env, "SHUTDOWN_TIMEOUT_MS");
  if (value === undefined) return 10_000;
  if (!/^\d{1,9}$/.test(value) || Number(value) < 1000 || Number(value) > 600_000) {
    throw new ConfigError("SHUTDOWN_TIMEOUT_MS must be a number of milliseconds from 1000 to 600000");
  }
  return Number(value);
}

function metricsToken(env: Env): string | undefined {
  const value = optional(env, "METRICS_TOKEN");
  if (value !== undefined && value.length < 16) {
    throw new ConfigError("METRICS_TOKEN must be at least 16 characters (or unset to leave /metrics open)");
  }
  return value;
}

function slackAppId(env: Env): string | undefined {
  const value = optional(env, "SLACK_APP_ID");
  if (value !== undefined && !/^A[A-Z0-9]{2,20}$/.test(value)) {
    throw new ConfigError("SLACK_APP_ID must be the Slack app's ID (A…, shown under Basic Information)");
  }
  return value;
}

function allowedTeamIds(env: Env): string[] {
  const value = optional(env, "SLACK_ALLOWED_TEAM_IDS");
  if (value === undefined) return [];
  const ids = value.split(",").map((id) => id.trim());
  if (ids.some((id) => !/^T[A-Z0-9]{2,20}$/.test(id))) {
    throw new ConfigError("SLACK_ALLOWED_TEAM_IDS must be workspace IDs (T…) separated by commas");
  }
  return [...new Set(ids)];
}

function githubClient(env: Env): { id: string; secret: string } | undefined {
  const id = optional(env, "GITHUB_CLIENT_ID");
  const secret = optional(env, "GITHUB_CLIENT_SECRET");
  if (!id && !secret) return undefined;
  if (!id || !secret) {
    throw new ConfigError(
      `${id ? "GITHUB_CLIENT_SECRET" : "GITHUB_CLIENT_ID"} is not set: set both GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET (the GitHub App's settings page shows them), or neither`,
    );
  }
  if (!/^[A-Za-z0-9._-]{8,64}$/.test(id))
    throw new ConfigError("GITHUB_CLIENT_ID is not a GitHub App client ID");
  return { id, secret };
}

function publicUrl(env: Env): string | undefined {
  const value = optional(env, "PUBLIC_URL");
  if (value === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError("PUBLIC_URL is not a URL (expected https://your-host)");
  }
  const loopback = ["localhost", "127.0.0.1", "[::1]"].includes(url.hostname);
  // Browsers carry the link flow's cookie and Slack calls only https; plain http only on this machine.
  if (url.protocol !== "https:" && !(url.protocol === "http:" && loopback)) {
    throw new ConfigError("PUBLIC_URL must start with https:// (http only for localhost)");
  }
  if (url.username || url.password || url.search || url.hash) {
    throw new ConfigError("PUBLIC_URL must be a plain address, without credentials, query or fragment");
  }
  return url.toString().replace(/\/+$/, "");
}
