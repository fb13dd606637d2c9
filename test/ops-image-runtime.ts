// The image's runtime stage, rebuilt in a temporary directory without Docker, and the App started
// from it: `node --import tsx test/ops-image-runtime.ts` (CI runs it; the Node that runs it is the
// Node the stage is installed and run with).
//  1. the `deps` stage's `npm ci --omit=dev`, from package.json and package-lock.json alone;
//  2. the runtime stage's COPY lines, in order (from `deps`, from `build` = this checkout's build/,
//     and from the context);
//  3. its ENV and CMD, with /data moved to the temporary directory, against the fake Slack and GitHub:
//     /readyz must answer 200, /metrics must scrape, and SIGTERM must end it with exit code 0.
// It also checks that no dev-only package (the Action's, the test tools) was installed.
import { spawnSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { ensureBuilt } from "../testkit/build.js";
import { PROJECT_ROOT, startProcess, waitForHealthy } from "../testkit/helpers/processes.js";
import { parseCopy, parseDockerfile, parseEnvInstruction, stage } from "./ops-dockerfile.js";
import { freePort, startScene } from "./ops-scene.js";

function fail(message: string): never {
  process.stderr.write(`image-runtime: ${message}\n`);
  process.exit(1);
}

/** Bytes of every file under `path`. */
function sizeOf(path: string): number {
  let total = 0;
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    const full = join(path, entry.name);
    if (entry.isDirectory()) total += sizeOf(full);
    else if (entry.isFile()) total += statSync(full).size;
  }
  return total;
}

async function main(): Promise<void> {
  const dockerfile = parseDockerfile(readFileSync(join(PROJECT_ROOT, "Dockerfile"), "utf8"));
  const work = mkdtempSync(join(tmpdir(), "sdg-image-"));
  const nodeDir = dirname(process.execPath);
  // npm runs under this Node (its script starts with `#!/usr/bin/env node`), and so does the App.
  const env = { ...process.env, PATH: `${nodeDir}:${process.env.PATH ?? ""}` };
  process.stdout.write(`image-runtime: Node ${process.version}, working in ${work}\n`);

  try {
    // 1. The deps stage.
    const deps = join(work, "deps");
    mkdirSync(deps);
    for (const copy of stage(dockerfile, "deps")
      .instructions.filter((i) => i.keyword === "COPY")
      .map(parseCopy)) {
      for (const source of copy.sources) cpSync(join(PROJECT_ROOT, source), join(deps, source));
    }
    const install = stage(dockerfile, "deps")
      .instructions.filter((i) => i.keyword === "RUN")
      .map((i) => i.args.split("&&")[0]?.trim() ?? "")
      .find((command) => command.startsWith("npm ci"));
    if (!install) fail("the deps stage runs no `npm ci`");
    const started = Date.now();
    const result = spawnSync("sh", ["-c", install], { cwd: deps, env, encoding: "utf8" });
    if (result.status !== 0) fail(`${install} failed:\n${result.stdout}${result.stderr}`);
    const installSeconds = (Date.now() - started) / 1000;

    const lock = JSON.parse(readFileSync(join(deps, "package-lock.json"), "utf8")) as {
      packages: Record<string, { dev?: boolean }>;
    };
    const devOnly = Object.entries(lock.packages)
      .filter(([path, entry]) => path.startsWith("node_modules/") && entry.dev)
      .map(([path]) => path)
      .filter((path) => existsSync(join(deps, path)));
    if (devOnly.length > 0) fail(`dev-only packages were installed: ${devOnly.slice(0, 10).join(", ")}`);

    // 2. The runtime stage's files, from wherever its COPY lines take them.
    const build = await ensureBuilt(["app"]);
    if (build.built.length > 0) process.stdout.write("image-runtime: built the App (npm run build:app)\n");
    const runtime = stage(dockerfile, "runtime");
    const app = join(work, "app");
    mkdirSync(app);
    for (const copy of runtime.instructions.filter((i) => i.keyword === "COPY").map(parseCopy)) {
      for (const source of copy.sources) {
        const from =
          copy.from === "deps"
            ? join(deps, source.replace(/^\/app\//, ""))
            : copy.from === "build"
              ? join(PROJECT_ROOT, source.replace(/^\/app\//, ""))
              : join(PROJECT_ROOT, source);
        const to =
          copy.sources.length > 1 ? join(app, copy.destination, source) : join(app, copy.destination);
        cpSync(from, to, { recursive: true });
      }
    }

    // 3. Its ENV and CMD, against the fakes.
    const imageEnv: Record<string, string> = Object.assign(
      {},
      ...runtime.instructions.filter((i) => i.keyword === "ENV").map(parseEnvInstruction),
    );
    const data = join(work, "data");
    mkdirSync(data);
    const cmd = JSON.parse(runtime.instructions.find((i) => i.keyword === "CMD")?.args ?? "[]") as string[];
    if (cmd[0] !== "node") fail(`the runtime stage's CMD does not start node: ${cmd.join(" ")}`);
    const scene = await startScene();
    const port = await freePort();
    const child = startProcess({
      name: "app (image runtime stage)",
      command: process.execPath,
      args: cmd.slice(1),
      cwd: app,
      env: {
        PATH: env.PATH,
        ...imageEnv,
        ...scene.settings(port),
        HOST: "127.0.0.1",
        DATABASE_URL: imageEnv.DATABASE_URL?.replace("/data/", `${data}/`) ?? "",
      },
    });
    try {
      const url = `http://127.0.0.1:${port}`;
      const startedApp = Date.now();
      await waitForHealthy(`${url}/readyz`, child, 60_000);
      const readySeconds = (Date.now() - startedApp) / 1000;
      const metrics = await fetch(`${url}/metrics`);
      if (metrics.status !== 200 || !(await metrics.text()).includes("slack_deploy_gate_"))
        fail(`/metrics answered ${metrics.status}`);
      if (!existsSync(join(data, "slack-deploy-gate.db")))
        fail("the App did not put its database under /data");
      child.process.kill("SIGTERM");
      const code = await Promise.race([
        child.exited,
        new Promise<string>((resolve) =>
          setTimeout(() => resolve("nothing: still running 30 s later"), 30_000).unref(),
        ),
      ]);
      if (code !== 0) fail(`the App exited with ${code} after SIGTERM:\n${child.output()}`);
      const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
      process.stdout.write(
        `image-runtime: ok: npm ci --omit=dev ${installSeconds.toFixed(1)} s, node_modules ${mib(sizeOf(join(app, "node_modules")))} MiB, ` +
          `App files ${mib(sizeOf(join(app, "build")))} MiB, start → ready ${readySeconds.toFixed(1)} s, SIGTERM → exit 0\n`,
      );
    } catch (error) {
      process.stderr.write(`${child.output()}\n`);
      throw error;
    } finally {
      await child.stop();
      await scene.close();
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
