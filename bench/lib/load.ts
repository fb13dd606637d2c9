// Drives the load generator (bench/load-worker.ts) in a child process and turns its raw results into
// the figures: latency percentiles, errors, achieved rate.
import { type ChildProcess, fork } from "node:child_process";
import { join } from "node:path";
import { PROJECT_ROOT } from "../../testkit/helpers/processes.js";
import type {
  HugeBodyCommand,
  HugeBodyResult,
  SlowBodiesCommand,
  SlowBodiesResult,
} from "../attack-traffic.js";
import type { WorkerCommand, WorkerResult } from "../load-worker.js";
import { round, summarize } from "./stats.js";

export interface LoadWorker {
  pid: number;
  run(command: WorkerCommand): Promise<WorkerResult>;
  attack(command: SlowBodiesCommand): Promise<SlowBodiesResult>;
  attack(command: HugeBodyCommand): Promise<HugeBodyResult>;
  stop(): Promise<void>;
}

export async function startLoadWorker(): Promise<LoadWorker> {
  const child: ChildProcess = fork(join(PROJECT_ROOT, "bench", "load-worker.ts"), [], {
    execArgv: ["--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  await new Promise<void>((resolve, reject) => {
    child.once("message", () => resolve());
    child.once("exit", (code) => reject(new Error(`load worker exited (${code}) before it was ready`)));
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const ask = <T>(command: object) =>
    new Promise<T>((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`load worker died (${code})`));
      child.once("exit", onExit);
      child.once("message", (result) => {
        child.off("exit", onExit);
        resolve(result as T);
      });
      child.send(command);
    });
  return {
    pid: child.pid as number,
    run: (command) => ask<WorkerResult>(command),
    attack: (command: SlowBodiesCommand | HugeBodyCommand) => ask(command) as never,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      await exited;
    },
  };
}

export interface LoadFigure {
  rate: number;
  seconds: number;
  sent: number;
  ok: number;
  /** Anything but a 2xx: other statuses, network errors, timeouts. */
  errors: number;
  errorKinds: Record<string, number>;
  p50: number;
  p99: number;
  max: number;
  achievedRate: number;
  maxSendLagMs: number;
}

export function loadFigure(rate: number, seconds: number, result: WorkerResult): LoadFigure {
  const s = summarize(result.latencies);
  const errorKinds: Record<string, number> = { ...result.errors };
  for (const [status, count] of Object.entries(result.statuses)) {
    if (!status.startsWith("2")) errorKinds[`HTTP ${status}`] = count;
  }
  const errors = Object.values(errorKinds).reduce((a, b) => a + b, 0);
  return {
    rate,
    seconds,
    sent: result.sent,
    ok: s.n,
    errors,
    errorKinds,
    p50: round(s.p50),
    p99: round(s.p99),
    max: round(s.max),
    achievedRate: round(s.n / (result.elapsedMs / 1000), 1),
    maxSendLagMs: round(result.maxSendLagMs),
  };
}
