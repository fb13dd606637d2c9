// What the activity record keeps: per approval request, a timeline of what came in (the request seen,
// clicks, webhooks) and what went out (calls to GitHub and Slack, the decision and its delivery). The
// App records through `ActivityRecorder` (recorder.ts); the page (routes.ts) reads through
// `ActivityStore` (store.ts).
import type { Mode } from "../../common/reference.js";

/** Where a request stands, as the page filters it. */
export type ActivityState = "pending" | "approved" | "rejected" | "expired" | "cancelled" | "failed";

export const ACTIVITY_STATES: readonly ActivityState[] = [
  "pending",
  "approved",
  "rejected",
  "expired",
  "cancelled",
  "failed",
];

/** The facts that identify a request; what a button's reference and the stored request both carry. */
export interface RequestFacts {
  requestId: string;
  /** `owner/name` as GitHub (or the button) spells it. */
  repository: string;
  runId: number;
  runAttempt: number;
  environment: string;
  mode: Mode;
}

/** A run and environment, for what GitHub says before (or without) knowing the request. */
export interface RunSubject {
  repository: string;
  runId: number;
  /** Undefined: every request of the run (a finished run touches all of them). */
  environment?: string;
  /** Set when GitHub names the attempt (a finished run does; a gate does not). */
  runAttempt?: number;
}

export interface Person {
  slackUserId: string;
  name?: string | null;
  githubLogin?: string | null;
}

/** How a click ended, in the words of app/metrics.ts, plus what the activity page needs to explain. */
export type ClickOutcome =
  | "counted" // the vote was recorded; more approvals are needed
  | "decided" // this click took the decision
  | "form_opened" // Reject opened the reason form
  | "refused" // the person may not act (the refusal says why)
  | "duplicate" // the person had voted already
  | "closed" // the request was decided, expired or closed already
  | "late" // the vote was recorded, but others had decided first
  | "shed" // answered 503: the App was at capacity
  | "error"; // the App could not check it (GitHub, the key, the database); the person was told

export type ClickAction = "approve" | "reject" | "reject_submitted";

export type ActivityEvent =
  /** The App posted the request message itself (the environment's policy names a channel). */
  | { kind: "posted"; channel: string; ts: string }
  | {
      kind: "click";
      action: ClickAction;
      user: Person;
      outcome: ClickOutcome;
      /** `refused`: the refusal's kind (not_approver, self_approval, expired, policy_invalid, …). */
      refusal?: string;
      /** What the person was told, as plain text. */
      text?: string;
      /** A crashed process had acknowledged it; this one handled it. */
      recovered?: boolean;
      /** `counted`: votes that count so far, and how many are needed. */
      counted?: number;
      required?: number;
    }
  | {
      kind: "webhook";
      /** GitHub's event name (`deployment_protection_rule`, `workflow_run`, …). */
      event: string;
      action: string;
      delivery: string;
      environment?: string;
      runAttempt?: number;
      conclusion?: string | null;
    }
  | {
      kind: "github";
      method: string;
      /** The route template (`/repos/{owner}/{repo}/actions/runs/{run_id}`), never a token or a body. */
      route: string;
      /** HTTP status; null when no answer came (timeout, connection refused). */
      status: number | null;
      ms: number;
      /** Octokit's own retries of this call, when it made any. */
      retry?: number;
      /** The effect it ran for (`<id>:github.review`), when it ran for one. */
      effect?: string;
      error?: string;
    }
  | {
      kind: "slack";
      method: string;
      ok: boolean;
      /** Slack's error code (`channel_not_found`, `ratelimited`, …) when not ok. */
      code?: string;
      ms: number;
      effect?: string;
    }
  | {
      kind: "decision";
      decision: "approved" | "rejected" | "expired";
      by: Person[];
      reason?: string | null;
    }
  | {
      kind: "delivery";
      effect: string;
      effectKind: string;
      /** How this attempt ended. */
      outcome: "done" | "retry" | "waiting" | "obsolete" | "failed";
      attempt: number;
      /** Whether this effect says if GitHub took the decision (gate: the review; wait: the check run). */
      primary: boolean;
      note?: string | null;
      nextAttemptAt?: string;
      ms: number;
    }
  /** The request closed without a Slack decision (GitHub moved on, or its message cannot be trusted). */
  | { kind: "closed"; note: string; closure?: string };

export type ActivityEventKind = ActivityEvent["kind"];

/** Requests that never reached a request: counted per minute, never stored one by one. */
export type RefusedSource = "slack" | "github";

export interface StoredEvent {
  id: number;
  at: Date;
  event: ActivityEvent;
}

export interface ActivityRequest {
  requestId: string;
  /** True while only GitHub has spoken of this run and environment (no request message seen yet). */
  placeholder: boolean;
  repository: string;
  environment: string;
  runId: number;
  runAttempt: number | null;
  mode: Mode | null;
  seenVia: "click" | "gate" | "app" | "webhook";
  state: ActivityState;
  seenAt: Date;
  updatedAt: Date;
  /** Who took part, for the list (names where known). */
  people: string[];
  /** The latest notable line, for the list. */
  summary: string | null;
  events: number;
}

/** What a viewer may see: repositories they can read, and owners (organizations) they administer. */
export interface ActivityScope {
  repositories: readonly string[];
  owners: readonly string[];
}

export interface ActivityFilter {
  repository?: string;
  environment?: string;
  state?: ActivityState;
  person?: string;
  /** Requests seen before this time only (a date to jump to). */
  before?: Date;
}

/** Keyset position: the last row of the previous page. */
export interface ActivityCursor {
  seenAt: number;
  requestId: string;
}
