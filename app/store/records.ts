// Rows as both databases hold them, and the one mapping between them and the App's types. Both
// backends store dates as epoch milliseconds (bigint) and JSON as text, so a row reads the same from
// SQLite and from PostgreSQL (whose bigint parser the driver sets to numbers).
import type { RequestFacts } from "../../common/facts.js";
import type { Mode } from "../../common/reference.js";
import type {
  Closure,
  Decider,
  Decision,
  EffectKind,
  EffectRow,
  EffectState,
  GateRow,
  GitHubApproval,
  InboundRow,
  RequestRow,
  RunOutcome,
  Vote,
  VoteRow,
} from "./types.js";

/** Repositories are stored and looked up lower-cased: GitHub ignores their case. */
export function repositoryKey(repository: string): string {
  return repository.toLowerCase();
}

/**
 * The look-up key of an environment name: GitHub ignores case in environment names, and so does the
 * policy (app/policy/resolve.ts). The name itself is stored as GitHub spelt it.
 */
export function environmentKey(environment: string): string {
  return environment.toLowerCase();
}

export const REQUEST_COLUMNS =
  "request_id, repository, run_id, run_attempt, environment, mode, channel_id, message_ts, message_blocks, " +
  "created_at, decision, decided_at, decided_by, reason, origin, facts, expires_at, remind_every_ms, " +
  "reminders_sent, next_reminder_at, closed, closed_at, github_approvals, outcome";

export interface RequestRecord {
  request_id: string;
  repository: string;
  run_id: number;
  run_attempt: number;
  environment: string;
  mode: string;
  channel_id: string;
  message_ts: string;
  message_blocks: string;
  created_at: number;
  decision: string | null;
  decided_at: number | null;
  decided_by: string;
  reason: string | null;
  origin: string;
  facts: string | null;
  expires_at: number | null;
  remind_every_ms: number | null;
  reminders_sent: number;
  next_reminder_at: number | null;
  closed: string | null;
  closed_at: number | null;
  github_approvals: string;
  outcome: string | null;
}

export function toRequestRow(r: RequestRecord): RequestRow {
  return {
    requestId: r.request_id,
    repository: r.repository,
    runId: r.run_id,
    runAttempt: r.run_attempt,
    environment: r.environment,
    mode: r.mode as Mode,
    channelId: r.channel_id,
    messageTs: r.message_ts,
    messageBlocks: JSON.parse(r.message_blocks) as unknown[],
    createdAt: new Date(r.created_at),
    decision: r.decision as Decision | null,
    decidedAt: toDate(r.decided_at),
    decidedBy: JSON.parse(r.decided_by) as Decider[],
    reason: r.reason,
    origin: r.origin === "app" ? "app" : "action",
    facts: r.facts === null ? null : (JSON.parse(r.facts) as RequestFacts),
    expiresAt: toDate(r.expires_at),
    remindEveryMs: r.remind_every_ms,
    remindersSent: r.reminders_sent,
    nextReminderAt: toDate(r.next_reminder_at),
    closed: r.closed === null ? null : (JSON.parse(r.closed) as Closure),
    closedAt: toDate(r.closed_at),
    githubApprovals: JSON.parse(r.github_approvals) as GitHubApproval[],
    outcome: r.outcome === null ? null : (JSON.parse(r.outcome) as RunOutcome),
  };
}

export const VOTE_COLUMNS = "request_id, slack_user_id, vote, reason, at";

export interface VoteRecord {
  request_id: string;
  slack_user_id: string;
  vote: string;
  reason: string | null;
  at: number;
}

export function toVoteRow(r: VoteRecord): VoteRow {
  return {
    requestId: r.request_id,
    slackUserId: r.slack_user_id,
    vote: r.vote as Vote,
    reason: r.reason,
    at: new Date(r.at),
  };
}

export const GATE_COLUMNS = "repository, run_id, environment, installation_id, received_at";

export interface GateRecord {
  repository: string;
  run_id: number;
  environment: string;
  installation_id: number;
  received_at: number;
}

export function toGateRow(r: GateRecord): GateRow {
  return {
    repository: r.repository,
    runId: r.run_id,
    environment: r.environment,
    installationId: r.installation_id,
    receivedAt: new Date(r.received_at),
  };
}

export const EFFECT_COLUMNS =
  "id, request_id, kind, payload, state, generation, attempts, next_attempt_at, lease_until, last_error, " +
  "note, result, created_at, updated_at";

export interface EffectRecord {
  id: string;
  request_id: string;
  kind: string;
  payload: string;
  state: string;
  generation: number;
  attempts: number;
  next_attempt_at: number | null;
  lease_until: number | null;
  last_error: string | null;
  note: string | null;
  result: string | null;
  created_at: number;
  updated_at: number;
}

export function toEffectRow(r: EffectRecord): EffectRow {
  return {
    id: r.id,
    requestId: r.request_id,
    kind: r.kind as EffectKind,
    payload: JSON.parse(r.payload) as unknown,
    state: r.state as EffectState,
    generation: r.generation,
    attempts: r.attempts,
    nextAttemptAt: toDate(r.next_attempt_at),
    leaseUntil: toDate(r.lease_until),
    lastError: r.last_error,
    note: r.note,
    result: r.result === null ? null : (JSON.parse(r.result) as unknown),
    createdAt: new Date(r.created_at),
    updatedAt: new Date(r.updated_at),
  };
}

/** Claims come back in the database's order; callers get them oldest due first. */
export function byDueTime(a: EffectRecord, b: EffectRecord): number {
  return (a.next_attempt_at ?? 0) - (b.next_attempt_at ?? 0) || compare(a.id, b.id);
}

export const INBOUND_COLUMNS = "id, received_at, body, attempts, lease_until";

export interface InboundRecord {
  id: string;
  received_at: number;
  body: string;
  attempts: number;
  lease_until: number | null;
}

export function toInboundRow(r: InboundRecord): InboundRow {
  return {
    id: r.id,
    receivedAt: new Date(r.received_at),
    body: r.body,
    attempts: r.attempts,
    leaseUntil: toDate(r.lease_until),
  };
}

export function byReceivedTime(a: InboundRecord, b: InboundRecord): number {
  return a.received_at - b.received_at || compare(a.id, b.id);
}

/** JSON text for a JSON column; `undefined` (a JS-only value) is stored as null. */
export function json(value: unknown): string {
  return JSON.stringify(value ?? null);
}

function toDate(ms: number | null): Date | null {
  return ms === null ? null : new Date(ms);
}

/** A stable tie-break between rows due (or received) at the same millisecond. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
