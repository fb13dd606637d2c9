// Runs recorded effects: claim (a lease, so one replica runs it) → handler → finish. Effects run at
// once after they are recorded (by a click, a webhook, or a handler), and the sweep (a timer, and once
// at start-up) catches up on every due one, on whichever replica claims it. After a GitHub effect ends,
// the request message is refreshed from the stored state, and the thread hears the outcome once. A
// refresh that lands while an effect runs (here or on another replica) runs it again right after.
import type { Logger } from "probot";
import type { ActivityRecorder } from "../activity/recorder.js";
import { metrics } from "../metrics.js";
import { type Applied, appliedReply } from "../sentences.js";
import type { EffectKind, EffectOutcome, EffectRow, NewEffect, RequestRow, Store } from "../store/types.js";
import { messageUpdate, threadReply } from "./message-state.js";
import { effectId, isGitHubEffect, primaryEffect } from "./modes.js";
import { retryLater } from "./retry.js";
import type { EffectHandler } from "./types.js";

/** Longer than any handler's own timeout (the review call gives up after 20 s). */
const LEASE_MS = 60_000;
const SWEEP_BATCH = 50;
const SWEEP_MAX_BATCHES = 20;

export interface EffectRunner {
  /**
   * Runs recorded effects now: GitHub effects alongside thread replies and ephemerals, then the
   * message update, so that the message shows what GitHub answered. `request` spares a read.
   */
  run(ids: string[], request?: RequestRow): Promise<void>;
  /** Records effects, then runs the due ones. */
  record(effects: NewEffect[], request?: RequestRow): Promise<void>;
  /** Waiting effects of these kinds become due (the gate arrived), and run. */
  wake(requestId: string, kinds: EffectKind[], request?: RequestRow): Promise<void>;
  /** Runs every due effect; returns how many it claimed. */
  sweep(): Promise<number>;
  /** Resolves when every run started so far has ended. */
  idle(): Promise<void>;
  /** Drops pending retry timers (the sweep of this or another replica takes them over). */
  stop(): void;
}

export function createEffectRunner(deps: {
  store: Store;
  handlers: readonly EffectHandler[];
  log: Logger;
  now?: () => Date;
  /**
   * Retries due within this long are run by a timer in this process, not left to the next sweep
   * (a waiting deployment should not wait for the sweep). 0 leaves every retry to the sweep.
   */
  retryTimersWithinMs?: number;
  /** The activity record: each effect runs for its request, and GitHub effects' outcomes are recorded. */
  activity?: ActivityRecorder;
}): EffectRunner {
  const { store, log } = deps;
  const now = deps.now ?? (() => new Date());
  const handlers = new Map<EffectKind, EffectHandler>(deps.handlers.map((h) => [h.kind, h]));
  // Runs in this process, by effect id: a refresh while one runs makes it run once more afterwards.
  const active = new Map<string, { again: boolean; done: Promise<void> }>();
  const timers = new Map<string, NodeJS.Timeout>();
  const timerWindow = deps.retryTimersWithinMs ?? 5 * 60_000;

  /** Runs the effect again when it is due (the claim still decides who runs it). */
  function retryAt(id: string, at: Date): void {
    // The newest finish says when it is due: a timer set by an earlier one would find it not due yet.
    clearTimeout(timers.get(id));
    timers.delete(id);
    const delay = at.getTime() - now().getTime();
    if (delay > timerWindow) return;
    const timer = setTimeout(
      () => {
        timers.delete(id);
        void runOne(id, { followUp: true });
      },
      Math.max(0, delay),
    );
    timer.unref();
    timers.set(id, timer);
  }

  function runOne(
    id: string,
    options: {
      request?: RequestRow;
      claimed?: EffectRow;
      followUp: boolean;
      /** Told once the first claim is decided (the handler is about to run, or nothing will). */
      claimDecided?: () => void;
    },
  ) {
    const running = active.get(id);
    if (running) {
      running.again = true;
      options.claimDecided?.();
      return running.done;
    }
    const entry = { again: false, done: Promise.resolve() };
    entry.done = (async () => {
      let { request, claimed } = options;
      let reclaim = false;
      try {
        do {
          entry.again = false;
          const row = claimed ?? (await store.claimEffect(id, now(), LEASE_MS));
          claimed = undefined;
          options.claimDecided?.();
          if (!row) return;
          const current =
            request?.requestId === row.requestId ? request : await store.getRequest(row.requestId);
          request = undefined;
          const started = performance.now();
          const caused: string[] = [];
          const outcome = current
            ? await (deps.activity?.runFor(current, () => execute(row, current, caused), {
                effect: row.id,
              }) ?? execute(row, current, caused))
            : ({ state: "obsolete", note: "the request is gone" } as const);
          await store.finishEffect(row.id, row.generation, outcome, now());
          metrics.effect(row.kind, outcome.state, (performance.now() - started) / 1000);
          if (current && isGitHubEffect(row.kind)) recordDelivery(row, current, outcome, started);
          if (outcome.state === "retry") retryAt(row.id, outcome.nextAttemptAt);
          log.info(
            { effect: row.id, kind: row.kind, requestId: row.requestId, outcome: outcome.state },
            "effect",
          );
          await Promise.all([
            current && isGitHubEffect(row.kind) ? afterGitHub(row, current, outcome, options.followUp) : null,
            ...caused.map((next) => runOne(next, { request: current, followUp: true })),
          ]);
          // Refreshed (or woken) during this claim, on any replica: the finish left it due, and nobody
          // else could claim it meanwhile, so it runs again now. A retry waits for its own time (a
          // timer above), so a rate limit is never hammered; an obsolete effect is final.
          reclaim = outcome.state !== "retry" && outcome.state !== "obsolete";
        } while (entry.again || reclaim);
      } catch (error) {
        log.error({ err: error, effect: id }, "effect run failed");
      } finally {
        options.claimDecided?.();
        active.delete(id);
      }
    })();
    active.set(id, entry);
    return entry.done;
  }

  /** Runs the handler; the due effects it records are added to `caused`, to run once it is finished. */
  async function execute(row: EffectRow, request: RequestRow, caused: string[]): Promise<EffectOutcome> {
    const handler = handlers.get(row.kind);
    if (!handler) return { state: "failed", note: `no handler for ${row.kind}` };
    const record = async (effects: NewEffect[]) => {
      await store.addEffects(effects, now());
      caused.push(...effects.filter((e) => e.state === "due").map((e) => e.id));
    };
    try {
      return await handler.run(row, request, { store, now, record });
    } catch (error) {
      // A thrown error is a bug or an outage the handler did not foresee: try again later.
      log.error({ err: error, effect: row.id }, "effect handler threw");
      return retryLater(row, now(), error instanceof Error ? error.message : String(error));
    }
  }

  /** A GitHub effect's attempt on the request's timeline: the decision's delivery, and its retries. */
  function recordDelivery(
    row: EffectRow,
    request: RequestRow,
    outcome: EffectOutcome,
    started: number,
  ): void {
    deps.activity?.record(request, {
      kind: "delivery",
      effect: row.id,
      effectKind: row.kind,
      outcome: outcome.state,
      attempt: row.attempts + 1,
      primary: request.decision !== null && row.kind === primaryEffect(request.mode, request.decision),
      note: "note" in outcome ? outcome.note : "error" in outcome ? outcome.error : null,
      ...(outcome.state === "retry" ? { nextAttemptAt: outcome.nextAttemptAt.toISOString() } : {}),
      ms: Math.round(performance.now() - started),
    });
  }

  /**
   * The thread hears the outcome of the decision's main GitHub effect once; the message follows it.
   * The message update is refreshed in the store whatever `followUp` says: an update another replica
   * is running (or finished) from the state before this outcome then runs again. `followUp` false
   * means only that the caller runs the update next, so that it is not run twice here.
   */
  async function afterGitHub(row: EffectRow, request: RequestRow, outcome: EffectOutcome, followUp: boolean) {
    const effects: NewEffect[] = [];
    if (request.decision && row.kind === primaryEffect(request.mode, request.decision)) {
      const applied: Applied | null =
        outcome.state === "done"
          ? "applied"
          : outcome.state === "obsolete"
            ? "not_applied"
            : outcome.state === "failed"
              ? "unknown"
              : null;
      const text =
        applied &&
        appliedReply(
          request.environment,
          request.mode,
          request.decision,
          applied,
          "note" in outcome ? outcome.note : null,
        );
      if (text) effects.push(threadReply(request, "github", text));
    }
    const update = request.decision ? messageUpdate(request.requestId, { show: "decision" }) : undefined;
    if (update) effects.push(update);
    if (effects.length === 0) return;
    await store.addEffects(effects, now());
    const runHere = effects.filter((e) => followUp || e !== update);
    await Promise.all(runHere.map((e) => runOne(e.id, { request, followUp: false })));
  }

  async function run(ids: string[], request?: RequestRow): Promise<void> {
    const kinds = ids.map((id) => ({ id, kind: kindOf(id) }));
    const last = kinds.filter((k) => k.kind === "slack.update");
    const followUp = last.length === 0;
    // The decision's own GitHub call (the review, in gate mode) leads: it is claimed, and its handler
    // has run up to its call, before anything else competes with it for the database, the event loop
    // or the write spacing of app/github/pacing.ts (a check run written first would hold it 50 ms).
    const lead = request?.decision ? primaryEffect(request.mode, request.decision) : undefined;
    const leading = kinds.find((k) => k.kind === lead);
    const first = kinds.filter((k) => k.kind !== "slack.update" && k !== leading);
    let led: Promise<void> = Promise.resolve();
    if (leading) {
      await new Promise<void>((claimDecided) => {
        led = runOne(leading.id, { request, followUp, claimDecided });
      });
      await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all([led, ...first.map((k) => runOne(k.id, { request, followUp }))]);
    await Promise.all(last.map((k) => runOne(k.id, { request, followUp: false })));
  }

  return {
    run,
    async record(effects, request) {
      if (effects.length === 0) return;
      await store.addEffects(effects, now());
      await run(
        effects.filter((e) => e.state === "due").map((e) => e.id),
        request,
      );
    },
    async wake(requestId, kinds, request) {
      await store.wakeEffects(requestId, kinds, now());
      await run(
        kinds.map((kind) => effectId(requestId, kind)),
        request,
      );
    },
    async sweep() {
      let total = 0;
      for (let batch = 0; batch < SWEEP_MAX_BATCHES; batch++) {
        const claimed = await store.claimDueEffects(now(), LEASE_MS, SWEEP_BATCH);
        total += claimed.length;
        await Promise.all(claimed.map((row) => runOne(row.id, { claimed: row, followUp: true })));
        if (claimed.length < SWEEP_BATCH) break;
      }
      return total;
    },
    async idle() {
      while (active.size > 0) await Promise.allSettled([...active.values()].map((a) => a.done));
    },
    stop() {
      for (const timer of timers.values()) clearTimeout(timer);
      timers.clear();
    },
  };
}

/** Effect ids start with `<requestId>:<kind>`; request ids have no colon. */
function kindOf(id: string): EffectKind {
  return id.split(":")[1] as EffectKind;
}
