// The whole loop with every real piece as a process: the fakes (testkit/fakes/serve.ts), the App
// (build/app/main.js on a temporary SQLite file) and the Action's bundle (dist/index.js) run as a
// workflow step. Clicks are built from the message the Action really posted and signed like Slack's.
// This suite proves the wiring between the processes (settings, routes, callbacks each way); the
// rules themselves (self-approval, early clicks, blank reasons…) are proven in-process (app*.test.ts)
// and what people see in the sandbox page by the browser suite.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ACTION_IDS,
  BLOCK_IDS,
  REJECT_MODAL_CALLBACK_ID,
  REJECT_REASON_ACTION_ID,
  REJECT_REASON_BLOCK_ID,
} from "../common/reference.js";
import { ControlClient } from "../testkit/fakes/control-client.js";
import { fakeSha } from "../testkit/fakes/github-state.js";
import type { ServeConfig, ServeReady } from "../testkit/fakes/serve.js";
import type { FakeMessage } from "../testkit/fakes/slack.js";
import { newPrivateKey } from "../testkit/helpers/keys.js";
import {
  type Child,
  freePort,
  PROJECT_ROOT,
  runActionStep,
  startApp,
  startProcess,
  stopAll,
  waitFor,
  waitForJsonLine,
} from "../testkit/helpers/processes.js";
import {
  blockActionsPayload,
  type OpenedView,
  viewSubmissionPayload,
} from "../testkit/helpers/slack-clicks.js";
import { postSignedToSlackRoute, type RouteResponse } from "../testkit/helpers/slack-sign.js";
import { requireBuild } from "../testkit/require-build.js";

const REPO = "acme/webshop";
const CHANNEL = "C0DEPLOYS";
const SLACK_TOKEN = "xoxb-e2e-bot-token";
const WORKFLOW_TOKEN = "ghs_e2eWorkflowToken000000000000000";
const SIGNING_SECRET = "e2e-slack-signing-secret";
const WEBHOOK_SECRET = "e2e-webhook-secret";
const APP_ID = 424242;
const HEAD_SHA = fakeSha("e2e:head");

const ALICE = "U0ALICE";
const BOB = "U0BOB";
const DANA = "U0DANA"; // triggers the runs (GitHub login dana-dev)
const OLIVIA = "U0OLIVIA"; // not an approver anywhere

const POLICY = `environments:
  production:
    approvers:
      groups: [S0DEPLOYERS]
    required-approvals: 2
    allow-self-approval: false
  staging:
    approvers:
      users: [${ALICE}, ${BOB}, ${DANA}]
    required-approvals: 1
github-users:
  ${ALICE}: alice-gh
  ${BOB}: bob-gh
  ${DANA}: dana-dev
`;

/** How a review comment may name each person: Slack ID, or the GitHub login the policy maps. */
const PERSON = {
  alice: new RegExp(`${ALICE}|\\balice-gh\\b`),
  bob: new RegExp(`${BOB}|\\bbob-gh\\b`),
  olivia: new RegExp(`${OLIVIA}|\\bolivia\\b`, "i"),
};

const WAIT = { timeoutMs: 20_000 };

let workDir: string;
let fakesChild: Child;
let appChild: Child;
let appUrl: string;
let fakes: ServeReady;
let control: ControlClient;
let nextRunId = 7001;

beforeAll(async () => {
  requireBuild("app", "action");
  workDir = mkdtempSync(join(tmpdir(), "sdg-e2e-"));
  const privateKey = newPrivateKey();
  const appPort = await freePort();
  appUrl = `http://127.0.0.1:${appPort}`;

  const config: ServeConfig = {
    slack: {
      tokens: [SLACK_TOKEN],
      users: {
        [ALICE]: { name: "alice", realName: "Alice Adams" },
        [BOB]: { name: "bob", realName: "Bob Brown" },
        [DANA]: { name: "dana", realName: "Dana Dev" },
        [OLIVIA]: { name: "olivia", realName: "Olivia Outsider" },
      },
      usergroups: { S0DEPLOYERS: [ALICE, BOB, DANA] },
    },
    github: {
      appId: APP_ID,
      privateKey,
      webhookSecret: WEBHOOK_SECRET,
      webhookUrl: `${appUrl}/api/github/webhooks`,
      staticTokens: { [WORKFLOW_TOKEN]: { repository: REPO } },
    },
  };
  const configPath = join(workDir, "fakes.json");
  writeFileSync(configPath, JSON.stringify(config));

  fakesChild = startProcess({
    name: "fakes",
    command: process.execPath,
    args: ["--import", "tsx", join(PROJECT_ROOT, "testkit", "fakes", "serve.ts"), "--config", configPath],
    cwd: PROJECT_ROOT,
  });
  fakes = await waitForJsonLine<ServeReady>(fakesChild);
  control = new ControlClient(fakes.controlUrl);
  await control.addRepository({ fullName: REPO, files: { ".github/slack-deploy-gate.yml": POLICY } });
  await control.addCommit(REPO, {
    sha: HEAD_SHA,
    message: "Ship the new checkout\n\nWith a longer body.",
    author: "dana-dev",
  });
  await control.addInstallation({ id: 31337, account: "acme", repositories: [REPO] });

  ({ child: appChild } = await startApp({
    appId: APP_ID,
    privateKey,
    webhookSecret: WEBHOOK_SECRET,
    slackSigningSecret: SIGNING_SECRET,
    slackBotToken: SLACK_TOKEN,
    slackApiUrl: fakes.slackUrl,
    githubHost: fakes.githubHost,
    databaseUrl: `sqlite://${join(workDir, "app.db")}`,
    port: appPort,
    sweepIntervalMs: 1000,
  }));
}, 240_000);

afterAll(async () => {
  await stopAll();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
}, 30_000);

/** Wait options that fail early, with the App's output, if the App dies. */
function appWait(): { timeoutMs: number; child: Child } {
  return { ...WAIT, child: appChild };
}

/** A run waiting on `environment`, and the Action's request for it posted to Slack. */
async function requestDeployment(
  environment: string,
): Promise<{ runId: number; message: FakeMessage; requestId: string }> {
  const runId = nextRunId++;
  await control.addRun({
    repository: REPO,
    runId,
    headSha: HEAD_SHA,
    actor: "dana-dev",
    workflowName: "Deploy",
    waitingEnvironments: [environment],
  });
  const result = await runActionStep({
    repository: REPO,
    runId,
    sha: HEAD_SHA,
    actor: "dana-dev",
    environment,
    channel: CHANNEL,
    slackBotToken: SLACK_TOKEN,
    slackApiUrl: fakes.slackUrl,
    githubToken: WORKFLOW_TOKEN,
    githubServerUrl: fakes.githubUrl,
    githubApiUrl: fakes.githubApiUrl,
    workDir: join(workDir, `run-${runId}`),
  });
  expect(result.code, result.log).toBe(0);
  expect(result.outputs["channel-id"]).toBe(CHANNEL);
  const requestId = result.outputs["request-id"] as string;
  const ts = result.outputs["message-ts"] as string;
  const message = (await control.slackState()).messages.find((m) => m.ts === ts);
  if (!message) throw new Error(`the Action said it posted ${ts}, but the fake Slack has no such message`);
  return { runId, message, requestId };
}

async function click(
  message: FakeMessage,
  action: "approve" | "reject",
  user: string,
): Promise<RouteResponse> {
  const payload = blockActionsPayload({
    message,
    actionId: ACTION_IDS[action],
    user: { id: user },
    triggerId: await control.triggerId(user),
  });
  return postSignedToSlackRoute(`${appUrl}/slack/interactions`, payload, SIGNING_SECRET);
}

async function current(message: FakeMessage): Promise<FakeMessage> {
  const found = (await control.slackState()).messages.find(
    (m) => m.ts === message.ts && m.channel === message.channel,
  );
  if (!found) throw new Error(`message ${message.ts} disappeared`);
  return found;
}

async function replies(message: FakeMessage): Promise<FakeMessage[]> {
  return (await control.slackState()).messages.filter((m) => m.thread_ts === message.ts);
}

function statusText(message: FakeMessage): string {
  const block = message.blocks.find((b) => (b as { block_id?: string }).block_id === BLOCK_IDS.status) as
    | { text?: { text?: string } }
    | undefined;
  return block?.text?.text ?? "";
}

function hasButtons(message: FakeMessage): boolean {
  return message.blocks.some((b) => (b as { block_id?: string }).block_id === BLOCK_IDS.actions);
}

async function reviewsFor(runId: number) {
  return (await control.reviews()).filter((r) => r.runId === runId);
}

async function ephemeralsFor(user: string, after: number) {
  return (await control.slackState()).ephemerals.filter((e) => e.user === user).slice(after);
}

describe("end to end: Action → Slack → App → GitHub", () => {
  it("an approver's click resumes the gated deployment, and Slack and GitHub tell the same story", async () => {
    const { runId, message, requestId } = await requestDeployment("staging");
    expect(hasButtons(message)).toBe(true);
    expect(message.metadata?.event_payload.request_id).toBe(requestId);

    const gate = await control.sendDeploymentProtectionRule(REPO, runId, "staging");
    expect(gate.status).toBe(200);
    expect((await click(message, "approve", ALICE)).status).toBe(200);

    const [review] = await waitFor(
      "GitHub to receive the approval",
      async () => {
        const found = await reviewsFor(runId);
        return found.length ? found : undefined;
      },
      appWait(),
    );
    expect(review).toMatchObject({ repository: REPO, runId, environment: "staging", state: "approved" });
    expect(review?.comment).toMatch(PERSON.alice);
    expect(review?.comment).toContain(requestId);
    const run = await control.getRun(REPO, runId);
    expect(run.waitingEnvironments).toEqual([]);
    expect(run.status).toBe("in_progress");

    const updated = await waitFor(
      "the message to show the approval",
      async () => {
        const m = await current(message);
        return /Approved/.test(statusText(m)) && /deployment resumed/.test(statusText(m)) ? m : undefined;
      },
      appWait(),
    );
    expect(hasButtons(updated)).toBe(false);
    expect(statusText(updated)).toContain(`<@${ALICE}>`);
    const thread = await waitFor(
      "the decision in the thread",
      async () => {
        const r = await replies(message);
        return r.some((m) => /GitHub accepted/.test(m.text)) ? r : undefined;
      },
      appWait(),
    );
    expect(thread.some((m) => m.text.includes(`<@${ALICE}> approved`))).toBe(true);
    expect(await control.violations()).toEqual([]);
  });

  it("a rejection asks for a reason in a modal and stops the run with it", async () => {
    const { runId, message } = await requestDeployment("staging");
    await control.sendDeploymentProtectionRule(REPO, runId, "staging");
    const before = (await control.slackState()).views.length;
    expect((await click(message, "reject", BOB)).status).toBe(200);

    const view = await waitFor(
      "the reject modal to open",
      async () => {
        const opened = (await control.slackState()).views
          .slice(before)
          .find((v) => v.view.callback_id === REJECT_MODAL_CALLBACK_ID);
        return opened ? ({ id: opened.id, ...opened.view } as OpenedView) : undefined;
      },
      appWait(),
    );
    expect(view.blocks.some((b) => b.block_id === REJECT_REASON_BLOCK_ID)).toBe(true);

    const submit = (reason: string) =>
      postSignedToSlackRoute(
        `${appUrl}/slack/interactions`,
        viewSubmissionPayload({
          view,
          user: { id: BOB },
          values: {
            [REJECT_REASON_BLOCK_ID]: {
              [REJECT_REASON_ACTION_ID]: { type: "plain_text_input", value: reason },
            },
          },
        }),
        SIGNING_SECRET,
      );

    const done = await submit("Checkout tests fail on main");
    expect(done.status).toBe(200);
    expect(done.body).toBe("");

    const [review] = await waitFor(
      "GitHub to receive the rejection",
      async () => {
        const found = await reviewsFor(runId);
        return found.length ? found : undefined;
      },
      appWait(),
    );
    expect(review?.state).toBe("rejected");
    expect(review?.comment).toContain("Checkout tests fail on main");
    expect(review?.comment).toMatch(PERSON.bob);
    expect((await control.getRun(REPO, runId)).conclusion).toBe("failure");

    const updated = await waitFor(
      "the message to show the rejection",
      async () => {
        const m = await current(message);
        return /Rejected/.test(statusText(m)) && /deployment stopped/.test(statusText(m)) ? m : undefined;
      },
      appWait(),
    );
    expect(statusText(updated)).toContain("Checkout tests fail on main");
    expect(hasButtons(updated)).toBe(false);
  });

  it("an outsider's click is refused privately and counts for nothing; production needs two approvers", async () => {
    const { runId, message } = await requestDeployment("production");
    await control.sendDeploymentProtectionRule(REPO, runId, "production");
    const ephemeralsBefore = (await control.slackState()).ephemerals.length;

    expect((await click(message, "approve", OLIVIA)).status).toBe(200);
    const [refusal] = await waitFor(
      "the outsider's ephemeral refusal",
      async () => {
        const found = await ephemeralsFor(OLIVIA, 0);
        return found.length ? found : undefined;
      },
      appWait(),
    );
    expect(refusal?.channel).toBe(CHANNEL);
    expect(refusal?.text).toMatch(/not an approver/i);

    // The refusal is the last thing the App does for that click. What it did before it shows in what
    // Alice's vote then does: the message's first update, and the thread's first reply, are hers alone.
    await click(message, "approve", ALICE);
    const progress = await waitFor(
      "1 of 2 approvals to show",
      async () => {
        const m = await current(message);
        return /1 of 2 approvals/.test(statusText(m)) ? m : undefined;
      },
      appWait(),
    );
    expect(statusText(progress)).toContain(`<@${ALICE}>`);
    expect(statusText(progress)).not.toContain(OLIVIA);
    const [firstUpdate] = (await control.slackCalls("chat.update")).filter((c) => c.body.ts === message.ts);
    expect(JSON.stringify(firstUpdate?.body.blocks)).toContain("1 of 2 approvals");
    expect(JSON.stringify(firstUpdate?.body.blocks)).not.toContain(OLIVIA);
    const [firstReply] = await waitFor(
      "Alice's vote in the thread",
      async () => {
        const r = await replies(message);
        return r.length ? r : undefined;
      },
      appWait(),
    );
    expect(firstReply?.text).toContain(`<@${ALICE}> approved`);
    // The buttons stay while more votes are needed, and GitHub has not been told anything.
    expect(hasButtons(progress)).toBe(true);
    expect(await reviewsFor(runId)).toEqual([]);
    expect((await control.getRun(REPO, runId)).waitingEnvironments).toEqual(["production"]);
    expect(
      (await control.slackState()).ephemerals.slice(ephemeralsBefore).filter((e) => e.user !== OLIVIA),
    ).toEqual([]);

    // Bob clicks the message as it now stands, as he would in Slack.
    await click(progress, "approve", BOB);
    const [review] = await waitFor(
      "GitHub to receive the two-person approval",
      async () => {
        const found = await reviewsFor(runId);
        return found.length ? found : undefined;
      },
      appWait(),
    );
    expect(review?.state).toBe("approved");
    expect(review?.comment).toMatch(PERSON.alice);
    expect(review?.comment).toMatch(PERSON.bob);
    expect(review?.comment).not.toMatch(PERSON.olivia);
    const done = await waitFor(
      "the message to show both approvers",
      async () => {
        const m = await current(message);
        return /Approved/.test(statusText(m)) && /resumed/.test(statusText(m)) ? m : undefined;
      },
      appWait(),
    );
    expect(statusText(done)).toContain(`<@${ALICE}>`);
    expect(statusText(done)).toContain(`<@${BOB}>`);
    expect(hasButtons(done)).toBe(false);
    expect(await control.violations()).toEqual([]);
  });
});
