// Creating and installing a Slack app, for the fake Slack:
// - `apps.manifest.create` with an app configuration token (`xoxe.xoxp-…`): checks the manifest as Slack
//   does (`invalid_manifest` with `errors: [{message, pointer}]`) and answers the app's credentials and
//   its `oauth_authorize_url`;
// - the web page `GET /oauth/v2/authorize?client_id&scope&redirect_uri&state`, whose Allow button sends
//   the browser to the redirect URL with a `code` (Cancel: `error=access_denied`), as Slack does;
// - `oauth.v2.access`: the code (once, within 10 minutes) and the app's client ID and secret (HTTP Basic
//   or form fields) for a bot token, which the fake Slack then accepts like any other.
import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { readBody } from "../../app/slack/read-body.js";
import { escapeHtml, sendPage } from "./html.js";

const CODE_TTL_MS = 10 * 60 * 1000;
const MAX_PAGE_BODY = 16 * 1024;

/** Bot scopes Slack knows (a subset of docs.slack.dev/reference/scopes: the ones apps like this ask for). */
export const KNOWN_BOT_SCOPES = new Set([
  "app_mentions:read",
  "channels:history",
  "channels:join",
  "channels:read",
  "chat:write",
  "chat:write.customize",
  "chat:write.public",
  "commands",
  "emoji:read",
  "files:read",
  "files:write",
  "groups:history",
  "groups:read",
  "im:history",
  "im:read",
  "im:write",
  "incoming-webhook",
  "links:read",
  "metadata.message:read",
  "mpim:read",
  "pins:write",
  "reactions:read",
  "reactions:write",
  "team:read",
  "usergroups:read",
  "usergroups:write",
  "users.profile:read",
  "users:read",
  "users:read.email",
  "users:write",
]);
const MANIFEST_KEYS = new Set([
  "_metadata",
  "display_information",
  "features",
  "oauth_config",
  "settings",
  "functions",
  "workflows",
  "datastores",
  "outgoing_domains",
  "types",
]);

export interface FakeSlackApp {
  appId: string;
  clientId: string;
  clientSecret: string;
  signingSecret: string;
  verificationToken: string;
  manifest: Record<string, unknown>;
  /** The configuration token it was created with. */
  createdWith: string;
}

export interface FakeSlackInstall {
  appId: string;
  botToken: string;
  scopes: string[];
  at: Date;
}

interface Grant {
  appId: string;
  redirectUri: string | undefined;
  scopes: string[];
  issuedAt: number;
  used: boolean;
}

export interface SlackAppsOptions {
  /** Valid app configuration tokens. */
  configTokens: Set<string>;
  /** Bot tokens the fake accepts; an install adds its token here. */
  botTokens: Set<string>;
  /** `http://127.0.0.1:PORT/` */
  webUrl: () => string;
  teamId: string;
  teamName: string;
  botUserId: string;
  clock: () => number;
}

export interface SlackApps {
  apps: FakeSlackApp[];
  installs: FakeSlackInstall[];
  /**
   * Answers the app-management methods, which authenticate with a configuration token or the app's
   * client credentials rather than a bot token; undefined for every other method.
   */
  api(
    method: string,
    body: Record<string, unknown>,
    authorization: string | undefined,
    token: string | undefined,
  ): Record<string, unknown> | undefined;
  /** Serves Slack's install page; false when the request is not for it. */
  page(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean>;
}

type Problem = { message: string; pointer: string };

function isUrl(value: unknown, allowLoopbackHttp: boolean): boolean {
  if (typeof value !== "string") return false;
  try {
    const url = new URL(value);
    if (url.protocol === "https:") return true;
    return (
      allowLoopbackHttp &&
      url.protocol === "http:" &&
      ["localhost", "127.0.0.1", "[::1]"].includes(url.hostname)
    );
  } catch {
    return false;
  }
}

/** What Slack's manifest validation would report for this manifest; empty when it is acceptable. */
export function slackManifestProblems(manifest: unknown): Problem[] {
  if (typeof manifest !== "object" || manifest === null || Array.isArray(manifest))
    return [{ message: "Manifest must be a JSON object", pointer: "/" }];
  const m = manifest as Record<string, Record<string, unknown> | undefined>;
  const problems: Problem[] = [];
  for (const key of Object.keys(m))
    if (!MANIFEST_KEYS.has(key)) problems.push({ message: `Unknown property ${key}`, pointer: `/${key}` });
  const display = m.display_information;
  if (typeof display?.name !== "string" || !display.name.trim())
    problems.push({ message: "Field is required", pointer: "/display_information/name" });
  else if (display.name.length > 35)
    problems.push({ message: "Must be 35 characters or less", pointer: "/display_information/name" });
  if (typeof display?.description === "string" && display.description.length > 140)
    problems.push({ message: "Must be 140 characters or less", pointer: "/display_information/description" });
  if (
    display?.background_color !== undefined &&
    !/^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/.test(String(display.background_color))
  )
    problems.push({ message: "Must be a hex color", pointer: "/display_information/background_color" });
  const bot = (m.features as { bot_user?: { display_name?: unknown } } | undefined)?.bot_user;
  if (bot !== undefined) {
    if (typeof bot.display_name !== "string" || !bot.display_name.trim())
      problems.push({ message: "Field is required", pointer: "/features/bot_user/display_name" });
    else if (bot.display_name.length > 80)
      problems.push({ message: "Must be 80 characters or less", pointer: "/features/bot_user/display_name" });
  }
  const oauth = m.oauth_config as { scopes?: { bot?: unknown }; redirect_urls?: unknown } | undefined;
  const scopes = oauth?.scopes?.bot;
  if (scopes !== undefined) {
    if (!Array.isArray(scopes))
      problems.push({ message: "Must be an array", pointer: "/oauth_config/scopes/bot" });
    else
      scopes.forEach((scope, index) => {
        if (typeof scope !== "string" || !KNOWN_BOT_SCOPES.has(scope))
          problems.push({
            message: `Invalid scope: ${String(scope)}`,
            pointer: `/oauth_config/scopes/bot/${index}`,
          });
      });
  }
  const redirects = oauth?.redirect_urls;
  if (redirects !== undefined) {
    if (!Array.isArray(redirects))
      problems.push({ message: "Must be an array", pointer: "/oauth_config/redirect_urls" });
    else
      redirects.forEach((url, index) => {
        if (!isUrl(url, true))
          problems.push({
            message: "Must be a valid https URL",
            pointer: `/oauth_config/redirect_urls/${index}`,
          });
      });
  }
  const settings = m.settings as
    | { interactivity?: { is_enabled?: unknown; request_url?: unknown }; socket_mode_enabled?: unknown }
    | undefined;
  const interactivity = settings?.interactivity;
  if (interactivity?.is_enabled === true) {
    if (interactivity.request_url === undefined && settings?.socket_mode_enabled !== true)
      problems.push({ message: "Interactivity requires a Request URL", pointer: "/settings/interactivity" });
    else if (interactivity.request_url !== undefined && !isUrl(interactivity.request_url, false))
      problems.push({ message: "Must be a valid https URL", pointer: "/settings/interactivity/request_url" });
  }
  return problems;
}

const digits = (n: number) => Array.from(randomBytes(n), (b) => String(b % 10)).join("");

export function createSlackApps(options: SlackAppsOptions): SlackApps {
  const apps: FakeSlackApp[] = [];
  const installs: FakeSlackInstall[] = [];
  const grants = new Map<string, Grant>();
  /** Install pages shown and not yet answered, by a one-off id. */
  const shown = new Map<
    string,
    { app: FakeSlackApp; redirectUri: string; sentRedirect: boolean; state: string | null; scopes: string[] }
  >();

  function createApp(body: Record<string, unknown>, token: string | undefined): Record<string, unknown> {
    if (!token) return { ok: false, error: "not_authed" };
    if (options.botTokens.has(token) || /^xox[bp]-/.test(token))
      return { ok: false, error: "not_allowed_token_type" };
    if (!options.configTokens.has(token)) return { ok: false, error: "invalid_auth" };
    let manifest: unknown = body.manifest;
    if (typeof manifest === "string") {
      try {
        manifest = JSON.parse(manifest);
      } catch {
        return {
          ok: false,
          error: "invalid_manifest",
          errors: [{ message: "Manifest is not valid JSON", pointer: "/" }],
        };
      }
    }
    if (manifest === undefined) return { ok: false, error: "invalid_arguments" };
    const problems = slackManifestProblems(manifest);
    if (problems.length) return { ok: false, error: "invalid_manifest", errors: problems };
    const m = manifest as Record<string, unknown>;
    const app: FakeSlackApp = {
      appId: `A0${randomBytes(5).toString("hex").toUpperCase().slice(0, 9)}`,
      clientId: `${digits(12)}.${digits(13)}`,
      clientSecret: randomBytes(16).toString("hex"),
      signingSecret: randomBytes(16).toString("hex"),
      verificationToken: randomBytes(12).toString("base64url"),
      manifest: m,
      createdWith: token,
    };
    apps.push(app);
    const scopes = (m.oauth_config as { scopes?: { bot?: string[] } } | undefined)?.scopes?.bot ?? [];
    const authorize = new URL("oauth/v2/authorize", options.webUrl());
    authorize.searchParams.set("client_id", app.clientId);
    authorize.searchParams.set("scope", scopes.join(","));
    return {
      ok: true,
      app_id: app.appId,
      credentials: {
        client_id: app.clientId,
        client_secret: app.clientSecret,
        verification_token: app.verificationToken,
        signing_secret: app.signingSecret,
      },
      oauth_authorize_url: authorize.toString(),
      team_id: options.teamId,
    };
  }

  function exchange(
    body: Record<string, unknown>,
    authorization: string | undefined,
  ): Record<string, unknown> {
    let clientId = typeof body.client_id === "string" ? body.client_id : undefined;
    let clientSecret = typeof body.client_secret === "string" ? body.client_secret : undefined;
    const basic = authorization?.match(/^Basic\s+(\S+)$/i)?.[1];
    if (basic) {
      const decoded = Buffer.from(basic, "base64").toString("utf8");
      const colon = decoded.indexOf(":");
      if (colon > 0) {
        clientId = decoded.slice(0, colon);
        clientSecret = decoded.slice(colon + 1);
      }
    }
    const app = apps.find((a) => a.clientId === clientId);
    if (!app) return { ok: false, error: "invalid_client_id" };
    if (clientSecret !== app.clientSecret) return { ok: false, error: "bad_client_secret" };
    const code = typeof body.code === "string" ? body.code : "";
    const grant = grants.get(code);
    if (!grant || grant.appId !== app.appId || grant.used || options.clock() - grant.issuedAt > CODE_TTL_MS)
      return { ok: false, error: "invalid_code" };
    const redirectUri = typeof body.redirect_uri === "string" ? body.redirect_uri : undefined;
    if (grant.redirectUri !== undefined && redirectUri !== grant.redirectUri)
      return { ok: false, error: "bad_redirect_uri" };
    grant.used = true;
    const botToken = `xoxb-${digits(12)}-${digits(13)}-${randomBytes(24)
      .toString("base64")
      .replace(/[^A-Za-z0-9]/g, "")
      .slice(0, 24)}`;
    options.botTokens.add(botToken);
    installs.push({ appId: app.appId, botToken, scopes: grant.scopes, at: new Date(options.clock()) });
    return {
      ok: true,
      app_id: app.appId,
      authed_user: { id: "U0INSTALLER" },
      scope: grant.scopes.join(","),
      token_type: "bot",
      access_token: botToken,
      bot_user_id: options.botUserId,
      team: { id: options.teamId, name: options.teamName },
      enterprise: null,
      is_enterprise_install: false,
    };
  }

  function redirectsTo(app: FakeSlackApp, uri: string): boolean {
    const configured =
      (app.manifest.oauth_config as { redirect_urls?: string[] } | undefined)?.redirect_urls ?? [];
    // Slack accepts the configured URL or a path below it.
    return configured.some((base) => uri === base || uri.startsWith(base.endsWith("/") ? base : `${base}/`));
  }

  async function page(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
    if (url.pathname === "/oauth/v2/authorize" && req.method === "GET") {
      const app = apps.find((a) => a.clientId === url.searchParams.get("client_id"));
      if (!app) {
        sendPage(res, 400, "Invalid client_id parameter", "<p>Slack does not know this app.</p>");
        return true;
      }
      const requested = url.searchParams.get("redirect_uri");
      const configured =
        (app.manifest.oauth_config as { redirect_urls?: string[] } | undefined)?.redirect_urls ?? [];
      const redirectUri = requested ?? configured[0];
      if (!redirectUri || (requested !== null && !redirectsTo(app, requested))) {
        sendPage(
          res,
          400,
          "Something went wrong when authorizing this app.",
          `<p id="oauth-error">redirect_uri did not match any configured URIs. Passed URI: ${escapeHtml(requested ?? "(none)")}</p>`,
        );
        return true;
      }
      const scopes = (url.searchParams.get("scope") ?? "").split(",").filter(Boolean);
      const unknown = scopes.filter((s) => !KNOWN_BOT_SCOPES.has(s));
      if (unknown.length) {
        sendPage(
          res,
          400,
          "Invalid permissions requested",
          `<p id="oauth-error">${escapeHtml(unknown.join(", "))}</p>`,
        );
        return true;
      }
      const id = randomBytes(8).toString("hex");
      shown.set(id, {
        app,
        redirectUri,
        sentRedirect: requested !== null,
        state: url.searchParams.get("state"),
        scopes,
      });
      const name = String(
        (app.manifest.display_information as { name?: unknown } | undefined)?.name ?? "The app",
      );
      sendPage(
        res,
        200,
        `${name} is requesting permission to access the ${options.teamName} Slack workspace`,
        `<ul id="scopes">${scopes.map((s) => `<li>${escapeHtml(s)}</li>`).join("")}</ul>
<form method="post" action="/oauth/v2/authorize"><input type="hidden" name="request" value="${id}">
<button type="submit" name="decision" value="cancel" id="cancel">Cancel</button>
<button type="submit" name="decision" value="allow" id="allow">Allow</button></form>`,
      );
      return true;
    }
    if (url.pathname === "/oauth/v2/authorize" && req.method === "POST") {
      const form = new URLSearchParams((await readBody(req, MAX_PAGE_BODY)).toString("utf8"));
      const request = shown.get(form.get("request") ?? "");
      if (!request) {
        sendPage(res, 400, "This request has expired", "<p>Start the install again.</p>");
        return true;
      }
      shown.delete(form.get("request") ?? "");
      const target = new URL(request.redirectUri);
      if (form.get("decision") === "allow") {
        const code = `${digits(12)}.${digits(13)}.${randomBytes(16).toString("hex")}`;
        grants.set(code, {
          appId: request.app.appId,
          redirectUri: request.sentRedirect ? request.redirectUri : undefined,
          scopes: request.scopes,
          issuedAt: options.clock(),
          used: false,
        });
        target.searchParams.set("code", code);
      } else {
        target.searchParams.set("error", "access_denied");
      }
      if (request.state !== null) target.searchParams.set("state", request.state);
      res.writeHead(302, { location: target.toString() }).end();
      return true;
    }
    return false;
  }

  return {
    apps,
    installs,
    api(method, body, authorization, token) {
      if (method === "apps.manifest.create") return createApp(body, token);
      if (method === "oauth.v2.access") return exchange(body, authorization);
      return undefined;
    },
    page,
  };
}
