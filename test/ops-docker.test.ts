// The App's image, checked without a Docker engine: the Dockerfile's stages, base image, user and
// files, what .dockerignore keeps out of the build context, and the runtime dependency set (the App's
// own imports, nothing of the Action's). .ci/image-runtime.ts rebuilds the runtime stage in a directory
// and starts the App from it.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../testkit/helpers/processes.js";
import {
  isIgnored,
  parseCopy,
  parseDockerfile,
  parseEnvInstruction,
  type Stage,
  stage,
} from "./ops-dockerfile.js";

const read = (path: string) => readFileSync(join(PROJECT_ROOT, path), "utf8");
const dockerfile = parseDockerfile(read("Dockerfile"));
const dockerignore = read(".dockerignore");
const packageJson = JSON.parse(read("package.json")) as {
  engines: { node: string };
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

function runs(s: Stage): string[] {
  return s.instructions.filter((i) => i.keyword === "RUN").map((i) => i.args);
}

function files(dir: string): string[] {
  return readdirSync(join(PROJECT_ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? files(path) : [path];
  });
}

describe("Dockerfile", () => {
  it("builds in three stages on Node 24 LTS: compile, runtime dependencies, runtime", () => {
    expect(dockerfile.stages.map((s) => s.name)).toEqual(["build", "deps", "runtime"]);
    expect(dockerfile.args.NODE_IMAGE).toMatch(/^node:24-bookworm-slim$/);
    for (const s of dockerfile.stages) expect(s.from).toBe(dockerfile.args.NODE_IMAGE);
    expect(runs(stage(dockerfile, "build"))).toContain("npm run build:app");
    expect(runs(stage(dockerfile, "deps")).some((r) => /^npm ci --omit=dev\b/.test(r))).toBe(true);
  });

  it("runs the App as a non-root user, with no compiler or package install in the runtime stage", () => {
    const runtime = stage(dockerfile, "runtime");
    const keywords = runtime.instructions.map((i) => i.keyword);
    const user = runtime.instructions.findLast((i) => i.keyword === "USER");
    expect(user?.args).toBe("node");
    expect(keywords.lastIndexOf("USER")).toBeLessThan(keywords.indexOf("CMD"));
    expect(runs(runtime).join("\n")).not.toMatch(/apt-get|npm (ci|install)|g\+\+|make/);
    // As `npm start` runs it, with the same node flags.
    const start = JSON.parse(read("package.json")).scripts.start as string;
    expect(JSON.parse(runtime.instructions.find((i) => i.keyword === "CMD")?.args ?? "[]")).toEqual(
      start.split(" "),
    );
  });

  it("listens where it says, keeps SQLite on the /data volume, and checks readiness", () => {
    const runtime = stage(dockerfile, "runtime");
    const env = Object.assign(
      {},
      ...runtime.instructions.filter((i) => i.keyword === "ENV").map(parseEnvInstruction),
    ) as Record<string, string>;
    expect(env).toMatchObject({ HOST: "0.0.0.0", PORT: "3000", NODE_ENV: "production" });
    expect(env.DATABASE_URL).toBe("sqlite:///data/slack-deploy-gate.db");
    const args = (keyword: string) => runtime.instructions.find((i) => i.keyword === keyword)?.args;
    expect(args("EXPOSE")).toBe(env.PORT);
    expect(args("VOLUME")).toBe("/data");
    expect(args("STOPSIGNAL")).toBe("SIGTERM");
    expect(args("HEALTHCHECK")).toContain("/readyz");
    expect(runs(runtime)).toContain("mkdir /data && chown node:node /data");
  });

  it("copies only files that exist and that .dockerignore lets into the context", () => {
    const stageNames = dockerfile.stages.map((s) => s.name);
    for (const [index, s] of dockerfile.stages.entries()) {
      for (const copy of s.instructions.filter((i) => i.keyword === "COPY").map(parseCopy)) {
        if (copy.from) {
          // From an earlier stage, at a path that stage makes.
          expect(stageNames.indexOf(copy.from)).toBeGreaterThanOrEqual(0);
          expect(stageNames.indexOf(copy.from)).toBeLessThan(index);
          continue;
        }
        for (const source of copy.sources) {
          expect(existsSync(join(PROJECT_ROOT, source)), `${source} is missing`).toBe(true);
          const inside = statSync(join(PROJECT_ROOT, source)).isDirectory() ? files(source) : [source];
          for (const file of inside) expect(isIgnored(dockerignore, file), `${file} is ignored`).toBe(false);
        }
      }
    }
  });

  it("takes build/app and build/common from the build stage, which tsc writes there", () => {
    const tsconfig = JSON.parse(read("tsconfig.build.json")) as { include: string[] };
    const base = JSON.parse(read("tsconfig.json")) as {
      compilerOptions: { outDir: string; rootDir: string };
    };
    expect(base.compilerOptions).toMatchObject({ outDir: "build", rootDir: "." });
    expect(tsconfig.include).toEqual(["app", "common"]);
    const fromBuild = stage(dockerfile, "runtime")
      .instructions.filter((i) => i.keyword === "COPY")
      .map(parseCopy)
      .filter((c) => c.from === "build");
    expect(fromBuild.flatMap((c) => c.sources).sort()).toEqual(["/app/build/app", "/app/build/common"]);
    expect(existsSync(join(PROJECT_ROOT, "app", "main.ts"))).toBe(true);
  });
});

describe(".dockerignore", () => {
  it("keeps credentials, local state and everything the App does not run out of the build context", () => {
    for (const path of [
      ".env",
      ".env.production",
      "private-key.pem",
      "app/private-key.pem",
      "node_modules/probot/package.json",
      ".git/config",
      "data/slack-deploy-gate.db",
      "build/app/main.js",
      "dist/index.js",
      "src/index.ts",
      "test/config.test.ts",
      "testkit/fakes/slack.ts",
      "sandbox/server.ts",
      "bench/run.ts",
    ]) {
      expect(isIgnored(dockerignore, path), path).toBe(true);
    }
    for (const path of [
      "package.json",
      "package-lock.json",
      "app/main.ts",
      "common/reference.ts",
      "app.yml",
    ]) {
      expect(isIgnored(dockerignore, path), path).toBe(false);
    }
  });
});

describe("the App's runtime dependencies", () => {
  /** Packages imported (for their values, not only types) by app/ and common/. */
  function importedPackages(): Set<string> {
    const found = new Set<string>();
    for (const file of [...files("app"), ...files("common")].filter((f) => f.endsWith(".ts"))) {
      const text = read(file);
      for (const match of text.matchAll(
        /^\s*import\s+(?!type\s)(?:[^"';]*?\sfrom\s+)?["']([^"'.][^"']*)["']/gm,
      )) {
        const specifier = match[1] as string;
        if (specifier.startsWith("node:")) continue;
        const parts = specifier.split("/");
        found.add(specifier.startsWith("@") ? parts.slice(0, 2).join("/") : (parts[0] as string));
      }
      expect(text, `${relative(PROJECT_ROOT, file)} requires at run time`).not.toMatch(
        /\brequire\(["'][^."']/,
      );
    }
    return found;
  }

  it("are exactly the packages app/ and common/ import, so the image carries no Action dependency", () => {
    expect(Object.keys(packageJson.dependencies).sort()).toEqual([...importedPackages()].sort());
    for (const name of ["@actions/core", "@actions/github", "@actions/http-client", "undici"]) {
      expect(
        packageJson.devDependencies[name],
        `${name} is bundled into dist/, a dev dependency`,
      ).toBeDefined();
    }
  });

  it("ask for a Node that every runtime dependency supports: 22.12 or later", () => {
    expect(packageJson.engines.node).toBe(">=22.12");
    const lock = JSON.parse(read("package-lock.json")) as {
      packages: Record<string, { dev?: boolean; engines?: { node?: string } }>;
    };
    // Runtime packages whose own engines start above 22.12 would make the field a promise it cannot keep.
    for (const [path, entry] of Object.entries(lock.packages)) {
      if (!path || entry.dev || !entry.engines?.node) continue;
      expect(entry.engines.node, path).not.toMatch(/^>=\s*2[3-9]|^\^2[3-9]|^>=\s*22\.(1[3-9]|[2-9]\d)/);
    }
  });
});
