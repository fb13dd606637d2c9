// Once per vitest run, before any test file: the one build step (testkit/build.ts). A failed build is
// handed to the suites that run what it builds (requireBuild), so that a type error in app/ fails the
// process tests with the compiler's output while unit tests still run and report.
import type { TestProject } from "vitest/node";
import { type BuildName, ensureBuilt } from "../testkit/build.js";
import type { BuildFailures } from "../testkit/require-build.js";

export default async function setup(project: TestProject): Promise<void> {
  const failures: BuildFailures = { app: null, action: null };
  const names: BuildName[] = ["app", "action"];
  for (const name of names) {
    try {
      await ensureBuilt([name], { log: (line) => process.stderr.write(`[global-setup] ${line}\n`) });
    } catch (error) {
      failures[name] = error instanceof Error ? error.message : String(error);
      process.stderr.write(`[global-setup] the ${name} build failed; suites that need it will fail\n`);
    }
  }
  project.provide("buildFailures", failures);
}
