// The sandbox (`npm run sandbox`: sandbox/server.ts under tsx) as a process for the browser suites,
// on a port of its own, started once its ready line names the page and the fakes' control API.
import { join } from "node:path";
import { type Child, freePort, PROJECT_ROOT, startProcess, waitForJsonLine } from "./processes.js";

export const SANDBOX_SERVER = join(PROJECT_ROOT, "sandbox", "server.ts");

export interface RunningSandbox {
  child: Child;
  sandboxUrl: string;
  controlUrl: string;
}

/** Starts the sandbox quietly (LOG_LEVEL=warn) and waits for its ready line (it builds nothing; give it minutes on a busy machine). */
export async function startSandbox(): Promise<RunningSandbox> {
  const child = startProcess({
    name: "sandbox",
    command: process.execPath,
    args: ["--import", "tsx", SANDBOX_SERVER],
    cwd: PROJECT_ROOT,
    env: { ...process.env, SANDBOX_PORT: String(await freePort()), LOG_LEVEL: "warn" },
  });
  const ready = await waitForJsonLine<{ sandboxUrl: string; controlUrl: string }>(child, 240_000);
  return { child, sandboxUrl: ready.sandboxUrl, controlUrl: ready.controlUrl };
}
