// The GitHub events a request follows over its life, as signed deliveries from the fake GitHub (payloads
// checked against @octokit/webhooks-schemas): deployment_review approved and rejected, workflow_job for
// a job that deploys (waiting, started), workflow_run completed with its times. The noisy ones the App
// has no use for (queued and completed jobs, jobs that deploy nowhere, runs requested or in progress)
// are dropped before their JSON is parsed; a malformed one the App would use is refused with a reason.
import { generateKeyPairSync } from "node:crypto";
import type { Server } from "node:http";
import { pino } from "pino";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { GitHubEvent, GitHubEventHandler } from "../app/github/events.js";
import { createIngress, type Ingress } from "../app/http/ingress.js";
import { createAppServer, listen } from "../app/http/server.js";
import { skipUnparsed } from "../app/http/webhook-events.js";
import { WEBHOOK_PATH } from "../app/http/webhook-route.js";
import { type FakeGitHub, startFakeGitHub } from "../testkit/fakes/github.js";
import { signWebhook } from "../testkit/fakes/github-webhooks.js";
import { DEFAULT_BOT_TOKEN, type FakeSlack, startFakeSlack } from "../testkit/fakes/slack.js";

const SECRET = "webhook-secret-for-request-life";
const REPO = "acme/api";
const INSTALLATION = 77;
const SHA = "b".repeat(40);
const { privateKey } = generateKeyPairSync("rsa", {
  modulusLength: 2048,
  privateKeyEncoding: { type: "pkcs1", format: "pem" },
  publicKeyEncoding: { type: "spki", format: "pem" },
});

let github: FakeGitHub;
let slack: FakeSlack;
let ingress: Ingress;
let server: Server;
let base: string;
let received: GitHubEvent[];

beforeAll(async () => {
  github = await startFakeGitHub({ appId: 4243, privateKey, webhookSecret: SECRET });
  github.addRepository({ fullName: REPO, defaultBranch: "main" });
  github.addInstallation({ id: INSTALLATION, account: "acme", repositories: [REPO] });
  github.addCommit(REPO, { sha: SHA, message: "Ship it" });
  slack = await startFakeSlack();
});
afterAll(async () => {
  await github.close();
  await slack.close();
});

beforeEach(async () => {
  received = [];
  const log = pino({ level: "silent" });
  const events: GitHubEventHandler = {
    async handle(event) {
      received.push(event);
    },
  };
  ingress = createIngress({
    store: {} as never,
    interactions: { handle: async () => {} },
    events,
    slack: { signingSecret: "unused", botToken: DEFAULT_BOT_TOKEN, apiUrl: slack.url },
    webhookSecret: SECRET,
    log,
  });
  server = createAppServer({ handlers: ingress.handlers, log });
  base = `http://127.0.0.1:${await listen(server, 0, "127.0.0.1")}`;
  github.webhookUrl = `${base}${WEBHOOK_PATH}`;
});
afterEach(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await ingress.stop();
});

let nextRun = 700;
function addRun(): number {
  nextRun += 1;
  github.addRun({
    repository: REPO,
    runId: nextRun,
    headSha: SHA,
    actor: "dave",
    waitingEnvironments: ["production"],
  });
  return nextRun;
}

async function deliver(event: string, body: string): Promise<{ status: number; text: string }> {
  const response = await fetch(`${base}${WEBHOOK_PATH}`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-github-event": event,
      "x-github-delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958",
      "x-hub-signature-256": signWebhook(SECRET, body),
    },
    body,
  });
  return { status: response.status, text: await response.text() };
}

describe("events a request follows", () => {
  it("turns a review in GitHub's own UI into deployment_reviewed, approved or rejected", async () => {
    const run = addRun();
    for (const state of ["approved", "rejected"] as const) {
      const payload = github.deployments.deploymentReviewPayload(REPO, run, {
        state,
        environment: "production",
        reviewer: "octocat",
        comment: "not on a Friday",
      });
      expect(await github.sendWebhook("deployment_review", payload)).toEqual({ status: 200, body: "ok" });
    }
    expect(received).toEqual(
      (["approved", "rejected"] as const).map((state) => ({
        name: "deployment_reviewed",
        deliveryId: expect.any(String),
        repository: REPO,
        runId: run,
        runAttempt: 1,
        state,
        environments: ["production"],
        login: "octocat",
        comment: "not on a Friday",
        installationId: INSTALLATION,
      })),
    );
  });

  it("turns a deploy job starting on an environment into deploy_job_started", async () => {
    const run = addRun();
    const job = github.deployments.addJob(REPO, run, { name: "deploy", environment: "production" });
    const answer = await github.sendWebhook(
      "workflow_job",
      github.deployments.workflowJobPayload(job, "in_progress", "admin-user"),
    );
    expect(answer).toEqual({ status: 200, body: "ok" });
    expect(received).toEqual([
      {
        name: "deploy_job_started",
        deliveryId: expect.any(String),
        repository: REPO,
        runId: run,
        runAttempt: 1,
        environment: "production",
        jobName: "deploy",
        login: "admin-user",
        installationId: INSTALLATION,
      },
    ]);
  });

  it("keeps when a completed run started and ended, and its link", async () => {
    const run = addRun();
    github.cancelRun(REPO, run);
    await github.sendWebhook("workflow_run", github.workflowRunCompletedPayload(REPO, run));
    const snapshot = github.getRun(REPO, run);
    expect(received).toEqual([
      expect.objectContaining({
        name: "run_completed",
        conclusion: "cancelled",
        startedAt: new Date(snapshot.runStartedAt).toISOString(),
        completedAt: new Date(snapshot.updatedAt).toISOString(),
        htmlUrl: `${github.url}/${REPO}/actions/runs/${run}`,
      }),
    ]);
  });
});

describe("the noise, dropped before it is parsed", () => {
  it("drops queued and completed jobs, jobs that deploy nowhere, and runs requested or in progress", async () => {
    const run = addRun();
    const deploy = github.deployments.addJob(REPO, run, { name: "deploy", environment: "production" });
    const build = github.deployments.addJob(REPO, run, { name: "build" });
    const noise: Array<[string, object]> = [
      ["workflow_job", github.deployments.workflowJobPayload(deploy, "queued")],
      ["workflow_job", github.deployments.workflowJobPayload(deploy, "waiting")],
      ["workflow_job", github.deployments.workflowJobPayload(deploy, "completed")],
      ["workflow_job", github.deployments.workflowJobPayload(build, "waiting")],
      ["workflow_job", github.deployments.workflowJobPayload(build, "in_progress")],
      ["workflow_run", { ...(github.workflowRunCompletedPayload(REPO, run) as object), action: "requested" }],
      [
        "workflow_run",
        { ...(github.workflowRunCompletedPayload(REPO, run) as object), action: "in_progress" },
      ],
    ];
    for (const [event, payload] of noise) {
      const body = JSON.stringify(payload);
      expect(skipUnparsed(event, body)).toBeDefined();
      expect(await deliver(event, body)).toEqual({ status: 200, text: "ignored" });
    }
    expect(received).toEqual([]);
  });

  it("judges by the action GitHub writes first, and parses whatever does not start that way", () => {
    expect(skipUnparsed("workflow_job", '{"action":"queued","workflow_job":{}}')).toBe(
      'workflow_job "queued" is not used',
    );
    // A step named `"deployment":` is escaped inside its string, so it is not taken for the key.
    expect(
      skipUnparsed(
        "workflow_job",
        '{"action":"in_progress","workflow_job":{"name":"say \\"deployment\\": yes"}}',
      ),
    ).toBe("a job that deploys to no environment");
    expect(
      skipUnparsed("workflow_job", '{"workflow_job":{},"action":"queued","deployment":{}}'),
    ).toBeUndefined();
    expect(skipUnparsed("deployment_review", '{"action":"requested"}')).toBe(
      'deployment_review "requested" is not used',
    );
    expect(skipUnparsed("push", '{"action":"anything"}')).toBeUndefined();
  });
});

describe("malformed deliveries of events the App uses", () => {
  it("answers 400 naming the field", async () => {
    const run = addRun();
    const review = github.deployments.deploymentReviewPayload(REPO, run, {
      state: "rejected",
      environment: "production",
      reviewer: "octocat",
    }) as Record<string, unknown>;
    const job = github.deployments.workflowJobPayload(
      github.deployments.addJob(REPO, run, { name: "deploy", environment: "production" }),
      "in_progress",
    ) as Record<string, unknown>;
    const cases: Array<[string, object, string]> = [
      [
        "deployment_review",
        { ...review, workflow_job_run: undefined, workflow_job_runs: [] },
        "invalid deployment_review payload: workflow_job_runs names no environment",
      ],
      [
        "deployment_review",
        { ...review, approver: { login: "<!channel>" } },
        "invalid deployment_review payload: approver.login is not a GitHub login",
      ],
      [
        "workflow_job",
        { ...job, workflow_job: { ...(job.workflow_job as object), run_id: -1 } },
        "invalid workflow_job payload: workflow_job.run_id is not a positive integer",
      ],
      [
        "workflow_job",
        { ...job, deployment: { ...(job.deployment as object), environment: " production" } },
        "invalid workflow_job payload: environment has surrounding spaces",
      ],
    ];
    for (const [event, payload, message] of cases) {
      expect(await deliver(event, JSON.stringify(payload))).toEqual({ status: 400, text: message });
    }
    expect(received).toEqual([]);
  });
});
