// What an operator sees of a running App: /healthz (alive), /readyz (database and GitHub credentials
// usable), /metrics (Prometheus text) counting real traffic. The App runs as `npm start` runs it, with
// its settings in a `.env` file in its working directory and nothing in its environment.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newPrivateKey } from "../testkit/helpers/keys.js";
import { createTestDatabase } from "../testkit/helpers/postgres.js";
import { stopAll, waitFor } from "../testkit/helpers/processes.js";
import { requireBuild } from "../testkit/require-build.js";
import {
  freePort,
  REPO,
  type RunningApp,
  type Scene,
  sample,
  scrape,
  startScene,
  writeEnvFile,
} from "./ops-scene.js";

const METRICS_TOKEN = "metrics-token-for-the-ops-tests";
let scene: Scene;
let app: RunningApp;

beforeAll(async () => {
  requireBuild("app", "action");
  scene = await startScene();
  const port = await freePort();
  writeEnvFile(scene.dir, { ...scene.settings(port), METRICS_TOKEN });
  app = await scene.startApp({ port });
}, 120_000);

afterAll(async () => {
  await stopAll();
  await scene?.close();
}, 30_000);

async function readyz(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${url}/readyz`);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe("health, readiness and metrics", () => {
  it("starts from .env alone, and says it is alive and ready once GitHub accepts its JWT", async () => {
    expect(app.child.output()).toContain('"msg":"read .env"');
    const health = await fetch(`${app.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ ok: true });
    const ready = await waitFor("GitHub to verify the App's credentials", async () => {
      const answer = await readyz(app.url);
      return answer.body.githubCredentials === "verified" ? answer : undefined;
    });
    expect(ready).toEqual({
      status: 200,
      body: {
        ready: true,
        database: "ok",
        githubKey: "ok",
        githubCredentials: "verified",
        shuttingDown: false,
        waitingFor: [],
        problems: [],
      },
    });
    expect((await fetch(`${app.url}/readyz`, { method: "POST" })).status).toBe(405);
  });

  it("serves /metrics only with the token, in Prometheus text, counting clicks, webhooks and GitHub calls", async () => {
    expect((await fetch(`${app.url}/metrics`)).status).toBe(401);
    expect(
      (await fetch(`${app.url}/metrics`, { headers: { authorization: "Bearer not-the-token-at-all" } }))
        .status,
    ).toBe(401);
    const before = await scrape(app.url, METRICS_TOKEN);

    const { runId, message } = await scene.request();
    expect((await scene.click(app.url, message)).status).toBe(200);
    await waitFor("the review at GitHub", () => scene.fakes.github.reviews.some((r) => r.runId === runId), {
      child: app.child,
    });
    // A forged click is counted by the status it got.
    const forged = await fetch(`${app.url}/slack/interactions`, {
      method: "POST",
      headers: {
        "x-slack-signature": "v0=00",
        "x-slack-request-timestamp": String(Math.floor(Date.now() / 1000)),
      },
      body: "payload=%7B%7D",
    });
    expect(forged.status).toBe(401);

    // The click is counted when its handling ends, which may be just after GitHub saw the review.
    const after = await waitFor("the click counted", async () => {
      const now = await scrape(app.url, METRICS_TOKEN);
      const clicks = (m: Map<string, number>) => sample(m, "slack_deploy_gate_clicks_total");
      return clicks(now) > clicks(before) ? now : undefined;
    });
    const delta = (name: string, labels: Record<string, string> = {}) =>
      sample(after, name, labels) - sample(before, name, labels);
    expect(delta("slack_deploy_gate_slack_requests_total", { status: "200" })).toBe(1);
    expect(delta("slack_deploy_gate_slack_requests_total", { status: "401" })).toBe(1);
    expect(delta("slack_deploy_gate_slack_ack_duration_seconds_count")).toBe(2);
    expect(
      delta("slack_deploy_gate_webhooks_total", { event: "deployment_protection_rule", status: "200" }),
    ).toBe(1);
    expect(
      delta("slack_deploy_gate_github_requests_total", {
        method: "POST",
        route: "/repos/{owner}/{repo}/actions/runs/{run_id}/deployment_protection_rule",
        status: "204",
      }),
    ).toBe(1);
    expect(
      delta("slack_deploy_gate_github_request_duration_seconds_count", {
        route: "/repos/{owner}/{repo}/actions/runs/{run_id}/deployment_protection_rule",
      }),
    ).toBe(1);
    // The click's outcome, the decision and its delivery, each counted once where it is known.
    expect(delta("slack_deploy_gate_clicks_total", { kind: "approve", outcome: "decided" })).toBe(1);
    expect(delta("slack_deploy_gate_decisions_total", { decision: "approved", mode: "gate" })).toBe(1);
    expect(delta("slack_deploy_gate_github_deliveries_total", { effect: "review", result: "done" })).toBe(1);
    expect(
      delta("slack_deploy_gate_slack_effects_total", { effect: "update", result: "done" }),
    ).toBeGreaterThan(0);
    expect(sample(after, "slack_deploy_gate_shutting_down")).toBe(0);
    expect(sample(after, "slack_deploy_gate_work_queue_depth")).toBe(0);
    expect(sample(after, "process_resident_memory_bytes")).toBeGreaterThan(0);
    expect(scene.fakes.github.reviews.filter((r) => r.repository === REPO && r.runId === runId)).toHaveLength(
      1,
    );
  });
});

describe("readiness kept apart from liveness", () => {
  it("is alive but not ready when GitHub rejects the App's key", async () => {
    const port = await freePort();
    // A key GitHub does not know for this App ID: it signs JWTs fine, and GitHub answers 401.
    const other = await scene.startApp({
      port,
      env: { ...scene.settings(port), PRIVATE_KEY: newPrivateKey() },
    });
    try {
      const answer = await waitFor("GitHub to reject the App's JWT", async () => {
        const r = await readyz(other.url);
        return r.body.githubCredentials === "rejected" ? r : undefined;
      });
      expect(answer.status).toBe(503);
      expect(answer.body).toMatchObject({
        ready: false,
        database: "ok",
        githubKey: "ok",
        problems: ["GitHub rejects the App's JWT: APP_ID and the private key do not belong together"],
      });
      expect((await fetch(`${other.url}/healthz`)).status).toBe(200);
      expect(other.child.output()).toContain("GitHub rejects the App's JWT");
    } finally {
      await other.child.stop();
    }
  });

  it("is alive but not ready while its PostgreSQL database is gone, without naming the database host", async () => {
    const database = await createTestDatabase();
    const port = await freePort();
    const pg = await scene.startApp({ port, env: { ...scene.settings(port), DATABASE_URL: database.url } });
    try {
      await waitFor("ready", async () => (await readyz(pg.url)).status === 200);
      await database.drop();
      const answer = await waitFor("not ready", async () => {
        const r = await readyz(pg.url);
        return r.status === 503 ? r : undefined;
      });
      expect(answer.body).toMatchObject({
        ready: false,
        database: "failing",
        problems: ["the database (postgres) does not answer"],
      });
      expect(JSON.stringify(answer.body)).not.toContain("127.0.0.1");
      expect((await fetch(`${pg.url}/healthz`)).status).toBe(200);
      expect(pg.child.output()).toContain('"msg":"not ready"');
    } finally {
      await pg.child.stop();
    }
  });
});
