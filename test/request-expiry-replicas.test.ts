// Expiry with several replicas: two App processes (build/app/main.js, as `npm start` runs it) on one
// PostgreSQL database, each sweeping every second. Requests whose time has come (their expiry set in
// the past in the database, as if the App had been down through it) are expired exactly once: one
// review each in GitHub, one check run each, one "GitHub accepted" reply each, whichever replica acts.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AttackScene, statusText, USERS } from "../testkit/helpers/attack-scene.js";
import { openScene } from "./attacks/scene.js";

let scene: AttackScene;

beforeAll(async () => {
  scene = await openScene();
  await scene.startApp({ name: "app2" });
}, 120_000);
afterAll(async () => {
  await scene?.close();
}, 60_000);

async function sql(text: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
  const client = new pg.Client({ connectionString: scene.database.url });
  await client.connect();
  try {
    return (await client.query(text, params)).rows;
  } finally {
    await client.end();
  }
}

describe("two App processes on one PostgreSQL", { timeout: 120_000 }, () => {
  it("expire each overdue request exactly once", async () => {
    const requests: Array<{ run: number; ts: string; requestId: string }> = [];
    for (let i = 0; i < 5; i++) {
      const { run, message } = await scene.newRequest({ environment: "staging" });
      // One vote of the two staging needs: the request is known (first contact) and stays undecided.
      await scene.click(message, "approve", i % 2 ? USERS.alice : USERS.bob, {
        app: scene.apps[i % 2],
      });
      requests.push({ run, ts: message.ts, requestId: String(message.metadata?.event_payload.request_id) });
    }
    const ids = requests.map((r) => r.requestId);
    await scene.until("every request to be known with its expiry", async () => {
      const rows = await sql(
        "SELECT request_id FROM requests WHERE request_id = ANY($1) AND expires_at IS NOT NULL",
        [ids],
      );
      return rows.length === ids.length;
    });
    // Their time came while nobody was looking.
    await sql("UPDATE requests SET expires_at = $1 WHERE request_id = ANY($2)", [Date.now() - 60_000, ids]);

    for (const r of requests) {
      await scene.until(`run ${r.run} to be expired in GitHub`, () => scene.reviews(r.run).length > 0);
    }
    // Both replicas sweep every second: give them several rounds to act twice, if they would.
    await scene.quiet(3_000);
    for (const r of requests) {
      const reviews = scene.reviews(r.run);
      expect(reviews).toHaveLength(1);
      expect(reviews[0]).toMatchObject({ state: "rejected", environment: "staging" });
      expect(reviews[0]?.comment).toMatch(/^Expired in Slack: nobody decided in time/);
      expect(scene.github.checkRuns("acme/shop").filter((c) => c.externalId === r.requestId)).toMatchObject([
        { conclusion: "timed_out" },
      ]);
      expect(
        scene.thread(r.ts).filter((t) => t.startsWith(":memo: GitHub accepted the decision")),
      ).toHaveLength(1);
      expect(statusText(scene.message(r.ts))).toContain("*Expired*");
    }
    const decided = await sql(
      "SELECT decision, count(*)::int AS n FROM requests WHERE request_id = ANY($1) GROUP BY decision",
      [ids],
    );
    expect(decided).toEqual([{ decision: "expired", n: 5 }]);
  });
});
