// POST /api/github/webhooks over HTTP: deliveries from the fake GitHub (payloads checked against
// @octokit/webhooks-schemas, signed as GitHub signs them) become typed events; unsigned, oversized,
// malformed and unused deliveries are answered without reaching a handler, with bounded, throttled logs.

import { once } from "node:events";
import { request } from "node:http";
import { connect } from "node:net";
import { Writable } from "node:stream";
import { pino } from "pino";
import { beforeEach, describe, expect, it } from "vitest";
import { WEBHOOK_MAX_BODY_BYTES, WEBHOOK_PATH } from "../app/http/webhook-route.js";
import { INGRESS_INSTALLATION, INGRESS_REPO, useWebhookIngress } from "../testkit/helpers/ingress.js";

const SECRET = "webhook-secret-for-ingress-tests";
const REPO = INGRESS_REPO;
const SHA = "a".repeat(40);

let failWith: Error | undefined;
let logLines: string[];
beforeEach(() => {
  failWith = undefined;
  logLines = [];
});

const scene = useWebhookIngress({
  secret: SECRET,
  appId: 4242,
  sha: SHA,
  firstRun: 500,
  tuning: { maxConcurrentBodies: 4 },
  async handle() {
    if (failWith) throw failWith;
  },
  log() {
    return pino(
      { level: "debug" },
      new Writable({
        write(chunk, _encoding, done) {
          logLines.push(String(chunk));
          done();
        },
      }),
    );
  },
});
const { addRun, deliver } = scene;

describe("deliveries the App uses", () => {
  it("turns a deployment protection rule request into a gate_requested event", async () => {
    const run = addRun();
    const answer = await scene.github.sendDeploymentProtectionRule(REPO, run, "production");
    expect(answer).toEqual({ status: 200, body: "ok" });
    expect(scene.received).toEqual([
      {
        name: "gate_requested",
        deliveryId: expect.stringMatching(/^[0-9a-f-]{36}$/),
        repository: REPO,
        runId: run,
        environment: "production",
        installationId: INGRESS_INSTALLATION,
        sha: SHA,
      },
    ]);
  });

  it("turns a push to the default branch into default_branch_push, and drops other pushes", async () => {
    expect(
      (
        await scene.github.sendWebhook(
          "push",
          scene.github.pushPayload(REPO, [".github/slack-deploy-gate.yml"]),
        )
      ).status,
    ).toBe(200);
    const other = { ...(scene.github.pushPayload(REPO, ["README.md"]) as object), ref: "refs/heads/feature" };
    expect(await scene.github.sendWebhook("push", other)).toEqual({ status: 200, body: "ignored" });
    expect(scene.received).toEqual([
      { name: "default_branch_push", deliveryId: expect.any(String), owner: "acme", repo: "api" },
    ]);
  });

  it("turns a completed workflow run into run_completed", async () => {
    const run = addRun();
    scene.github.cancelRun(REPO, run);
    expect(
      (await scene.github.sendWebhook("workflow_run", scene.github.workflowRunCompletedPayload(REPO, run)))
        .status,
    ).toBe(200);
    expect(scene.received).toEqual([
      {
        name: "run_completed",
        deliveryId: expect.any(String),
        repository: REPO,
        runId: run,
        runAttempt: 1,
        conclusion: "cancelled",
        installationId: INGRESS_INSTALLATION,
        startedAt: expect.any(String),
        completedAt: expect.any(String),
        htmlUrl: `${scene.github.url}/${REPO}/actions/runs/${run}`,
      },
    ]);
  });

  it("answers a handler's failure 500 with a plain sentence, never its internals", async () => {
    failWith = new Error('invalid input syntax for type bigint: "x"');
    const answer = await scene.github.sendDeploymentProtectionRule(REPO, addRun(), "production");
    expect(answer).toEqual({ status: 500, body: "the App could not process this delivery" });
  });
});

describe("deliveries the App does not use", () => {
  it("answers 200 and drops them without parsing them", async () => {
    // Signed, but not even JSON: an unused event is dropped before its payload is read as JSON.
    const answer = await deliver("workflow_job", "not json at all");
    expect(answer).toMatchObject({ status: 200, body: "ignored" });
    const requestedRun = { action: "requested", workflow_run: { id: 1 } };
    expect((await deliver("workflow_run", JSON.stringify(requestedRun))).body).toBe("ignored");
    expect(scene.received).toEqual([]);
  });
});

describe("signed deliveries whose payload the App cannot use", () => {
  it("answers 400 with a plain message naming the field", async () => {
    const good = scene.github.deploymentProtectionRulePayload(REPO, addRun(), "production") as Record<
      string,
      unknown
    >;
    const cases: Array<[object, string]> = [
      [
        { ...good, installation: { id: "77" } },
        "invalid deployment_protection_rule payload: installation.id is not a positive integer",
      ],
      [
        {
          ...good,
          deployment_callback_url:
            "https://api.github.com/repos/acme/api/actions/runs/12x/deployment_protection_rule",
        },
        "invalid deployment_protection_rule payload: deployment_callback_url does not name a workflow run",
      ],
      [
        {
          ...good,
          deployment_callback_url:
            "https://api.github.com/repos/acme/api/actions/runs/99999999999999999999/deployment_protection_rule",
        },
        "invalid deployment_protection_rule payload: deployment_callback_url does not name a workflow run",
      ],
      [
        {
          ...good,
          deployment_callback_url:
            "https://api.github.com/repos/evil/repo/actions/runs/1/deployment_protection_rule",
        },
        "invalid deployment_protection_rule payload: deployment_callback_url names another repository",
      ],
      [{ ...good, environment: "" }, "invalid deployment_protection_rule payload: environment is missing"],
      [
        { ...good, repository: { full_name: "no-slash" } },
        "invalid deployment_protection_rule payload: repository.full_name is not owner/name",
      ],
      [[1, 2], "invalid deployment_protection_rule payload: payload is not an object"],
    ];
    for (const [payload, message] of cases) {
      const answer = await deliver("deployment_protection_rule", JSON.stringify(payload));
      expect(answer.status, message).toBe(400);
      expect(answer.body).toBe(message);
      expect(answer.headers.get("content-type")).toMatch(/^text\/plain/);
    }
    expect(await deliver("push", "{not json")).toMatchObject({
      status: 400,
      body: "the payload is not valid JSON",
    });
    expect(scene.received).toEqual([]);
  });
});

describe("unauthenticated deliveries", () => {
  it("refuses a missing or malformed signature with 401 before reading the body", async () => {
    const body = JSON.stringify({ zen: "Keep it logically awesome." });
    const missing = await deliver("ping", body, { headers: { "x-hub-signature-256": "" } });
    const sha1 = await deliver("ping", body, { headers: { "x-hub-signature-256": "sha1=abc" } });
    for (const answer of [missing, sha1]) {
      expect(answer).toMatchObject({ status: 401, body: "missing or malformed signature" });
      expect(answer.headers.get("connection")).toBe("close");
    }
  });

  it("refuses a wrong signature with 401, whatever the event", async () => {
    const run = addRun();
    const payload = JSON.stringify(scene.github.deploymentProtectionRulePayload(REPO, run, "production"));
    expect(await deliver("deployment_protection_rule", payload, { secret: "guessed" })).toMatchObject({
      status: 401,
      body: "signature mismatch",
    });
    expect(await deliver("workflow_job", "{}", { secret: "guessed" })).toMatchObject({ status: 401 });
    expect(scene.received).toEqual([]);
  });

  it("refuses another content type with 415, and other methods with 405", async () => {
    const answer = await deliver("push", "payload=%7B%7D", {
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(answer.status).toBe(415);
    expect((await fetch(`${scene.base}${WEBHOOK_PATH}`)).status).toBe(405);
  });

  it("refuses a declared size over the cap with 413 before reading a byte", async () => {
    const socket = connect(Number(new URL(scene.base).port), "127.0.0.1");
    await once(socket, "connect");
    socket.write(
      [
        `POST ${WEBHOOK_PATH} HTTP/1.1`,
        "Host: x",
        "Content-Type: application/json",
        "X-GitHub-Event: push",
        "X-GitHub-Delivery: 1",
        `X-Hub-Signature-256: sha256=${"0".repeat(64)}`,
        `Content-Length: ${500 * 1024 * 1024}`,
        "",
        "",
      ].join("\r\n"),
    );
    const [reply] = (await once(socket, "data")) as [Buffer];
    expect(reply.toString()).toMatch(/^HTTP\/1\.1 413 /);
    expect(reply.toString()).toMatch(/connection: close/i);
    socket.destroy();
  });

  it("stops reading a chunked body at the cap: a 500 MiB upload gets 413 and cannot push much past it", async () => {
    const offered = 500 * 1024 * 1024;
    const chunk = Buffer.alloc(256 * 1024, 0x61);
    const outcome = await new Promise<{ status: number | undefined; written: number }>((resolve) => {
      let written = 0;
      let status: number | undefined;
      const req = request(`${scene.base}${WEBHOOK_PATH}`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "transfer-encoding": "chunked",
          "x-github-event": "push",
          "x-github-delivery": "1",
          "x-hub-signature-256": `sha256=${"0".repeat(64)}`,
        },
      });
      req.on("response", (res) => {
        status = res.statusCode;
        res.resume();
      });
      const finish = () => resolve({ status, written });
      req.on("error", finish);
      req.on("close", finish);
      const pump = () => {
        while (written < offered) {
          written += chunk.length;
          if (!req.write(chunk)) {
            req.once("drain", pump);
            return;
          }
        }
        req.end();
      };
      pump();
    });
    expect(outcome.status).toBe(413);
    // What the server read is at most the cap; the rest is what socket buffers took before it closed.
    expect(outcome.written).toBeLessThan(WEBHOOK_MAX_BODY_BYTES + 16 * 1024 * 1024);
    expect(scene.ingress.bodies.inUse()).toBe(0);
  });
});

describe("the webhook log", () => {
  it("writes a bounded summary of refused deliveries, throttled, never the body", async () => {
    const forged = JSON.stringify({ pad: "<script>".repeat(12_800) });
    for (let i = 0; i < 20; i++) {
      expect((await deliver("push", forged, { secret: "guessed" })).status).toBe(401);
    }
    const refusals = logLines.filter((line) => line.includes("refused GitHub webhook deliveries"));
    // One line for the burst (the rest are counted in the next line when the interval ends).
    expect(refusals).toHaveLength(1);
    for (const line of logLines) {
      expect(line.length).toBeLessThan(1024);
      expect(line).not.toContain("<script>");
    }
    expect(JSON.parse(refusals[0] as string)).toMatchObject({
      event: "push",
      delivery: "72d3162e-cc78-11e3-81ab-4c9367dc0958",
      status: 401,
      reason: "signature mismatch",
      bytes: forged.length,
      count: 1,
    });
  });

  it("does not echo malformed header values", async () => {
    const answer = await deliver("push<evil>", "{}", { headers: { "x-github-delivery": "x".repeat(5000) } });
    expect(answer.status).toBe(400);
    const line = logLines.find((l) => l.includes("refused GitHub webhook deliveries")) ?? "";
    expect(JSON.parse(line)).toMatchObject({ event: "(invalid)", delivery: "(invalid)" });
  });
});
