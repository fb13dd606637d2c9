// Who may use the setup page, which writes the App's credentials. Three locks:
// - an access token, printed by `npm start` in the address to open; it buys a session cookie
//   (HttpOnly, SameSite=Lax), so a tunnel's visitors who never saw the console get nothing;
// - a per-session CSRF value in every form;
// - the `state` sent to GitHub and Slack: signed with a per-process key, bound to the session, expiring,
//   and good once, so a callback is accepted only for a flow this browser started here.
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

export const SESSION_COOKIE = "sdg_setup";
const SESSION_TTL_MS = 12 * 60 * 60 * 1000;
const MAX_SESSIONS = 50;

export type StatePurpose = "github" | "slack";

export interface Session {
  id: string;
  expiresAt: number;
  /** One message shown on the next page view (a result or an error), then dropped. */
  flash?: { kind: "ok" | "error"; text: string };
}

export type StateCheck = { ok: true } | { ok: false; reason: string };

export class SetupGuard {
  /** Printed in the setup address; the only way in. */
  readonly accessToken = randomBytes(24).toString("base64url");
  private readonly key = randomBytes(32);
  private readonly sessions = new Map<string, Session>();
  /** Nonces of states already used, until they would have expired anyway. */
  private readonly used = new Map<string, number>();

  constructor(private readonly clock: () => number = Date.now) {}

  checkAccessToken(candidate: string | null | undefined): boolean {
    return typeof candidate === "string" && sameText(candidate, this.accessToken);
  }

  openSession(): Session {
    this.prune();
    if (this.sessions.size >= MAX_SESSIONS) {
      const oldest = [...this.sessions.values()].sort((a, b) => a.expiresAt - b.expiresAt)[0];
      if (oldest) this.sessions.delete(oldest.id);
    }
    const session: Session = {
      id: randomBytes(24).toString("base64url"),
      expiresAt: this.clock() + SESSION_TTL_MS,
    };
    this.sessions.set(session.id, session);
    return session;
  }

  /** The session named by the request's cookie, if it is one of ours and still valid. */
  session(cookieHeader: string | undefined): Session | undefined {
    const id = readCookie(cookieHeader, SESSION_COOKIE);
    if (!id) return undefined;
    const session = this.sessions.get(id);
    if (!session || session.expiresAt <= this.clock()) return undefined;
    return session;
  }

  csrf(session: Session): string {
    return this.mac(`csrf:${session.id}`);
  }

  checkCsrf(session: Session, candidate: string | undefined): boolean {
    return typeof candidate === "string" && sameText(candidate, this.csrf(session));
  }

  /** A `state` for a GitHub or Slack round trip started by `session`. */
  issueState(purpose: StatePurpose, session: Session, ttlMs: number): string {
    const payload = Buffer.from(
      JSON.stringify({
        p: purpose,
        // The session's MAC, not its id: states travel through other services' URLs and logs.
        s: this.mac(`state-session:${session.id}`).slice(0, 22),
        n: randomBytes(12).toString("base64url"),
        e: this.clock() + ttlMs,
      }),
    ).toString("base64url");
    return `${payload}.${this.mac(`state:${payload}`)}`;
  }

  /** Accepts a state once: signed here, for this purpose and session, not expired, not used before. */
  consumeState(purpose: StatePurpose, session: Session | undefined, state: string | null): StateCheck {
    if (!state) return { ok: false, reason: "the callback carries no state" };
    const [payload, signature, extra] = state.split(".");
    if (!payload || !signature || extra !== undefined || !sameText(signature, this.mac(`state:${payload}`)))
      return { ok: false, reason: "the callback's state was not issued by this setup page" };
    let data: { p?: unknown; s?: unknown; n?: unknown; e?: unknown };
    try {
      data = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
    } catch {
      return { ok: false, reason: "the callback's state was not issued by this setup page" };
    }
    if (data.p !== purpose) return { ok: false, reason: "the callback's state belongs to another step" };
    if (typeof data.e !== "number" || data.e <= this.clock())
      return { ok: false, reason: "the callback came too late (its state has expired)" };
    if (!session || data.s !== this.mac(`state-session:${session.id}`).slice(0, 22))
      return { ok: false, reason: "the callback belongs to another browser session" };
    this.prune();
    if (typeof data.n !== "string" || this.used.has(data.n))
      return { ok: false, reason: "the callback was already used" };
    this.used.set(data.n, data.e);
    return { ok: true };
  }

  private mac(text: string): string {
    return createHmac("sha256", this.key).update(text).digest("base64url");
  }

  private prune(): void {
    const now = this.clock();
    for (const [id, session] of this.sessions) if (session.expiresAt <= now) this.sessions.delete(id);
    for (const [nonce, expiresAt] of this.used) if (expiresAt <= now) this.used.delete(nonce);
  }
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const index = part.indexOf("=");
    if (index > 0 && part.slice(0, index).trim() === name) return part.slice(index + 1).trim();
  }
  return undefined;
}
