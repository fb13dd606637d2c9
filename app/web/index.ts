// The App's web sign-in, for every page that needs to know who is looking (the activity page; an
// admin view of linked accounts can use the same): GitHub sign-in (the GitHub App's own user
// authorization), sealed session cookies, CSRF checks for forms that change state, and what the person
// may see on GitHub (repositories they can read, organizations they administer). Needs
// GITHUB_CLIENT_ID, GITHUB_CLIENT_SECRET and PUBLIC_URL; without them `createWeb` returns undefined
// and pages that need a person answer that sign-in is not configured.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "pino";
import type { Octokit } from "../github/installations.js";
import type { BodySlots } from "../http/body-slots.js";
import type { RequestHandler } from "../http/server.js";
import { type Access, createAccess } from "./access.js";
import { type CsrfCheck, checkCsrf } from "./csrf.js";
import { createGitHubOAuth, type GitHubOAuth } from "./github-oauth.js";
import { redirect } from "./layout.js";
import { SIGNIN_CALLBACK_PATH, SIGNIN_PATH, signInRoutes } from "./routes.js";
import { createSessions, type Session, type Sessions } from "./session.js";

export type { Access, Scope } from "./access.js";
export { SessionEndedError } from "./access.js";
export { CSRF_FIELD, csrfField } from "./csrf.js";
export { escapeHtml, PRIVATE_HEADERS, page, redirect, sendHtml } from "./layout.js";
export { SIGNIN_CALLBACK_PATH, SIGNIN_PATH, SIGNOUT_PATH } from "./routes.js";
export type { Session } from "./session.js";

export interface WebSettings {
  clientId: string;
  clientSecret: string;
  /** The App's public address, without a trailing slash (PUBLIC_URL). */
  publicUrl: string;
  githubApiUrl: string;
}

export interface Web {
  readonly oauth: GitHubOAuth;
  readonly sessions: Sessions;
  readonly access: Access;
  /** The callback URL to register among the GitHub App's callback URLs. */
  readonly callbackUrl: string;
  readonly publicOrigin: string;
  /** /signin, its GitHub callback, /signout. */
  readonly routes: RequestHandler;
  session(req: IncomingMessage): Session | undefined;
  /** The session, or (having sent the browser to sign in, back to this page after) undefined. */
  requireSession(req: IncomingMessage, res: ServerResponse): Session | undefined;
  checkCsrf(req: IncomingMessage, form: URLSearchParams, session: Session | undefined): CsrfCheck;
}

export interface WebOptions {
  settings: WebSettings;
  /** An installation's client, for organization memberships. */
  installationClient: (installationId: number) => Promise<Octokit>;
  bodies: BodySlots;
  log: Logger;
  /** Epoch milliseconds (tests move it). */
  now?: () => number;
  accessTtlMs?: number;
}

export function createWeb(options: WebOptions): Web {
  const { settings } = options;
  const publicOrigin = new URL(settings.publicUrl).origin;
  const callbackUrl = `${settings.publicUrl}${SIGNIN_CALLBACK_PATH}`;
  const oauth = createGitHubOAuth({
    clientId: settings.clientId,
    clientSecret: settings.clientSecret,
    redirectUrl: callbackUrl,
    githubApiUrl: settings.githubApiUrl,
  });
  const sessions = createSessions({
    secret: settings.clientSecret,
    secure: publicOrigin.startsWith("https:"),
    now: options.now,
  });
  const access = createAccess({
    githubApiUrl: settings.githubApiUrl,
    installationClient: options.installationClient,
    ttlMs: options.accessTtlMs,
    now: options.now,
  });
  const routes = signInRoutes({
    oauth,
    sessions,
    access,
    publicOrigin,
    bodies: options.bodies,
    log: options.log,
    clientSecret: settings.clientSecret,
    now: options.now,
  });

  return {
    oauth,
    sessions,
    access,
    callbackUrl,
    publicOrigin,
    routes,
    session: (req) => sessions.read(req),
    requireSession(req, res) {
      const session = sessions.read(req);
      if (session) return session;
      redirect(res, `${SIGNIN_PATH}?return_to=${encodeURIComponent(req.url ?? "/")}`);
      return undefined;
    },
    checkCsrf: (req, form, session) => checkCsrf(req, form, session, publicOrigin),
  };
}
