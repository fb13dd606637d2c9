// The multi-replica backend: PostgreSQL through a `pg` Pool. A transaction runs its program on one
// pooled client between BEGIN and COMMIT. Decisions and claims are conditional UPDATEs: under READ
// COMMITTED a concurrent updater of the same row waits for the first one's commit and then re-checks
// its WHERE clause against the new row, so exactly one of them matches.
import pg from "pg";
import type { Dialect, Driver } from "./driver.js";
import { MIGRATIONS_TABLE_POSTGRES } from "./migrations.js";
import { drive, type Param, type Program, type Query } from "./sql.js";

/** Fail a start or a query instead of hanging when the server cannot be reached. */
const CONNECT_TIMEOUT_MS = 10_000;
/** No statement of the App's takes long; one that does is stuck behind a lock or a sick server. */
const STATEMENT_TIMEOUT_MS = 15_000;
/** A replica that stalls mid-transaction must not hold row locks (a decision, a claim) for ever. */
const IDLE_IN_TRANSACTION_TIMEOUT_MS = 60_000;
/** Advisory lock key that serialises migrations across replicas (scoped to the current database). */
const MIGRATION_LOCK = "hashtext('slack-deploy-gate:migrate')";
/** pg's OID for bigint (int8). */
const INT8 = 20;

export const POSTGRES_DIALECT: Dialect = {
  skipLocked: "FOR UPDATE SKIP LOCKED",
  jsonStrings: "(SELECT jsonb_array_elements_text(CAST(? AS jsonb)))",
  migrationsTable: MIGRATIONS_TABLE_POSTGRES,
  recordMigration:
    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, to_timestamp(? / 1000.0))",
};

// Dates are epoch milliseconds and GitHub's ids exceed 32 bits: bigint columns, which pg hands over as
// strings by default. Every one of them fits a JS number exactly (below 2^53).
const types = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === INT8 && format !== "binary"
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format as "text")) as typeof pg.types.getTypeParser,
};

export interface PostgresDriverOptions {
  log?: (msg: string) => void;
  /**
   * Pool size per replica. A deciding click holds a client for one short transaction (five round
   * trips); ten serve the App's sixteen concurrent jobs without queueing for long, and leave room
   * for several replicas under PostgreSQL's default max_connections of 100.
   */
  maxConnections?: number;
}

export class PostgresDriver implements Driver {
  readonly kind = "postgres" as const;
  readonly dialect = POSTGRES_DIALECT;
  private readonly pool: pg.Pool;
  private closed = false;
  // `?` → `$n`, once per SQL text.
  private readonly numbered = new Map<string, string>();

  constructor(connectionString: string, options: PostgresDriverOptions = {}) {
    this.pool = new pg.Pool({
      connectionString,
      max: options.maxConnections ?? 10,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      statement_timeout: STATEMENT_TIMEOUT_MS,
      idle_in_transaction_session_timeout: IDLE_IN_TRANSACTION_TIMEOUT_MS,
      keepAlive: true,
      application_name: "slack-deploy-gate",
      types,
    });
    // An idle client losing its connection (server restart) must not crash the App; the pool replaces it.
    const log = options.log ?? (() => {});
    this.pool.on("error", (error) => log(`postgres: idle connection failed: ${error.message}`));
  }

  async run<T>(program: Program<T>): Promise<T> {
    return drive(program, (query) => this.execute(this.pool, query));
  }

  async transaction<T>(program: Program<T>): Promise<T> {
    return this.inTransaction([], program);
  }

  async migration<T>(program: Program<T>): Promise<T> {
    return this.inTransaction(
      [
        // Migrating a large table may take longer than any other statement.
        "SET LOCAL statement_timeout = 0",
        // Held until COMMIT/ROLLBACK: a second replica waits here, then finds the versions applied.
        `SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`,
      ],
      program,
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }

  private async inTransaction<T>(preamble: string[], program: Program<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query("BEGIN");
      for (const sql of preamble) await client.query(sql);
      const result = await drive(program, (query) => this.execute(client, query));
      await client.query("COMMIT");
      return result;
    } catch (error) {
      await client.query("ROLLBACK").catch((rollbackError: unknown) => {
        // A client that cannot even roll back is not given to the next caller.
        broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
      });
      throw error;
    } finally {
      client.release(broken);
    }
  }

  private async execute(on: pg.Pool | pg.PoolClient, query: Query): Promise<unknown> {
    if (query.op === "exec") {
      await on.query(query.sql);
      return undefined;
    }
    const result = await on.query(this.number(query.sql), query.params as Param[]);
    switch (query.op) {
      case "all":
        return result.rows;
      case "get":
        return result.rows[0];
      case "run":
        return result.rowCount ?? 0;
    }
  }

  private number(sql: string): string {
    let text = this.numbered.get(sql);
    if (text === undefined) {
      let n = 0;
      text = sql.replace(/\?/g, () => `$${++n}`);
      this.numbered.set(sql, text);
    }
    return text;
  }
}
