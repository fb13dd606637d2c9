// The setup page, rendered on the server: a checklist of what the App still needs, the GitHub step, the
// Slack step (in one step with a configuration token, or by hand with the filled manifest), and the
// finish. Every value shown is escaped; no credential is ever part of a page.
import type { Session } from "./guard.js";
import { GITHUB_CALLBACK_PATH, MAX_APP_NAME } from "./manifests.js";
import type { SetupStatus } from "./status.js";
import { SETUP_CSS } from "./style.js";

export function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] as string,
  );
}

const CHECK_SVG =
  '<svg viewBox="0 0 16 16" aria-hidden="true"><path d="M3 8.5l3 3 7-7" fill="none" stroke="#fff" stroke-width="2.2" stroke-linecap="round" stroke-linejoin="round"/></svg>';

export interface PageView {
  status: SetupStatus;
  csrf: string;
  nonce: string;
  flash: Session["flash"];
  envPath: string;
  /** Where GitHub Apps are registered (github.com or the GHE host). */
  githubWebUrl: string;
  /** This page's own origin, where GitHub and Slack send the browser back. */
  origin: string;
  /** The public address, when known (GitHub's record, PUBLIC_URL, or what was entered). */
  publicUrl: string | undefined;
  /** A suggestion for the public address field when it is not known. */
  suggestedPublicUrl: string | undefined;
  appName: string;
  manifestYaml: string;
  permissions: Record<string, string>;
  events: string[];
}

export function layout(options: { title: string; nonce: string; body: string; script?: string }): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(options.title)}</title>
<link rel="icon" href="data:,">
<style nonce="${options.nonce}">${SETUP_CSS}</style>
</head>
<body>
${options.body}
${options.script ? `<script nonce="${options.nonce}">${options.script}</script>` : ""}
</body>
</html>`;
}

function header(lead: string): string {
  return `<header class="intro">
  <div>
    <h1>slack-deploy-gate <span class="tag">setup</span></h1>
    <p>${lead}</p>
  </div>
</header>`;
}

/** A page that says one thing: an error, a refusal, or what happens next. */
export function messagePage(options: {
  title: string;
  nonce: string;
  html: string;
  back?: boolean;
  script?: string;
  lead?: string;
}): string {
  return layout({
    title: `${options.title} · slack-deploy-gate setup`,
    nonce: options.nonce,
    ...(options.script ? { script: options.script } : {}),
    body: `${header(options.lead ?? "Register the GitHub App and the Slack app for this App, and store their credentials in <code>.env</code>.")}
<main class="message"><section class="panel"><div class="panel-title"><h2>${escapeHtml(options.title)}</h2></div>
<div class="panel-body">${options.html}${options.back === false ? "" : '<p><a class="secondary-action" href="/setup">Back to setup</a></p>'}</div></section></main>`,
  });
}

function check(done: boolean, title: string, detail: string, id: string): string {
  return `<li class="check${done ? " done" : ""}" id="check-${id}" data-done="${done}">
  <span class="mark">${CHECK_SVG}</span>
  <span><b>${title}</b><span class="detail">${detail}</span></span>
</li>`;
}

function installUrl(status: SetupStatus): string | undefined {
  const url = status.github.app?.htmlUrl;
  return url ? `${url}/installations/new` : undefined;
}

/** The checklist, also served alone for the page to refresh itself while credentials arrive. */
export function checklist(view: Pick<PageView, "status" | "csrf" | "envPath">): string {
  const { status } = view;
  const app = status.github.app;
  const installs = status.github.installations;
  const install = installUrl(status);
  const stage = [
    status.github.registered,
    status.slack.canInstall,
    status.slack.signingSecret,
    status.slack.botToken,
    status.complete,
  ]
    .map((v) => (v ? 1 : 0))
    .join("");
  const items = [
    check(
      status.github.registered,
      "GitHub App registered",
      status.github.registered
        ? `${app ? `${escapeHtml(app.name)}: ` : ""}<code>APP_ID</code>, its private key and <code>WEBHOOK_SECRET</code> are stored`
        : "<code>APP_ID</code>, <code>PRIVATE_KEY</code>, <code>WEBHOOK_SECRET</code>",
      "github",
    ),
    check(
      (installs ?? 0) > 0,
      "GitHub App installed",
      (installs ?? 0) > 0
        ? `on ${installs} account${installs === 1 ? "" : "s"}${install ? ` (<a href="${escapeHtml(install)}" target="_blank" rel="noopener noreferrer">add more</a>)` : ""}`
        : install
          ? `<a href="${escapeHtml(install)}" target="_blank" rel="noopener noreferrer">Install it</a> on the repositories whose deployments it gates`
          : "after registering: on the repositories whose deployments it gates",
      "install",
    ),
    check(
      status.slack.signingSecret,
      "Slack signing secret stored",
      "<code>SLACK_SIGNING_SECRET</code>: verifies every click",
      "signing",
    ),
    check(
      status.slack.botToken,
      "Slack bot token stored",
      "<code>SLACK_BOT_TOKEN</code>: updates the messages",
      "token",
    ),
  ];
  const problem = status.github.problem
    ? `<p class="warning small">GitHub: ${escapeHtml(status.github.problem)}</p>`
    : "";
  const overrides = status.overrides.length
    ? `<p class="warning small">The environment sets ${status.overrides.map((k) => `<code>${k}</code>`).join(", ")} to something other than <code>.env</code>; the environment wins at start-up. Unset ${status.overrides.length === 1 ? "it" : "them"} to use what setup stored.</p>`
    : "";
  const finish = status.complete
    ? `<div class="finish ready" id="finish">
  <p><b>Everything the App needs is in <code>${escapeHtml(view.envPath)}</code>.</b> Start it now, or restart <code>npm start</code>.</p>
  <form method="post" action="/setup/finish"><input type="hidden" name="csrf" value="${escapeHtml(view.csrf)}">
  <button class="primary-action" id="start-app" type="submit">Start the App</button></form>
</div>`
    : `<div class="finish" id="finish"><p class="small muted">When every credential is stored, the App can start. Each one is written to <code>${escapeHtml(view.envPath)}</code> (mode 0600) and never shown here.</p></div>`;
  return `<div class="panel-title"><h2>What the App needs</h2><span class="panel-note">Turns green as each credential arrives</span></div>
<ol data-stage="${stage}" id="checks">${items.join("\n")}</ol>${problem}${overrides}
${finish}`;
}

function flash(view: PageView): string {
  return view.flash
    ? `<p class="flash ${view.flash.kind}" role="status" id="flash">${escapeHtml(view.flash.text)}</p>`
    : "";
}

function githubStep(view: PageView): string {
  const { status } = view;
  if (status.github.registered) {
    const app = status.github.app;
    const install = installUrl(status);
    return `<section class="panel done" id="github-step">
<div class="panel-title"><h2><span class="number">1</span> GitHub App registered</h2></div>
<div class="panel-body">
<dl class="facts">
  ${app ? `<dt>App</dt><dd><a href="${escapeHtml(app.htmlUrl)}" target="_blank" rel="noopener noreferrer">${escapeHtml(app.name)}</a>${app.owner ? ` (owned by ${escapeHtml(app.owner)})` : ""}</dd>` : ""}
  ${status.github.publicUrl ? `<dt>Webhooks to</dt><dd><code>${escapeHtml(status.github.publicUrl)}/api/github/webhooks</code></dd>` : ""}
  <dt>Stored</dt><dd><code>APP_ID</code>, <code>PRIVATE_KEY</code>, <code>WEBHOOK_SECRET</code>, <code>GITHUB_CLIENT_ID</code>, <code>GITHUB_CLIENT_SECRET</code></dd>
</dl>
${
  install
    ? `<p><a class="primary-action" id="install-github" href="${escapeHtml(install)}" target="_blank" rel="noopener noreferrer">Install it on your repositories</a></p>
<p class="small muted">Then, in each repository: Settings, Environments, <i>production</i>, Deployment protection rules: enable ${escapeHtml(app?.name ?? "the App")}.</p>`
    : ""
}
</div></section>`;
  }
  const permissions = Object.entries(view.permissions)
    .map(([name, level]) => `<span class="pill">${escapeHtml(name)}: ${escapeHtml(level)}</span>`)
    .join("");
  const events = view.events.map((e) => `<span class="pill">${escapeHtml(e)}</span>`).join("");
  return `<section class="panel" id="github-step">
<div class="panel-title"><h2><span class="number">1</span> Register the GitHub App</h2>
<span class="panel-note">GitHub creates it from <code>app.yml</code> and sends its credentials back here</span></div>
<div class="panel-body">
<form class="stack" method="post" action="/setup/github" id="github-form">
  <input type="hidden" name="csrf" value="${escapeHtml(view.csrf)}">
  <label for="public_url">Public address of this App
    <span class="hint">Where GitHub sends webhooks and Slack sends clicks: https, reachable from the internet (on a laptop, your tunnel's address).</span>
    <input type="url" id="public_url" name="public_url" required placeholder="https://deploy-gate.example.com" value="${escapeHtml(view.publicUrl ?? view.suggestedPublicUrl ?? "")}">
  </label>
  <div class="row">
    <label for="app_name">App name
      <span class="hint">Unique on GitHub, at most ${MAX_APP_NAME} characters.</span>
      <input type="text" id="app_name" name="app_name" required maxlength="${MAX_APP_NAME}" value="${escapeHtml(view.appName)}">
    </label>
    <label for="organization">Organization
      <span class="hint">Leave empty to register it on your own account.</span>
      <input type="text" id="organization" name="organization" maxlength="39" placeholder="acme">
    </label>
  </div>
  <dl class="facts">
    <dt>Permissions</dt><dd>${permissions}</dd>
    <dt>Events</dt><dd>${events}</dd>
    <dt>Back to</dt><dd><code>${escapeHtml(view.origin + GITHUB_CALLBACK_PATH)}</code></dd>
  </dl>
  <button class="primary-action" type="submit" id="register-github">Register on GitHub</button>
</form>
</div></section>`;
}

function slackStep(view: PageView): string {
  const { status } = view;
  if (status.slack.signingSecret && status.slack.botToken) {
    return `<section class="panel done" id="slack-step">
<div class="panel-title"><h2><span class="number">2</span> Slack app created and installed</h2></div>
<div class="panel-body"><p>Stored: <code>SLACK_SIGNING_SECRET</code> and <code>SLACK_BOT_TOKEN</code>. Invite the app to your deploy channel: <code>/invite @Deploy Gate</code>.</p></div></section>`;
  }
  const publicField = `<label for="slack_public_url">Public address of this App
    <span class="hint">Slack sends clicks to <code>…/slack/interactions</code> here.</span>
    <input type="url" id="slack_public_url" name="public_url" required placeholder="https://deploy-gate.example.com" value="${escapeHtml(view.publicUrl ?? view.suggestedPublicUrl ?? "")}">
  </label>`;
  const oneStep = status.slack.canInstall
    ? `<p>The Slack app exists; install it in your workspace to store its bot token.</p>
<form class="stack" method="post" action="/setup/slack/install" id="slack-install-form">
  <input type="hidden" name="csrf" value="${escapeHtml(view.csrf)}">
  <button class="primary-action" type="submit" id="install-slack">Install in Slack</button>
</form>`
    : `<form class="stack" method="post" action="/setup/slack/create" id="slack-form">
  <input type="hidden" name="csrf" value="${escapeHtml(view.csrf)}">
  ${publicField}
  <label for="config_token">App configuration token
    <span class="hint">At <a href="https://api.slack.com/apps" target="_blank" rel="noopener noreferrer">api.slack.com/apps</a>, under <i>Your App Configuration Tokens</i>, <i>Generate Token</i> for your workspace, and copy the access token (<code>xoxe.xoxp-…</code>). It is used once and never stored.</span>
    <input type="password" id="config_token" name="config_token" required autocomplete="off" spellcheck="false" placeholder="xoxe.xoxp-…">
  </label>
  <button class="primary-action" type="submit" id="create-slack">Create the Slack app and install it</button>
</form>`;
  return `<section class="panel" id="slack-step">
<div class="panel-title"><h2><span class="number">2</span> Create the Slack app</h2>
<span class="panel-note">From <code>slack-app-manifest.yml</code>, with this App's interactivity URL; then installed in your workspace</span></div>
<div class="panel-body">
${oneStep}
<details id="by-hand">
<summary>Or by hand: paste the manifest into Slack</summary>
<ol class="howto">
  <li>At <a href="https://api.slack.com/apps?new_app=1" target="_blank" rel="noopener noreferrer">api.slack.com/apps</a>: <i>Create New App</i>, <i>From a manifest</i>, pick the workspace, paste this:</li>
</ol>
<div class="manifest"><button class="secondary-action copy" type="button" id="copy-manifest">Copy</button><pre id="slack-manifest">${escapeHtml(view.manifestYaml)}</pre></div>
<ol class="howto" start="2">
  <li><i>Install to Workspace</i>, and allow.</li>
  <li>Paste the <i>Signing Secret</i> (Basic Information) and the <i>Bot User OAuth Token</i> (OAuth &amp; Permissions) here:</li>
</ol>
<form class="stack" method="post" action="/setup/slack/manual" id="slack-manual-form">
  <input type="hidden" name="csrf" value="${escapeHtml(view.csrf)}">
  <div class="row">
    <label for="signing_secret">Signing secret<input type="password" id="signing_secret" name="signing_secret" autocomplete="off" spellcheck="false"></label>
    <label for="bot_token">Bot token<input type="password" id="bot_token" name="bot_token" autocomplete="off" spellcheck="false" placeholder="xoxb-…"></label>
  </div>
  <button class="secondary-action" type="submit" id="store-slack">Check and store</button>
</form>
</details>
</div></section>`;
}

const PAGE_SCRIPT = `
(() => {
  const checklist = document.getElementById("checklist");
  const initial = document.getElementById("checks")?.dataset.stage;
  const typing = () => [...document.querySelectorAll("input[type=password], input[type=text], input[type=url]")]
    .some((input) => input === document.activeElement || (input.type === "password" && input.value));
  const refresh = async () => {
    if (document.hidden) return;
    try {
      const response = await fetch("/setup/checklist", { headers: { accept: "text/html" }, cache: "no-store" });
      if (!response.ok) return;
      const html = await response.text();
      checklist.innerHTML = html;
      const stage = document.getElementById("checks")?.dataset.stage;
      // A new stage changes the steps too: reload, unless someone is typing a secret.
      if (stage !== initial && !typing()) location.reload();
    } catch {}
  };
  setInterval(refresh, 2000);
  const copy = document.getElementById("copy-manifest");
  copy?.addEventListener("click", async () => {
    const text = document.getElementById("slack-manifest").textContent;
    try { await navigator.clipboard.writeText(text); copy.textContent = "Copied"; }
    catch { getSelection().selectAllChildren(document.getElementById("slack-manifest")); copy.textContent = "Press Ctrl+C"; }
  });
})();
`;

export function setupPage(view: PageView): string {
  return layout({
    title: "Set up slack-deploy-gate",
    nonce: view.nonce,
    body: `${header(
      "No <code>APP_ID</code> is set, so <code>npm start</code> serves this page instead of the App. Register the GitHub App, create the Slack app, and each credential goes straight into <code>.env</code>: nothing to copy by hand.",
    )}
<main class="setup">
  <aside class="panel checklist" id="checklist" aria-live="polite">${checklist(view)}</aside>
  <div class="steps-column">
    ${flash(view)}
    ${githubStep(view)}
    ${slackStep(view)}
  </div>
</main>`,
    script: PAGE_SCRIPT,
  });
}

/** The page that carries the manifest to GitHub: a form POST, sent at once (or by hand without script). */
export function toGitHubPage(options: {
  nonce: string;
  action: string;
  manifest: string;
  organization?: string;
}): string {
  return layout({
    title: "Continue to GitHub · slack-deploy-gate setup",
    nonce: options.nonce,
    body: `${header("Sending the App's manifest to GitHub…")}
<main class="message"><section class="panel"><div class="panel-body">
<form method="post" action="${escapeHtml(options.action)}" id="to-github">
  <input type="hidden" name="manifest" value="${escapeHtml(options.manifest)}">
  <p>GitHub will show the App${options.organization ? ` for <b>${escapeHtml(options.organization)}</b>` : ""}; press <i>Create GitHub App</i> there, and it sends you back here.</p>
  <button class="primary-action" type="submit">Continue to GitHub</button>
</form></div></section></main>`,
    script: `document.getElementById("to-github").submit();`,
  });
}

/** Shown when the App takes over this process: it polls /healthz until the App answers. */
export function startingPage(options: { nonce: string }): string {
  return messagePage({
    title: "Starting the App",
    nonce: options.nonce,
    back: false,
    lead: "Setup is done: the GitHub App and the Slack app are registered, and their credentials are in <code>.env</code>.",
    html: `<p id="starting">Setup is closed; the App is starting with the credentials in <code>.env</code>. Next time, <code>npm start</code> starts it directly.</p>
<p class="small muted">If it does not answer within a minute, the console says why. Then: start a deployment that uses the Action, and watch the request arrive in Slack.</p>`,
    script: `
(() => {
  const line = document.getElementById("starting");
  const poll = async () => {
    try {
      const response = await fetch("/healthz", { cache: "no-store" });
      if (response.ok) {
        line.textContent = "The App is running. Setup is done, and this page is not served any more.";
        line.dataset.running = "true";
        return;
      }
    } catch {}
    setTimeout(poll, 1000);
  };
  setTimeout(poll, 500);
})();
`,
  });
}
