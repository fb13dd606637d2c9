// What the App keeps between events. Two backends (SQLite, PostgreSQL) implement this with the same
// behaviour; every method that decides something is atomic across replicas sharing one database.
import type { Mode } from "../../common/reference.js";

export type Vote = "approve" | "reject";
export type Decision = "approved" | "rejected";
/**
 * Delivery of a decision to GitHub:
 * - `none`: no decision yet;
 * - `due`: decided, to be told to GitHub (when its gate is known and `nextAttemptAt` has come);
 * - `delivered`: GitHub accepted it;
 * - `obsolete`: the run no longer waits (cancelled, re-run, decided in GitHub): never retried.
 */
export type DeliveryState = "none" | "due" | "delivered" | "obsolete";

export interface NewRequest {
  requestId: string;
  /** `owner/name`, stored lower-cased so look-ups ignore case as GitHub does. */
  repository: string;
  runId: number;
  runAttempt: number;
  environment: string;
  mode: Mode;
  channelId: string;
  messageTs: string;
  /** The request message's blocks as the Action posted them (JSON), to rebuild it on updates. */
  messageBlocks: unknown[];
  /** Slack user ID of whoever triggered the run, when the policy maps them; for the record only. */
  createdAt: Date;
}

export interface RequestRow extends NewRequest {
  decision: Decision | null;
  decidedAt: Date | null;
  /** Slack user IDs: the approvers, or the one who rejected. */
  decidedBy: string[];
  reason: string | null;
  delivery: DeliveryState;
  deliveryAttempts: number;
  nextAttemptAt: Date | null;
  leaseUntil: Date | null;
  lastError: string | null;
  /** Free text shown in Slack when delivery became obsolete or failed for good. */
  deliveryNote: string | null;
}

export interface NewVote {
  requestId: string;
  slackUserId: string;
  vote: Vote;
  reason: string | null;
  at: Date;
}

export type VoteRow = NewVote;

export interface GateRow {
  repository: string;
  runId: number;
  environment: string;
  installationId: number;
  /** `deployment_callback_url` from the webhook. */
  callbackUrl: string;
  receivedAt: Date;
}

export type DeliveryOutcome =
  | { state: "delivered" }
  | { state: "obsolete"; note: string }
  | { state: "retry"; error: string; nextAttemptAt: Date };

export interface Store {
  readonly kind: "sqlite" | "postgres";
  /** Creates or upgrades the schema; safe to run on every start and from two replicas at once. */
  migrate(): Promise<void>;
  /** Throws if the database cannot answer. */
  ping(): Promise<void>;
  close(): Promise<void>;

  /** Inserts the request if its id is new; returns the stored row either way (the existing one wins). */
  saveRequest(request: NewRequest): Promise<RequestRow>;
  getRequest(requestId: string): Promise<RequestRow | undefined>;
  /** Requests for one run and environment (any attempt), oldest first. */
  findRequests(repository: string, runId: number, environment: string): Promise<RequestRow[]>;
  /** Requests for one run, any environment and attempt, oldest first. */
  findRequestsForRun(repository: string, runId: number): Promise<RequestRow[]>;

  /** One vote per person per request: false (and nothing changes) when that person already voted. */
  addVote(vote: NewVote): Promise<boolean>;
  listVotes(requestId: string): Promise<VoteRow[]>;

  /**
   * Takes the decision if the request has none yet and sets delivery to `due` with nextAttemptAt = at.
   * Exactly one of any number of concurrent callers gets true.
   */
  decide(
    requestId: string,
    decision: { decision: Decision; decidedBy: string[]; reason: string | null; at: Date },
  ): Promise<boolean>;

  /** Upserts the gate (a re-run sends it again for the same run and environment). */
  saveGate(gate: GateRow): Promise<void>;
  getGate(repository: string, runId: number, environment: string): Promise<GateRow | undefined>;

  /**
   * Claims the right to tell GitHub: true for one caller at a time, when delivery is `due`,
   * nextAttemptAt <= now and no unexpired lease is held. The claim holds the lease until now + leaseMs.
   */
  claimDelivery(requestId: string, now: Date, leaseMs: number): Promise<boolean>;
  /** Ends a claim: delivered / obsolete are final; retry counts an attempt and sets nextAttemptAt. */
  finishDelivery(requestId: string, outcome: DeliveryOutcome): Promise<void>;
  /** Decided requests with delivery `due`, nextAttemptAt <= now, no live lease, whose gate is known. */
  listDue(now: Date, limit: number): Promise<RequestRow[]>;
}
