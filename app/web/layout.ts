// The App's web pages share one frame: plain server-rendered HTML in the sandbox's look (its colours,
// system fonts, the aubergine bar), a little CSS inline, no script, nothing loaded from elsewhere. Every
// value is escaped here or by the caller with escapeHtml. Answers carry headers that keep the pages out
// of frames, caches and other sites' Referer headers.
import type { ServerResponse } from "node:http";
import { csrfField } from "./csrf.js";
import type { Session } from "./session.js";

export function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] as string,
  );
}

const CSS = `
:root { --ink: #1d1c1d; --muted: #616061; --line: #dddddd; --bg: #f4f5f7; --panel: #fff;
  --aubergine: #3f0e40; --green: #007a5a; --green-bg: #e3f4ee; --red: #e01e5a; --red-bg: #fde8ef;
  --link: #1264a3; --yellow-bg: #fff4d6; --yellow-ink: #7a5300; --grey-bg: #eeeeef;
  --font: -apple-system, BlinkMacSystemFont, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  --mono: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px / 1.45 var(--font); color: var(--ink); background: var(--bg); }
a { color: var(--link); }
code, .mono { font-family: var(--mono); font-size: 12px; }
.bar { display: flex; flex-wrap: wrap; gap: 8px 16px; align-items: center; background: var(--aubergine);
  color: #fff; padding: 12px 20px; }
.bar .brand { font-weight: 700; font-size: 17px; color: #fff; text-decoration: none; }
.bar .who { margin-left: auto; display: flex; gap: 10px; align-items: center; color: #e9dfe9; font-size: 14px; }
.bar form { margin: 0; }
.bar button { font: inherit; font-size: 13px; color: #fff; background: transparent; border: 1px solid #b9a3ba;
  border-radius: 4px; padding: 3px 10px; cursor: pointer; }
main { max-width: 72rem; margin: 20px auto; padding: 0 16px; }
main.narrow { max-width: 34rem; }
.panel { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 16px 18px;
  margin-bottom: 16px; }
h1 { font-size: 20px; margin: 0 0 12px; }
h2 { font-size: 16px; margin: 0 0 10px; }
.muted { color: var(--muted); }
.small { font-size: 13px; }
.button, button.primary { display: inline-block; font: inherit; font-weight: 700; color: #fff; background: var(--green);
  border: 0; border-radius: 6px; padding: 8px 16px; cursor: pointer; text-decoration: none; }
.button.secondary { background: #fff; color: var(--ink); border: 1px solid var(--line); font-weight: 600; }
.error { background: var(--red-bg); border-radius: 6px; padding: 10px 12px; }
.ok { background: var(--green-bg); border-radius: 6px; padding: 10px 12px; }
.warning { background: var(--yellow-bg); color: var(--yellow-ink); border-radius: 6px; padding: 10px 12px; }
.filters { display: grid; grid-template-columns: repeat(auto-fit, minmax(10rem, 1fr)); gap: 10px; align-items: end; }
.filters label { display: grid; gap: 3px; font-size: 13px; color: var(--muted); }
.filters input, .filters select { font: inherit; font-size: 14px; padding: 6px 8px; border: 1px solid var(--line);
  border-radius: 4px; background: #fff; color: var(--ink); width: 100%; }
.actions { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; }
table.list { width: 100%; border-collapse: collapse; font-size: 14px; }
table.list th { text-align: left; font-size: 12px; color: var(--muted); font-weight: 600; border-bottom: 1px solid var(--line);
  padding: 6px 8px; }
table.list td { border-bottom: 1px solid #eee; padding: 8px; vertical-align: top; }
table.list tr:hover td { background: #fafafa; }
.badge { display: inline-block; font-size: 12px; font-weight: 700; border-radius: 10px; padding: 1px 8px;
  white-space: nowrap; }
.badge.pending { background: var(--yellow-bg); color: var(--yellow-ink); }
.badge.approved { background: var(--green-bg); color: var(--green); }
.badge.rejected, .badge.failed { background: var(--red-bg); color: #a3123e; }
.badge.expired, .badge.cancelled { background: var(--grey-bg); color: var(--muted); }
.pager { display: flex; justify-content: space-between; gap: 8px; margin-top: 12px; }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 14px; margin: 0; }
.facts dt { color: var(--muted); }
.facts dd { margin: 0; overflow-wrap: anywhere; }
ol.timeline { list-style: none; margin: 0; padding: 0; }
ol.timeline li { display: grid; grid-template-columns: 7.5rem 6.5rem 1fr; gap: 10px; padding: 7px 0;
  border-bottom: 1px solid #eee; font-size: 14px; }
ol.timeline .at { font-family: var(--mono); font-size: 12px; color: var(--muted); padding-top: 2px; }
ol.timeline .kind { font-size: 12px; font-weight: 700; text-transform: uppercase; letter-spacing: .02em; padding-top: 2px; }
.kind.in { color: var(--link); } .kind.out { color: var(--green); } .kind.bad { color: var(--red); }
.kind.note { color: var(--muted); }
.detail { color: var(--muted); font-size: 13px; overflow-wrap: anywhere; }
.status-ok { color: var(--green); font-weight: 600; } .status-bad { color: #a3123e; font-weight: 600; }
@media (max-width: 44rem) {
  main { padding: 0 10px; }
  table.list thead { display: none; }
  table.list, table.list tbody, table.list tr, table.list td { display: block; width: 100%; }
  table.list tr { border: 1px solid var(--line); border-radius: 8px; margin-bottom: 10px; background: #fff; padding: 6px 0; }
  table.list td { display: inline-block; width: auto; border: 0; padding: 2px 10px; }
  table.list td[data-label="Latest"] { display: block; }
  table.list td[data-label]::before { content: attr(data-label) " "; color: var(--muted); font-size: 12px; }
  ol.timeline li { grid-template-columns: auto 1fr; gap: 2px 10px; }
  ol.timeline li > span:last-child { grid-column: 1 / -1; }
  ol.timeline .at .date { display: none; }
}
`;

export interface PageOptions {
  /** Shows who is signed in and a sign-out button. */
  session?: Session;
  narrow?: boolean;
}

export function page(title: string, body: string, options: PageOptions = {}): string {
  const who = options.session
    ? `<div class="who"><span id="signed-in-as">@${escapeHtml(options.session.login)}</span>
<form method="post" action="/signout">${csrfField(options.session)}<button type="submit" id="sign-out">Sign out</button></form></div>`
    : "";
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · slack-deploy-gate</title><link rel="icon" href="data:,">
<style>${CSS}</style></head>
<body><header class="bar"><a class="brand" href="/activity">slack-deploy-gate</a>${who}</header>
<main${options.narrow ? ' class="narrow"' : ""}>${body}</main></body></html>`;
}

const SECURITY_HEADERS = {
  "cache-control": "no-store",
  "referrer-policy": "same-origin",
  "x-frame-options": "DENY",
  "x-content-type-options": "nosniff",
  "content-security-policy":
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
};

export function sendHtml(
  res: ServerResponse,
  status: number,
  html: string,
  headers: Record<string, string | string[]> = {},
): void {
  res
    .writeHead(status, { "content-type": "text/html; charset=utf-8", ...SECURITY_HEADERS, ...headers })
    .end(html);
}

export function redirect(
  res: ServerResponse,
  location: string,
  headers: Record<string, string | string[]> = {},
): void {
  res
    .writeHead(303, { location, "cache-control": "no-store", "referrer-policy": "same-origin", ...headers })
    .end();
}

/** Headers for answers that are not HTML (exports): private, never cached or sniffed. */
export const PRIVATE_HEADERS = {
  "cache-control": "no-store",
  "x-content-type-options": "nosniff",
  "referrer-policy": "same-origin",
};
