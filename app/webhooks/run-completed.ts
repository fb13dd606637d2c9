// `run_completed`: a run that ends can no longer pass a gate. A review not yet taken becomes obsolete
// (and the message says so); an undecided request closes (a cancelled run as cancelled), its buttons
// gone. Every request of the attempt keeps how the run ended: its thread hears the outcome, with the
// run's link and how long the deploy took after approval, and its footer shows it. Other effects (the
// check run, a dispatch) still apply: they do not need the run to wait.

import { messageUpdate, threadReply } from "../effects/message-state.js";
import { effectId } from "../effects/modes.js";
import type { EffectRunner } from "../effects/runner.js";
import type { RunCompleted } from "../github/events.js";
import { closeRequest, refreshMessage } from "../requests/life.js";
import { appliedReply, notes, runOutcomeReply } from "../sentences.js";
import type { NewEffect, RequestRow, RunOutcome, Store } from "../store/types.js";

const CLAIM_MS = 30_000;

export async function onRunCompleted(
  event: RunCompleted,
  deps: { store: Store; runner: EffectRunner; now: () => Date },
): Promise<void> {
  const { store, runner, now } = deps;
  const requests = await store.findRequestsForRun(event.repository, event.runId);
  const outcome: RunOutcome = {
    conclusion: event.conclusion ?? "completed",
    completedAt: event.completedAt ?? now().toISOString(),
    url: event.htmlUrl,
  };
  await Promise.all(
    requests
      .filter((request) => request.runAttempt === event.runAttempt)
      .map(async (request) => {
        // Dispatch mode: the requesting run ends once it has asked; the deploy is another run, started
        // on approval. Its end closes nothing, unless it was cancelled (a cancelled run starts nothing).
        if (request.mode === "dispatch") {
          if (!request.decision && !request.closed && event.conclusion === "cancelled") await close(request);
          return;
        }
        await store.setOutcome(request.requestId, outcome);
        const current: RequestRow = { ...request, outcome };
        if (current.decision) await dropReview(current);
        else if (!current.closed) await close(current);
        await tellOutcome(current);
      }),
  );

  /** The thread hears how the run ended (once), and the footer shows it. */
  async function tellOutcome(request: RequestRow): Promise<void> {
    const approvedAt = request.decision === "approved" ? request.decidedAt : null;
    const fresh = (await store.getRequest(request.requestId)) ?? request;
    await refreshMessage(deps, fresh, [
      threadReply(fresh, "run", runOutcomeReply(outcome, approvedAt, request.decision === "approved")),
    ]);
  }

  async function dropReview(request: RequestRow): Promise<void> {
    if (request.mode !== "gate") return;
    const id = effectId(request.requestId, "github.review");
    // A waiting review is woken to be claimed; one that another process holds finds out by itself.
    await store.wakeEffects(request.requestId, ["github.review"], now());
    const claimed = await store.claimEffect(id, now(), CLAIM_MS);
    if (!claimed) return;
    const note = notes.runFinished(event.conclusion);
    await store.finishEffect(id, claimed.generation, { state: "obsolete", note }, now());
    const effects: NewEffect[] = [messageUpdate(request.requestId, { show: "decision" })];
    const text =
      request.decision &&
      appliedReply(request.environment, request.mode, request.decision, "not_applied", note);
    if (text) effects.unshift(threadReply(request, "github", text));
    await runner.record(effects, request);
  }

  async function close(request: RequestRow): Promise<void> {
    await closeRequest(
      deps,
      request,
      { kind: "run_finished", conclusion: event.conclusion },
      { reply: false },
    );
  }
}
