// What the App keeps between events. Two backends (SQLite, PostgreSQL) behind one definition of the
// records and queries; every method that decides something is atomic across replicas sharing a database.
import type { RequestFacts } from "../../common/facts.js";
import type { Mode } from "../../common/reference.js";
import type { Driver } from "./driver.js";

export type Vote = "approve" | "reject";
export type Decision = "approved" | "rejected" | "expired";

/** A person who took part in a decision, with the name resolved when the decision was taken. */
export interface Decider {
  slackUserId: string;
  /** Slack display name at decision time; null when Slack could not say in time. */
  name: string | null;
  /** GitHub login, when the policy (or a linked account) knows it. */
  githubLogin: string | null;
}

export interface NewRequest {
  requestId: string;
  /** `owner/name`; look-ups ignore case, as GitHub does (stored, and read back, lower-cased). */
  repository: string;
  runId: number;
  runAttempt: number;
  /** As GitHub spells it; look-ups ignore case, as GitHub does. */
  environment: string;
  mode: Mode;
  channelId: string;
  messageTs: string;
  /** The request message's blocks as posted, to rebuild it on updates. */
  messageBlocks: unknown[];
  createdAt: Date;
  /** Who posted the message (default `action`); an App-posted request's message is posted by an effect. */
  origin?: RequestOrigin;
  /** What the message states, as read from GitHub at first contact (app/requests/facts.ts). */
  facts?: RequestFacts | null;
  /** When the timer expires it if nobody decided (the policy's `expire-after` from `createdAt`). */
  expiresAt?: Date | null;
  /** The policy's `remind-after`: a reminder in the thread this often while undecided (at most three). */
  remindEveryMs?: number | null;
}

export interface RequestRow extends NewRequest {
  decision: Decision | null;
  decidedAt: Date | null;
  /** The approvers (in vote order), or the one who rejected; empty for expiry. */
  decidedBy: Decider[];
  reason: string | null;
  origin: RequestOrigin;
  facts: RequestFacts | null;
  expiresAt: Date | null;
  remindEveryMs: number | null;
  remindersSent: number;
  nextReminderAt: Date | null;
  /** Closed without a decision: GitHub moved on, or the message could not be trusted. */
  closed: Closure | null;
  closedAt: Date | null;
  /** Approvals given in GitHub's own UI by the environment's required reviewers: progress, not a decision. */
  githubApprovals: GitHubApproval[];
  /** How the run ended, once GitHub said so (`workflow_run` completed). */
  outcome: RunOutcome | null;
}

/** Who posted the request message: the Action (a workflow step) or the App (the policy names a channel). */
export type RequestOrigin = "action" | "app";

/**
 * Why a request closed without a Slack decision. Its buttons go, and a later click is told this.
 * - `rejected_in_github`: a required reviewer rejected the deployment in GitHub's own UI;
 * - `bypassed`: the deploy job started without this App's review (an admin bypass, or the rule removed);
 * - `run_finished`: the run ended (cancelled, failed) while nobody had decided;
 * - `mismatch`: the message's words disagree with the run its buttons name;
 * - `superseded`: another request for the same gate was there first (its message is linked).
 */
export type Closure =
  | { kind: "rejected_in_github"; login: string | null; comment: string | null }
  | { kind: "bypassed"; login: string | null; job: string | null }
  | { kind: "run_finished"; conclusion: string | null }
  | { kind: "mismatch"; problems: string[] }
  | { kind: "superseded"; channelId: string; messageTs: string };

export interface GitHubApproval {
  login: string;
  at: string;
}

export interface RunOutcome {
  /** `success`, `failure`, `cancelled`, … */
  conclusion: string;
  completedAt: string;
  url: string | null;
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
  /** As GitHub sent it in the webhook: the name the review call must use. */
  environment: string;
  installationId: number;
  receivedAt: Date;
}

// ---- Effects: side effects of a request that can fail, recorded and retried until done ----

/**
 * What an effect does. GitHub effects follow a decision (which ones depends on the mode, see
 * app/effects/modes.ts); Slack effects keep the message and its thread true.
 */
export type EffectKind =
  | "github.review" // gate mode: review our deployment protection rule
  | "github.check_run" // every mode: the decision as a check run on the run's commit
  | "github.dispatch" // dispatch mode, approvals: start the named workflow
  | "slack.post" // post the App's own request message (the environment's policy names a channel)
  | "slack.update" // re-render the request message from the stored state (coalesced per request)
  | "slack.reply" // one thread reply (payload holds the text)
  | "slack.ephemeral"; // one ephemeral reply to one person (payload holds channel, user, text)

/**
 * - `waiting`: not runnable until woken (a gate-mode review before GitHub reported the gate);
 * - `due`: runnable once `nextAttemptAt` has come and no lease is live;
 * - `done`: succeeded (`result` may hold what it returned, e.g. a check run id or the dispatched run);
 * - `obsolete`: will never apply (the run no longer waits, the message is gone): `note` says why;
 * - `failed`: gave up after retrying for too long: `note` says why.
 */
export type EffectState = "waiting" | "due" | "done" | "obsolete" | "failed";

export interface NewEffect {
  /** Unique; the idempotency key (e.g. `<requestId>:github.review`, `<requestId>:reply:vote:<user>`). */
  id: string;
  requestId: string;
  kind: EffectKind;
  payload: unknown;
  state: "waiting" | "due";
  /**
   * When an effect with this id exists already: `ignore` keeps it as it is (one-shot effects such as a
   * thread reply); `refresh` replaces the payload, bumps `generation` and makes it due again unless it
   * is obsolete (coalesced effects such as `slack.update`: the newest state is what gets sent).
   */
  onConflict: "ignore" | "refresh";
}

export interface EffectRow {
  id: string;
  requestId: string;
  kind: EffectKind;
  payload: unknown;
  state: EffectState;
  /** Bumped by every `refresh`; a claim finishes as done only if nobody refreshed it meanwhile. */
  generation: number;
  attempts: number;
  nextAttemptAt: Date | null;
  leaseUntil: Date | null;
  lastError: string | null;
  note: string | null;
  result: unknown;
  createdAt: Date;
  updatedAt: Date;
}

export type EffectOutcome =
  | { state: "done"; result?: unknown }
  | { state: "obsolete" | "failed"; note: string }
  | { state: "retry"; error: string; nextAttemptAt: Date }
  | { state: "waiting"; note: string };

// ---- Inbound: verified Slack interactions written before they are acknowledged ----

export interface NewInbound {
  /** sha256 of the raw body: a replayed body (same signature, within the 5-minute window) is one row. */
  id: string;
  receivedAt: Date;
  /** The verified raw body (form-encoded), to parse again after a crash. */
  body: string;
}

export interface InboundRow extends NewInbound {
  attempts: number;
  leaseUntil: Date | null;
}

export interface Store {
  readonly kind: "sqlite" | "postgres";
  /** The database itself, for modules that keep tables of their own (app/identity/links.ts). */
  readonly driver: Driver;
  /** Creates or upgrades the schema; safe to run on every start and from two replicas at once. */
  migrate(): Promise<void>;
  /** Throws unless the database answers a query over the App's own tables (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;

  /** Inserts the request if its id is new; returns the stored row either way (the existing one wins). */
  saveRequest(request: NewRequest): Promise<RequestRow>;
  getRequest(requestId: string): Promise<RequestRow | undefined>;
  /** Requests for one run and environment (any attempt; environment ignoring case), oldest first. */
  findRequests(repository: string, runId: number, environment: string): Promise<RequestRow[]>;
  /** Requests for one run, any environment and attempt, oldest first. */
  findRequestsForRun(repository: string, runId: number): Promise<RequestRow[]>;
  /**
   * First contact: the facts read from GitHub, when the request expires and how often to remind.
   * Changes nothing on a request that already has facts, a decision or a closure; true when it set them.
   */
  setFacts(
    requestId: string,
    facts: RequestFacts,
    timing: { expiresAt: Date | null; remindEveryMs: number | null },
  ): Promise<boolean>;
  /** Where an App-posted request's message went, once Slack posted it (and the blocks it was posted with). */
  setMessage(requestId: string, channelId: string, messageTs: string, blocks: unknown[]): Promise<void>;
  /**
   * Closes an undecided request without a decision, atomically against `decide`: exactly one of them
   * wins. False (and nothing changes) when it already has a decision or a closure.
   */
  closeRequest(requestId: string, closure: Closure, at: Date, effects: NewEffect[]): Promise<boolean>;
  /** Adds an approval given in GitHub (once per login); false when that login was already recorded. */
  addGitHubApproval(requestId: string, approval: GitHubApproval): Promise<boolean>;
  /** Records how the run ended (the newest report wins). */
  setOutcome(requestId: string, outcome: RunOutcome): Promise<void>;
  /** Undecided, open requests whose `expiresAt` has come, oldest first: the expiry timer's work. */
  listExpired(now: Date, limit: number): Promise<RequestRow[]>;
  /** Undecided, open requests whose next reminder is due. */
  listDueReminders(now: Date, limit: number): Promise<RequestRow[]>;
  /**
   * Takes the right to send reminder number `sent + 1`: exactly one caller per number gets true (the
   * count moves on, the next one is due at `next`, or never after the third).
   */
  claimReminder(requestId: string, sent: number, next: Date | null): Promise<boolean>;

  /** One vote per person per request: false (and nothing changes) when that person already voted. */
  addVote(vote: NewVote): Promise<boolean>;
  listVotes(requestId: string): Promise<VoteRow[]>;

  /**
   * Takes the decision if the request has none yet, and in the same transaction records its effects.
   * Exactly one of any number of concurrent callers gets true; the others change nothing.
   */
  decide(
    requestId: string,
    decision: { decision: Decision; decidedBy: Decider[]; reason: string | null; at: Date },
    effects: NewEffect[],
  ): Promise<boolean>;

  /** Upserts the gate (a re-run sends it again for the same run and environment). */
  saveGate(gate: GateRow): Promise<void>;
  /** The gate for a run and environment, environment ignoring case. */
  getGate(repository: string, runId: number, environment: string): Promise<GateRow | undefined>;
  /**
   * First contact at a gate failed (GitHub or Slack did not answer): try it again at `dueAt` (null: it
   * succeeded, or is given up). Counts an attempt when scheduling.
   */
  scheduleGateContact(
    repository: string,
    runId: number,
    environment: string,
    dueAt: Date | null,
  ): Promise<void>;
  /**
   * Takes up to `limit` gate contacts due by `now`, each moved to `leaseUntil` so that one replica tries
   * each; returns them with how often they were tried.
   */
  claimGateContacts(
    now: Date,
    leaseUntil: Date,
    limit: number,
  ): Promise<Array<GateRow & { attempts: number }>>;

  /**
   * Records effects (see `NewEffect.onConflict`), all or none. An effect belongs to a saved request
   * (its `requestId` must exist). `refresh` keeps a live lease and the last `result` (e.g. the check run
   * to update rather than create again). An id given twice in one call counts once, as given last.
   */
  addEffects(effects: NewEffect[], now: Date): Promise<void>;
  /** The request's effects, oldest first. */
  listEffects(requestId: string): Promise<EffectRow[]>;
  /**
   * `waiting` effects of these kinds for the request become `due` now (e.g. the gate has arrived). A
   * `due` effect of these kinds under a live claim gets a new generation instead: that claim may have
   * looked for what just arrived and not found it, so its `waiting` (or `done`) leaves it `due`.
   */
  wakeEffects(requestId: string, kinds: EffectKind[], now: Date): Promise<void>;
  /**
   * Claims one effect for this caller: true when it is `due`, nextAttemptAt <= now and no live lease is
   * held; the claim holds a lease until now + leaseMs. Returns the claimed row.
   */
  claimEffect(id: string, now: Date, leaseMs: number): Promise<EffectRow | undefined>;
  /** Claims up to `limit` due effects (oldest first), for the sweep. */
  claimDueEffects(now: Date, leaseMs: number, limit: number): Promise<EffectRow[]>;
  /**
   * Ends a claim. `done` becomes `due` again instead when the effect was refreshed since the claim
   * (generation changed); `retry` counts an attempt; the lease is released in every case.
   * On a stale generation `failed` and `waiting` also leave it `due`, and `retry` neither counts nor
   * delays it (the newer payload has not been tried). `done` stores `result` (when given) either way.
   * `obsolete` applies whatever the generation, and also to a `waiting` effect nobody claimed (the run
   * ended before its gate). `done`, `obsolete` and `failed` are final: a late finish changes nothing.
   */
  finishEffect(id: string, generation: number, outcome: EffectOutcome, now: Date): Promise<void>;

  /** Records a verified interaction before it is acknowledged; false when this body was seen already. */
  saveInbound(inbound: NewInbound): Promise<boolean>;
  /** Claims unfinished interactions older than `olderThan` whose lease has lapsed (crash recovery). */
  claimStaleInbound(olderThan: Date, now: Date, leaseMs: number, limit: number): Promise<InboundRow[]>;
  /** The interaction has been handled (whatever its outcome); it is kept only as a replay guard. */
  finishInbound(id: string): Promise<void>;
  /** Deletes finished interactions received before `before` (older than Slack's 5-minute window). */
  pruneInbound(before: Date): Promise<number>;
}
