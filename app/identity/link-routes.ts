// The link flow's routes, in the order a person meets them:
//   GET  /github/link?ticket=…      the page a "Link your GitHub account" button opens: says which Slack
//                                   user is being linked, sets the browser's link cookie, asks to continue;
//   POST /github/link               (that page's form) → a signed state bound to the ticket's Slack user,
//                                   workspace and ticket id, and to this browser's cookie → 303 to GitHub;
//   GET  /github/link/callback      GitHub sends the browser back with `code` and `state`.
// The callback links only when the state is genuine, unexpired, unused (each state, and each ticket, is
// spent once), bound to this very browser, and for the workspace the App serves. The form post must
// come from the page itself (same origin, and a value only that page, in that browser, holds), so
// another site cannot push a visitor's browser through the flow for somebody else's ticket.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "pino";
import { type BodySlots, readWithinLimits } from "../http/body-slots.js";
import { answer } from "../http/respond.js";
import { throttledLog } from "../log-throttle.js";
import type { LinkStore } from "./links.js";
import { confirmPage, linkedPage, problemPage, sendPage } from "./pages.js";
import type { SignIn } from "./signin.js";
import { browserBinding, TicketError, type Tickets } from "./tickets.js";

export const LINK_PATH = "/github/link";
export const CALLBACK_PATH = "/github/link/callback";
export const LINK_COOKIE = "sdg_link";
/** The form holds a ticket and a confirmation value: far below this. */
const MAX_FORM_BYTES = 4096;
const COOKIE_VALUE = /^[A-Za-z0-9_-]{43}$/;

export interface LinkRoutesOptions {
  tickets: Tickets;
  signIn: SignIn;
  links: LinkStore;
  /** The Slack workspace the App serves now (undefined until it is known). */
  workspaceKey: () => string | undefined;
  /** The Slack user's display name, for the page; undefined when Slack cannot say quickly. */
  slackName: (slackUserId: string) => Promise<string | undefined>;
  /** The App's public address (`https://…`): forms must come from it; cookies are Secure on https. */
  publicUrl: string;
  bodies: BodySlots;
  log: Logger;
  now?: () => Date;
}

export function linkRoutes(options: LinkRoutesOptions) {
  const { tickets, signIn, links, bodies, log } = options;
  const now = options.now ?? (() => new Date());
  const publicOrigin = new URL(options.publicUrl).origin;
  const secure = publicOrigin.startsWith("https:");
  const githubOrigin = new URL(signIn.githubWebUrl).origin;
  const refused = throttledLog(log, "refused link-flow requests");

  const cookie = (value: string, maxAge: number) =>
    `${LINK_COOKIE}=${value}; Path=${LINK_PATH}; HttpOnly; SameSite=Lax; Max-Age=${maxAge}${secure ? "; Secure" : ""}`;

  function problem(res: ServerResponse, status: number, title: string, text: string, reason: string) {
    refused({ reason });
    sendPage(res, status, problemPage(title, text));
    return true;
  }

  async function showConfirm(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
    const ticket = readTicket(url.searchParams.get("ticket") ?? "");
    if (!ticket.ok) return problem(res, 400, "This link cannot be used", ticket.text, ticket.reason);
    if (ticket.value.workspace !== options.workspaceKey()) {
      return problem(
        res,
        400,
        "This link cannot be used",
        "This link was made for another Slack workspace than the one this App serves now.",
        "another workspace",
      );
    }
    const existing = readCookie(req);
    const browser = existing ?? randomBytes(32).toString("base64url");
    const [name, current] = await Promise.all([
      options.slackName(ticket.value.slackUserId).catch(() => undefined),
      links.get(ticket.value.workspace, ticket.value.slackUserId),
    ]);
    sendPage(
      res,
      200,
      confirmPage({
        ticket: url.searchParams.get("ticket") ?? "",
        confirm: confirmValue(browser, ticket.value.id),
        slackUserId: ticket.value.slackUserId,
        slackName: name,
        current: current && { login: current.githubLogin },
        githubHost: new URL(signIn.githubWebUrl).host,
      }),
      // The form's answer is a redirect to GitHub: form-action must allow GitHub's origin too.
      { cookies: [cookie(browser, 15 * 60)], formTarget: githubOrigin },
    );
    return true;
  }

  async function startSignIn(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    // Browsers say where a form post comes from; anything but this App's own page is refused.
    const site = req.headers["sec-fetch-site"];
    const origin = req.headers.origin;
    if ((site !== undefined && site !== "same-origin") || (origin !== undefined && origin !== publicOrigin)) {
      answer(res, 403, { text: "cross-site form refused", close: true });
      refused({ reason: "cross-site form" });
      return true;
    }
    const read = await readWithinLimits(req, res, { slots: bodies, maxBytes: MAX_FORM_BYTES });
    if (!read.ok) return true;
    const form = new URLSearchParams(read.body.toString("utf8"));
    const ticket = readTicket(form.get("ticket") ?? "");
    if (!ticket.ok) return problem(res, 400, "This link cannot be used", ticket.text, ticket.reason);
    const browser = readCookie(req);
    if (!browser || !sameText(form.get("confirm") ?? "", confirmValue(browser, ticket.value.id))) {
      return problem(
        res,
        400,
        "This page cannot continue",
        "The page was not opened in this browser, or it was sent from somewhere else. Open the link from Slack again.",
        "confirmation value",
      );
    }
    if (ticket.value.workspace !== options.workspaceKey()) {
      return problem(
        res,
        400,
        "This link cannot be used",
        "This link was made for another Slack workspace.",
        "another workspace",
      );
    }
    const state = tickets.issue(
      "state",
      {
        workspace: ticket.value.workspace,
        slackUserId: ticket.value.slackUserId,
        ticketId: ticket.value.id,
        browser: browserBinding(browser),
      },
      now(),
    );
    res
      .writeHead(303, {
        location: signIn.authorizeUrl(state.token),
        "cache-control": "no-store",
        "referrer-policy": "no-referrer",
      })
      .end();
    return true;
  }

  async function finish(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
    const title = "Your GitHub account was not linked";
    let state: ReturnType<Tickets["verify"]>;
    try {
      state = tickets.verify("state", url.searchParams.get("state") ?? "", now());
    } catch (error) {
      const expired = error instanceof TicketError && error.message === "expired";
      return problem(
        res,
        400,
        title,
        expired
          ? "The sign-in took too long and has expired."
          : "This sign-in was not started by slack-deploy-gate, or it was changed on the way.",
        expired ? "expired state" : "forged state",
      );
    }
    const browser = readCookie(req);
    if (!browser || !sameText(browserBinding(browser), state.browser ?? "")) {
      return problem(
        res,
        400,
        title,
        "This sign-in was started in another browser. Finish it in the browser where you pressed Continue.",
        "another browser",
      );
    }
    if (state.workspace !== options.workspaceKey()) {
      return problem(
        res,
        400,
        title,
        "This sign-in was made for another Slack workspace.",
        "another workspace",
      );
    }
    const expiresAt = new Date(state.expiresAt * 1000);
    if (!(await links.spend(`state:${state.id}`, expiresAt, now()))) {
      return problem(res, 400, title, "This sign-in has been completed already.", "replayed state");
    }
    if (url.searchParams.get("error")) {
      sendPage(res, 200, problemPage(title, "The sign-in was cancelled at GitHub."), {
        cookies: [cookie("", 0)],
      });
      return true;
    }
    const code = url.searchParams.get("code");
    if (!code || code.length > 512) return problem(res, 400, title, "GitHub sent no code back.", "no code");
    if (!state.ticketId || !(await links.spend(`ticket:${state.ticketId}`, expiresAt, now()))) {
      return problem(
        res,
        400,
        title,
        "This link button has been used already; each one links once.",
        "ticket used twice",
      );
    }

    let who: Awaited<ReturnType<SignIn["whoSignedIn"]>>;
    try {
      who = await signIn.whoSignedIn(code);
    } catch (error) {
      log.warn({ err: errorSummary(error) }, "GitHub did not confirm a sign-in");
      sendPage(res, 502, problemPage(title, "GitHub did not confirm who signed in. Try again in a minute."));
      return true;
    }
    if (who.revokeFailed) log.warn({ githubLogin: who.login }, "could not revoke a sign-in's user token");
    if (who.suspended) {
      return problem(res, 403, title, `The GitHub account @${who.login} is suspended.`, "suspended account");
    }
    const saved = await links.save({
      workspace: state.workspace,
      slackUserId: state.slackUserId,
      githubUserId: who.id,
      githubLogin: who.login,
      linkedAt: now(),
    });
    if (!saved.ok) {
      return problem(
        res,
        409,
        title,
        `The GitHub account @${who.login} is linked to another Slack user in this workspace. That person can remove the link with /deploy-gate unlink, or an administrator can.`,
        "account linked elsewhere",
      );
    }
    log.info(
      { slackUserId: state.slackUserId, githubLogin: who.login, githubUserId: who.id },
      "linked a Slack user to a GitHub account",
    );
    sendPage(
      res,
      200,
      linkedPage({
        login: who.login,
        slackUserId: state.slackUserId,
        replaced:
          saved.replaced && saved.replaced.githubUserId !== who.id ? saved.replaced.githubLogin : undefined,
      }),
      { cookies: [cookie("", 0)] },
    );
    return true;
  }

  function readTicket(
    token: string,
  ): { ok: true; value: ReturnType<Tickets["verify"]> } | { ok: false; text: string; reason: string } {
    try {
      return { ok: true, value: tickets.verify("link", token, now()) };
    } catch (error) {
      if (error instanceof TicketError && error.message === "expired") {
        return {
          ok: false,
          text: "This link has expired (links last 10 minutes). Ask for a new one with /deploy-gate link in Slack.",
          reason: "expired ticket",
        };
      }
      return {
        ok: false,
        text: "This link is not valid. Ask for a new one with /deploy-gate link in Slack.",
        reason: "forged ticket",
      };
    }
  }

  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const url = new URL(req.url ?? "/", "http://app.invalid");
    if (url.pathname === LINK_PATH) {
      if (req.method === "GET") return showConfirm(req, res, url);
      if (req.method === "POST") return startSignIn(req, res);
      answer(res, 405, { headers: { allow: "GET, POST" } });
      return true;
    }
    if (url.pathname === CALLBACK_PATH) {
      if (req.method === "GET") return finish(req, res, url);
      answer(res, 405, { headers: { allow: "GET" } });
      return true;
    }
    return false;
  };
}

function readCookie(req: IncomingMessage): string | undefined {
  for (const part of (req.headers.cookie ?? "").split(";")) {
    const [name, ...rest] = part.trim().split("=");
    if (name === LINK_COOKIE) {
      const value = rest.join("=");
      return COOKIE_VALUE.test(value) ? value : undefined;
    }
  }
  return undefined;
}

/** What the confirm page's form must send back: only that page, in the browser holding the cookie, has it. */
function confirmValue(browser: string, ticketId: string): string {
  return createHash("sha256").update(`sdg-link-confirm:${browser}:${ticketId}`).digest("base64url");
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function errorSummary(error: unknown): string {
  const status = (error as { status?: unknown } | null)?.status;
  const message = error instanceof Error ? error.message : String(error);
  return `${typeof status === "number" ? `HTTP ${status}: ` : ""}${message.split("\n")[0]?.slice(0, 200) ?? ""}`;
}
