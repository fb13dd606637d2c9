// Child processes for end-to-end runs: start them with their output kept for failure messages, wait
// for a ready line or a health check with a deadline, and stop them all, whatever happened.
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { AppConfig } from "../../app/config.js";
import { inputVariable, prepareStep, type RunFacts, type RunnerContext, type StepOutcome } from "./runner.js";

/** How much of a child's output is kept for error messages. */
const KEPT_OUTPUT = 64 * 1024;

export interface Child {
  name: string;
  process: ChildProcess;
  /** Everything written to stdout and stderr so far (the last 64 KiB). */
  output(): string;
  /** Resolves with the exit code (or the signal's name) once the process has ended. */
  exited: Promise<number | string>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process has ended. */
  stop(graceMs?: number): Promise<void>;
}

export interface StartOptions {
  name: string;
  command: string;
  args: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Also copy the child's output to this process's stderr (for debugging a run). */
  echo?: boolean;
}

const running = new Set<Child>();

export function startProcess(options: StartOptions): Child {
  const child = spawn(options.command, options.args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ["ignore", "pipe", "pipe"],
    // Its own process group, so stop() also ends what it spawned (npm → node, npx → tsx → node).
    detached: true,
  });
  let output = "";
  const keep = (chunk: Buffer) => {
    const text = chunk.toString("utf8");
    output = (output + text).slice(-KEPT_OUTPUT);
    if (options.echo) process.stderr.write(`[${options.name}] ${text}`);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);

  const exited = new Promise<number | string>((resolve) => {
    child.once("exit", (code, signal) => resolve(code ?? signal ?? "unknown"));
    child.once("error", (error) => {
      output += `\n[spawn error] ${error.message}`;
      resolve("spawn-error");
    });
  });

  let ended = false;
  void exited.then(() => {
    ended = true;
  });

  const handle: Child = {
    name: options.name,
    process: child,
    output: () => output,
    exited,
    async stop(graceMs = 5000) {
      running.delete(handle);
      if (ended || child.pid === undefined) return;
      signalGroup(child.pid, "SIGTERM");
      const timer = setTimeout(() => {
        if (!ended && child.pid !== undefined) signalGroup(child.pid, "SIGKILL");
      }, graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
  running.add(handle);
  return handle;
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

/** Stops every child started by startProcess that is still running. */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((child) => child.stop()));
}

/**
 * A port that was free a moment ago, for a child process to listen on. Picked below Linux's ephemeral
 * range (32768–60999): a port the OS hands out with listen(0) is in that range, where any outgoing
 * connection of a busy test run can take it before the child binds it (seen as EADDRINUSE in CI).
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (await canListen(port)) return port;
  }
  return listenOn(0);
}

async function canListen(port: number): Promise<boolean> {
  try {
    await listenOn(port);
    return true;
  } catch {
    return false;
  }
}

function listenOn(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      const address = server.address();
      const bound = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(bound));
    });
  });
}

export class WaitTimeoutError extends Error {
  override name = "WaitTimeoutError";
}

/**
 * Polls `probe` until it returns something other than undefined/false, or fails after `timeoutMs`
 * with `what` in the message (and the probe's last error, if it threw).
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  options: { timeoutMs?: number; intervalMs?: number; child?: Child } = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
      lastError = undefined;
    } catch (error) {
      lastError = error;
    }
    if (options.child && (await settledWithin(options.child.exited, 0)) !== undefined) {
      throw new WaitTimeoutError(
        `${options.child.name} exited while waiting for ${what}\n--- ${options.child.name} output ---\n${options.child.output()}`,
      );
    }
    if (Date.now() >= deadline) {
      const cause = lastError
        ? ` (last error: ${lastError instanceof Error ? lastError.message : String(lastError)})`
        : "";
      const output = options.child ? `\n--- ${options.child.name} output ---\n${options.child.output()}` : "";
      throw new WaitTimeoutError(`timed out after ${timeoutMs} ms waiting for ${what}${cause}${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 100));
  }
}

async function settledWithin<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  const result = await Promise.race([promise, timeout]);
  clearTimeout(timer);
  return result;
}

/** The first line of the child's stdout that parses as a JSON object. */
export function waitForJsonLine<T>(child: Child, timeoutMs = 30_000): Promise<T> {
  return waitFor(
    `a JSON line from ${child.name}`,
    () => {
      for (const line of child.output().split("\n")) {
        const trimmed = line.trim();
        if (!trimmed.startsWith("{")) continue;
        try {
          return JSON.parse(trimmed) as T;
        } catch {
          // A log line that only looks like JSON; keep looking.
        }
      }
      return undefined;
    },
    { timeoutMs, child },
  );
}

/** Resolves once `url` answers 200. */
export async function waitForHealthy(url: string, child?: Child, timeoutMs = 30_000): Promise<void> {
  await waitFor(
    `${url} to answer 200`,
    async () => {
      const response = await fetch(url);
      await response.arrayBuffer();
      return response.status === 200;
    },
    { timeoutMs, child, intervalMs: 200 },
  );
}

/** Runs a command to completion; rejects with its output when it fails or outlives `timeoutMs`. */
export async function runToCompletion(
  options: StartOptions & { timeoutMs?: number },
): Promise<{ code: number | string; output: string }> {
  const child = startProcess(options);
  const timeoutMs = options.timeoutMs ?? 120_000;
  const code = await settledWithin(child.exited, timeoutMs);
  if (code === undefined) {
    await child.stop();
    throw new WaitTimeoutError(`${options.name} did not finish within ${timeoutMs} ms\n${child.output()}`);
  }
  running.delete(child);
  return { code, output: child.output() };
}

// ---- The project's own processes: the App and the Action's bundle ----

export const PROJECT_ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** What startApp gives the App in its environment: the settings it must have, as loadConfig reads them, and where things are. */
export interface AppSettings
  extends Pick<
    AppConfig,
    "appId" | "privateKey" | "webhookSecret" | "slackSigningSecret" | "slackBotToken" | "slackApiUrl"
  > {
  /** `host:port` of the fake GitHub (its API is at /api/v3). */
  githubHost: string;
  databaseUrl: string;
  port: number;
  logLevel?: string;
  sweepIntervalMs?: number;
  /** More environment for the App (read after the settings above, so it may override them). */
  env?: Record<string, string>;
  echo?: boolean;
}

/**
 * `node build/app/main.js` (what `npm start` runs after building) in `cwd`, with `env` and, of this
 * process's environment, only PATH and HOME: whatever else the App reads comes from `env` (or a
 * `.env` file in `cwd`).
 */
export function startAppProcess(options: {
  cwd: string;
  env: Record<string, string | undefined>;
  /** The checkout whose build runs (this one by default). */
  root?: string;
  name?: string;
  echo?: boolean;
}): Child {
  return startProcess({
    name: options.name ?? "app",
    command: process.execPath,
    args: [join(options.root ?? PROJECT_ROOT, "build", "app", "main.js")],
    cwd: options.cwd,
    echo: options.echo,
    // Probot types LOG_LEVEL narrowly; the App validates it itself.
    env: <Record<string, string | undefined>>{
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      ...options.env,
    },
  });
}

/** Runs the App as `npm start` does, with every setting in its environment, and waits for /healthz. */
export async function startApp(
  settings: AppSettings,
  root = PROJECT_ROOT,
): Promise<{ child: Child; url: string }> {
  const child = startAppProcess({
    cwd: root,
    root,
    echo: settings.echo,
    env: {
      NODE_ENV: "production",
      APP_ID: String(settings.appId),
      PRIVATE_KEY: settings.privateKey,
      WEBHOOK_SECRET: settings.webhookSecret,
      SLACK_SIGNING_SECRET: settings.slackSigningSecret,
      SLACK_BOT_TOKEN: settings.slackBotToken,
      SLACK_API_URL: settings.slackApiUrl,
      DATABASE_URL: settings.databaseUrl,
      PORT: String(settings.port),
      HOST: "127.0.0.1",
      LOG_LEVEL: settings.logLevel ?? "info",
      GHE_HOST: settings.githubHost,
      GHE_PROTOCOL: "http",
      SWEEP_INTERVAL_MS: String(settings.sweepIntervalMs ?? 2000),
      ...settings.env,
    },
  });
  const url = `http://127.0.0.1:${settings.port}`;
  await waitForHealthy(`${url}/healthz`, child, 60_000);
  return { child, url };
}

/** A request-posting step, its inputs named as fields (`runActionStep`). */
export interface ActionStep extends RunFacts {
  environment: string;
  channel: string;
  mode?: string;
  message?: string;
  mention?: string;
  slackBotToken: string;
  slackApiUrl: string;
  /** e.g. `http://127.0.0.1:PORT` */
  githubServerUrl: string;
  githubApiUrl: string;
}

export type ActionResult = StepOutcome;

/** Runs `dist/index.js` with the environment a runner gives a `node24` action step. */
export async function runActionStep(step: ActionStep, root = PROJECT_ROOT): Promise<ActionResult> {
  const unique = `${step.runId}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
  const context: RunnerContext = {
    ...step,
    job: "request-approval",
    serverUrl: step.githubServerUrl,
    apiUrl: step.githubApiUrl,
  };
  const { files, env } = prepareStep(context, unique);
  const inputs: Record<string, string | undefined> = {
    "slack-bot-token": step.slackBotToken,
    channel: step.channel,
    environment: step.environment,
    mode: step.mode ?? "gate",
    message: step.message,
    mention: step.mention,
    "slack-api-url": step.slackApiUrl,
    "github-token": step.githubToken,
  };
  for (const [name, value] of Object.entries(inputs)) {
    // The runner passes every declared input; an unset optional one arrives empty.
    env[inputVariable(name)] = value ?? "";
  }
  const { code, output } = await runToCompletion({
    name: "dist/index.js",
    command: process.execPath,
    args: [join(root, "dist", "index.js")],
    cwd: step.workDir,
    env,
    timeoutMs: 60_000,
  });
  return {
    code,
    outputs: parseGithubOutput(readFileSync(files.output, "utf8")),
    summary: readFileSync(files.summary, "utf8"),
    log: output,
  };
}

/** Reads `$GITHUB_OUTPUT`: `name=value` lines and `name<<DELIMITER … DELIMITER` blocks. */
export function parseGithubOutput(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i += 1) {
    const line = lines[i] as string;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const [, name, delimiter] = heredoc as unknown as [string, string, string];
      const value: string[] = [];
      for (i += 1; i < lines.length && lines[i] !== delimiter; i += 1) value.push(lines[i] as string);
      outputs[name] = value.join("\n");
    } else if (line.includes("=")) {
      outputs[line.slice(0, line.indexOf("="))] = line.slice(line.indexOf("=") + 1);
    }
  }
  return outputs;
}
