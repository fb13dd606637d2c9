// What each recorded event does to a request's line on the page: the state the filters use, the people
// in it, and the latest notable line. States only move forward: pending → decided (approved, rejected,
// expired) or cancelled; a decision GitHub could not take → failed.
import type { Closure } from "../store/types.js";
import type { ActivityEvent, ActivityState, ClickOutcome, Person } from "./types.js";

export interface RowState {
  state: ActivityState;
  stateAt: number;
  /** Display names, for the list. */
  people: string[];
  summary: string | null;
  /** When the summary was written (the event's time), apart from `updatedAt`, the last event's. */
  summaryAt: number;
  /** A gate (deployment_protection_rule) has reached this request. */
  gated: boolean;
  /** The request's mode, once a request (not only its run) is known. */
  mode: string | null;
  updatedAt: number;
}

const MAX_PEOPLE = 12;
const MAX_SUMMARY = 300;

/** Applies one event; adds the look-up keys of the people it names to `personKeys`. */
export function applyEvent(
  row: RowState,
  event: ActivityEvent,
  at: number,
  personKeys: Set<string>,
): RowState {
  const next: RowState = { ...row, updatedAt: Math.max(row.updatedAt, at) };
  // An event older than the latest line (recorded late) does not replace it. Calls to GitHub and Slack
  // move `updatedAt` but not the line: a click is recorded, at the time it started, after its calls.
  const latest = at >= row.summaryAt;
  const move = (state: ActivityState, allowed: (current: ActivityState) => boolean) => {
    if (!allowed(next.state)) return;
    next.state = state;
    next.stateAt = at;
  };
  const pending = (s: ActivityState) => s === "pending";
  const notable = (text: string) => {
    if (!latest) return;
    next.summary = text.length > MAX_SUMMARY ? `${text.slice(0, MAX_SUMMARY - 1)}…` : text;
    next.summaryAt = at;
  };
  const meet = (people: Person[]) => {
    for (const person of people) {
      for (const key of [person.slackUserId, person.name, person.githubLogin]) {
        if (key) personKeys.add(key.trim().toLowerCase());
      }
      const shown = displayName(person);
      if (!next.people.includes(shown) && next.people.length < MAX_PEOPLE)
        next.people = [...next.people, shown];
    }
  };

  switch (event.kind) {
    case "posted":
      notable("posted by the App");
      break;
    case "click":
      meet([event.user]);
      notable(`${displayName(event.user)}: ${clickPhrase(event.outcome, event)}`);
      if (event.outcome === "refused" && event.refusal === "expired") move("expired", pending);
      break;
    case "webhook":
      if (event.event === "deployment_protection_rule") {
        next.gated = true;
        notable("GitHub is holding the deployment for this App's rule");
      } else if (event.event === "workflow_run" && event.action === "completed") {
        const conclusion = event.conclusion ? ` (${event.conclusion})` : "";
        // An undecided request of the finished attempt closes: nobody can approve it any more.
        if (next.state === "pending") notable(`closed: the run finished before a decision${conclusion}`);
        else notable(`the run finished${conclusion}`);
        move("cancelled", pending);
      } else {
        notable(`GitHub: ${event.event} ${event.action}`.trim());
      }
      break;
    case "decision":
      meet(event.by);
      if (event.decision === "expired") notable("expired without a decision");
      else {
        // Gate mode: a decision taken before GitHub reported the gate waits for it.
        const waits = next.mode === "gate" && !next.gated ? "; waiting for GitHub to report the gate" : "";
        notable(`${event.decision} by ${event.by.map(displayName).join(", ")}${waits}`);
      }
      move(event.decision, pending);
      break;
    case "delivery":
      if (!event.primary) break;
      if (event.outcome === "done") notable("GitHub took the decision");
      else if (event.outcome === "waiting") notable("decided; waiting for GitHub to report the gate");
      else if (event.outcome === "retry") notable(`telling GitHub failed; retrying${note(event.note)}`);
      else {
        notable(`GitHub did not take the decision${note(event.note)}`);
        move("failed", (s) => s === "approved" || s === "rejected");
      }
      break;
    case "closed":
      notable(`closed: ${event.note}`);
      // Rejected by a reviewer in GitHub's own page is a rejection; everything else closes it unanswered.
      move(event.closure === "rejected_in_github" ? "rejected" : "cancelled", pending);
      break;
    case "github":
    case "slack":
      break;
  }
  return next;
}

export function displayName(person: Person): string {
  return person.name || person.githubLogin || person.slackUserId;
}

function note(text: string | null | undefined): string {
  return text ? `: ${text}` : "";
}

export function clickPhrase(
  outcome: ClickOutcome,
  detail: { refusal?: string; counted?: number; required?: number; action?: string } = {},
): string {
  switch (outcome) {
    case "counted":
      return detail.counted !== undefined && detail.required !== undefined
        ? `approval counted (${detail.counted} of ${detail.required})`
        : "approval counted";
    case "decided":
      return detail.action === "approve" ? "approval decided it" : "rejection decided it";
    case "form_opened":
      return "opened the reject form";
    case "refused":
      return `refused: ${refusalLabel(detail.refusal)}`;
    case "duplicate":
      return "had voted already";
    case "closed":
      return "clicked after the request was closed";
    case "late":
      return "voted after others had decided";
    case "shed":
      return "click shed: the App was at capacity";
    case "error":
      return "the App could not check the click";
  }
}

const REFUSALS: Record<string, string> = {
  not_approver: "not an approver",
  self_approval: "self-approval",
  expired: "expired",
  policy_invalid: "the policy is invalid",
  policy_missing: "no policy file",
  policy_unreadable: "the policy could not be read",
  no_approvers: "no approvers configured",
  run_finished: "the run had finished",
  run_not_running: "the run was not running",
  run_missing: "the run was not found",
  wrong_attempt: "another attempt of the run",
  mismatch: "the message does not match the request",
  not_installed: "the App is not installed there",
  group_unreadable: "a Slack group could not be read",
  team_unreadable: "a GitHub team could not be read",
  link_required: "a linked GitHub account is required",
  identity_unknown: "unknown on GitHub",
  link_gone: "the linked GitHub account is gone",
  closed: "the request is closed",
};

export function refusalLabel(kind: string | undefined): string {
  if (!kind) return "refused";
  return REFUSALS[kind] ?? kind.replace(/_/g, " ");
}

/** A closure (app/requests/life.ts) in a few words, for the timeline. */
export function closureNote(closure: Closure): string {
  switch (closure.kind) {
    case "rejected_in_github":
      return `rejected in GitHub${closure.login ? ` by @${closure.login}` : ""}${closure.comment ? `: ${closure.comment}` : ""}`;
    case "bypassed":
      return `the deploy job${closure.job ? ` ${closure.job}` : ""} started without Slack approval${closure.login ? ` (@${closure.login})` : ""}`;
    case "run_finished":
      return `the run finished before a decision${closure.conclusion ? ` (${closure.conclusion})` : ""}`;
    case "mismatch":
      return `the message does not match its run: ${closure.problems.join("; ")}`;
    case "superseded":
      return "another request holds this deployment's gate";
  }
}
