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
 * `count` decided, delivered requests of the past, each with its vote, its gate and its finished
 * effects (review, check run, message update), spread over 50 repositories (2% in the one the bench
 * clicks in) and 70 days; schema version 2 of app/store/migrations.ts (epoch-millisecond dates, JSON
 * as text). Returns the time it took.
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
  const deciders = JSON.stringify([{ slackUserId: "U0AP00001", name: "Approver 00001", githubLogin: null }]);
  const now = Date.now();
  const effectKinds = [
    ["github.review", '{"gate":null}'],
    ["github.check_run", "{}"],
    ["slack.update", "{}"],
  ] as const;
  if (db.backend === "sqlite") {
    const conn = new Database(sqlitePath(db.url));
    try {
      const request = conn.prepare(
        `INSERT INTO requests (request_id, repository, run_id, run_attempt, environment, environment_key, mode,
           channel_id, message_ts, message_blocks, created_at, decision, decided_at, decided_by)
         VALUES (?, ?, ?, 1, 'production', 'production', 'gate', 'C0DEPLOYS', ?, ?, ?, 'approved', ?, ?)`,
      );
      const vote = conn.prepare(
        "INSERT INTO votes (request_id, slack_user_id, vote, reason, at) VALUES (?, 'U0AP00001', 'approve', NULL, ?)",
      );
      const gate = conn.prepare(
        `INSERT INTO gates (repository, run_id, environment, environment_key, installation_id, received_at)
         VALUES (?, ?, 'production', 'production', 60606, ?)`,
      );
      const effect = conn.prepare(
        `INSERT INTO effects (id, request_id, kind, payload, state, attempts, created_at, updated_at)
         VALUES (?, ?, ?, ?, 'done', 1, ?, ?)`,
      );
      conn.transaction(() => {
        for (let g = 1; g <= count; g += 1) {
          const repository = pastRepository(g);
          const created = now - g * 60_000;
          const decided = created + 30_000;
          const id = `past-${g}`;
          request.run(
            id,
            repository,
            1_000_000 + g,
            `${Math.floor(created / 1000)}.000100`,
            blocks,
            created,
            decided,
            deciders,
          );
          vote.run(id, decided);
          gate.run(repository, 1_000_000 + g, created + 10_000);
          for (const [kind, payload] of effectKinds) {
            effect.run(`${id}:${kind}`, id, kind, payload, decided, decided + 200);
          }
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
      const created = "($2::bigint - g::bigint * 60000)";
      const decided = `(${created} + 30000)`;
      await client.query(
        `INSERT INTO requests (request_id, repository, run_id, run_attempt, environment, environment_key, mode,
           channel_id, message_ts, message_blocks, created_at, decision, decided_at, decided_by)
         SELECT 'past-' || g, ${repository}, 1000000 + g, 1, 'production', 'production', 'gate', 'C0DEPLOYS',
           (${created} / 1000)::text || '.000100', $3::text, ${created}, 'approved', ${decided}, $4::text
         FROM generate_series(1, $1::int) AS g`,
        [count, now, blocks, deciders],
      );
      await client.query(
        `INSERT INTO votes (request_id, slack_user_id, vote, reason, at)
         SELECT 'past-' || g, 'U0AP00001', 'approve', NULL, ${decided}
         FROM generate_series(1, $1::int) AS g`,
        [count, now],
      );
      await client.query(
        `INSERT INTO gates (repository, run_id, environment, environment_key, installation_id, received_at)
         SELECT ${repository}, 1000000 + g, 'production', 'production', 60606, ${created} + 10000
         FROM generate_series(1, $1::int) AS g`,
        [count, now],
      );
      for (const [kind, payload] of effectKinds) {
        await client.query(
          `INSERT INTO effects (id, request_id, kind, payload, state, attempts, created_at, updated_at)
           SELECT 'past-' || g || ':' || $3::text, 'past-' || g, $3::text, $4::text, 'done', 1, ${decided}, ${decided} + 200
           FROM generate_series(1, $1::int) AS g`,
          [count, now, kind, payload],
        );
      }
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
