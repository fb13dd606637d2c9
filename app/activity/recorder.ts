// The one small API the App records through: `record(request, event)`, `recordRun(run, event)` and
// `refused(source, reason)` return at once, having only put the event in memory; a timer writes what
// has gathered in one transaction every quarter second. So no acknowledgement waits for the activity
// record, and a database that is slow or gone costs a click nothing: what cannot be written is retried
// a few times, then dropped and counted, and the buffer is bounded. A crash loses at most the last
// quarter second of timeline (the decisions themselves are in the App's own tables).
import type { Logger } from "pino";
import { throttledLog } from "../log-throttle.js";
import { metrics } from "../metrics.js";
import { type ActivityContext, outsideActivity, type RecordSink, runFor } from "./context.js";
import type { ActivityStore, ActivityWrite, RefusedCount } from "./store.js";
import type { ActivityEvent, RefusedSource, RequestFacts, RunSubject } from "./types.js";

export interface ActivityRecorder extends RecordSink {
  /** `at`: when it happened, when that was earlier than now (a click is recorded once it has ended). */
  record(request: RequestFacts, event: ActivityEvent, at?: Date): void;
  /** What GitHub said of a run (and environment), before or without naming the request. */
  recordRun(run: RunSubject, event: ActivityEvent): void;
  /** A request that never reached a request (forged, malformed, another workspace): counted per minute. */
  refused(source: RefusedSource, reason: string): void;
  /** Runs `fn` for `request`: the GitHub and Slack calls it makes are recorded on its timeline. */
  runFor<T>(request: RequestFacts, fn: () => T, extra?: Omit<ActivityContext, "sink" | "request">): T;
  /** Runs `fn` for no one request (a webhook, the sweep): what it records names its requests itself. */
  around<T>(fn: () => T): T;
  /** Writes everything gathered so far. */
  flush(): Promise<void>;
  /** Stops the timer and writes what is left. */
  stop(): Promise<void>;
  stats(): RecorderStats;
  /** The clock events are stamped with. */
  now(): Date;
}

export interface RecorderStats {
  recorded: number;
  written: number;
  dropped: number;
  buffered: number;
}

export interface RecorderOptions {
  store: ActivityStore;
  log: Logger;
  now?: () => Date;
  /** How often gathered events are written (default 250 ms). */
  flushIntervalMs?: number;
  /** Events held at most; past it new ones are dropped and counted (default 20,000). */
  maxBuffered?: number;
  /** Events written per transaction (default 200: a few milliseconds of SQLite's time each). */
  batchSize?: number;
  /** A Slack user's display name, looked up before writing (never on a click's path). */
  nameOf?: (slackUserId: string) => Promise<string | undefined>;
}

/** A batch that keeps failing is dropped after this many attempts. */
const MAX_ATTEMPTS = 4;
const NAME_TIMEOUT_MS = 1_500;

export function createRecorder(options: RecorderOptions): ActivityRecorder {
  const { store, log } = options;
  const now = options.now ?? (() => new Date());
  const maxBuffered = options.maxBuffered ?? 20_000;
  const batchSize = options.batchSize ?? 200;
  const warnDropped = throttledLog(log, "activity record: dropped events (buffer full or writes failing)");
  const warnFailed = throttledLog(log, "activity record: could not write events", { level: "error" });

  let buffer: ActivityWrite[] = [];
  let refusedCounts = new Map<string, RefusedCount>();
  let attempts = 0;
  let writing: Promise<void> | undefined;
  let stopped = false;
  const stats = { recorded: 0, written: 0, dropped: 0 };

  const push = (write: ActivityWrite) => {
    if (stopped) return;
    if (buffer.length >= maxBuffered) {
      stats.dropped += 1;
      metrics.activityEvents("dropped", 1);
      warnDropped({ dropped: stats.dropped });
      return;
    }
    stats.recorded += 1;
    buffer.push(write);
  };

  async function fillNames(batch: ActivityWrite[]): Promise<void> {
    if (!options.nameOf) return;
    const lookup = options.nameOf;
    const missing = new Set<string>();
    for (const { event } of batch) {
      if (event.kind === "click" && event.user.name == null) missing.add(event.user.slackUserId);
    }
    if (missing.size === 0) return;
    const names = new Map<string, string>();
    await Promise.all(
      [...missing].map(async (user) => {
        const name = await Promise.race([
          lookup(user).catch(() => undefined),
          new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), NAME_TIMEOUT_MS).unref()),
        ]);
        if (name) names.set(user, name);
      }),
    );
    for (const { event } of batch) {
      if (event.kind === "click" && event.user.name == null) {
        event.user = { ...event.user, name: names.get(event.user.slackUserId) ?? null };
      }
    }
  }

  async function writeOnce(): Promise<void> {
    const counts = [...refusedCounts.values()];
    refusedCounts = new Map();
    if (counts.length > 0) {
      await store.addRefused(counts).catch((error: unknown) => warnFailed({ err: error, what: "refused" }));
    }
    while (buffer.length > 0) {
      const batch = buffer.slice(0, batchSize);
      try {
        await fillNames(batch);
        await store.write(batch);
        attempts = 0;
        buffer = buffer.slice(batch.length);
        stats.written += batch.length;
        metrics.activityEvents("written", batch.length);
        // Between batches, let clicks through: on SQLite each batch runs synchronously.
        if (buffer.length > 0) await new Promise((resolve) => setImmediate(resolve));
      } catch (error) {
        attempts += 1;
        warnFailed({ err: error, events: batch.length, attempt: attempts });
        if (attempts >= MAX_ATTEMPTS) {
          // Given up: the rest of the record (and the App) goes on without these.
          buffer = buffer.slice(batch.length);
          stats.dropped += batch.length;
          metrics.activityEvents("dropped", batch.length);
          attempts = 0;
        }
        return;
      }
    }
  }

  const flush = (): Promise<void> => {
    // One write at a time per process; it runs outside any request, so its own calls are nobody's.
    writing ??= outsideActivity(() =>
      writeOnce().finally(() => {
        writing = undefined;
      }),
    );
    return writing;
  };

  const timer = outsideActivity(() =>
    setInterval(() => {
      if (buffer.length > 0 || refusedCounts.size > 0) void flush();
    }, options.flushIntervalMs ?? 250),
  );
  timer.unref();

  const recorder: ActivityRecorder = {
    record(request, event, at) {
      push({ at: at ?? now(), target: { request }, event });
    },
    recordRun(subject, event) {
      push({ at: now(), target: { run: subject }, event });
    },
    refused(source, reason) {
      if (stopped) return;
      const minute = Math.floor(now().getTime() / 60_000) * 60_000;
      const key = `${minute}|${source}|${reason}`;
      const entry = refusedCounts.get(key);
      if (entry) entry.count += 1;
      else if (refusedCounts.size < 1_000) refusedCounts.set(key, { minute, source, reason, count: 1 });
    },
    runFor(request, fn, extra = {}) {
      return runFor({ ...extra, sink: recorder, request }, fn);
    },
    around(fn) {
      return runFor({ sink: recorder }, fn);
    },
    flush: async () => {
      // A write in progress may have started before the newest events: write again after it.
      await writing;
      await flush();
    },
    async stop() {
      clearInterval(timer);
      await writing;
      await flush();
      stopped = true;
    },
    stats: () => ({ ...stats, buffered: buffer.length }),
    now,
  };
  return recorder;
}
