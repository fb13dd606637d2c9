// wait mode: after posting, poll the commit's check runs until the App's decision for this request
// appears or the timeout passes. The decision reaches the runner through GitHub, never through the
// App's address. Each poll is a conditional request; failures back off as GitHub asks.
import { type CheckRunReader, type CheckRunView, PAGE_SIZE } from "./check-runs.js";
import { type Decision, describeCheckRun, type Expected, readDecision, untrusted } from "./decision.js";
import { formatDuration } from "./duration.js";
import { classifyPollError } from "./rate-limit.js";
import { jittered, sleep as realSleep, type Sleep } from "./sleep.js";

export interface WaitOptions {
  reader: CheckRunReader;
  expected: Expected;
  timeoutMs: number;
  pollIntervalMs: number;
  log: { info(message: string): void; warning(message: string): void };
  now?: () => number;
  sleep?: Sleep;
  /** How often to say in the log that the step is still waiting. */
  progressEveryMs?: number;
}

export type WaitResult =
  | { kind: "decided"; decision: Decision; polls: number }
  | { kind: "timed_out"; polls: number };

export class WaitFailure extends Error {
  override name = "WaitFailure";
}

export async function waitForDecision(options: WaitOptions): Promise<WaitResult> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? realSleep;
  const { reader, expected, log } = options;
  const progressEvery = options.progressEveryMs ?? 5 * 60_000;
  const started = now();
  const deadline = started + options.timeoutMs;
  const named = new Set<number>();
  let failures = 0;
  let polls = 0;
  let lastProgress = started;

  for (;;) {
    polls += 1;
    let delay = jittered(options.pollIntervalMs);
    try {
      const runs = await listRuns(reader, expected.appId);
      failures = 0;
      for (const run of untrusted(runs, expected.appId)) {
        if (named.has(run.id)) continue;
        named.add(run.id);
        log.warning(
          `Ignoring ${describeCheckRun(run)}: it is named like slack-deploy-gate's decision, but only a check run written by the App with app-id ${expected.appId} counts.`,
        );
      }
      const reading = readDecision(runs, expected);
      if (reading.kind === "decided") return { kind: "decided", decision: reading.decision, polls };
      if (reading.kind === "unexpected") {
        throw new WaitFailure(
          `The App's ${describeCheckRun(reading.checkRun)} concluded "${reading.checkRun.conclusion}", which is not a decision; failing rather than deploying.`,
        );
      }
    } catch (error) {
      if (error instanceof WaitFailure) throw error;
      const failure = classifyPollError(error, failures, options.pollIntervalMs, now());
      if (failure.kind === "fatal") throw new WaitFailure(failure.message);
      failures += 1;
      delay = failure.ms;
      log.warning(
        `Reading the decision from GitHub failed: ${failure.why}. Trying again in ${formatDuration(delay)}.`,
      );
    }

    const remaining = deadline - now();
    if (remaining <= 0) return { kind: "timed_out", polls };
    if (now() - lastProgress >= progressEvery) {
      lastProgress = now();
      log.info(
        `Still waiting for a decision: ${formatDuration(now() - started)} of ${formatDuration(options.timeoutMs)} (${reader.stats.requests} requests, ${reader.stats.notModified} answered 304 Not Modified).`,
      );
    }
    // The last sleep ends at the deadline, so a decision taken just before it is still read.
    await sleep(Math.min(delay, remaining));
  }
}

/** The first page, and, when the name is crowded past one page, the App's own check runs as well. */
async function listRuns(reader: CheckRunReader, appId: number): Promise<CheckRunView[]> {
  const first = await reader.list();
  if (first.total <= first.runs.length || first.runs.length < PAGE_SIZE) return first.runs;
  const own = await reader.list({ appId });
  const seen = new Set(first.runs.map((r) => r.id));
  return [...first.runs, ...own.runs.filter((r) => !seen.has(r.id))];
}
