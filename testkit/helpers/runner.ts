// What a GitHub-hosted runner gives a JavaScript action step, for running the built Action
// (dist/index.js) as a process: the event file, the empty GITHUB_OUTPUT, GITHUB_STATE and
// GITHUB_STEP_SUMMARY files, and the GITHUB_* and RUNNER_* variables.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** The workflow run a step belongs to. */
export interface RunFacts {
  repository: string;
  runId: number;
  runAttempt?: number;
  sha: string;
  ref?: string;
  actor: string;
  workflow?: string;
  eventName?: string;
  /** The event payload (GITHUB_EVENT_PATH); a push payload when not given. */
  event?: object;
  /** A scratch directory for the step's event, output, state and summary files. */
  workDir: string;
  /** The job's GITHUB_TOKEN. */
  githubToken: string;
  /** Extra environment (RUNNER_ENVIRONMENT, HTTPS_PROXY, …). */
  env?: Record<string, string>;
}

/** How a step ended: its exit code, what it wrote to GITHUB_OUTPUT and the summary, and its log. */
export interface StepOutcome {
  code: number | string;
  outputs: Record<string, string>;
  summary: string;
  log: string;
}

export interface RunnerContext extends RunFacts {
  job: string;
  /** `http://127.0.0.1:PORT`, the fake GitHub's web root. */
  serverUrl: string;
  /** Its REST root (`…/api/v3`). */
  apiUrl: string;
}

export interface RunnerFiles {
  event: string;
  output: string;
  state: string;
  summary: string;
}

/**
 * Everything a runner prepares for a step but its inputs: the files (named by `unique`) and the
 * environment (the runner's variables, then the context's own `env`).
 */
export function prepareStep(
  context: RunnerContext,
  unique: string,
): { files: RunnerFiles; env: Record<string, string | undefined> } {
  const files = prepareRunnerFiles(context, unique);
  return { files, env: { ...runnerEnvironment(context, files), ...context.env } };
}

/** Writes a step's event file and its empty output, state and summary files, named by `unique`. */
function prepareRunnerFiles(context: RunnerContext, unique: string): RunnerFiles {
  mkdirSync(context.workDir, { recursive: true });
  const files = {
    event: join(context.workDir, `event-${unique}.json`),
    output: join(context.workDir, `output-${unique}.txt`),
    state: join(context.workDir, `state-${unique}.txt`),
    summary: join(context.workDir, `summary-${unique}.md`),
  };
  const [owner] = context.repository.split("/");
  writeFileSync(
    files.event,
    JSON.stringify(
      context.event ?? {
        ref: context.ref ?? "refs/heads/main",
        after: context.sha,
        repository: { full_name: context.repository, owner: { login: owner } },
      },
    ),
  );
  for (const file of [files.output, files.state, files.summary]) writeFileSync(file, "");
  return files;
}

/** The variables a runner sets for a step (no inputs): this process's PATH and HOME, and nothing else of it. */
function runnerEnvironment(context: RunnerContext, files: RunnerFiles): Record<string, string | undefined> {
  const [owner] = context.repository.split("/");
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    GITHUB_ACTIONS: "true",
    CI: "true",
    GITHUB_REPOSITORY: context.repository,
    GITHUB_REPOSITORY_OWNER: owner,
    GITHUB_RUN_ID: String(context.runId),
    GITHUB_RUN_ATTEMPT: String(context.runAttempt ?? 1),
    GITHUB_RUN_NUMBER: "1",
    GITHUB_SHA: context.sha,
    GITHUB_REF: context.ref ?? "refs/heads/main",
    GITHUB_ACTOR: context.actor,
    GITHUB_TRIGGERING_ACTOR: context.actor,
    GITHUB_WORKFLOW: context.workflow ?? "Deploy",
    GITHUB_JOB: context.job,
    GITHUB_SERVER_URL: context.serverUrl,
    GITHUB_API_URL: context.apiUrl,
    GITHUB_GRAPHQL_URL: `${context.apiUrl}/graphql`,
    GITHUB_EVENT_NAME: context.eventName ?? "push",
    GITHUB_EVENT_PATH: files.event,
    GITHUB_OUTPUT: files.output,
    GITHUB_STATE: files.state,
    GITHUB_STEP_SUMMARY: files.summary,
    GITHUB_WORKSPACE: context.workDir,
    RUNNER_TEMP: context.workDir,
    RUNNER_ENVIRONMENT: "github-hosted",
  };
}

/** The variable an input arrives in (`slack-bot-token` → INPUT_SLACK-BOT-TOKEN, as the runner names it). */
export function inputVariable(name: string): string {
  return `INPUT_${name.replace(/ /g, "_").toUpperCase()}`;
}
