// Figure 7's measuring process: loads a repository's policy the way the App does (the built
// `createPolicyLoader().load()` with an installation's Octokit, against the fake GitHub in the bench
// process), `runs` times with a fresh loader each time, and records how long each load took and the
// longest the event loop waited meanwhile (monitorEventLoopDelay at 1 ms resolution). Its own process,
// so that nothing else runs on its event loop.

import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { pino } from "pino";
import { Probot } from "probot";
import type * as PolicyModule from "../app/policy/index.js";
import { PROJECT_ROOT } from "../testkit/helpers/processes.js";

export interface PolicyWorkerCommand {
  apiUrl: string;
  appId: number;
  privateKey: string;
  installationId: number;
  repositories: string[];
  runs: number;
}

export interface PolicyLoadSamples {
  repository: string;
  ok: boolean;
  message?: string;
  loadMs: number[];
  maxDelayMs: number[];
}

async function measure(command: PolicyWorkerCommand): Promise<PolicyLoadSamples[]> {
  // The App as built (build/app), not the TypeScript sources.
  const policy = (await import(
    pathToFileURL(join(PROJECT_ROOT, "build", "app", "policy", "index.js")).href
  )) as typeof PolicyModule;
  const probot = new Probot({
    appId: command.appId,
    privateKey: command.privateKey,
    baseUrl: command.apiUrl,
    log: pino({ level: "silent" }),
  });
  const octokit = await probot.auth(command.installationId);
  const out: PolicyLoadSamples[] = [];
  for (const repository of command.repositories) {
    const [owner, repo] = repository.split("/") as [string, string];
    const samples: PolicyLoadSamples = { repository, ok: true, loadMs: [], maxDelayMs: [] };
    for (let i = 0; i < command.runs; i += 1) {
      const loader = policy.createPolicyLoader({ ttlMs: 60_000 });
      const delay = monitorEventLoopDelay({ resolution: 1 });
      delay.enable();
      const started = performance.now();
      const result = await loader.load(octokit, owner, repo);
      const ms = performance.now() - started;
      delay.disable();
      samples.loadMs.push(ms);
      samples.maxDelayMs.push(delay.max / 1e6);
      if (!result.ok) {
        samples.ok = false;
        samples.message = result.message.slice(0, 300);
      }
    }
    out.push(samples);
  }
  return out;
}

process.once("message", (command: PolicyWorkerCommand) => {
  measure(command).then(
    (result) => process.send?.({ result }, () => process.exit(0)),
    (error: unknown) => process.send?.({ error: String(error) }, () => process.exit(1)),
  );
});
process.send?.({ ready: true });
