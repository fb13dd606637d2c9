// Every sentence the App says to people: ephemeral replies, thread replies, the status line on the
// request message, and the review comment GitHub shows. Callers hand over data; everything that
// came from outside (environment and repository names from a button, policy text, reasons, notes)
// is escaped here, the same way as the Action's message, so nothing can ping a channel or forge a link.
import { escapeMrkdwn } from "../common/mrkdwn.js";
import type { Mode } from "../common/reference.js";
import type { Closure, Decider, Decision, RunOutcome } from "./store/types.js";

const esc = escapeMrkdwn;
/** Slack user IDs come from Slack's verified payloads or the store, and match `[UW][A-Z0-9]+`. */
const mention = (user: string) => (/^[UW][A-Z0-9]{1,30}$/.test(user) ? `<@${user}>` : esc(user));
const mentions = (users: readonly string[]) => users.map(mention).join(", ");

// ---- Why a click was refused (nothing changed) ----

export type Refusal =
  | { kind: "mismatch" }
  | { kind: "not_installed"; repository: string }
  | { kind: "run_missing"; repository: string; runId: number }
  | { kind: "wrong_attempt"; requested: number; current: number }
  | { kind: "run_finished"; conclusion: string | null }
  | { kind: "run_not_running"; status: string }
  | { kind: "policy_missing"; repository: string }
  | { kind: "policy_invalid"; message: string }
  | { kind: "policy_unreadable"; message: string }
  | { kind: "no_approvers"; source: string; environment: string }
  | { kind: "group_unreadable"; group: string; code: string }
  | {
      kind: "not_approver";
      environment: string;
      repository: string;
      source: string;
      /** The policy names GitHub people or teams, and the App cannot tell who the clicker is on GitHub. */
      unknownOnGitHub?: boolean;
      canLink?: boolean;
    }
  | { kind: "self_approval"; login: string; environment: string }
  // Linked accounts (app/identity/approval.ts). `canLink`: GitHub sign-in is configured on the App.
  | { kind: "link_required"; environment: string; canLink: boolean }
  | { kind: "identity_unknown"; environment: string; canLink: boolean }
  | { kind: "link_gone"; login: string; why: "missing" | "suspended"; canLink: boolean }
  | { kind: "team_unreadable"; team: string; status: number }
  | { kind: "expired" }
  // A request's life (app/requests/): closed without a decision, or a message that disagrees with its run.
  | { kind: "closed"; closure: Closure }
  | { kind: "message_mismatch"; problems: string[] }
  | { kind: "superseded"; channelId: string; messageTs: string; url: string | undefined };

export function refusal(r: Refusal): string {
  return refusalIn(r, escapeMrkdwn);
}

/** The same sentence unescaped, for the reject form's refusal view, which escapes what it is given. */
export function refusalForForm(r: Refusal): string {
  return refusalIn(r, (text) => text);
}

function refusalIn(r: Refusal, esc: (text: string) => string): string {
  switch (r.kind) {
    case "mismatch":
      return "This button does not match the approval request it names, so it was ignored.";
    case "not_installed":
      return `slack-deploy-gate is not installed on ${esc(r.repository)}, so it cannot act on its deployments.`;
    case "run_missing":
      return `Workflow run ${r.runId} does not exist in ${esc(r.repository)}.`;
    case "wrong_attempt":
      return `This request is for attempt ${r.requested} of the run, which is now on attempt ${r.current}. An approval belongs to one attempt: use the request posted for the re-run.`;
    case "run_finished":
      return r.conclusion === "cancelled"
        ? "The run has already finished (cancelled): it was cancelled, so there is nothing left to approve, and nothing was sent to GitHub."
        : `The run has already finished (${esc(r.conclusion ?? "completed")}); there is nothing left to approve.`;
    case "run_not_running":
      return `The run is ${esc(r.status)}, not running the step that waits for this decision; nothing was changed.`;
    case "policy_missing": {
      const owner = r.repository.split("/")[0] ?? "";
      return `${esc(r.repository)} has no approval policy, so nobody can approve its deployments. Add .github/slack-deploy-gate.yml to its default branch (or to ${esc(owner)}/.github).`;
    }
    case "policy_invalid":
      return `The approval policy is invalid, so nobody can approve until it is fixed: ${esc(r.message)}`;
    case "policy_unreadable":
      return `Could not read the approval policy from GitHub (${esc(r.message)}). Nothing changed; try again shortly.`;
    case "no_approvers":
      return `The policy in ${esc(r.source)} names no approvers for "${esc(r.environment)}" (and no default), so nobody can approve it.`;
    case "group_unreadable":
      return `Could not read the members of Slack group ${esc(r.group)} (${esc(r.code)}); the bot needs the usergroups:read scope. Nothing changed.`;
    case "not_approver":
      return `You are not an approver for ${esc(r.environment)} in ${esc(r.repository)} (policy: ${esc(r.source)}). Nothing was changed.${r.unknownOnGitHub ? ` The policy also names GitHub people or teams, and your Slack account is not linked to a GitHub account: ${linkAdvice(r.canLink ?? false)}` : ""}`;
    case "link_required":
      return `Approvers of ${esc(r.environment)} must have linked their GitHub account, and yours is not linked, so nothing was changed. ${linkAdvice(r.canLink)}`;
    case "identity_unknown":
      return `slack-deploy-gate cannot tell whether you triggered this run: your Slack account is not linked to a GitHub account and the policy's github-users does not name you, and ${esc(r.environment)} does not allow self-approval. Nothing was changed. ${linkAdvice(r.canLink)}`;
    case "link_gone":
      return `Your Slack account is linked to GitHub @${esc(r.login)}, which ${r.why === "missing" ? "GitHub no longer finds (deleted, or suspended)" : "GitHub reports as suspended"}, so it cannot vouch for you and nothing was changed. ${linkAdvice(r.canLink)}`;
    case "team_unreadable":
      return `GitHub would not show the members of ${esc(r.team)} (HTTP ${r.status}); the App needs the Members (read) permission on the organization. Nothing changed.`;
    case "self_approval":
      return `You triggered this run (as ${esc(r.login)}), and the policy does not allow self-approval for ${esc(r.environment)}. Another approver has to approve it.`;
    case "expired":
      return "This approval request has expired. Re-run the workflow to ask again.";
    case "closed":
      return `This request is closed: ${closureWords(r.closure, esc)}. Nothing was recorded.`;
    case "message_mismatch":
      return `This message does not match the run its buttons name (${r.problems.map(esc).join("; ")}), so nobody can approve it. Nothing was recorded; the message now shows what the buttons were for.`;
    case "superseded":
      return `Another request for this deployment was there first${r.url ? ` (${r.url})` : ""}: approve or reject it there. Nothing was recorded.`;
  }
}

/** Why a request closed, as a clause ("rejected in GitHub by @octocat"). */
function closureWords(closure: Closure, esc: (text: string) => string): string {
  switch (closure.kind) {
    case "rejected_in_github":
      return `it was rejected in GitHub${closure.login ? ` by @${esc(closure.login)}` : ""}`;
    case "bypassed":
      return "the deployment went ahead without Slack approval (protection bypassed)";
    case "run_finished":
      return closure.conclusion === "cancelled"
        ? "the run was cancelled"
        : `the run finished (${esc(closure.conclusion ?? "completed")}) before anyone decided`;
    case "mismatch":
      return "its message does not match the run its buttons name";
    case "superseded":
      return "another request for this deployment was there first";
  }
}

/** What a person who needs a linked account can do about it. */
function linkAdvice(canLink: boolean): string {
  return canLink
    ? "Link your GitHub account (the button in my reply, or /deploy-gate link), then click again."
    : "This slack-deploy-gate cannot link accounts yet: its operator has to set GITHUB_CLIENT_ID, GITHUB_CLIENT_SECRET and PUBLIC_URL.";
}

/** Refusals a linked GitHub account would answer: the clicker is offered a link button with them. */
export function linkWouldHelp(r: Refusal): boolean {
  if (r.kind === "not_approver") return r.unknownOnGitHub === true && r.canLink === true;
  if (r.kind === "link_required" || r.kind === "identity_unknown" || r.kind === "link_gone") return r.canLink;
  return false;
}

// ---- Other private replies to the person who clicked ----

export function couldNotCheck(): string {
  return "slack-deploy-gate could not check this click right now (GitHub or its database did not answer), so nothing was recorded. Please try again in a minute.";
}

export function alreadyVoted(): string {
  return "You have already voted on this request; one vote per person.";
}

export function alreadyDecided(decision: Decision, deciders: readonly Decider[]): string {
  if (decision === "expired") return "This request has already expired; nothing was recorded.";
  return `This request was already ${decision} by ${mentions(deciders.map((d) => d.slackUserId))}; nothing was recorded.`;
}

/** The losing side of a race: the vote was stored, but the decision had been taken already. */
export function voteCameAfterDecision(
  vote: "approve" | "reject",
  decision: Decision,
  deciders: readonly Decider[],
): string {
  const by = deciders.length ? ` by ${mentions(deciders.map((d) => d.slackUserId))}` : "";
  const verb = vote === "approve" ? "approval" : "rejection";
  return `Your ${verb} came after the decision and did not count: the request had been ${decision}${by} a moment before.`;
}

export function reasonFormFailed(): string {
  return "Slack would not open the reason form; please click Reject again.";
}

export function reasonFormLate(): string {
  return "slack-deploy-gate was restarted before it could open the reason form; please click Reject again.";
}

export function requestUnknown(): string {
  return "slack-deploy-gate lost track of this request's message; please click Reject again.";
}

export function unreadableButton(problem: string): string {
  return `This approval button is not valid (${esc(problem)}); nothing was changed.`;
}

// ---- Thread replies ----

export function approvalVote(user: string, counted: number, required: number): string {
  return `:white_check_mark: ${mention(user)} approved (${Math.min(counted, required)} of ${required}).`;
}

export function rejectionVote(user: string, reason: string): string {
  return `:x: ${mention(user)} rejected: ${esc(reason)}`;
}

// ---- What GitHub made of a decision, in the message and its thread ----

/**
 * Where the decision stands in GitHub: `applied` (GitHub took it), `waiting_for_gate` (gate mode,
 * before GitHub reports the gate), `applying` (being sent), `retrying` (GitHub failed; tried again),
 * `not_applied` (it never will be: the run moved on), `unknown` (GitHub cannot say whether it did).
 */
export type Applied = "applied" | "waiting_for_gate" | "applying" | "retrying" | "not_applied" | "unknown";

export type RequestStatus =
  | { kind: "progress"; approvers: string[]; required: number; githubApprovals?: string[] }
  /** Nobody has voted in Slack: no status line, unless required reviewers approved in GitHub. */
  | { kind: "pending"; githubApprovals: string[] }
  | { kind: "expired"; at: Date }
  | { kind: "closed"; note: string }
  /** Closed without a decision (app/requests/): GitHub moved on, or the message could not be trusted. */
  | { kind: "closure"; closure: Closure; at: Date; url?: string }
  | {
      kind: "decided";
      decision: Decision;
      mode: Mode;
      deciders: Decider[];
      reason: string | null;
      at: Date;
      applied: Applied;
      note: string | null;
    };

export function statusLine(status: RequestStatus): string {
  switch (status.kind) {
    case "progress":
      return `:hourglass_flowing_sand: ${status.approvers.length} of ${status.required} approvals: ${mentions(status.approvers)}${githubProgress(status.githubApprovals ?? [])}`;
    case "pending":
      return githubProgress(status.githubApprovals).trimStart();
    case "closure":
      return closureLine(status.closure, status.at, status.url);
    case "expired":
      return `:alarm_clock: *Expired* ${when(status.at)}: no decision was made in time. Re-run the workflow to ask again.`;
    case "closed":
      return `:white_circle: *Closed*: ${esc(status.note)}`;
    case "decided": {
      const who = status.deciders.map((d) => d.slackUserId);
      const head =
        status.decision === "approved"
          ? `*Approved* by ${mentions(who)} ${when(status.at)}`
          : status.decision === "rejected"
            ? `*Rejected* by ${mentions(who)} ${when(status.at)}`
            : `*Expired* ${when(status.at)}`;
      const reason = status.reason ? `\n>${esc(status.reason).replace(/\n/g, "\n>")}` : "";
      return `${icon(status)} ${head}${appliedNote(status)}${reason}`;
    }
  }
}

function icon(status: Extract<RequestStatus, { kind: "decided" }>): string {
  switch (status.applied) {
    case "applied":
      return status.decision === "approved" ? ":white_check_mark:" : ":x:";
    case "not_applied":
      return ":white_circle:";
    case "unknown":
      return ":grey_question:";
    default:
      return ":hourglass_flowing_sand:";
  }
}

/** What GitHub did with it, by mode: the one place where the modes' words differ. */
export function outcomeWords(mode: Mode, decision: Decision): string {
  if (decision === "approved") {
    if (mode === "wait") return "the waiting job goes on";
    if (mode === "dispatch") return "the deploy workflow was started";
    return "deployment resumed";
  }
  if (mode === "wait") return "the waiting job stops";
  if (mode === "dispatch") return "nothing was started";
  return "deployment stopped";
}

function appliedNote(status: Extract<RequestStatus, { kind: "decided" }>): string {
  const note = status.note ? esc(status.note) : "";
  switch (status.applied) {
    case "applied":
      return ` · ${outcomeWords(status.mode, status.decision)}`;
    case "waiting_for_gate":
      return " · waiting for GitHub to reach the environment's gate; it is applied the moment it does";
    case "applying":
      return " · telling GitHub";
    case "retrying":
      return ` · GitHub has not accepted it yet${note ? ` (${note})` : ""}; retrying automatically`;
    case "not_applied":
      return ` · not applied: ${note || "the run no longer waits"}`;
    case "unknown":
      return ` · GitHub did not confirm it: ${note || "GitHub cannot say whether it took the decision"}`;
  }
}

export function plainSummary(status: RequestStatus): string {
  switch (status.kind) {
    case "progress":
      return `${status.approvers.length} of ${status.required} approvals`;
    case "pending":
      return "Deployment approval requested";
    case "closure":
      return closureSummary(status.closure);
    case "expired":
      return "Approval request expired";
    case "closed":
      return "Approval request closed";
    case "decided": {
      const word =
        status.decision === "approved" ? "approved" : status.decision === "rejected" ? "rejected" : "expired";
      if (status.applied === "applied") return `Deployment ${word}`;
      if (status.applied === "not_applied") return `Deployment ${word}, not applied in GitHub`;
      if (status.applied === "unknown") return `Deployment ${word}, not confirmed by GitHub`;
      return `Deployment ${word}, not yet applied in GitHub`;
    }
  }
}

/** The thread reply once GitHub's side of a decision is settled; null while it is not. */
export function appliedReply(
  environment: string,
  mode: Mode,
  decision: Decision,
  applied: Applied,
  note: string | null,
): string | null {
  if (applied === "applied") {
    return `:memo: GitHub accepted the decision: ${esc(environment)} ${decision}; ${outcomeWords(mode, decision)}.`;
  }
  if (applied === "not_applied") {
    return `:white_circle: The decision was not applied: ${note ? esc(note) : "the run no longer waits"}.`;
  }
  if (applied === "unknown") {
    return `:grey_question: GitHub did not confirm the decision: ${note ? esc(note) : "it cannot say whether it took it"}.`;
  }
  return null;
}

// ---- What GitHub shows ----

/** The comment on the protection-rule review. GitHub renders it as plain text. */
export function reviewComment(
  decision: Decision,
  deciders: readonly Decider[],
  reason: string | null,
  requestId: string,
): string {
  // GitHub's deployment history names people as GitHub does (@login) where their account is known.
  const names = deciders
    .map((d) =>
      d.githubLogin
        ? `@${d.githubLogin}`
        : d.name
          ? `${d.name} (Slack ${d.slackUserId})`
          : `Slack user ${d.slackUserId}`,
    )
    .join(", ");
  if (decision === "approved") return `Approved by ${names} via Slack (request ${requestId}).`;
  if (decision === "expired") return `Expired in Slack: nobody decided in time (request ${requestId}).`;
  return `Rejected by ${names} via Slack: ${reason ?? "no reason given"} (request ${requestId}).`;
}

// ---- Notes recorded on effects (shown in the status line and the thread, escaped there) ----

export const notes = {
  reRun: (attempt: number) => `the run was re-run (now attempt ${attempt}); a re-run needs a fresh approval`,
  runGone: () => "the run no longer exists",
  runFinished: (conclusion: string | null) =>
    `the run finished (${conclusion ?? "completed"}) before GitHub took the decision`,
  runFinishedUndecided: (conclusion: string | null) =>
    `the run finished (${conclusion ?? "completed"}) before anyone decided in Slack`,
  refused: (status: number, message: string) => `GitHub refused it (${status}: ${message})`,
  githubAnswered: (status: number) => `GitHub answered ${status}`,
  githubUnreachable: (message: string) => `GitHub could not be reached (${message})`,
  rateLimited: () => "GitHub's rate limit; trying again when it allows",
  gaveUp: (attempts: number, last: string) => `gave up after ${attempts} attempts: ${last}`,
  /** After a lost answer and a 422: what GitHub shows decides what Slack says. */
  wentPast: (environment: string) => `GitHub shows the run went past ${environment}`,
  stoppedAnyway: (conclusion: string | null) =>
    `GitHub no longer waits; the run ended (${conclusion ?? "completed"}) without deploying`,
  cannotTell: (environment: string, conclusion: string | null) =>
    `GitHub no longer waits on ${environment} and the run ended (${conclusion ?? "completed"}); GitHub cannot say whether this decision was applied: check the run`,
  couldNotVerify: (environment: string) =>
    `GitHub's answer was lost and it could not be asked whether ${environment} was reviewed: check the run`,
  wentAhead: (environment: string) => `the run went past ${environment} without this rejection`,
  messageGone: (code: string) => `Slack refused it (${code})`,
} as const;

function when(at: Date): string {
  const seconds = Math.floor(at.getTime() / 1000);
  return `<!date^${seconds}^{date_short_pretty} at {time}|${at.toISOString()}>`;
}

// ---- A request's life (app/requests/): what GitHub did, and what the message says about it ----

/** Approvals given in GitHub's own UI: progress, never the decision this App's rule waits for. */
function githubProgress(logins: readonly string[]): string {
  if (logins.length === 0) return "";
  const who = logins.map((l) => `@${esc(l)}`).join(", ");
  return `\n:ballot_box_with_check: Approved in GitHub by ${who}; waiting for Slack approval.`;
}

function closureLine(closure: Closure, at: Date, url: string | undefined): string {
  switch (closure.kind) {
    case "rejected_in_github": {
      const comment = closure.comment ? `\n>${esc(closure.comment).replace(/\n/g, "\n>")}` : "";
      return `:x: *Rejected in GitHub*${closure.login ? ` by @${esc(closure.login)}` : ""} ${when(at)}: the deployment stopped, so nothing here can decide it.${comment}`;
    }
    case "bypassed": {
      const job = closure.job ? `the \`${esc(closure.job)}\` job` : "the deploy job";
      const who = closure.login ? ` (started by @${esc(closure.login)})` : "";
      return `:warning: *Went ahead without Slack approval* (protection bypassed): ${job} started ${when(at)}${who}. The buttons no longer decide anything.`;
    }
    case "run_finished":
      return closure.conclusion === "cancelled"
        ? `:white_circle: *Cancelled* ${when(at)}: ${esc(notes.runFinishedUndecided(closure.conclusion))}.`
        : `:white_circle: *Closed*: ${esc(notes.runFinishedUndecided(closure.conclusion))}.`;
    case "mismatch":
      return `:no_entry: *Does not match its run*: ${closure.problems.map(esc).join("; ")}. Nobody can approve it; the message now shows the run its buttons named.`;
    case "superseded": {
      const there = url ? `<${url}|another request>` : "another request";
      return `:twisted_rightwards_arrows: *Superseded*: ${there} for this deployment was there first; approve or reject it there.`;
    }
  }
}

function closureSummary(closure: Closure): string {
  switch (closure.kind) {
    case "rejected_in_github":
      return "Deployment rejected in GitHub";
    case "bypassed":
      return "Deployment went ahead without Slack approval";
    case "run_finished":
      return closure.conclusion === "cancelled" ? "Deployment cancelled" : "Approval request closed";
    case "mismatch":
      return "Approval request does not match its run";
    case "superseded":
      return "Approval request superseded";
  }
}

/**
 * The header once something happened (the question is gone): approved, rejected, expired, cancelled,
 * deployed, or how it ended otherwise. Plain text (a header block); undefined keeps the question.
 */
export function headerTitle(
  target: { repository: string; environment: string },
  status: RequestStatus | undefined,
  outcome: RunOutcome | null,
): string | undefined {
  const what = `${target.repository} to ${target.environment}`;
  if (!status) return undefined;
  switch (status.kind) {
    case "progress":
    case "pending":
      return undefined;
    case "expired":
      return `Expired: ${what}`;
    case "closed":
      return `Closed: ${what}`;
    case "closure":
      switch (status.closure.kind) {
        case "rejected_in_github":
          return `Rejected in GitHub: ${what}`;
        case "bypassed":
          return `Deployed without Slack approval: ${what}`;
        case "run_finished":
          return status.closure.conclusion === "cancelled" ? `Cancelled: ${what}` : `Closed: ${what}`;
        case "mismatch":
          return `Does not match its run: ${what}`;
        case "superseded":
          return `Superseded: ${what}`;
      }
      break;
    case "decided":
      if (status.decision === "approved") {
        if (status.applied === "not_applied") return `Approved, not applied: ${what}`;
        if (outcome?.conclusion === "success")
          return status.mode === "gate" ? `Deployed: ${what}` : `Approved: ${what}`;
        if (outcome?.conclusion === "cancelled") return `Cancelled: ${what}`;
        if (outcome) return `Deploy failed: ${what}`;
        return `Approved: ${what}`;
      }
      return status.decision === "rejected" ? `Rejected: ${what}` : `Expired: ${what}`;
  }
  return undefined;
}

/** `4 min 12 s`: how long something took. */
export function elapsed(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min${seconds % 60 ? ` ${seconds % 60} s` : ""}`;
  const hours = Math.floor(minutes / 60);
  return `${hours} h${minutes % 60 ? ` ${minutes % 60} min` : ""}`;
}

function outcomeWord(conclusion: string): string {
  switch (conclusion) {
    case "success":
      return "succeeded";
    case "failure":
      return "failed";
    case "cancelled":
      return "was cancelled";
    case "timed_out":
      return "timed out";
    default:
      return `ended (${esc(conclusion)})`;
  }
}

/** The footer's line on how the run ended (mrkdwn, escaped). */
export function outcomeFooter(outcome: RunOutcome, approvedAt: Date | null): string {
  const took =
    approvedAt && outcome.conclusion === "success"
      ? `, ${elapsed(new Date(outcome.completedAt).getTime() - approvedAt.getTime())} after approval`
      : "";
  const icon =
    outcome.conclusion === "success"
      ? ":white_check_mark:"
      : outcome.conclusion === "cancelled"
        ? ":white_circle:"
        : ":x:";
  return `${icon} Run ${outcomeWord(outcome.conclusion)} ${when(new Date(outcome.completedAt))}${took}`;
}

/** The thread's reply when the run ends: its outcome, its link, and how long the deploy took after approval. */
export function runOutcomeReply(outcome: RunOutcome, approvedAt: Date | null, decided: boolean): string {
  const link = outcome.url ? ` (<${outcome.url}|run>)` : "";
  const icon =
    outcome.conclusion === "success"
      ? ":rocket:"
      : outcome.conclusion === "cancelled"
        ? ":white_circle:"
        : ":x:";
  const took =
    approvedAt && decided
      ? `; ${elapsed(new Date(outcome.completedAt).getTime() - approvedAt.getTime())} after approval`
      : "";
  return `${icon} The run ${outcomeWord(outcome.conclusion)}${link}${took}.`;
}

/** The thread's note when a closure ends a request (the message says the same in its status line). */
export function closureReply(closure: Closure): string {
  return `:information_source: This request is closed: ${closureWords(closure, esc)}.`;
}

/** A thread reply for an approval given in GitHub's own UI. */
export function githubApprovalReply(login: string): string {
  return `:ballot_box_with_check: @${esc(login)} approved in GitHub; this environment also waits for approval in Slack.`;
}

/** A reminder in the thread, mentioning the approvers who have not voted yet. */
export function reminder(people: readonly string[], number: number, expiresAt: Date | null): string {
  const expiry = expiresAt ? ` It expires ${when(expiresAt)}.` : "";
  const who = people.length ? `${people.join(" ")}: ` : "";
  return `:bell: ${who}this deployment still waits for approval (reminder ${number} of 3).${expiry}`;
}

/** What a message states that its buttons (or GitHub) contradict: one clause each, unescaped. */
export const mismatch = {
  header: (stated: string | undefined, expected: string) =>
    stated === undefined
      ? "it has no header"
      : `its header says "${clip(stated)}", but its buttons ask "${clip(expected)}"`,
  repository: (stated: string | undefined, expected: string) =>
    stated === undefined
      ? "it does not name the repository"
      : `it names repository ${clip(stated)}, but its buttons are for ${expected}`,
  environment: (expected: string) =>
    `its Environment field does not say ${clip(expected)}, which its buttons are for`,
  run: (stated: string, expected: string) =>
    `it links run ${stated}, but its buttons are for run ${expected}`,
  noRun: () => "it does not link the workflow run",
  commit: (stated: string | undefined, actual: string) =>
    stated === undefined
      ? "it does not name the commit"
      : `it shows commit ${stated.slice(0, 7)}, but the run is for ${actual.slice(0, 7)}`,
  attempt: (requested: number, current: number) =>
    `its buttons are for attempt ${requested}, but GitHub's run is on attempt ${current}`,
  foreign: (ids: readonly string[]) =>
    `it carries content slack-deploy-gate never writes (${ids.slice(0, 3).map(clip).join(", ")}${ids.length > 3 ? ", …" : ""})`,
} as const;

function clip(text: string): string {
  return text.length > 80 ? `${text.slice(0, 79)}…` : text;
}
