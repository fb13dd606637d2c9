// The setup server: what `npm start` serves while no APP_ID is set. It registers the GitHub App from
// `app.yml` (GitHub's manifest flow), creates and installs the Slack app (manifest API, then OAuth),
// writes every credential to `.env`, and, once all are there, hands the process over to the App.
// Only a browser holding the printed access token gets in (guard.ts); callbacks need a valid state.
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { BodyTooLargeError, readBody } from "../slack/read-body.js";
import { pemToEnvValue, readEnvFile, updateEnvFile } from "./env-file.js";
import { convertManifestCode } from "./github.js";
import { SESSION_COOKIE, type Session, SetupGuard } from "./guard.js";
import {
  GITHUB_CALLBACK_PATH,
  githubAppName,
  githubManifest,
  INTERACTIONS_PATH,
  MAX_APP_NAME,
  SLACK_OAUTH_PATH,
  slackBotScopes,
  slackManifest,
  slackManifestYaml,
  WEBHOOK_PATH,
} from "./manifests.js";
import { checkPublicUrl, type SetupOptions } from "./options.js";
import { checklist, escapeHtml, messagePage, setupPage, startingPage, toGitHubPage } from "./page.js";
import { authorizeUrl, checkBotToken, createSlackApp, exchangeOAuthCode } from "./slack.js";
import { StatusReader, WRITTEN_KEYS } from "./status.js";

const MAX_FORM_BYTES = 16 * 1024;
/** GitHub's manifest code lives an hour; the state that brings it back lives as long. */
const GITHUB_STATE_TTL_MS = 60 * 60 * 1000;
const SLACK_STATE_TTL_MS = 10 * 60 * 1000;

export interface SetupServerOptions extends SetupOptions {
  /** The process environment (read, never written, until the hand-over). */
  env: NodeJS.ProcessEnv;
  /** One human-readable line to the console; never given a secret. */
  print: (line: string) => void;
}

export interface SetupServer {
  /** `http://host:port` the server listens on. */
  url: string;
  /** The address to open: the server's, with the access token. */
  accessUrl: string;
  /** Resolves once the page hands the process over to the App (every credential stored). */
  finished: Promise<void>;
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export async function startSetupServer(options: SetupServerOptions): Promise<SetupServer> {
  const guard = new SetupGuard();
  // What the environment itself sets, as opposed to what a `.env` loader copied in from the file
  // before setup began: `.env` keeps changing under setup, the environment does not.
  const fileAtStart = readEnvFile(options.envPath);
  const environment: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(options.env)) {
    if (value !== undefined && fileAtStart[key] !== value) environment[key] = value;
  }
  const status = new StatusReader(options.envPath, environment, options.githubApiUrl);
  let slackAuthorizeBase: string | undefined;
  /** The public address entered on this page, for the Slack step when GitHub has none on record. */
  let enteredPublicUrl: string | undefined;
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => {
    finish = resolve;
  });

  const slackWeb = new URL("../", options.slackApiUrl).origin;

  function securityHeaders(res: ServerResponse, nonce: string): void {
    res.setHeader(
      "content-security-policy",
      [
        "default-src 'none'",
        `style-src 'nonce-${nonce}'`,
        `script-src 'nonce-${nonce}'`,
        "img-src data:",
        "connect-src 'self'",
        // The GitHub form posts to GitHub; the Slack forms end in a redirect to Slack's install page.
        `form-action 'self' ${new URL(options.githubWebUrl).origin} ${slackWeb}`,
        "base-uri 'none'",
        "frame-ancestors 'none'",
      ].join("; "),
    );
    res.setHeader("x-frame-options", "DENY");
    res.setHeader("x-content-type-options", "nosniff");
    res.setHeader("referrer-policy", "no-referrer");
    res.setHeader("cache-control", "no-store");
  }

  function sendHtml(res: ServerResponse, statusCode: number, html: string): void {
    res.writeHead(statusCode, { "content-type": "text/html; charset=utf-8" }).end(html);
  }

  function redirect(res: ServerResponse, location: string): void {
    res.writeHead(303, { location }).end();
  }

  function requireSession(req: IncomingMessage): Session {
    const session = guard.session(req.headers.cookie);
    if (!session) throw new HttpError(401, "no session");
    return session;
  }

  async function readForm(req: IncomingMessage, session: Session): Promise<URLSearchParams> {
    const type = (req.headers["content-type"] ?? "").split(";")[0]?.trim().toLowerCase();
    if (type !== "application/x-www-form-urlencoded") throw new HttpError(415, "expected a form");
    let body: Buffer;
    try {
      body = await readBody(req, MAX_FORM_BYTES);
    } catch (error) {
      if (error instanceof BodyTooLargeError) throw new HttpError(413, "the form is too large");
      throw error;
    }
    const form = new URLSearchParams(body.toString("utf8"));
    if (!guard.checkCsrf(session, form.get("csrf") ?? undefined))
      throw new HttpError(403, "the form is stale or did not come from this page: reload the setup page");
    return form;
  }

  function publicUrlFor(known: string | undefined): string | undefined {
    return known ?? options.publicUrl ?? enteredPublicUrl;
  }

  async function renderPage(req: IncomingMessage, res: ServerResponse, session: Session, nonce: string) {
    const current = await status.read();
    const origin = requestOrigin(req);
    const publicUrl = publicUrlFor(current.github.publicUrl);
    const suggestion = checkPublicUrl(origin);
    const manifest = githubManifest(options.projectDir, { publicUrl: publicUrl ?? origin, origin });
    const flash = session.flash;
    session.flash = undefined;
    sendHtml(
      res,
      200,
      setupPage({
        status: current,
        csrf: guard.csrf(session),
        nonce,
        flash,
        envPath: options.envPath,
        githubWebUrl: options.githubWebUrl,
        origin,
        publicUrl,
        suggestedPublicUrl: typeof suggestion === "string" ? suggestion : undefined,
        appName: githubAppName(options.projectDir),
        manifestYaml: slackManifestYaml(options.projectDir, publicUrl),
        permissions: manifest.default_permissions,
        events: manifest.default_events,
      }),
    );
  }

  async function registerGitHub(req: IncomingMessage, res: ServerResponse, session: Session, nonce: string) {
    const form = await readForm(req, session);
    if ((await status.read({ askGitHub: false })).github.registered) {
      session.flash = { kind: "error", text: "A GitHub App is already registered: its APP_ID is in .env." };
      return redirect(res, "/setup");
    }
    const publicUrl = checkPublicUrl(form.get("public_url") ?? "");
    if (typeof publicUrl !== "string") {
      session.flash = { kind: "error", text: `The public address ${publicUrl.problem}.` };
      return redirect(res, "/setup");
    }
    const name = (form.get("app_name") ?? "").trim();
    if (!name || name.length > MAX_APP_NAME) {
      session.flash = { kind: "error", text: `The App name must be 1 to ${MAX_APP_NAME} characters.` };
      return redirect(res, "/setup");
    }
    const organization = (form.get("organization") ?? "").trim();
    if (organization && !/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,37}[A-Za-z0-9])?$/.test(organization)) {
      session.flash = {
        kind: "error",
        text: "The organization must be a GitHub login, like acme or acme-inc.",
      };
      return redirect(res, "/setup");
    }
    enteredPublicUrl = publicUrl;
    const origin = requestOrigin(req);
    const manifest = githubManifest(options.projectDir, { publicUrl, origin, name });
    const state = guard.issueState("github", session, GITHUB_STATE_TTL_MS);
    const base = organization
      ? `${options.githubWebUrl}/organizations/${organization}/settings/apps/new`
      : `${options.githubWebUrl}/settings/apps/new`;
    sendHtml(
      res,
      200,
      toGitHubPage({
        nonce,
        action: `${base}?state=${encodeURIComponent(state)}`,
        manifest: JSON.stringify(manifest),
        ...(organization ? { organization } : {}),
      }),
    );
  }

  async function githubCallback(req: IncomingMessage, res: ServerResponse, url: URL, nonce: string) {
    const session = guard.session(req.headers.cookie);
    const check = guard.consumeState("github", session, url.searchParams.get("state"));
    if (!check.ok || !session) {
      return sendHtml(
        res,
        400,
        messagePage({
          title: "This GitHub callback was refused",
          nonce,
          html: `<p>Nothing was stored: ${escapeHtml(check.ok ? "there is no setup session in this browser" : check.reason)}. Start the registration again from the setup page (open the address <code>npm start</code> printed).</p>`,
        }),
      );
    }
    const code = url.searchParams.get("code");
    if (!code) {
      session.flash = { kind: "error", text: "GitHub came back without a code: the App was not registered." };
      return redirect(res, "/setup");
    }
    if ((await status.read({ askGitHub: false })).github.registered) {
      session.flash = {
        kind: "error",
        text: "A GitHub App was registered meanwhile (APP_ID is in .env); this second one was not stored. Delete it in GitHub's settings.",
      };
      return redirect(res, "/setup");
    }
    try {
      const app = await convertManifestCode(options.githubApiUrl, code);
      await updateEnvFile(options.envPath, {
        APP_ID: String(app.id),
        PRIVATE_KEY: pemToEnvValue(app.pem),
        WEBHOOK_SECRET: app.webhookSecret,
        GITHUB_CLIENT_ID: app.clientId,
        GITHUB_CLIENT_SECRET: app.clientSecret,
        // The address the App was registered with: link buttons and GitHub's sign-in callback use it.
        ...(enteredPublicUrl && !options.publicUrl ? { PUBLIC_URL: enteredPublicUrl } : {}),
      });
      options.print(
        `setup: registered the GitHub App ${app.name} (App ID ${app.id}); its credentials are in ${options.envPath}`,
      );
      session.flash = {
        kind: "ok",
        text: `GitHub registered ${app.name} (App ID ${app.id}); its ID, key and secrets are in .env. Install it, then create the Slack app.`,
      };
    } catch (error) {
      session.flash = { kind: "error", text: (error as Error).message };
    }
    redirect(res, "/setup");
  }

  function slackRedirectUri(req: IncomingMessage): string {
    return `${requestOrigin(req)}${SLACK_OAUTH_PATH}`;
  }

  function startSlackInstall(req: IncomingMessage, res: ServerResponse, session: Session, clientId: string) {
    const state = guard.issueState("slack", session, SLACK_STATE_TTL_MS);
    const scopes = slackBotScopes(
      slackManifest(options.projectDir, { publicUrl: "https://placeholder.invalid" }),
    );
    redirect(
      res,
      authorizeUrl(options.slackApiUrl, slackAuthorizeBase, {
        clientId,
        scopes,
        redirectUri: slackRedirectUri(req),
        state,
      }),
    );
  }

  async function createSlack(req: IncomingMessage, res: ServerResponse, session: Session) {
    const form = await readForm(req, session);
    const current = await status.read();
    if (current.slack.canInstall || current.slack.signingSecret) {
      session.flash = { kind: "error", text: "A Slack app is already set up (its secrets are in .env)." };
      return redirect(res, "/setup");
    }
    const publicUrl = checkPublicUrl(form.get("public_url") ?? publicUrlFor(current.github.publicUrl) ?? "");
    if (typeof publicUrl !== "string") {
      session.flash = { kind: "error", text: `The public address ${publicUrl.problem}.` };
      return redirect(res, "/setup");
    }
    enteredPublicUrl ??= publicUrl;
    const token = (form.get("config_token") ?? "").trim();
    if (!/^xoxe\.xox[a-z]-[A-Za-z0-9-]+$/.test(token)) {
      session.flash = {
        kind: "error",
        text: "That is not an app configuration token: those start with xoxe.xoxp- (generate one at api.slack.com/apps).",
      };
      return redirect(res, "/setup");
    }
    try {
      const manifest = slackManifest(options.projectDir, { publicUrl, redirectUrl: slackRedirectUri(req) });
      const created = await createSlackApp(options.slackApiUrl, token, manifest);
      await updateEnvFile(options.envPath, {
        SLACK_SIGNING_SECRET: created.signingSecret,
        SLACK_APP_ID: created.appId,
        SLACK_CLIENT_ID: created.clientId,
        SLACK_CLIENT_SECRET: created.clientSecret,
      });
      slackAuthorizeBase = created.authorizeUrl;
      options.print(
        `setup: created the Slack app ${created.appId}; its signing secret is in ${options.envPath}`,
      );
      startSlackInstall(req, res, session, created.clientId);
    } catch (error) {
      session.flash = { kind: "error", text: (error as Error).message };
      redirect(res, "/setup");
    }
  }

  async function installSlack(req: IncomingMessage, res: ServerResponse, session: Session) {
    await readForm(req, session);
    const clientId = status.values().SLACK_CLIENT_ID;
    if (!clientId) {
      session.flash = { kind: "error", text: "Create the Slack app first." };
      return redirect(res, "/setup");
    }
    startSlackInstall(req, res, session, clientId);
  }

  async function slackCallback(req: IncomingMessage, res: ServerResponse, url: URL, nonce: string) {
    const session = guard.session(req.headers.cookie);
    const check = guard.consumeState("slack", session, url.searchParams.get("state"));
    if (!check.ok || !session) {
      return sendHtml(
        res,
        400,
        messagePage({
          title: "This Slack callback was refused",
          nonce,
          html: `<p>Nothing was stored: ${escapeHtml(check.ok ? "there is no setup session in this browser" : check.reason)}. Install again from the setup page.</p>`,
        }),
      );
    }
    const denied = url.searchParams.get("error");
    const code = url.searchParams.get("code");
    const values = status.values();
    try {
      if (denied)
        throw new Error(
          denied === "access_denied"
            ? "The install was cancelled in Slack."
            : `Slack answered ${denied.slice(0, 100)}.`,
        );
      if (!code) throw new Error("Slack came back without a code: the app was not installed.");
      const clientId = values.SLACK_CLIENT_ID;
      const clientSecret = values.SLACK_CLIENT_SECRET;
      if (!clientId || !clientSecret)
        throw new Error("The Slack app's client ID and secret are not in .env any more.");
      const install = await exchangeOAuthCode(options.slackApiUrl, {
        clientId,
        clientSecret,
        code,
        redirectUri: slackRedirectUri(req),
      });
      if (values.SLACK_APP_ID && install.appId && install.appId !== values.SLACK_APP_ID)
        throw new Error("Slack installed a different app than the one setup created; nothing was stored.");
      await updateEnvFile(options.envPath, { SLACK_BOT_TOKEN: install.botToken });
      options.print(
        `setup: installed the Slack app${install.teamName ? ` in ${install.teamName}` : ""}; its bot token is in ${options.envPath}`,
      );
      session.flash = {
        kind: "ok",
        text: `Installed in ${install.teamName ?? "your workspace"}; the bot token is in .env.`,
      };
    } catch (error) {
      session.flash = { kind: "error", text: (error as Error).message };
    }
    redirect(res, "/setup");
  }

  async function storeSlackByHand(req: IncomingMessage, res: ServerResponse, session: Session) {
    const form = await readForm(req, session);
    const signingSecret = (form.get("signing_secret") ?? "").trim();
    const botToken = (form.get("bot_token") ?? "").trim();
    const values: Record<string, string> = {};
    try {
      if (signingSecret) {
        if (!/^[0-9a-f]{32}$/i.test(signingSecret))
          throw new Error(
            "That is not a signing secret (32 hexadecimal characters, under Basic Information).",
          );
        values.SLACK_SIGNING_SECRET = signingSecret;
      }
      if (botToken) {
        if (!/^xoxb-[A-Za-z0-9-]+$/.test(botToken))
          throw new Error("That is not a bot token (xoxb-…, under OAuth & Permissions).");
        await checkBotToken(options.slackApiUrl, botToken);
        values.SLACK_BOT_TOKEN = botToken;
      }
      if (Object.keys(values).length === 0)
        throw new Error("Paste the signing secret, the bot token, or both.");
      await updateEnvFile(options.envPath, values);
      options.print(`setup: stored ${Object.keys(values).join(" and ")} in ${options.envPath}`);
      session.flash = { kind: "ok", text: `Stored ${Object.keys(values).join(" and ")} in .env.` };
    } catch (error) {
      session.flash = { kind: "error", text: (error as Error).message };
    }
    redirect(res, "/setup");
  }

  async function finishSetup(req: IncomingMessage, res: ServerResponse, session: Session, nonce: string) {
    await readForm(req, session);
    const current = await status.read({ askGitHub: false });
    if (!current.complete) {
      session.flash = { kind: "error", text: "Some credentials are still missing: see the checklist." };
      return redirect(res, "/setup");
    }
    // The App reads its settings from the environment: bring in what setup stored, without
    // overriding what the environment itself sets (as the `.env` loader does at start-up).
    const file = readEnvFile(options.envPath);
    for (const key of [...WRITTEN_KEYS, "PRIVATE_KEY_PATH"]) {
      if (file[key] && !environment[key]?.trim()) options.env[key] = file[key];
    }
    res.once("finish", () => finish());
    sendHtml(res, 200, startingPage({ nonce }));
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://setup.invalid");
    const method = req.method ?? "GET";
    const nonce = randomBytes(16).toString("base64");
    securityHeaders(res, nonce);
    const path = url.pathname;

    if (path === "/healthz") {
      return void res
        .writeHead(503, { "content-type": "application/json" })
        .end(JSON.stringify({ ok: false, setup: true }));
    }
    if (path === WEBHOOK_PATH || path === INTERACTIONS_PATH) {
      // GitHub pings the new webhook right after registration: say why nothing is listening yet.
      req.resume();
      return void res
        .writeHead(503, { "content-type": "text/plain; charset=utf-8", "retry-after": "60" })
        .end("slack-deploy-gate is in setup mode: finish setup, then the App serves this route.\n");
    }
    if (path === "/" && method === "GET") return redirect(res, "/setup");

    // Only GET spends a token or a state: a HEAD (a link preview, a prefetch) must not use them up.
    const get = method === "GET";
    if (path === "/setup" && get && url.searchParams.has("token")) {
      if (!guard.checkAccessToken(url.searchParams.get("token"))) {
        return sendHtml(
          res,
          403,
          messagePage({
            title: "This setup link is not valid",
            nonce,
            back: false,
            html: "<p>Open the address that <code>npm start</code> printed in its console; the token in it changes every time it starts.</p>",
          }),
        );
      }
      const session = guard.openSession();
      const secure = requestOrigin(req).startsWith("https:") ? "; Secure" : "";
      res.setHeader(
        "set-cookie",
        `${SESSION_COOKIE}=${session.id}; Path=/setup; HttpOnly; SameSite=Lax${secure}`,
      );
      // Drop the token from the address bar and history.
      return redirect(res, "/setup");
    }
    if (path === GITHUB_CALLBACK_PATH && get) return githubCallback(req, res, url, nonce);
    if (path === SLACK_OAUTH_PATH && get) return slackCallback(req, res, url, nonce);

    const routes: Record<string, (session: Session) => Promise<void>> = {
      "GET /setup": (session) => renderPage(req, res, session, nonce),
      "GET /setup/checklist": async (session) => {
        const current = await status.read();
        sendHtml(
          res,
          200,
          checklist({ status: current, csrf: guard.csrf(session), envPath: options.envPath }),
        );
      },
      "POST /setup/github": (session) => registerGitHub(req, res, session, nonce),
      "POST /setup/slack/create": (session) => createSlack(req, res, session),
      "POST /setup/slack/install": (session) => installSlack(req, res, session),
      "POST /setup/slack/manual": (session) => storeSlackByHand(req, res, session),
      "POST /setup/finish": (session) => finishSetup(req, res, session, nonce),
    };
    const handler = routes[`${method === "HEAD" ? "GET" : method} ${path}`];
    if (!handler) {
      req.resume();
      return void res.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end("Not found\n");
    }
    let session: Session;
    try {
      session = requireSession(req);
    } catch {
      req.resume();
      return sendHtml(
        res,
        401,
        messagePage({
          title: "Open the setup link from the console",
          nonce,
          back: false,
          html: "<p>This page writes the App's credentials, so it opens only through the address <code>npm start</code> printed (it carries a one-time token).</p>",
        }),
      );
    }
    return handler(session);
  }

  const server: Server = createServer((req, res) => {
    route(req, res).catch((error: unknown) => {
      const status = error instanceof HttpError ? error.status : 500;
      if (!(error instanceof HttpError))
        options.print(
          `setup: ${req.method} ${(req.url ?? "").split("?")[0]} failed: ${(error as Error).message}`,
        );
      if (res.headersSent) return void res.destroy();
      const nonce = randomBytes(16).toString("base64");
      securityHeaders(res, nonce);
      res.setHeader("connection", "close");
      sendHtml(
        res,
        status,
        messagePage({
          title: status === 500 ? "Setup failed" : "Refused",
          nonce,
          html: `<p>${escapeHtml(error instanceof HttpError ? error.message : "Something went wrong; the console says what.")}</p>`,
        }),
      );
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  // The address to print: every interface is reachable as localhost; an IPv6 literal needs brackets.
  const shownHost = ["0.0.0.0", "::"].includes(options.host)
    ? "localhost"
    : options.host.includes(":")
      ? `[${options.host}]`
      : options.host;
  const url = `http://${shownHost}:${address.port}`;

  return {
    url,
    accessUrl: `${url}/setup?token=${guard.accessToken}`,
    finished,
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

/**
 * The origin the browser used: behind a tunnel, its public host (X-Forwarded-Host/-Proto, which
 * tunnels set); otherwise the Host header. Only shapes of host that can be one are accepted.
 */
export function requestOrigin(req: IncomingMessage): string {
  const first = (value: string | string[] | undefined) =>
    (Array.isArray(value) ? value[0] : value)?.split(",")[0]?.trim() || undefined;
  const forwardedProto = first(req.headers["x-forwarded-proto"]);
  const proto =
    forwardedProto === "https" || forwardedProto === "http"
      ? forwardedProto
      : (req.socket as { encrypted?: boolean }).encrypted
        ? "https"
        : "http";
  const candidates = [first(req.headers["x-forwarded-host"]), first(req.headers.host)];
  const host =
    candidates.find((h) => h && /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/.test(h)) ??
    "localhost";
  return `${proto}://${host}`;
}
