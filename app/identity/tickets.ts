// Signed, short-lived tickets of the link flow. Two kinds:
// - `link`: what the "Link your GitHub account" button carries, issued only to the Slack user it names
//   (in a reply only they see), for a workspace; it opens the App's link page.
// - `state`: the OAuth `state` sent to GitHub when that page is confirmed; it repeats the link ticket's
//   Slack user, workspace and id, and binds the flow to the browser that confirmed it (a hash of a
//   cookie set on that browser), so a callback carried into another browser is refused.
// Each is an HMAC-SHA256 over its JSON, with a key derived from the GitHub App's client secret (HKDF,
// one label per purpose), so nothing else signed with that secret can pass for a ticket. Checking is
// constant-time; expiry and kind are checked after the signature. Single use is the link store's
// (`spend`): a ticket's id is spent when its sign-in completes, a state's when its callback arrives.
import { createHash, createHmac, hkdfSync, randomBytes, timingSafeEqual } from "node:crypto";

export type TicketKind = "link" | "state";

export interface Ticket {
  kind: TicketKind;
  /** The Slack workspace key (enterprise id on Grid, else team id). */
  workspace: string;
  /** The Slack user the link is for. */
  slackUserId: string;
  /** Random; the single-use key. A state repeats its link ticket's id in `ticketId`. */
  id: string;
  /** Epoch seconds. */
  expiresAt: number;
  /** `state` only: the id of the link ticket it was made from. */
  ticketId?: string;
  /** `state` only: sha256 of the browser's link cookie. */
  browser?: string;
}

/** Long enough to open Slack's button and sign in to GitHub; short enough that a stray ticket dies soon. */
export const TICKET_TTL_SECONDS = 10 * 60;

const VERSION = "v1";
/** Bounds what an unauthenticated caller can make the App parse. */
const MAX_TOKEN_CHARS = 1024;
const FIELD = /^[A-Za-z0-9_-]{1,64}$/;

export class TicketError extends Error {
  override name = "TicketError";
}

export interface Tickets {
  issue(
    kind: TicketKind,
    fields: Pick<Ticket, "workspace" | "slackUserId"> & Partial<Pick<Ticket, "ticketId" | "browser">>,
    now?: Date,
  ): { token: string; ticket: Ticket };
  /** The ticket, when the token is one of this kind, signed with this key, and not expired. Throws TicketError. */
  verify(kind: TicketKind, token: string, now?: Date): Ticket;
}

export function createTickets(clientSecret: string, ttlSeconds = TICKET_TTL_SECONDS): Tickets {
  if (!clientSecret) throw new Error("tickets need the GitHub App's client secret");
  const key = Buffer.from(hkdfSync("sha256", clientSecret, "slack-deploy-gate", "identity tickets v1", 32));
  const sign = (body: string) => createHmac("sha256", key).update(`${VERSION}.${body}`).digest("base64url");

  return {
    issue(kind, fields, now = new Date()) {
      const ticket: Ticket = {
        kind,
        workspace: fields.workspace,
        slackUserId: fields.slackUserId,
        id: randomBytes(16).toString("base64url"),
        expiresAt: Math.floor(now.getTime() / 1000) + ttlSeconds,
        ...(fields.ticketId ? { ticketId: fields.ticketId } : {}),
        ...(fields.browser ? { browser: fields.browser } : {}),
      };
      const body = Buffer.from(JSON.stringify(ticket)).toString("base64url");
      return { token: `${VERSION}.${body}.${sign(body)}`, ticket };
    },

    verify(kind, token, now = new Date()) {
      if (typeof token !== "string" || token.length > MAX_TOKEN_CHARS) throw new TicketError("malformed");
      const parts = token.split(".");
      if (parts.length !== 3 || parts[0] !== VERSION) throw new TicketError("malformed");
      const [, body, signature] = parts as [string, string, string];
      const expected = Buffer.from(sign(body));
      const given = Buffer.from(signature);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        throw new TicketError("bad signature");
      }
      let ticket: Ticket;
      try {
        ticket = JSON.parse(Buffer.from(body, "base64url").toString("utf8")) as Ticket;
      } catch {
        throw new TicketError("malformed");
      }
      if (ticket.kind !== kind) throw new TicketError(`not a ${kind} ticket`);
      for (const field of [ticket.workspace, ticket.slackUserId, ticket.id]) {
        if (typeof field !== "string" || !FIELD.test(field)) throw new TicketError("malformed");
      }
      if (typeof ticket.expiresAt !== "number" || ticket.expiresAt * 1000 <= now.getTime()) {
        throw new TicketError("expired");
      }
      return ticket;
    },
  };
}

/** The browser binding a state carries: a digest of the cookie, so the state never reveals the cookie. */
export function browserBinding(cookie: string): string {
  return createHash("sha256").update(`sdg-link-browser:${cookie}`).digest("base64url");
}
