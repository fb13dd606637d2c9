// Requests the App posts itself (the environment's policy names a channel), and how an App-posted and
// an Action-posted request for the same gate meet, in both orders: one request holds a gate, so they
// never both keep live buttons. An Action-posted request the workflow announced is adopted when GitHub
// reports the gate: checked and rebuilt before anyone clicks.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { KnownBlock } from "@slack/web-api";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { appRequestId } from "../app/requests/post.js";
import { ANNOUNCE_TITLE, formatAnnouncement } from "../common/announce.js";
import { buildRequestMessage } from "../common/message.js";
import { newRequestId, type RequestReference } from "../common/reference.js";
import { createSlackClient, postRequestMessage } from "../src/slack.js";
import type { FakeMessage } from "../testkit/fakes/slack.js";
import { DEFAULT_BOT_TOKEN, DEFAULT_CHANNEL_ID } from "../testkit/fakes/slack.js";
import {
  DEFAULT_POLICY,
  type Harness,
  hasButtons,
  REPO,
  startHarness,
  statusText,
  USERS,
} from "../testkit/helpers/app-harness.js";
import { runActionStep } from "../testkit/helpers/processes.js";
import { requireBuild } from "../testkit/require-build.js";

const SHA = "a".repeat(40);
/** The policy, with the App posting production's requests itself in the deploys channel. */
const APP_POSTS = DEFAULT_POLICY.replace(
  "    required-approvals: 1\n",
  `    required-approvals: 1\n    channel: ${DEFAULT_CHANNEL_ID}\n`,
);

const WORKFLOW_TOKEN = "ghs_meetingWorkflowToken000000000000";

let h: Harness;
let nextRun = 400_000;
let work: string;

beforeAll(async () => {
  requireBuild("action");
  h = await startHarness("sqlite", { policy: APP_POSTS });
  h.github.addStaticToken(WORKFLOW_TOKEN, REPO);
  work = mkdtempSync(join(tmpdir(), "sdg-meeting-"));
}, 180_000);
afterAll(async () => {
  await h?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});
afterEach(async () => {
  await h.settle();
  expect(h.github.violations).toEqual([]);
});

const header = (m: FakeMessage) =>
  (m.blocks as Array<{ block_id?: string; text?: { text: string } }>).find((b) => b.block_id === "sdg_header")
    ?.text?.text;
const approvalLine = (m: FakeMessage) =>
  (m.blocks as Array<{ block_id?: string; elements?: Array<{ text: string }> }>).find(
    (b) => b.block_id === "sdg_approval",
  )?.elements?.[0]?.text ?? "";
/** Top-level request messages for a run: the App's and the workflow's. */
const requestsFor = (run: number) =>
  h.slack.messages.filter(
    (m) => !m.thread_ts && (m.metadata?.event_payload as { run_id?: unknown } | undefined)?.run_id === run,
  );

function newRun(): number {
  nextRun += 1;
  h.addRun(nextRun);
  return nextRun;
}

/** The workflow's request, posted as the Action posts it; `announce` adds the notice the Action writes. */
async function actionPosts(run: number, announce: boolean): Promise<FakeMessage> {
  const reference: RequestReference = {
    repository: REPO,
    runId: run,
    runAttempt: 1,
    environment: "production",
    mode: "gate",
    requestId: newRequestId(),
  };
  const message = buildRequestMessage({
    reference,
    serverUrl: "https://github.com",
    workflow: "Deploy",
    ref: "refs/heads/main",
    sha: SHA,
    commitTitle: "Ship the thing",
    actor: "dave",
    eventName: "push",
    message: "Release 2.3",
    mentions: [],
  });
  const posted = await postRequestMessage(
    createSlackClient(DEFAULT_BOT_TOKEN, h.slack.url),
    DEFAULT_CHANNEL_ID,
    message,
  );
  if (announce) {
    // What the runner makes of the Action's `::notice title=…::…` on its job.
    const job = h.github.deployments.addJob(REPO, run, {
      name: "ask",
      status: "completed",
      conclusion: "success",
    });
    h.github.deployments.annotate(job, {
      title: ANNOUNCE_TITLE,
      message: formatAnnouncement({ reference, channel: posted.channelId, ts: posted.ts }),
    });
  }
  return structuredClone(h.message(posted.ts));
}

async function click(message: FakeMessage, action: "approve" | "reject", user: string): Promise<void> {
  expect((await h.click(message, action, user)).status).toBe(200);
  await h.settle();
}

describe("requests the App posts itself", () => {
  it("posts at the gate with the shared builder, shows who may approve and what changed, and decides as any request", async () => {
    const run = newRun();
    await h.gate(run);
    await h.settle();
    const [posted, ...others] = requestsFor(run);
    expect(others).toEqual([]);
    expect(posted?.metadata?.event_payload).toMatchObject({
      request_id: appRequestId({ repository: REPO, runId: run, runAttempt: 1, environment: "production" }),
    });
    const message = posted as FakeMessage;
    expect(header(message)).toBe("Deploy acme/api to production?");
    expect(approvalLine(message)).toContain(
      "Needs 1 approval from <!subteam^S0SRE>, <@U0ALICE>, <@U0BOB>, <@U0DAVE>",
    );
    expect(JSON.stringify(message.blocks)).toContain(
      "posted by slack-deploy-gate for the environment's policy",
    );
    expect(hasButtons(message)).toBe(true);

    // A redelivered gate posts nothing more.
    await h.gate(run);
    await h.settle();
    expect(requestsFor(run)).toHaveLength(1);

    await click(message, "approve", USERS.alice);
    expect(h.github.reviews.filter((r) => r.runId === run)).toMatchObject([{ state: "approved" }]);
    expect(header(h.message(message.ts))).toBe("Approved: acme/api to production");
  });
});

describe("first contact at a gate when GitHub fails", () => {
  it("answers the webhook, and the sweep tries again until the App's request is posted", async () => {
    const run = newRun();
    // Every read of the run fails for a while (an outage): at the gate and at the first retry (each read
    // is tried twice, app/github/runs.ts).
    h.github.failNext({ method: "GET", path: new RegExp(`/actions/runs/${run}$`) }, 502, 4);
    await h.gate(run);
    await h.settle();
    expect(requestsFor(run)).toEqual([]);
    await h.handle.sweep(); // not due yet
    h.advanceClock(31_000);
    await h.handle.sweep(); // due: fails again, waits twice as long
    await h.settle();
    expect(requestsFor(run)).toEqual([]);
    h.advanceClock(61_000);
    await h.handle.sweep();
    await h.settle();
    expect(requestsFor(run)).toHaveLength(1);
    // Done: later sweeps post nothing more.
    h.advanceClock(10 * 60_000);
    await h.handle.sweep();
    await h.settle();
    expect(requestsFor(run)).toHaveLength(1);
    h.advanceClock(-(31_000 + 61_000 + 10 * 60_000));
  });
});

describe("an App-posted and an Action-posted request for the same gate", () => {
  it("Action first, announced: the App adopts the workflow's request at the gate and posts none of its own", async () => {
    const run = newRun();
    const workflow = await actionPosts(run, true);
    await h.gate(run);
    await h.settle();
    expect(requestsFor(run).map((m) => m.ts)).toEqual([workflow.ts]);
    // Adopted: checked and rebuilt before anyone clicked.
    const shown = h.message(workflow.ts);
    expect(approvalLine(shown)).toContain("Needs 1 approval from");
    expect(JSON.stringify(shown.blocks)).toContain("_Message from the workflow:_\\nRelease 2.3");
    expect(hasButtons(shown)).toBe(true);
    await click(workflow, "approve", USERS.bob);
    expect(h.github.reviews.filter((r) => r.runId === run)).toMatchObject([{ state: "approved" }]);
  });

  it("Action first, clicked before the gate: the App posts none of its own", async () => {
    const run = newRun();
    const workflow = await actionPosts(run, false);
    await click(workflow, "approve", USERS.alice); // decided before GitHub reached the gate
    await h.gate(run);
    await h.settle();
    expect(requestsFor(run).map((m) => m.ts)).toEqual([workflow.ts]);
    expect(h.github.reviews.filter((r) => r.runId === run)).toMatchObject([{ state: "approved" }]);
  });

  it("App first: the workflow's request is superseded at its first contact, linking the App's", async () => {
    const run = newRun();
    await h.gate(run);
    await h.settle();
    const app = requestsFor(run)[0] as FakeMessage;
    const workflow = await actionPosts(run, false);
    await click(workflow, "approve", USERS.alice);

    expect(h.github.reviews.filter((r) => r.runId === run)).toEqual([]);
    const told = h.ephemeralsFor(USERS.alice).at(-1) ?? "";
    expect(told).toMatch(
      /^Another request for this deployment was there first \(https:\/\/fake-workspace\.slack\.com\/archives\/C0DEPLOYS\/p\d+\): approve or reject it there\./,
    );
    const superseded = h.message(workflow.ts);
    expect(hasButtons(superseded)).toBe(false);
    expect(header(superseded)).toBe("Superseded: acme/api to production");
    expect(statusText(superseded)).toContain(
      `<https://fake-workspace.slack.com/archives/C0DEPLOYS/p${app.ts.replace(".", "")}|another request>`,
    );
    // The App's request is the live one.
    expect(hasButtons(h.message(app.ts))).toBe(true);
    await click(app, "approve", USERS.alice);
    expect(h.github.reviews.filter((r) => r.runId === run)).toMatchObject([{ state: "approved" }]);
  });

  it("App first, then the workflow's step runs: the Action finds the App's request and does not ask again", async () => {
    const run = newRun();
    await h.gate(run);
    await h.settle();
    const app = requestsFor(run)[0] as FakeMessage;
    const requestId = appRequestId({
      repository: REPO,
      runId: run,
      runAttempt: 1,
      environment: "production",
    });
    // GitHub's checks show that the App asked, linking its message.
    expect(h.github.checkRuns(REPO).filter((c) => c.externalId === requestId)).toMatchObject([
      {
        name: "slack-deploy-gate / production",
        status: "in_progress",
        output: { title: "Waiting for approval in Slack" },
      },
    ]);

    const step = await runActionStep({
      repository: REPO,
      runId: run,
      sha: SHA,
      actor: "dave",
      environment: "production",
      channel: DEFAULT_CHANNEL_ID,
      slackBotToken: DEFAULT_BOT_TOKEN,
      slackApiUrl: h.slack.url,
      githubToken: WORKFLOW_TOKEN,
      githubServerUrl: h.github.url,
      githubApiUrl: h.github.apiUrl,
      workDir: work,
    });
    expect(step.code, step.log).toBe(0);
    expect(step.log).toContain("slack-deploy-gate already asked for this deployment in Slack");
    expect(step.outputs).toMatchObject({
      "request-id": requestId,
      "channel-id": DEFAULT_CHANNEL_ID,
      "message-ts": app.ts,
    });
    expect(requestsFor(run).map((m) => m.ts)).toEqual([app.ts]);

    // The decision completes the same check run.
    await click(app, "approve", USERS.alice);
    expect(h.github.checkRuns(REPO).filter((c) => c.externalId === requestId)).toMatchObject([
      { status: "completed", conclusion: "success" },
    ]);
  });

  it("App first, then the workflow announces its request at a later gate of the same attempt: superseded at adoption", async () => {
    const run = newRun();
    await h.gate(run);
    await h.settle();
    const app = requestsFor(run)[0] as FakeMessage;
    const workflow = await actionPosts(run, true);
    await h.gate(run); // GitHub sends the gate again (a redelivery): the announcement is read now
    await h.settle();
    expect(hasButtons(h.message(workflow.ts))).toBe(false);
    expect(header(h.message(workflow.ts))).toBe("Superseded: acme/api to production");
    expect(hasButtons(h.message(app.ts))).toBe(true);
  });

  it("a forged announcement pointing at another message is not adopted", async () => {
    const run = newRun();
    const other = await actionPosts(newRun(), false); // another run's request
    const job = h.github.deployments.addJob(REPO, run, {
      name: "ask",
      status: "completed",
      conclusion: "success",
    });
    const reference: RequestReference = {
      repository: REPO,
      runId: run,
      runAttempt: 1,
      environment: "production",
      mode: "gate",
      requestId: newRequestId(),
    };
    h.github.deployments.annotate(job, {
      title: ANNOUNCE_TITLE,
      message: formatAnnouncement({ reference, channel: other.channel, ts: other.ts }),
    });
    await h.gate(run);
    await h.settle();
    // The other run's message is untouched; no request was saved under the forged reference.
    expect(h.message(other.ts).blocks).toEqual(other.blocks as KnownBlock[]);
    expect(await h.store.getRequest(reference.requestId)).toBeUndefined();
  });
});
