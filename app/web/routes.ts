// Sign-in and sign-out for the App's web pages:
//   GET  /signin?return_to=/activity…   a page with "Sign in with GitHub" (or straight on, when signed in)
//   GET  /signin/github?return_to=…     sets a sealed, 10-minute flow cookie holding a random state and
//                                       where to go after, and sends the browser to GitHub's authorize page
//   GET  /signin/github/callback        GitHub sends the browser back with `code` and `state`: the state
//                                       must match this browser's flow cookie (so nobody can sign someone
//                                       else's browser in to their own account); the code becomes a token,
//                                       the token names the person, and the session cookie is set
//   POST /signout                       (CSRF-checked) revokes the token and clears the session
import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "pino";
import { type BodySlots, readWithinLimits } from "../http/body-slots.js";
import { answer } from "../http/respond.js";
import { throttledLog } from "../log-throttle.js";
import type { Access } from "./access.js";
import { checkCsrf } from "./csrf.js";
import type { GitHubOAuth } from "./github-oauth.js";
import { escapeHtml, page, redirect, sendHtml } from "./layout.js";
import { createSealer, readCookies } from "./seal.js";
import { type Session, type Sessions, sameSecret } from "./session.js";

export const SIGNIN_PATH = "/signin";
export const SIGNIN_START_PATH = "/signin/github";
export const SIGNIN_CALLBACK_PATH = "/signin/github/callback";
export const SIGNOUT_PATH = "/signout";

const FLOW_TTL_MS = 10 * 60_000;
const MAX_FORM_BYTES = 1024;
/** Where sign-in may send the browser afterwards: this App's own pages only. */
const DEFAULT_RETURN = "/activity";

interface Flow {
  state: string;
  returnTo: string;
  expiresAt: number;
}

export interface SignInRoutesOptions {
  oauth: GitHubOAuth;
  sessions: Sessions;
  access: Access;
  /** `https://gate.example.com`: state-changing forms must come from here. */
  publicOrigin: string;
  bodies: BodySlots;
  log: Logger;
  clientSecret: string;
  now?: () => number;
}

/** A path on this App to return to after sign-in; anything else (other hosts, `//x`, `\x`) is refused. */
export function safeReturn(value: string | null | undefined): string {
  if (!value || value.length > 2000) return DEFAULT_RETURN;
  if (!value.startsWith("/") || value.startsWith("//") || value.includes("\\")) return DEFAULT_RETURN;
  // Only printable ASCII: no control characters to split a header, nothing to normalise.
  if (!/^[\x20-\x7e]+$/.test(value)) return DEFAULT_RETURN;
  return value;
}

export function signInRoutes(options: SignInRoutesOptions) {
  const { oauth, sessions, access, bodies, log } = options;
  const now = options.now ?? Date.now;
  const flows = createSealer(options.clientSecret, "sign-in flow");
  const flowCookieName = sessions.secure ? "__Host-sdg_signin" : "sdg_signin";
  const attributes = `Path=/; HttpOnly; SameSite=Lax${sessions.secure ? "; Secure" : ""}`;
  const clearFlow = `${flowCookieName}=; ${attributes}; Max-Age=0`;
  const refused = throttledLog(log, "refused sign-in callbacks");

  function signInPage(res: ServerResponse, returnTo: string, notice?: string): void {
    sendHtml(
      res,
      200,
      page(
        "Sign in",
        `<div class="panel"><h1>Sign in to see deployment activity</h1>
${notice ? `<p class="ok" id="notice">${escapeHtml(notice)}</p>` : ""}
<p>The activity page shows approval requests, clicks and what GitHub and Slack answered, for the repositories you can read on GitHub.</p>
<p><a class="button" id="sign-in" href="${SIGNIN_START_PATH}?return_to=${encodeURIComponent(returnTo)}">Sign in with GitHub</a></p>
<p class="muted small">slack-deploy-gate keeps your GitHub token only inside your session cookie, encrypted, to ask GitHub which repositories you can read; signing out revokes it.</p></div>`,
        { narrow: true },
      ),
    );
  }

  function problem(res: ServerResponse, status: number, text: string, reason: string): true {
    refused({ reason });
    sendHtml(
      res,
      status,
      page(
        "Sign-in failed",
        `<div class="panel"><h1>Sign-in failed</h1><p class="error" id="problem">${escapeHtml(text)}</p>
<p><a class="button" href="${SIGNIN_PATH}">Sign in again</a></p></div>`,
        { narrow: true },
      ),
      { "set-cookie": clearFlow },
    );
    return true;
  }

  function start(res: ServerResponse, url: URL): true {
    const flow: Flow = {
      state: randomBytes(24).toString("base64url"),
      returnTo: safeReturn(url.searchParams.get("return_to")),
      expiresAt: now() + FLOW_TTL_MS,
    };
    const cookie = `${flowCookieName}=${flows.seal(flow)}; ${attributes}; Max-Age=${FLOW_TTL_MS / 1000}`;
    redirect(res, oauth.authorizeUrl(flow.state), { "set-cookie": cookie, "referrer-policy": "no-referrer" });
    return true;
  }

  async function callback(req: IncomingMessage, res: ServerResponse, url: URL): Promise<true> {
    const flow = flows.open(readCookies(req.headers.cookie).get(flowCookieName) ?? "") as Flow | undefined;
    if (!flow || typeof flow.state !== "string" || typeof flow.expiresAt !== "number") {
      return problem(
        res,
        400,
        "This sign-in was not started in this browser, or its cookie is gone. Sign in again.",
        "no flow cookie",
      );
    }
    if (flow.expiresAt <= now())
      return problem(res, 400, "The sign-in took too long. Sign in again.", "expired flow");
    if (!sameSecret(url.searchParams.get("state") ?? "", flow.state)) {
      return problem(
        res,
        400,
        "This sign-in does not belong to this browser. Sign in again.",
        "state mismatch",
      );
    }
    if (url.searchParams.get("error"))
      return problem(res, 403, "The sign-in was cancelled at GitHub.", "cancelled");
    const code = url.searchParams.get("code");
    if (!code || code.length > 512) return problem(res, 400, "GitHub sent no code back.", "no code");

    let session: Session;
    try {
      const { token, expiresAt } = await oauth.exchange(code);
      const user = await oauth.user(token);
      session = sessions.create(user, token, expiresAt);
    } catch (error) {
      log.warn({ err: summary(error) }, "GitHub did not confirm a web sign-in");
      return problem(
        res,
        502,
        "GitHub did not confirm the sign-in. Try again in a minute.",
        "exchange failed",
      );
    }
    log.info({ githubLogin: session.login, githubUserId: session.userId }, "signed in to the web pages");
    redirect(res, safeReturn(flow.returnTo), { "set-cookie": [sessions.cookie(session), clearFlow] });
    return true;
  }

  async function signOut(req: IncomingMessage, res: ServerResponse): Promise<true> {
    const read = await readWithinLimits(req, res, { slots: bodies, maxBytes: MAX_FORM_BYTES });
    if (!read.ok) return true;
    const session = sessions.read(req);
    const check = checkCsrf(
      req,
      new URLSearchParams(read.body.toString("utf8")),
      session,
      options.publicOrigin,
    );
    if (!check.ok) {
      refused({ reason: `sign-out: ${check.reason}` });
      answer(res, 403, { text: "refused: this form did not come from this App's page" });
      return true;
    }
    if (session) {
      access.forget(session);
      if (!(await oauth.revoke(session.token)))
        log.warn({ githubLogin: session.login }, "could not revoke a token at sign-out");
    }
    redirect(res, `${SIGNIN_PATH}?signed_out=1`, { "set-cookie": sessions.clear() });
    return true;
  }

  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const path = (req.url ?? "").split("?")[0];
    if (
      path !== SIGNIN_PATH &&
      path !== SIGNIN_START_PATH &&
      path !== SIGNIN_CALLBACK_PATH &&
      path !== SIGNOUT_PATH
    ) {
      return false;
    }
    const url = new URL(req.url ?? "/", "http://app.invalid");
    if (path === SIGNOUT_PATH) {
      if (req.method !== "POST") {
        answer(res, 405, { headers: { allow: "POST" } });
        return true;
      }
      return signOut(req, res);
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      answer(res, 405, { headers: { allow: "GET" }, close: true });
      return true;
    }
    if (path === SIGNIN_START_PATH) return start(res, url);
    if (path === SIGNIN_CALLBACK_PATH) return callback(req, res, url);
    const returnTo = safeReturn(url.searchParams.get("return_to"));
    if (sessions.read(req)) {
      redirect(res, returnTo);
      return true;
    }
    signInPage(res, returnTo, url.searchParams.get("signed_out") ? "You are signed out." : undefined);
    return true;
  };
}

function summary(error: unknown): string {
  const status = (error as { status?: unknown } | null)?.status;
  const message = error instanceof Error ? error.message : String(error);
  return `${typeof status === "number" ? `HTTP ${status}: ` : ""}${message.split("\n")[0]?.slice(0, 200) ?? ""}`;
}
