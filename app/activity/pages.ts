// The activity page's HTML: the list of requests (filters, newest first, a page at a time), one
// request's timeline, and the refused-requests panel for administrators. Plain HTML in the web frame
// (app/web/layout.ts); every value is escaped.
import { escapeHtml, page, type Session } from "../web/index.js";
import { type Described, describe, describeSeen } from "./describe.js";
import { type ParsedQuery, queryString } from "./filters.js";
import type { RefusedSummary } from "./store.js";
import { ACTIVITY_STATES, type ActivityRequest, type StoredEvent } from "./types.js";

const STATE_WORDS: Record<string, string> = {
  pending: "pending",
  approved: "approved",
  rejected: "rejected",
  expired: "expired",
  cancelled: "cancelled",
  failed: "failed to deliver",
};

export function utc(date: Date): string {
  return `${date.toISOString().replace("T", " ").slice(0, 19)} UTC`;
}

function time(date: Date): string {
  return `<time datetime="${date.toISOString()}">${escapeHtml(utc(date))}</time>`;
}

function badge(state: string): string {
  return `<span class="badge ${escapeHtml(state)}">${escapeHtml(STATE_WORDS[state] ?? state)}</span>`;
}

export function requestPath(requestId: string): string {
  return `/activity/requests/${encodeURIComponent(requestId)}`;
}

function runLink(githubWebUrl: string, request: ActivityRequest): string {
  const url = `${githubWebUrl}/${request.repository}/actions/runs/${request.runId}${
    request.runAttempt && request.runAttempt > 1 ? `/attempts/${request.runAttempt}` : ""
  }`;
  return `<a href="${escapeHtml(url)}" rel="noreferrer">${request.runId}${
    request.runAttempt ? ` #${request.runAttempt}` : ""
  }</a>`;
}

export interface ListView {
  session: Session;
  query: ParsedQuery;
  rows: ActivityRequest[];
  /** The cursor of the next (older) page, when there is one. */
  next: string | undefined;
  /** Repositories the person can read, for the filter's suggestions. */
  repositories: readonly string[];
  /** Set for administrators: refused requests of the last day. */
  refused: RefusedSummary[] | undefined;
  githubWebUrl: string;
}

export function listPage(view: ListView): string {
  const { query, rows } = view;
  const v = query.values;
  const problems = query.problems.length
    ? `<p class="error" id="filter-problems">${query.problems.map(escapeHtml).join(" ")}</p>`
    : "";
  const options = ["", ...ACTIVITY_STATES]
    .map(
      (state) =>
        `<option value="${state}"${state === v.state ? " selected" : ""}>${state ? escapeHtml(STATE_WORDS[state] ?? state) : "any state"}</option>`,
    )
    .join("");
  const suggestions = view.repositories
    .slice(0, 500)
    .map((r) => `<option value="${escapeHtml(r)}">`)
    .join("");
  const filters = `<form class="panel" method="get" action="/activity" id="filters">
<div class="filters">
<label>Repository<input name="repo" list="repositories" value="${escapeHtml(v.repo)}" placeholder="owner/name" autocomplete="off"></label>
<label>Environment<input name="env" value="${escapeHtml(v.env)}" placeholder="production" autocomplete="off"></label>
<label>State<select name="state">${options}</select></label>
<label>Person<input name="person" value="${escapeHtml(v.person)}" placeholder="Slack name, ID or GitHub login" autocomplete="off"></label>
<label>Seen on or before<input name="before" type="date" value="${escapeHtml(v.before)}"></label>
<div class="actions"><button class="primary" type="submit" id="apply">Filter</button><a class="button secondary" href="/activity">Clear</a></div>
</div><datalist id="repositories">${suggestions}</datalist>${problems}
</form>`;

  const exportLinks = `<div class="actions small"><span class="muted">Export what this filter shows:</span>
<a class="button secondary" id="export-csv" href="/activity/export.csv${escapeHtml(queryString(v))}">CSV</a>
<a class="button secondary" id="export-json" href="/activity/export.json${escapeHtml(queryString(v))}">JSON</a></div>`;

  const body = rows.length
    ? `<table class="list" id="requests"><thead><tr><th>Seen</th><th>Repository</th><th>Environment</th><th>Run</th><th>State</th><th>People</th><th>Latest</th></tr></thead><tbody>
${rows.map((r) => row(r, view.githubWebUrl)).join("\n")}
</tbody></table>`
    : `<p class="muted" id="empty">${
        Object.values(v).some(Boolean) ? "No requests match this filter." : "No requests you can see yet."
      }</p>`;

  const pager = `<div class="pager">${
    query.cursor
      ? `<a href="/activity${escapeHtml(queryString(v))}" id="newest">← Newest</a>`
      : "<span></span>"
  }${view.next ? `<a href="/activity${escapeHtml(queryString(v, { after: view.next }))}" id="older">Older →</a>` : ""}</div>`;

  return page(
    "Activity",
    `${filters}<section class="panel"><div class="actions" style="justify-content:space-between;margin-bottom:8px">
<h1 style="margin:0">Deployment requests</h1>${exportLinks}</div>${body}${pager}</section>${refusedPanel(view.refused)}`,
    { session: view.session },
  );
}

function row(r: ActivityRequest, githubWebUrl: string): string {
  const people = r.people.length ? escapeHtml(r.people.join(", ")) : `<span class="muted">—</span>`;
  return `<tr data-request="${escapeHtml(r.requestId)}">
<td data-label="Seen"><a href="${escapeHtml(requestPath(r.requestId))}">${time(r.seenAt)}</a></td>
<td data-label="Repository" class="repo">${escapeHtml(r.repository)}</td>
<td data-label="Environment">${escapeHtml(r.environment)}</td>
<td data-label="Run">${runLink(githubWebUrl, r)}</td>
<td data-label="State">${badge(r.state)}</td>
<td data-label="People">${people}</td>
<td data-label="Latest" class="small">${r.summary ? escapeHtml(r.summary) : ""} <a href="${escapeHtml(requestPath(r.requestId))}">timeline</a></td>
</tr>`;
}

function refusedPanel(refused: RefusedSummary[] | undefined): string {
  if (!refused) return "";
  const rows = refused.length
    ? `<table class="list" id="refused"><thead><tr><th>From</th><th>Why</th><th>Count</th><th>Last</th></tr></thead><tbody>${refused
        .map(
          (r) =>
            `<tr><td data-label="From">${r.source === "slack" ? "Slack route" : "GitHub webhooks"}</td><td data-label="Why">${escapeHtml(r.reason)}</td><td data-label="Count">${r.count}</td><td data-label="Last">${time(r.lastMinute)}</td></tr>`,
        )
        .join("")}</tbody></table>`
    : `<p class="muted" id="refused-none">None in the last 24 hours.</p>`;
  return `<section class="panel"><h2>Refused before reaching a request (last 24 hours)</h2>
<p class="muted small">Forged, unverifiable or malformed requests to the App's public routes, counted per minute and never stored one by one. Shown to organization administrators.</p>${rows}</section>`;
}

export interface TimelineView {
  session: Session;
  request: ActivityRequest;
  events: StoredEvent[];
  githubWebUrl: string;
}

export function timelinePage(view: TimelineView): string {
  const r = view.request;
  const lines: Array<{ at: Date; described: Described }> = [
    { at: r.seenAt, described: describeSeen(r) },
    ...view.events.map((e) => ({ at: e.at, described: describe(e.event) })),
  ];
  const id = r.placeholder
    ? `<span class="muted">no request message seen yet</span>`
    : `<code>${escapeHtml(r.requestId)}</code>`;
  const exportBase = `${requestPath(r.requestId)}/export`;
  return page(
    `${r.repository} · ${r.environment}`,
    `<p class="small"><a href="/activity">← All requests</a></p>
<section class="panel"><div class="actions" style="justify-content:space-between">
<h1 style="margin:0">${escapeHtml(r.repository)} → ${escapeHtml(r.environment)} ${badge(r.state)}</h1>
<div class="actions small"><a class="button secondary" id="export-csv" href="${escapeHtml(exportBase)}.csv">CSV</a>
<a class="button secondary" id="export-json" href="${escapeHtml(exportBase)}.json">JSON</a></div></div>
<dl class="facts" style="margin-top:12px">
<dt>Request</dt><dd>${id}</dd>
<dt>Run</dt><dd>${runLink(view.githubWebUrl, r)}</dd>
<dt>Mode</dt><dd>${escapeHtml(r.mode ?? "not known yet")}</dd>
<dt>First seen</dt><dd>${time(r.seenAt)}</dd>
<dt>Last event</dt><dd>${time(r.updatedAt)}</dd>
<dt>People</dt><dd>${escapeHtml(r.people.join(", ") || "—")}</dd>
</dl></section>
<section class="panel"><h2>Timeline</h2><ol class="timeline" id="timeline">
${lines.map(({ at, described }) => line(at, described)).join("\n")}
</ol></section>`,
    { session: view.session },
  );
}

function line(at: Date, d: Described): string {
  const direction = { in: "in", out: "out", note: "note", bad: "bad" }[d.direction];
  return `<li class="event ${direction}"><span class="at" title="${escapeHtml(at.toISOString())}">${escapeHtml(
    at.toISOString().slice(11, 23),
  )}<span class="date"><br>${escapeHtml(at.toISOString().slice(0, 10))}</span></span><span class="kind ${direction}">${escapeHtml(d.label)}</span><span><span class="text">${escapeHtml(
    d.text,
  )}</span>${d.detail ? `<br><span class="detail">${escapeHtml(d.detail)}</span>` : ""}</span></li>`;
}

export function messagePage(title: string, text: string, session?: Session): string {
  return page(
    title,
    `<div class="panel"><h1>${escapeHtml(title)}</h1><p id="message">${escapeHtml(text)}</p>
<p><a href="/activity">All requests</a></p></div>`,
    { session, narrow: true },
  );
}
