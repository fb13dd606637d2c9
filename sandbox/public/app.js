// The sandbox page: polls the sandbox server for what Slack and GitHub hold, renders it, and turns
// clicks into the requests a real Slack client and a real workflow would make.
import { escapeHtml, findElement, icon, mrkdwn, renderBlocks } from "./blockkit.js";

const $ = (id) => document.getElementById(id);
let state;
let lastRendered = "";
let currentUser = "U0ALICE";
let policyDirty = false;
let openModalId;
let lastNewest;

async function api(method, path, body) {
  const response = await fetch(path, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(data.error ?? `HTTP ${response.status}`);
  return data;
}

function ctx() {
  return { users: state?.users ?? {}, groups: state?.groups ?? {} };
}

function timeOf(ts) {
  const date = new Date(Number.parseFloat(ts) * 1000);
  return `${String(date.getHours()).padStart(2, "0")}:${String(date.getMinutes()).padStart(2, "0")}`;
}

function botHeader(ts, extra = "") {
  return `<div class="msg-head"><span class="msg-name">Deploy Gate</span><span class="app-badge">APP</span><span class="msg-time">${escapeHtml(timeOf(ts))}</span>${extra}</div>`;
}

function renderMessage(message) {
  const blocks = message.blocks?.length
    ? renderBlocks(message.blocks, ctx())
    : `<div class="bk-text">${mrkdwn(message.text, ctx())}</div>`;
  const edited = message.edited ? `<span class="msg-edited">(edited)</span>` : "";
  const replies = message.replies ?? [];
  const thread = replies.length
    ? `<div class="thread"><div class="thread-count">${replies.length} ${replies.length === 1 ? "reply" : "replies"} in thread</div>${replies
        .map(
          (r) =>
            `<div class="reply" data-ts="${escapeHtml(r.ts)}"><span class="avatar small" aria-hidden="true">DG</span><div>${botHeader(r.ts)}<div class="bk-text">${mrkdwn(r.text, ctx())}</div></div></div>`,
        )
        .join("")}</div>`
    : "";
  return `<article class="msg" data-ts="${escapeHtml(message.ts)}"><span class="avatar" aria-hidden="true">DG</span><div class="msg-main">${botHeader(message.ts, edited)}<div class="blocks">${blocks}</div>${thread}</div></article>`;
}

function renderEphemeral(ephemeral) {
  const body = ephemeral.blocks?.length
    ? renderBlocks(ephemeral.blocks, ctx())
    : `<div class="bk-text">${mrkdwn(ephemeral.text, ctx())}</div>`;
  return `<article class="msg ephemeral" data-ephemeral-ts="${escapeHtml(ephemeral.ts)}"><span class="avatar" aria-hidden="true">DG</span><div class="msg-main"><div class="only-you">${icon("eye")} Only visible to you</div>${botHeader(ephemeral.ts)}<div class="blocks">${body}</div></div></article>`;
}

function renderFeed() {
  const items = [
    ...state.messages.map((m) => ({ ts: m.ts, html: renderMessage(m) })),
    ...state.ephemerals
      .filter((e) => e.user === currentUser)
      .map((e) => ({ ts: e.ts, html: renderEphemeral(e) })),
  ].sort((a, b) => Number.parseFloat(a.ts) - Number.parseFloat(b.ts));
  const feed = $("feed");
  feed.innerHTML = items.length
    ? items.map((i) => i.html).join("")
    : `<p class="empty">No messages yet. Choose an environment and press <b>Start a deployment</b>.</p>`;
  // Like Slack: something new in the channel is brought into view (unless you are typing elsewhere).
  const newest = items.at(-1)?.ts;
  const typing = ["TEXTAREA", "INPUT", "SELECT"].includes(document.activeElement?.tagName ?? "");
  if (newest !== lastNewest && lastNewest !== undefined && !typing) {
    feed.lastElementChild?.scrollIntoView({ block: "nearest" });
  }
  lastNewest = newest;
}

function modeStatus(run) {
  const decision = run.action?.outputs?.decision;
  if (run.mode === "dispatched") {
    if (!run.action)
      return { cls: "waiting", label: "Started by slack-deploy-gate on approval · verifying it" };
    return run.action.code === 0
      ? {
          cls: "approved",
          label: `Started on approval of run #${run.startedBy ?? "?"} · verify passed · deploying`,
        }
      : { cls: "rejected", label: "Started · verify failed: nothing deployed" };
  }
  if (run.mode === "wait") {
    if (run.holding)
      return { cls: "waiting", label: "Runner held · the Action's step waits for the decision" };
    if (decision === "approved")
      return { cls: "approved", label: `Approved · the step passed, deploying to ${run.environment}` };
    if (decision === "rejected")
      return { cls: "rejected", label: "Rejected · the step failed, the deploy did not run" };
    if (decision === "expired")
      return { cls: "rejected", label: "Expired · nobody decided within the timeout" };
    return undefined;
  }
  if (run.mode === "dispatch") {
    const started = state.runs.find((r) => r.mode === "dispatched" && r.startedBy === run.runId);
    if (started) return { cls: "approved", label: `Approved · started run #${started.runId}` };
    if (run.action?.code === 0)
      return { cls: "neutral", label: "Job done, runner free · on approval the App starts deploy.yml" };
  }
  return undefined;
}

function runStatus(run) {
  const byMode = modeStatus(run);
  if (byMode) return byMode;
  if (run.conclusion === "success") return { cls: "approved", label: `Deployed · the run succeeded` };
  if (run.conclusion === "failure" || run.reviews.some((r) => r.state === "rejected")) {
    return { cls: "rejected", label: "Rejected · the deploy job did not run" };
  }
  if (run.conclusion === "cancelled") return { cls: "neutral", label: "Cancelled" };
  if (run.waitingEnvironments.includes(run.environment)) {
    return { cls: "waiting", label: `Waiting for approval · ${run.environment} is on hold` };
  }
  if (run.reviews.some((r) => r.state === "approved"))
    return { cls: "approved", label: `Approved · deploying to ${run.environment}` };
  if (run.status === "in_progress")
    return {
      cls: "rejected",
      label: `Deploying to ${run.environment} without the App's review (protection bypassed)`,
    };
  return { cls: "neutral", label: run.status };
}

/**
 * What can happen to a gate-mode run outside Slack, each done as GitHub would (sandbox/api.ts
 * `runControl`): the request message follows it.
 */
function runControls(run) {
  if (run.mode && run.mode !== "gate") return "";
  if (run.status === "completed") return "";
  const waiting = run.waitingEnvironments.includes(run.environment);
  const controls = waiting
    ? [
        [
          "approve-in-github",
          "Approve in GitHub",
          "A required reviewer of the environment approves in GitHub's own UI",
        ],
        [
          "reject-in-github",
          "Reject in GitHub",
          "A required reviewer rejects in GitHub's own UI: the run fails",
        ],
        [
          "bypass",
          "Bypass protection",
          "An admin bypasses the protection rules: the deploy job starts unreviewed",
        ],
        ["expire", "Let it expire", "Skips ahead to the request's expiry (the policy's expire-after)"],
        ["cancel", "Cancel run", "Someone cancels the workflow run"],
      ]
    : [
        ["finish", "Deploy finishes", "The deploy job finishes and the run succeeds"],
        ["cancel", "Cancel run", "Someone cancels the workflow run"],
      ];
  return `<div class="run-controls" aria-label="What happens in GitHub">${controls
    .map(
      ([control, label, title]) =>
        `<button type="button" class="secondary-action small-action" data-control="${control}" title="${escapeHtml(title)}">${escapeHtml(label)}</button>`,
    )
    .join("")}</div>`;
}

function renderRuns() {
  const runs = state.runs;
  $("runs").innerHTML = runs.length
    ? runs
        .map((run) => {
          const status = runStatus(run);
          const reviews = run.reviews.length
            ? run.reviews
                .map(
                  (r) =>
                    `<div class="review review-${escapeHtml(r.state)}"><div class="review-head">slack-deploy-gate <span class="muted">${r.state === "approved" ? "approved" : "rejected"} the deployment protection rule</span></div><p>${escapeHtml(r.comment)}</p></div>`,
                )
                .join("")
            : run.checkRun
              ? `<div class="review review-${run.checkRun.conclusion === "success" ? "approved" : "rejected"}"><div class="review-head">slack-deploy-gate <span class="muted">check run <code>${escapeHtml(run.checkRun.name)}</code>: ${escapeHtml(run.checkRun.conclusion ?? "")}</span></div><p>${escapeHtml(run.checkRun.title ?? "")}</p></div>`
              : run.mode && run.mode !== "gate"
                ? `<p class="muted small">No decision yet: the App records it as a check run on the commit${run.mode === "wait" ? ", which the waiting step reads" : ""}.</p>`
                : `<p class="muted small">No review yet: the App reviews the protection rule once the policy is satisfied.</p>`;
          const outputs = run.action?.outputs ?? {};
          const step = run.action
            ? `<details class="step"><summary>Action step${run.mode && run.mode !== "gate" ? ` (${escapeHtml(run.mode === "dispatched" ? "verify" : run.mode)} mode)` : ""}: ${run.action.code === "running" ? "waiting for the decision…" : run.action.code === 0 ? (run.mode === "dispatched" ? "verified the approval" : run.mode === "wait" ? "approved, passed" : "posted the request") : `failed (exit ${escapeHtml(run.action.code)})`}</summary><dl>${Object.entries(
                outputs,
              )
                .map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd><code>${escapeHtml(v)}</code></dd>`)
                .join("")}</dl><pre>${escapeHtml(run.action.log.trim())}</pre></details>`
            : `<p class="muted small">Running the Action…</p>`;
          return `<article class="run run-${status.cls}" data-run-id="${run.runId}">
            <div class="run-head"><span class="run-title">${run.mode === "dispatched" ? "Deploy webshop (dispatched)" : "Deploy webshop"} <span class="muted">#${run.runId}</span></span><span class="env">${escapeHtml(run.environment)}</span></div>
            <div class="run-commit"><code>${escapeHtml(run.sha.slice(0, 7))}</code> ${escapeHtml(run.commitTitle)} <span class="muted">· by dana-dev</span></div>
            <div class="run-status status-${status.cls}">${escapeHtml(status.label)}</div>
            ${runControls(run)}
            ${reviews}
            ${step}
          </article>`;
        })
        .join("")
    : `<p class="empty">No runs yet.</p>`;
}

// ---- What the saved policy says, for the labels: they follow the policy, not the defaults ----

function listed(items) {
  return items.length <= 1 ? items.join("") : `${items.slice(0, -1).join(", ")} and ${items.at(-1)}`;
}

function approverFor(id) {
  return Object.entries(state.rules ?? {})
    .filter(([, rules]) => rules?.approvers.includes(id))
    .map(([environment]) => environment);
}

function triggersRuns(person) {
  return person.role.includes("triggered");
}

function roleOf(person) {
  const role = approverFor(person.id).length ? "approver" : "not an approver";
  return triggersRuns(person) ? `${role}, triggered the run` : role;
}

function hintFor(id) {
  const person = state.people.find((p) => p.id === id);
  if (!person) return "";
  const environments = approverFor(id);
  if (!triggersRuns(person)) {
    return environments.length
      ? `${person.name} is an approver for ${listed(environments)}.`
      : `${person.name} is not an approver in the policy: ${person.name}'s clicks are refused, and only ${person.name} sees why.`;
  }
  const started = `${person.name} started the runs (GitHub login dana-dev).`;
  if (!environments.length) return `${started} Not an approver in the policy, so every click is refused.`;
  const noSelf = environments.filter((e) => !state.rules[e].allowSelfApproval);
  return noSelf.length
    ? `${started} An approver for ${listed(environments)}: may reject, but may not approve a run of their own in ${listed(noSelf)}.`
    : `${started} An approver for ${listed(environments)}, and the policy allows approving one's own run.`;
}

function renderEnvironmentLabels() {
  for (const option of $("environment").options) {
    const rules = state.rules?.[option.value];
    if (rules === undefined) continue;
    const needs =
      rules === null || rules.approvers.length === 0
        ? "nobody may approve"
        : `needs ${rules.requiredApprovals} ${rules.requiredApprovals === 1 ? "approval" : "approvals"}`;
    option.textContent = `${option.value} (${needs})`;
  }
}

function renderWho() {
  const who = $("who");
  if (!who.childElementCount) {
    who.innerHTML = state.people
      .map(
        (p) =>
          `<label class="who-option" data-user="${escapeHtml(p.id)}"><input type="radio" name="who" value="${escapeHtml(p.id)}"><span class="avatar person" aria-hidden="true">${escapeHtml(p.name[0])}</span><span><b>${escapeHtml(p.name)}</b><small>${escapeHtml(p.role)}</small></span></label>`,
      )
      .join("");
    who.addEventListener("change", (event) => {
      currentUser = event.target.value;
      openModalId = undefined;
      $("modal").hidden = true;
      render(true);
    });
  }
  for (const input of who.querySelectorAll("input")) input.checked = input.value === currentUser;
  for (const label of who.querySelectorAll(".who-option")) {
    label.classList.toggle("selected", label.dataset.user === currentUser);
    const person = state.people.find((p) => p.id === label.dataset.user);
    if (person) label.querySelector("small").textContent = roleOf(person);
  }
  $("who-hint").textContent = hintFor(currentUser);
  renderEnvironmentLabels();
}

function renderModal() {
  const view = [...state.views].reverse().find((v) => v.user === currentUser && v.view.type === "modal");
  if (!view) {
    $("modal").hidden = true;
    openModalId = undefined;
    return;
  }
  if (openModalId === view.id) return;
  openModalId = view.id;
  const v = view.view;
  $("modal-title").textContent = v.title?.text ?? "";
  $("modal-submit").textContent = v.submit?.text ?? "Submit";
  $("modal-close").textContent = v.close?.text ?? "Cancel";
  $("modal-body").innerHTML = (v.blocks ?? [])
    .map((block) => {
      if (block.type !== "input") return renderBlocks([block], ctx());
      const el = block.element ?? {};
      const field = el.multiline
        ? `<textarea id="input-${escapeHtml(block.block_id)}" name="${escapeHtml(block.block_id)}" maxlength="${el.max_length ?? 3000}" placeholder="${escapeHtml(el.placeholder?.text ?? "")}"></textarea>`
        : `<input id="input-${escapeHtml(block.block_id)}" name="${escapeHtml(block.block_id)}" maxlength="${el.max_length ?? 3000}" placeholder="${escapeHtml(el.placeholder?.text ?? "")}">`;
      return `<div class="input-block" data-block-id="${escapeHtml(block.block_id)}"><label for="input-${escapeHtml(block.block_id)}">${escapeHtml(block.label?.text ?? "")}${block.optional ? ' <span class="muted">(optional)</span>' : ""}</label>${field}<p class="input-error" role="alert" hidden></p></div>`;
    })
    .join("");
  $("modal").hidden = false;
  $("modal-body").querySelector("textarea, input")?.focus();
}

function render(force = false) {
  if (!state) return;
  const snapshot = JSON.stringify([state.messages, state.ephemerals, state.runs, state.views, currentUser]);
  renderWho();
  if (!force && snapshot === lastRendered) return;
  lastRendered = snapshot;
  renderFeed();
  renderRuns();
  renderModal();
  if (!policyDirty && document.activeElement !== $("policy")) $("policy").value = state.policy;
}

async function refresh() {
  try {
    state = await api("GET", "/api/state");
    $("repo-name").textContent = state.repository;
    render();
  } catch {
    // The server may be restarting; the next poll tries again.
  }
}

function confirmDialog(confirm, style) {
  return new Promise((resolve) => {
    $("confirm-title").textContent = confirm.title?.text ?? "Are you sure?";
    $("confirm-text").innerHTML =
      confirm.text?.type === "mrkdwn"
        ? mrkdwn(confirm.text.text, ctx())
        : escapeHtml(confirm.text?.text ?? "");
    const ok = $("confirm-ok");
    ok.textContent = confirm.confirm?.text ?? "Yes";
    ok.className = style === "danger" || confirm.style === "danger" ? "bk-danger-solid" : "bk-primary-solid";
    $("confirm-deny").textContent = confirm.deny?.text ?? "Cancel";
    $("confirm").hidden = false;
    ok.focus();
    const done = (answer) => {
      $("confirm").hidden = true;
      ok.onclick = null;
      $("confirm-deny").onclick = null;
      resolve(answer);
    };
    ok.onclick = () => done(true);
    $("confirm-deny").onclick = () => done(false);
  });
}

$("feed").addEventListener("click", async (event) => {
  const buttonEl = event.target.closest("button[data-action-id]");
  if (!buttonEl) return;
  const ts = buttonEl.closest("[data-ts]")?.dataset.ts;
  const message = state.messages.find((m) => m.ts === ts);
  if (!message) return;
  const element = findElement(message.blocks, buttonEl.dataset.blockId, buttonEl.dataset.actionId);
  if (!element) return;
  if (element.confirm && !(await confirmDialog(element.confirm, element.style))) return;
  const action = /approve/.test(element.action_id) ? "approve" : "reject";
  buttonEl.disabled = true;
  try {
    await api("POST", "/api/click", { ts, action, user: currentUser });
  } catch (error) {
    alert(`The click did not go through: ${error.message}`);
  }
  setTimeout(refresh, 150);
});

$("runs").addEventListener("click", async (event) => {
  const buttonEl = event.target.closest("button[data-control]");
  if (!buttonEl) return;
  const runId = Number(buttonEl.closest("[data-run-id]")?.dataset.runId);
  buttonEl.disabled = true;
  try {
    await api("POST", "/api/runs/control", { runId, control: buttonEl.dataset.control });
  } catch (error) {
    alert(`GitHub could not do that: ${error.message}`);
  }
  setTimeout(refresh, 150);
});

$("modal-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const viewId = openModalId;
  const field = $("modal-body").querySelector("textarea, input");
  const submit = $("modal-submit");
  submit.disabled = true;
  try {
    const result = await api("POST", "/api/modal/submit", {
      viewId,
      user: currentUser,
      reason: field?.value ?? "",
    });
    for (const p of $("modal-body").querySelectorAll(".input-error")) p.hidden = true;
    if (!result.ok) {
      for (const [blockId, text] of Object.entries(result.errors ?? {})) {
        const p = $("modal-body").querySelector(`[data-block-id="${CSS.escape(blockId)}"] .input-error`);
        if (p) {
          p.textContent = text;
          p.hidden = false;
        }
      }
      return;
    }
    $("modal").hidden = true;
    openModalId = undefined;
    setTimeout(refresh, 150);
  } catch (error) {
    alert(`Slack could not submit the form: ${error.message}`);
  } finally {
    submit.disabled = false;
  }
});

$("modal-close").addEventListener("click", async () => {
  const viewId = openModalId;
  $("modal").hidden = true;
  if (viewId) await api("POST", "/api/modal/close", { viewId }).catch(() => {});
});

$("start-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const environment = $("environment").value;
  const mode = $("mode").value;
  const button = $("start");
  button.disabled = true;
  $("start-status").textContent = `Starting a run for ${environment} and running the Action…`;
  try {
    const result = await api("POST", "/api/deployments", { environment, mode });
    const waiting = {
      gate: `Run #${result.runId} is waiting at ${environment}. The Action posted the request to #deploys.`,
      wait: `Run #${result.runId}: the Action posted the request and its step now holds the runner until someone decides.`,
      dispatch: `Run #${result.runId}: the Action posted the request and the job ended; an approval starts a second run.`,
    };
    $("start-status").textContent =
      result.action.code === 0 || result.action.code === "running"
        ? waiting[result.mode]
        : `Run #${result.runId}: the Action failed; see its step output below.`;
  } catch (error) {
    $("start-status").textContent = `Could not start: ${error.message}`;
  } finally {
    button.disabled = false;
    refresh();
  }
});

$("policy").addEventListener("input", () => {
  policyDirty = true;
  $("policy-status").textContent = "Unsaved changes";
});

async function savePolicy(path, method, body) {
  $("policy-status").textContent = "Saving…";
  try {
    const result = await api(method, path, body);
    if (!result.saved) {
      // Kept in the editor, unsaved: the App would refuse every click with exactly this.
      $("policy-status").textContent = `Not saved: the App would refuse every click with "${result.refusal}"`;
      return;
    }
    policyDirty = false;
    // A valid policy may still surprise: the App's warnings (approvers it cannot identify on GitHub).
    const warnings = result.warnings?.length ? ` Warning: ${result.warnings.join(" · ")}` : "";
    $("policy-status").textContent =
      `Saved to main; GitHub sent a push webhook and the App answered ${result.pushStatus}. It applies to the next click.${warnings}`;
    await refresh();
    $("policy").value = state.policy;
  } catch (error) {
    $("policy-status").textContent = `Not saved: ${error.message}`;
  }
}

$("save-policy").addEventListener("click", () =>
  savePolicy("/api/policy", "PUT", { text: $("policy").value }),
);
$("reset-policy").addEventListener("click", () => savePolicy("/api/policy/reset", "POST", {}));
// `/deploy-gate link` as the current person: the App's answer (with its link button) shows in the feed.
$("link-github").addEventListener("click", async () => {
  await api("POST", "/api/command", { user: currentUser, text: "link" });
  await refresh();
});

document.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && !$("confirm").hidden) $("confirm-deny").click();
});

await refresh();
setInterval(refresh, 800);
