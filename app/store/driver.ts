// What the store needs from a database: run a program (app/store/sql.ts) on its own, in one write
// transaction, or as the migration (serialised across processes and replicas). Plus the few places
// where the two SQL dialects still differ.
import type { Program } from "./sql.js";

export interface Dialect {
  /**
   * Ends a SELECT that picks rows to claim. PostgreSQL: skip rows another transaction is claiming
   * (and lock the picked ones until the claim commits). SQLite: nothing, its writers take turns.
   */
  readonly skipLocked: string;
  /** A subquery over the strings of one JSON-array parameter, as in `kind IN ${jsonStrings}`. */
  readonly jsonStrings: string;
  /** Creates the table of applied migrations if it is missing. */
  readonly migrationsTable: string;
  /** Records a migration: parameters version, name, applied-at epoch milliseconds. */
  readonly recordMigration: string;
}

export interface Driver {
  readonly kind: "sqlite" | "postgres";
  readonly dialect: Dialect;
  /** Runs each query of the program on its own (auto-commit). */
  run<T>(program: Program<T>): Promise<T>;
  /** Runs the program in one write transaction: all of it or none of it. */
  transaction<T>(program: Program<T>): Promise<T>;
  /** Runs the program in one transaction that holds the migration lock, taken once per database. */
  migration<T>(program: Program<T>): Promise<T>;
  close(): Promise<void>;
}
