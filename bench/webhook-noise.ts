// What the noisy GitHub events cost the App: a large organization sends thousands of `workflow_run`
// and `workflow_job` deliveries an hour, and almost none concern a deployment waiting for Slack. The
// App (build/app/main.js on SQLite) and a bare node:http server (floor-server.mjs: reads the body,
// answers 200) each receive the same signed deliveries from a sender in its own process; the figure is
// the target's CPU time per 1,000 deliveries (from /proc/<pid>/stat) and its RSS (VmRSS sampled every
// 250 ms, and VmHWM), beside the floor's.
// Three kinds of traffic:
// - noise: jobs queued, waiting and completed, jobs that deploy nowhere, runs requested and in
//   progress: dropped before their JSON is parsed (app/http/webhook-events.ts `skipUnparsed`);
// - deploy jobs starting in runs the App has no request for: parsed, validated and looked up (one
//   indexed query), then nothing;
// - completed runs the App has no request for: the same.
// Alone: `npx tsx bench/webhook-noise.ts` (BENCH_QUICK=1 for a short run).
import { type ChildProcess, fork } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureBuilt } from "../testkit/build.js";
import { signWebhook } from "../testkit/fakes/github-webhooks.js";
import { PROJECT_ROOT } from "../testkit/helpers/processes.js";
import { startAppProcess, startFloorServer } from "./lib/app.js";
import { cpuSeconds, peakRssMiB, resetPeakRss, rssMiB, sampleRss, stopAllChildren } from "./lib/process.js";
import { HEAD_SHA, REPO, type Scene, startScene, WEBHOOK_SECRET } from "./lib/scene.js";
import { round } from "./lib/stats.js";
import type { Delivery, SendCommand, SendResult } from "./webhook-sender.js";

export interface NoiseTarget {
  deliveries: number;
  seconds: number;
  perSecond: number;
  cpuMsPer1000: number;
  rssMaxMiB: number;
  rssPeakMiB: number | null;
  statuses: Record<string, number>;
  errors: Record<string, number>;
}

export interface NoiseKind {
  kind: string;
  app: NoiseTarget;
  floor: NoiseTarget;
  /** App CPU per 1,000 ÷ the floor's. */
  cpuRatio: number;
}

export interface WebhookNoiseFigure {
  payloadBytes: Record<string, number>;
  appRssAfterStartMiB: number;
  kinds: NoiseKind[];
}

const CONCURRENCY = 8;

/** Signed bodies of each kind, from the fake GitHub's payload builders (checked against the schemas). */
function traffic(scene: Scene): Record<string, Delivery[]> {
  const { github } = scene;
  const runs = [900_001, 900_002, 900_003];
  for (const runId of runs) {
    github.addRun({
      repository: REPO,
      runId,
      headSha: HEAD_SHA,
      actor: "release-bot",
      waitingEnvironments: [],
    });
  }
  const signed = (event: string, payload: object): Delivery => {
    const body = JSON.stringify(payload);
    return { event, body, signature: signWebhook(WEBHOOK_SECRET, body) };
  };
  const noise: Delivery[] = [];
  const deployJobs: Delivery[] = [];
  const completedRuns: Delivery[] = [];
  for (const runId of runs) {
    const build = github.deployments.addJob(REPO, runId, { name: "build" });
    const test = github.deployments.addJob(REPO, runId, { name: "test (ubuntu-latest, 22)" });
    const deploy = github.deployments.addJob(REPO, runId, { name: "deploy", environment: "production" });
    for (const job of [build, test]) {
      for (const action of ["queued", "in_progress", "completed"] as const) {
        noise.push(signed("workflow_job", github.deployments.workflowJobPayload(job, action)));
      }
    }
    for (const action of ["queued", "waiting", "completed"] as const) {
      noise.push(signed("workflow_job", github.deployments.workflowJobPayload(deploy, action)));
    }
    const completed = github.workflowRunCompletedPayload(REPO, runId) as Record<string, unknown>;
    for (const action of ["requested", "in_progress"])
      noise.push(signed("workflow_run", { ...completed, action }));
    deployJobs.push(signed("workflow_job", github.deployments.workflowJobPayload(deploy, "in_progress")));
    completedRuns.push(signed("workflow_run", completed));
  }
  return {
    noise,
    "deploy jobs of runs without a request": deployJobs,
    "completed runs without a request": completedRuns,
  };
}

async function startSender(): Promise<{ send(command: SendCommand): Promise<SendResult>; stop(): void }> {
  const child: ChildProcess = fork(join(PROJECT_ROOT, "bench", "webhook-sender.ts"), [], {
    execArgv: ["--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  await new Promise<void>((resolve, reject) => {
    child.once("message", () => resolve());
    child.once("exit", (code) => reject(new Error(`webhook sender exited (${code})`)));
  });
  return {
    send: (command) =>
      new Promise((resolve) => {
        child.once("message", (result) => resolve(result as SendResult));
        child.send(command);
      }),
    stop: () => child.kill("SIGTERM"),
  };
}

async function measure(
  sender: Awaited<ReturnType<typeof startSender>>,
  target: { url: string; pid: number },
  deliveries: Delivery[],
  count: number,
): Promise<NoiseTarget> {
  // A warm-up, so that neither side is measured compiling its code.
  await sender.send({ url: target.url, deliveries, count: Math.min(200, count), concurrency: CONCURRENCY });
  resetPeakRss(target.pid);
  const rss = sampleRss(target.pid);
  const cpuBefore = cpuSeconds(target.pid) ?? 0;
  const result = await sender.send({ url: target.url, deliveries, count, concurrency: CONCURRENCY });
  const cpu = (cpuSeconds(target.pid) ?? 0) - cpuBefore;
  const samples = rss.stop();
  const seconds = result.elapsedMs / 1000;
  return {
    deliveries: count,
    seconds: round(seconds, 2),
    perSecond: round(count / seconds, 0),
    cpuMsPer1000: round((cpu * 1000 * 1000) / count, 1),
    rssMaxMiB: round(Math.max(...samples), 1),
    rssPeakMiB: peakRssMiB(target.pid) === undefined ? null : round(peakRssMiB(target.pid) as number, 1),
    statuses: result.statuses,
    errors: result.errors,
  };
}

export async function webhookNoiseFigure(
  scene: Scene,
  dir: string,
  counts: { noise: number; parsed: number },
): Promise<WebhookNoiseFigure> {
  const kinds = traffic(scene);
  const sender = await startSender();
  const floor = await startFloorServer(dir);
  const app = await startAppProcess(scene, {
    name: "app-webhook-noise",
    databaseUrl: `sqlite://${join(dir, "webhook-noise.db")}`,
    logDir: dir,
  });
  const appRssAfterStartMiB = round(rssMiB(app.child.pid) ?? Number.NaN, 1);
  try {
    const figures: NoiseKind[] = [];
    for (const [kind, deliveries] of Object.entries(kinds)) {
      const count = kind === "noise" ? counts.noise : counts.parsed;
      const onFloor = await measure(
        sender,
        { url: `${floor.url}/api/github/webhooks`, pid: floor.child.pid },
        deliveries,
        count,
      );
      const onApp = await measure(sender, { url: app.webhooksUrl, pid: app.child.pid }, deliveries, count);
      figures.push({
        kind,
        app: onApp,
        floor: onFloor,
        cpuRatio: round(onApp.cpuMsPer1000 / onFloor.cpuMsPer1000, 2),
      });
    }
    const payloadBytes = Object.fromEntries(
      Object.entries(kinds).map(([kind, list]) => [
        kind,
        Math.round(list.reduce((sum, d) => sum + d.body.length, 0) / list.length),
      ]),
    );
    return { payloadBytes, appRssAfterStartMiB, kinds: figures };
  } finally {
    sender.stop();
    await app.child.stop();
    await floor.child.stop();
  }
}

export function printWebhookNoise(figure: WebhookNoiseFigure | undefined): string {
  if (!figure) return "";
  const lines = [
    "\nNoisy GitHub events: what irrelevant workflow_run / workflow_job deliveries cost (App on SQLite vs a bare node:http server)",
    "| deliveries | mean body | App CPU ms / 1,000 | floor CPU ms / 1,000 | ratio | App deliveries/s | App RSS max / peak MiB | floor RSS max MiB | answers |",
    "|---|---|---|---|---|---|---|---|---|",
  ];
  for (const k of figure.kinds) {
    lines.push(
      `| ${k.kind} (${k.app.deliveries.toLocaleString("en")}) | ${((figure.payloadBytes[k.kind] ?? 0) / 1024).toFixed(1)} KiB | ${k.app.cpuMsPer1000} | ${k.floor.cpuMsPer1000} | ${k.cpuRatio}× | ${k.app.perSecond} | ${k.app.rssMaxMiB} / ${k.app.rssPeakMiB ?? "?"} | ${k.floor.rssMaxMiB} | ${Object.entries(
        k.app.statuses,
      )
        .map(([s, n]) => `${n}×${s}`)
        .join(", ")} |`,
    );
  }
  lines.push(`App RSS after start: ${figure.appRssAfterStartMiB} MiB`, "");
  return lines.join("\n");
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const quick = process.env.BENCH_QUICK === "1";
  const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);
  void (async () => {
    await ensureBuilt(["app"], { log });
    const dir = mkdtempSync(join(tmpdir(), "sdg-webhook-noise-"));
    const scene = await startScene();
    try {
      const figure = await webhookNoiseFigure(
        scene,
        dir,
        quick ? { noise: 2_000, parsed: 500 } : { noise: 20_000, parsed: 5_000 },
      );
      process.stdout.write(printWebhookNoise(figure));
      process.stdout.write(`${JSON.stringify(figure, null, 2)}\n`);
    } finally {
      await stopAllChildren();
      await scene.close();
      rmSync(dir, { recursive: true, force: true });
    }
  })().catch(async (error: unknown) => {
    process.stderr.write(
      `webhook-noise failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    await stopAllChildren();
    process.exit(1);
  });
}
