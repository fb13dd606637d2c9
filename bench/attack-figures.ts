// Figure 8 (issue 9): the App's memory under the floods an unauthenticated sender can aim at it, on a
// fresh App process. Peak RSS is the kernel's high-water mark (VmHWM), reset before each flood, so a
// spike between two samples still counts; RSS is also sampled every 100 ms for the shape. While each
// flood runs, /healthz is asked every 250 ms to see whether the App still answers.
import type { HugeBodyResult, Route, SlowBodiesResult } from "./attack-traffic.js";
import type { RunningApp } from "./lib/app.js";
import type { LoadWorker } from "./lib/load.js";
import { peakRssMiB, resetPeakRss, rssMiB, sampleRss, sleep } from "./lib/process.js";
import { round, summarize } from "./lib/stats.js";

/** The verdict's line: the App's memory target (README, "Performance"), under attack as under load. */
export const ATTACK_RSS_LIMIT_MIB = 150;
/**
 * The machine is shared: an App whose memory runs away is stopped (SIGKILL) here, and the figure
 * says so, rather than let it take gigabytes from everything else running.
 */
const SAFETY_CAP_MIB = 1536;

export interface HealthDuringFlood {
  asked: number;
  answered: number;
  /** Slowest answer, ms (a probe gives up after 2 s). */
  maxMs: number;
}

export interface FloodFigure {
  route: Route;
  beforeMiB: number;
  peakMiB: number;
  /** Sampled every 100 ms: how long RSS stayed up. */
  samplesMaxMiB: number;
  afterMiB: number;
  limitMiB: number;
  bounded: boolean;
  peakExact: boolean;
  /** The App passed SAFETY_CAP_MIB and was killed: its peak would have been higher. */
  killedAtSafetyCap: boolean;
  health: HealthDuringFlood;
}

export interface SlowFloodFigure extends FloodFigure {
  traffic: SlowBodiesResult & { endedAfterP50Ms: number; endedAfterMaxMs: number };
}

export interface HugeFloodFigure extends FloodFigure {
  traffic: HugeBodyResult;
}

async function underFlood<T>(
  app: RunningApp,
  route: Route,
  flood: () => Promise<T>,
): Promise<{ figure: FloodFigure; traffic: T }> {
  const pid = app.child.pid;
  await sleep(500);
  const beforeMiB = round(rssMiB(pid) ?? Number.NaN, 1);
  const peakExact = resetPeakRss(pid);
  const samples = sampleRss(pid, 100);
  const health = probeHealth(`${app.url}/healthz`);
  let killedAtSafetyCap = false;
  const guard = setInterval(() => {
    if ((rssMiB(pid) ?? 0) > SAFETY_CAP_MIB && !killedAtSafetyCap) {
      killedAtSafetyCap = true;
      app.child.process.kill("SIGKILL");
    }
  }, 50);
  const traffic = await flood().finally(() => clearInterval(guard));
  const probed = await health.stop();
  const sampled = samples.stop();
  const peakMiB = round(
    peakExact && !killedAtSafetyCap ? (peakRssMiB(pid) ?? Number.NaN) : Math.max(...sampled),
    1,
  );
  // Let the App drop what the flood left behind before the next one.
  await sleep(2000);
  return {
    traffic,
    figure: {
      route,
      beforeMiB,
      peakMiB,
      samplesMaxMiB: round(Math.max(...sampled), 1),
      afterMiB: round(rssMiB(pid) ?? Number.NaN, 1),
      limitMiB: ATTACK_RSS_LIMIT_MIB,
      bounded: !killedAtSafetyCap && peakMiB <= ATTACK_RSS_LIMIT_MIB,
      peakExact,
      killedAtSafetyCap,
      health: probed,
    },
  };
}

/** `connections` sockets, each sending most of a `bodyBytes` body slowly and then stalling. */
export async function slowBodyFlood(
  app: RunningApp,
  worker: LoadWorker,
  route: Route,
  plan: { connections: number; bodyBytes: number; sendMs: number; holdMs: number },
): Promise<SlowFloodFigure> {
  const { figure, traffic } = await underFlood(app, route, () =>
    worker.attack({ kind: "slow-bodies", url: app.url, route, ...plan }),
  );
  const ended = summarize(traffic.endedAfterMs);
  return {
    ...figure,
    traffic: { ...traffic, endedAfterMs: [], endedAfterP50Ms: ended.p50, endedAfterMaxMs: ended.max },
  };
}

/** One unsigned chunked POST of up to `totalBytes`. */
export async function hugeBodyFlood(
  app: RunningApp,
  worker: LoadWorker,
  route: Route,
  plan: { totalBytes: number; timeoutMs: number },
): Promise<HugeFloodFigure> {
  const { figure, traffic } = await underFlood(app, route, () =>
    worker.attack({ kind: "huge-body", url: app.url, route, ...plan }),
  );
  return { ...figure, traffic };
}

function probeHealth(url: string): { stop(): Promise<HealthDuringFlood> } {
  const result: HealthDuringFlood = { asked: 0, answered: 0, maxMs: 0 };
  const pending: Promise<void>[] = [];
  const ask = () => {
    result.asked += 1;
    const started = performance.now();
    pending.push(
      fetch(url, { signal: AbortSignal.timeout(2000) })
        .then(async (response) => {
          await response.arrayBuffer();
          if (response.ok) result.answered += 1;
        })
        .catch(() => {})
        .finally(() => {
          result.maxMs = Math.max(result.maxMs, round(performance.now() - started, 0));
        }),
    );
  };
  ask();
  const timer = setInterval(ask, 250);
  return {
    async stop() {
      clearInterval(timer);
      await Promise.all(pending);
      return result;
    },
  };
}
