// Figure 7: the largest legal policy (bench/lib/policies.ts) loaded as the App loads it, in a process
// of its own (policy-worker.ts), beside the bench's everyday policy: time to read, parse and validate,
// and the longest the event loop waited meanwhile.
import { type ChildProcess, fork } from "node:child_process";
import { join } from "node:path";
import { POLICY_PATH } from "../app/policy/types.js";
import { PROJECT_ROOT } from "../testkit/helpers/processes.js";
import { largestLegalPolicy } from "./lib/policies.js";
import { APP_ID, POLICY, REPO, type Scene } from "./lib/scene.js";
import { round, type Summary, summarize } from "./lib/stats.js";
import type { PolicyLoadSamples, PolicyWorkerCommand } from "./policy-worker.js";

const BIG_REPO = "acme/monorepo";
const POLICY_INSTALLATION_ID = 70_707;

export interface PolicyLoadFigure {
  bytes: number;
  environments: number;
  idsChecked: number;
  aliases: number;
  ok: boolean;
  loadMs: Summary;
  maxEventLoopDelayMs: Summary;
}

export interface PolicyFigure {
  runs: number;
  largest: PolicyLoadFigure;
  everyday: PolicyLoadFigure;
}

export async function policySize(scene: Scene, runs: number): Promise<PolicyFigure> {
  const big = largestLegalPolicy();
  scene.github.addRepository({ fullName: BIG_REPO, files: { [POLICY_PATH]: big.text } });
  scene.github.addInstallation({
    id: POLICY_INSTALLATION_ID,
    account: "acme",
    repositories: [REPO, BIG_REPO],
  });
  const [largest, everyday] = await runWorker({
    apiUrl: scene.github.apiUrl,
    appId: APP_ID,
    privateKey: scene.privateKey,
    installationId: POLICY_INSTALLATION_ID,
    repositories: [BIG_REPO, REPO],
    runs,
  });
  const figure = (
    samples: PolicyLoadSamples | undefined,
    sized: Omit<PolicyLoadFigure, "ok" | "loadMs" | "maxEventLoopDelayMs">,
  ) => {
    if (!samples) throw new Error("the policy worker returned nothing");
    if (!samples.ok) throw new Error(`the policy was refused: ${samples.message}`);
    return {
      ...sized,
      ok: samples.ok,
      loadMs: roundSummary(summarize(samples.loadMs)),
      maxEventLoopDelayMs: roundSummary(summarize(samples.maxDelayMs)),
    };
  };
  return {
    runs,
    largest: figure(largest, {
      bytes: big.bytes,
      environments: big.environments,
      idsChecked: big.idsChecked,
      aliases: big.aliases,
    }),
    everyday: figure(everyday, {
      bytes: Buffer.byteLength(POLICY),
      environments: 2,
      idsChecked: 2,
      aliases: 0,
    }),
  };
}

function runWorker(command: PolicyWorkerCommand): Promise<PolicyLoadSamples[]> {
  const child: ChildProcess = fork(join(PROJECT_ROOT, "bench", "policy-worker.ts"), [], {
    execArgv: ["--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  return new Promise((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`the policy worker exited (${code}) without figures`)));
    child.on("message", (message: { ready?: boolean; result?: PolicyLoadSamples[]; error?: string }) => {
      if (message.ready) child.send(command);
      else if (message.result) resolve(message.result);
      else reject(new Error(`the policy worker failed: ${message.error}`));
    });
  });
}

function roundSummary(s: Summary): Summary {
  return { n: s.n, p50: round(s.p50), p99: round(s.p99), min: round(s.min), max: round(s.max) };
}
