// What the request message shows, derived from the stored state only: the request, its effects and
// the newest message-update payload. Slack says "approved" only once GitHub took the decision.
import type { Applied, RequestStatus } from "../sentences.js";
import type { EffectRow, NewEffect, RequestRow } from "../store/types.js";
import { effectId, primaryEffect } from "./modes.js";

export function requestStatus(
  request: RequestRow,
  effects: readonly EffectRow[],
  payload: MessageUpdatePayload,
): RequestStatus | undefined {
  if (request.decision) {
    const kind = primaryEffect(request.mode, request.decision);
    const main = effects.find((e) => e.id === effectId(request.requestId, kind));
    const { applied, note } = appliedState(main);
    return {
      kind: "decided",
      decision: request.decision,
      mode: request.mode,
      deciders: request.decidedBy,
      reason: request.reason,
      at: request.decidedAt ?? request.createdAt,
      applied,
      note,
    };
  }
  if (request.closed) {
    return { kind: "closure", closure: request.closed, at: request.closedAt ?? request.createdAt };
  }
  const githubApprovals = request.githubApprovals.map((a) => a.login);
  switch (payload.show) {
    case "progress":
      return { kind: "progress", approvers: payload.approvers, required: payload.required, githubApprovals };
    case "pending":
      return { kind: "pending", githubApprovals };
    case "expired":
      return { kind: "expired", at: new Date(payload.at) };
    case "closed":
      return { kind: "closed", note: payload.note };
    case "decision":
      // Asked to show a decision the request does not have: nothing to change.
      return undefined;
  }
}

function appliedState(effect: EffectRow | undefined): { applied: Applied; note: string | null } {
  if (!effect) return { applied: "applying", note: null };
  switch (effect.state) {
    case "done":
      return { applied: "applied", note: null };
    case "obsolete":
      return { applied: "not_applied", note: effect.note };
    case "failed":
      return { applied: "unknown", note: effect.note };
    case "waiting":
      return { applied: "waiting_for_gate", note: null };
    case "due":
      return effect.attempts > 0 || effect.lastError
        ? { applied: "retrying", note: effect.lastError }
        : { applied: "applying", note: null };
  }
}

/** The coalesced message update of a request, made due with what it should show. */
export function messageUpdate(requestId: string, payload: MessageUpdatePayload): NewEffect {
  return {
    id: effectId(requestId, "slack.update"),
    requestId,
    kind: "slack.update",
    payload,
    state: "due",
    onConflict: "refresh",
  };
}

/** One thread reply; the suffix makes its id, so the same reply is never posted twice. */
export function threadReply(request: { requestId: string }, suffix: string, text: string): NewEffect {
  return {
    id: effectId(request.requestId, "slack.reply", suffix),
    requestId: request.requestId,
    kind: "slack.reply",
    payload: { text },
    state: "due",
    onConflict: "ignore",
  };
}

export type MessageUpdatePayload =
  | { show: "progress"; approvers: string[]; required: number }
  /** Nobody voted yet: the request as it stands (first contact, news from GitHub). */
  | { show: "pending" }
  | { show: "expired"; at: string }
  | { show: "closed"; note: string }
  | { show: "decision" };
