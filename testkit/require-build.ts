// For suites that run what the build step makes (the App as a process, dist/index.js): fail at once,
// with the compiler's output, when test/global-setup.ts could not build it.
import { inject } from "vitest";
import type { BuildName } from "./build.js";

export type BuildFailures = Record<BuildName, string | null>;

declare module "vitest" {
  export interface ProvidedContext {
    buildFailures: BuildFailures;
  }
}

export function requireBuild(...names: BuildName[]): void {
  const failures = inject("buildFailures");
  for (const name of names) {
    const failure = failures?.[name];
    if (failure) throw new Error(`the ${name} build failed in vitest's global setup:\n${failure}`);
  }
}
