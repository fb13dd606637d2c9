// Where setup stands, read fresh on every look: the credentials in `.env` and the environment (the
// environment wins, as at start-up), and, once the GitHub App exists, what GitHub says about it. A
// credential pasted into `.env` by hand turns its checklist item green like one setup wrote.
import { readFileSync } from "node:fs";
import { dirname, isAbsolute, join } from "node:path";
import { readEnvFile } from "./env-file.js";
import { type AppSummary, countInstallations, getApp, getWebhookUrl } from "./github.js";
import { WEBHOOK_PATH } from "./manifests.js";

/** Everything the App needs to start; setup is complete when all are present. */
export const REQUIRED_KEYS = ["APP_ID", "WEBHOOK_SECRET", "SLACK_SIGNING_SECRET", "SLACK_BOT_TOKEN"] as const;
/** What setup writes; the environment overriding one of these with another value is worth a warning. */
export const WRITTEN_KEYS = [
  "APP_ID",
  "PRIVATE_KEY",
  "WEBHOOK_SECRET",
  "GITHUB_CLIENT_ID",
  "GITHUB_CLIENT_SECRET",
  "SLACK_APP_ID",
  "SLACK_CLIENT_ID",
  "SLACK_CLIENT_SECRET",
  "SLACK_SIGNING_SECRET",
  "SLACK_BOT_TOKEN",
] as const;

/** How long an installation count is reused: the page polls, and every look is a call to GitHub. */
const INSTALLATIONS_TTL_MS = 3000;
/** Once installed, the count only decorates the checklist: ask far less often. */
const INSTALLED_TTL_MS = 60_000;

export interface SetupStatus {
  github: {
    registered: boolean;
    app?: AppSummary;
    /** Accounts the App is installed on; undefined when GitHub could not be asked. */
    installations?: number;
    /** The public address the App was registered with (its webhook URL, minus the path). */
    publicUrl?: string;
    problem?: string;
  };
  slack: {
    /** Created through setup (client credentials stored), so setup can install it through OAuth. */
    canInstall: boolean;
    signingSecret: boolean;
    botToken: boolean;
  };
  complete: boolean;
  /** Keys the process environment sets to something other than `.env` (the environment wins). */
  overrides: string[];
}

export class StatusReader {
  private app: { appId: string; summary: AppSummary; publicUrl: string | undefined } | undefined;
  private installations: { appId: string; count: number; at: number } | undefined;

  constructor(
    private readonly envPath: string,
    private readonly env: Record<string, string | undefined>,
    private readonly githubApiUrl: string,
    private readonly clock: () => number = Date.now,
  ) {}

  /** The effective value of each setting: the environment's when set, else `.env`'s. */
  values(): Record<string, string> {
    const merged: Record<string, string> = { ...readEnvFile(this.envPath) };
    for (const [key, value] of Object.entries(this.env)) if (value?.trim()) merged[key] = value.trim();
    return merged;
  }

  /** The GitHub App's private key, inline or from PRIVATE_KEY_PATH (relative to `.env`'s folder). */
  privateKey(values = this.values()): string | undefined {
    if (values.PRIVATE_KEY) return values.PRIVATE_KEY;
    const path = values.PRIVATE_KEY_PATH;
    if (!path) return undefined;
    try {
      return readFileSync(isAbsolute(path) ? path : join(dirname(this.envPath), path), "utf8");
    } catch {
      return undefined;
    }
  }

  async read(options: { askGitHub?: boolean } = {}): Promise<SetupStatus> {
    const values = this.values();
    const file = readEnvFile(this.envPath);
    const key = this.privateKey(values);
    const registered = Boolean(values.APP_ID && values.WEBHOOK_SECRET && key);
    const status: SetupStatus = {
      github: { registered },
      slack: {
        canInstall: Boolean(values.SLACK_CLIENT_ID && values.SLACK_CLIENT_SECRET),
        signingSecret: Boolean(values.SLACK_SIGNING_SECRET),
        botToken: Boolean(values.SLACK_BOT_TOKEN),
      },
      complete: REQUIRED_KEYS.every((k) => values[k]) && Boolean(key),
      overrides: WRITTEN_KEYS.filter(
        (k) => file[k] && this.env[k]?.trim() && this.env[k]?.trim() !== file[k],
      ),
    };
    if (registered && key && values.APP_ID && options.askGitHub !== false) {
      try {
        await this.askGitHub(values.APP_ID, key, status);
      } catch (error) {
        status.github.problem = (error as Error).message;
      }
    }
    return status;
  }

  private async askGitHub(appId: string, key: string, status: SetupStatus): Promise<void> {
    if (this.app?.appId !== appId) {
      const summary = await getApp(this.githubApiUrl, appId, key);
      const hook = await getWebhookUrl(this.githubApiUrl, appId, key);
      const publicUrl = hook?.endsWith(WEBHOOK_PATH) ? hook.slice(0, -WEBHOOK_PATH.length) : undefined;
      this.app = { appId, summary, publicUrl };
    }
    status.github.app = this.app.summary;
    if (this.app.publicUrl) status.github.publicUrl = this.app.publicUrl;
    const now = this.clock();
    const ttl = (this.installations?.count ?? 0) > 0 ? INSTALLED_TTL_MS : INSTALLATIONS_TTL_MS;
    if (this.installations?.appId !== appId || now - this.installations.at > ttl) {
      this.installations = { appId, count: await countInstallations(this.githubApiUrl, appId, key), at: now };
    }
    status.github.installations = this.installations.count;
  }
}
