// Retention: requests whose last event is older than the retention period (ACTIVITY_RETENTION_DAYS,
// default 90) are deleted with their timelines, and refused-request counts with them, on a timer. Every
// replica prunes; deleting what another already deleted changes nothing.
import type { Logger } from "pino";
import type { ActivityStore } from "./store.js";

export const DEFAULT_RETENTION_DAYS = 90;
const DAY_MS = 24 * 60 * 60_000;

export interface Retention {
  /** Prunes now; returns how many requests were deleted. */
  prune(): Promise<number>;
  start(): void;
  stop(): void;
}

export function createRetention(options: {
  store: ActivityStore;
  log: Logger;
  now: () => Date;
  days?: number;
  /** How often to prune (default hourly; the first prune comes a minute after start). */
  intervalMs?: number;
}): Retention {
  const days = options.days ?? DEFAULT_RETENTION_DAYS;
  const intervalMs = options.intervalMs ?? 60 * 60_000;
  let timer: NodeJS.Timeout | undefined;
  let first: NodeJS.Timeout | undefined;
  let running: Promise<number> | undefined;

  const prune = () => {
    running ??= options.store
      .prune(new Date(options.now().getTime() - days * DAY_MS))
      .then((deleted) => {
        if (deleted > 0)
          options.log.info({ deleted, retentionDays: days }, "activity record: pruned old requests");
        return deleted;
      })
      .finally(() => {
        running = undefined;
      });
    return running;
  };
  const tick = () => {
    prune().catch((error: unknown) => options.log.error({ err: error }, "activity record: pruning failed"));
  };

  return {
    prune,
    start() {
      if (timer || intervalMs <= 0) return;
      first = setTimeout(tick, Math.min(60_000, intervalMs));
      first.unref();
      timer = setInterval(tick, intervalMs);
      timer.unref();
    },
    stop() {
      if (first) clearTimeout(first);
      if (timer) clearInterval(timer);
      first = undefined;
      timer = undefined;
    },
  };
}
