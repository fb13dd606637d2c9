// Work that follows an acknowledgement runs here, a bounded number at a time with a bounded number
// waiting, so a burst of clicks cannot take the event loop (and the acknowledgements with it) or memory
// without limit. Every task counts against the cap, urgent ones included: urgent work (opening the
// reject form, whose trigger id lasts 3 s) only goes to the front of the line.
import type { Logger } from "pino";

export type Task = () => Promise<void>;

/** A place in the queue, held between "is there room?" and "here is the task". */
export interface Reservation {
  /** Queues the task in the reserved place; `urgent` puts it at the front of the waiting line. */
  run(task: Task, options?: { urgent?: boolean }): void;
  /** Gives the place back unused. */
  release(): void;
}

export interface WorkQueueStats {
  running: number;
  /** Queued tasks and held reservations. */
  waiting: number;
  concurrency: number;
  maxWaiting: number;
}

export interface WorkQueue {
  /** A place for one task, or null when the queue is full or stopped: shed the work instead. */
  reserve(): Reservation | null;
  stats(): WorkQueueStats;
  /** Resolves when every task started, queued or reserved so far has finished (or was released). */
  idle(): Promise<void>;
  /** Stops accepting work (reserve() returns null from now on); what was accepted still runs. */
  stop(): void;
}

export interface WorkQueueOptions {
  /** Tasks running at once (default 16). */
  concurrency?: number;
  /** Tasks waiting for a slot, reservations included (default 1000). */
  maxWaiting?: number;
}

export function createWorkQueue(log: Logger, options: WorkQueueOptions = {}): WorkQueue {
  const concurrency = options.concurrency ?? 16;
  const maxWaiting = options.maxWaiting ?? 1000;
  const queued: Task[] = [];
  let reserved = 0;
  let running = 0;
  let stopped = false;
  let idleWaiters: Array<() => void> = [];

  const busy = () => running > 0 || queued.length > 0 || reserved > 0;

  function settleIdle(): void {
    if (busy() || idleWaiters.length === 0) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  function start(task: Task): void {
    running += 1;
    // A task that throws synchronously is still one that failed, not one that breaks the queue.
    Promise.resolve()
      .then(task)
      .catch((error: unknown) => log.error({ err: error }, "queued work failed"))
      .finally(() => {
        running -= 1;
        pump();
        settleIdle();
      });
  }

  function pump(): void {
    while (running < concurrency && queued.length > 0) start(queued.shift() as Task);
  }

  return {
    reserve() {
      if (stopped || queued.length + reserved >= maxWaiting) return null;
      reserved += 1;
      let used = false;
      const use = () => {
        if (used) throw new Error("a reservation is used once");
        used = true;
        reserved -= 1;
      };
      return {
        run(task, runOptions) {
          use();
          if (runOptions?.urgent) queued.unshift(task);
          else queued.push(task);
          pump();
        },
        release() {
          use();
          settleIdle();
        },
      };
    },
    stats: () => ({ running, waiting: queued.length + reserved, concurrency, maxWaiting }),
    idle() {
      if (!busy()) return Promise.resolve();
      return new Promise<void>((resolve) => idleWaiters.push(resolve));
    },
    stop() {
      stopped = true;
    },
  };
}
