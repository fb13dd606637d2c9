// The one build step that tests, the sandbox and the bench share: compile the App (tsc → build/) and
// bundle the Action (ncc → dist/) when a source is newer than what was last built. vitest runs it once
// per run (test/global-setup.ts); the sandbox and the bench call it before starting anything. A lock
// file keeps two runs on one checkout (a test run and the sandbox, say) from building over each other.

import { createHash } from "node:crypto";
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  statSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PROJECT_ROOT, runToCompletion } from "./helpers/processes.js";

export type BuildName = "app" | "action";

interface BuildTarget {
  /** What `npm run <script>` makes. */
  script: string;
  /** Directories and files whose newest change the output must postdate. */
  sources: string[];
  /**
   * A file touched only when the build succeeded. tsc writes its output even when it reports type
   * errors, so the output's own time would call a failed build fresh.
   */
  stamp: string;
  timeoutMs: number;
}

const TARGETS: Record<BuildName, BuildTarget> = {
  app: {
    script: "build:app",
    sources: ["app", "common", "tsconfig.json", "tsconfig.build.json", "package-lock.json"],
    stamp: join("build", ".app-built"),
    timeoutMs: 180_000,
  },
  action: {
    script: "build",
    sources: ["src", "common", "package-lock.json"],
    // ncc writes nothing when it fails, and dist/ is committed: its entry point is the stamp.
    stamp: join("dist", "index.js"),
    timeoutMs: 300_000,
  },
};

export class BuildError extends Error {
  override name = "BuildError";
}

/** The newest modification time under `path` (a file or a directory; 0 when it does not exist). */
function newestMtime(path: string): number {
  let stats: ReturnType<typeof statSync>;
  try {
    stats = statSync(path);
  } catch {
    return 0;
  }
  if (!stats.isDirectory()) return stats.mtimeMs;
  let newest = 0;
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    if (entry.name === "node_modules" || entry.name.startsWith(".")) continue;
    newest = Math.max(newest, newestMtime(join(path, entry.name)));
  }
  return newest;
}

/** True when the target was never built (successfully) or a source changed since. */
export function isStale(name: BuildName, root = PROJECT_ROOT): boolean {
  const target = TARGETS[name];
  const stamp = join(root, target.stamp);
  if (!existsSync(stamp)) return true;
  const built = statSync(stamp).mtimeMs;
  return target.sources.some((source) => newestMtime(join(root, source)) > built);
}

/**
 * Builds each named target that is stale, one after the other, under a lock shared by every process
 * building this checkout. Throws BuildError with the compiler's output when a build fails.
 */
export async function ensureBuilt(
  names: BuildName[] = ["app", "action"],
  options: { root?: string; log?: (line: string) => void } = {},
): Promise<{ built: BuildName[] }> {
  const root = options.root ?? PROJECT_ROOT;
  const built: BuildName[] = [];
  if (!names.some((name) => isStale(name, root))) return { built };
  const release = await acquireLock(root);
  try {
    for (const name of names) {
      // Checked again under the lock: another process may have just built it.
      if (!isStale(name, root)) continue;
      const target = TARGETS[name];
      options.log?.(`${name} is stale: npm run ${target.script}`);
      const startedAt = Date.now();
      const { code, output } = await runToCompletion({
        name: `npm run ${target.script}`,
        command: "npm",
        args: ["run", "-s", target.script],
        cwd: root,
        timeoutMs: target.timeoutMs,
      });
      if (code !== 0) throw new BuildError(`npm run ${target.script} failed (${code}):\n${output}`);
      touch(join(root, target.stamp), startedAt);
      built.push(name);
    }
  } finally {
    release();
  }
  return { built };
}

/**
 * Marks the build as made from the sources as they were when it started, so that an edit made while
 * it ran still counts as newer.
 */
function touch(path: string, atMs: number): void {
  mkdirSync(join(path, ".."), { recursive: true });
  if (!existsSync(path)) writeFileSync(path, "");
  const at = new Date(atMs);
  utimesSync(path, at, at);
}

const LOCK_POLL_MS = 200;
const LOCK_PATIENCE_MS = 10 * 60_000;

/** An exclusive lock file holding the owner's pid; a lock whose owner is gone is taken over. */
async function acquireLock(root: string): Promise<() => void> {
  const digest = createHash("sha256").update(root).digest("hex").slice(0, 12);
  const path = join(tmpdir(), `slack-deploy-gate-build-${digest}.lock`);
  const deadline = Date.now() + LOCK_PATIENCE_MS;
  for (;;) {
    try {
      const fd = openSync(path, "wx");
      writeFileSync(fd, String(process.pid));
      closeSync(fd);
      return () => {
        try {
          unlinkSync(path);
        } catch {
          // Already removed.
        }
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    if (!ownerAlive(path)) {
      try {
        unlinkSync(path);
      } catch {
        // Another process took it over first.
      }
      continue;
    }
    if (Date.now() > deadline) throw new BuildError(`waited 10 minutes for the build lock ${path}`);
    await new Promise((resolve) => setTimeout(resolve, LOCK_POLL_MS));
  }
}

function ownerAlive(path: string): boolean {
  let pid: number;
  let age: number;
  try {
    pid = Number(readFileSync(path, "utf8"));
    age = Date.now() - statSync(path).mtimeMs;
  } catch {
    return true; // Removed right now: look again shortly.
  }
  // An empty file is a lock being written; one left empty for long lost its owner before it wrote.
  if (!Number.isInteger(pid) || pid <= 0) return age < 5_000;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
