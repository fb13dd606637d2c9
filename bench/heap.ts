// `npx tsx bench/heap.ts [rate] [seconds]`: what holds the App's memory under the heaviest flood of
// figure 5 (2,000 signed clicks a second by default, for 10 s, on SQLite, or on PostgreSQL with
// HEAP_BACKEND=postgres). HEAP_APP_ENV (`K=V,K=V`)
// and HEAP_NODE_ARGS (space-separated) are passed to the App, to try a remedy. The App runs with
// `--heapsnapshot-signal=SIGUSR2 --trace-gc`; a heap snapshot is taken when it is warm and idle, and
// another halfway through the flood, after RSS has been read (writing a snapshot costs memory itself).
// Prints RSS and its parts (/proc/<pid>/status), V8's heap around the flood (from --trace-gc), the
// live bytes by kind of object in both snapshots, and where memory accumulates under the flood.
import { mkdtempSync, readdirSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureBuilt } from "../testkit/build.js";
import { loadStep } from "./app-figures.js";
import { startAppProcess } from "./lib/app.js";
import { type Backend, createDatabase } from "./lib/database.js";
import { summarizeHeapSnapshot } from "./lib/heap-snapshot.js";
import { startLoadWorker } from "./lib/load.js";
import { sampleRss, sleep, stopAllChildren } from "./lib/process.js";
import { startScene } from "./lib/scene.js";

const rate = Number(process.argv[2] ?? 2000);
const backend: Backend = process.env.HEAP_BACKEND === "postgres" ? "postgres" : "sqlite";
const seconds = Number(process.argv[3] ?? 10);
const log = (line: string) => process.stderr.write(`[heap] ${line}\n`);
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

/** VmRSS and its parts (anonymous: heaps, buffers; file-backed: code), and open descriptors (sockets). */
function memoryParts(pid: number): string {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return ["VmRSS", "RssAnon", "RssFile", "RssShmem"]
    .map(
      (field) =>
        `${field} ${(Number(new RegExp(`^${field}:\\s+(\\d+)`, "m").exec(status)?.[1]) / 1024).toFixed(1)}`,
    )
    .join(", ")
    .concat(`; open descriptors ${readdirSync(`/proc/${pid}/fd`).length}`);
}

/**
 * Where the resident memory lies, from /proc/<pid>/smaps: the brk heap (glibc's main malloc arena),
 * anonymous mappings by size (V8 reserves its heap in 256 KiB pages; glibc's thread arenas are 64 MiB
 * regions), thread stacks and files (code, the SQLite database).
 */
function residentByMapping(pid: number): string {
  const groups = new Map<string, number>();
  let current = "";
  for (const line of readFileSync(`/proc/${pid}/smaps`, "utf8").split("\n")) {
    const header = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \d+\s*(.*)$/.exec(line);
    if (header) {
      const size =
        (Number.parseInt(header[2] as string, 16) - Number.parseInt(header[1] as string, 16)) / 1024;
      const name = (header[3] ?? "").trim();
      current = name.startsWith("/")
        ? name.endsWith(".db") || name.endsWith(".db-wal") || name.endsWith(".db-shm")
          ? "file: SQLite"
          : "file: code and data"
        : name
          ? name
          : size >= 60 * 1024
            ? "anon ≥ 60 MiB regions (malloc thread arenas, V8 reservations)"
            : size >= 1024
              ? "anon 1–60 MiB"
              : "anon < 1 MiB";
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss) groups.set(current, (groups.get(current) ?? 0) + Number(rss[1]));
  }
  return [...groups.entries()]
    .sort((a, b) => b[1] - a[1])
    .filter(([, kb]) => kb >= 1024)
    .map(([name, kb]) => `${(kb / 1024).toFixed(1)} MiB ${name}`)
    .join("; ");
}

async function snapshot(dir: string, signal: () => void): Promise<string> {
  const before = new Set(readdirSync(dir).filter((f) => f.endsWith(".heapsnapshot")));
  signal();
  // The file appears at once and grows until written; done when its size stops changing.
  for (let last = -1; ; ) {
    await sleep(500);
    const file = readdirSync(dir).find((f) => f.endsWith(".heapsnapshot") && !before.has(f));
    if (!file) continue;
    const size = statSync(join(dir, file)).size;
    if (size > 0 && size === last) return join(dir, file);
    last = size;
  }
}

/** V8's heap after each full GC, from --trace-gc: `Mark-Compact 81.2 (95.0) -> 60.1 (97.3) MB`. */
function markCompacts(logPath: string): string[] {
  return readFileSync(logPath, "utf8")
    .split("\n")
    .filter((line) => line.includes("Mark-Compact"))
    .map((line) => /Mark-Compact[^,]*?MB/.exec(line)?.[0] ?? line.slice(0, 120));
}

async function main(): Promise<void> {
  await ensureBuilt(["app"], { log });
  const dir = mkdtempSync(join(tmpdir(), "sdg-heap-"));
  const scene = await startScene();
  const worker = await startLoadWorker();
  try {
    const db = await createDatabase(backend, dir, "heap");
    const app = await startAppProcess(scene, {
      name: "app-heap",
      databaseUrl: db.url,
      logDir: dir,
      nodeArgs: [
        "--heapsnapshot-signal=SIGUSR2",
        `--diagnostic-dir=${dir}`,
        "--trace-gc",
        ...(process.env.HEAP_NODE_ARGS?.split(" ").filter(Boolean) ?? []),
      ],
      env: Object.fromEntries(
        (process.env.HEAP_APP_ENV?.split(",").filter(Boolean) ?? []).map(
          (kv) => kv.split("=", 2) as [string, string],
        ),
      ),
    });
    const pid = app.child.pid;
    const target = { url: app.url, pid };
    log("warming up: 50 clicks/s for 3 s");
    await loadStep(scene, target, worker, 50, 3, { isApp: true });
    await sleep(2000);
    const idleParts = memoryParts(pid);
    const idleMappings = residentByMapping(pid);
    log(`idle: ${idleParts}; heap snapshot`);
    const idleFile = await snapshot(dir, () => app.child.process.kill("SIGUSR2"));
    const gcBefore = markCompacts(app.child.logPath).length;

    log(`flood: ${rate} clicks/s for ${seconds} s; snapshot halfway`);
    let floodParts = "";
    let floodMappings = "";
    let floodFile: Promise<string> | undefined;
    let rss: ReturnType<typeof sampleRss> | undefined;
    let beforeSnapshot: number[] = [];
    let midway: Promise<void> | undefined;
    const step = await loadStep(scene, target, worker, rate, seconds, {
      isApp: true,
      onStart() {
        rss = sampleRss(pid, 100);
        midway = sleep((seconds * 1000) / 2).then(() => {
          floodParts = memoryParts(pid);
          floodMappings = residentByMapping(pid);
          beforeSnapshot = rss?.stop() ?? [];
          floodFile = snapshot(dir, () => app.child.process.kill("SIGUSR2"));
        });
      },
    });
    await midway;
    const floodPath = await (floodFile as Promise<string>);
    const gcDuring = markCompacts(app.child.logPath).slice(gcBefore);
    await sleep(2000);
    const afterParts = memoryParts(pid);
    const afterMappings = residentByMapping(pid);
    await app.child.stop();
    await db.drop();

    const idle = summarizeHeapSnapshot(idleFile);
    const flood = summarizeHeapSnapshot(floodPath);
    const out: string[] = [];
    out.push(
      `\nThe App under ${rate} signed clicks/s for ${seconds} s (${backend}): what holds its memory\n`,
    );
    out.push(
      `load: ${step.ok} answered 2xx of ${step.sent}, p99 ${step.p99} ms, errors ${JSON.stringify(step.errorKinds)}`,
    );
    out.push(`RSS (MiB) idle:    ${idleParts}`);
    out.push(
      `RSS (MiB) halfway: ${floodParts} (sampled every 100 ms until then, max ${Math.max(...beforeSnapshot).toFixed(1)})`,
    );
    out.push(`RSS (MiB) after:   ${afterParts}`);
    out.push(`resident by mapping, idle:    ${idleMappings}`);
    out.push(`resident by mapping, halfway: ${floodMappings}`);
    out.push(`resident by mapping, after:   ${afterMappings}`);
    out.push(
      `V8 heap at each full GC during the flood (used (committed) before -> after): ${gcDuring.join("; ") || "none"}`,
    );
    out.push(
      `live heap (snapshot): idle ${mib(idle.totalBytes)} in ${idle.nodes} objects; halfway ${mib(flood.totalBytes)} in ${flood.nodes} objects`,
    );
    out.push("\nlive bytes by kind, halfway (idle beside it):");
    const idleKinds = new Map(idle.byKind.map((k) => [k.kind, k]));
    for (const k of flood.byKind) {
      const before = idleKinds.get(k.kind);
      out.push(
        `  ${mib(k.selfBytes).padStart(10)} ${String(k.count).padStart(8)}  ${k.kind.padEnd(40)} idle ${before ? mib(before.selfBytes) : "–"}`,
      );
    }
    out.push("\nwhere memory accumulates, halfway (retained size, self size, path from a GC root):");
    for (const h of flood.holders)
      out.push(
        `  ${mib(h.retainedBytes).padStart(10)} ${mib(h.selfBytes).padStart(10)}  ${h.what}: ${h.path}`,
      );
    out.push("\nwhere memory accumulates, idle:");
    for (const h of idle.holders.slice(0, 8))
      out.push(
        `  ${mib(h.retainedBytes).padStart(10)} ${mib(h.selfBytes).padStart(10)}  ${h.what}: ${h.path}`,
      );
    out.push(`\nsnapshots: ${idleFile}, ${floodPath} (open in Chrome DevTools → Memory)`);
    process.stdout.write(`${out.join("\n")}\n`);
  } finally {
    await worker.stop();
    await stopAllChildren();
    await scene.close();
  }
}

main().catch(async (error: unknown) => {
  process.stderr.write(
    `heap failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  await stopAllChildren();
  process.exit(1);
});
