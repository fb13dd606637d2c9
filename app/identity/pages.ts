// The link flow's pages: plain HTML in the sandbox's look, nothing loaded from elsewhere, every value
// escaped. Served with headers that keep them out of frames (the Continue button cannot be clickjacked),
// out of caches and out of other sites' Referer headers (the URL carries a ticket).
import type { ServerResponse } from "node:http";

export function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] as string,
  );
}

const CSS = `
:root { --ink: #1d1c1d; --muted: #616061; --line: #dddddd; --bg: #f4f5f7; --aubergine: #3f0e40;
  --green: #007a5a; --green-bg: #e3f4ee; --red: #e01e5a; --red-bg: #fde8ef; --yellow-bg: #fff4d6;
  --font: -apple-system, BlinkMacSystemFont, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px / 1.5 var(--font); color: var(--ink); background: var(--bg); }
header { background: var(--aubergine); color: #fff; padding: 14px 20px; font-weight: 700; }
main { max-width: 34rem; margin: 24px auto; padding: 0 16px; }
.panel { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 18px 20px; }
.panel h1 { font-size: 20px; margin: 0 0 12px; }
.who { display: grid; grid-template-columns: auto 1fr; gap: 4px 12px; margin: 12px 0; }
.who dt { color: var(--muted); }
.who dd { margin: 0; font-weight: 600; overflow-wrap: anywhere; }
.warning { background: var(--yellow-bg); border-radius: 6px; padding: 10px 12px; margin: 12px 0; }
.ok { background: var(--green-bg); border-radius: 6px; padding: 10px 12px; }
.error { background: var(--red-bg); border-radius: 6px; padding: 10px 12px; }
button { font: inherit; font-weight: 700; color: #fff; background: var(--green); border: 0; border-radius: 6px;
  padding: 9px 16px; cursor: pointer; }
code { background: #f0f0f0; border-radius: 3px; padding: 1px 4px; }
.muted { color: var(--muted); font-size: 13px; }
`;

export function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · slack-deploy-gate</title><link rel="icon" href="data:,">
<style>${CSS}</style></head>
<body><header>slack-deploy-gate</header><main><div class="panel"><h1>${escapeHtml(title)}</h1>
${body}</div></main></body></html>`;
}

export function sendPage(
  res: ServerResponse,
  status: number,
  html: string,
  options: { formTarget?: string; cookies?: string[] } = {},
): void {
  const headers: Record<string, string | string[]> = {
    "content-type": "text/html; charset=utf-8",
    "cache-control": "no-store",
    // Never to another origin (the URL carries a ticket); to the App itself, so its form post carries
    // an Origin header (under no-referrer, browsers send "Origin: null").
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    // A form post may be answered by a redirect to GitHub: form-action must allow its origin too.
    "content-security-policy": `default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'${options.formTarget ? ` ${options.formTarget}` : ""}; frame-ancestors 'none'; base-uri 'none'`,
  };
  if (options.cookies?.length) headers["set-cookie"] = options.cookies;
  res.writeHead(status, headers).end(html);
}

export interface ConfirmView {
  ticket: string;
  confirm: string;
  slackUserId: string;
  slackName: string | undefined;
  current: { login: string } | undefined;
  githubHost: string;
}

/** The page a link button opens: who is being linked, and a button that goes on to GitHub. */
export function confirmPage(view: ConfirmView): string {
  const name = view.slackName ? `${escapeHtml(view.slackName)} ` : "";
  const current = view.current
    ? `<p>This Slack account is linked to <b>@${escapeHtml(view.current.login)}</b> now; signing in with another GitHub account replaces that link.</p>`
    : "";
  return page(
    "Link your GitHub account",
    `<p>Sign in to GitHub to prove which GitHub account is yours. Deployment approvals you give in Slack will then name you on GitHub, and policies that name GitHub teams will recognise you.</p>
<dl class="who"><dt>Slack account</dt><dd id="slack-user">${name}<code>${escapeHtml(view.slackUserId)}</code></dd>
<dt>GitHub</dt><dd>${escapeHtml(view.githubHost)}</dd></dl>
${current}
<p class="warning"><b>Only continue if you are this Slack user</b> and you opened this page from Slack yourself. Anyone who continues here links <em>their</em> GitHub account to this Slack user.</p>
<form method="post" action="/github/link">
<input type="hidden" name="ticket" value="${escapeHtml(view.ticket)}">
<input type="hidden" name="confirm" value="${escapeHtml(view.confirm)}">
<button type="submit" id="continue">Continue to GitHub</button>
</form>
<p class="muted">slack-deploy-gate reads who you are on GitHub once and keeps only your account's id and login. It keeps no GitHub token.</p>`,
  );
}

export function linkedPage(view: {
  login: string;
  slackUserId: string;
  replaced: string | undefined;
}): string {
  const replaced = view.replaced ? ` (it replaces the link to @${escapeHtml(view.replaced)})` : "";
  return page(
    "GitHub account linked",
    `<p class="ok" id="outcome">Your Slack account <code>${escapeHtml(view.slackUserId)}</code> is now linked to GitHub <b>@${escapeHtml(view.login)}</b>${replaced}.</p>
<p>You can close this tab and go back to Slack. <code>/deploy-gate whoami</code> shows the link; <code>/deploy-gate unlink</code> removes it.</p>`,
  );
}

export function problemPage(title: string, text: string): string {
  return page(
    title,
    `<p class="error" id="outcome">${escapeHtml(text)}</p>
<p>Nothing was linked. To try again, use <code>/deploy-gate link</code> in Slack for a fresh link.</p>`,
  );
}
