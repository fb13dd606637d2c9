// The store's side of a request's life (migration 5), on both backends: first-contact facts, closures
// that race decisions, GitHub approvals once per login, the expiry and reminder scans, and the claim
// that lets one replica of many send each reminder.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openStore } from "../app/store/index.js";
import type { NewEffect, NewRequest, Store } from "../app/store/types.js";
import type { RequestFacts } from "../common/facts.js";
import { createTestDatabase } from "../testkit/helpers/postgres.js";

const T0 = new Date("2026-03-01T10:00:00.000Z");
const at = (ms: number) => new Date(T0.getTime() + ms);
const HOUR = 3_600_000;

const FACTS: RequestFacts = {
  serverUrl: "https://github.com",
  workflow: "Deploy",
  ref: "main",
  sha: "a".repeat(40),
  actor: "dave",
  eventName: "push",
  changes: { kind: "first" },
  approval: { required: 2, approvers: [{ kind: "group", id: "S0SRE" }] },
};

let counter = 0;
function newRequest(overrides: Partial<NewRequest> = {}): NewRequest {
  counter += 1;
  return {
    requestId: `req_life_${counter}`,
    repository: "Acme/API",
    runId: 500 + counter,
    runAttempt: 1,
    environment: "production",
    mode: "gate",
    channelId: "C0DEPLOYS",
    messageTs: `1700000000.${String(counter).padStart(6, "0")}`,
    messageBlocks: [],
    createdAt: T0,
    ...overrides,
  };
}

function update(requestId: string): NewEffect {
  return {
    id: `${requestId}:slack.update`,
    requestId,
    kind: "slack.update",
    payload: { show: "decision" },
    state: "due",
    onConflict: "refresh",
  };
}

const backends = [
  {
    name: "sqlite",
    async create() {
      const dir = await mkdtemp(join(tmpdir(), "sdg-life-"));
      return {
        url: `sqlite://${join(dir, "gate.db")}`,
        destroy: () => rm(dir, { recursive: true, force: true }),
      };
    },
  },
  {
    name: "postgres",
    async create() {
      const db = await createTestDatabase();
      return { url: db.url, destroy: () => db.drop() };
    },
  },
];

describe.each(backends)("$name: a request's life in the store", (backend) => {
  let url: string;
  let destroy: () => Promise<unknown>;
  const opened: Store[] = [];
  const open = async () => {
    const store = await openStore(url);
    opened.push(store);
    return store;
  };

  beforeEach(async () => {
    ({ url, destroy } = await backend.create());
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((s) => s.close()));
    await destroy();
  });

  it("saves an App-posted request with its facts, expiry and first reminder", async () => {
    const store = await open();
    const saved = await store.saveRequest(
      newRequest({
        origin: "app",
        facts: FACTS,
        expiresAt: at(24 * HOUR),
        remindEveryMs: 4 * HOUR,
        messageTs: "",
      }),
    );
    expect(saved).toMatchObject({
      origin: "app",
      facts: FACTS,
      expiresAt: at(24 * HOUR),
      remindEveryMs: 4 * HOUR,
      remindersSent: 0,
      nextReminderAt: at(4 * HOUR),
      closed: null,
      githubApprovals: [],
      outcome: null,
    });
    await store.setMessage(saved.requestId, "C0OTHER", "1700000001.000001", [{ type: "divider" }]);
    expect(await store.getRequest(saved.requestId)).toMatchObject({
      channelId: "C0OTHER",
      messageTs: "1700000001.000001",
      messageBlocks: [{ type: "divider" }],
    });
  });

  it("sets facts once, on first contact, and never on a decided or closed request", async () => {
    const store = await open();
    const a = await store.saveRequest(newRequest());
    expect(await store.setFacts(a.requestId, FACTS, { expiresAt: at(HOUR), remindEveryMs: null })).toBe(true);
    expect(
      await store.setFacts(
        a.requestId,
        { ...FACTS, actor: "mallory" },
        { expiresAt: null, remindEveryMs: null },
      ),
    ).toBe(false);
    expect(await store.getRequest(a.requestId)).toMatchObject({ facts: FACTS, expiresAt: at(HOUR) });

    // A reminder interval past the expiry never comes due.
    const b = await store.saveRequest(newRequest());
    await store.setFacts(b.requestId, FACTS, { expiresAt: at(HOUR), remindEveryMs: 2 * HOUR });
    expect((await store.getRequest(b.requestId))?.nextReminderAt).toBeNull();

    const c = await store.saveRequest(newRequest());
    await store.closeRequest(c.requestId, { kind: "run_finished", conclusion: "cancelled" }, T0, []);
    expect(await store.setFacts(c.requestId, FACTS, { expiresAt: null, remindEveryMs: null })).toBe(false);
  });

  it("lets exactly one of a closure and a decision win, whichever comes first, with its effects", async () => {
    const [one, two] = [await open(), await open()];
    const closedFirst = await one.saveRequest(newRequest());
    expect(
      await one.closeRequest(
        closedFirst.requestId,
        { kind: "rejected_in_github", login: "octocat", comment: "not today" },
        at(5),
        [update(closedFirst.requestId)],
      ),
    ).toBe(true);
    expect(
      await two.decide(
        closedFirst.requestId,
        { decision: "approved", decidedBy: [], reason: null, at: at(6) },
        [],
      ),
    ).toBe(false);
    expect(await two.getRequest(closedFirst.requestId)).toMatchObject({
      decision: null,
      closed: { kind: "rejected_in_github", login: "octocat", comment: "not today" },
      closedAt: at(5),
    });
    expect((await two.listEffects(closedFirst.requestId)).map((e) => e.kind)).toEqual(["slack.update"]);

    const decidedFirst = await one.saveRequest(newRequest());
    await one.decide(
      decidedFirst.requestId,
      { decision: "approved", decidedBy: [], reason: null, at: T0 },
      [],
    );
    expect(
      await two.closeRequest(decidedFirst.requestId, { kind: "bypassed", login: null, job: null }, T0, [
        update(decidedFirst.requestId),
      ]),
    ).toBe(false);
    expect(await one.listEffects(decidedFirst.requestId)).toEqual([]);

    // Concurrently, through two stores: one winner.
    const raced = await one.saveRequest(newRequest());
    const results = await Promise.all([
      ...Array.from({ length: 10 }, (_, i) =>
        (i % 2 ? one : two).closeRequest(raced.requestId, { kind: "run_finished", conclusion: null }, T0, []),
      ),
      ...Array.from({ length: 10 }, (_, i) =>
        (i % 2 ? two : one).decide(
          raced.requestId,
          { decision: "expired", decidedBy: [], reason: null, at: T0 },
          [],
        ),
      ),
    ]);
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it("records each GitHub approval once per login, whatever the case, under concurrent deliveries", async () => {
    const [one, two] = [await open(), await open()];
    const request = await one.saveRequest(newRequest());
    const logins = ["alice", "bob", "carol", "ALICE", "dave", "Bob"];
    const added = await Promise.all(
      logins.map((login, i) =>
        (i % 2 ? one : two).addGitHubApproval(request.requestId, { login, at: T0.toISOString() }),
      ),
    );
    expect(added.filter(Boolean)).toHaveLength(4);
    const approvals = (await one.getRequest(request.requestId))?.githubApprovals ?? [];
    expect(approvals.map((a) => a.login.toLowerCase()).sort()).toEqual(["alice", "bob", "carol", "dave"]);
    expect(await one.addGitHubApproval("no-such-request", { login: "x", at: T0.toISOString() })).toBe(false);
  });

  it("keeps the newest run outcome", async () => {
    const store = await open();
    const request = await store.saveRequest(newRequest());
    await store.setOutcome(request.requestId, {
      conclusion: "failure",
      completedAt: T0.toISOString(),
      url: null,
    });
    await store.setOutcome(request.requestId, {
      conclusion: "success",
      completedAt: at(1000).toISOString(),
      url: "https://github.com/acme/api/actions/runs/1",
    });
    expect((await store.getRequest(request.requestId))?.outcome).toEqual({
      conclusion: "success",
      completedAt: at(1000).toISOString(),
      url: "https://github.com/acme/api/actions/runs/1",
    });
  });

  it("lists the open requests past their expiry, oldest first, and only those", async () => {
    const store = await open();
    const late = await store.saveRequest(newRequest({ expiresAt: at(HOUR) }));
    const later = await store.saveRequest(newRequest({ expiresAt: at(2 * HOUR) }));
    await store.saveRequest(newRequest({ expiresAt: at(10 * HOUR) }));
    await store.saveRequest(newRequest({ expiresAt: null }));
    const decided = await store.saveRequest(newRequest({ expiresAt: at(HOUR) }));
    await store.decide(decided.requestId, { decision: "approved", decidedBy: [], reason: null, at: T0 }, []);
    const closed = await store.saveRequest(newRequest({ expiresAt: at(HOUR) }));
    await store.closeRequest(closed.requestId, { kind: "run_finished", conclusion: "cancelled" }, T0, []);

    expect((await store.listExpired(at(3 * HOUR), 10)).map((r) => r.requestId)).toEqual([
      late.requestId,
      later.requestId,
    ]);
    expect((await store.listExpired(at(3 * HOUR), 1)).map((r) => r.requestId)).toEqual([late.requestId]);
    expect(await store.listExpired(at(HOUR - 1), 10)).toEqual([]);
  });

  it("hands each failed gate contact to one of two stores when it comes due, counting the attempts", async () => {
    const [one, two] = [await open(), await open()];
    const gate = {
      repository: "Acme/API",
      runId: 77,
      environment: "Production",
      installationId: 9,
      receivedAt: T0,
    };
    await one.saveGate(gate);
    await one.scheduleGateContact("acme/api", 77, "production", at(30_000));
    expect(await one.claimGateContacts(at(29_999), at(200_000), 10)).toEqual([]);
    const claims = await Promise.all([
      one.claimGateContacts(at(30_000), at(150_000), 10),
      two.claimGateContacts(at(30_000), at(150_000), 10),
    ]);
    expect(claims.flat()).toMatchObject([
      { repository: "acme/api", runId: 77, environment: "Production", installationId: 9, attempts: 1 },
    ]);
    // Claimed: not due again until its lease has passed.
    expect(await two.claimGateContacts(at(100_000), at(200_000), 10)).toEqual([]);
    await two.scheduleGateContact("acme/api", 77, "production", at(90_000));
    expect((await one.claimGateContacts(at(90_000), at(300_000), 10)).map((g) => g.attempts)).toEqual([2]);
    await one.scheduleGateContact("acme/api", 77, "production", null);
    expect(await one.claimGateContacts(at(10_000_000), at(20_000_000), 10)).toEqual([]);
  });

  it("hands each reminder to exactly one of two stores, and stops after the last", async () => {
    const [one, two] = [await open(), await open()];
    const request = await one.saveRequest(newRequest({ expiresAt: at(24 * HOUR), remindEveryMs: 2 * HOUR }));
    expect((await one.listDueReminders(at(2 * HOUR - 1), 10)).map((r) => r.requestId)).toEqual([]);
    expect((await one.listDueReminders(at(2 * HOUR), 10)).map((r) => r.requestId)).toEqual([
      request.requestId,
    ]);

    const first = await Promise.all([
      one.claimReminder(request.requestId, 0, at(4 * HOUR)),
      two.claimReminder(request.requestId, 0, at(4 * HOUR)),
    ]);
    expect(first.filter(Boolean)).toHaveLength(1);
    expect(await one.getRequest(request.requestId)).toMatchObject({
      remindersSent: 1,
      nextReminderAt: at(4 * HOUR),
    });
    expect(await one.listDueReminders(at(3 * HOUR), 10)).toEqual([]);
    expect(await two.claimReminder(request.requestId, 1, null)).toBe(true);
    expect(await one.listDueReminders(at(100 * HOUR), 10)).toEqual([]);

    const decided = await one.saveRequest(newRequest({ expiresAt: at(24 * HOUR), remindEveryMs: HOUR }));
    await one.decide(decided.requestId, { decision: "rejected", decidedBy: [], reason: "no", at: T0 }, []);
    expect(await one.listDueReminders(at(2 * HOUR), 10)).toEqual([]);
    expect(await one.claimReminder(decided.requestId, 0, at(3 * HOUR))).toBe(false);
  });
});
