// CSRF protection for every form that changes state: the form must come from this App's own pages
// (the browser's Origin and Sec-Fetch-Site say so, where it sends them) and carry the session's CSRF
// value, which only a page rendered for that session holds. Either check alone would stop a forged
// post; both are kept, as browsers differ in which headers they send.
import type { IncomingMessage } from "node:http";
import { type Session, sameSecret } from "./session.js";

export const CSRF_FIELD = "csrf";

export type CsrfCheck = { ok: true } | { ok: false; reason: string };

export function checkCsrf(
  req: IncomingMessage,
  form: URLSearchParams,
  session: Session | undefined,
  publicOrigin: string,
): CsrfCheck {
  const site = req.headers["sec-fetch-site"];
  if (site !== undefined && site !== "same-origin") return { ok: false, reason: "cross-site form" };
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== publicOrigin)
    return { ok: false, reason: "form from another origin" };
  if (!session) return { ok: false, reason: "not signed in" };
  if (!sameSecret(form.get(CSRF_FIELD) ?? "", session.csrf))
    return { ok: false, reason: "missing or wrong CSRF value" };
  return { ok: true };
}

/** The hidden field a state-changing form carries. */
export function csrfField(session: Session): string {
  return `<input type="hidden" name="${CSRF_FIELD}" value="${session.csrf}">`;
}
