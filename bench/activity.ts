// The activity page with a year of history: 100,000 requests (each with ten timeline events: a click,
// four GitHub calls, the decision, its delivery, three Slack calls) over 200 repositories of 5
// organizations, on a SQLite file and on PostgreSQL. Measured through the page's own queries
// (app/activity/store.ts) and its HTML: the first page for an organization's admin and for readers of
// few and of many repositories, each filter, a page a year back, twenty pages in a row, a timeline,
// a CSV export served over HTTP, the recorder's batch writes, and pruning the oldest month.
//
//   npx tsx bench/activity.ts            (100,000 requests; BENCH_QUICK=1 for 10,000)
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { exportList } from "../app/activity/export.js";
import { parseQuery } from "../app/activity/filters.js";
import { listPage } from "../app/activity/pages.js";
import { type ActivityStore, type ActivityWrite, createActivityStore } from "../app/activity/store.js";
import type {
  ActivityCursor,
  ActivityFilter,
  ActivityRequest,
  ActivityScope,
} from "../app/activity/types.js";
import type { Driver } from "../app/store/driver.js";
import { openStore } from "../app/store/index.js";
import { type Param, run, valuesList } from "../app/store/sql.js";
import { createTestDatabase } from "../testkit/helpers/postgres.js";
import { round, summarize } from "./lib/stats.js";

const DAY_MS = 24 * 60 * 60_000;
const OWNERS = ["acme", "beta", "gamma", "delta", "epsilon"];
const REPOS_PER_OWNER = 40;
const PEOPLE = 500;
const PAGE = 50;
const REPEAT = 20;

export interface QueryFigure {
  name: string;
  rows: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface ActivityBackendFigure {
  backend: "sqlite" | "postgres";
  requests: number;
  events: number;
  fillSeconds: number;
  databaseMiB: number;
  queries: QueryFigure[];
  /** Twenty newest-first pages in a row, as an admin walks back through history. */
  paging: { pages: number; p50Ms: number; p99Ms: number };
  /** The first page as HTML (query + render), as the route serves it. */
  firstPageHtmlMs: { p50: number; p99: number };
  export: { rows: number; bytes: number; seconds: number; rowsPerSecond: number };
  write: { batchEvents: number; batches: number; p50Ms: number; p99Ms: number; eventsPerSecond: number };
  prune: { deleted: number; seconds: number };
}

export interface ActivityFigure {
  requests: number;
  backends: ActivityBackendFigure[];
}

/** Deterministic numbers, so both databases hold the same history. */
function random(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const repoName = (owner: number, repo: number) => `${OWNERS[owner]}/service-${String(repo).padStart(2, "0")}`;

/** Bulk rows matching app/activity/schema.ts, as the recorder would have left them. */
async function fill(driver: Driver, count: number, now: number): Promise<{ events: number; ms: number }> {
  const started = performance.now();
  const next = random(42);
  const requests: Param[][] = [];
  const events: Param[][] = [];
  const people: Param[][] = [];
  const flush = async () => {
    const chunks: Array<[string, number, Param[][]]> = [
      [
        "activity_requests (request_id, placeholder, repository, repository_key, owner_key, environment, environment_key, run_id, run_attempt, mode, seen_via, state, state_at, seen_at, updated_at, people, summary, events, gated)",
        19,
        requests,
      ],
      ["activity_events (request_id, at, kind, detail)", 4, events],
      ["activity_people (request_id, person, seen_at)", 3, people],
    ];
    await driver.transaction(
      (function* () {
        for (const [table, columns, rows] of chunks) {
          for (let i = 0; i < rows.length; i += 50) {
            const part = rows.slice(i, i + 50);
            yield* run(`INSERT INTO ${table} VALUES ${valuesList(part.length, columns)}`, part.flat());
          }
        }
      })(),
    );
    requests.length = 0;
    events.length = 0;
    people.length = 0;
  };
  let eventCount = 0;
  for (let i = 0; i < count; i++) {
    // Busy repositories are busier: acme holds about 40% of the history.
    const owner = next() < 0.4 ? 0 : 1 + Math.floor(next() * (OWNERS.length - 1));
    const repo = Math.floor(next() ** 2 * REPOS_PER_OWNER);
    const repository = repoName(owner, repo);
    const seenAt = now - Math.floor(next() * 365 * DAY_MS);
    const environment = next() < 0.7 ? "production" : next() < 0.5 ? "staging" : "canary";
    const roll = next();
    const state =
      roll < 0.7
        ? "approved"
        : roll < 0.8
          ? "rejected"
          : roll < 0.88
            ? "expired"
            : roll < 0.93
              ? "cancelled"
              : roll < 0.97
                ? "failed"
                : "pending";
    const person = Math.floor(next() ** 1.5 * PEOPLE);
    const user = `U0P${String(person).padStart(5, "0")}`;
    const name = `person-${person}`;
    const requestId = `r${i.toString(36).padStart(8, "0")}${Math.floor(next() * 1e9).toString(36)}`;
    const runId = 1_000_000 + i;
    requests.push([
      requestId,
      0,
      repository,
      repository,
      OWNERS[owner] as string,
      environment,
      environment,
      runId,
      1,
      "gate",
      "click",
      state,
      seenAt + 500,
      seenAt,
      seenAt + 900,
      JSON.stringify([name]),
      `${name}: approval decided it`,
      10,
      1,
    ]);
    const timeline: Array<[number, string, unknown]> = [
      [
        0,
        "click",
        { kind: "click", action: "approve", user: { slackUserId: user, name }, outcome: "decided" },
      ],
      [
        60,
        "github",
        { kind: "github", method: "GET", route: "/repos/{owner}/{repo}/installation", status: 200, ms: 60 },
      ],
      [
        110,
        "github",
        {
          kind: "github",
          method: "POST",
          route: "/app/installations/{installation_id}/access_tokens",
          status: 201,
          ms: 50,
        },
      ],
      [
        200,
        "github",
        {
          kind: "github",
          method: "GET",
          route: "/repos/{owner}/{repo}/actions/runs/{run_id}",
          status: 200,
          ms: 90,
        },
      ],
      [
        260,
        "github",
        {
          kind: "github",
          method: "GET",
          route: "/repos/{owner}/{repo}/contents/{path}",
          status: 304,
          ms: 40,
        },
      ],
      [
        300,
        "decision",
        {
          kind: "decision",
          decision: "approved",
          by: [{ slackUserId: user, name, githubLogin: `gh-${person}` }],
          reason: null,
        },
      ],
      [
        400,
        "delivery",
        {
          kind: "delivery",
          effect: `${requestId}:github.review`,
          effectKind: "github.review",
          outcome: "done",
          attempt: 1,
          primary: true,
          note: null,
          ms: 80,
        },
      ],
      [500, "slack", { kind: "slack", method: "chat.postMessage", ok: true, ms: 30 }],
      [700, "slack", { kind: "slack", method: "chat.postMessage", ok: true, ms: 30 }],
      [900, "slack", { kind: "slack", method: "chat.update", ok: true, ms: 40 }],
    ];
    for (const [offset, kind, detail] of timeline)
      events.push([requestId, seenAt + offset, kind, JSON.stringify(detail)]);
    eventCount += timeline.length;
    for (const key of [user.toLowerCase(), name, `gh-${person}`]) people.push([requestId, key, seenAt]);
    if (requests.length >= 1000) await flush();
  }
  await flush();
  return { events: eventCount, ms: performance.now() - started };
}

async function timed<T>(work: () => Promise<T>, times: number): Promise<{ samples: number[]; last: T }> {
  const samples: number[] = [];
  let last!: T;
  for (let i = 0; i < times; i++) {
    const started = performance.now();
    last = await work();
    samples.push(performance.now() - started);
  }
  return { samples, last };
}

async function query(
  store: ActivityStore,
  name: string,
  scope: ActivityScope,
  filter: ActivityFilter,
  cursor?: ActivityCursor,
): Promise<QueryFigure> {
  await store.list(scope, filter, cursor, PAGE + 1);
  const { samples, last } = await timed(() => store.list(scope, filter, cursor, PAGE + 1), REPEAT);
  const s = summarize(samples);
  return {
    name,
    rows: Math.min(PAGE, last.length),
    p50Ms: round(s.p50),
    p99Ms: round(s.p99),
    maxMs: round(s.max),
  };
}

async function measure(
  backend: "sqlite" | "postgres",
  url: string,
  count: number,
  sizeOf: () => Promise<number>,
): Promise<ActivityBackendFigure> {
  const store = await openStore(url);
  try {
    const driver = store.driver;
    const activity = createActivityStore(driver);
    const now = Date.now();
    const filled = await fill(driver, count, now);
    if (backend === "postgres") await driver.run(run("ANALYZE"));

    const admin: ActivityScope = { repositories: [], owners: ["acme"] };
    const few: ActivityScope = {
      repositories: [repoName(0, 3), repoName(1, 1), repoName(2, 30)],
      owners: [],
    };
    const many: ActivityScope = {
      repositories: OWNERS.flatMap((_, o) => Array.from({ length: 24 }, (_, r) => repoName(o, r))),
      owners: [],
    };
    const everyone: ActivityScope = { repositories: [], owners: OWNERS };
    const queries: QueryFigure[] = [
      await query(activity, "first page, admin of the largest organization", admin, {}),
      await query(activity, "first page, admin of all five organizations", everyone, {}),
      await query(activity, "first page, reader of 3 repositories", few, {}),
      await query(activity, "first page, reader of 120 repositories", many, {}),
      await query(activity, "state pending (3%), admin", admin, { state: "pending" }),
      await query(activity, "person (one of 500), admin", admin, { person: "person-42" }),
      await query(activity, "repository, admin", admin, { repository: repoName(0, 7) }),
      await query(activity, "environment staging and rejected, reader of 120", many, {
        environment: "staging",
        state: "rejected",
      }),
      await query(activity, "seen before a date 300 days back, admin", admin, {
        before: new Date(now - 300 * DAY_MS),
      }),
    ];

    // Twenty pages in a row, newest first.
    const pageTimes: number[] = [];
    let cursor: ActivityCursor | undefined;
    for (let i = 0; i < 20; i++) {
      const started = performance.now();
      const rows: ActivityRequest[] = await activity.list(admin, {}, cursor, PAGE + 1);
      pageTimes.push(performance.now() - started);
      const last = rows[PAGE - 1];
      if (!last) break;
      cursor = { seenAt: last.seenAt.getTime(), requestId: last.requestId };
    }
    const paging = summarize(pageTimes);

    // The first page as the route serves it: the query and the HTML.
    const session = { userId: 1, login: "bench", token: "x", expiresAt: now + DAY_MS, csrf: "c" };
    const html = await timed(async () => {
      const parsed = parseQuery(new URLSearchParams());
      const rows = await activity.list(admin, parsed.filter, undefined, PAGE + 1);
      return listPage({
        session,
        query: parsed,
        rows: rows.slice(0, PAGE),
        next: "x",
        repositories: [],
        refused: [],
        githubWebUrl: "https://github.com",
      }).length;
    }, REPEAT);
    const htmlSummary = summarize(html.samples);

    const one = (await activity.list(admin, {}, undefined, 1))[0];
    if (one) {
      await activity.timeline(one.requestId);
      const t = await timed(() => activity.timeline(one.requestId), REPEAT);
      const s = summarize(t.samples);
      queries.push({
        name: "one request's timeline (10 events)",
        rows: t.last.length,
        p50Ms: round(s.p50),
        p99Ms: round(s.p99),
        maxMs: round(s.max),
      });
    }

    // A CSV export of an organization's staging history, served over HTTP and read to the end.
    const server = createServer((_req, res) => {
      void exportList(res, "csv", activity, admin, { environment: "staging" }, {}, new Date());
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const exportStarted = performance.now();
    const body = await (await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`)).text();
    const exportSeconds = (performance.now() - exportStarted) / 1000;
    server.close();
    const exportRows = body.trim().split("\r\n").length - 1;

    // The recorder's writes: batches of 200 events (its batch size), each for 50 requests.
    const writeTimes: number[] = [];
    for (let b = 0; b < 20; b++) {
      const batch: ActivityWrite[] = [];
      for (let i = 0; i < 200; i++) {
        const request = {
          requestId: `w${b}-${i % 50}`,
          repository: repoName(i % 5, i % 40),
          runId: 9_000_000 + b * 100 + (i % 50),
          runAttempt: 1,
          environment: "production",
          mode: "gate" as const,
        };
        batch.push({
          at: new Date(now + b * 1000 + i),
          target: { request },
          event: {
            kind: "github",
            method: "GET",
            route: "/repos/{owner}/{repo}/actions/runs/{run_id}",
            status: 200,
            ms: 50,
          },
        });
      }
      const started = performance.now();
      await activity.write(batch);
      writeTimes.push(performance.now() - started);
    }
    const write = summarize(writeTimes);
    const databaseMiB = round((await sizeOf()) / 1024 / 1024, 1);

    // Pruning the oldest month (what a 335-day retention deletes from a year of history).
    const pruneStarted = performance.now();
    const deleted = await activity.prune(new Date(now - 335 * DAY_MS));
    const pruneSeconds = (performance.now() - pruneStarted) / 1000;

    return {
      backend,
      requests: count,
      events: filled.events,
      fillSeconds: round(filled.ms / 1000, 1),
      databaseMiB,
      queries,
      paging: { pages: pageTimes.length, p50Ms: round(paging.p50), p99Ms: round(paging.p99) },
      firstPageHtmlMs: { p50: round(htmlSummary.p50), p99: round(htmlSummary.p99) },
      export: {
        rows: exportRows,
        bytes: body.length,
        seconds: round(exportSeconds, 2),
        rowsPerSecond: Math.round(exportRows / exportSeconds),
      },
      write: {
        batchEvents: 200,
        batches: writeTimes.length,
        p50Ms: round(write.p50),
        p99Ms: round(write.p99),
        eventsPerSecond: Math.round(
          (200 * writeTimes.length) / (writeTimes.reduce((a, b) => a + b, 0) / 1000),
        ),
      },
      prune: { deleted, seconds: round(pruneSeconds, 2) },
    };
  } finally {
    await store.close();
  }
}

export async function activityFigure(
  count: number,
  log: (line: string) => void = () => {},
): Promise<ActivityFigure> {
  const dir = mkdtempSync(join(tmpdir(), "sdg-activity-bench-"));
  const backends: ActivityBackendFigure[] = [];
  try {
    log(`activity: SQLite, ${count} requests`);
    const file = join(dir, "activity.db");
    backends.push(
      await measure("sqlite", `sqlite://${file}`, count, async () => {
        const wal = `${file}-wal`;
        const size = (path: string) => {
          try {
            return statSync(path).size;
          } catch {
            return 0;
          }
        };
        return size(file) + size(wal);
      }),
    );
    log(`activity: PostgreSQL, ${count} requests`);
    const database = await createTestDatabase();
    try {
      backends.push(
        await measure("postgres", database.url, count, async () => {
          const store = await openStore(database.url);
          try {
            const row = await store.driver.run(
              (function* () {
                return (yield {
                  op: "get",
                  sql: "SELECT pg_database_size(current_database()) AS size",
                  params: [],
                }) as {
                  size: number;
                };
              })(),
            );
            return Number(row.size);
          } finally {
            await store.close();
          }
        }),
      );
    } finally {
      await database.drop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { requests: count, backends };
}

export function printActivity(figure: ActivityFigure | undefined): string {
  if (!figure) return "";
  const lines = [
    `\nActivity page with a year of history (${figure.requests.toLocaleString("en")} requests, 10 events each)`,
  ];
  const [a, b] = figure.backends;
  const names = figure.backends.map((x) => (x.backend === "sqlite" ? "SQLite" : "PostgreSQL"));
  lines.push(`| query (page of ${PAGE}) | rows | ${names.map((n) => `${n} p50 / p99 ms`).join(" | ")} |`);
  lines.push(`|---|---|${names.map(() => "---|").join("")}`);
  for (const [i, q] of (a?.queries ?? []).entries()) {
    const other = b?.queries[i];
    lines.push(
      `| ${q.name} | ${q.rows} | ${q.p50Ms} / ${q.p99Ms} |${other ? ` ${other.p50Ms} / ${other.p99Ms} |` : ""}`,
    );
  }
  const row = (label: string, pick: (x: ActivityBackendFigure) => string) =>
    lines.push(`| ${label} | | ${figure.backends.map(pick).join(" | ")} |`);
  row("20 pages in a row, per page", (x) => `${x.paging.p50Ms} / ${x.paging.p99Ms}`);
  row("first page as HTML (query + render)", (x) => `${x.firstPageHtmlMs.p50} / ${x.firstPageHtmlMs.p99}`);
  row(
    "CSV export over HTTP",
    (x) => `${x.export.rows} rows in ${x.export.seconds} s (${x.export.rowsPerSecond}/s)`,
  );
  row(
    "recorder write, batch of 200 events",
    (x) => `${x.write.p50Ms} / ${x.write.p99Ms} (${x.write.eventsPerSecond} events/s)`,
  );
  row("pruning the oldest month", (x) => `${x.prune.deleted} requests in ${x.prune.seconds} s`);
  row("database size", (x) => `${x.databaseMiB} MiB (filled in ${x.fillSeconds} s)`);
  lines.push("");
  return lines.join("\n");
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const count = process.env.BENCH_QUICK === "1" ? 10_000 : 100_000;
  activityFigure(count, (line) => process.stderr.write(`[bench] ${line}\n`))
    .then((figure) => {
      process.stdout.write(printActivity(figure));
      process.stdout.write(`${JSON.stringify(figure, null, 2)}\n`);
    })
    .catch((error: unknown) => {
      process.stderr.write(
        `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      process.exit(1);
    });
}
