// The embedded backend: one SQLite file through better-sqlite3. Programs run synchronously: a
// transaction begins, runs and commits within one turn of the event loop. Several processes may open
// the same file; write transactions begin IMMEDIATE (taking the write lock first), so they take turns.
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import type { Dialect, Driver } from "./driver.js";
import { MIGRATIONS_TABLE_SQLITE } from "./migrations.js";
import { driveSync, type Program, type Query } from "./sql.js";

/** How long a statement waits for another process's write lock before failing with SQLITE_BUSY. */
const BUSY_TIMEOUT_MS = 10_000;

export const SQLITE_DIALECT: Dialect = {
  skipLocked: "",
  jsonStrings: "(SELECT value FROM json_each(?))",
  migrationsTable: MIGRATIONS_TABLE_SQLITE,
  recordMigration: "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
};

export class SqliteDriver implements Driver {
  readonly kind = "sqlite" as const;
  readonly dialect = SQLITE_DIALECT;
  readonly path: string;
  private readonly db: Database.Database;
  // Preparing a statement costs more than running it: each SQL text is prepared once per connection.
  private readonly statements = new Map<string, Database.Statement>();
  private readonly execute = (query: Query): unknown => {
    if (query.op === "exec") return this.db.exec(query.sql);
    const statement = this.statement(query.sql);
    switch (query.op) {
      case "all":
        return statement.all(...query.params);
      case "get":
        return statement.get(...query.params);
      case "run":
        return statement.run(...query.params).changes;
    }
  };

  // BEGIN IMMEDIATE … COMMIT around a program (ROLLBACK if it throws), made once.
  private readonly inTransaction: Database.Transaction<(program: Program<unknown>) => unknown>;

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
    this.inTransaction = this.db.transaction((program: Program<unknown>) => driveSync(program, this.execute));
  }

  private statement(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  async run<T>(program: Program<T>): Promise<T> {
    return driveSync(program, this.execute);
  }

  async transaction<T>(program: Program<T>): Promise<T> {
    return this.inTransaction.immediate(program) as T;
  }

  async migration<T>(program: Program<T>): Promise<T> {
    // A migration may rebuild a table that others reference (SQLite cannot alter a CHECK or drop a
    // keyed column otherwise); with foreign keys on, dropping the old table would cascade-delete the
    // rows that reference it. SQLite's own recipe: keys off (only possible outside a transaction),
    // rebuild, check every reference inside the transaction, keys on again.
    this.db.pragma("foreign_keys = OFF");
    try {
      // IMMEDIATE takes the write lock up front: a second process waits here, then finds the
      // versions applied.
      return this.db
        .transaction(() => {
          const changes = this.statement("SELECT total_changes()").pluck();
          const before = changes.get();
          const result = driveSync(program, this.execute);
          // Nothing applied (every start but the first after an upgrade): nothing to check, and the
          // check reads every reference (0.1 s per 100,000 requests).
          if (changes.get() !== before) {
            const broken = this.db.pragma("foreign_key_check") as unknown[];
            if (broken.length > 0) {
              throw new Error(`migration left ${broken.length} rows referring to missing rows`);
            }
          }
          return result;
        })
        .immediate();
    } finally {
      this.db.pragma("foreign_keys = ON");
    }
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
