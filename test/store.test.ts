// One suite, both backends: whatever the App relies on must hold on SQLite and on PostgreSQL alike,
// including atomicity across two Store instances on one database (two processes or two replicas).
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import Database from "better-sqlite3";
import pg from "pg";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openStore, parseDatabaseUrl, redactDatabaseUrl } from "../app/store/index.js";
import {
  LATEST_SCHEMA_VERSION,
  MIGRATIONS,
  MIGRATIONS_TABLE_POSTGRES,
  MIGRATIONS_TABLE_SQLITE,
} from "../app/store/migrations.js";
import type { Decider, EffectRow, NewEffect, NewRequest, Store } from "../app/store/types.js";
import { createTestDatabase } from "../testkit/helpers/postgres.js";
import { NO_LIFE } from "../testkit/helpers/store-rows.js";

interface Raw {
  /** One statement; its rows, if it returns any. */
  query(sql: string): Promise<Record<string, unknown>[]>;
  /** A script of statements. */
  exec(sql: string): Promise<void>;
  close(): Promise<void>;
}

interface Backend {
  name: "sqlite" | "postgres";
  /** A fresh, empty database: its DATABASE_URL and a way to remove it. */
  create(): Promise<{ url: string; destroy(): Promise<void> }>;
  /** Raw SQL against the database, bypassing the Store, to look at what it wrote. */
  raw(url: string): Promise<Raw>;
  /** A timestamp literal as version 1 of the schema stored it. */
  v1Time(ms: number): string;
}

const sqlite: Backend = {
  name: "sqlite",
  async create() {
    const dir = await mkdtemp(join(tmpdir(), "sdg-store-"));
    // A directory that does not exist yet: the store must create it.
    return {
      url: `sqlite://${join(dir, "nested", "gate.db")}`,
      destroy: () => rm(dir, { recursive: true, force: true }),
    };
  },
  async raw(url) {
    const path = url.slice("sqlite://".length);
    await mkdir(dirname(path), { recursive: true });
    const db = new Database(path);
    db.pragma("busy_timeout = 10000");
    return {
      async query(sql) {
        const statement = db.prepare(sql);
        if (!statement.reader) {
          statement.run();
          return [];
        }
        return statement.all() as Record<string, unknown>[];
      },
      async exec(sql) {
        db.exec(sql);
      },
      async close() {
        db.close();
      },
    };
  },
  v1Time: (ms) => String(ms),
};

const postgres: Backend = {
  name: "postgres",
  async create() {
    const database = await createTestDatabase();
    return { url: database.url, destroy: () => database.drop() };
  },
  async raw(url) {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    return {
      async query(sql) {
        return (await client.query(sql)).rows;
      },
      async exec(sql) {
        await client.query(sql);
      },
      async close() {
        await client.end();
      },
    };
  },
  v1Time: (ms) => `to_timestamp(${ms} / 1000.0)`,
};

let sequence = 0;

function newRequest(overrides: Partial<NewRequest> = {}): NewRequest {
  sequence += 1;
  return {
    requestId: `req_${sequence}_${randomBytes(6).toString("hex")}`,
    repository: "Octo-Org/Deploy-Me",
    runId: 9_000_000_000 + sequence,
    runAttempt: 1,
    environment: "production",
    mode: "gate",
    channelId: "C0123CHAN",
    messageTs: `1700000000.${String(sequence).padStart(6, "0")}`,
    messageBlocks: [{ type: "section", text: { type: "mrkdwn", text: `request ${sequence}` } }],
    createdAt: new Date(Date.UTC(2025, 0, 2, 3, 4, 5, sequence % 1000)),
    ...overrides,
  };
}

function decider(
  slackUserId: string,
  name: string | null = null,
  githubLogin: string | null = null,
): Decider {
  return { slackUserId, name, githubLogin };
}

/** The gate-mode review a decision records: one per request, due at once. */
function review(requestId: string, overrides: Partial<NewEffect> = {}): NewEffect {
  return {
    id: `${requestId}:github.review`,
    requestId,
    kind: "github.review",
    payload: {},
    state: "due",
    onConflict: "ignore",
    ...overrides,
  };
}

/** The message re-render: coalesced, the newest payload is what gets sent. */
function update(requestId: string, payload: unknown, overrides: Partial<NewEffect> = {}): NewEffect {
  return {
    id: `${requestId}:slack.update`,
    requestId,
    kind: "slack.update",
    payload,
    state: "due",
    onConflict: "refresh",
    ...overrides,
  };
}

const T0 = new Date("2025-03-01T10:00:00.000Z");
const at = (ms: number) => new Date(T0.getTime() + ms);

const APP_TABLES = ["requests", "votes", "gates", "effects", "inbound"];

describe.each([sqlite, postgres])("$name store", (backend) => {
  let url: string;
  let destroy: () => Promise<void>;
  const opened: Store[] = [];

  /** Opens (and migrates) another Store on the same database: another process or replica. */
  async function open(): Promise<Store> {
    const store = await openStore(url);
    opened.push(store);
    return store;
  }

  async function withRaw<T>(work: (raw: Raw) => Promise<T>): Promise<T> {
    const raw = await backend.raw(url);
    try {
      return await work(raw);
    } finally {
      await raw.close();
    }
  }

  beforeEach(async () => {
    ({ url, destroy } = await backend.create());
  });

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((s) => s.close()));
    await destroy();
  });

  /** A saved request, approved at `decidedAt` with its review recorded. */
  async function decidedRequest(store: Store, decidedAt = T0, overrides: Partial<NewRequest> = {}) {
    const request = await store.saveRequest(newRequest(overrides));
    const won = await store.decide(
      request.requestId,
      { decision: "approved", decidedBy: [decider("U1")], reason: null, at: decidedAt },
      [review(request.requestId)],
    );
    expect(won).toBe(true);
    return request;
  }

  async function effect(store: Store, id: string): Promise<EffectRow | undefined> {
    const requestId = id.slice(0, id.indexOf(":"));
    return (await store.listEffects(requestId)).find((e) => e.id === id);
  }

  describe("schema", () => {
    it("reports its kind and answers ping", async () => {
      const store = await open();
      expect(store.kind).toBe(backend.name);
      await expect(store.ping()).resolves.toBeUndefined();
    });

    it("migrating again is harmless and keeps the data", async () => {
      const store = await open();
      const saved = await store.saveRequest(newRequest());
      await store.migrate();
      await store.migrate();
      expect(await store.getRequest(saved.requestId)).toEqual(saved);
      const versions = await withRaw((raw) =>
        raw.query("SELECT version FROM schema_migrations ORDER BY version"),
      );
      expect(versions.map((v) => Number(v.version))).toEqual(
        Array.from({ length: LATEST_SCHEMA_VERSION }, (_, i) => i + 1),
      );
    });

    it("stores starting together on one empty database migrate it once", async () => {
      const stores = await Promise.all([open(), open(), open(), open()]);
      const versions = await withRaw((raw) => raw.query("SELECT version FROM schema_migrations"));
      expect(versions).toHaveLength(LATEST_SCHEMA_VERSION);
      const saved = await stores[0]!.saveRequest(newRequest());
      expect(await stores[3]!.getRequest(saved.requestId)).toEqual(saved);
    });

    it("refuses a database newer than this build", async () => {
      const store = await open();
      await withRaw((raw) =>
        raw.query(
          backend.name === "sqlite"
            ? `INSERT INTO schema_migrations (version, name, applied_at) VALUES (${LATEST_SCHEMA_VERSION + 1}, 'future', 0)`
            : `INSERT INTO schema_migrations (version, name) VALUES (${LATEST_SCHEMA_VERSION + 1}, 'future')`,
        ),
      );
      await expect(store.migrate()).rejects.toThrow(/newer than this build knows/);
    });

    it("ping fails after close", async () => {
      const store = await openStore(url);
      await store.close();
      await expect(store.ping()).rejects.toThrow();
      await expect(store.close()).resolves.toBeUndefined();
    });

    it("ping fails while any of the App's tables is missing (readiness)", async () => {
      const store = await open();
      for (const table of APP_TABLES) {
        await withRaw((raw) => raw.query(`ALTER TABLE ${table} RENAME TO ${table}_gone`));
        await expect(store.ping(), table).rejects.toThrow(new RegExp(table));
        await withRaw((raw) => raw.query(`ALTER TABLE ${table}_gone RENAME TO ${table}`));
        await expect(store.ping(), table).resolves.toBeUndefined();
      }
      // Referencing tables first.
      await withRaw((raw) =>
        raw.exec(
          [...APP_TABLES]
            .reverse()
            .map((t) => `DROP TABLE ${t}`)
            .join(";\n"),
        ),
      );
      await expect(store.ping()).rejects.toThrow();
    });
  });

  describe("migration from version 1", () => {
    /** A database as version 1 left it, with rows in every state version 1 knew. */
    async function versionOneDatabase(): Promise<void> {
      const t = backend.v1Time;
      const migrationsTable = backend.name === "sqlite" ? MIGRATIONS_TABLE_SQLITE : MIGRATIONS_TABLE_POSTGRES;
      const record =
        backend.name === "sqlite"
          ? "INSERT INTO schema_migrations (version, name, applied_at) VALUES (1, 'requests, votes, gates', 0)"
          : "INSERT INTO schema_migrations (version, name) VALUES (1, 'requests, votes, gates')";
      const request = (
        id: string,
        environment: string,
        runId: number,
        /** decision, decided_at, decided_by, reason, delivery */
        decided: string,
        extra: { attempts?: number; next?: string; error?: string; note?: string } = {},
      ) =>
        `INSERT INTO requests (request_id, repository, run_id, run_attempt, environment, mode, channel_id,
           message_ts, message_blocks, created_at, decision, decided_at, decided_by, reason, delivery,
           delivery_attempts, next_attempt_at, lease_until, last_error, delivery_note)
         VALUES ('${id}', 'octo-org/deploy-me', ${runId}, 1, '${environment}', 'gate', 'C1', '1.${runId}',
           '[{"type":"section","text":{"type":"mrkdwn","text":"v1 ${id}"}}]', ${t(1_000 + runId)}, ${decided},
           ${extra.attempts ?? 0}, ${extra.next ?? "NULL"}, ${t(T0.getTime() + 999_000)},
           ${extra.error ? `'${extra.error}'` : "NULL"}, ${extra.note ? `'${extra.note}'` : "NULL"})`;
      const approved = (ms: number, who: string) => `'approved', ${t(ms)}, '${who}', 'ok', `;
      const open = "NULL, NULL, '[]', NULL, ";
      const rows = [
        migrationsTable,
        MIGRATIONS.find((m) => m.version === 1)![backend.name],
        record,
        // Due, its gate known (spelt differently): due again, keeping attempts and error.
        request("v1_due", "production", 11, `${approved(T0.getTime(), '["U1","U2"]')}'due'`, {
          attempts: 2,
          next: t(T0.getTime() + 30_000),
          error: "GitHub answered 502",
        }),
        // Due, no gate yet: waits for it.
        request("v1_nogate", "production", 12, `${approved(T0.getTime(), '["U3"]')}'due'`, {
          next: t(T0.getTime()),
        }),
        request("v1_delivered", "production", 13, `${approved(T0.getTime() + 5, '["U4"]')}'delivered'`, {
          attempts: 1,
        }),
        // The run ended before anyone decided.
        request("v1_obsolete", "production", 14, `${open}'obsolete'`, { note: "the run was cancelled" }),
        request("v1_open", "Staging", 15, `${open}'none'`),
        // A name SQL's lower() may fold differently from JavaScript.
        request("v1_unicode", "PRÖD", 16, `${open}'none'`),
        `INSERT INTO votes (request_id, slack_user_id, vote, reason, at) VALUES
           ('v1_due', 'U1', 'approve', NULL, ${t(T0.getTime() - 2)}),
           ('v1_due', 'U2', 'approve', NULL, ${t(T0.getTime() - 1)}),
           ('v1_open', 'U9', 'reject', 'no', ${t(T0.getTime())})`,
        `INSERT INTO gates (repository, run_id, environment, installation_id, callback_url, received_at) VALUES
           ('octo-org/deploy-me', 11, 'Production', 7, 'https://x.test/cb', ${t(T0.getTime() - 10)}),
           ('octo-org/deploy-me', 15, 'Staging', 7, 'https://x.test/cb', ${t(T0.getTime() - 10)}),
           ('octo-org/deploy-me', 15, 'staging', 8, 'https://x.test/cb', ${t(T0.getTime() - 5)}),
           ('octo-org/deploy-me', 16, 'PRÖD', 9, 'https://x.test/cb', ${t(T0.getTime())})`,
      ];
      await withRaw(async (raw) => {
        for (const sql of rows) await raw.exec(sql);
      });
    }

    it("keeps every request, vote and gate, and turns delivery states into effects", async () => {
      await versionOneDatabase();
      const store = await open();

      const versions = await withRaw((raw) =>
        raw.query("SELECT version FROM schema_migrations ORDER BY version"),
      );
      expect(versions.map((v) => Number(v.version))).toEqual(
        Array.from({ length: LATEST_SCHEMA_VERSION }, (_, i) => i + 1),
      );

      expect(await store.getRequest("v1_due")).toEqual({
        requestId: "v1_due",
        repository: "octo-org/deploy-me",
        runId: 11,
        runAttempt: 1,
        environment: "production",
        mode: "gate",
        channelId: "C1",
        messageTs: "1.11",
        messageBlocks: [{ type: "section", text: { type: "mrkdwn", text: "v1 v1_due" } }],
        createdAt: new Date(1_011),
        decision: "approved",
        decidedAt: T0,
        decidedBy: [decider("U1"), decider("U2")],
        reason: "ok",
        ...NO_LIFE,
      });
      // The table rebuild must not cascade-delete the votes.
      expect((await store.listVotes("v1_due")).map((v) => [v.slackUserId, v.at])).toEqual([
        ["U1", at(-2)],
        ["U2", at(-1)],
      ]);
      expect(await store.listVotes("v1_open")).toHaveLength(1);

      expect(await store.listEffects("v1_due")).toEqual([
        {
          id: "v1_due:github.review",
          requestId: "v1_due",
          kind: "github.review",
          payload: { gate: null },
          state: "due",
          generation: 1,
          attempts: 2,
          nextAttemptAt: at(30_000),
          leaseUntil: null,
          lastError: "GitHub answered 502",
          note: null,
          result: null,
          createdAt: T0,
          updatedAt: T0,
        },
      ]);
      expect(await store.listEffects("v1_nogate")).toMatchObject([
        { kind: "github.review", state: "waiting", nextAttemptAt: null },
      ]);
      expect(await store.listEffects("v1_delivered")).toMatchObject([
        { kind: "github.review", state: "done", attempts: 1 },
      ]);
      expect(await store.listEffects("v1_obsolete")).toMatchObject([
        { kind: "github.review", state: "obsolete", note: "the run was cancelled" },
      ]);
      expect(await store.listEffects("v1_open")).toEqual([]);
      expect((await store.getRequest("v1_obsolete"))?.decision).toBeNull();

      // Look-ups ignore case now; of two spellings of one run's gate, the one sent last is kept.
      expect(await store.getGate("octo-org/deploy-me", 11, "PRODUCTION")).toEqual({
        repository: "octo-org/deploy-me",
        runId: 11,
        environment: "Production",
        installationId: 7,
        receivedAt: at(-10),
      });
      expect(await store.getGate("octo-org/deploy-me", 15, "STAGING")).toMatchObject({
        environment: "staging",
        installationId: 8,
      });
      expect((await store.findRequests("octo-org/deploy-me", 15, "staging")).map((r) => r.requestId)).toEqual(
        ["v1_open"],
      );
      expect((await store.findRequests("octo-org/deploy-me", 16, "pröd")).map((r) => r.requestId)).toEqual([
        "v1_unicode",
      ]);
      expect(await store.getGate("octo-org/deploy-me", 16, "pröd")).toMatchObject({ environment: "PRÖD" });

      // The old delivery columns and the callback URL are gone.
      const [request] = await withRaw((raw) =>
        raw.query("SELECT * FROM requests WHERE request_id = 'v1_due'"),
      );
      expect(Object.keys(request!).sort()).toEqual(
        [
          "request_id",
          "repository",
          "run_id",
          "run_attempt",
          "environment",
          "environment_key",
          "mode",
          "channel_id",
          "message_ts",
          "message_blocks",
          "created_at",
          "decision",
          "decided_at",
          "decided_by",
          "reason",
          // Version 5: the request's life.
          "origin",
          "facts",
          "expires_at",
          "remind_every_ms",
          "reminders_sent",
          "next_reminder_at",
          "closed",
          "closed_at",
          "github_approvals",
          "outcome",
        ].sort(),
      );
      const [gate] = await withRaw((raw) => raw.query("SELECT * FROM gates WHERE run_id = 11"));
      expect(Object.keys(gate!)).not.toContain("callback_url");

      // The sweep picks up the due review; the rest works as on a new database.
      expect((await store.claimDueEffects(at(60_000), 1000, 10)).map((e) => e.id)).toEqual([
        "v1_due:github.review",
      ]);
      expect(
        await store.decide("v1_open", { decision: "expired", decidedBy: [], reason: "expired", at: T0 }, []),
      ).toBe(true);
      const fresh = await decidedRequest(store);
      expect(await store.getRequest(fresh.requestId)).toMatchObject({ decision: "approved" });
    });

    it("migrates once when two stores open a version-1 database together", async () => {
      await versionOneDatabase();
      const [a, b] = await Promise.all([open(), open()]);
      expect(await a.listEffects("v1_due")).toEqual(await b.listEffects("v1_due"));
      expect(await withRaw((raw) => raw.query("SELECT version FROM schema_migrations"))).toHaveLength(
        LATEST_SCHEMA_VERSION,
      );
      expect(await withRaw((raw) => raw.query("SELECT id FROM effects"))).toHaveLength(4);
    });
  });

  describe("requests", () => {
    it("saves a request with no decision and reads it back", async () => {
      const store = await open();
      const request = newRequest({ environment: "Production" });
      const saved = await store.saveRequest(request);
      expect(saved).toEqual({
        ...request,
        repository: "octo-org/deploy-me",
        environment: "Production",
        decision: null,
        decidedAt: null,
        decidedBy: [],
        reason: null,
        ...NO_LIFE,
      });
      expect(await store.getRequest(request.requestId)).toEqual(saved);
      expect(await store.getRequest("no-such-request")).toBeUndefined();
    });

    it("returns the existing row when the id is saved again", async () => {
      const store = await open();
      const first = await store.saveRequest(newRequest());
      const again = await store.saveRequest(
        newRequest({ requestId: first.requestId, channelId: "COTHER", messageTs: "1.2", runAttempt: 7 }),
      );
      expect(again).toEqual(first);
      expect(await store.getRequest(first.requestId)).toEqual(first);
    });

    it("keeps one row when the same id is saved concurrently through two stores", async () => {
      const [a, b] = [await open(), await open()];
      const base = newRequest();
      const rows = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          (i % 2 ? a : b).saveRequest({ ...base, messageTs: `1700000001.00000${i}` }),
        ),
      );
      const stored = await a.getRequest(base.requestId);
      for (const row of rows) expect(row).toEqual(stored);
    });

    it("finds a run's requests for one environment, ignoring its case, across attempts, oldest first", async () => {
      const store = await open();
      const runId = 123_456_789_012;
      const second = await store.saveRequest(
        newRequest({
          runId,
          runAttempt: 2,
          environment: "PRODUCTION",
          createdAt: new Date("2025-01-02T00:00:00Z"),
        }),
      );
      const first = await store.saveRequest(
        newRequest({ runId, runAttempt: 1, createdAt: new Date("2025-01-01T00:00:00Z") }),
      );
      await store.saveRequest(newRequest({ runId, environment: "staging" }));
      await store.saveRequest(newRequest({ runId: runId + 1 }));
      await store.saveRequest(newRequest({ runId, repository: "octo-org/other" }));

      for (const asked of ["production", "Production", "PRODUCTION"]) {
        const found = await store.findRequests("octo-org/deploy-me", runId, asked);
        expect(found.map((r) => r.requestId)).toEqual([first.requestId, second.requestId]);
        // Each keeps the spelling it was saved with.
        expect(found.map((r) => r.environment)).toEqual(["production", "PRODUCTION"]);
        expect(found[0]!.runId).toBe(runId);
      }
      expect(await store.findRequests("octo-org/deploy-me", runId, "production-eu")).toEqual([]);
    });

    it("finds all of a run's requests, any environment and attempt, oldest first", async () => {
      const store = await open();
      const runId = 4_000_000_001;
      const staging = await store.saveRequest(
        newRequest({ runId, environment: "staging", createdAt: new Date("2025-01-01T00:00:00Z") }),
      );
      const production = await store.saveRequest(
        newRequest({ runId, runAttempt: 2, createdAt: new Date("2025-01-03T00:00:00Z") }),
      );
      const productionFirst = await store.saveRequest(
        newRequest({ runId, runAttempt: 1, createdAt: new Date("2025-01-02T00:00:00Z") }),
      );
      await store.saveRequest(newRequest({ runId: runId + 1 }));
      await store.saveRequest(newRequest({ runId, repository: "octo-org/other" }));

      const found = await store.findRequestsForRun("OCTO-ORG/deploy-me", runId);
      expect(found.map((r) => r.requestId)).toEqual([
        staging.requestId,
        productionFirst.requestId,
        production.requestId,
      ]);
      expect(await store.findRequestsForRun("octo-org/deploy-me", runId + 2)).toEqual([]);
    });

    it("treats repository names without regard to case", async () => {
      const store = await open();
      const saved = await store.saveRequest(newRequest({ repository: "MyOrg/MyRepo", runId: 77 }));
      expect(saved.repository).toBe("myorg/myrepo");
      const found = await store.findRequests("MYORG/myrepo", 77, "production");
      expect(found.map((r) => r.requestId)).toEqual([saved.requestId]);

      await store.saveGate({
        repository: "MYORG/MYREPO",
        runId: 77,
        environment: "production",
        installationId: 5,
        receivedAt: T0,
      });
      expect((await store.getGate("myOrg/myRepo", 77, "production"))?.repository).toBe("myorg/myrepo");
    });

    it("round-trips the message blocks as JSON", async () => {
      const store = await open();
      const blocks = [
        { type: "header", text: { type: "plain_text", text: "Deploy 🚀 to *production*", emoji: true } },
        {
          type: "section",
          fields: [
            { type: "mrkdwn", text: '*Ref*\n`main` "quoted" \\ backslash & <angle> ? $1' },
            { type: "mrkdwn", text: "ünïcödé — 日本語" },
          ],
        },
        { type: "actions", block_id: "sdg_actions", elements: [{ type: "button", value: 'sdg1:["a/b",1]' }] },
        {
          type: "context",
          elements: [],
          extra: { n: 1.5, zero: 0, no: false, nothing: null, list: [[1], []] },
        },
      ];
      const saved = await store.saveRequest(newRequest({ messageBlocks: blocks }));
      expect(saved.messageBlocks).toEqual(blocks);
      expect((await store.getRequest(saved.requestId))?.messageBlocks).toEqual(blocks);
    });

    it("round-trips dates to the millisecond", async () => {
      const store = await open();
      const createdAt = new Date("2024-02-29T23:59:59.123Z");
      const decidedAt = new Date("2031-12-31T00:00:00.999Z");
      const saved = await store.saveRequest(newRequest({ createdAt }));
      await store.decide(
        saved.requestId,
        { decision: "rejected", decidedBy: [decider("U9")], reason: "no", at: decidedAt },
        [review(saved.requestId)],
      );
      const row = await store.getRequest(saved.requestId);
      expect(row?.createdAt).toBeInstanceOf(Date);
      expect(row?.createdAt.toISOString()).toBe(createdAt.toISOString());
      expect(row?.decidedAt?.toISOString()).toBe(decidedAt.toISOString());
      expect((await store.listEffects(saved.requestId))[0]?.nextAttemptAt?.toISOString()).toBe(
        decidedAt.toISOString(),
      );

      await store.addVote({
        requestId: saved.requestId,
        slackUserId: "U9",
        vote: "reject",
        reason: null,
        at: createdAt,
      });
      expect((await store.listVotes(saved.requestId))[0]?.at.toISOString()).toBe(createdAt.toISOString());
    });
  });

  describe("votes", () => {
    it("takes one vote per person per request", async () => {
      const store = await open();
      const { requestId } = await store.saveRequest(newRequest());
      const other = await store.saveRequest(newRequest());

      expect(
        await store.addVote({ requestId, slackUserId: "U1", vote: "approve", reason: null, at: at(1) }),
      ).toBe(true);
      expect(
        await store.addVote({
          requestId,
          slackUserId: "U1",
          vote: "reject",
          reason: "changed my mind",
          at: at(2),
        }),
      ).toBe(false);
      expect(
        await store.addVote({ requestId, slackUserId: "U2", vote: "reject", reason: "not today", at: at(3) }),
      ).toBe(true);
      expect(
        await store.addVote({
          requestId: other.requestId,
          slackUserId: "U1",
          vote: "approve",
          reason: null,
          at: at(4),
        }),
      ).toBe(true);

      expect(await store.listVotes(requestId)).toEqual([
        { requestId, slackUserId: "U1", vote: "approve", reason: null, at: at(1) },
        { requestId, slackUserId: "U2", vote: "reject", reason: "not today", at: at(3) },
      ]);
      expect(await store.listVotes("no-such-request")).toEqual([]);
    });

    it("keeps one vote when the same person votes concurrently through two stores", async () => {
      const [a, b] = [await open(), await open()];
      const { requestId } = await a.saveRequest(newRequest());
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          (i % 2 ? a : b).addVote({ requestId, slackUserId: "U1", vote: "approve", reason: null, at: at(i) }),
        ),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await b.listVotes(requestId)).toHaveLength(1);
    });
  });

  describe("decide", () => {
    it("takes the first decision with its deciders and records its effects with it", async () => {
      const store = await open();
      const { requestId } = await store.saveRequest(newRequest());
      const deciders = [decider("U1", "Jane Doe", "jane"), decider("U2", null, null)];
      expect(
        await store.decide(
          requestId,
          { decision: "approved", decidedBy: deciders, reason: "lgtm", at: at(5) },
          [
            review(requestId),
            update(requestId, { state: "approved" }),
            {
              ...review(requestId),
              id: `${requestId}:github.check_run`,
              kind: "github.check_run",
              state: "waiting",
            },
          ],
        ),
      ).toBe(true);
      expect(await store.getRequest(requestId)).toMatchObject({
        decision: "approved",
        decidedBy: deciders,
        reason: "lgtm",
        decidedAt: at(5),
      });
      const effects = await store.listEffects(requestId);
      expect(effects.map((e) => [e.id, e.state, e.nextAttemptAt])).toEqual([
        [`${requestId}:github.check_run`, "waiting", null],
        [`${requestId}:github.review`, "due", at(5)],
        [`${requestId}:slack.update`, "due", at(5)],
      ]);

      // A later decision changes nothing and records none of its effects.
      expect(
        await store.decide(
          requestId,
          { decision: "rejected", decidedBy: [decider("U3")], reason: "late", at: at(6) },
          [{ ...review(requestId), id: `${requestId}:reply:late`, kind: "slack.reply" }],
        ),
      ).toBe(false);
      expect(await store.getRequest(requestId)).toMatchObject({ decision: "approved", reason: "lgtm" });
      expect(await store.listEffects(requestId)).toEqual(effects);

      expect(
        await store.decide(
          "no-such-request",
          { decision: "approved", decidedBy: [], reason: null, at: T0 },
          [],
        ),
      ).toBe(false);
    });

    it("records an expiry, which names nobody", async () => {
      const store = await open();
      const { requestId } = await store.saveRequest(newRequest());
      expect(
        await store.decide(
          requestId,
          { decision: "expired", decidedBy: [], reason: "expired after 24h", at: T0 },
          [update(requestId, { state: "expired" })],
        ),
      ).toBe(true);
      expect(await store.getRequest(requestId)).toMatchObject({ decision: "expired", decidedBy: [] });
    });

    it("takes neither the decision nor any effect when an effect cannot be recorded", async () => {
      const store = await open();
      const { requestId } = await store.saveRequest(newRequest());
      await expect(
        store.decide(requestId, { decision: "approved", decidedBy: [decider("U1")], reason: null, at: T0 }, [
          review(requestId),
          // Effects belong to a saved request.
          review("no-such-request"),
        ]),
      ).rejects.toThrow();
      expect((await store.getRequest(requestId))?.decision).toBeNull();
      expect(await store.listEffects(requestId)).toEqual([]);
      // And the request can still be decided.
      expect(
        await store.decide(
          requestId,
          { decision: "approved", decidedBy: [decider("U1")], reason: null, at: T0 },
          [review(requestId)],
        ),
      ).toBe(true);
    });

    it("lets exactly one of 50 concurrent callers on two stores decide, and records only its effects", async () => {
      const [a, b] = [await open(), await open()];
      const { requestId } = await a.saveRequest(newRequest());
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          (i % 2 ? a : b).decide(
            requestId,
            {
              decision: i % 3 ? "approved" : "rejected",
              decidedBy: [decider(`U${i}`)],
              reason: `caller ${i}`,
              at: at(i),
            },
            [
              {
                ...review(requestId),
                id: `${requestId}:reply:caller${i}`,
                kind: "slack.reply",
                payload: { i },
              },
            ],
          ),
        ),
      );
      const winners = results.flatMap((won, i) => (won ? [i] : []));
      expect(winners).toHaveLength(1);
      const winner = winners[0]!;
      expect(await b.getRequest(requestId)).toMatchObject({
        decision: winner % 3 ? "approved" : "rejected",
        decidedBy: [decider(`U${winner}`)],
        reason: `caller ${winner}`,
        decidedAt: at(winner),
      });
      expect((await a.listEffects(requestId)).map((e) => e.payload)).toEqual([{ i: winner }]);
    });

    it("lets exactly one of two processes decide each request, and one claim each effect", async () => {
      const store = await open();
      const ids: string[] = [];
      for (let i = 0; i < 30; i++) ids.push((await store.saveRequest(newRequest())).requestId);
      const outcomes = await raceInChildProcesses(url, ids, 2);
      const wins = outcomes.flatMap((o) => o.won);
      const claims = outcomes.flatMap((o) => o.claimed);
      for (const id of ids) {
        expect(
          wins.filter((w) => w === id),
          `winners for ${id}`,
        ).toHaveLength(1);
        expect(
          claims.filter((c) => c === `${id}:github.review`),
          `claims of ${id}'s review`,
        ).toHaveLength(1);
        expect((await store.getRequest(id))?.decision).toBe("approved");
        expect(await store.listEffects(id)).toHaveLength(1);
      }
    });

    it("keeps an obsolete review obsolete when the decision comes after the run ended", async () => {
      const store = await open();
      const { requestId } = await store.saveRequest(newRequest());
      await store.addEffects([review(requestId, { state: "waiting" })], T0);
      await store.finishEffect(
        `${requestId}:github.review`,
        1,
        { state: "obsolete", note: "run cancelled" },
        T0,
      );
      expect(
        await store.decide(
          requestId,
          { decision: "approved", decidedBy: [decider("U1")], reason: null, at: at(1) },
          [review(requestId)],
        ),
      ).toBe(true);
      expect(await effect(store, `${requestId}:github.review`)).toMatchObject({
        state: "obsolete",
        note: "run cancelled",
      });
      expect(await store.claimEffect(`${requestId}:github.review`, at(10), 1000)).toBeUndefined();
    });
  });

  describe("gates", () => {
    it("upserts a gate and reads it back, the environment ignoring case but spelt as GitHub sent it", async () => {
      const store = await open();
      expect(await store.getGate("octo-org/deploy-me", 1, "production")).toBeUndefined();
      const gate = {
        repository: "octo-org/deploy-me",
        runId: 9_876_543_210,
        environment: "Production",
        installationId: 3_000_000_001,
        receivedAt: new Date("2025-01-01T00:00:00.001Z"),
      };
      await store.saveGate(gate);
      expect(await store.getGate(gate.repository, gate.runId, "Production")).toEqual(gate);
      expect(await store.getGate(gate.repository, gate.runId, "production")).toEqual(gate);
      expect(await store.getGate(gate.repository, gate.runId, "PRODUCTION")).toEqual(gate);

      // A re-run sends it again, here spelt otherwise: still one gate, as sent last.
      const rerun = { ...gate, environment: "production", installationId: 8, receivedAt: at(9) };
      await store.saveGate(rerun);
      expect(await store.getGate(gate.repository, gate.runId, "Production")).toEqual(rerun);
      expect(await store.getGate(gate.repository, gate.runId, "staging")).toBeUndefined();
      expect(await store.getGate(gate.repository, gate.runId + 1, "production")).toBeUndefined();
    });
  });

  describe("effects", () => {
    it("records new effects: due ones at once, waiting ones when woken", async () => {
      const store = await open();
      const { requestId } = await store.saveRequest(newRequest());
      await store.addEffects(
        [review(requestId, { state: "waiting" }), update(requestId, { text: "1 of 2 approvals" })],
        at(3),
      );
      // As recorded at(3): never tried, nothing noted.
      const untried = {
        requestId,
        generation: 1,
        attempts: 0,
        leaseUntil: null,
        lastError: null,
        note: null,
        result: null,
        createdAt: at(3),
        updatedAt: at(3),
      };
      expect(await store.listEffects(requestId)).toEqual([
        {
          ...untried,
          id: `${requestId}:github.review`,
          kind: "github.review",
          payload: {},
          state: "waiting",
          nextAttemptAt: null,
        },
        {
          ...untried,
          id: `${requestId}:slack.update`,
          kind: "slack.update",
          payload: { text: "1 of 2 approvals" },
          state: "due",
          nextAttemptAt: at(3),
        },
      ]);
      expect(await store.listEffects("no-such-request")).toEqual([]);
      await store.addEffects([], at(4));
    });

    it("records all of a batch or none of it", async () => {
      const store = await open();
      const { requestId } = await store.saveRequest(newRequest());
      await expect(
        store.addEffects([update(requestId, { n: 1 }), review("no-such-request")], T0),
      ).rejects.toThrow();
      expect(await store.listEffects(requestId)).toEqual([]);
    });

    it("ignore: an effect recorded again stays as it is", async () => {
      const store = await open();
      const { requestId } = await store.saveRequest(newRequest());
      const id = `${requestId}:reply:vote:U1`;
      const reply = { ...review(requestId), id, kind: "slack.reply" as const, payload: { text: "first" } };
      await store.addEffects([reply], at(1));
      const claimed = await store.claimEffect(id, at(1), 1000);
      await store.finishEffect(id, claimed!.generation, { state: "done", result: { ts: "1.1" } }, at(2));
      await store.addEffects([{ ...reply, payload: { text: "second" } }], at(3));
      expect(await effect(store, id)).toMatchObject({
        payload: { text: "first" },
        state: "done",
        generation: 1,
        result: { ts: "1.1" },
        updatedAt: at(2),
      });
    });

    it("refresh: replaces the payload, bumps the generation, makes it due again and resets attempts", async () => {
      const store = await open();
      const { requestId } = await store.saveRequest(newRequest());
      const id = `${requestId}:slack.update`;
      await store.addEffects([update(requestId, { v: 1 })], at(1));
      const first = await store.claimEffect(id, at(1), 1000);
      await store.finishEffect(
        id,
        first!.generation,
        { state: "retry", error: "429", nextAttemptAt: at(60_000) },
        at(2),
      );
      expect(await effect(store, id)).toMatchObject({ attempts: 1, nextAttemptAt: at(60_000) });

      await store.addEffects([update(requestId, { v: 2 })], at(3));
      expect(await effect(store, id)).toMatchObject({
        payload: { v: 2 },
        state: "due",
        generation: 2,
        attempts: 0,
        nextAttemptAt: at(3),
        createdAt: at(1),
        updatedAt: at(3),
      });

      // Done, then refreshed: due again, keeping what the last run returned (the message it updated).
      const second = await store.claimEffect(id, at(3), 1000);
      expect(second?.payload).toEqual({ v: 2 });
      await store.finishEffect(id, second!.generation, { state: "done", result: { ts: "9.9" } }, at(4));
      await store.addEffects([update(requestId, { v: 3 })], at(5));
      expect(await effect(store, id)).toMatchObject({
        payload: { v: 3 },
        state: "due",
        generation: 3,
        result: { ts: "9.9" },
      });

      // Failed, then refreshed: due again.
      const third = await store.claimEffect(id, at(5), 1000);
      await store.finishEffect(id, third!.generation, { state: "failed", note: "gave up" }, at(6));
      expect(await effect(store, id)).toMatchObject({ state: "failed", note: "gave up" });
      await store.addEffects([update(requestId, { v: 4 })], at(7));
      expect(await effect(store, id)).toMatchObject({ state: "due", generation: 4, nextAttemptAt: at(7) });
    });

    it("refresh: an obsolete effect stays obsolete", async () => {
      const store = await open();
      const { requestId } = await store.saveRequest(newRequest());
      const id = `${requestId}:slack.update`;
      await store.addEffects([update(requestId, { v: 1 })], at(1));
      await store.finishEffect(id, 1, { state: "obsolete", note: "message deleted" }, at(2));
      await store.addEffects([update(requestId, { v: 2 })], at(3));
      expect(await effect(store, id)).toMatchObject({
        state: "obsolete",
        note: "message deleted",
        nextAttemptAt: null,
      });
      expect(await store.claimEffect(id, at(10), 1000)).toBeUndefined();
      expect(await store.claimDueEffects(at(10), 1000, 10)).toEqual([]);
    });

    it("an id given twice in one batch counts once, as given last", async () => {
      const store = await open();
      const { requestId } = await store.saveRequest(newRequest());
      await store.addEffects([update(requestId, { v: 1 }), update(requestId, { v: 2 })], at(1));
      expect(await store.listEffects(requestId)).toMatchObject([{ payload: { v: 2 }, generation: 1 }]);
    });

    it("counts every refresh when two stores refresh the same effects concurrently, in either order", async () => {
      const [a, b] = [await open(), await open()];
      const { requestId } = await a.saveRequest(newRequest());
      const reply = (n: number) => update(requestId, { n }, { id: `${requestId}:slack.update:thread` });
      await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          (i % 2 ? a : b).addEffects(
            i % 2 ? [update(requestId, { n: i }), reply(i)] : [reply(i), update(requestId, { n: i })],
            at(i),
          ),
        ),
      );
      expect((await a.listEffects(requestId)).map((e) => e.generation)).toEqual([20, 20]);
    });

    it("wakes waiting effects of the given kinds for the given request only", async () => {
      const store = await open();
      const { requestId } = await store.saveRequest(newRequest());
      const other = await store.saveRequest(newRequest());
      const checkRun = {
        ...review(requestId),
        id: `${requestId}:github.check_run`,
        kind: "github.check_run" as const,
        state: "waiting" as const,
      };
      await store.addEffects(
        [review(requestId, { state: "waiting" }), checkRun, review(other.requestId, { state: "waiting" })],
        at(1),
      );
      expect(await store.claimDueEffects(at(100), 1000, 10)).toEqual([]);

      await store.wakeEffects(requestId, ["github.review", "github.dispatch"], at(50));
      const effects = await store.listEffects(requestId);
      expect(effects.map((e) => [e.kind, e.state, e.nextAttemptAt, e.generation])).toEqual([
        ["github.check_run", "waiting", null, 1],
        ["github.review", "due", at(50), 1],
      ]);
      expect(await effect(store, `${other.requestId}:github.review`)).toMatchObject({ state: "waiting" });

      // Waking again, or waking what is not waiting, changes nothing.
      await store.wakeEffects(requestId, ["github.review"], at(60));
      await store.wakeEffects(requestId, [], at(60));
      expect(await effect(store, `${requestId}:github.review`)).toMatchObject({
        nextAttemptAt: at(50),
        generation: 1,
      });
      expect((await store.claimDueEffects(at(100), 1000, 10)).map((e) => e.id)).toEqual([
        `${requestId}:github.review`,
      ]);
    });

    it("a wake-up during a claim that finds nothing to do leaves the effect due, not waiting", async () => {
      const store = await open();
      const { requestId } = await store.saveRequest(newRequest());
      const id = `${requestId}:github.review`;
      await store.addEffects([review(requestId)], at(1));
      // The claim looks for the gate and finds none; meanwhile the gate arrives and wakes the review.
      const claimed = await store.claimEffect(id, at(1), 30_000);
      await store.wakeEffects(requestId, ["github.review"], at(2));
      await store.finishEffect(id, claimed!.generation, { state: "waiting", note: "no gate yet" }, at(3));
      expect(await effect(store, id)).toMatchObject({ state: "due", leaseUntil: null, generation: 2 });
      expect((await store.claimEffect(id, at(4), 30_000))?.generation).toBe(2);

      // Without a wake-up, the claim's `waiting` stands until the next wake-up.
      await store.finishEffect(id, 2, { state: "waiting", note: "no gate yet" }, at(5));
      expect(await effect(store, id)).toMatchObject({
        state: "waiting",
        note: "no gate yet",
        nextAttemptAt: null,
      });
      expect(await store.claimEffect(id, at(6), 30_000)).toBeUndefined();
      await store.wakeEffects(requestId, ["github.review"], at(7));
      expect(await store.claimEffect(id, at(7), 30_000)).toMatchObject({ state: "due", generation: 2 });
    });

    it("lets exactly one of 20 concurrent callers on two stores claim an effect", async () => {
      const [a, b] = [await open(), await open()];
      const { requestId } = await decidedRequest(a);
      const id = `${requestId}:github.review`;
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).claimEffect(id, at(1000), 30_000)),
      );
      const claims = results.filter((r) => r !== undefined);
      expect(claims).toHaveLength(1);
      expect(claims[0]).toMatchObject({ id, state: "due", leaseUntil: at(31_000), updatedAt: at(1000) });
      expect((await effect(a, id))?.leaseUntil).toEqual(at(31_000));
    });

    it("holds a claim until its lease lapses, and claims nothing before it is due", async () => {
      const store = await open();
      const { requestId } = await decidedRequest(store, at(5000));
      const id = `${requestId}:github.review`;
      expect(await store.claimEffect(id, at(4999), 10_000)).toBeUndefined();
      expect(await store.claimEffect(id, at(5000), 10_000)).toBeDefined();
      expect(await store.claimEffect(id, at(14_999), 10_000)).toBeUndefined();
      expect((await store.claimEffect(id, at(15_000), 10_000))?.leaseUntil).toEqual(at(25_000));
      expect(await store.claimEffect("no-such-effect", at(0), 1000)).toBeUndefined();
    });

    it("claims due effects for the sweep: earliest first, up to the limit, none leased, waiting or final", async () => {
      const store = await open();
      const later = await decidedRequest(store, at(2000));
      const earlier = await decidedRequest(store, at(1000));
      const notYet = await decidedRequest(store, at(60_000));
      const leased = await decidedRequest(store, at(0));
      const done = await decidedRequest(store, at(0));
      const waiting = await store.saveRequest(newRequest());
      await store.addEffects([review(waiting.requestId, { state: "waiting" })], at(0));
      expect(await store.claimEffect(`${leased.requestId}:github.review`, at(0), 60_000)).toBeDefined();
      const doneClaim = await store.claimEffect(`${done.requestId}:github.review`, at(0), 1000);
      await store.finishEffect(doneClaim!.id, doneClaim!.generation, { state: "done" }, at(0));

      expect((await store.claimDueEffects(at(5000), 1000, 1)).map((e) => e.requestId)).toEqual([
        earlier.requestId,
      ]);
      const rest = await store.claimDueEffects(at(5000), 1000, 10);
      expect(rest.map((e) => e.requestId)).toEqual([later.requestId]);
      expect(rest[0]).toMatchObject({ state: "due", leaseUntil: at(6000) });
      expect(await store.claimDueEffects(at(5000), 1000, 10)).toEqual([]);

      // Once the leases lapse they are due again, with the late one once its time has come.
      const afterLeases = await store.claimDueEffects(at(60_000), 1000, 10);
      expect(afterLeases.map((e) => e.requestId)).toEqual([
        leased.requestId,
        earlier.requestId,
        later.requestId,
        notYet.requestId,
      ]);
    });

    it("two stores sweeping together claim each due effect once", async () => {
      const [a, b] = [await open(), await open()];
      const ids: string[] = [];
      for (let i = 0; i < 40; i++) ids.push(`${(await decidedRequest(a, at(i))).requestId}:github.review`);
      const batches = await Promise.all(
        Array.from({ length: 12 }, (_, i) => (i % 2 ? a : b).claimDueEffects(at(100), 60_000, 5)),
      );
      const claimed = batches.flat().map((e) => e.id);
      expect(new Set(claimed).size).toBe(claimed.length);
      expect(claimed.sort()).toEqual([...ids].sort());
    });

    it("finishes a claim: done keeps its result, retry counts, failed and obsolete are final", async () => {
      const store = await open();
      const [done, retried, failed, obsolete] = [
        await decidedRequest(store),
        await decidedRequest(store),
        await decidedRequest(store),
        await decidedRequest(store),
      ].map((r) => `${r.requestId}:github.review`);
      for (const id of [done, retried, failed, obsolete]) {
        expect(await store.claimEffect(id!, at(0), 60_000)).toBeDefined();
      }
      await store.finishEffect(done!, 1, { state: "done", result: { checkRunId: 4_000_000_001 } }, at(1));
      await store.finishEffect(
        retried!,
        1,
        { state: "retry", error: "GitHub answered 502", nextAttemptAt: at(30_000) },
        at(1),
      );
      await store.finishEffect(failed!, 1, { state: "failed", note: "gave up after 24 h" }, at(1));
      await store.finishEffect(obsolete!, 1, { state: "obsolete", note: "the run no longer waits" }, at(1));

      expect(await effect(store, done!)).toMatchObject({
        state: "done",
        result: { checkRunId: 4_000_000_001 },
        leaseUntil: null,
        updatedAt: at(1),
      });
      expect(await effect(store, retried!)).toMatchObject({
        state: "due",
        attempts: 1,
        lastError: "GitHub answered 502",
        nextAttemptAt: at(30_000),
        leaseUntil: null,
      });
      expect(await effect(store, failed!)).toMatchObject({ state: "failed", note: "gave up after 24 h" });
      expect(await effect(store, obsolete!)).toMatchObject({
        state: "obsolete",
        note: "the run no longer waits",
        nextAttemptAt: null,
      });

      // The retried one waits for its time, then counts again.
      expect(await store.claimEffect(retried!, at(29_999), 60_000)).toBeUndefined();
      expect(await store.claimEffect(retried!, at(30_000), 60_000)).toBeDefined();
      await store.finishEffect(
        retried!,
        1,
        { state: "retry", error: "timeout", nextAttemptAt: at(90_000) },
        at(30_001),
      );
      expect(await effect(store, retried!)).toMatchObject({ attempts: 2, lastError: "timeout" });

      // Final states stay final, whatever finishes late.
      for (const id of [done, failed, obsolete]) {
        const before = await effect(store, id!);
        await store.finishEffect(id!, 1, { state: "retry", error: "late", nextAttemptAt: at(1) }, at(2));
        await store.finishEffect(id!, 1, { state: "waiting", note: "late" }, at(2));
        await store.finishEffect(id!, 1, { state: "done" }, at(2));
        await store.finishEffect(id!, 1, { state: "failed", note: "late" }, at(2));
        if (id !== done) await store.finishEffect(id!, 1, { state: "obsolete", note: "late" }, at(2));
        expect(await effect(store, id!)).toEqual(before);
        expect(await store.claimEffect(id!, at(1_000_000), 1000)).toBeUndefined();
      }
    });

    it("marks a waiting effect obsolete without a claim", async () => {
      const store = await open();
      const { requestId } = await store.saveRequest(newRequest());
      const id = `${requestId}:github.review`;
      await store.addEffects([review(requestId, { state: "waiting" })], at(0));
      await store.finishEffect(id, 1, { state: "obsolete", note: "the run was cancelled" }, at(1));
      expect(await effect(store, id)).toMatchObject({ state: "obsolete", note: "the run was cancelled" });
      await store.wakeEffects(requestId, ["github.review"], at(2));
      expect(await effect(store, id)).toMatchObject({ state: "obsolete" });
    });

    it("a refresh during a claim sends the claim round again with the newest payload", async () => {
      const [a, b] = [await open(), await open()];
      const { requestId } = await a.saveRequest(newRequest());
      const id = `${requestId}:slack.update`;
      await a.addEffects([update(requestId, { votes: 1 })], at(0));
      const claim = await a.claimEffect(id, at(0), 30_000);
      expect(claim).toMatchObject({ payload: { votes: 1 }, generation: 1 });

      // Another replica records a newer state while the first one is sending the old one.
      await b.addEffects([update(requestId, { votes: 2 })], at(1));
      expect(await effect(b, id)).toMatchObject({ generation: 2, leaseUntil: at(30_000) });
      // The lease still holds: nobody sends the new state alongside the old one.
      expect(await b.claimEffect(id, at(2), 30_000)).toBeUndefined();
      expect(await b.claimDueEffects(at(2), 30_000, 10)).toEqual([]);

      // The first claim finishes: it sent an old state, so the effect is due again, not done.
      await a.finishEffect(id, claim!.generation, { state: "done", result: { ts: "1.1" } }, at(3));
      expect(await effect(a, id)).toMatchObject({
        state: "due",
        generation: 2,
        leaseUntil: null,
        result: { ts: "1.1" },
        nextAttemptAt: at(1),
      });
      const again = await b.claimEffect(id, at(4), 30_000);
      expect(again).toMatchObject({ payload: { votes: 2 }, generation: 2 });
      await b.finishEffect(id, again!.generation, { state: "done" }, at(5));
      expect(await effect(a, id)).toMatchObject({ state: "done", generation: 2, result: { ts: "1.1" } });

      // A stale retry neither counts an attempt nor delays the newer state.
      await a.addEffects([update(requestId, { votes: 3 })], at(6));
      const third = await a.claimEffect(id, at(6), 30_000);
      await b.addEffects([update(requestId, { votes: 4 })], at(7));
      await a.finishEffect(
        id,
        third!.generation,
        { state: "retry", error: "429", nextAttemptAt: at(60_000) },
        at(8),
      );
      expect(await effect(a, id)).toMatchObject({
        state: "due",
        attempts: 0,
        lastError: "429",
        nextAttemptAt: at(7),
        leaseUntil: null,
      });
      // And a stale give-up does not give up on the newer state.
      const fourth = await a.claimEffect(id, at(8), 30_000);
      await b.addEffects([update(requestId, { votes: 5 })], at(9));
      await a.finishEffect(id, fourth!.generation, { state: "failed", note: "gave up" }, at(10));
      expect(await effect(a, id)).toMatchObject({ state: "due", payload: { votes: 5 }, note: null });
    });
  });

  describe("inbound", () => {
    const body = (n: number) => `payload=${encodeURIComponent(JSON.stringify({ type: "block_actions", n }))}`;
    const sha = (n: number) => `sha256-${String(n).padStart(4, "0")}`;

    it("records a verified body once: a replay of it is refused", async () => {
      const store = await open();
      expect(await store.saveInbound({ id: sha(1), receivedAt: at(0), body: body(1) })).toBe(true);
      expect(await store.saveInbound({ id: sha(1), receivedAt: at(10), body: body(1) })).toBe(false);
      expect(await store.saveInbound({ id: sha(2), receivedAt: at(10), body: body(2) })).toBe(true);
      // Even once handled, within the window.
      await store.finishInbound(sha(1));
      expect(await store.saveInbound({ id: sha(1), receivedAt: at(20), body: body(1) })).toBe(false);
    });

    it("lets exactly one of 20 concurrent saves of one body through two stores win", async () => {
      const [a, b] = [await open(), await open()];
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          (i % 2 ? a : b).saveInbound({ id: sha(7), receivedAt: at(i), body: body(7) }),
        ),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
    });

    it("claims unfinished interactions older than the cut-off whose lease has lapsed, oldest first", async () => {
      const store = await open();
      for (const n of [3, 1, 2, 4])
        await store.saveInbound({ id: sha(n), receivedAt: at(n * 1000), body: body(n) });
      await store.finishInbound(sha(2));

      // Received before 3.5 s, unfinished: 1 and 3.
      const first = await store.claimStaleInbound(at(3500), at(10_000), 60_000, 10);
      expect(first).toEqual([
        { id: sha(1), receivedAt: at(1000), body: body(1), attempts: 1, leaseUntil: at(70_000) },
        { id: sha(3), receivedAt: at(3000), body: body(3), attempts: 1, leaseUntil: at(70_000) },
      ]);
      // Leased: not again until the lease lapses; then counted again.
      expect(await store.claimStaleInbound(at(3500), at(69_999), 60_000, 10)).toEqual([]);
      const limited = await store.claimStaleInbound(at(3500), at(70_000), 60_000, 1);
      expect(limited).toMatchObject([{ id: sha(1), attempts: 2 }]);

      // Handled: never claimed again.
      await store.finishInbound(sha(1));
      await store.finishInbound(sha(3));
      expect(await store.claimStaleInbound(at(1_000_000), at(1_000_000), 60_000, 10)).toMatchObject([
        { id: sha(4) },
      ]);
    });

    it("two stores recovering together claim each interaction once", async () => {
      const [a, b] = [await open(), await open()];
      for (let n = 0; n < 30; n++) await a.saveInbound({ id: sha(n), receivedAt: at(n), body: body(n) });
      const batches = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          (i % 2 ? a : b).claimStaleInbound(at(1000), at(1000), 60_000, 4),
        ),
      );
      const claimed = batches.flat().map((r) => r.id);
      expect(new Set(claimed).size).toBe(claimed.length);
      expect(claimed).toHaveLength(30);
    });

    it("prunes handled interactions received before the cut-off, and only those", async () => {
      const store = await open();
      for (const n of [1, 2, 3])
        await store.saveInbound({ id: sha(n), receivedAt: at(n * 1000), body: body(n) });
      await store.finishInbound(sha(1));
      await store.finishInbound(sha(3));
      expect(await store.pruneInbound(at(2500))).toBe(1);
      expect(await store.pruneInbound(at(2500))).toBe(0);
      // Pruned: the body is new again. Unfinished or recent: still remembered.
      expect(await store.saveInbound({ id: sha(1), receivedAt: at(9000), body: body(1) })).toBe(true);
      expect(await store.saveInbound({ id: sha(2), receivedAt: at(9000), body: body(2) })).toBe(false);
      expect(await store.saveInbound({ id: sha(3), receivedAt: at(9000), body: body(3) })).toBe(false);
    });
  });

  describe("restart", () => {
    it("keeps requests, decisions, votes, gates, effects and interactions across close and reopen", async () => {
      const first = await open();
      const request = await first.saveRequest(newRequest());
      await first.addVote({
        requestId: request.requestId,
        slackUserId: "U1",
        vote: "approve",
        reason: null,
        at: at(1),
      });
      await first.decide(
        request.requestId,
        { decision: "approved", decidedBy: [decider("U1", "Jane", "jane")], reason: null, at: at(2) },
        [review(request.requestId)],
      );
      await first.saveGate({
        repository: request.repository,
        runId: request.runId,
        environment: request.environment,
        installationId: 42,
        receivedAt: T0,
      });
      const id = `${request.requestId}:github.review`;
      await first.claimEffect(id, at(2), 1000);
      await first.finishEffect(id, 1, { state: "retry", error: "boom", nextAttemptAt: at(10_000) }, at(3));
      await first.saveInbound({ id: "sha-restart", receivedAt: at(0), body: "payload=%7B%7D" });
      const before = {
        request: await first.getRequest(request.requestId),
        votes: await first.listVotes(request.requestId),
        gate: await first.getGate(request.repository, request.runId, request.environment),
        effects: await first.listEffects(request.requestId),
      };
      await first.close();

      const second = await open();
      expect(await second.getRequest(request.requestId)).toEqual(before.request);
      expect(await second.listVotes(request.requestId)).toEqual(before.votes);
      expect(await second.getGate(request.repository, request.runId, request.environment)).toEqual(
        before.gate,
      );
      expect(await second.listEffects(request.requestId)).toEqual(before.effects);
      expect(before.effects).toMatchObject([{ attempts: 1, lastError: "boom" }]);
      expect((await second.claimDueEffects(at(10_000), 1000, 10)).map((e) => e.id)).toEqual([id]);
      expect(await second.claimStaleInbound(at(1), at(1), 1000, 10)).toMatchObject([{ id: "sha-restart" }]);
    });
  });

  describe("with 100,000 past requests", () => {
    it("answers look-ups and the sweep through their indexes", async () => {
      const store = await open();
      await withRaw(async (raw) => {
        await raw.exec(bulkInsertSql(100_000));
        await raw.exec("ANALYZE");
      });
      const target = await store.saveRequest(newRequest({ repository: "octo-org/needle", runId: 555 }));
      await store.decide(
        target.requestId,
        { decision: "approved", decidedBy: [decider("U1")], reason: null, at: T0 },
        [review(target.requestId)],
      );

      expect(
        (await store.findRequests("octo-org/needle", 555, "Production")).map((r) => r.requestId),
      ).toEqual([target.requestId]);
      expect((await store.findRequestsForRun("octo-org/needle", 555)).map((r) => r.requestId)).toEqual([
        target.requestId,
      ]);
      expect((await store.claimDueEffects(at(1), 1000, 10)).map((e) => e.requestId)).toEqual([
        target.requestId,
      ]);

      const explain = backend.name === "sqlite" ? "EXPLAIN QUERY PLAN" : "EXPLAIN";
      const plan = (sql: string) =>
        withRaw(async (raw) => JSON.stringify(await raw.query(`${explain} ${sql}`)));
      expect(
        await plan(
          "SELECT * FROM requests WHERE repository = 'octo-org/needle' AND run_id = 555 AND environment_key = 'production'",
        ),
      ).toContain("requests_by_run");
      expect(
        await plan("SELECT * FROM requests WHERE repository = 'octo-org/needle' AND run_id = 555"),
      ).toContain("requests_by_run");
      expect(
        await plan(
          `SELECT id FROM effects WHERE state = 'due' AND next_attempt_at <= ${at(1).getTime()} ORDER BY next_attempt_at, id LIMIT 10`,
        ),
      ).toContain("effects_due");
      expect(
        await plan("SELECT * FROM effects WHERE request_id = 'past_77' ORDER BY created_at, id"),
      ).toContain("effects_by_request");
    });
  });
});

describe("sqlite store files", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "sdg-store-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("uses WAL mode with foreign keys enforced", async () => {
    const path = join(dir, "gate.db");
    const store = await openStore(`sqlite://${path}`);
    try {
      const raw = new Database(path);
      try {
        expect(raw.pragma("journal_mode", { simple: true })).toBe("wal");
      } finally {
        raw.close();
      }
      await expect(
        store.addVote({ requestId: "missing", slackUserId: "U1", vote: "approve", reason: null, at: T0 }),
      ).rejects.toThrow(/FOREIGN KEY/);
    } finally {
      await store.close();
    }
  });
});

/**
 * Past requests (decided, their review done) spread over many runs; the same SQL on both databases.
 */
function bulkInsertSql(count: number): string {
  const numbers = `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${count})`;
  return `${numbers}
    INSERT INTO requests (request_id, repository, run_id, run_attempt, environment, environment_key, mode,
      channel_id, message_ts, message_blocks, created_at, decision, decided_at, decided_by)
    SELECT 'past_' || i, 'org' || (i % 50) || '/repo' || (i % 7), i, 1, 'production', 'production', 'gate', 'C1',
      '1.' || i, '[]', 0, 'approved', 0, '[{"slackUserId":"U1","name":null,"githubLogin":null}]'
    FROM n;
  ${numbers}
    INSERT INTO effects (id, request_id, kind, payload, state, created_at, updated_at)
    SELECT 'past_' || i || ':github.review', 'past_' || i, 'github.review', '{}', 'done', 0, 0
    FROM n;`;
}

interface RaceOutcome {
  won: string[];
  claimed: string[];
}

/**
 * Runs `processes` child processes that each open the store at `url`, wait until all are ready, then
 * try to decide every request (recording its review), then to claim every review.
 */
async function raceInChildProcesses(
  url: string,
  requestIds: string[],
  processes: number,
): Promise<RaceOutcome[]> {
  const dir = await mkdtemp(join(tmpdir(), "sdg-race-"));
  const script = join(dir, "race.mjs");
  const storeModule = pathToFileURL(join(import.meta.dirname, "..", "app", "store", "index.ts")).href;
  await writeFile(
    script,
    `import { openStore } from ${JSON.stringify(storeModule)};
const [url, ids] = [process.argv[2], JSON.parse(process.argv[3])];
const store = await openStore(url);
process.stdout.write("ready\\n");
await new Promise((go) => process.stdin.once("data", go));
const won = [];
const claimed = [];
for (const id of ids) {
  const decided = await store.decide(
    id,
    { decision: "approved", decidedBy: [{ slackUserId: "U" + process.pid, name: null, githubLogin: null }], reason: null, at: new Date() },
    [{ id: id + ":github.review", requestId: id, kind: "github.review", payload: {}, state: "due", onConflict: "ignore" }],
  );
  if (decided) won.push(id);
}
for (const id of ids) {
  if (await store.claimEffect(id + ":github.review", new Date(Date.now() + 1000), 600000)) claimed.push(id + ":github.review");
}
await store.close();
process.stdout.write(JSON.stringify({ won, claimed }) + "\\n");
`,
  );
  const running: ChildProcess[] = [];
  try {
    const children = Array.from({ length: processes }, () => {
      const child = spawn(process.execPath, ["--import", "tsx", script, url, JSON.stringify(requestIds)], {
        stdio: ["pipe", "pipe", "pipe"],
      });
      running.push(child);
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (chunk: Buffer) => {
        stdout += chunk.toString();
      });
      child.stderr.on("data", (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      const ready = new Promise<void>((resolve, reject) => {
        child.stdout.on("data", () => stdout.startsWith("ready\n") && resolve());
        child.once("exit", (code) =>
          reject(new Error(`race child exited (${code}) before ready: ${stderr}`)),
        );
      });
      const done = new Promise<RaceOutcome>((resolve, reject) => {
        child.once("exit", (code) => {
          if (code !== 0) reject(new Error(`race child exited with ${code}: ${stderr}`));
          else resolve(JSON.parse(stdout.slice("ready\n".length)) as RaceOutcome);
        });
      });
      // Awaited below; this only keeps an early failure from surfacing as an unhandled rejection first.
      done.catch(() => {});
      return { child, ready, done };
    });
    await Promise.all(children.map((c) => c.ready));
    for (const { child } of children) child.stdin.end("go\n");
    return await Promise.all(children.map((c) => c.done));
  } finally {
    for (const child of running) if (child.exitCode === null && child.signalCode === null) child.kill();
    await rm(dir, { recursive: true, force: true });
  }
}

describe("openStore and DATABASE_URL", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "sdg-url-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("reads each accepted form", () => {
    expect(parseDatabaseUrl(undefined)).toEqual({
      kind: "sqlite",
      path: resolve("data/slack-deploy-gate.db"),
    });
    expect(parseDatabaseUrl("  ")).toEqual({ kind: "sqlite", path: resolve("data/slack-deploy-gate.db") });
    expect(parseDatabaseUrl("sqlite:///var/lib/gate/app.db")).toEqual({
      kind: "sqlite",
      path: "/var/lib/gate/app.db",
    });
    expect(parseDatabaseUrl("sqlite:relative/dir/app.db")).toEqual({
      kind: "sqlite",
      path: resolve("relative/dir/app.db"),
    });
    expect(parseDatabaseUrl("file:///srv/my%20gate.db")).toEqual({ kind: "sqlite", path: "/srv/my gate.db" });
    expect(parseDatabaseUrl("file:local.db")).toEqual({ kind: "sqlite", path: resolve("local.db") });
    expect(parseDatabaseUrl("postgres://u:p@db:5432/gate")).toEqual({
      kind: "postgres",
      url: "postgres://u:p@db:5432/gate",
    });
    expect(parseDatabaseUrl("postgresql://db/gate")).toEqual({
      kind: "postgres",
      url: "postgresql://db/gate",
    });
  });

  it("rejects anything else, naming DATABASE_URL and the accepted forms but never the password", () => {
    for (const bad of [
      "mysql://root:hunter2@db/gate",
      "hunter2",
      "user:hunter2@db/gate",
      "postgres:hunter2",
      "sqlite://hunter2/gate.db",
      "sqlite:",
    ]) {
      let message = "";
      try {
        parseDatabaseUrl(bad);
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message, bad).toContain("DATABASE_URL");
      expect(message, bad).toContain("postgres://");
      expect(message, bad).toContain("sqlite:///");
      expect(message, bad).not.toContain("hunter2");
    }
    expect(() => parseDatabaseUrl("mysql://db/gate")).toThrow(/scheme "mysql:"/);
  });

  it("opens a SQLite file named by a file: URL, creating its directory", async () => {
    const path = join(dir, "a", "b", "gate.db");
    const store = await openStore(pathToFileURL(path).href);
    try {
      expect(store.kind).toBe("sqlite");
      await store.saveRequest(newRequest());
      const raw = new Database(path, { readonly: true });
      try {
        expect(raw.prepare("SELECT count(*) AS n FROM requests").get()).toEqual({ n: 1 });
      } finally {
        raw.close();
      }
    } finally {
      await store.close();
    }
  });

  it("logs the PostgreSQL URL with its password redacted", async () => {
    const database = await createTestDatabase();
    try {
      // The server trusts local connections, so the password is ignored but still travels in the URL.
      const url = new URL(database.url);
      url.username = "postgres";
      url.password = "topsecret";
      const lines: string[] = [];
      const store = await openStore(url.href, { log: (msg) => lines.push(msg) });
      await store.close();
      expect(lines.join("\n")).toContain("postgres:***@");
      expect(lines.join("\n")).not.toContain("topsecret");
    } finally {
      await database.drop();
    }
  });

  it("fails to open an unreachable PostgreSQL without echoing the password", async () => {
    const error = await openStore("postgres://postgres:topsecret@127.0.0.1:1/gate").then(
      () => new Error("opened"),
      (e: unknown) => e as Error,
    );
    expect(error.message).not.toBe("opened");
    expect(error.message).not.toContain("topsecret");
  });

  it("redacts passwords in URLs for logs", () => {
    expect(redactDatabaseUrl("postgres://app:s3cret@db.internal:5432/gate?sslmode=require")).toBe(
      "postgres://app:***@db.internal:5432/gate?sslmode=require",
    );
    const withParam = redactDatabaseUrl("postgres://db/gate?password=s3cret&application_name=x");
    expect(withParam).not.toContain("s3cret");
    expect(withParam).toContain("application_name=x");
    const unparseable = redactDatabaseUrl("postgres://app:s3c@ret@db:notaport/gate");
    expect(unparseable).not.toContain("s3c");
    expect(unparseable).not.toContain("ret");
    expect(redactDatabaseUrl("postgres://db/gate")).toBe("postgres://db/gate");
    expect(redactDatabaseUrl(undefined)).toContain("slack-deploy-gate.db");
  });
});
