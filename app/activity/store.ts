// The activity record in the App's database (tables in schema.ts), over the store's driver, so it runs
// the same on SQLite and PostgreSQL. Writes come in batches from the recorder (one transaction each);
// reads serve the page: one request, its timeline, and pages of requests newest first, found by keyset
// (seen_at, request_id) along an index chosen for the filter, never by OFFSET.
import type { Mode } from "../../common/reference.js";
import type { Driver } from "../store/driver.js";
import { all, get, type Param, type Program, run, valuesList } from "../store/sql.js";
import { applyEvent, type RowState } from "./summary.js";
import type {
  ActivityCursor,
  ActivityEvent,
  ActivityFilter,
  ActivityRequest,
  ActivityScope,
  ActivityState,
  RefusedSource,
  RequestFacts,
  RunSubject,
  StoredEvent,
} from "./types.js";

/** One thing to record: about a known request, or about a run and environment GitHub spoke of. */
export interface ActivityWrite {
  at: Date;
  target: { request: RequestFacts } | { run: RunSubject };
  event: ActivityEvent;
}

export interface RefusedCount {
  /** Epoch milliseconds of the minute's start. */
  minute: number;
  source: RefusedSource;
  reason: string;
  count: number;
}

export interface RefusedSummary {
  source: RefusedSource;
  reason: string;
  count: number;
  lastMinute: Date;
}

export interface ActivityStore {
  /** Records a batch in one transaction. */
  write(batch: readonly ActivityWrite[]): Promise<void>;
  addRefused(counts: readonly RefusedCount[]): Promise<void>;
  /** A page of requests the scope may see, newest first, after `cursor`. */
  list(
    scope: ActivityScope,
    filter: ActivityFilter,
    cursor: ActivityCursor | undefined,
    limit: number,
  ): Promise<ActivityRequest[]>;
  get(requestId: string): Promise<ActivityRequest | undefined>;
  /** The request's timeline, oldest first (at most `limit` events). */
  timeline(requestId: string, limit?: number): Promise<StoredEvent[]>;
  /** The timelines of several requests at once (exports), each oldest first. */
  timelines(requestIds: readonly string[]): Promise<Map<string, StoredEvent[]>>;
  /** Refused requests since a time, by source and reason. */
  refusedSince(since: Date): Promise<RefusedSummary[]>;
  /** Deletes requests whose last event is older than `before`, and older refused counts. */
  prune(before: Date): Promise<number>;
}

const COLUMNS =
  "request_id, placeholder, repository, environment, run_id, run_attempt, mode, seen_via, state, state_at, " +
  "seen_at, updated_at, people, summary, summary_at, events, gated";

interface RequestRecord {
  request_id: string;
  placeholder: number;
  repository: string;
  environment: string;
  run_id: number;
  run_attempt: number | null;
  mode: string | null;
  seen_via: string;
  state: string;
  state_at: number;
  seen_at: number;
  updated_at: number;
  people: string;
  summary: string | null;
  summary_at: number | null;
  events: number;
  gated: number;
}

/** Rows per multi-row INSERT: bounds the distinct statement texts each connection prepares. */
const CHUNK = 50;
/**
 * Requests deleted per transaction while pruning: a long history is pruned in short steps (on SQLite
 * each is a synchronous pause of the App, about 0.4 ms per request with its timeline).
 */
const PRUNE_BATCH = 100;
/** Up to this many repositories and owners, a page is merged from one ordered index range each. */
const MAX_MERGED_SOURCES = 64;
/** Hard cap on a timeline's length on the page (a request with more is shown up to here). */
const MAX_TIMELINE = 5_000;

export const repositoryKey = (repository: string) => repository.toLowerCase();
export const environmentKey = (environment: string) => environment.toLowerCase();
export const ownerKey = (repository: string) => repositoryKey(repository).split("/")[0] ?? "";
export const personKey = (person: string) => person.trim().toLowerCase();

/** The id of the record GitHub's word about a run and environment waits in until a request is seen. */
export function placeholderId(repository: string, runId: number, environment: string): string {
  return `run:${repositoryKey(repository)}:${runId}:${environmentKey(environment)}`;
}

export function createActivityStore(driver: Driver): ActivityStore {
  // PostgreSQL: a row read to be changed is locked, so two replicas' batches cannot lose each other's
  // counts. SQLite: write transactions take turns anyway.
  const forUpdate = driver.kind === "postgres" ? " FOR UPDATE" : "";
  const jsonStrings = driver.dialect.jsonStrings;

  /** The request's record (made on its first event); returns the placeholder it adopted, if any. */
  function* ensureRequest(
    facts: RequestFacts,
    event: ActivityEvent,
    at: number,
  ): Program<string | undefined> {
    const seenVia = event.kind === "posted" ? "app" : "click";
    const inserted = yield* run(
      `INSERT INTO activity_requests (request_id, placeholder, repository, repository_key, owner_key,
    environment, environment_key, run_id, run_attempt, mode, seen_via, state, state_at, seen_at, updated_at)
  VALUES (?, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?)
  ON CONFLICT (request_id) DO NOTHING`,
      [
        facts.requestId,
        facts.repository,
        repositoryKey(facts.repository),
        ownerKey(facts.repository),
        facts.environment,
        environmentKey(facts.environment),
        facts.runId,
        facts.runAttempt,
        facts.mode,
        seenVia,
        at,
        at,
        at,
      ],
    );
    return inserted === 1 ? yield* adoptPlaceholder(facts) : undefined;
  }

  /** A request seen for the first time takes over what GitHub said of its run and environment before. */
  function* adoptPlaceholder(facts: RequestFacts): Program<string | undefined> {
    const id = placeholderId(facts.repository, facts.runId, facts.environment);
    const held = yield* get<RequestRecord>(
      `SELECT ${COLUMNS} FROM activity_requests WHERE request_id = ?${forUpdate}`,
      [id],
    );
    if (!held) return undefined;
    const mine = yield* get<RequestRecord>(
      `SELECT ${COLUMNS} FROM activity_requests WHERE request_id = ?${forUpdate}`,
      [facts.requestId],
    );
    if (!mine) return undefined;
    yield* run("UPDATE activity_events SET request_id = ? WHERE request_id = ?", [facts.requestId, id]);
    const seenAt = Math.min(held.seen_at, mine.seen_at);
    yield* run(
      `INSERT INTO activity_people (request_id, person, seen_at)
  SELECT ?, person, ? FROM activity_people WHERE request_id = ?
  ON CONFLICT (request_id, person) DO NOTHING`,
      [facts.requestId, seenAt, id],
    );
    yield* run("DELETE FROM activity_requests WHERE request_id = ?", [id]);
    yield* run("UPDATE activity_people SET seen_at = ? WHERE request_id = ?", [seenAt, facts.requestId]);
    const people = mergePeople(JSON.parse(held.people) as string[], JSON.parse(mine.people) as string[]);
    yield* run(
      `UPDATE activity_requests SET seen_at = ?, seen_via = ?, events = events + ?, gated = ?, people = ?,
    summary = COALESCE(summary, ?), summary_at = COALESCE(summary_at, ?), updated_at = ?
  WHERE request_id = ?`,
      [
        seenAt,
        held.seen_at <= mine.seen_at ? held.seen_via : mine.seen_via,
        held.events,
        Math.max(held.gated, mine.gated),
        JSON.stringify(people),
        held.summary,
        held.summary_at,
        Math.max(held.updated_at, mine.updated_at),
        facts.requestId,
      ],
    );
    return id;
  }

  /** Which records a word about a run belongs to (a placeholder is made for a gate nobody claims). */
  function* resolveRun(subject: RunSubject, event: ActivityEvent, at: number): Program<string[]> {
    const repo = repositoryKey(subject.repository);
    if (subject.environment === undefined) {
      // A finished run: every record of the run (of that attempt, where GitHub names it).
      const rows = yield* all<{ request_id: string; run_attempt: number | null }>(
        "SELECT request_id, run_attempt FROM activity_requests WHERE repository_key = ? AND run_id = ?",
        [repo, subject.runId],
      );
      return rows
        .filter(
          (r) =>
            subject.runAttempt === undefined ||
            r.run_attempt === null ||
            r.run_attempt === subject.runAttempt,
        )
        .map((r) => r.request_id);
    }
    const env = environmentKey(subject.environment);
    const isGate = event.kind === "webhook" && event.event === "deployment_protection_rule";
    // A gate belongs to one request (one attempt): the newest gate-mode request of the run and
    // environment that has not met its gate yet. A re-run's gate, before its request is seen, waits.
    const candidates = yield* all<{ request_id: string }>(
      `SELECT request_id FROM activity_requests
  WHERE repository_key = ? AND run_id = ? AND environment_key = ? AND placeholder = 0
    AND (mode = 'gate' OR mode IS NULL)${isGate ? " AND gated = 0" : ""}
  ORDER BY seen_at DESC, request_id DESC`,
      [repo, subject.runId, env],
    );
    if (candidates[0]) return [candidates[0].request_id];
    // Only a gate speaks of a request yet to be seen; other news of a run nobody asked about is not kept.
    if (!isGate) return [];
    const id = placeholderId(subject.repository, subject.runId, subject.environment);
    yield* run(
      `INSERT INTO activity_requests (request_id, placeholder, repository, repository_key, owner_key,
    environment, environment_key, run_id, run_attempt, mode, seen_via, state, state_at, seen_at, updated_at)
  VALUES (?, 1, ?, ?, ?, ?, ?, ?, NULL, NULL, ?, 'pending', ?, ?, ?)
  ON CONFLICT (request_id) DO NOTHING`,
      [
        id,
        subject.repository,
        repo,
        ownerKey(subject.repository),
        subject.environment,
        env,
        subject.runId,
        "gate",
        at,
        at,
        at,
      ],
    );
    return [id];
  }

  /**
   * One batch, in a few statements whatever its size: GitHub's gates first (they may make placeholders),
   * then the requests seen for the first time (each adopts its run's placeholder), then finished runs
   * (which touch every record of the run, new ones included); then every touched record is read once
   * (locked, in id order, so two replicas' batches take rows in the same order), its line recomputed and
   * written, and the events and people inserted many rows at a time.
   */
  function* writeProgram(batch: readonly ActivityWrite[]): Program<void> {
    // In the order things happened (a click is recorded when it ends, stamped when it began).
    const ordered = [...batch].sort((a, b) => a.at.getTime() - b.at.getTime());
    const targets = new Map<ActivityWrite, string[]>();

    for (const write of ordered) {
      if ("run" in write.target && write.target.run.environment !== undefined) {
        targets.set(write, yield* resolveRun(write.target.run, write.event, write.at.getTime()));
      }
    }

    const firstOf = new Map<string, ActivityWrite>();
    for (const write of ordered) {
      if ("request" in write.target && !firstOf.has(write.target.request.requestId)) {
        firstOf.set(write.target.request.requestId, write);
      }
    }
    const known = new Set<string>();
    const ids = [...firstOf.keys()];
    for (let i = 0; i < ids.length; i += 500) {
      const rows = yield* all<{ request_id: string }>(
        `SELECT request_id FROM activity_requests WHERE request_id IN ${jsonStrings}`,
        [JSON.stringify(ids.slice(i, i + 500))],
      );
      for (const row of rows) known.add(row.request_id);
    }
    /** Placeholder id → the request that adopted it in this batch. */
    const adoptedBy = new Map<string, string>();
    for (const [id, write] of firstOf) {
      if (known.has(id) || !("request" in write.target)) continue;
      const adopted = yield* ensureRequest(write.target.request, write.event, write.at.getTime());
      if (adopted) adoptedBy.set(adopted, id);
    }

    for (const write of ordered) {
      if ("request" in write.target) targets.set(write, [write.target.request.requestId]);
      else if (write.target.run.environment === undefined) {
        targets.set(write, yield* resolveRun(write.target.run, write.event, write.at.getTime()));
      }
    }

    const byRecord = new Map<string, ActivityWrite[]>();
    for (const write of ordered) {
      for (const target of targets.get(write) ?? []) {
        // What this batch said of an adopted placeholder goes to the request that adopted it.
        const id = adoptedBy.get(target) ?? target;
        const list = byRecord.get(id) ?? [];
        list.push(write);
        byRecord.set(id, list);
      }
    }

    const records = new Map<string, RequestRecord>();
    const touched = [...byRecord.keys()].sort();
    for (let i = 0; i < touched.length; i += 500) {
      const rows = yield* all<RequestRecord>(
        `SELECT ${COLUMNS} FROM activity_requests WHERE request_id IN ${jsonStrings} ORDER BY request_id${forUpdate}`,
        [JSON.stringify(touched.slice(i, i + 500))],
      );
      for (const row of rows) records.set(row.request_id, row);
    }

    const events: Param[][] = [];
    const people: Param[][] = [];
    for (const id of touched) {
      const row = records.get(id);
      if (!row) continue;
      const writes = byRecord.get(id) as ActivityWrite[];
      let state: RowState = {
        state: row.state as ActivityState,
        stateAt: row.state_at,
        people: JSON.parse(row.people) as string[],
        summary: row.summary,
        summaryAt: Number(row.summary_at ?? 0),
        gated: row.gated === 1,
        mode: row.mode,
        updatedAt: row.updated_at,
      };
      const personKeys = new Set<string>();
      for (const write of writes) state = applyEvent(state, write.event, write.at.getTime(), personKeys);
      for (const w of writes) events.push([id, w.at.getTime(), w.event.kind, JSON.stringify(w.event)]);
      for (const key of personKeys)
        if (key.length > 0 && key.length <= 200) people.push([id, key, row.seen_at]);
      yield* run(
        `UPDATE activity_requests SET state = ?, state_at = ?, people = ?, summary = ?, summary_at = ?, gated = ?,
    updated_at = ?, events = events + ?
  WHERE request_id = ?`,
        [
          state.state,
          state.stateAt,
          JSON.stringify(state.people),
          state.summary,
          state.summaryAt,
          state.gated ? 1 : 0,
          state.updatedAt,
          writes.length,
          id,
        ],
      );
    }
    for (let i = 0; i < events.length; i += CHUNK) {
      const part = events.slice(i, i + CHUNK);
      yield* run(
        `INSERT INTO activity_events (request_id, at, kind, detail) VALUES ${valuesList(part.length, 4)}`,
        part.flat(),
      );
    }
    for (let i = 0; i < people.length; i += CHUNK) {
      const part = people.slice(i, i + CHUNK);
      yield* run(
        `INSERT INTO activity_people (request_id, person, seen_at) VALUES ${valuesList(part.length, 3)}
  ON CONFLICT (request_id, person) DO NOTHING`,
        part.flat(),
      );
    }
  }

  /** The page query for one driving index, or a merge of several ordered ranges; undefined: nothing to see. */
  function listProgram(
    scope: ActivityScope,
    filter: ActivityFilter,
    cursor: ActivityCursor | undefined,
    limit: number,
  ): Program<RequestRecord[]> | undefined {
    const residual: string[] = [];
    const params: Param[] = [];
    if (filter.environment !== undefined) {
      residual.push("r.environment_key = ?");
      params.push(environmentKey(filter.environment));
    }
    if (filter.state !== undefined) {
      residual.push("r.state = ?");
      params.push(filter.state);
    }
    if (filter.before !== undefined) {
      residual.push("r.seen_at < ?");
      params.push(filter.before.getTime());
    }
    if (cursor) {
      residual.push("(r.seen_at < ? OR (r.seen_at = ? AND r.request_id < ?))");
      params.push(cursor.seenAt, cursor.seenAt, cursor.requestId);
    }
    const repositories = [...new Set(scope.repositories.map(repositoryKey))];
    const owners = [...new Set(scope.owners.map((o) => o.toLowerCase()))];
    const order = "ORDER BY seen_at DESC, request_id DESC";
    const scoped = `(r.repository_key IN ${jsonStrings} OR r.owner_key IN ${jsonStrings})`;
    const scopeParams = [JSON.stringify(repositories), JSON.stringify(owners)];
    const where = (first: string) => [first, ...residual].join(" AND ");

    if (filter.person !== undefined) {
      // Along the person's index, newest first; the request row is joined for the scope and filters.
      const sql = `SELECT ${prefixed("r")} FROM activity_people p
  JOIN activity_requests r ON r.request_id = p.request_id
  WHERE ${where(`p.person = ? AND ${scoped}`)}${filter.repository !== undefined ? " AND r.repository_key = ?" : ""}
  ORDER BY p.seen_at DESC, p.request_id DESC LIMIT ?`;
      return all<RequestRecord>(sql, [
        personKey(filter.person),
        ...scopeParams,
        ...params,
        ...(filter.repository !== undefined ? [repositoryKey(filter.repository)] : []),
        limit,
      ]);
    }

    // Each ordered range: one repository, or one owner's whole history.
    let sources: Array<{ column: "repository_key" | "owner_key"; value: string }>;
    if (filter.repository !== undefined) {
      const repo = repositoryKey(filter.repository);
      const visible = repositories.includes(repo) || owners.includes(ownerKey(repo));
      if (!visible) return undefined;
      sources = [{ column: "repository_key", value: repo }];
    } else {
      sources = [
        ...owners.map((value) => ({ column: "owner_key" as const, value })),
        ...repositories
          .filter((repo) => !owners.includes(ownerKey(repo)))
          .map((value) => ({ column: "repository_key" as const, value })),
      ];
    }
    if (sources.length === 0) return undefined;

    if (sources.length <= MAX_MERGED_SOURCES) {
      // One ordered index range per source, each cut at `limit`, merged: a page costs what it shows.
      // Padded to a power of two with sources that match nothing, to bound the distinct statement texts.
      const padded = [...sources];
      while (padded.length & (padded.length - 1)) padded.push({ column: "repository_key", value: "" });
      const parts: string[] = [];
      const partParams: Param[] = [];
      for (const source of padded) {
        parts.push(
          `SELECT * FROM (SELECT ${prefixed("r")} FROM activity_requests r
    WHERE ${where(`r.${source.column} = ?`)} ${order} LIMIT ?) AS s${parts.length}`,
        );
        partParams.push(source.value, ...params, limit);
      }
      return all<RequestRecord>(`${parts.join("\nUNION ALL\n")}\n${order} LIMIT ?`, [...partParams, limit]);
    }

    // A wide scope: walk the newest-first index (or the state's) and keep what the scope allows.
    const index =
      driver.kind === "sqlite"
        ? ` INDEXED BY ${filter.state !== undefined ? "activity_requests_by_state" : "activity_requests_recent"}`
        : "";
    return all<RequestRecord>(
      `SELECT ${prefixed("r")} FROM activity_requests r${index}
  WHERE ${where(scoped)} ${order} LIMIT ?`,
      [...scopeParams, ...params, limit],
    );
  }

  return {
    async write(batch) {
      if (batch.length === 0) return;
      await driver.transaction(writeProgram(batch));
    },

    async addRefused(counts) {
      if (counts.length === 0) return;
      await driver.transaction(
        (function* () {
          for (let i = 0; i < counts.length; i += CHUNK) {
            const part = counts.slice(i, i + CHUNK);
            yield* run(
              `INSERT INTO activity_refused (minute, source, reason, count) VALUES ${valuesList(part.length, 4)}
  ON CONFLICT (minute, source, reason) DO UPDATE SET count = activity_refused.count + excluded.count`,
              part.flatMap((c) => [c.minute, c.source, c.reason.slice(0, 100), c.count]),
            );
          }
        })(),
      );
    },

    async list(scope, filter, cursor, limit) {
      // Undefined: the scope sees nothing the filter could match.
      const program = listProgram(scope, filter, cursor, limit);
      const rows = program ? await driver.run(program) : [];
      return rows.map(toRequest);
    },

    async get(requestId) {
      const row = await driver.run(
        get<RequestRecord>(`SELECT ${COLUMNS} FROM activity_requests WHERE request_id = ?`, [requestId]),
      );
      return row && toRequest(row);
    },

    async timeline(requestId, limit = MAX_TIMELINE) {
      const rows = await driver.run(
        all<{ id: number; at: number; detail: string }>(
          "SELECT id, at, detail FROM activity_events WHERE request_id = ? ORDER BY at, id LIMIT ?",
          [requestId, Math.min(limit, MAX_TIMELINE)],
        ),
      );
      return rows.map((r) => ({
        id: r.id,
        at: new Date(r.at),
        event: JSON.parse(r.detail) as ActivityEvent,
      }));
    },

    async timelines(requestIds) {
      const found = new Map<string, StoredEvent[]>(requestIds.map((id) => [id, []]));
      if (requestIds.length === 0) return found;
      const rows = await driver.run(
        all<{ id: number; request_id: string; at: number; detail: string }>(
          `SELECT id, request_id, at, detail FROM activity_events WHERE request_id IN ${jsonStrings}
  ORDER BY request_id, at, id`,
          [JSON.stringify(requestIds)],
        ),
      );
      for (const r of rows) {
        found
          .get(r.request_id)
          ?.push({ id: r.id, at: new Date(r.at), event: JSON.parse(r.detail) as ActivityEvent });
      }
      return found;
    },

    async refusedSince(since) {
      const rows = await driver.run(
        all<{ source: string; reason: string; count: number; last: number }>(
          `SELECT source, reason, SUM(count) AS count, MAX(minute) AS last FROM activity_refused
  WHERE minute >= ? GROUP BY source, reason ORDER BY source, reason`,
          [since.getTime()],
        ),
      );
      return rows.map((r) => ({
        source: r.source as RefusedSource,
        reason: r.reason,
        count: Number(r.count),
        lastMinute: new Date(Number(r.last)),
      }));
    },

    async prune(before) {
      const cutoff = before.getTime();
      let total = 0;
      for (;;) {
        const deleted = await driver.transaction(
          (function* () {
            const ids = yield* all<{ request_id: string }>(
              "SELECT request_id FROM activity_requests WHERE updated_at < ? ORDER BY updated_at LIMIT ?",
              [cutoff, PRUNE_BATCH],
            );
            if (ids.length === 0) return 0;
            yield* run(`DELETE FROM activity_requests WHERE request_id IN ${jsonStrings}`, [
              JSON.stringify(ids.map((r) => r.request_id)),
            ]);
            return ids.length;
          })(),
        );
        total += deleted;
        if (deleted < PRUNE_BATCH) break;
        // Let clicks through between batches (SQLite runs each one synchronously).
        await new Promise((resolve) => setImmediate(resolve));
      }
      await driver.run(run("DELETE FROM activity_refused WHERE minute < ?", [cutoff]));
      return total;
    },
  };
}

function prefixed(alias: string): string {
  return COLUMNS.split(", ")
    .map((c) => `${alias}.${c}`)
    .join(", ");
}

function mergePeople(a: string[], b: string[]): string[] {
  return [...new Set([...a, ...b])].slice(0, 12);
}

function toRequest(r: RequestRecord): ActivityRequest {
  return {
    requestId: r.request_id,
    placeholder: Number(r.placeholder) === 1,
    repository: r.repository,
    environment: r.environment,
    runId: Number(r.run_id),
    runAttempt: r.run_attempt === null ? null : Number(r.run_attempt),
    mode: r.mode as Mode | null,
    seenVia: r.seen_via as ActivityRequest["seenVia"],
    state: r.state as ActivityState,
    seenAt: new Date(Number(r.seen_at)),
    updatedAt: new Date(Number(r.updated_at)),
    people: JSON.parse(r.people) as string[],
    summary: r.summary,
    events: Number(r.events),
  };
}
