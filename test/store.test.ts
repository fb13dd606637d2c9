// One suite, both backends: whatever the App relies on must hold on SQLite and on PostgreSQL alike,
// including atomicity across two Store instances on one database (two processes or two replicas).
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import Database from "better-sqlite3";
import pg from "pg";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openStore, parseDatabaseUrl, redactDatabaseUrl } from "../app/store/index.js";
import { LATEST_SCHEMA_VERSION } from "../app/store/migrations.js";
import type { NewRequest, Store } from "../app/store/types.js";
import { createTestDatabase } from "../testkit/helpers/postgres.js";

interface Backend {
  name: "sqlite" | "postgres";
  /** A fresh, empty database: its DATABASE_URL and a way to remove it. */
  create(): Promise<{ url: string; destroy(): Promise<void> }>;
  /** Raw SQL against the database, bypassing the Store, to look at what it wrote. */
  raw(
    url: string,
  ): Promise<{ query(sql: string): Promise<Record<string, unknown>[]>; close(): Promise<void> }>;
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
    const db = new Database(url.slice("sqlite://".length));
    return {
      async query(sql) {
        const statement = db.prepare(sql);
        if (!statement.reader) {
          statement.run();
          return [];
        }
        return statement.all() as Record<string, unknown>[];
      },
      async close() {
        db.close();
      },
    };
  },
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
      async close() {
        await client.end();
      },
    };
  },
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

const T0 = new Date("2025-03-01T10:00:00.000Z");
const at = (ms: number) => new Date(T0.getTime() + ms);

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

  beforeEach(async () => {
    ({ url, destroy } = await backend.create());
  });

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((s) => s.close()));
    await destroy();
  });

  async function decidedRequest(store: Store, decidedAt = T0, overrides: Partial<NewRequest> = {}) {
    const request = await store.saveRequest(newRequest(overrides));
    const won = await store.decide(request.requestId, {
      decision: "approved",
      decidedBy: ["U1"],
      reason: null,
      at: decidedAt,
    });
    expect(won).toBe(true);
    return request;
  }

  async function saveGateFor(store: Store, request: NewRequest) {
    await store.saveGate({
      repository: request.repository,
      runId: request.runId,
      environment: request.environment,
      installationId: 42,
      callbackUrl: `https://api.github.com/repos/${request.repository}/actions/runs/${request.runId}/deployment_protection_rule`,
      receivedAt: T0,
    });
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
      const raw = await backend.raw(url);
      try {
        const versions = await raw.query("SELECT version FROM schema_migrations ORDER BY version");
        expect(versions.map((v) => Number(v.version))).toEqual(
          Array.from({ length: LATEST_SCHEMA_VERSION }, (_, i) => i + 1),
        );
      } finally {
        await raw.close();
      }
    });

    it("stores starting together on one empty database migrate it once", async () => {
      const stores = await Promise.all([open(), open(), open(), open()]);
      const raw = await backend.raw(url);
      try {
        const versions = await raw.query("SELECT version FROM schema_migrations");
        expect(versions).toHaveLength(LATEST_SCHEMA_VERSION);
      } finally {
        await raw.close();
      }
      const saved = await stores[0]!.saveRequest(newRequest());
      expect(await stores[3]!.getRequest(saved.requestId)).toEqual(saved);
    });

    it("ping fails after close", async () => {
      const store = await openStore(url);
      await store.close();
      await expect(store.ping()).rejects.toThrow();
      await expect(store.close()).resolves.toBeUndefined();
    });
  });

  describe("requests", () => {
    it("saves a request with no decision and no delivery, and reads it back", async () => {
      const store = await open();
      const request = newRequest();
      const saved = await store.saveRequest(request);
      expect(saved).toEqual({
        ...request,
        repository: "octo-org/deploy-me",
        decision: null,
        decidedAt: null,
        decidedBy: [],
        reason: null,
        delivery: "none",
        deliveryAttempts: 0,
        nextAttemptAt: null,
        leaseUntil: null,
        lastError: null,
        deliveryNote: null,
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

    it("finds a run's requests for one environment across attempts, oldest first", async () => {
      const store = await open();
      const runId = 123_456_789_012;
      const second = await store.saveRequest(
        newRequest({ runId, runAttempt: 2, createdAt: new Date("2025-01-02T00:00:00Z") }),
      );
      const first = await store.saveRequest(
        newRequest({ runId, runAttempt: 1, createdAt: new Date("2025-01-01T00:00:00Z") }),
      );
      await store.saveRequest(newRequest({ runId, environment: "staging" }));
      await store.saveRequest(newRequest({ runId: runId + 1 }));
      await store.saveRequest(newRequest({ runId, repository: "octo-org/other" }));

      const found = await store.findRequests("octo-org/deploy-me", runId, "production");
      expect(found.map((r) => r.requestId)).toEqual([first.requestId, second.requestId]);
      expect(found[0]!.runId).toBe(runId);
      expect(await store.findRequests("octo-org/deploy-me", runId, "Production")).toEqual([]);
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
        callbackUrl: "https://example.test/cb",
        receivedAt: T0,
      });
      const gate = await store.getGate("myOrg/myRepo", 77, "production");
      expect(gate?.repository).toBe("myorg/myrepo");

      await store.decide(saved.requestId, { decision: "approved", decidedBy: ["U1"], reason: null, at: T0 });
      expect((await store.listDue(at(1), 10)).map((r) => r.requestId)).toEqual([saved.requestId]);
    });

    it("round-trips the message blocks as JSON", async () => {
      const store = await open();
      const blocks = [
        { type: "header", text: { type: "plain_text", text: "Deploy 🚀 to *production*", emoji: true } },
        {
          type: "section",
          fields: [
            { type: "mrkdwn", text: '*Ref*\n`main` "quoted" \\ backslash & <angle>' },
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
      await store.decide(saved.requestId, {
        decision: "rejected",
        decidedBy: ["U9"],
        reason: "no",
        at: decidedAt,
      });
      const row = await store.getRequest(saved.requestId);
      expect(row?.createdAt).toBeInstanceOf(Date);
      expect(row?.createdAt.toISOString()).toBe(createdAt.toISOString());
      expect(row?.decidedAt?.toISOString()).toBe(decidedAt.toISOString());
      expect(row?.nextAttemptAt?.toISOString()).toBe(decidedAt.toISOString());

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
    it("takes the first decision and makes delivery due at that time", async () => {
      const store = await open();
      const { requestId } = await store.saveRequest(newRequest());
      expect(
        await store.decide(requestId, {
          decision: "approved",
          decidedBy: ["U1", "U2"],
          reason: "lgtm",
          at: at(5),
        }),
      ).toBe(true);
      expect(
        await store.decide(requestId, { decision: "rejected", decidedBy: ["U3"], reason: "late", at: at(6) }),
      ).toBe(false);
      const row = await store.getRequest(requestId);
      expect(row).toMatchObject({
        decision: "approved",
        decidedBy: ["U1", "U2"],
        reason: "lgtm",
        decidedAt: at(5),
        delivery: "due",
        nextAttemptAt: at(5),
        deliveryAttempts: 0,
      });
      expect(
        await store.decide("no-such-request", { decision: "approved", decidedBy: [], reason: null, at: T0 }),
      ).toBe(false);
    });

    it("lets exactly one of 50 concurrent callers on two stores decide", async () => {
      const [a, b] = [await open(), await open()];
      const { requestId } = await a.saveRequest(newRequest());
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          (i % 2 ? a : b).decide(requestId, {
            decision: i % 3 ? "approved" : "rejected",
            decidedBy: [`U${i}`],
            reason: `caller ${i}`,
            at: at(i),
          }),
        ),
      );
      const winners = results.flatMap((won, i) => (won ? [i] : []));
      expect(winners).toHaveLength(1);
      const winner = winners[0]!;
      const row = await b.getRequest(requestId);
      expect(row).toMatchObject({
        decision: winner % 3 ? "approved" : "rejected",
        decidedBy: [`U${winner}`],
        reason: `caller ${winner}`,
        decidedAt: at(winner),
      });
    });

    it("lets exactly one of two processes decide each request", async () => {
      const store = await open();
      const ids: string[] = [];
      for (let i = 0; i < 30; i++) ids.push((await store.saveRequest(newRequest())).requestId);
      const wins = await raceInChildProcesses(url, ids, 2);
      for (const id of ids) {
        expect(
          wins.filter((w) => w === id),
          `winners for ${id}`,
        ).toHaveLength(1);
        expect((await store.getRequest(id))?.decision).toBe("approved");
      }
    });

    it("records a decision on an obsolete request without making it due", async () => {
      const store = await open();
      const { requestId } = await store.saveRequest(newRequest());
      await store.finishDelivery(requestId, { state: "obsolete", note: "run cancelled" });
      expect(
        await store.decide(requestId, { decision: "approved", decidedBy: ["U1"], reason: null, at: T0 }),
      ).toBe(true);
      expect(await store.getRequest(requestId)).toMatchObject({
        decision: "approved",
        delivery: "obsolete",
        deliveryNote: "run cancelled",
      });
      expect(await store.claimDelivery(requestId, at(1), 1000)).toBe(false);
    });
  });

  describe("gates", () => {
    it("upserts a gate and reads it back", async () => {
      const store = await open();
      expect(await store.getGate("octo-org/deploy-me", 1, "production")).toBeUndefined();
      const gate = {
        repository: "octo-org/deploy-me",
        runId: 9_876_543_210,
        environment: "production",
        installationId: 3_000_000_001,
        callbackUrl:
          "https://api.github.com/repos/octo-org/deploy-me/actions/runs/9876543210/deployment_protection_rule",
        receivedAt: new Date("2025-01-01T00:00:00.001Z"),
      };
      await store.saveGate(gate);
      expect(await store.getGate(gate.repository, gate.runId, gate.environment)).toEqual(gate);

      const rerun = {
        ...gate,
        installationId: 8,
        callbackUrl: "https://example.test/again",
        receivedAt: at(9),
      };
      await store.saveGate(rerun);
      expect(await store.getGate(gate.repository, gate.runId, gate.environment)).toEqual(rerun);
      expect(await store.getGate(gate.repository, gate.runId, "staging")).toBeUndefined();
    });
  });

  describe("delivery", () => {
    it("lets exactly one concurrent caller on two stores claim a due request", async () => {
      const [a, b] = [await open(), await open()];
      const { requestId } = await decidedRequest(a);
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).claimDelivery(requestId, at(1000), 30_000)),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      expect((await a.getRequest(requestId))?.leaseUntil).toEqual(at(31_000));
    });

    it("holds the claim until the lease expires, then lets another take it", async () => {
      const store = await open();
      const { requestId } = await decidedRequest(store);
      expect(await store.claimDelivery(requestId, at(0), 10_000)).toBe(true);
      expect(await store.claimDelivery(requestId, at(9_999), 10_000)).toBe(false);
      expect(await store.claimDelivery(requestId, at(10_000), 10_000)).toBe(true);
      expect((await store.getRequest(requestId))?.leaseUntil).toEqual(at(20_000));
    });

    it("does not let an undecided request be claimed", async () => {
      const store = await open();
      const { requestId } = await store.saveRequest(newRequest());
      expect(await store.claimDelivery(requestId, at(1_000_000), 1000)).toBe(false);
      expect(await store.claimDelivery("no-such-request", at(0), 1000)).toBe(false);
    });

    it("does not let a request be claimed before its decision time", async () => {
      const store = await open();
      const { requestId } = await decidedRequest(store, at(5000));
      expect(await store.claimDelivery(requestId, at(4999), 1000)).toBe(false);
      expect(await store.claimDelivery(requestId, at(5000), 1000)).toBe(true);
    });

    it("counts retries, remembers the error and waits until the next attempt is due", async () => {
      const store = await open();
      const { requestId } = await decidedRequest(store);
      expect(await store.claimDelivery(requestId, at(0), 60_000)).toBe(true);
      await store.finishDelivery(requestId, {
        state: "retry",
        error: "GitHub answered 502",
        nextAttemptAt: at(30_000),
      });
      expect(await store.getRequest(requestId)).toMatchObject({
        delivery: "due",
        deliveryAttempts: 1,
        lastError: "GitHub answered 502",
        nextAttemptAt: at(30_000),
        leaseUntil: null,
      });

      expect(await store.claimDelivery(requestId, at(29_999), 60_000)).toBe(false);
      expect(await store.claimDelivery(requestId, at(30_000), 60_000)).toBe(true);
      await store.finishDelivery(requestId, { state: "retry", error: "timeout", nextAttemptAt: at(90_000) });
      expect(await store.getRequest(requestId)).toMatchObject({
        deliveryAttempts: 2,
        lastError: "timeout",
        nextAttemptAt: at(90_000),
      });
    });

    it("treats delivered as final", async () => {
      const store = await open();
      const { requestId } = await decidedRequest(store);
      expect(await store.claimDelivery(requestId, at(0), 1000)).toBe(true);
      await store.finishDelivery(requestId, { state: "delivered" });
      expect(await store.getRequest(requestId)).toMatchObject({ delivery: "delivered", leaseUntil: null });

      await store.finishDelivery(requestId, { state: "retry", error: "late", nextAttemptAt: at(1) });
      await store.finishDelivery(requestId, { state: "obsolete", note: "late" });
      expect(await store.getRequest(requestId)).toMatchObject({
        delivery: "delivered",
        deliveryAttempts: 0,
        lastError: null,
        deliveryNote: null,
      });
      expect(await store.claimDelivery(requestId, at(1_000_000), 1000)).toBe(false);
    });

    it("treats obsolete as final and keeps its note", async () => {
      const store = await open();
      const { requestId } = await decidedRequest(store);
      expect(await store.claimDelivery(requestId, at(0), 1000)).toBe(true);
      await store.finishDelivery(requestId, { state: "obsolete", note: "the run was re-run" });
      expect(await store.getRequest(requestId)).toMatchObject({
        delivery: "obsolete",
        deliveryNote: "the run was re-run",
        leaseUntil: null,
      });

      await store.finishDelivery(requestId, { state: "delivered" });
      await store.finishDelivery(requestId, { state: "retry", error: "x", nextAttemptAt: at(1) });
      expect(await store.getRequest(requestId)).toMatchObject({ delivery: "obsolete", deliveryAttempts: 0 });
      expect(await store.claimDelivery(requestId, at(1_000_000), 1000)).toBe(false);
    });

    it("lists only due requests whose gate is known, earliest first, up to the limit", async () => {
      const store = await open();
      const later = await decidedRequest(store, at(2000));
      const earlier = await decidedRequest(store, at(1000));
      const notYet = await decidedRequest(store, at(60_000));
      const noGate = await decidedRequest(store, at(0));
      const leased = await decidedRequest(store, at(0));
      const delivered = await decidedRequest(store, at(0));
      const undecided = await store.saveRequest(newRequest());
      const otherEnvGate = await decidedRequest(store, at(0));
      for (const r of [later, earlier, notYet, leased, delivered, undecided]) await saveGateFor(store, r);
      await saveGateFor(store, { ...otherEnvGate, environment: "staging" });

      expect(await store.claimDelivery(leased.requestId, at(0), 60_000)).toBe(true);
      expect(await store.claimDelivery(delivered.requestId, at(0), 1000)).toBe(true);
      await store.finishDelivery(delivered.requestId, { state: "delivered" });
      expect(noGate.requestId).not.toBe(otherEnvGate.requestId);

      const due = await store.listDue(at(5000), 10);
      expect(due.map((r) => r.requestId)).toEqual([earlier.requestId, later.requestId]);
      expect(due[0]).toMatchObject({ decision: "approved", delivery: "due", decidedBy: ["U1"] });
      expect((await store.listDue(at(5000), 1)).map((r) => r.requestId)).toEqual([earlier.requestId]);
      expect(await store.listDue(at(999), 10)).toEqual([]);

      // Once the lease lapses the leased one is due again; the late one once its time comes.
      const afterLease = await store.listDue(at(60_000), 10);
      expect(afterLease.map((r) => r.requestId).sort()).toEqual(
        [leased.requestId, earlier.requestId, later.requestId, notYet.requestId].sort(),
      );
    });

    it("lists a request decided before its gate arrived once the gate is saved", async () => {
      const store = await open();
      const request = await decidedRequest(store, at(0));
      expect(await store.listDue(at(1), 10)).toEqual([]);
      await saveGateFor(store, request);
      expect((await store.listDue(at(1), 10)).map((r) => r.requestId)).toEqual([request.requestId]);
    });
  });

  describe("restart", () => {
    it("keeps requests, decisions, votes, gates and delivery state across close and reopen", async () => {
      const first = await open();
      const request = await first.saveRequest(newRequest());
      await first.addVote({
        requestId: request.requestId,
        slackUserId: "U1",
        vote: "approve",
        reason: null,
        at: at(1),
      });
      await first.decide(request.requestId, {
        decision: "approved",
        decidedBy: ["U1"],
        reason: null,
        at: at(2),
      });
      await saveGateFor(first, request);
      expect(await first.claimDelivery(request.requestId, at(2), 1000)).toBe(true);
      await first.finishDelivery(request.requestId, {
        state: "retry",
        error: "boom",
        nextAttemptAt: at(10_000),
      });
      const before = {
        request: await first.getRequest(request.requestId),
        votes: await first.listVotes(request.requestId),
        gate: await first.getGate(request.repository, request.runId, request.environment),
      };
      await first.close();

      const second = await open();
      expect(await second.getRequest(request.requestId)).toEqual(before.request);
      expect(await second.listVotes(request.requestId)).toEqual(before.votes);
      expect(await second.getGate(request.repository, request.runId, request.environment)).toEqual(
        before.gate,
      );
      expect(before.request).toMatchObject({ decision: "approved", deliveryAttempts: 1, lastError: "boom" });
      expect(before.votes).toHaveLength(1);
      expect((await second.listDue(at(10_000), 10)).map((r) => r.requestId)).toEqual([request.requestId]);
    });
  });

  describe("with 100,000 past requests", () => {
    it("answers findRequests and listDue through their indexes", async () => {
      const store = await open();
      const raw = await backend.raw(url);
      try {
        await raw.query(bulkInsertSql(backend.name, 100_000));
        await raw.query("ANALYZE");
        const target = await store.saveRequest(newRequest({ repository: "octo-org/needle", runId: 555 }));
        await store.decide(target.requestId, {
          decision: "approved",
          decidedBy: ["U1"],
          reason: null,
          at: T0,
        });
        await saveGateFor(store, target);

        expect(
          (await store.findRequests("octo-org/needle", 555, "production")).map((r) => r.requestId),
        ).toEqual([target.requestId]);
        expect((await store.findRequestsForRun("octo-org/needle", 555)).map((r) => r.requestId)).toEqual([
          target.requestId,
        ]);
        expect((await store.listDue(at(1), 10)).map((r) => r.requestId)).toEqual([target.requestId]);

        const explain = backend.name === "sqlite" ? "EXPLAIN QUERY PLAN" : "EXPLAIN";
        const plan = async (sql: string) => JSON.stringify(await raw.query(`${explain} ${sql}`));
        expect(
          await plan(
            "SELECT * FROM requests WHERE repository = 'octo-org/needle' AND run_id = 555 AND environment = 'production'",
          ),
        ).toContain("requests_by_run");
        expect(
          await plan("SELECT * FROM requests WHERE repository = 'octo-org/needle' AND run_id = 555"),
        ).toContain("requests_by_run");
        const now = backend.name === "sqlite" ? String(at(1).getTime()) : `'${at(1).toISOString()}'`;
        expect(
          await plan(
            `SELECT * FROM requests WHERE delivery = 'due' AND next_attempt_at <= ${now} ORDER BY next_attempt_at LIMIT 10`,
          ),
        ).toContain("requests_by_delivery");
      } finally {
        await raw.close();
      }
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

/** Decided-request reference data: past requests already delivered, spread over many runs. */
function bulkInsertSql(kind: Backend["name"], count: number): string {
  if (kind === "postgres") {
    return `INSERT INTO requests (request_id, repository, run_id, run_attempt, environment, mode, channel_id,
        message_ts, message_blocks, created_at, decision, decided_at, decided_by, delivery, next_attempt_at)
      SELECT 'past_' || i, 'org' || (i % 50) || '/repo' || (i % 7), i, 1, 'production', 'gate', 'C1', '1.' || i,
        '[]'::jsonb, now(), 'approved', now(), '["U1"]'::jsonb, 'delivered', now()
      FROM generate_series(1, ${count}) AS i`;
  }
  return `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${count})
    INSERT INTO requests (request_id, repository, run_id, run_attempt, environment, mode, channel_id,
      message_ts, message_blocks, created_at, decision, decided_at, decided_by, delivery, next_attempt_at)
    SELECT 'past_' || i, 'org' || (i % 50) || '/repo' || (i % 7), i, 1, 'production', 'gate', 'C1', '1.' || i,
      '[]', 0, 'approved', 0, '["U1"]', 'delivered', 0
    FROM n`;
}

/**
 * Runs `processes` child processes that each open the store at `url`, wait until all are ready, then
 * try to decide every request. Returns the request ids each process won, concatenated.
 */
async function raceInChildProcesses(url: string, requestIds: string[], processes: number): Promise<string[]> {
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
for (const id of ids) {
  if (await store.decide(id, { decision: "approved", decidedBy: ["U" + process.pid], reason: null, at: new Date() })) won.push(id);
}
await store.close();
process.stdout.write(JSON.stringify(won) + "\\n");
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
      const done = new Promise<string[]>((resolve, reject) => {
        child.once("exit", (code) => {
          if (code !== 0) reject(new Error(`race child exited with ${code}: ${stderr}`));
          else resolve(JSON.parse(stdout.slice("ready\n".length)) as string[]);
        });
      });
      // Awaited below; this only keeps an early failure from surfacing as an unhandled rejection first.
      done.catch(() => {});
      return { child, ready, done };
    });
    await Promise.all(children.map((c) => c.ready));
    for (const { child } of children) child.stdin.end("go\n");
    return (await Promise.all(children.map((c) => c.done))).flat();
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
