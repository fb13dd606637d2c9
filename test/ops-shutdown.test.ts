// SIGTERM with work in flight, the App as a real process: it takes no new Slack requests, finishes
// what it acknowledged, exits by itself within SHUTDOWN_TIMEOUT_MS, and nothing acknowledged is lost:
// what it could not finish, the next process on the same database completes, exactly once.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { stopAll, waitFor } from "../testkit/helpers/processes.js";
import { requireBuild } from "../testkit/require-build.js";
import { freePort, REPO, type RunningApp, type Scene, startScene } from "./ops-scene.js";

let scene: Scene;

beforeAll(async () => {
  requireBuild("app", "action");
  scene = await startScene();
}, 120_000);

afterEach(async () => {
  scene.fakes.github.setLatency(0);
  await stopAll();
}, 30_000);

afterAll(async () => {
  await scene?.close();
}, 30_000);

/** `shutdownTimeoutMs`: SHUTDOWN_TIMEOUT_MS, ample unless a test is about the bound. */
async function start(shutdownTimeoutMs = 20_000): Promise<RunningApp> {
  const port = await freePort();
  return scene.startApp({
    port,
    env: {
      ...scene.settings(port),
      DATABASE_URL: `sqlite://${scene.dir}/shutdown.db`,
      SHUTDOWN_TIMEOUT_MS: String(shutdownTimeoutMs),
    },
  });
}

/** SIGTERM, then the exit code. The process must end by itself: nothing here ever sends SIGKILL. */
async function terminate(app: RunningApp): Promise<number | string> {
  app.child.process.kill("SIGTERM");
  return app.child.exited;
}

function reviewsOf(runId: number) {
  return scene.fakes.github.reviews.filter((r) => r.repository === REPO && r.runId === runId);
}

/** What a late click meets: a 503 from a draining App, or no listener at all. */
async function lateClick(app: RunningApp, message: Parameters<Scene["click"]>[1]): Promise<number | string> {
  try {
    return (await scene.click(app.url, message)).status;
  } catch (error) {
    return ((error as Error).cause as { code?: string })?.code ?? "network error";
  }
}

describe("graceful shutdown", () => {
  it("finishes acknowledged clicks before it exits, and refuses new ones", async () => {
    const app = await start();
    const requests = [];
    for (let i = 0; i < 4; i++) requests.push(await scene.request());
    const late = await scene.request();
    // GitHub answers slowly, so the clicks' work is still running when SIGTERM arrives.
    scene.fakes.github.setLatency(300);
    const answers = await Promise.all(requests.map(({ message }) => scene.click(app.url, message)));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200]);
    expect(requests.some(({ runId }) => reviewsOf(runId).length > 0)).toBe(false);

    app.child.process.kill("SIGTERM");
    await waitFor("the App to start draining", () => app.child.output().includes("shutting down"));
    expect(["ECONNREFUSED", "ECONNRESET", 503]).toContain(await lateClick(app, late.message));
    const code = await app.child.exited;

    expect(code, app.child.output()).toBe(0);
    expect(app.child.output()).toContain('"drained":true');
    for (const { runId } of requests) {
      expect(reviewsOf(runId).map((r) => r.state)).toEqual(["approved"]);
    }
    expect(reviewsOf(late.runId)).toEqual([]);
  });

  it("exits within the bound when GitHub hangs, and the next process completes the click", async () => {
    let app = await start(2000);
    const { runId, message } = await scene.request();
    scene.fakes.github.setLatency(120_000);
    expect((await scene.click(app.url, message)).status).toBe(200);

    const code = await terminate(app);
    expect(code, app.child.output()).toBe(1);
    expect(app.child.output()).toContain("shutdown bound reached");

    scene.fakes.github.setLatency(0);
    app = await start();
    await waitFor("the next process to complete the acknowledged click", () => reviewsOf(runId).length > 0, {
      timeoutMs: 90_000,
      child: app.child,
    });
    expect(reviewsOf(runId).map((r) => r.state)).toEqual(["approved"]);
  }, 150_000);
});
