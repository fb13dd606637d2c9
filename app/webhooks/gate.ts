// `gate_requested`: GitHub holds a job at an environment with the App's rule. The gate is recorded,
// and a decision taken before it arrived is applied now (its review effect wakes up). When the
// environment's policy names a channel and nobody asked yet, the App posts the request itself
// (app/requests/post.ts).
import type { EffectRunner } from "../effects/runner.js";
import type { GateRequested } from "../github/events.js";
import type { RequestPoster } from "../requests/post.js";
import { GATE_CONTACT_RETRY_MS } from "../requests/timers.js";
import type { Store } from "../store/types.js";

export async function onGateRequested(
  event: GateRequested,
  deps: {
    store: Store;
    runner: EffectRunner;
    now: () => Date;
    poster?: RequestPoster;
    log?: { warn(details: object, message: string): void };
  },
): Promise<void> {
  const { store, runner, now } = deps;
  await store.saveGate({
    repository: event.repository,
    runId: event.runId,
    environment: event.environment,
    installationId: event.installationId,
    receivedAt: now(),
  });
  // Environment names ignore case, as GitHub's do: a `Production` button meets a `production` gate.
  const requests = await store.findRequests(event.repository, event.runId, event.environment);
  await Promise.all(
    requests
      .filter((request) => request.decision && request.mode === "gate")
      .map((request) => runner.wake(request.requestId, ["github.review"], request)),
  );
  // The gate is recorded and any decision woken above; reaching out to the workflow's request (or
  // posting the App's own) needs GitHub and Slack. Its failure does not fail the delivery: the sweep
  // tries it again (app/requests/timers.ts), on whichever replica claims it.
  await deps.poster?.onGate(event).catch(async (error: unknown) => {
    deps.log?.warn(
      { err: error, repository: event.repository, runId: event.runId },
      "could not make first contact at the gate; the sweep tries again",
    );
    await store.scheduleGateContact(
      event.repository,
      event.runId,
      event.environment,
      new Date(now().getTime() + GATE_CONTACT_RETRY_MS),
    );
  });
}
