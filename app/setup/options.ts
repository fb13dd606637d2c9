// What setup mode reads from the environment: where to listen, where GitHub and Slack are, and the
// optional PUBLIC_URL. The App's own settings (config.ts) are not loaded: most are not there yet.
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export interface SetupOptions {
  port: number;
  /** Where setup listens: loopback unless SETUP_HOST says otherwise (HOST alone does not open it up). */
  host: string;
  /** Set when HOST asked for more than loopback and setup stayed on localhost. */
  narrowedFrom: string | undefined;
  /** The App's public https address, as GitHub and Slack will call it (PUBLIC_URL), if known. */
  publicUrl: string | undefined;
  /** GitHub's web host (`https://github.com`, or the GHE host), where Apps are registered. */
  githubWebUrl: string;
  /** GitHub's REST base (`https://api.github.com`, or `…/api/v3`). */
  githubApiUrl: string;
  /** Slack's Web API base, ending in `/`. */
  slackApiUrl: string;
  /** The `.env` file credentials are written to. */
  envPath: string;
  /** Where `app.yml` and `slack-app-manifest.yml` are read from. */
  projectDir: string;
}

export class SetupOptionsError extends Error {
  override name = "SetupOptionsError";
}

type Env = Record<string, string | undefined>;

export function setupOptions(env: Env, cwd = process.cwd()): SetupOptions {
  const value = (name: string) => env[name]?.trim() || undefined;
  const portText = value("PORT") ?? "3000";
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535)
    throw new SetupOptionsError("PORT must be a number from 0 to 65535");

  const protocol = value("GHE_PROTOCOL") ?? "https";
  if (protocol !== "https" && protocol !== "http")
    throw new SetupOptionsError("GHE_PROTOCOL must be https or http");
  const gheHost = value("GHE_HOST");
  if (gheHost && !/^[A-Za-z0-9.-]+(:\d{1,5})?$/.test(gheHost))
    throw new SetupOptionsError(
      "GHE_HOST must be a host name with an optional port, without a scheme or path",
    );

  const slackApiUrl = value("SLACK_API_URL") ?? "https://slack.com/api/";
  let slack: URL;
  try {
    slack = new URL(slackApiUrl);
  } catch {
    throw new SetupOptionsError("SLACK_API_URL is not a URL");
  }
  if (slack.protocol !== "https:" && slack.protocol !== "http:")
    throw new SetupOptionsError("SLACK_API_URL must be an http(s) URL");

  const publicUrlText = value("PUBLIC_URL");
  let publicUrl: string | undefined;
  if (publicUrlText) {
    const checked = checkPublicUrl(publicUrlText);
    if (typeof checked !== "string") throw new SetupOptionsError(`PUBLIC_URL ${checked.problem}`);
    publicUrl = checked;
  }

  return {
    port: Number(portText),
    ...listenHost(value("SETUP_HOST"), value("HOST")),
    publicUrl,
    githubWebUrl: gheHost ? `${protocol}://${gheHost}` : "https://github.com",
    githubApiUrl: gheHost ? `${protocol}://${gheHost}/api/v3` : "https://api.github.com",
    slackApiUrl: slack.toString().endsWith("/") ? slack.toString() : `${slack.toString()}/`,
    envPath: join(cwd, ".env"),
    projectDir: projectDir(cwd),
  };
}

const LOOPBACK = ["localhost", "127.0.0.1", "::1"];

/**
 * The page writes credentials, so it stays on loopback (where a browser on this machine and a tunnel
 * reach it) even when HOST opens the App to every interface, as a container's does; SETUP_HOST is the
 * deliberate way to serve it elsewhere.
 */
function listenHost(setupHost: string | undefined, host: string | undefined) {
  if (setupHost) return { host: setupHost, narrowedFrom: undefined };
  if (!host || LOOPBACK.includes(host)) return { host: host ?? "localhost", narrowedFrom: undefined };
  return { host: "localhost", narrowedFrom: host };
}

const MANIFEST_FILES = ["app.yml", "slack-app-manifest.yml"];

/**
 * Where the manifests are: the working directory (a checkout, where `npm start` runs), else the
 * checkout or image this module was built into (`build/app/setup/` is three levels down).
 */
export function projectDir(cwd: string): string {
  const has = (dir: string) => MANIFEST_FILES.every((file) => existsSync(join(dir, file)));
  if (has(cwd)) return cwd;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let level = 0; level < 4; level += 1) {
    dir = dirname(dir);
    if (has(dir)) return dir;
  }
  return cwd;
}

/**
 * A public address GitHub and Slack can call: https (Slack will not call anything else), a host, and
 * nothing after it but an optional path prefix. Returns it without a trailing slash.
 */
export function checkPublicUrl(text: string): string | { problem: string } {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    return { problem: "is not a URL (expected https://your-host)" };
  }
  if (url.protocol !== "https:")
    return { problem: "must start with https:// (Slack calls only https addresses)" };
  if (url.username || url.password || url.search || url.hash)
    return { problem: "must be a plain address, without credentials, query or fragment" };
  if (["localhost", "127.0.0.1", "[::1]"].includes(url.hostname))
    return { problem: "must be reachable from GitHub and Slack, not localhost (use your tunnel's address)" };
  return url.toString().replace(/\/+$/, "");
}
