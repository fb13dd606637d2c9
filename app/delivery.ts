// Telling GitHub about a decision, exactly once. A decision is recorded before delivery starts, so a
// GitHub outage or a restart loses nothing: the claim is leased, failures are retried with backoff by
// the periodic sweep, and a run that no longer waits is marked obsolete instead of retried forever.
import type { Logger } from "probot";
import { reviewProtectionRule } from "./github/review.js";
import { type RunInfo, type RunLookup, status } from "./github/runs.js";
import type { MessageUpdater } from "./message-updater.js";
import type { DeliveryOutcome, RequestRow, Store } from "./store/types.js";

const LEASE_MS = 60_000;
const FIRST_RETRY_MS = 30_000;
const MAX_RETRY_MS = 15 * 60_000;
/** After this long, an undeliverable decision is given up and shown as such. */
const GIVE_UP_AFTER_MS = 24 * 60 * 60_000;

export interface Delivery {
  /**
   * Delivers the request's decision if it is due and its gate is known; safe to call from anywhere,
   * any number of times. `checkedRun` is the run as just read from GitHub, to skip reading it again.
   */
  deliver(requestId: string, checkedRun?: RunInfo): Promise<void>;
  /** Delivers every due decision; returns how many were attempted. */
  sweep(): Promise<number>;
}

export function createDelivery(deps: {
  store: Store;
  runs: RunLookup;
  messages: MessageUpdater;
  log: Logger;
  now?: () => Date;
}): Delivery {
  const { store, runs, messages, log } = deps;
  const now = deps.now ?? (() => new Date());

  async function attempt(row: RequestRow, checkedRun: RunInfo | undefined): Promise<DeliveryOutcome> {
    const gate = await store.getGate(row.repository, row.runId, row.environment);
    if (!gate) return { state: "retry", error: "gate not reported yet", nextAttemptAt: now() };
    try {
      const octokit = await runs.octokitFor(gate.installationId);
      const run = checkedRun ?? (await runs.getRun(octokit, row.repository, row.runId));
      if (!run) return { state: "obsolete", note: "the run no longer exists" };
      if (run.attempt !== row.runAttempt) {
        return {
          state: "obsolete",
          note: `the run was re-run (now attempt ${run.attempt}); a re-run needs a fresh approval`,
        };
      }
      if (run.status === "completed") {
        return { state: "obsolete", note: `the run already finished (${run.conclusion ?? "completed"})` };
      }
      await reviewProtectionRule(octokit, {
        repository: row.repository,
        runId: row.runId,
        environment: row.environment,
        state: row.decision === "approved" ? "approved" : "rejected",
        comment: await comment(row),
      });
      return { state: "delivered" };
    } catch (error) {
      const code = status(error);
      if (code === 422) {
        return { state: "obsolete", note: `GitHub says the run is no longer waiting on ${row.environment}` };
      }
      const reason = code
        ? `GitHub answered ${code}`
        : `GitHub could not be reached (${(error as Error).message})`;
      const decidedAt = row.decidedAt?.getTime() ?? now().getTime();
      if (now().getTime() - decidedAt > GIVE_UP_AFTER_MS) {
        return { state: "obsolete", note: `gave up after ${row.deliveryAttempts + 1} attempts: ${reason}` };
      }
      const delay = Math.min(FIRST_RETRY_MS * 2 ** row.deliveryAttempts, MAX_RETRY_MS);
      return { state: "retry", error: reason, nextAttemptAt: new Date(now().getTime() + delay) };
    }
  }

  async function comment(row: RequestRow): Promise<string> {
    const names = await Promise.all(row.decidedBy.map((id) => messages.describeUser(id)));
    if (row.decision === "approved")
      return `Approved in Slack by ${names.join(", ")} (request ${row.requestId}).`;
    return `Rejected in Slack by ${names.join(", ")}: ${row.reason ?? "no reason given"} (request ${row.requestId}).`;
  }

  async function deliver(requestId: string, checkedRun?: RunInfo): Promise<void> {
    const row = await store.getRequest(requestId);
    if (!row?.decision || row.delivery !== "due") return;
    if (!(await store.getGate(row.repository, row.runId, row.environment))) {
      await messages.showDecision(row, "waiting_gate");
      return;
    }
    if (!(await store.claimDelivery(requestId, now(), LEASE_MS))) return;
    const outcome = await attempt(row, checkedRun);
    await store.finishDelivery(requestId, outcome);
    log.info(
      { requestId, repository: row.repository, runId: row.runId, outcome: outcome.state },
      "decision delivery",
    );
    const updated = (await store.getRequest(requestId)) ?? row;
    if (outcome.state === "delivered") await messages.showDecision(updated, "delivered");
    else if (outcome.state === "obsolete") await messages.showDecision(updated, "obsolete", outcome.note);
    else await messages.showDecision(updated, "retrying", outcome.error);
  }

  return {
    deliver,
    async sweep() {
      const due = await store.listDue(now(), 50);
      for (const row of due) {
        try {
          await deliver(row.requestId);
        } catch (error) {
          log.error({ err: error, requestId: row.requestId }, "delivery sweep failed for a request");
        }
      }
      return due.length;
    },
  };
}
