// The activity record's store, on SQLite and PostgreSQL alike: requests and their timelines, what GitHub
// says before a request is seen (and its adoption), states, the scope a viewer has, filters and keyset
// pages checked against a plain reading of the same data, pruning with a controllable clock, refused
// requests per minute, and two writers on one database.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRecorder } from "../app/activity/recorder.js";
import {
  type ActivityStore,
  type ActivityWrite,
  createActivityStore,
  placeholderId,
} from "../app/activity/store.js";
import type {
  ActivityCursor,
  ActivityEvent,
  ActivityFilter,
  ActivityRequest,
  ActivityScope,
  ActivityState,
  RequestFacts,
} from "../app/activity/types.js";
import { renderMetrics } from "../app/metrics.js";
import { openStore } from "../app/store/index.js";
import type { Store } from "../app/store/types.js";
import { createTestDatabase, type TestDatabase } from "../testkit/helpers/postgres.js";

const T0 = Date.UTC(2026, 0, 10, 12, 0, 0);
const at = (ms: number) => new Date(T0 + ms);

function facts(requestId: string, over: Partial<RequestFacts> = {}): RequestFacts {
  return {
    requestId,
    repository: "Acme/API",
    runId: 1000,
    runAttempt: 1,
    environment: "Production",
    mode: "gate",
    ...over,
  };
}

const click = (
  user: string,
  outcome: "counted" | "refused" | "decided" = "counted",
  refusal?: string,
): ActivityEvent => ({
  kind: "click",
  action: "approve",
  user: { slackUserId: user },
  outcome,
  ...(refusal ? { refusal } : {}),
});
const gate = (environment = "production"): ActivityEvent => ({
  kind: "webhook",
  event: "deployment_protection_rule",
  action: "requested",
  delivery: "d-1",
  environment,
});

for (const backend of ["sqlite", "postgres"] as const) {
  describe(`activity store on ${backend}`, () => {
    let store: Store;
    let activity: ActivityStore;
    let database: TestDatabase | undefined;
    let dir: string | undefined;
    let url: string;

    beforeAll(async () => {
      if (backend === "postgres") {
        database = await createTestDatabase();
        url = database.url;
      } else {
        dir = mkdtempSync(join(tmpdir(), "sdg-activity-"));
        url = `sqlite://${join(dir, "gate.db")}`;
      }
      store = await openStore(url);
      activity = createActivityStore(store.driver);
    });
    afterAll(async () => {
      await store.close();
      await database?.drop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    const write = (batch: Array<[RequestFacts | { run: ActivityWrite["target"] }, ActivityEvent, number]>) =>
      activity.write(
        batch.map(([target, event, ms]) => ({
          at: at(ms),
          target:
            "run" in target ? (target.run as ActivityWrite["target"]) : { request: target as RequestFacts },
          event,
        })),
      );
    const everyone: ActivityScope = { repositories: [], owners: ["acme", "beta", "gamma", "delta"] };

    it("keeps a request's facts, timeline in time order and the people in it", async () => {
      const request = facts("req-timeline");
      await write([
        [
          request,
          { kind: "github", method: "GET", route: "/repos/{owner}/{repo}/installation", status: 200, ms: 12 },
          5,
        ],
        [request, click("U1", "counted"), 1],
        [
          request,
          { kind: "slack", method: "chat.postEphemeral", ok: false, code: "channel_not_found", ms: 30 },
          9,
        ],
      ]);
      const row = await activity.get("req-timeline");
      expect(row).toMatchObject({
        requestId: "req-timeline",
        placeholder: false,
        repository: "Acme/API",
        environment: "Production",
        runId: 1000,
        runAttempt: 1,
        mode: "gate",
        seenVia: "click",
        state: "pending",
        events: 3,
        people: ["U1"],
        summary: "U1: approval counted",
      });
      // Seen when the earliest of its events happened, whatever order they were recorded in.
      expect(row?.seenAt.getTime()).toBe(T0 + 1);
      expect(row?.updatedAt.getTime()).toBe(T0 + 9);
      const timeline = await activity.timeline("req-timeline");
      expect(timeline.map((e) => e.event.kind)).toEqual(["click", "github", "slack"]);
      // The person filter finds it by the Slack ID, ignoring case.
      const found = await activity.list(everyone, { person: "u1" }, undefined, 10);
      expect(found.map((r) => r.requestId)).toEqual(["req-timeline"]);
    });

    it("keeps what GitHub said before any request was seen, and hands it to the request when it is", async () => {
      const subject = { run: { run: { repository: "acme/api", runId: 2000, environment: "production" } } };
      await write([[subject, gate(), 0]]);
      const id = placeholderId("acme/api", 2000, "production");
      const placeholder = await activity.get(id);
      expect(placeholder).toMatchObject({
        placeholder: true,
        seenVia: "gate",
        state: "pending",
        runAttempt: null,
        mode: null,
      });
      expect(placeholder?.summary).toBe("GitHub is holding the deployment for this App's rule");

      // The request's first click (a different spelling of the environment) adopts it.
      await write([[facts("req-adopt", { runId: 2000 }), click("U2"), 60_000]]);
      expect(await activity.get(id)).toBeUndefined();
      const adopted = await activity.get("req-adopt");
      expect(adopted).toMatchObject({ placeholder: false, seenVia: "gate", events: 2, people: ["U2"] });
      expect(adopted?.seenAt.getTime()).toBe(T0);
      expect((await activity.timeline("req-adopt")).map((e) => e.event.kind)).toEqual(["webhook", "click"]);
      expect((await activity.list(everyone, { person: "U2" }, undefined, 5))[0]?.seenAt.getTime()).toBe(T0);
    });

    it("gives a gate to the request of the run that has not met one, and keeps a re-run's gate for its own request", async () => {
      // Decided before GitHub reported the gate: the gate is this request's.
      const first = facts("req-attempt-1", { runId: 3000 });
      await write([[first, click("U3", "decided"), 0]]);
      const subject = { run: { run: { repository: "acme/api", runId: 3000, environment: "Production" } } };
      await write([[subject, gate(), 1_000]]);
      expect((await activity.timeline("req-attempt-1")).map((e) => e.event.kind)).toEqual([
        "click",
        "webhook",
      ]);
      // The run is re-run: its next gate waits for attempt 2's request.
      await write([[subject, gate(), 2_000]]);
      const id = placeholderId("acme/api", 3000, "production");
      expect((await activity.get(id))?.placeholder).toBe(true);
      await write([[facts("req-attempt-2", { runId: 3000, runAttempt: 2 }), click("U3"), 3_000]]);
      expect((await activity.timeline("req-attempt-2")).map((e) => e.event.kind)).toEqual([
        "webhook",
        "click",
      ]);
      expect((await activity.timeline("req-attempt-1")).map((e) => e.event.kind)).toEqual([
        "click",
        "webhook",
      ]);
    });

    it("moves states forward only: decided, failed to deliver, expired, cancelled by a finished run", async () => {
      const approved = facts("req-state-a", { runId: 4000 });
      const failed = facts("req-state-f", { runId: 4001 });
      const expired = facts("req-state-e", { runId: 4002 });
      const cancelled = facts("req-state-c", { runId: 4003, runAttempt: 2 });
      const delivery = (outcome: "done" | "failed", primary: boolean): ActivityEvent => ({
        kind: "delivery",
        effect: "x:github.review",
        effectKind: "github.review",
        outcome,
        attempt: 1,
        primary,
        note: outcome === "failed" ? "GitHub answered 500 for a day" : null,
        ms: 40,
      });
      const decision: ActivityEvent = {
        kind: "decision",
        decision: "approved",
        by: [{ slackUserId: "U4", name: "Ann", githubLogin: "ann" }],
      };
      const finished = (runAttempt: number): ActivityEvent & { kind: "webhook" } => ({
        kind: "webhook",
        event: "workflow_run",
        action: "completed",
        delivery: "d-9",
        runAttempt,
        conclusion: "cancelled",
      });
      await write([
        [approved, click("U4", "decided"), 0],
        [approved, decision, 1],
        [approved, delivery("failed", false), 2],
        [approved, delivery("done", true), 3],
        [failed, click("U4", "decided"), 0],
        [failed, decision, 1],
        [failed, delivery("failed", true), 2],
        [expired, click("U5", "refused", "expired"), 0],
        [expired, decision, 1],
        [cancelled, click("U5", "refused", "not_approver"), 0],
      ]);
      await write([
        [{ run: { run: { repository: "acme/api", runId: 4003, runAttempt: 1 } } }, finished(1), 5],
        [{ run: { run: { repository: "acme/api", runId: 4000, runAttempt: 1 } } }, finished(1), 5],
      ]);
      expect((await activity.get("req-state-c"))?.state).toBe("pending");
      await write([
        [{ run: { run: { repository: "acme/api", runId: 4003, runAttempt: 2 } } }, finished(2), 6],
      ]);

      const state = async (id: string) => (await activity.get(id))?.state;
      expect(await state("req-state-a")).toBe("approved");
      expect(await state("req-state-f")).toBe("failed");
      expect(await state("req-state-e")).toBe("expired");
      expect(await state("req-state-c")).toBe("cancelled");
      const a = await activity.get("req-state-a");
      expect(a?.people).toEqual(["U4", "Ann"]);
      // A decided request's finished run is on its timeline but changes nothing else.
      expect(a?.summary).toBe("the run finished (cancelled)");
      expect(
        (await activity.list(everyone, { person: "ANN" }, undefined, 10)).map((r) => r.requestId),
      ).toEqual(expect.arrayContaining(["req-state-a", "req-state-f", "req-state-e"]));
      expect(
        (await activity.list(everyone, { state: "failed" }, undefined, 10)).map((r) => r.requestId),
      ).toContain("req-state-f");
    });

    it("counts refused requests per minute and sums them", async () => {
      const minute = Math.floor(T0 / 60_000) * 60_000;
      await activity.addRefused([
        { minute, source: "slack", reason: "signature not verified (401)", count: 3 },
        { minute, source: "github", reason: "malformed (400)", count: 1 },
      ]);
      await activity.addRefused([
        { minute, source: "slack", reason: "signature not verified (401)", count: 2 },
        { minute: minute + 60_000, source: "slack", reason: "signature not verified (401)", count: 4 },
      ]);
      const summary = await activity.refusedSince(new Date(minute));
      expect(summary).toEqual([
        { source: "github", reason: "malformed (400)", count: 1, lastMinute: new Date(minute) },
        {
          source: "slack",
          reason: "signature not verified (401)",
          count: 9,
          lastMinute: new Date(minute + 60_000),
        },
      ]);
      expect(await activity.refusedSince(new Date(minute + 120_000))).toEqual([]);
    });

    describe("pages", () => {
      // 700 requests over 9 repositories of 4 owners, with ties in seen_at, checked against a plain
      // filter-and-sort of the same rows.
      const rows: Array<{
        id: string;
        repository: string;
        environment: string;
        seenAt: number;
        state: ActivityState;
        people: string[];
      }> = [];
      const repositories = [
        "acme/api",
        "acme/web",
        "acme/ops",
        "beta/api",
        "beta/site",
        "gamma/x",
        "gamma/y",
        "delta/one",
        "delta/two",
      ];

      beforeAll(async () => {
        const batch: ActivityWrite[] = [];
        for (let i = 0; i < 700; i++) {
          const repository = repositories[(i * 7) % repositories.length] as string;
          const environment = i % 3 === 0 ? "staging" : "production";
          // Several requests share a millisecond: the request id orders them.
          const seenAt = T0 + 10_000_000 + Math.floor(i / 3) * 1000;
          const person = `P${i % 11}`;
          const id = `page-${String(i).padStart(4, "0")}-${(i * 37) % 101}`;
          const request = facts(id, { repository, environment, runId: 50_000 + i });
          batch.push({ at: new Date(seenAt), target: { request }, event: click(person) });
          let state: ActivityState = "pending";
          if (i % 4 === 1) {
            batch.push({
              at: new Date(seenAt + 1),
              target: { request },
              event: { kind: "decision", decision: "approved", by: [{ slackUserId: person }] },
            });
            state = "approved";
          } else if (i % 4 === 2) {
            batch.push({
              at: new Date(seenAt + 1),
              target: { request },
              event: { kind: "decision", decision: "rejected", by: [{ slackUserId: person }] },
            });
            state = "rejected";
          }
          rows.push({ id, repository, environment, seenAt, state, people: [person.toLowerCase()] });
        }
        for (let i = 0; i < batch.length; i += 400) await activity.write(batch.slice(i, i + 400));
      });

      function expected(scope: ActivityScope, filter: ActivityFilter): string[] {
        return rows
          .filter(
            (r) =>
              scope.repositories.includes(r.repository) ||
              scope.owners.includes(r.repository.split("/")[0] as string),
          )
          .filter((r) => !filter.repository || r.repository === filter.repository.toLowerCase())
          .filter((r) => !filter.environment || r.environment === filter.environment.toLowerCase())
          .filter((r) => !filter.state || r.state === filter.state)
          .filter((r) => !filter.person || r.people.includes(filter.person.toLowerCase()))
          .filter((r) => !filter.before || r.seenAt < filter.before.getTime())
          .sort((a, b) => b.seenAt - a.seenAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0))
          .map((r) => r.id);
      }

      async function walk(scope: ActivityScope, filter: ActivityFilter, size: number): Promise<string[]> {
        const seen: string[] = [];
        let cursor: ActivityCursor | undefined;
        for (let pages = 0; pages < 1000; pages++) {
          const page: ActivityRequest[] = await activity.list(scope, filter, cursor, size);
          // Only the generated rows (other tests' requests share the database).
          seen.push(...page.map((r) => r.requestId).filter((id) => id.startsWith("page-")));
          if (page.length < size) return seen;
          const last = page[page.length - 1] as ActivityRequest;
          cursor = { seenAt: last.seenAt.getTime(), requestId: last.requestId };
        }
        throw new Error("too many pages");
      }

      const scopes: Record<string, ActivityScope> = {
        "one repository": { repositories: ["acme/web"], owners: [] },
        "repositories of two owners": { repositories: ["ACME/API", "beta/site", "delta/two"], owners: [] },
        "an owner and a repository": { repositories: ["gamma/x", "acme/api"], owners: ["beta"] },
        "two owners": { repositories: [], owners: ["acme", "Delta"] },
        // Past the merge limit: the newest-first index is walked instead.
        "a wide scope": {
          repositories: [...repositories, ...Array.from({ length: 80 }, (_, i) => `other/repo-${i}`)],
          owners: [],
        },
        nothing: { repositories: ["nobody/none"], owners: [] },
      };
      const filters: Record<string, ActivityFilter> = {
        none: {},
        repository: { repository: "Acme/API" },
        environment: { environment: "STAGING" },
        state: { state: "approved" },
        person: { person: "p3" },
        before: { before: new Date(T0 + 10_000_000 + 100_000) },
        "state and environment": { state: "pending", environment: "production" },
        "person and repository": { person: "P5", repository: "beta/site" },
      };

      for (const [scopeName, scope] of Object.entries(scopes)) {
        it(`pages through ${scopeName} under every filter, matching a plain reading`, async () => {
          for (const [filterName, filter] of Object.entries(filters)) {
            const want = expected(
              {
                repositories: scope.repositories.map((r) => r.toLowerCase()),
                owners: scope.owners.map((o) => o.toLowerCase()),
              },
              filter,
            );
            expect(await walk(scope, filter, 37), `${scopeName}, filter ${filterName}`).toEqual(want);
          }
        });
      }

      it("never shows a repository outside the scope, even when the filter names it", async () => {
        expect(
          await activity.list(
            { repositories: ["acme/web"], owners: [] },
            { repository: "beta/api" },
            undefined,
            50,
          ),
        ).toEqual([]);
        expect(await activity.list({ repositories: [], owners: [] }, {}, undefined, 50)).toEqual([]);
      });
    });

    it("prunes requests whose last event is older than the cut-off, with their timelines and people", async () => {
      const old = facts("req-old", { repository: "prune/me", runId: 9001 });
      const recent = facts("req-recent", { repository: "prune/me", runId: 9002 });
      const revived = facts("req-revived", { repository: "prune/me", runId: 9003 });
      await write([
        [old, click("PRUNE1"), -100 * 86_400_000],
        [recent, click("PRUNE1"), -10 * 86_400_000],
        [revived, click("PRUNE1"), -120 * 86_400_000],
        [revived, click("PRUNE2"), -5 * 86_400_000],
      ]);
      const minute = Math.floor((T0 - 100 * 86_400_000) / 60_000) * 60_000;
      await activity.addRefused([{ minute, source: "github", reason: "old (400)", count: 1 }]);
      // More than one pruning step's worth of old history.
      await activity.write(
        Array.from({ length: 250 }, (_, i) => ({
          at: at(-200 * 86_400_000 + i),
          target: { request: facts(`req-ancient-${i}`, { repository: "prune/me", runId: 9100 + i }) },
          event: click("PRUNE3"),
        })),
      );
      const deleted = await activity.prune(at(-90 * 86_400_000));
      expect(deleted).toBe(251);
      expect(
        await activity.list({ repositories: ["prune/me"], owners: [] }, { person: "prune3" }, undefined, 10),
      ).toEqual([]);
      expect(await activity.get("req-old")).toBeUndefined();
      expect(await activity.timeline("req-old")).toEqual([]);
      expect(await activity.get("req-recent")).toBeDefined();
      expect(await activity.get("req-revived")).toBeDefined();
      const scope = { repositories: ["prune/me"], owners: [] };
      expect(
        (await activity.list(scope, { person: "prune1" }, undefined, 10)).map((r) => r.requestId).sort(),
      ).toEqual(["req-recent", "req-revived"]);
      expect((await activity.refusedSince(new Date(minute))).some((r) => r.reason === "old (400)")).toBe(
        false,
      );
    });

    it("two writers on one database lose nothing", async () => {
      const other = await openStore(url);
      try {
        const second = createActivityStore(other.driver);
        const request = facts("req-two-writers", { runId: 7000 });
        const rounds = 20;
        await Promise.all(
          [activity, second].map((writer, w) =>
            (async () => {
              for (let i = 0; i < rounds; i++) {
                await writer.write([{ at: at(i), target: { request }, event: click(`W${w}-${i}`) }]);
              }
            })(),
          ),
        );
        const row = await activity.get("req-two-writers");
        expect(row?.events).toBe(2 * rounds);
        expect(await activity.timeline("req-two-writers")).toHaveLength(2 * rounds);
      } finally {
        await other.close();
      }
    });

    it("the recorder returns at once, writes in the background, and survives a database that is gone", async () => {
      const log = pino({ level: "silent" });
      const recorder = createRecorder({
        store: activity,
        log,
        flushIntervalMs: 20,
        nameOf: async (u) => (u === "UNAMED" ? "Named Person" : undefined),
      });
      const request = facts("req-recorder", { runId: 7100 });
      recorder.record(request, click("UNAMED"));
      recorder.refused("slack", "signature not verified (401)");
      expect(await activity.get("req-recorder")).toBeUndefined();
      await recorder.flush();
      const row = await activity.get("req-recorder");
      expect(row?.people).toEqual(["Named Person"]);
      expect(
        (
          await activity.list(
            { repositories: ["acme/api"], owners: [] },
            { person: "named person" },
            undefined,
            5,
          )
        ).map((r) => r.requestId),
      ).toEqual(["req-recorder"]);
      await recorder.stop();

      // A store whose database is closed: recording still returns at once and never throws.
      const gone = await openStore(url);
      const broken = createActivityStore(gone.driver);
      await gone.close();
      const dropped = async () =>
        Number(
          /slack_deploy_gate_activity_events_total\{result="dropped"\} (\d+)/.exec(
            (await renderMetrics()).body,
          )?.[1] ?? 0,
        );
      const droppedBefore = await dropped();
      const failing = createRecorder({ store: broken, log, flushIntervalMs: 10_000, maxBuffered: 3 });
      for (let i = 0; i < 5; i++) expect(() => failing.record(request, click("U9"))).not.toThrow();
      expect(failing.stats()).toMatchObject({ recorded: 3, dropped: 2, buffered: 3 });
      for (let i = 0; i < 4; i++) await failing.flush();
      expect(failing.stats()).toMatchObject({ written: 0, dropped: 5, buffered: 0 });
      // Operators see it on /metrics.
      expect((await dropped()) - droppedBefore).toBe(5);
      await failing.stop();
    });
  });
}
