// Databases for the App under test: a fresh SQLite file or PostgreSQL database, optionally filled
// with 100,000 past requests (bulk SQL matching app/store/migrations.ts, after the store's own
// migrate()), and row counts read straight from the tables.
import { join } from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { openStore } from "../../app/store/index.js";
import { createTestDatabase } from "../../testkit/helpers/postgres.js";

export type Backend = "sqlite" | "postgres";

export interface BenchDatabase {
  backend: Backend;
  url: string;
  drop(): Promise<void>;
}

export async function createDatabase(backend: Backend, dir: string, name: string): Promise<BenchDatabase> {
  if (backend === "sqlite")
    return { backend, url: `sqlite://${join(dir, `${name}.db`)}`, drop: async () => {} };
  const db = await createTestDatabase();
  return { backend, url: db.url, drop: () => db.drop() };
}

export interface RowCounts {
  requests: number;
  votes: number;
  gates: number;
}

export async function countRows(db: BenchDatabase): Promise<RowCounts> {
  const sql = ["requests", "votes", "gates"].map((t) => `(SELECT count(*) FROM ${t}) AS ${t}`).join(", ");
  if (db.backend === "sqlite") {
    const conn = new Database(sqlitePath(db.url), { readonly: true, fileMustExist: true });
    try {
      return conn.prepare(`SELECT ${sql}`).get() as RowCounts;
    } finally {
      conn.close();
    }
  }
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    const row = (await client.query(`SELECT ${sql}`)).rows[0] as Record<string, string>;
    return { requests: Number(row.requests), votes: Number(row.votes), gates: Number(row.gates) };
  } finally {
    await client.end();
  }
}

/**
 * `count` decided, delivered requests of the past, each with its vote and its gate, spread over 50
 * repositories (2% in the one the bench clicks in) and 70 days. Returns the time it took.
 */
export async function fillPastRequests(
  db: BenchDatabase,
  count: number,
  messageBlocks: unknown[],
): Promise<number> {
  const started = performance.now();
  const store = await openStore(db.url);
  await store.migrate();
  await store.close();
  const blocks = JSON.stringify(messageBlocks);
  const now = Date.now();
  if (db.backend === "sqlite") {
    const conn = new Database(sqlitePath(db.url));
    try {
      const request = conn.prepare(
        `INSERT INTO requests (request_id, repository, run_id, run_attempt, environment, mode, channel_id, message_ts,
           message_blocks, created_at, decision, decided_at, decided_by, delivery, delivery_attempts)
         VALUES (?, ?, ?, 1, 'production', 'gate', 'C0DEPLOYS', ?, ?, ?, 'approved', ?, '["U0AP00001"]', 'delivered', 1)`,
      );
      const vote = conn.prepare(
        "INSERT INTO votes (request_id, slack_user_id, vote, reason, at) VALUES (?, 'U0AP00001', 'approve', NULL, ?)",
      );
      const gate = conn.prepare(
        `INSERT INTO gates (repository, run_id, environment, installation_id, callback_url, received_at)
         VALUES (?, ?, 'production', 60606, 'http://127.0.0.1/callback', ?)`,
      );
      conn.transaction(() => {
        for (let g = 1; g <= count; g += 1) {
          const repository = pastRepository(g);
          const created = now - g * 60_000;
          const id = `past-${g}`;
          request.run(
            id,
            repository,
            1_000_000 + g,
            `${Math.floor(created / 1000)}.000100`,
            blocks,
            created,
            created + 30_000,
          );
          vote.run(id, created + 30_000);
          gate.run(repository, 1_000_000 + g, created + 10_000);
        }
      })();
    } finally {
      conn.close();
    }
  } else {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const repository = "CASE WHEN g % 50 = 0 THEN 'acme/shop' ELSE 'acme/repo-' || (g % 50) END";
      const created = "to_timestamp(($2::bigint - g::bigint * 60000) / 1000.0)";
      await client.query(
        `INSERT INTO requests (request_id, repository, run_id, run_attempt, environment, mode, channel_id, message_ts,
           message_blocks, created_at, decision, decided_at, decided_by, delivery, delivery_attempts)
         SELECT 'past-' || g, ${repository}, 1000000 + g, 1, 'production', 'gate', 'C0DEPLOYS',
           (($2::bigint - g::bigint * 60000) / 1000)::text || '.000100', $3::jsonb, ${created}, 'approved',
           ${created} + interval '30 seconds', '["U0AP00001"]'::jsonb, 'delivered', 1
         FROM generate_series(1, $1::int) AS g`,
        [count, now, blocks],
      );
      await client.query(
        `INSERT INTO votes (request_id, slack_user_id, vote, reason, at)
         SELECT 'past-' || g, 'U0AP00001', 'approve', NULL, ${created} + interval '30 seconds'
         FROM generate_series(1, $1::int) AS g`,
        [count, now],
      );
      await client.query(
        `INSERT INTO gates (repository, run_id, environment, installation_id, callback_url, received_at)
         SELECT ${repository}, 1000000 + g, 'production', 60606, 'http://127.0.0.1/callback', ${created} + interval '10 seconds'
         FROM generate_series(1, $1::int) AS g`,
        [count, now],
      );
      await client.query("ANALYZE");
    } finally {
      await client.end();
    }
  }
  return performance.now() - started;
}

function pastRepository(g: number): string {
  return g % 50 === 0 ? "acme/shop" : `acme/repo-${g % 50}`;
}

function sqlitePath(url: string): string {
  return url.replace(/^sqlite:\/\//, "");
}
