// Every query the store runs, written once for both databases (`?` placeholders, epoch-millisecond
// dates, JSON as text). Where the dialects differ, the text takes a fragment from the Dialect.
import type { Dialect } from "./driver.js";
import { EFFECT_COLUMNS, GATE_COLUMNS, INBOUND_COLUMNS, REQUEST_COLUMNS, VOTE_COLUMNS } from "./records.js";
import { valuesList } from "./sql.js";

/** Columns a new effect is inserted with, in this order (the others take their defaults). */
export const NEW_EFFECT_COLUMNS =
  "id, request_id, kind, payload, state, next_attempt_at, created_at, updated_at";
const NEW_EFFECT_COLUMN_COUNT = 8;

/** A claim is live while lease_until is in the future; `?` is now. */
const LEASE_LAPSED = "(lease_until IS NULL OR lease_until <= ?)";

export type Statements = ReturnType<typeof statements>;

export function statements(dialect: Dialect) {
  return {
    /**
     * Readiness: one index probe into each of the App's tables, so a database whose tables are gone
     * (or unreadable) fails it.
     */
    ping: `SELECT
  (SELECT count(*) FROM requests WHERE request_id = '') AS requests,
  (SELECT count(*) FROM votes WHERE request_id = '') AS votes,
  (SELECT count(*) FROM gates WHERE repository = '' AND run_id = 0 AND environment_key = '') AS gates,
  (SELECT count(*) FROM effects WHERE id = '') AS effects,
  (SELECT count(*) FROM inbound WHERE id = '') AS inbound`,

    // ---- requests ----
    insertRequest: `INSERT INTO requests (request_id, repository, run_id, run_attempt, environment, environment_key,
    mode, channel_id, message_ts, message_blocks, created_at, origin, facts, expires_at, remind_every_ms,
    next_reminder_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (request_id) DO NOTHING
  RETURNING ${REQUEST_COLUMNS}`,
    getRequest: `SELECT ${REQUEST_COLUMNS} FROM requests WHERE request_id = ?`,
    findRequests: `SELECT ${REQUEST_COLUMNS} FROM requests
  WHERE repository = ? AND run_id = ? AND environment_key = ?
  ORDER BY created_at, request_id`,
    findRequestsForRun: `SELECT ${REQUEST_COLUMNS} FROM requests
  WHERE repository = ? AND run_id = ?
  ORDER BY created_at, request_id`,
    /** Takes the decision only if there is none: of concurrent callers, one changes the row. */
    decide: `UPDATE requests SET decision = ?, decided_at = ?, decided_by = ?, reason = ?
  WHERE request_id = ? AND decision IS NULL AND closed IS NULL`,
    /** First contact only: a request that has facts, a decision or a closure keeps what it has. */
    setFacts: `UPDATE requests SET facts = ?, expires_at = ?, remind_every_ms = ?, next_reminder_at = ?
  WHERE request_id = ? AND facts IS NULL AND decision IS NULL AND closed IS NULL`,
    setMessage: "UPDATE requests SET channel_id = ?, message_ts = ?, message_blocks = ? WHERE request_id = ?",
    /** Closes without a decision: of a close and a decision racing, one changes the row. */
    closeRequest: `UPDATE requests SET closed = ?, closed_at = ?
  WHERE request_id = ? AND decision IS NULL AND closed IS NULL`,
    getGitHubApprovals: "SELECT github_approvals FROM requests WHERE request_id = ?",
    /** Only if nobody changed the list since it was read. */
    setGitHubApprovals: `UPDATE requests SET github_approvals = ?
  WHERE request_id = ? AND github_approvals = ?`,
    setOutcome: "UPDATE requests SET outcome = ? WHERE request_id = ?",
    listExpired: `SELECT ${REQUEST_COLUMNS} FROM requests
  WHERE decision IS NULL AND closed IS NULL AND expires_at <= ?
  ORDER BY expires_at, request_id LIMIT ?`,
    listDueReminders: `SELECT ${REQUEST_COLUMNS} FROM requests
  WHERE decision IS NULL AND closed IS NULL AND next_reminder_at <= ?
  ORDER BY next_reminder_at, request_id LIMIT ?`,
    /** Parameters: next, request id, sent. One caller per reminder number changes the row. */
    claimReminder: `UPDATE requests SET reminders_sent = reminders_sent + 1, next_reminder_at = ?
  WHERE request_id = ? AND reminders_sent = ? AND decision IS NULL AND closed IS NULL`,

    // ---- votes ----
    insertVote: `INSERT INTO votes (request_id, slack_user_id, vote, reason, at) VALUES (?, ?, ?, ?, ?)
  ON CONFLICT (request_id, slack_user_id) DO NOTHING`,
    listVotes: `SELECT ${VOTE_COLUMNS} FROM votes WHERE request_id = ? ORDER BY at, id`,

    // ---- gates ----
    upsertGate: `INSERT INTO gates (repository, run_id, environment, environment_key, installation_id, received_at)
  VALUES (?, ?, ?, ?, ?, ?)
  ON CONFLICT (repository, run_id, environment_key) DO UPDATE SET
    environment = excluded.environment,
    installation_id = excluded.installation_id,
    received_at = excluded.received_at`,
    getGate: `SELECT ${GATE_COLUMNS} FROM gates WHERE repository = ? AND run_id = ? AND environment_key = ?`,
    /** Parameters: due at (or null), attempts to add (0 or 1), repository, run id, environment key. */
    scheduleGateContact: `UPDATE gates SET contact_due_at = ?, contact_attempts = contact_attempts + ?
  WHERE repository = ? AND run_id = ? AND environment_key = ?`,
    /** Parameters: now, limit, lease until. The picked rows are claimed by moving their due time. */
    claimGateContacts: `WITH picked AS MATERIALIZED (
    SELECT repository, run_id, environment_key FROM gates
    WHERE contact_due_at IS NOT NULL AND contact_due_at <= ?
    ORDER BY contact_due_at
    LIMIT ? ${dialect.skipLocked}
  )
  UPDATE gates SET contact_due_at = ?
  WHERE (repository, run_id, environment_key) IN (SELECT repository, run_id, environment_key FROM picked)
  RETURNING ${GATE_COLUMNS}, contact_attempts`,

    // ---- effects ----
    listEffects: `SELECT ${EFFECT_COLUMNS} FROM effects WHERE request_id = ? ORDER BY created_at, id`,
    /**
     * Waiting effects of the kinds become due now. A due effect of those kinds that is claimed right
     * now gets a new generation: its claim may have looked for what has just arrived and not found it,
     * and a claim that finishes `waiting` (or `done`) on a stale generation leaves it due instead.
     * Parameters: now, now, request id, kinds (JSON array), now.
     */
    wakeEffects: `UPDATE effects SET
    state = 'due',
    next_attempt_at = CASE WHEN state = 'waiting' THEN ? ELSE next_attempt_at END,
    generation = CASE WHEN state = 'waiting' THEN generation ELSE generation + 1 END,
    updated_at = ?
  WHERE request_id = ? AND kind IN ${dialect.jsonStrings}
    AND (state = 'waiting' OR (state = 'due' AND lease_until > ?))`,
    /** Parameters: lease until, now, id, now, now. */
    claimEffect: `UPDATE effects SET lease_until = ?, updated_at = ?
  WHERE id = ? AND state = 'due' AND next_attempt_at <= ? AND ${LEASE_LAPSED}
  RETURNING ${EFFECT_COLUMNS}`,
    /**
     * The picked rows are materialised once (a LIMIT in a subquery that the planner re-ran could pick
     * more); PostgreSQL locks them and skips those another replica is claiming.
     * Parameters: now, now, limit, lease until, now.
     */
    claimDueEffects: `WITH picked AS MATERIALIZED (
    SELECT id FROM effects
    WHERE state = 'due' AND next_attempt_at <= ? AND ${LEASE_LAPSED}
    ORDER BY next_attempt_at, id
    LIMIT ? ${dialect.skipLocked}
  )
  UPDATE effects SET lease_until = ?, updated_at = ?
  WHERE id IN (SELECT id FROM picked)
  RETURNING ${EFFECT_COLUMNS}`,
    // Finishing: only a due effect is finished (final states stay final). A stale generation (it was
    // refreshed or woken during the claim) leaves it due, so the newest state is what runs last.
    /** Parameters: generation, result JSON or null (keeps the last), now, id. */
    finishDone: `UPDATE effects SET
    state = CASE WHEN generation = ? THEN 'done' ELSE 'due' END,
    result = COALESCE(?, result),
    lease_until = NULL, updated_at = ?
  WHERE id = ? AND state = 'due'`,
    /** Parameters: generation, generation, next attempt, error, now, id. */
    finishRetry: `UPDATE effects SET
    attempts = attempts + CASE WHEN generation = ? THEN 1 ELSE 0 END,
    next_attempt_at = CASE WHEN generation = ? THEN ? ELSE next_attempt_at END,
    last_error = ?, lease_until = NULL, updated_at = ?
  WHERE id = ? AND state = 'due'`,
    /** Parameters: generation, generation, note, now, id. */
    finishFailed: `UPDATE effects SET
    state = CASE WHEN generation = ? THEN 'failed' ELSE 'due' END,
    note = CASE WHEN generation = ? THEN ? ELSE note END,
    lease_until = NULL, updated_at = ?
  WHERE id = ? AND state = 'due'`,
    /** Parameters: generation, generation, note, now, id. */
    finishWaiting: `UPDATE effects SET
    state = CASE WHEN generation = ? THEN 'waiting' ELSE 'due' END,
    next_attempt_at = CASE WHEN generation = ? THEN NULL ELSE next_attempt_at END,
    note = ?, lease_until = NULL, updated_at = ?
  WHERE id = ? AND state = 'due'`,
    /** Obsolete whatever the generation: the world has moved on, no newer payload changes that. */
    finishObsolete: `UPDATE effects SET state = 'obsolete', note = ?, next_attempt_at = NULL,
    lease_until = NULL, updated_at = ?
  WHERE id = ? AND state IN ('waiting', 'due')`,

    // ---- inbound ----
    insertInbound: `INSERT INTO inbound (id, received_at, body) VALUES (?, ?, ?)
  ON CONFLICT (id) DO NOTHING`,
    /** Parameters: older than, now, limit, lease until. */
    claimStaleInbound: `WITH picked AS MATERIALIZED (
    SELECT id FROM inbound
    WHERE finished = 0 AND received_at < ? AND ${LEASE_LAPSED}
    ORDER BY received_at, id
    LIMIT ? ${dialect.skipLocked}
  )
  UPDATE inbound SET attempts = attempts + 1, lease_until = ?
  WHERE id IN (SELECT id FROM picked)
  RETURNING ${INBOUND_COLUMNS}`,
    finishInbound: "UPDATE inbound SET finished = 1, lease_until = NULL WHERE id = ?",
    pruneInbound: "DELETE FROM inbound WHERE finished = 1 AND received_at < ?",
  };
}

/**
 * Inserts `rows` new effects (NEW_EFFECT_COLUMNS each). `ignore` keeps an existing effect as it is;
 * `refresh` replaces its payload, bumps its generation, resets its attempts and makes it runnable again
 * (unless it is obsolete). A live lease is kept either way: a claim in progress finishes, and its stale
 * generation sends it round again.
 */
export function insertEffects(onConflict: "ignore" | "refresh", rows: number): string {
  const insert = `INSERT INTO effects (${NEW_EFFECT_COLUMNS}) VALUES ${valuesList(rows, NEW_EFFECT_COLUMN_COUNT)}`;
  if (onConflict === "ignore") return `${insert}\n  ON CONFLICT (id) DO NOTHING`;
  return `${insert}
  ON CONFLICT (id) DO UPDATE SET
    payload = excluded.payload,
    generation = effects.generation + 1,
    attempts = 0,
    state = CASE WHEN effects.state = 'obsolete' THEN effects.state ELSE excluded.state END,
    next_attempt_at = CASE WHEN effects.state = 'obsolete' THEN effects.next_attempt_at ELSE excluded.next_attempt_at END,
    updated_at = excluded.updated_at`;
}
