// The two manifests setup submits: `app.yml` (GitHub) and `slack-app-manifest.yml` (Slack), read from
// the project and filled with this App's addresses. Only the keys each service documents are sent.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { isMap, isScalar, parse, parseDocument } from "yaml";

/** Keys of a GitHub App manifest (docs: "Registering a GitHub App from a manifest"). */
const GITHUB_MANIFEST_KEYS = [
  "name",
  "url",
  "hook_attributes",
  "redirect_url",
  "callback_urls",
  "setup_url",
  "description",
  "public",
  "default_events",
  "default_permissions",
  "request_oauth_on_install",
  "setup_on_update",
] as const;

export const WEBHOOK_PATH = "/api/github/webhooks";
export const INTERACTIONS_PATH = "/slack/interactions";
/** The `/deploy-gate` slash command (app/identity/command-route.ts). */
export const COMMANDS_PATH = "/slack/commands";
/** Where GitHub sends people back after they sign in to link their account (app/identity/link-routes.ts). */
export const LINK_CALLBACK_PATH = "/github/link/callback";
/** Where GitHub sends people back after they sign in to the App's pages (the activity page: app/web/). */
export const SIGNIN_CALLBACK_PATH = "/signin/github/callback";
export const GITHUB_CALLBACK_PATH = "/setup/github/callback";
export const SLACK_OAUTH_PATH = "/setup/slack/oauth";
/** GitHub refuses longer App names. */
export const MAX_APP_NAME = 34;

export class ManifestError extends Error {
  override name = "ManifestError";
}

export interface GitHubManifest {
  name: string;
  url: string;
  hook_attributes: { url: string; active: boolean };
  redirect_url: string;
  description?: string;
  public?: boolean;
  default_permissions: Record<string, string>;
  default_events: string[];
  [key: string]: unknown;
}

function readYaml(projectDir: string, file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(join(projectDir, file), "utf8");
  } catch (error) {
    throw new ManifestError(
      `${file} cannot be read from ${projectDir}: ${(error as NodeJS.ErrnoException).code}`,
    );
  }
  const value: unknown = parse(text);
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new ManifestError(`${file} is not a YAML mapping`);
  return value as Record<string, unknown>;
}

/** `app.yml` as GitHub will receive it: webhook at `publicUrl`, the redirect back to `origin`. */
export function githubManifest(
  projectDir: string,
  addresses: { publicUrl: string; origin: string; name?: string },
): GitHubManifest {
  const source = readYaml(projectDir, "app.yml");
  const manifest: Record<string, unknown> = {};
  for (const key of GITHUB_MANIFEST_KEYS) if (source[key] !== undefined) manifest[key] = source[key];
  if (addresses.name) manifest.name = addresses.name;
  manifest.hook_attributes = {
    ...(typeof source.hook_attributes === "object" ? source.hook_attributes : {}),
    url: `${addresses.publicUrl}${WEBHOOK_PATH}`,
    active: true,
  };
  manifest.redirect_url = `${addresses.origin}${GITHUB_CALLBACK_PATH}`;
  manifest.callback_urls = [
    `${addresses.publicUrl}${LINK_CALLBACK_PATH}`,
    `${addresses.publicUrl}${SIGNIN_CALLBACK_PATH}`,
  ];
  // A setup_url would outlive setup: after it, nothing serves /setup.
  delete manifest.setup_url;
  if (typeof manifest.name !== "string" || !manifest.name) throw new ManifestError("app.yml has no name");
  if (typeof manifest.url !== "string") throw new ManifestError("app.yml has no url (the App's homepage)");
  if (typeof manifest.default_permissions !== "object" || !Array.isArray(manifest.default_events))
    throw new ManifestError("app.yml needs default_permissions and default_events");
  return manifest as GitHubManifest;
}

/** The App's name in `app.yml`, the default offered on the page. */
export function githubAppName(projectDir: string): string {
  const name = readYaml(projectDir, "app.yml").name;
  return typeof name === "string" ? name : "slack-deploy-gate";
}

/** `slack-app-manifest.yml` as an object for `apps.manifest.create`. */
export function slackManifest(
  projectDir: string,
  addresses: { publicUrl: string; redirectUrl?: string },
): Record<string, unknown> {
  const manifest = structuredClone(readYaml(projectDir, "slack-app-manifest.yml"));
  manifest.settings ??= {};
  const settings = manifest.settings as Record<string, unknown>;
  settings.interactivity = {
    ...(settings.interactivity as object | undefined),
    is_enabled: true,
    request_url: `${addresses.publicUrl}${INTERACTIONS_PATH}`,
  };
  setCommandUrls(manifest, addresses.publicUrl);
  if (addresses.redirectUrl) {
    manifest.oauth_config ??= {};
    const oauth = manifest.oauth_config as Record<string, unknown>;
    oauth.redirect_urls = [addresses.redirectUrl];
  }
  return manifest;
}

/** Every slash command goes to the App's command route at its public address. */
function setCommandUrls(manifest: Record<string, unknown>, publicUrl: string): void {
  const commands = (manifest.features as { slash_commands?: unknown } | undefined)?.slash_commands;
  if (!Array.isArray(commands)) return;
  for (const command of commands) {
    if (typeof command === "object" && command !== null) {
      (command as Record<string, unknown>).url = `${publicUrl}${COMMANDS_PATH}`;
    }
  }
}

/** The bot scopes the Slack manifest asks for, to request them again at install time. */
export function slackBotScopes(manifest: Record<string, unknown>): string[] {
  const scopes = (manifest.oauth_config as { scopes?: { bot?: unknown } } | undefined)?.scopes?.bot;
  return Array.isArray(scopes) ? scopes.filter((s): s is string => typeof s === "string") : [];
}

/**
 * `slack-app-manifest.yml` as YAML to paste into Slack's "From a manifest" dialog, comments kept,
 * with the interactivity URL filled in (or a placeholder when the public address is not known yet).
 */
export function slackManifestYaml(projectDir: string, publicUrl: string | undefined): string {
  let text: string;
  try {
    text = readFileSync(join(projectDir, "slack-app-manifest.yml"), "utf8");
  } catch (error) {
    throw new ManifestError(
      `slack-app-manifest.yml cannot be read from ${projectDir}: ${(error as NodeJS.ErrnoException).code}`,
    );
  }
  const document = parseDocument(text);
  const base = publicUrl ?? "https://YOUR-PUBLIC-ADDRESS";
  document.setIn(["settings", "interactivity", "request_url"], `${base}${INTERACTIONS_PATH}`);
  const commands = document.getIn(["features", "slash_commands"]) as { items?: unknown[] } | undefined;
  for (let i = 0; i < (commands?.items?.length ?? 0); i++) {
    document.setIn(["features", "slash_commands", i, "url"], `${base}${COMMANDS_PATH}`);
  }
  // The file's own opening comment says to fill the URL in by hand; this copy is filled in already.
  const first = isMap(document.contents) ? document.contents.items[0]?.key : undefined;
  if (isScalar(first)) first.commentBefore = null;
  if (isMap(document.contents)) document.contents.commentBefore = null;
  document.commentBefore = publicUrl
    ? ` Slack app manifest for slack-deploy-gate, filled in for ${publicUrl}`
    : " Slack app manifest for slack-deploy-gate: replace YOUR-PUBLIC-ADDRESS with the App's public address";
  return document.toString({ lineWidth: 0 });
}
