// The embedded backend: one SQLite file through better-sqlite3 (synchronous, wrapped in async methods).
// Several processes may open the same file, so every decision is a single conditional UPDATE that
// SQLite's write lock makes atomic; nothing relies on in-process locks.
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { MIGRATIONS_TABLE_SQLITE, pendingMigrations } from "./migrations.js";
import type {
  Decision,
  DeliveryOutcome,
  GateRow,
  NewRequest,
  NewVote,
  RequestRow,
  Store,
  Vote,
  VoteRow,
} from "./types.js";

/** How long a statement waits for another process's write lock before failing with SQLITE_BUSY. */
const BUSY_TIMEOUT_MS = 10_000;

interface RequestRecord {
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
  delivery: string;
  delivery_attempts: number;
  next_attempt_at: number | null;
  lease_until: number | null;
  last_error: string | null;
  delivery_note: string | null;
}

interface VoteRecord {
  request_id: string;
  slack_user_id: string;
  vote: string;
  reason: string | null;
  at: number;
}

interface GateRecord {
  repository: string;
  run_id: number;
  environment: string;
  installation_id: number;
  callback_url: string;
  received_at: number;
}

export class SqliteStore implements Store {
  readonly kind = "sqlite" as const;
  readonly path: string;
  private readonly db: Database.Database;
  // Preparing a statement costs more than running it: each SQL text is prepared once per connection.
  private readonly statements = new Map<string, Database.Statement>();

  private statement(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  constructor(path: string) {
    this.path = path;
    mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path, { timeout: BUSY_TIMEOUT_MS });
    try {
      // busy_timeout first: switching to WAL needs a lock another process may hold right now.
      this.db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
      this.db.pragma("journal_mode = WAL");
      // In WAL mode NORMAL is still crash-safe for the process; it skips an fsync per commit, which
      // would otherwise block the event loop on every vote (better-sqlite3 is synchronous).
      this.db.pragma("synchronous = NORMAL");
      this.db.pragma("foreign_keys = ON");
    } catch (error) {
      this.db.close();
      throw error;
    }
  }

  async migrate(): Promise<void> {
    // BEGIN IMMEDIATE takes the write lock up front, so a second process waits here and then
    // finds the versions already applied instead of applying them twice.
    const apply = this.db.transaction(() => {
      this.db.exec(MIGRATIONS_TABLE_SQLITE);
      const applied = this.statement("SELECT version FROM schema_migrations").pluck().all() as number[];
      const record = this.statement(
        "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
      );
      for (const migration of pendingMigrations(applied)) {
        this.db.exec(migration.sqlite);
        record.run(migration.version, migration.name, Date.now());
      }
    });
    apply.immediate();
  }

  async ping(): Promise<void> {
    this.statement("SELECT 1").get();
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }

  async saveRequest(request: NewRequest): Promise<RequestRow> {
    this.statement(
      `INSERT INTO requests (request_id, repository, run_id, run_attempt, environment, mode, channel_id,
           message_ts, message_blocks, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (request_id) DO NOTHING`,
    ).run(
      request.requestId,
      normalizeRepository(request.repository),
      request.runId,
      request.runAttempt,
      request.environment,
      request.mode,
      request.channelId,
      request.messageTs,
      JSON.stringify(request.messageBlocks),
      request.createdAt.getTime(),
    );
    const row = await this.getRequest(request.requestId);
    if (!row) throw new Error(`request ${request.requestId} vanished right after it was saved`);
    return row;
  }

  async getRequest(requestId: string): Promise<RequestRow | undefined> {
    const record = this.statement("SELECT * FROM requests WHERE request_id = ?").get(requestId) as
      | RequestRecord
      | undefined;
    return record && toRequestRow(record);
  }

  async findRequests(repository: string, runId: number, environment: string): Promise<RequestRow[]> {
    const records = this.statement(
      `SELECT * FROM requests WHERE repository = ? AND run_id = ? AND environment = ?
         ORDER BY created_at, request_id`,
    ).all(normalizeRepository(repository), runId, environment) as RequestRecord[];
    return records.map(toRequestRow);
  }

  async findRequestsForRun(repository: string, runId: number): Promise<RequestRow[]> {
    const records = this.statement(
      "SELECT * FROM requests WHERE repository = ? AND run_id = ? ORDER BY created_at, request_id",
    ).all(normalizeRepository(repository), runId) as RequestRecord[];
    return records.map(toRequestRow);
  }

  async addVote(vote: NewVote): Promise<boolean> {
    const result = this.statement(
      `INSERT INTO votes (request_id, slack_user_id, vote, reason, at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (request_id, slack_user_id) DO NOTHING`,
    ).run(vote.requestId, vote.slackUserId, vote.vote, vote.reason, vote.at.getTime());
    return result.changes === 1;
  }

  async listVotes(requestId: string): Promise<VoteRow[]> {
    const records = this.statement("SELECT * FROM votes WHERE request_id = ? ORDER BY at, id").all(
      requestId,
    ) as VoteRecord[];
    return records.map((r) => ({
      requestId: r.request_id,
      slackUserId: r.slack_user_id,
      vote: r.vote as Vote,
      reason: r.reason,
      at: new Date(r.at),
    }));
  }

  async decide(
    requestId: string,
    decision: { decision: Decision; decidedBy: string[]; reason: string | null; at: Date },
  ): Promise<boolean> {
    // An obsolete request keeps its delivery state: the run no longer waits, so there is nothing to tell.
    const result = this.statement(
      `UPDATE requests
         SET decision = ?, decided_at = ?, decided_by = ?, reason = ?,
             delivery = CASE WHEN delivery = 'obsolete' THEN delivery ELSE 'due' END,
             next_attempt_at = ?
         WHERE request_id = ? AND decision IS NULL`,
    ).run(
      decision.decision,
      decision.at.getTime(),
      JSON.stringify(decision.decidedBy),
      decision.reason,
      decision.at.getTime(),
      requestId,
    );
    return result.changes === 1;
  }

  async saveGate(gate: GateRow): Promise<void> {
    this.statement(
      `INSERT INTO gates (repository, run_id, environment, installation_id, callback_url, received_at)
         VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (repository, run_id, environment) DO UPDATE SET
           installation_id = excluded.installation_id,
           callback_url = excluded.callback_url,
           received_at = excluded.received_at`,
    ).run(
      normalizeRepository(gate.repository),
      gate.runId,
      gate.environment,
      gate.installationId,
      gate.callbackUrl,
      gate.receivedAt.getTime(),
    );
  }

  async getGate(repository: string, runId: number, environment: string): Promise<GateRow | undefined> {
    const record = this.statement(
      "SELECT * FROM gates WHERE repository = ? AND run_id = ? AND environment = ?",
    ).get(normalizeRepository(repository), runId, environment) as GateRecord | undefined;
    return (
      record && {
        repository: record.repository,
        runId: record.run_id,
        environment: record.environment,
        installationId: record.installation_id,
        callbackUrl: record.callback_url,
        receivedAt: new Date(record.received_at),
      }
    );
  }

  async claimDelivery(requestId: string, now: Date, leaseMs: number): Promise<boolean> {
    const at = now.getTime();
    const result = this.statement(
      `UPDATE requests SET lease_until = ?
         WHERE request_id = ? AND delivery = 'due' AND next_attempt_at <= ?
           AND (lease_until IS NULL OR lease_until <= ?)`,
    ).run(at + leaseMs, requestId, at, at);
    return result.changes === 1;
  }

  async finishDelivery(requestId: string, outcome: DeliveryOutcome): Promise<void> {
    // Only a request still `due` (or, for obsolete, not yet decided) moves: final states stay final.
    switch (outcome.state) {
      case "delivered":
        this.statement(
          `UPDATE requests SET delivery = 'delivered', lease_until = NULL
             WHERE request_id = ? AND delivery = 'due'`,
        ).run(requestId);
        return;
      case "obsolete":
        this.statement(
          `UPDATE requests SET delivery = 'obsolete', delivery_note = ?, lease_until = NULL
             WHERE request_id = ? AND delivery IN ('none', 'due')`,
        ).run(outcome.note, requestId);
        return;
      case "retry":
        this.statement(
          `UPDATE requests
             SET delivery_attempts = delivery_attempts + 1, last_error = ?, next_attempt_at = ?, lease_until = NULL
             WHERE request_id = ? AND delivery = 'due'`,
        ).run(outcome.error, outcome.nextAttemptAt.getTime(), requestId);
        return;
    }
  }

  async listDue(now: Date, limit: number): Promise<RequestRow[]> {
    const at = now.getTime();
    const records = this.statement(
      `SELECT r.* FROM requests r
         JOIN gates g ON g.repository = r.repository AND g.run_id = r.run_id AND g.environment = r.environment
         WHERE r.delivery = 'due' AND r.decision IS NOT NULL AND r.next_attempt_at <= ?
           AND (r.lease_until IS NULL OR r.lease_until <= ?)
         ORDER BY r.next_attempt_at, r.request_id
         LIMIT ?`,
    ).all(at, at, limit) as RequestRecord[];
    return records.map(toRequestRow);
  }
}

function normalizeRepository(repository: string): string {
  return repository.toLowerCase();
}

function toDate(ms: number | null): Date | null {
  return ms === null ? null : new Date(ms);
}

function toRequestRow(r: RequestRecord): RequestRow {
  return {
    requestId: r.request_id,
    repository: r.repository,
    runId: r.run_id,
    runAttempt: r.run_attempt,
    environment: r.environment,
    mode: r.mode as RequestRow["mode"],
    channelId: r.channel_id,
    messageTs: r.message_ts,
    messageBlocks: JSON.parse(r.message_blocks) as unknown[],
    createdAt: new Date(r.created_at),
    decision: r.decision as RequestRow["decision"],
    decidedAt: toDate(r.decided_at),
    decidedBy: JSON.parse(r.decided_by) as string[],
    reason: r.reason,
    delivery: r.delivery as RequestRow["delivery"],
    deliveryAttempts: r.delivery_attempts,
    nextAttemptAt: toDate(r.next_attempt_at),
    leaseUntil: toDate(r.lease_until),
    lastError: r.last_error,
    deliveryNote: r.delivery_note,
  };
}
