// CSV and JSON exports of what a filter shows (every page of it, not just the one on screen), and of one
// request's timeline. Streamed a page at a time along the same keyset, so a year of history never sits
// in memory; the writer waits for the client to take each chunk. CSV cells that a spreadsheet would run
// as a formula are prefixed with a quote.
import type { ServerResponse } from "node:http";
import { describe, describeSeen } from "./describe.js";
import type { ActivityStore } from "./store.js";
import type { ActivityCursor, ActivityFilter, ActivityRequest, ActivityScope, StoredEvent } from "./types.js";

const PAGE = 500;

export const REQUEST_CSV_COLUMNS = [
  "seen_at",
  "request_id",
  "repository",
  "environment",
  "run_id",
  "run_attempt",
  "mode",
  "state",
  "seen_via",
  "people",
  "latest",
  "events",
  "last_event_at",
] as const;

export function csvCell(value: unknown): string {
  let text = value === null || value === undefined ? "" : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n']/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

const csvLine = (cells: unknown[]) => `${cells.map(csvCell).join(",")}\r\n`;

function requestCells(r: ActivityRequest): unknown[] {
  return [
    r.seenAt.toISOString(),
    r.placeholder ? "" : r.requestId,
    r.repository,
    r.environment,
    r.runId,
    r.runAttempt,
    r.mode,
    r.state,
    r.seenVia,
    r.people.join("; "),
    r.summary,
    r.events,
    r.updatedAt.toISOString(),
  ];
}

export function requestJson(r: ActivityRequest) {
  return {
    requestId: r.placeholder ? null : r.requestId,
    repository: r.repository,
    environment: r.environment,
    runId: r.runId,
    runAttempt: r.runAttempt,
    mode: r.mode,
    state: r.state,
    seenVia: r.seenVia,
    seenAt: r.seenAt.toISOString(),
    lastEventAt: r.updatedAt.toISOString(),
    people: r.people,
    latest: r.summary,
    events: r.events,
  };
}

/** Writes a chunk, waiting when the client is slower than the database; false when it went away. */
async function send(res: ServerResponse, chunk: string): Promise<boolean> {
  if (res.destroyed) return false;
  if (res.write(chunk)) return true;
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      res.off("drain", onDrain);
      res.off("close", onClose);
      resolve(ok);
    };
    const onDrain = () => done(true);
    const onClose = () => done(false);
    res.once("drain", onDrain);
    res.once("close", onClose);
  });
}

async function* pages(
  store: ActivityStore,
  scope: ActivityScope,
  filter: ActivityFilter,
): AsyncGenerator<ActivityRequest[]> {
  let cursor: ActivityCursor | undefined;
  for (;;) {
    const rows = await store.list(scope, filter, cursor, PAGE);
    if (rows.length > 0) yield rows;
    if (rows.length < PAGE) return;
    const last = rows[rows.length - 1] as ActivityRequest;
    cursor = { seenAt: last.seenAt.getTime(), requestId: last.requestId };
  }
}

export async function exportList(
  res: ServerResponse,
  format: "csv" | "json",
  store: ActivityStore,
  scope: ActivityScope,
  filter: ActivityFilter,
  headers: Record<string, string>,
  now: Date,
): Promise<void> {
  const stamp = now.toISOString().slice(0, 19).replace(/[-:]/g, "").replace("T", "-");
  res.writeHead(200, {
    ...headers,
    "content-type": format === "csv" ? "text/csv; charset=utf-8" : "application/json; charset=utf-8",
    "content-disposition": `attachment; filename="deployment-activity-${stamp}.${format}"`,
  });
  if (format === "csv") {
    if (!(await send(res, csvLine([...REQUEST_CSV_COLUMNS])))) return;
    for await (const rows of pages(store, scope, filter)) {
      if (!(await send(res, rows.map((r) => csvLine(requestCells(r))).join("")))) return;
    }
    res.end();
    return;
  }
  // JSON: the requests with their whole timelines: what an audit keeps.
  const head = { exportedAt: now.toISOString(), filter: filterJson(filter) };
  if (!(await send(res, `${JSON.stringify(head).slice(0, -1)},"requests":[`))) return;
  let first = true;
  for await (const rows of pages(store, scope, filter)) {
    const timelines = await store.timelines(rows.map((r) => r.requestId));
    const text = rows
      .map((r) => {
        const item = JSON.stringify({
          ...requestJson(r),
          timeline: (timelines.get(r.requestId) ?? []).map(eventJson),
        });
        const out = first ? item : `,${item}`;
        first = false;
        return out;
      })
      .join("");
    if (!(await send(res, text))) return;
  }
  res.end("]}\n");
}

export function eventJson(e: StoredEvent) {
  return { at: e.at.toISOString(), ...e.event };
}

export function exportTimeline(
  res: ServerResponse,
  format: "csv" | "json",
  request: ActivityRequest,
  events: StoredEvent[],
  headers: Record<string, string>,
): void {
  const name = `deployment-request-${request.placeholder ? `run-${request.runId}` : request.requestId}.${format}`;
  res.writeHead(200, {
    ...headers,
    "content-type": format === "csv" ? "text/csv; charset=utf-8" : "application/json; charset=utf-8",
    "content-disposition": `attachment; filename="${name.replace(/[^A-Za-z0-9._-]/g, "_")}"`,
  });
  if (format === "json") {
    res.end(`${JSON.stringify({ ...requestJson(request), timeline: events.map(eventJson) }, null, 2)}\n`);
    return;
  }
  const seen = describeSeen(request);
  const lines = [
    csvLine(["at", "direction", "kind", "what", "details"]),
    csvLine([request.seenAt.toISOString(), seen.direction, seen.label, seen.text, seen.detail]),
    ...events.map((e) => {
      const d = describe(e.event);
      return csvLine([e.at.toISOString(), d.direction, d.label, d.text, d.detail]);
    }),
  ];
  res.end(lines.join(""));
}

function filterJson(filter: ActivityFilter) {
  return {
    repository: filter.repository ?? null,
    environment: filter.environment ?? null,
    state: filter.state ?? null,
    person: filter.person ?? null,
    seenBefore: filter.before?.toISOString() ?? null,
  };
}
