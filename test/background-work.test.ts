// The work queue behind the Slack acknowledgement (bounded running and waiting, urgent work first but
// within the cap, reservations, idle and stop) and the log throttle that keeps floods out of the log.
import { Writable } from "node:stream";
import { pino } from "pino";
import { afterEach, describe, expect, it, vi } from "vitest";
import { throttledLog } from "../app/log-throttle.js";
import { createWorkQueue, type Task } from "../app/work-queue.js";

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

const silent = pino({ level: "silent" });
const tick = () => new Promise((resolve) => setImmediate(resolve));

/** Queues a task through a reservation, failing the test when there is no room. */
function push(queue: ReturnType<typeof createWorkQueue>, task: Task, urgent = false): void {
  const reservation = queue.reserve();
  if (!reservation) throw new Error("the queue is full");
  reservation.run(task, { urgent });
}

describe("the work queue", () => {
  it("runs at most `concurrency` tasks at once and starts waiting ones as others finish", async () => {
    const queue = createWorkQueue(silent, { concurrency: 2, maxWaiting: 10 });
    const gates = [gate(), gate(), gate()];
    const started: number[] = [];
    gates.forEach((g, i) => {
      push(queue, async () => {
        started.push(i);
        await g.opened;
      });
    });
    await tick();
    expect(started).toEqual([0, 1]);
    expect(queue.stats()).toMatchObject({ running: 2, waiting: 1 });
    gates[0]?.open();
    await tick();
    expect(started).toEqual([0, 1, 2]);
    gates[1]?.open();
    gates[2]?.open();
    await queue.idle();
    expect(queue.stats()).toMatchObject({ running: 0, waiting: 0 });
  });

  it("has no room once `maxWaiting` tasks wait, and room again as they drain", async () => {
    const queue = createWorkQueue(silent, { concurrency: 1, maxWaiting: 2 });
    const blocker = gate();
    push(queue, () => blocker.opened);
    push(queue, async () => {});
    push(queue, async () => {});
    expect(queue.reserve()).toBeNull();
    blocker.open();
    await queue.idle();
    expect(queue.reserve()).not.toBeNull();
  });

  it("counts urgent work against the cap: it goes to the front, not past the limit", async () => {
    const queue = createWorkQueue(silent, { concurrency: 1, maxWaiting: 2 });
    const blocker = gate();
    const order: string[] = [];
    push(queue, () => blocker.opened);
    push(queue, async () => {
      order.push("queued first");
    });
    push(
      queue,
      async () => {
        order.push("urgent");
      },
      true,
    );
    // The running task holds the only slot: the urgent one waits for it, ahead of the queued one.
    await tick();
    expect(order).toEqual([]);
    expect(queue.reserve()).toBeNull();
    blocker.open();
    await queue.idle();
    expect(order).toEqual(["urgent", "queued first"]);
  });

  it("holds a reserved place until it is used or released", async () => {
    const queue = createWorkQueue(silent, { concurrency: 1, maxWaiting: 1 });
    const blocker = gate();
    push(queue, () => blocker.opened);
    const reservation = queue.reserve();
    expect(reservation).not.toBeNull();
    expect(queue.reserve()).toBeNull();
    let idle = false;
    void queue.idle().then(() => {
      idle = true;
    });
    blocker.open();
    await tick();
    // A held reservation is work still to come.
    expect(idle).toBe(false);
    reservation?.release();
    await tick();
    expect(idle).toBe(true);
    expect(() => reservation?.release()).toThrow(/used once/);
  });

  it("keeps going after a task fails, synchronously or not, and logs it", async () => {
    const lines: string[] = [];
    const log = pino(
      { level: "error" },
      new Writable({
        write(chunk, _encoding, done) {
          lines.push(String(chunk));
          done();
        },
      }),
    );
    const queue = createWorkQueue(log, { concurrency: 1, maxWaiting: 5 });
    const done: string[] = [];
    push(queue, async () => {
      throw new Error("boom");
    });
    push(queue, () => {
      throw new Error("sync boom");
    });
    push(queue, async () => {
      done.push("third");
    });
    await queue.idle();
    expect(done).toEqual(["third"]);
    expect(lines.filter((l) => l.includes("queued work failed"))).toHaveLength(2);
  });

  it("refuses new work once stopped, and still finishes what it accepted", async () => {
    const queue = createWorkQueue(silent, { concurrency: 1, maxWaiting: 5 });
    const blocker = gate();
    let finished = 0;
    push(queue, async () => {
      await blocker.opened;
      finished += 1;
    });
    push(queue, async () => {
      finished += 1;
    });
    queue.stop();
    expect(queue.reserve()).toBeNull();
    blocker.open();
    await queue.idle();
    expect(finished).toBe(2);
  });
});

describe("throttledLog", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("logs the first occurrence at once, then the count of the rest when the interval ends", () => {
    vi.useFakeTimers();
    const lines: Array<{ count: number; n?: number }> = [];
    const log = { warn: (fields: { count: number }) => lines.push(fields) } as unknown as Parameters<
      typeof throttledLog
    >[0];
    const warn = throttledLog(log, "forged", { intervalMs: 1000 });
    warn({ n: 0 });
    for (let i = 1; i < 100; i++) warn({ n: i });
    expect(lines).toEqual([{ n: 0, count: 1 }]);
    vi.advanceTimersByTime(1000);
    // The 99 that were held back, with the latest fields.
    expect(lines).toEqual([
      { n: 0, count: 1 },
      { n: 99, count: 99 },
    ]);
    // A quiet interval closes the window: the next occurrence is logged at once again.
    vi.advanceTimersByTime(1000);
    warn({ n: 100 });
    expect(lines.at(-1)).toEqual({ n: 100, count: 1 });
    expect(lines).toHaveLength(3);
  });
});
