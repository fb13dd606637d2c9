// What writing a click before acknowledging it costs: `store.saveInbound` (the route awaits it before
// answering Slack's 200) on a SQLite file and on PostgreSQL, with a real signed click's body, one at a
// time and 16 at once (the work queue's concurrency). Then `finishInbound`, which runs after the click
// path and is not in the acknowledgement's path. Prints p50/p99 in milliseconds.
//
//   npx tsx bench/inbound-write.ts            (N=2000 per case; BENCH_QUICK=1 for 200)
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openStore } from "../app/store/index.js";
import type { Store } from "../app/store/types.js";
import { buildRequestMessage } from "../common/message.js";
import { ACTION_IDS, newRequestId } from "../common/reference.js";
import { FAKE_APP_ID, FAKE_TEAM_ID } from "../testkit/fakes/slack.js";
import { createTestDatabase } from "../testkit/helpers/postgres.js";
import { blockActionsPayload, triggerId } from "../testkit/helpers/slack-clicks.js";
import { formEncodePayload } from "../testkit/helpers/slack-sign.js";

const N = process.env.BENCH_QUICK ? 200 : 2000;

/** A click's body as Slack sends it: the Action's real message, its buttons, its metadata. */
function clickBody(): string {
  const message = buildRequestMessage({
    reference: {
      repository: "acme/api",
      runId: 1234567890,
      runAttempt: 1,
      environment: "production",
      mode: "gate",
      requestId: newRequestId(),
    },
    serverUrl: "https://github.com",
    workflow: "Deploy",
    ref: "refs/heads/main",
    sha: "0123456789abcdef0123456789abcdef01234567",
    commitTitle: "Ship the thing",
    actor: "dave",
    eventName: "push",
    mentions: [],
  });
  const payload = blockActionsPayload({
    message: {
      channel: "C0DEPLOYS",
      ts: `${Math.floor(Date.now() / 1000)}.000100`,
      text: message.text,
      blocks: message.blocks as never[],
      metadata: message.metadata,
      team: FAKE_TEAM_ID,
      app_id: FAKE_APP_ID,
    },
    actionId: ACTION_IDS.approve,
    user: { id: "U0ALICE" },
    triggerId: triggerId(),
  });
  return formEncodePayload(payload);
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

function summary(samples: number[]): { p50: number; p99: number; max: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const round = (n: number) => Math.round(n * 1000) / 1000;
  return {
    p50: round(percentile(sorted, 50)),
    p99: round(percentile(sorted, 99)),
    max: round(sorted.at(-1) ?? 0),
  };
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await work();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

async function measure(store: Store): Promise<Record<string, ReturnType<typeof summary>>> {
  const bodies = Array.from({ length: N * 2 }, clickBody);
  const ids = bodies.map((b) => createHash("sha256").update(b).digest("hex"));
  // Warm up: the first statements prepare, the first connections open.
  for (let i = 0; i < 50; i++) {
    const body = clickBody();
    await store.saveInbound({
      id: createHash("sha256").update(body).digest("hex"),
      receivedAt: new Date(),
      body,
    });
  }

  const sequential: number[] = [];
  for (let i = 0; i < N; i++) {
    sequential.push(
      await timed(() =>
        store.saveInbound({ id: ids[i] as string, receivedAt: new Date(), body: bodies[i] as string }),
      ),
    );
  }

  const concurrent: number[] = [];
  let next = N;
  const worker = async () => {
    while (next < 2 * N) {
      const i = next++;
      concurrent.push(
        await timed(() =>
          store.saveInbound({ id: ids[i] as string, receivedAt: new Date(), body: bodies[i] as string }),
        ),
      );
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));

  const replay: number[] = [];
  for (let i = 0; i < Math.min(N, 500); i++) {
    replay.push(
      await timed(() =>
        store.saveInbound({ id: ids[i] as string, receivedAt: new Date(), body: bodies[i] as string }),
      ),
    );
  }

  const finish: number[] = [];
  for (let i = 0; i < N; i++) finish.push(await timed(() => store.finishInbound(ids[i] as string)));

  return {
    "saveInbound, one at a time": summary(sequential),
    "saveInbound, 16 at once": summary(concurrent),
    "saveInbound, replayed body": summary(replay),
    "finishInbound (after the ack)": summary(finish),
  };
}

async function main(): Promise<void> {
  const body = clickBody();
  console.log(`click body: ${body.length} bytes; ${N} writes per case\n`);
  const results: Record<string, Record<string, ReturnType<typeof summary>>> = {};

  const dir = mkdtempSync(join(tmpdir(), "sdg-inbound-bench-"));
  const sqlite = await openStore(`sqlite://${join(dir, "bench.db")}`);
  try {
    results.sqlite = await measure(sqlite);
  } finally {
    await sqlite.close();
    rmSync(dir, { recursive: true, force: true });
  }

  const database = await createTestDatabase();
  const postgres = await openStore(database.url);
  try {
    results.postgres = await measure(postgres);
  } finally {
    await postgres.close();
    await database.drop();
  }

  for (const [backend, cases] of Object.entries(results)) {
    console.log(backend);
    console.table(
      Object.fromEntries(
        Object.entries(cases).map(([name, s]) => [
          name,
          { "p50 ms": s.p50, "p99 ms": s.p99, "max ms": s.max },
        ]),
      ),
    );
  }
}

await main();
