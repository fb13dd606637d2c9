// Store methods are written once, as programs: generators that yield each query and receive its
// result. A driver runs a program: the SQLite driver synchronously (better-sqlite3 is synchronous, so a
// whole transaction runs without yielding to the event loop, and another connection's wait for the
// write lock can never stall it), the PostgreSQL driver by awaiting each query on one pooled client.
// SQL is written with `?` placeholders in the subset both databases accept; the PostgreSQL driver
// numbers them ($1, $2, …), so a `?` must never appear in SQL text for any other reason.

export type Param = string | number | null;

export type Query =
  | { op: "all" | "get" | "run"; sql: string; params: readonly Param[] }
  /** Several statements without parameters (migrations). */
  | { op: "exec"; sql: string };

/** A sequence of queries whose later steps may depend on earlier results; T is its outcome. */
export type Program<T> = Generator<Query, T, unknown>;

/** Every row the query returns. */
export function* all<R>(sql: string, params: readonly Param[] = []): Program<R[]> {
  return (yield { op: "all", sql, params }) as R[];
}

/** The first row the query returns, if any. */
export function* get<R>(sql: string, params: readonly Param[] = []): Program<R | undefined> {
  return (yield { op: "get", sql, params }) as R | undefined;
}

/** Runs a statement that returns no rows; the outcome is how many rows it changed. */
export function* run(sql: string, params: readonly Param[] = []): Program<number> {
  return (yield { op: "run", sql, params }) as number;
}

/** Runs statements without parameters, as one script. */
export function* exec(sql: string): Program<void> {
  yield { op: "exec", sql };
}

/** Runs a program whose queries answer synchronously. */
export function driveSync<T>(program: Program<T>, execute: (query: Query) => unknown): T {
  let step = program.next();
  while (!step.done) {
    let result: unknown;
    try {
      result = execute(step.value);
    } catch (error) {
      // The program may handle it; if it does not, throw() rethrows it here.
      step = program.throw(error);
      continue;
    }
    step = program.next(result);
  }
  return step.value;
}

/** Runs a program whose queries answer asynchronously. */
export async function drive<T>(program: Program<T>, execute: (query: Query) => Promise<unknown>): Promise<T> {
  let step = program.next();
  while (!step.done) {
    let result: unknown;
    try {
      result = await execute(step.value);
    } catch (error) {
      step = program.throw(error);
      continue;
    }
    step = program.next(result);
  }
  return step.value;
}

/** `(?, ?, ?), (?, ?, ?)`: placeholders for a multi-row VALUES list. */
export function valuesList(rows: number, columns: number): string {
  const row = `(${Array.from({ length: columns }, () => "?").join(", ")})`;
  return Array.from({ length: rows }, () => row).join(", ");
}
