// Who is signed in to the App's web pages: a sealed session cookie (seal.ts) holding the GitHub user
// and their user access token, HttpOnly, SameSite=Lax, Secure when the App is served over TLS
// (PUBLIC_URL https), and named with the `__Host-` prefix there (no subdomain can set or read it). A
// session ends when its token does (GitHub App user tokens last 8 hours) or at sign-out; nothing is
// kept on the server, so every replica reads the same cookie.
import { randomBytes, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { createSealer, readCookies } from "./seal.js";

export interface Session {
  /** GitHub user id and login. */
  userId: number;
  login: string;
  /** The user access token the App's web flow gave; used to ask GitHub what this person can read. */
  token: string;
  /** Epoch milliseconds: the session (and its token) ends then. */
  expiresAt: number;
  /** The value every state-changing form must carry (csrf.ts). */
  csrf: string;
}

/** Longest a session lasts, whatever the token says (GitHub's user tokens last 8 hours). */
export const MAX_SESSION_MS = 8 * 60 * 60_000;

export interface Sessions {
  readonly cookieName: string;
  readonly secure: boolean;
  /** The session the request carries, if it is genuine and unexpired. */
  read(req: IncomingMessage): Session | undefined;
  /** A new session for this user and token (a fresh CSRF value). */
  create(user: { id: number; login: string }, token: string, tokenExpiresAt: number | undefined): Session;
  /** The Set-Cookie header that stores the session. */
  cookie(session: Session): string;
  /** The Set-Cookie header that removes it. */
  clear(): string;
}

export function createSessions(options: { secret: string; secure: boolean; now?: () => number }): Sessions {
  const now = options.now ?? Date.now;
  const sealer = createSealer(options.secret, "session");
  const secure = options.secure;
  const cookieName = secure ? "__Host-sdg_session" : "sdg_session";
  const attributes = `Path=/; HttpOnly; SameSite=Lax${secure ? "; Secure" : ""}`;

  return {
    cookieName,
    secure,
    read(req) {
      const value = readCookies(req.headers.cookie).get(cookieName);
      if (!value) return undefined;
      const session = sealer.open(value) as Partial<Session> | undefined;
      if (
        !session ||
        typeof session.userId !== "number" ||
        typeof session.login !== "string" ||
        typeof session.token !== "string" ||
        typeof session.expiresAt !== "number" ||
        typeof session.csrf !== "string"
      ) {
        return undefined;
      }
      if (session.expiresAt <= now()) return undefined;
      return session as Session;
    },
    create(user, token, tokenExpiresAt) {
      const cap = now() + MAX_SESSION_MS;
      return {
        userId: user.id,
        login: user.login,
        token,
        expiresAt: tokenExpiresAt === undefined ? cap : Math.min(cap, tokenExpiresAt),
        csrf: randomBytes(24).toString("base64url"),
      };
    },
    cookie(session) {
      const maxAge = Math.max(0, Math.floor((session.expiresAt - now()) / 1000));
      return `${cookieName}=${sealer.seal(session)}; ${attributes}; Max-Age=${maxAge}`;
    },
    clear() {
      return `${cookieName}=; ${attributes}; Max-Age=0`;
    },
  };
}

/** Constant-time comparison of two strings of any length. */
export function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
