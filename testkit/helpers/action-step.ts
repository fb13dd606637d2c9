// The built Action (dist/index.js) run as a runner runs a `node24` step: every input action.yml
// declares arrives as INPUT_*, unset ones with their default (`${{ github.token }}` becomes the step's
// token); GITHUB_* context; GITHUB_OUTPUT, GITHUB_STATE and GITHUB_STEP_SUMMARY files. A step can be
// left running (wait mode), signalled as a cancelled run is, and followed by its post step, which gets
// the saved state as STATE_* variables, as the runner passes it.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { type Child, PROJECT_ROOT, parseGithubOutput, startProcess } from "./processes.js";
import { inputVariable, prepareStep, type RunFacts, type RunnerContext, type StepOutcome } from "./runner.js";

export interface StepContext extends RunFacts {
  /** `http://127.0.0.1:PORT`, the fake's web root. */
  serverUrl: string;
  /** The fake's REST root (`…/api/v3`). */
  apiUrl: string;
}

export interface StepResult extends StepOutcome {
  /** What the step saved for its post step (`core.saveState`). */
  state: Record<string, string>;
}

export interface RunningStep {
  child: Child;
  /** The step's log so far. */
  log(): string;
  /** Resolves once the step has ended. */
  finished: Promise<StepResult>;
}

let counter = 0;

/** Inputs with their action.yml defaults, as the runner passes them. */
function inputEnvironment(inputs: Record<string, string>, githubToken: string): Record<string, string> {
  const action = parse(readFileSync(join(PROJECT_ROOT, "action.yml"), "utf8")) as {
    inputs: Record<string, { default?: unknown }>;
  };
  const env: Record<string, string> = {};
  for (const [name, spec] of Object.entries(action.inputs)) {
    const fallback = String(spec.default ?? "").replace(/\$\{\{\s*github\.token\s*\}\}/, githubToken);
    env[inputVariable(name)] = inputs[name] ?? fallback;
  }
  for (const name of Object.keys(inputs)) {
    if (!(name in action.inputs)) throw new Error(`action.yml declares no input "${name}"`);
  }
  return env;
}

export function startStep(
  context: StepContext,
  inputs: Record<string, string>,
  options: { state?: Record<string, string>; name?: string } = {},
): RunningStep {
  counter += 1;
  const runner: RunnerContext = { ...context, job: "approval" };
  const { files, env } = prepareStep(runner, `${context.runId}-${process.pid}-${counter}`);
  const stateEnv = Object.fromEntries(
    Object.entries(options.state ?? {}).map(([name, value]) => [`STATE_${name}`, value]),
  );
  const child = startProcess({
    name: options.name ?? "dist/index.js",
    command: process.execPath,
    args: [join(PROJECT_ROOT, "dist", "index.js")],
    cwd: context.workDir,
    env: {
      ...env,
      ...inputEnvironment(inputs, context.githubToken),
      ...stateEnv,
    },
  });
  const finished = child.exited.then((code) => ({
    code,
    outputs: parseGithubOutput(readFileSync(files.output, "utf8")),
    state: parseGithubOutput(readFileSync(files.state, "utf8")),
    summary: readFileSync(files.summary, "utf8"),
    log: child.output(),
  }));
  return { child, log: () => child.output(), finished };
}

/** Runs a step to its end (or fails the test after `timeoutMs`). */
export async function runStep(
  context: StepContext,
  inputs: Record<string, string>,
  options: { state?: Record<string, string>; timeoutMs?: number } = {},
): Promise<StepResult> {
  const step = startStep(context, inputs, options);
  const timeoutMs = options.timeoutMs ?? 60_000;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      void step.child.stop();
      reject(new Error(`the step did not finish within ${timeoutMs} ms\n${step.log()}`));
    }, timeoutMs);
  });
  try {
    return await Promise.race([step.finished, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

/** The post step of a step that ended with `main` (the runner runs it with the saved state). */
export function runPostStep(
  context: StepContext,
  inputs: Record<string, string>,
  main: StepResult,
): Promise<StepResult> {
  return runStep(context, inputs, { state: main.state });
}

/** `::error::…` lines of a step's log. */
export function errorLines(log: string): string[] {
  return log.split("\n").filter((line) => line.startsWith("::error::"));
}

/** `::warning::…` lines of a step's log. */
export function warningLines(log: string): string[] {
  return log.split("\n").filter((line) => line.startsWith("::warning::"));
}
