// The database gone from under a running App (here: its tables dropped). What must hold: readiness
// says so, so a load balancer stops sending clicks (liveness stays up: restarting does not bring
// tables back), and a click that arrives anyway is not acknowledged into silence.
import pg from "pg";
import { describe, expect, it } from "vitest";
import { USERS } from "../../testkit/helpers/attack-scene.js";
import { expectClickNotCounted, useScene } from "./scene.js";

const scene = useScene();

async function dropTables(): Promise<void> {
  const client = new pg.Client({ connectionString: scene.database.url });
  await client.connect();
  try {
    await client.query("DROP SCHEMA public CASCADE; CREATE SCHEMA public;");
  } finally {
    await client.end();
  }
}

/** A fresh App on the emptied database migrates it again: the tables are back. */
async function restoreTables(): Promise<void> {
  const app = await scene.startApp({ name: "migrator" });
  await app.kill();
}

async function status(path: string): Promise<number> {
  const response = await fetch(`${scene.app.url}${path}`, { signal: AbortSignal.timeout(10_000) });
  await response.arrayBuffer();
  return response.status;
}

describe("the database gone", { timeout: 90_000 }, () => {
  it("reports not ready when the tables are gone, while liveness stays up", async () => {
    // Ready once started (it may first wait on start-up steps, such as asking Slack who it is).
    await scene.until("the App to be ready", async () => (await status("/readyz")) === 200);
    await dropTables();
    expect(await status("/readyz")).toBe(503);
    expect(await status("/healthz")).toBe(200);
  });

  it("tells a clicker nothing was recorded, rather than acknowledge the click into silence", async () => {
    // The request and its gate are recorded while the database is whole.
    await restoreTables();
    const { run, message } = await scene.newRequest();
    await dropTables();

    await expectClickNotCounted(scene, { run, message }, USERS.alice);
  }, 60_000);
});
