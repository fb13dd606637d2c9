// The set-up the harness suites share: one App harness (testkit/helpers/app-harness.ts) for the tests
// of a `describe` block, started before them and closed after them, with the fake GitHub checked after
// each test for anything the real API would have refused; the same block on SQLite and on PostgreSQL;
// and, for the suites that run the built Action against that App, a workflow token and a scratch
// folder for its steps.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect } from "vitest";
import { requireBuild } from "../require-build.js";
import type { StepContext } from "./action-step.js";
import {
  type Backend,
  DEFAULT_POLICY,
  type Harness,
  type HarnessOptions,
  HEAD_SHA,
  REPO,
  startHarness,
} from "./app-harness.js";

export const BACKENDS: readonly Backend[] = ["sqlite", "postgres"];

export interface SuiteOptions extends HarnessOptions {
  /** After each test, before the checks: undo what a test may leave behind (latency, rate limits). */
  reset?: (h: Harness) => void | Promise<void>;
  /** After each test, put DEFAULT_POLICY back (for suites whose tests change the policy). */
  restorePolicy?: boolean;
  /**
   * Skips the check that the fake GitHub refused nothing: only where GitHub refusing the App is
   * what the suite is about (a private key GitHub does not accept).
   */
  refusalsExpected?: boolean;
}

/**
 * A harness for the tests of the block this is called in (or the file, at its top level). What it
 * returns stands for the harness once it has started: use it inside hooks and tests.
 */
export function useHarness(backend: Backend, options: SuiteOptions = {}): Harness {
  const { reset, restorePolicy, refusalsExpected, ...harnessOptions } = options;
  let started: Harness | undefined;
  beforeAll(async () => {
    started = await startHarness(backend, harnessOptions);
  });
  afterAll(async () => {
    await started?.close();
  });
  afterEach(async () => {
    if (!started) return;
    await reset?.(started);
    if (!refusalsExpected) expect(started.github.violations).toEqual([]);
    if (restorePolicy) await started.setPolicy(DEFAULT_POLICY);
  });
  return new Proxy({} as Harness, {
    get(_target, name) {
      if (!started)
        throw new Error(
          `the harness is not started yet (harness.${String(name)} read outside a hook or test)`,
        );
      return Reflect.get(started, name);
    },
  });
}

type SuiteBody = (h: Harness, backend: Backend) => void;

/** `describe.each` over SQLite and PostgreSQL (`%s` in the title names it), each with its own harness. */
export function describeOnBackends(title: string, body: SuiteBody): void;
export function describeOnBackends(title: string, options: SuiteOptions, body: SuiteBody): void;
export function describeOnBackends(
  title: string,
  optionsOrBody: SuiteOptions | SuiteBody,
  body?: SuiteBody,
): void {
  const [options, suite] =
    typeof optionsOrBody === "function" ? [{}, optionsOrBody] : [optionsOrBody, body as SuiteBody];
  describe.each(BACKENDS)(title, (backend) => {
    suite(useHarness(backend, options), backend);
  });
}

export interface ActionHarness {
  h: Harness;
  /** What the runner gives a step of run `runId` on the scene's repository (as `dave`, on HEAD_SHA). */
  stepContext(runId: number, overrides?: Partial<StepContext>): StepContext;
}

/**
 * The App on SQLite and the built Action (dist/index.js) beside it: the job's GITHUB_TOKEN is
 * `workflowToken`, which the fake GitHub accepts for the scene's repository.
 */
export function useActionHarness(workflowToken: string): ActionHarness {
  let work = "";
  beforeAll(() => {
    requireBuild("action");
  });
  const h = useHarness("sqlite");
  beforeAll(() => {
    h.github.addStaticToken(workflowToken, REPO);
    work = mkdtempSync(join(tmpdir(), "sdg-steps-"));
  });
  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });
  return {
    h,
    stepContext: (runId, overrides = {}) => ({
      repository: REPO,
      runId,
      sha: HEAD_SHA,
      actor: "dave",
      serverUrl: h.github.url,
      apiUrl: h.github.apiUrl,
      githubToken: workflowToken,
      workDir: join(work, String(runId)),
      ...overrides,
    }),
  };
}
