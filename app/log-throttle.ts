// Log lines that unauthenticated traffic can trigger (forged signatures, oversized bodies, shed load)
// are written at most once per interval with the count they stand for, so a flood of requests cannot
// turn into a flood of log lines, and a burst is still reported in full once it is over.
import type { Logger } from "pino";

export type ThrottledLog = (fields: Record<string, unknown>) => void;

export interface ThrottleOptions {
  /** Default 10 s. */
  intervalMs?: number;
  level?: "warn" | "error" | "info";
}

/**
 * The first occurrence is logged at once; later ones within the interval are counted, and their count
 * is logged (with the latest fields) when the interval ends. `count` says how many occurrences a line
 * stands for.
 */
export function throttledLog(log: Logger, message: string, options: ThrottleOptions = {}): ThrottledLog {
  const intervalMs = options.intervalMs ?? 10_000;
  const level = options.level ?? "warn";
  let window: NodeJS.Timeout | undefined;
  let suppressed = 0;
  let latest: Record<string, unknown> = {};

  const closeWindow = () => {
    window = undefined;
    if (suppressed === 0) return;
    const count = suppressed;
    suppressed = 0;
    log[level]({ ...latest, count }, message);
    openWindow();
  };
  const openWindow = () => {
    window = setTimeout(closeWindow, intervalMs);
    // A pending summary must not keep the process alive on shutdown.
    window.unref();
  };

  return (fields) => {
    if (window) {
      suppressed += 1;
      latest = fields;
      return;
    }
    log[level]({ ...fields, count: 1 }, message);
    openWindow();
  };
}
