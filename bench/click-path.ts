// `npx tsx bench/click-path.ts [samples]`: figure 3 alone (click → review at GitHub, against its
// floor), with where the time goes. Each sample is one deciding click on a request whose gate GitHub
// already reported, alternated with the floor (floor-review.mjs) as in the full run; beside the
// percentiles it prints the median moment, after the click was sent, at which the fakes answered each
// call the App made for it (GitHub by operation, Slack by method), in the order they came.
// CLICK_BACKEND=postgres runs it on PostgreSQL; CLICK_FIRST_CONTACT=click has the click meet the
// request first (no announcement, see clickToGitHub); CLICK_TIMELINES=1 prints every sample's calls;
// CLICK_NODE_ARGS passes flags to the App (BENCH_PROFILE=<dir> profiles it, as in the full run).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureBuilt } from "../testkit/build.js";
import { clickToGitHub } from "./app-figures.js";
import { installationToken, startAppProcess, startReviewFloor } from "./lib/app.js";
import { type Backend, createDatabase } from "./lib/database.js";
import { stopAllChildren } from "./lib/process.js";
import { startScene } from "./lib/scene.js";
import { percentile, ratio, round } from "./lib/stats.js";

const samples = Number(process.argv[2] ?? 25);
const backend: Backend = process.env.CLICK_BACKEND === "postgres" ? "postgres" : "sqlite";
const firstContact = process.env.CLICK_FIRST_CONTACT === "click" ? "click" : "gate";
const log = (line: string) => process.stderr.write(`[click-path] ${line}\n`);

async function main(): Promise<void> {
  await ensureBuilt(["app"], { log });
  const dir = mkdtempSync(join(tmpdir(), "sdg-click-"));
  const scene = await startScene();
  // Every call the fakes answer, stamped with the moment it was answered.
  const calls: { at: number; what: string }[] = [];
  const githubPush = scene.github.requests.push.bind(scene.github.requests);
  scene.github.requests.push = (...items) => {
    for (const r of items) calls.push({ at: performance.now(), what: `github ${r.operationId ?? r.path}` });
    return githubPush(...items);
  };
  const slackPush = scene.slack.calls.push.bind(scene.slack.calls);
  scene.slack.calls.push = (...items) => {
    for (const c of items) calls.push({ at: performance.now(), what: `slack ${c.method}` });
    return slackPush(...items);
  };
  try {
    const db = await createDatabase(backend, dir, "click");
    const app = await startAppProcess(scene, {
      name: "app-click",
      databaseUrl: db.url,
      logDir: dir,
      nodeArgs: process.env.CLICK_NODE_ARGS?.split(" ").filter(Boolean),
    });
    const floor = await startReviewFloor(scene, dir, await installationToken(scene));
    // Per sample: the calls made between this click and the next one, relative to the click.
    const timelines: { what: string; ms: number }[][] = [];
    const starts: { at: number; target: "app" | "floor" }[] = [];
    const observe = {
      onClick(at: number, target: "app" | "floor") {
        starts.push({ at, target });
      },
    };
    const result = await clickToGitHub(scene, [app], samples, { floor, observe, firstContact });
    for (const [i, { at: started, target }] of starts.entries()) {
      if (target !== "app") continue;
      const next = starts[i + 1]?.at ?? Number.POSITIVE_INFINITY;
      timelines.push(
        calls
          .filter((c) => c.at >= started && c.at < next)
          .map((c) => ({ what: c.what, ms: c.at - started })),
      );
    }
    await floor.child.stop();
    await app.child.stop();
    await db.drop();

    const [onApp] = result.apps;
    const out = [
      `\nclick → review at GitHub (${backend}, first contact at the ${firstContact}), ${samples} samples each`,
    ];
    out.push(
      `App:   p50 ${onApp?.toReviewMs.p50} ms, p99 ${onApp?.toReviewMs.p99} ms, ack p50 ${onApp?.ackMs.p50} ms`,
    );
    out.push(`floor: p50 ${result.floor?.toReviewMs.p50} ms, p99 ${result.floor?.toReviewMs.p99} ms`);
    out.push(
      `ratio (p50): ${ratio(onApp?.toReviewMs.p50 ?? Number.NaN, result.floor?.toReviewMs.p50 ?? Number.NaN)}`,
    );
    out.push("\nthe App's calls after the click (median ms after it was sent, in how many samples):");
    const byCall = new Map<string, number[]>();
    // The warm-up samples are left out; the nth call of a kind in a sample is its own row.
    for (const timeline of timelines.slice(3)) {
      const seen = new Map<string, number>();
      for (const { what, ms } of timeline) {
        const n = (seen.get(what) ?? 0) + 1;
        seen.set(what, n);
        const key = n > 1 ? `${what} #${n}` : what;
        byCall.set(key, [...(byCall.get(key) ?? []), ms]);
      }
    }
    const rows = [...byCall.entries()]
      .map(([what, ms]) => ({
        what,
        n: ms.length,
        p50: percentile(
          [...ms].sort((a, b) => a - b),
          50,
        ),
      }))
      .sort((a, b) => a.p50 - b.p50);
    for (const row of rows) out.push(`  ${String(round(row.p50, 1)).padStart(7)}  ${row.what} (${row.n})`);
    if (process.env.CLICK_TIMELINES)
      for (const timeline of timelines.slice(3))
        out.push(timeline.map((c) => `${round(c.ms, 1)} ${c.what}`).join(" | "));
    process.stdout.write(`${out.join("\n")}\n`);
  } finally {
    await stopAllChildren();
    await scene.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch(async (error: unknown) => {
  process.stderr.write(
    `click-path failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  await stopAllChildren();
  process.exit(1);
});
