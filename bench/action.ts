// Figure 1: the Action as a workflow step meets it. `node dist/index.js` with a runner's environment
// against the local fakes, timed from spawn to the request reaching Slack and to exit, with its peak
// RSS; beside it the floor (floor-action.mjs: the same three HTTP calls with plain fetch). Runs
// alternate so that noise on this shared machine falls on both alike.
import { spawn } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { PROJECT_ROOT } from "../testkit/helpers/processes.js";
import {
  CHANNEL,
  HEAD_SHA,
  REPO,
  type Scene,
  SLACK_TOKEN,
  sampleRequestMessage,
  WORKFLOW_TOKEN,
} from "./lib/scene.js";
import { ratio, round, type Summary, summarize } from "./lib/stats.js";

export interface ActionFigures {
  runs: number;
  action: { toPostedMs: Summary; toExitMs: Summary; peakRssMiB: Summary };
  floor: { toPostedMs: Summary; toExitMs: Summary; peakRssMiB: Summary };
  ratio: { toPostedP50: number; toExitP50: number; toExitP99: number; peakRssP50: number };
  dist: { bytes: number; gzipBytes: number; files: number };
}

interface OneRun {
  toPostedMs: number;
  toExitMs: number;
  peakRssMiB: number;
}

const RSS_PROBE = join(PROJECT_ROOT, "bench", "rss-probe.mjs");

export async function measureAction(
  scene: Scene,
  workDir: string,
  runs: number,
  warmupRounds = 2,
): Promise<ActionFigures> {
  mkdirSync(workDir, { recursive: true });
  const runId = 4242;
  scene.github.addRun({
    repository: REPO,
    runId,
    headSha: HEAD_SHA,
    actor: "dana",
    waitingEnvironments: ["production"],
  });
  const floorBody = join(workDir, "floor-body.json");
  writeFileSync(
    floorBody,
    JSON.stringify({
      channel: CHANNEL,
      ...sampleRequestMessage(scene.github.url, runId),
      unfurl_links: false,
      unfurl_media: false,
    }),
  );

  const action: OneRun[] = [];
  const floor: OneRun[] = [];
  // Unrecorded rounds first: the page cache and the fakes' first requests are not the Action's cost.
  for (let i = -warmupRounds; i < runs; i += 1) {
    const a = await runOnce(scene, workDir, "action", runId, floorBody);
    const f = await runOnce(scene, workDir, "floor", runId, floorBody);
    if (i >= 0) {
      action.push(a);
      floor.push(f);
    }
    scene.prune();
  }
  const pick = (rows: OneRun[], key: keyof OneRun) => summarize(rows.map((r) => r[key]));
  const a = {
    toPostedMs: pick(action, "toPostedMs"),
    toExitMs: pick(action, "toExitMs"),
    peakRssMiB: pick(action, "peakRssMiB"),
  };
  const f = {
    toPostedMs: pick(floor, "toPostedMs"),
    toExitMs: pick(floor, "toExitMs"),
    peakRssMiB: pick(floor, "peakRssMiB"),
  };
  return {
    runs,
    action: a,
    floor: f,
    ratio: {
      toPostedP50: ratio(a.toPostedMs.p50, f.toPostedMs.p50),
      toExitP50: ratio(a.toExitMs.p50, f.toExitMs.p50),
      toExitP99: ratio(a.toExitMs.p99, f.toExitMs.p99),
      peakRssP50: ratio(a.peakRssMiB.p50, f.peakRssMiB.p50),
    },
    dist: distSize(join(PROJECT_ROOT, "dist")),
  };
}

async function runOnce(
  scene: Scene,
  workDir: string,
  which: "action" | "floor",
  runId: number,
  floorBody: string,
): Promise<OneRun> {
  const rssFile = join(workDir, `rss-${which}.txt`);
  writeFileSync(rssFile, "");
  const env = which === "action" ? actionEnv(scene, workDir, runId) : floorEnv(scene, floorBody);
  env.BENCH_RSS_FILE = rssFile;
  const script =
    which === "action"
      ? join(PROJECT_ROOT, "dist", "index.js")
      : join(PROJECT_ROOT, "bench", "floor-action.mjs");
  const postsBefore = scene.slack.callsTo("chat.postMessage").length;

  const startedAt = Date.now();
  const started = performance.now();
  const child = spawn(process.execPath, ["--import", RSS_PROBE, script], {
    cwd: workDir,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.once("exit", (c) => resolve(c)));
  const toExitMs = performance.now() - started;
  if (code !== 0) throw new Error(`${which} run failed (exit ${code}):\n${output.slice(-2000)}`);

  const post = scene.slack.callsTo("chat.postMessage")[postsBefore];
  if (!post) throw new Error(`${which} run exited 0 but posted nothing:\n${output.slice(-2000)}`);
  const peakKiB = Number(readFileSync(rssFile, "utf8"));
  return { toPostedMs: post.at.getTime() - startedAt, toExitMs, peakRssMiB: round(peakKiB / 1024) };
}

/** What a runner gives a `node24` action step (see testkit/helpers/processes.ts runActionStep). */
function actionEnv(scene: Scene, workDir: string, runId: number): NodeJS.ProcessEnv {
  const eventPath = join(workDir, "event.json");
  const outputPath = join(workDir, "output.txt");
  const summaryPath = join(workDir, "summary.md");
  writeFileSync(
    eventPath,
    JSON.stringify({
      ref: "refs/heads/main",
      after: HEAD_SHA,
      repository: { full_name: REPO, owner: { login: "acme" } },
    }),
  );
  writeFileSync(outputPath, "");
  writeFileSync(summaryPath, "");
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    GITHUB_ACTIONS: "true",
    CI: "true",
    GITHUB_REPOSITORY: REPO,
    GITHUB_REPOSITORY_OWNER: "acme",
    GITHUB_RUN_ID: String(runId),
    GITHUB_RUN_ATTEMPT: "1",
    GITHUB_RUN_NUMBER: "1",
    GITHUB_SHA: HEAD_SHA,
    GITHUB_REF: "refs/heads/main",
    GITHUB_ACTOR: "dana",
    GITHUB_TRIGGERING_ACTOR: "dana",
    GITHUB_WORKFLOW: "Deploy",
    GITHUB_JOB: "request-approval",
    GITHUB_SERVER_URL: scene.github.url,
    GITHUB_API_URL: scene.github.apiUrl,
    GITHUB_GRAPHQL_URL: `${scene.github.apiUrl}/graphql`,
    GITHUB_EVENT_NAME: "push",
    GITHUB_EVENT_PATH: eventPath,
    GITHUB_OUTPUT: outputPath,
    GITHUB_STEP_SUMMARY: summaryPath,
    GITHUB_WORKSPACE: workDir,
    RUNNER_TEMP: workDir,
    "INPUT_SLACK-BOT-TOKEN": SLACK_TOKEN,
    INPUT_CHANNEL: CHANNEL,
    INPUT_ENVIRONMENT: "production",
    INPUT_MODE: "gate",
    INPUT_MESSAGE: "",
    INPUT_MENTION: "",
    "INPUT_SLACK-API-URL": scene.slack.url,
    "INPUT_GITHUB-TOKEN": WORKFLOW_TOKEN,
  };
}

function floorEnv(scene: Scene, bodyFile: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    FLOOR_SLACK_URL: scene.slack.url,
    FLOOR_SLACK_TOKEN: SLACK_TOKEN,
    FLOOR_GITHUB_API_URL: scene.github.apiUrl,
    FLOOR_GITHUB_TOKEN: WORKFLOW_TOKEN,
    FLOOR_REPOSITORY: REPO,
    FLOOR_SHA: HEAD_SHA,
    FLOOR_BODY_FILE: bodyFile,
  };
}

function distSize(dir: string): { bytes: number; gzipBytes: number; files: number } {
  let bytes = 0;
  let gzipBytes = 0;
  let files = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    bytes += statSync(path).size;
    gzipBytes += gzipSync(readFileSync(path), { level: 9 }).length;
    files += 1;
  }
  return { bytes, gzipBytes, files };
}
