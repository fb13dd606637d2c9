// A fresh, uniquely named PostgreSQL database per test suite, dropped afterwards. PostgreSQL being
// unreachable is an error, never a skip: CI must fail loudly rather than pass without the backend.
import { randomBytes } from "node:crypto";
import pg from "pg";

export const TEST_POSTGRES_URL =
  process.env.TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

export interface TestDatabase {
  /** Connection URL of the new database. */
  url: string;
  drop(): Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `sdg_test_${Date.now().toString(36)}_${randomBytes(4).toString("hex")}`;
  await withAdmin((client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(TEST_POSTGRES_URL);
  url.pathname = `/${name}`;
  let dropped = false;
  return {
    url: url.href,
    async drop() {
      if (dropped) return;
      dropped = true;
      // FORCE ends connections a failed test may have left open.
      await withAdmin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}

async function withAdmin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL, connectionTimeoutMillis: 10_000 });
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => {});
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(
      `PostgreSQL is not reachable at ${describe(TEST_POSTGRES_URL)} (${reason}). ` +
        "The store tests need it: start PostgreSQL or point TEST_POSTGRES_URL at a server.",
    );
  }
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Host, port and database only: the URL may carry a password. */
function describe(connectionString: string): string {
  try {
    const url = new URL(connectionString);
    return `${url.hostname}:${url.port || "5432"}${url.pathname}`;
  } catch {
    return "TEST_POSTGRES_URL (unparseable)";
  }
}
