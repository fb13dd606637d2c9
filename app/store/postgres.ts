// The multi-replica backend: PostgreSQL through a `pg` Pool. Every decision is one conditional
// `UPDATE … WHERE … RETURNING`: under READ COMMITTED a concurrent updater waits for the first one's
// commit and then re-checks the WHERE clause on the new row, so exactly one of them matches.
import pg from "pg";
import { MIGRATIONS_TABLE_POSTGRES, pendingMigrations } from "./migrations.js";
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

/** Fail a start or a query instead of hanging when the server cannot be reached. */
const CONNECT_TIMEOUT_MS = 10_000;
/** Advisory lock key that serialises migrations across replicas (scoped to the current database). */
const MIGRATION_LOCK = "hashtext('slack-deploy-gate:migrate')";

// bigint columns (run and installation ids) arrive as strings from pg; they fit a JS number.
interface RequestRecord {
  request_id: string;
  repository: string;
  run_id: string;
  run_attempt: number;
  environment: string;
  mode: string;
  channel_id: string;
  message_ts: string;
  message_blocks: unknown[];
  created_at: Date;
  decision: string | null;
  decided_at: Date | null;
  decided_by: string[];
  reason: string | null;
  delivery: string;
  delivery_attempts: number;
  next_attempt_at: Date | null;
  lease_until: Date | null;
  last_error: string | null;
  delivery_note: string | null;
}

interface VoteRecord {
  request_id: string;
  slack_user_id: string;
  vote: string;
  reason: string | null;
  at: Date;
}

interface GateRecord {
  repository: string;
  run_id: string;
  environment: string;
  installation_id: string;
  callback_url: string;
  received_at: Date;
}

export interface PostgresStoreOptions {
  log?: (msg: string) => void;
  /** Pool size per replica. */
  maxConnections?: number;
}

export class PostgresStore implements Store {
  readonly kind = "postgres" as const;
  private readonly pool: pg.Pool;
  private closed = false;

  constructor(connectionString: string, options: PostgresStoreOptions = {}) {
    this.pool = new pg.Pool({
      connectionString,
      max: options.maxConnections ?? 10,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      application_name: "slack-deploy-gate",
    });
    // An idle client losing its connection (server restart) must not crash the App; the pool replaces it.
    const log = options.log ?? (() => {});
    this.pool.on("error", (error) => log(`postgres: idle connection failed: ${error.message}`));
  }

  async migrate(): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query("BEGIN");
      // Held until COMMIT/ROLLBACK: a second replica waits here, then finds the versions applied.
      await client.query(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`);
      await client.query(MIGRATIONS_TABLE_POSTGRES);
      const applied = await client.query<{ version: number }>("SELECT version FROM schema_migrations");
      for (const migration of pendingMigrations(applied.rows.map((r) => r.version))) {
        await client.query(migration.postgres);
        await client.query("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", [
          migration.version,
          migration.name,
        ]);
      }
      await client.query("COMMIT");
    } catch (error) {
      await client.query("ROLLBACK").catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  }

  async ping(): Promise<void> {
    await this.pool.query("SELECT 1");
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }

  async saveRequest(request: NewRequest): Promise<RequestRow> {
    const inserted = await this.pool.query<RequestRecord>(
      `INSERT INTO requests (request_id, repository, run_id, run_attempt, environment, mode, channel_id,
         message_ts, message_blocks, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10)
       ON CONFLICT (request_id) DO NOTHING
       RETURNING *`,
      [
        request.requestId,
        normalizeRepository(request.repository),
        request.runId,
        request.runAttempt,
        request.environment,
        request.mode,
        request.channelId,
        request.messageTs,
        // Explicit JSON: pg would otherwise send a JS array as a PostgreSQL array literal.
        JSON.stringify(request.messageBlocks),
        request.createdAt,
      ],
    );
    const row = inserted.rows[0];
    if (row) return toRequestRow(row);
    // The id was taken; the conflicting insert has committed by now, so this statement sees it.
    const existing = await this.getRequest(request.requestId);
    if (!existing) throw new Error(`request ${request.requestId} vanished right after it was saved`);
    return existing;
  }

  async getRequest(requestId: string): Promise<RequestRow | undefined> {
    const result = await this.pool.query<RequestRecord>("SELECT * FROM requests WHERE request_id = $1", [
      requestId,
    ]);
    const row = result.rows[0];
    return row && toRequestRow(row);
  }

  async findRequests(repository: string, runId: number, environment: string): Promise<RequestRow[]> {
    const result = await this.pool.query<RequestRecord>(
      `SELECT * FROM requests WHERE repository = $1 AND run_id = $2 AND environment = $3
       ORDER BY created_at, request_id`,
      [normalizeRepository(repository), runId, environment],
    );
    return result.rows.map(toRequestRow);
  }

  async findRequestsForRun(repository: string, runId: number): Promise<RequestRow[]> {
    const result = await this.pool.query<RequestRecord>(
      "SELECT * FROM requests WHERE repository = $1 AND run_id = $2 ORDER BY created_at, request_id",
      [normalizeRepository(repository), runId],
    );
    return result.rows.map(toRequestRow);
  }

  async addVote(vote: NewVote): Promise<boolean> {
    const result = await this.pool.query(
      `INSERT INTO votes (request_id, slack_user_id, vote, reason, at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (request_id, slack_user_id) DO NOTHING`,
      [vote.requestId, vote.slackUserId, vote.vote, vote.reason, vote.at],
    );
    return result.rowCount === 1;
  }

  async listVotes(requestId: string): Promise<VoteRow[]> {
    const result = await this.pool.query<VoteRecord>(
      "SELECT * FROM votes WHERE request_id = $1 ORDER BY at, id",
      [requestId],
    );
    return result.rows.map((r) => ({
      requestId: r.request_id,
      slackUserId: r.slack_user_id,
      vote: r.vote as Vote,
      reason: r.reason,
      at: r.at,
    }));
  }

  async decide(
    requestId: string,
    decision: { decision: Decision; decidedBy: string[]; reason: string | null; at: Date },
  ): Promise<boolean> {
    // An obsolete request keeps its delivery state: the run no longer waits, so there is nothing to tell.
    const result = await this.pool.query(
      `UPDATE requests
       SET decision = $2, decided_at = $3, decided_by = $4::jsonb, reason = $5,
           delivery = CASE WHEN delivery = 'obsolete' THEN delivery ELSE 'due' END,
           next_attempt_at = $3
       WHERE request_id = $1 AND decision IS NULL
       RETURNING request_id`,
      [requestId, decision.decision, decision.at, JSON.stringify(decision.decidedBy), decision.reason],
    );
    return result.rowCount === 1;
  }

  async saveGate(gate: GateRow): Promise<void> {
    await this.pool.query(
      `INSERT INTO gates (repository, run_id, environment, installation_id, callback_url, received_at)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (repository, run_id, environment) DO UPDATE SET
         installation_id = excluded.installation_id,
         callback_url = excluded.callback_url,
         received_at = excluded.received_at`,
      [
        normalizeRepository(gate.repository),
        gate.runId,
        gate.environment,
        gate.installationId,
        gate.callbackUrl,
        gate.receivedAt,
      ],
    );
  }

  async getGate(repository: string, runId: number, environment: string): Promise<GateRow | undefined> {
    const result = await this.pool.query<GateRecord>(
      "SELECT * FROM gates WHERE repository = $1 AND run_id = $2 AND environment = $3",
      [normalizeRepository(repository), runId, environment],
    );
    const record = result.rows[0];
    return (
      record && {
        repository: record.repository,
        runId: Number(record.run_id),
        environment: record.environment,
        installationId: Number(record.installation_id),
        callbackUrl: record.callback_url,
        receivedAt: record.received_at,
      }
    );
  }

  async claimDelivery(requestId: string, now: Date, leaseMs: number): Promise<boolean> {
    const result = await this.pool.query(
      `UPDATE requests SET lease_until = $3
       WHERE request_id = $1 AND delivery = 'due' AND next_attempt_at <= $2
         AND (lease_until IS NULL OR lease_until <= $2)
       RETURNING request_id`,
      [requestId, now, new Date(now.getTime() + leaseMs)],
    );
    return result.rowCount === 1;
  }

  async finishDelivery(requestId: string, outcome: DeliveryOutcome): Promise<void> {
    // Only a request still `due` (or, for obsolete, not yet decided) moves: final states stay final.
    switch (outcome.state) {
      case "delivered":
        await this.pool.query(
          `UPDATE requests SET delivery = 'delivered', lease_until = NULL
           WHERE request_id = $1 AND delivery = 'due'`,
          [requestId],
        );
        return;
      case "obsolete":
        await this.pool.query(
          `UPDATE requests SET delivery = 'obsolete', delivery_note = $2, lease_until = NULL
           WHERE request_id = $1 AND delivery IN ('none', 'due')`,
          [requestId, outcome.note],
        );
        return;
      case "retry":
        await this.pool.query(
          `UPDATE requests
           SET delivery_attempts = delivery_attempts + 1, last_error = $2, next_attempt_at = $3, lease_until = NULL
           WHERE request_id = $1 AND delivery = 'due'`,
          [requestId, outcome.error, outcome.nextAttemptAt],
        );
        return;
    }
  }

  async listDue(now: Date, limit: number): Promise<RequestRow[]> {
    const result = await this.pool.query<RequestRecord>(
      `SELECT r.* FROM requests r
       JOIN gates g ON g.repository = r.repository AND g.run_id = r.run_id AND g.environment = r.environment
       WHERE r.delivery = 'due' AND r.decision IS NOT NULL AND r.next_attempt_at <= $1
         AND (r.lease_until IS NULL OR r.lease_until <= $1)
       ORDER BY r.next_attempt_at, r.request_id
       LIMIT $2`,
      [now, limit],
    );
    return result.rows.map(toRequestRow);
  }
}

function normalizeRepository(repository: string): string {
  return repository.toLowerCase();
}

function toRequestRow(r: RequestRecord): RequestRow {
  return {
    requestId: r.request_id,
    repository: r.repository,
    runId: Number(r.run_id),
    runAttempt: r.run_attempt,
    environment: r.environment,
    mode: r.mode as RequestRow["mode"],
    channelId: r.channel_id,
    messageTs: r.message_ts,
    messageBlocks: r.message_blocks,
    createdAt: r.created_at,
    decision: r.decision as RequestRow["decision"],
    decidedAt: r.decided_at,
    decidedBy: r.decided_by,
    reason: r.reason,
    delivery: r.delivery as RequestRow["delivery"],
    deliveryAttempts: r.delivery_attempts,
    nextAttemptAt: r.next_attempt_at,
    leaseUntil: r.lease_until,
    lastError: r.last_error,
    deliveryNote: r.delivery_note,
  };
}
