// SIGTERM (or Ctrl+C): stop taking work, finish what is in flight, exit within a bound.
//  1. /readyz turns 503 and new Slack requests get 503 (app/ops/routes.ts); the listener closes, so a
//     load balancer sends new connections elsewhere; idle keep-alive connections are closed.
//  2. Requests already being answered, acknowledged Slack work and GitHub deliveries run to the end.
//  3. At the bound, whatever still runs is abandoned: every acknowledged click and every decision is
//     in the database, and the next process (or another replica) takes it over once its lease lapses.
// A second signal exits at once.
import type { Server } from "node:http";
import type { Logger } from "probot";
import { metrics } from "../metrics.js";
import type { Readiness } from "./readiness.js";

export interface ShutdownOptions {
  server: Server;
  readiness: Readiness;
  /** Resolves when the App's own work (queued clicks, the sweep) has finished. */
  finishWork: () => Promise<void>;
  /** Closes the database; runs after the work, even when the bound was reached. */
  closeStore: () => Promise<void>;
  timeoutMs: number;
  log: Logger;
  exit: (code: number) => void;
}

const IDLE_CLOSE_INTERVAL_MS = 100;
const STORE_CLOSE_TIMEOUT_MS = 2000;

export function createShutdown(options: ShutdownOptions): (signal: string) => Promise<void> {
  const { server, readiness, log } = options;
  let started = false;

  return async (signal) => {
    if (started) {
      log.warn({ signal }, "second signal: exiting now");
      options.exit(1);
      return;
    }
    started = true;
    const began = Date.now();
    readiness.markShuttingDown();
    metrics.shuttingDown();
    log.info(
      { signal, timeoutMs: options.timeoutMs },
      "shutting down: taking no new work, finishing work in flight",
    );

    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    // A connection that finishes its request while the server closes would otherwise stay open idle.
    server.closeIdleConnections();
    const idleCloser = setInterval(() => server.closeIdleConnections(), IDLE_CLOSE_INTERVAL_MS);

    const finished = Promise.all([closed, options.finishWork()]).then(
      () => true,
      (error: unknown) => {
        log.error({ err: error }, "work in flight failed while shutting down");
        return true;
      },
    );
    const inTime = await within(finished, options.timeoutMs);
    clearInterval(idleCloser);
    if (!inTime) {
      log.warn(
        { timeoutMs: options.timeoutMs },
        "shutdown bound reached with work still running; it is recorded, and the next process takes it over",
      );
      server.closeAllConnections();
    }

    const storeClosed = await within(
      options.closeStore().then(
        () => true,
        (error: unknown) => {
          log.error({ err: error }, "closing the database failed");
          return false;
        },
      ),
      STORE_CLOSE_TIMEOUT_MS,
    );
    log.info({ ms: Date.now() - began, drained: inTime }, "stopped");
    options.exit(inTime && storeClosed ? 0 : 1);
  };
}

/** True when `promise` resolves truthy within `ms`. */
async function within(promise: Promise<boolean>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
