// Figures 2 to 6: the App as approvers and attackers meet it. Each function drives a running App
// process (bench/lib/app.ts) through the fakes in this process and the load generator in its own.
import { execFileSync } from "node:child_process";
import { cpus } from "node:os";
import { monitorEventLoopDelay, performance as perf } from "node:perf_hooks";
import { ACTION_IDS } from "../common/reference.js";
import type { FakeMessage } from "../testkit/fakes/slack.js";
import { blockActionsPayload, triggerId } from "../testkit/helpers/slack-clicks.js";
import { postSignedToSlackRoute } from "../testkit/helpers/slack-sign.js";
import type { RunningApp } from "./lib/app.js";
import { type BenchDatabase, countRows, type RowCounts } from "./lib/database.js";
import { type LoadFigure, type LoadWorker, loadFigure } from "./lib/load.js";
import { cpuSeconds, rssMiB, sampleRss, sleep } from "./lib/process.js";
import {
  DECIDE_ENVIRONMENT,
  LOAD_ENVIRONMENT,
  REPO,
  type Scene,
  SIGNING_SECRET,
  VOTES_PER_LOAD_REQUEST,
} from "./lib/scene.js";
import { round, type Summary, summarize } from "./lib/stats.js";

/** The App's Octokit spaces writes at least 50 ms apart (app/github/octokit.ts); samples leave room. */
const WRITE_SPACING_MS = 200;

// ---- Figure 3 and 6: click → review at GitHub ----

export interface ClickToGitHub {
  samples: number;
  /** Click sent → review recorded by the fake GitHub. */
  toReviewMs: Summary;
  /** Click sent → the App's 200. */
  ackMs: Summary;
}

export interface ClickToGitHubOptions {
  warmup?: number;
  /** floor-review.mjs, alternated sample by sample with the Apps. */
  floor?: { url: string };
  /**
   * Where the App first meets the request. `gate` (the usual gate-mode flow): the Action announced its
   * message on its job, so the App adopts it when GitHub reports the gate (reading the commit and what
   * changed), and the click finds it known. `click`: no announcement, so the click is the first contact
   * and makes those reads before the vote.
   */
  firstContact?: "gate" | "click";
  /** Told the moment each click is sent (bench/click-path.ts lays the fakes' calls out from it). */
  observe?: { onClick(started: number, target: "app" | "floor"): void };
}

/**
 * Alternates samples between `apps` (same fakes, different databases) and, when given, the floor
 * (floor-review.mjs: the same two GitHub calls from a bare server), one decision per click, spaced so
 * that Octokit's write throttle never holds a review back; returns one result per App and the floor's.
 */
export async function clickToGitHub(
  scene: Scene,
  apps: RunningApp[],
  samples: number,
  options: ClickToGitHubOptions = {},
): Promise<{ apps: ClickToGitHub[]; floor?: ClickToGitHub }> {
  const { warmup = 3, floor, observe, firstContact = "gate" } = options;
  const toReview: number[][] = apps.map(() => []);
  const ack: number[][] = apps.map(() => []);
  const lastReview = apps.map(() => 0);
  const floorToReview: number[] = [];
  const floorAck: number[] = [];
  let floorLastReview = 0;
  for (let i = -warmup; i < samples; i += 1) {
    if (floor) {
      const { runId } = await scene.openRequest(DECIDE_ENVIRONMENT);
      const wait = floorLastReview + WRITE_SPACING_MS - performance.now();
      if (wait > 0) await sleep(wait);
      const arrival = scene.reviewArrival(runId);
      const started = performance.now();
      observe?.onClick(started, "floor");
      const response = await fetch(floor.url, {
        method: "POST",
        body: JSON.stringify({ runId, environment: DECIDE_ENVIRONMENT }),
      });
      await response.arrayBuffer();
      const acked = performance.now();
      floorLastReview = await arrival;
      if (i >= 0) {
        floorToReview.push(floorLastReview - started);
        floorAck.push(acked - started);
      }
    }
    for (const [index, app] of apps.entries()) {
      const announce = firstContact === "gate";
      const { runId, message } = await scene.openRequest(DECIDE_ENVIRONMENT, { announce });
      const adopted = announce ? scene.messageUpdate(message.ts) : undefined;
      await reportGate(scene, app, runId);
      await adopted;
      const wait = (lastReview[index] as number) + WRITE_SPACING_MS - performance.now();
      if (wait > 0) await sleep(wait);
      const arrival = scene.reviewArrival(runId);
      const started = performance.now();
      observe?.onClick(started, "app");
      const response = await click(
        app,
        message,
        scene.approvers[(i + warmup) % scene.approvers.length] as string,
      );
      const acked = performance.now();
      if (response.status !== 200) throw new Error(`the App answered ${response.status} to a valid click`);
      const reviewed = await arrival;
      lastReview[index] = reviewed;
      if (i >= 0) {
        toReview[index]?.push(reviewed - started);
        ack[index]?.push(acked - started);
      }
    }
  }
  await sleep(300);
  scene.prune();
  return {
    apps: apps.map((_, index) => ({
      samples,
      toReviewMs: roundSummary(summarize(toReview[index] ?? [])),
      ackMs: roundSummary(summarize(ack[index] ?? [])),
    })),
    floor: floor
      ? {
          samples,
          toReviewMs: roundSummary(summarize(floorToReview)),
          ackMs: roundSummary(summarize(floorAck)),
        }
      : undefined,
  };
}

/** `count` decisions clicked at the same moment: how the write throttle spreads their reviews. */
export async function throttledBurst(scene: Scene, app: RunningApp, count: number): Promise<number[]> {
  const opened = [];
  for (let i = 0; i < count; i += 1) {
    const request = await scene.openRequest(DECIDE_ENVIRONMENT);
    await reportGate(scene, app, request.runId);
    opened.push(request);
  }
  await sleep(WRITE_SPACING_MS);
  const started = performance.now();
  const arrivals = await Promise.all(
    opened.map(async ({ runId, message }, i) => {
      const arrival = scene.reviewArrival(runId);
      await click(app, message, scene.approvers[i] as string);
      return (await arrival) - started;
    }),
  );
  await sleep(300);
  scene.prune();
  return arrivals.sort((a, b) => a - b).map((ms) => round(ms, 0));
}

async function reportGate(scene: Scene, app: RunningApp, runId: number): Promise<void> {
  scene.github.webhookUrl = app.webhooksUrl;
  const gate = await scene.github.sendDeploymentProtectionRule(REPO, runId, DECIDE_ENVIRONMENT);
  if (gate.status !== 200)
    throw new Error(`the App answered ${gate.status} to the gate webhook: ${gate.body}`);
}

function click(app: RunningApp, message: FakeMessage, user: string) {
  const payload = blockActionsPayload({
    message,
    actionId: ACTION_IDS.approve,
    user: { id: user },
    triggerId: triggerId(),
  });
  return postSignedToSlackRoute(app.interactionsUrl, payload, SIGNING_SECRET);
}

// ---- Figure 4: forged requests ----

/** floor-server.mjs under the same traffic, pinned the same way: requests a bare server answers. */
export interface ForgedFloorFigure {
  seconds: number;
  answered: number;
  answeredPerSecond: number;
  pinned: boolean;
}

export interface ForgedFigure {
  seconds: number;
  rejected: number;
  rejectedPerSecond: number;
  /** Answers other than 401 (there must be none). */
  otherAnswers: number;
  latencyMs: Summary;
  /** The App's CPU use while pinned to one core (1.0 = that core fully busy). */
  appCpuCores: number;
  pinned: boolean;
  before: WorkCounts;
  after: WorkCounts;
  unchanged: boolean;
}

export interface WorkCounts extends RowCounts {
  slackCalls: number;
  githubRequests: number;
}

async function workCounts(scene: Scene, db: BenchDatabase): Promise<WorkCounts> {
  return {
    ...(await countRows(db)),
    slackCalls: scene.slack.calls.length,
    githubRequests: scene.github.requests.length,
  };
}

/**
 * Valid clicks signed with the wrong secret, as fast as the App rejects them, with the App pinned to
 * one core and the load generator to the other. Everything the App could touch is counted before
 * and after.
 */
export async function forged(
  scene: Scene,
  app: RunningApp,
  db: BenchDatabase,
  worker: LoadWorker,
  seconds: number,
): Promise<ForgedFigure> {
  const messages = await openLoadRequests(scene, 20);
  await settle(scene);
  const before = await workCounts(scene, db);
  const cpuBefore = cpuSeconds(app.child.pid) ?? 0;
  const started = performance.now();
  const { result, pinned } = await forgedTraffic(
    scene,
    { url: app.interactionsUrl, pid: app.child.pid },
    worker,
    messages,
    seconds,
  );
  const elapsed = (performance.now() - started) / 1000;
  const appCpu = ((cpuSeconds(app.child.pid) ?? 0) - cpuBefore) / elapsed;
  await sleep(1000);
  const after = await workCounts(scene, db);
  const rejected = result.statuses["401"] ?? 0;
  const other = result.sent - rejected;
  scene.prune();
  return {
    seconds,
    rejected,
    rejectedPerSecond: round(rejected / (result.elapsedMs / 1000), 0),
    otherAnswers: other,
    latencyMs: roundSummary(summarize(result.latencies)),
    appCpuCores: round(appCpu),
    pinned,
    before,
    after,
    unchanged: JSON.stringify(before) === JSON.stringify(after),
  };
}

/** The same forged traffic against floor-server.mjs (started by the caller), pinned the same way. */
export async function forgedFloor(
  scene: Scene,
  floor: { url: string; pid: number },
  worker: LoadWorker,
  seconds: number,
): Promise<ForgedFloorFigure> {
  const messages = await openLoadRequests(scene, 20);
  const { result, pinned } = await forgedTraffic(scene, floor, worker, messages, seconds);
  scene.prune();
  const answered = result.statuses["200"] ?? 0;
  return {
    seconds,
    answered,
    answeredPerSecond: round(answered / (result.elapsedMs / 1000), 0),
    pinned,
  };
}

/** Valid clicks signed with the wrong secret, 32 in flight, target on core 0, generator on core 1. */
async function forgedTraffic(
  scene: Scene,
  target: { url: string; pid: number },
  worker: LoadWorker,
  messages: FakeMessage[],
  seconds: number,
) {
  const pinned = pin(target.pid, "0") && pin(worker.pid, "1");
  try {
    const result = await worker.run({
      kind: "closed",
      url: target.url,
      durationMs: seconds * 1000,
      concurrency: 32,
      messages,
      approvers: scene.approvers,
      votesPerMessage: VOTES_PER_LOAD_REQUEST,
      secret: `${SIGNING_SECRET}-but-wrong`,
    });
    return { result, pinned };
  } finally {
    if (pinned) {
      const all = `0-${cpus().length - 1}`;
      pin(target.pid, all);
      pin(worker.pid, all);
    }
  }
}

function pin(pid: number, cpus: string): boolean {
  try {
    execFileSync("taskset", ["-a", "-p", "-c", cpus, String(pid)], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

// ---- Figure 2 and 5: acknowledgement under fixed-rate load, memory ----

export interface LoadStep extends LoadFigure {
  /** Thread replies the App posted for this step's clicks (each accepted click posts one). */
  workDone: number;
  /** From the end of the step until the App's background work stopped. */
  drainMs: number;
  appRssMaxMiB: number;
  appCpuCores: number;
  /** Event-loop utilisation of this process, where the fakes answer the App (1 = saturated). */
  fakesElu: number;
  fakesLoopDelayP99Ms: number;
}

export async function loadStep(
  scene: Scene,
  target: { url: string; pid: number },
  worker: LoadWorker,
  rate: number,
  seconds: number,
  options: { isApp: boolean; rssSamples?: number[]; onStart?: () => void },
): Promise<LoadStep> {
  const clicks = Math.round(rate * seconds);
  // Fresh requests, each clicked by at most 19 distinct approvers: every click records a vote.
  const messages = options.isApp
    ? await openLoadRequests(scene, Math.ceil(clicks / VOTES_PER_LOAD_REQUEST))
    : await openLoadRequests(scene, 50);
  const repliesBefore = threadReplies(scene);
  const rss = sampleRss(target.pid);
  const cpuBefore = cpuSeconds(target.pid) ?? 0;
  const elu = perf.eventLoopUtilization();
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const started = performance.now();
  options.onStart?.();
  const result = await worker.run({
    kind: "open",
    url: options.isApp ? `${target.url}/slack/interactions` : target.url,
    rate,
    durationMs: seconds * 1000,
    messages,
    approvers: scene.approvers,
    votesPerMessage: VOTES_PER_LOAD_REQUEST,
    secret: SIGNING_SECRET,
  });
  const loadMs = performance.now() - started;
  const appCpu = ((cpuSeconds(target.pid) ?? 0) - cpuBefore) / (loadMs / 1000);
  const fakesElu = perf.eventLoopUtilization(elu).utilization;
  delay.disable();
  const drainMs = options.isApp ? await settle(scene) : 0;
  const samples = rss.stop();
  options.rssSamples?.push(...samples);
  const workDone = threadReplies(scene) - repliesBefore;
  scene.prune();
  return {
    ...loadFigure(rate, seconds, result),
    workDone: options.isApp ? workDone : 0,
    drainMs: round(drainMs, 0),
    appRssMaxMiB: round(Math.max(...samples), 1),
    appCpuCores: round(appCpu),
    fakesElu: round(fakesElu),
    fakesLoopDelayP99Ms: round(delay.percentile(99) / 1e6),
  };
}

/** RSS of a quiet process: the median of `seconds` of samples. */
export async function idleRss(pid: number, seconds: number): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < seconds * 4; i += 1) {
    const value = rssMiB(pid);
    if (value !== undefined) samples.push(value);
    await sleep(250);
  }
  return round(summarize(samples).p50, 1);
}

async function openLoadRequests(scene: Scene, count: number): Promise<FakeMessage[]> {
  const out: FakeMessage[] = [];
  // A few at a time: the fake Slack is in this process and answers at once.
  for (let i = 0; i < count; i += 8) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(8, count - i) }, () => scene.openRequest(LOAD_ENVIRONMENT)),
    );
    out.push(...batch.map((b) => b.message));
  }
  return out;
}

function threadReplies(scene: Scene): number {
  return scene.slack.calls.filter((c) => c.method === "chat.postMessage" && c.body.thread_ts).length;
}

/** Waits until the App has made no Slack call for 1 s (at most 90 s); returns how long that took. */
async function settle(scene: Scene): Promise<number> {
  const started = performance.now();
  let seen = scene.slack.calls.length;
  let quietSince = performance.now();
  while (performance.now() - started < 90_000) {
    await sleep(100);
    const now = scene.slack.calls.length;
    if (now !== seen) {
      seen = now;
      quietSince = performance.now();
    } else if (performance.now() - quietSince >= 1000) {
      return quietSince - started;
    }
  }
  return performance.now() - started;
}

function roundSummary(s: Summary): Summary {
  return { n: s.n, p50: round(s.p50), p99: round(s.p99), min: round(s.min), max: round(s.max) };
}
