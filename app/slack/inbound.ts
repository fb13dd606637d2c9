// Interactions are written to the store before Slack gets its 200 (see route.ts), so an acknowledged
// click survives a crash. This module hands recorded interactions to the click path, marks them
// finished, and takes over those a crashed process had acknowledged but not finished.
import type { Logger } from "pino";
import { metrics } from "../metrics.js";
import type { Store } from "../store/types.js";
import type { Reservation, WorkQueue } from "../work-queue.js";
import type { Interaction, InteractionHandler } from "./interaction.js";
import { decodeEnvelope, PayloadError, parseInteraction } from "./payload.js";

export type InboundStore = Pick<
  Store,
  "saveInbound" | "claimStaleInbound" | "finishInbound" | "pruneInbound"
>;

export interface InboundWork {
  /** Hands a recorded interaction to the click path in a reserved queue place; finishes the record after. */
  run(reservation: Reservation, interaction: Interaction, inboundId: string, urgent: boolean): void;
  /** One recovery round: stale records to the click path (`recovered: true`), old finished ones pruned. */
  recover(): Promise<number>;
  /** Recovers now, then every few seconds (at most `staleAfterMs` apart). */
  start(): void;
  stop(): void;
}

export interface InboundWorkOptions {
  store: InboundStore;
  queue: WorkQueue;
  handler: InteractionHandler;
  log: Logger;
  /**
   * How long an acknowledged interaction may stay unfinished before another process takes it over
   * (default 15 s). A live process handles one in well under that; one that takes longer may see
   * another replica handle it too, which the click path tolerates (one vote per person, one decision).
   * Short, because the person who clicked is waiting.
   */
  staleAfterMs?: number;
  /** Finished records are kept this long as a replay guard (default 10 min; Slack's window is 5). */
  keepFinishedMs?: number;
  /** Records claimed per round (default 50). */
  batch?: number;
  /** A record taken over this many times is given up, so one that crashes every process cannot loop. */
  maxAttempts?: number;
}

export function createInboundWork(options: InboundWorkOptions): InboundWork {
  const { store, queue, handler, log } = options;
  const staleAfterMs = options.staleAfterMs ?? 15_000;
  const intervalMs = Math.min(5_000, staleAfterMs);
  const keepFinishedMs = options.keepFinishedMs ?? 10 * 60_000;
  const batch = options.batch ?? 50;
  const maxAttempts = options.maxAttempts ?? 5;
  // Records this process is handling: a round that claims one of them (it ran long) leaves it alone.
  const mine = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let round: Promise<number> | undefined;

  async function handle(interaction: Interaction, inboundId: string, recovered: boolean): Promise<void> {
    try {
      await handler.handle(interaction, { inboundId, recovered });
    } catch (error) {
      // Handled means attempted to the end: an error is not retried (it would repeat what was done).
      log.error(
        { err: error, inboundId, kind: interaction.kind },
        "interaction failed after acknowledgement",
      );
    } finally {
      mine.delete(inboundId);
      await store
        .finishInbound(inboundId)
        .catch((error: unknown) =>
          log.error({ err: error, inboundId }, "could not mark an interaction finished"),
        );
    }
  }

  function run(reservation: Reservation, interaction: Interaction, inboundId: string, urgent: boolean): void {
    mine.add(inboundId);
    reservation.run(() => handle(interaction, inboundId, false), { urgent });
  }

  async function recoverOnce(): Promise<number> {
    const now = new Date();
    // The claim's lease outlasts a slow handling here, so another replica does not take it over too.
    const rows = await store.claimStaleInbound(
      new Date(now.getTime() - staleAfterMs),
      now,
      4 * staleAfterMs,
      batch,
    );
    let handed = 0;
    for (const row of rows) {
      if (mine.has(row.id)) continue;
      if (row.attempts > maxAttempts) {
        log.error(
          { inboundId: row.id, attempts: row.attempts },
          "gave up on an interaction taken over too often",
        );
        await store.finishInbound(row.id);
        continue;
      }
      let interaction: Interaction;
      try {
        const parsed = parseInteraction(decodeEnvelope(row.body));
        if (parsed.kind !== "interaction") {
          await store.finishInbound(row.id);
          continue;
        }
        interaction = parsed.interaction;
      } catch (error) {
        if (!(error instanceof PayloadError)) throw error;
        log.error({ inboundId: row.id, problem: error.message }, "a recorded interaction no longer parses");
        await store.finishInbound(row.id);
        continue;
      }
      const reservation = queue.reserve();
      // Full (or stopping): the claim's lease lapses and a later round, here or elsewhere, takes it.
      if (!reservation) break;
      mine.add(row.id);
      reservation.run(() => handle(interaction, row.id, true));
      handed += 1;
    }
    if (handed > 0) {
      log.warn({ count: handed }, "took over interactions acknowledged by a process that stopped");
      metrics.interactionsRecovered(handed);
    }
    await store.pruneInbound(new Date(now.getTime() - keepFinishedMs));
    return handed;
  }

  const recover = () => {
    // One round at a time per process; the store's leases keep replicas apart.
    round ??= recoverOnce().finally(() => {
      round = undefined;
    });
    return round;
  };
  const tick = () => {
    recover().catch((error: unknown) => log.error({ err: error }, "interaction recovery failed"));
  };

  return {
    run,
    recover,
    start() {
      if (timer) return;
      tick();
      timer = setInterval(tick, intervalMs);
      timer.unref();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  };
}
