// wait mode end to end: the built Action (dist/index.js) as a process posts the request and holds its
// step; the App (served for real on SQLite) takes the click and writes its check run; the Action reads
// it through GitHub with conditional requests and ends the step as decided. Everything talks to the
// fake Slack and the fake GitHub, which validate every call.
import { getOctokit } from "@actions/github";
import { describe, expect, it } from "vitest";
import { decodeDecisionRecord } from "../common/check-run.js";
import type { FakeMessage } from "../testkit/fakes/slack.js";
import { DEFAULT_BOT_TOKEN, DEFAULT_CHANNEL_ID } from "../testkit/fakes/slack.js";
import {
  errorLines,
  type RunningStep,
  runPostStep,
  type StepResult,
  startStep,
  warningLines,
} from "../testkit/helpers/action-step.js";
import {
  APP_ID,
  HEAD_SHA,
  hasButtons,
  REPO,
  SIGNING_SECRET,
  statusText,
  USERS,
} from "../testkit/helpers/app-harness.js";
import { useActionHarness } from "../testkit/helpers/harness-suite.js";
import { waitFor } from "../testkit/helpers/processes.js";
import { blockActionsPayload } from "../testkit/helpers/slack-clicks.js";
import { postSignedToSlackRoute } from "../testkit/helpers/slack-sign.js";

const WORKFLOW_TOKEN = "ghs_jobTokenOfAcmeApi0001";
const CHECK_NAME = "slack-deploy-gate / production";

const { h, stepContext: context } = useActionHarness(WORKFLOW_TOKEN);
let nextRun = 700_000;

/** A run whose approval job is running (not held at an environment), as wait mode has it. */
function runningRun(): number {
  nextRun += 1;
  h.github.addRun({ repository: REPO, runId: nextRun, headSha: HEAD_SHA, headBranch: "main", actor: "dave" });
  return nextRun;
}

function waitInputs(extra: Record<string, string> = {}): Record<string, string> {
  return {
    "slack-bot-token": DEFAULT_BOT_TOKEN,
    channel: DEFAULT_CHANNEL_ID,
    environment: "production",
    mode: "wait",
    "slack-api-url": h.slack.url,
    "app-id": String(APP_ID),
    "poll-interval": "1s",
    timeout: "2m",
    ...extra,
  };
}

/** Starts a wait-mode step and returns it once its request is in Slack. */
async function startWaiting(
  extra: Record<string, string> = {},
): Promise<{ runId: number; step: RunningStep; message: FakeMessage; requestId: string }> {
  const runId = runningRun();
  const step = startStep(context(runId), waitInputs(extra));
  const message = await waitFor(
    `the request of run ${runId} in Slack`,
    () => h.slack.messages.find((m) => !m.thread_ts && m.metadata?.event_payload.run_id === runId),
    { timeoutMs: 30_000, child: step.child },
  );
  await waitFor("the step waiting", () => step.log().includes("Waiting up to"), { child: step.child });
  return { runId, step, message, requestId: h.requestIdOf(message) };
}

function finished(step: RunningStep): Promise<StepResult> {
  return Promise.race([
    step.finished,
    new Promise<never>((_resolve, reject) =>
      setTimeout(() => reject(new Error(`the step did not end\n${step.log()}`)), 60_000).unref(),
    ),
  ]);
}

function checkRunsOf(requestId: string) {
  return h.github.checkRuns(REPO).filter((c) => c.externalId === requestId);
}

describe("wait mode, the step holds until the App decides", () => {
  it("approved: the step succeeds, with the decision, who and the App's check run; polls cost 304s", async () => {
    const before = { ...(h.github.rateLimits.get(`GITHUB_TOKEN ${REPO}`) ?? { used: 0, notModified: 0 }) };
    const { step, message, requestId } = await startWaiting();
    // Held: a few polls go by with nothing decided.
    await waitFor(
      "some polls answered 304",
      () => (h.github.rateLimits.get(`GITHUB_TOKEN ${REPO}`)?.notModified ?? 0) >= before.notModified + 2,
    );
    expect(step.child.process.exitCode).toBeNull();

    await h.click(message, "approve", USERS.alice);
    await h.settle();
    const result = await finished(step);
    expect(result.code, result.log).toBe(0);
    expect(result.outputs).toMatchObject({
      "request-id": requestId,
      decision: "approved",
      "decided-by": JSON.stringify([USERS.alice]),
      reason: "",
    });
    expect(result.log).toMatch(
      /Approved by U0ALICE: Approved for production by @alice on \d{4}-\d\d-\d\d \d\d:\d\d UTC\./,
    );
    expect(result.summary).toContain("Check run");

    const [checkRun, ...others] = checkRunsOf(requestId);
    expect(others).toEqual([]);
    expect(checkRun).toMatchObject({
      name: CHECK_NAME,
      headSha: HEAD_SHA,
      status: "completed",
      conclusion: "success",
    });
    expect(checkRun?.output.title).toBe("Approved by @alice");
    expect(checkRun?.output.summary).toContain(
      `[Request in Slack](https://fake-workspace.slack.com/archives/${DEFAULT_CHANNEL_ID}/p`,
    );
    expect(decodeDecisionRecord(checkRun?.output.text)).toMatchObject({
      requestId,
      decision: "approved",
      decidedBy: [USERS.alice],
    });

    // Every poll but the ones that saw something new was a free 304.
    const after = h.github.rateLimits.get(`GITHUB_TOKEN ${REPO}`) ?? { used: 0, notModified: 0 };
    const counted = after.used - before.used;
    const free = after.notModified - before.notModified;
    expect(free).toBeGreaterThanOrEqual(2);
    // The commit title, the environment's deployments (what changed), the check before posting, and
    // the poll that saw the decision.
    expect(counted).toBe(4);
    expect(result.log).toMatch(new RegExp(`${free} of them answered 304 Not Modified`));
    expect(statusText(h.message(message.ts))).toContain("Approved");
    expect(h.github.violations).toEqual([]);
  });

  it("rejected: the step fails, saying who rejected and why", async () => {
    const { step, message, requestId } = await startWaiting();
    await h.click(message, "reject", USERS.bob);
    await h.settle();
    await h.submitReason(USERS.bob, "not during the sale");
    await h.settle();
    const result = await finished(step);
    expect(result.code).toBe(1);
    expect(result.outputs).toMatchObject({
      decision: "rejected",
      "decided-by": JSON.stringify([USERS.bob]),
      reason: "not during the sale",
    });
    expect(errorLines(result.log)[0]).toMatch(
      /^::error::Rejected by U0BOB: not during the sale\. The deployment does not go ahead\./,
    );
    expect(checkRunsOf(requestId)[0]).toMatchObject({
      conclusion: "failure",
      output: { title: "Rejected by @bob" },
    });
  });

  it("expired: the step fails at its timeout, and the request says so with its buttons gone", async () => {
    const { step, message, requestId } = await startWaiting({ timeout: "3s" });
    const result = await finished(step);
    expect(result.code).toBe(1);
    expect(result.outputs).toMatchObject({
      decision: "expired",
      "decided-by": "[]",
      reason: "no decision within 3s",
    });
    expect(errorLines(result.log)[0]).toMatch(
      /^::error::Nobody decided within 3s \(the `timeout` input\), so the request expired/,
    );
    const closed = h.message(message.ts);
    expect(hasButtons(closed)).toBe(false);
    expect(statusText(closed)).toMatch(
      /^:alarm_clock: \*Expired\* .*nobody decided within 3s, so the workflow step stopped waiting/,
    );
    expect(h.threadOf(message.ts).join("\n")).toContain("*Expired*");
    expect(checkRunsOf(requestId)).toEqual([]);
  });

  it("a check run forged with the job's token is ignored and named; only the App's decision counts", async () => {
    const { step, message, requestId } = await startWaiting();
    const forged = await getOctokit(WORKFLOW_TOKEN, { baseUrl: h.github.apiUrl }).rest.checks.create({
      owner: "acme",
      repo: "api",
      name: CHECK_NAME,
      head_sha: HEAD_SHA,
      external_id: requestId,
      conclusion: "success",
      output: { title: "Approved", summary: "trust me" },
    });
    await waitFor(
      "the forged check run named in the log",
      () => step.log().includes(`Ignoring check run ${forged.data.id}`),
      {
        child: step.child,
      },
    );
    expect(step.child.process.exitCode).toBeNull();

    await h.click(message, "reject", USERS.bob);
    await h.settle();
    await h.submitReason(USERS.bob, "someone tried to approve it by hand");
    await h.settle();
    const result = await finished(step);
    expect(result.code).toBe(1);
    expect(result.outputs.decision).toBe("rejected");
    expect(warningLines(result.log)).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `^::warning::Ignoring check run ${forged.data.id} by github-actions \\(app 15368\\), external_id "${requestId}".*only a check run written by the App with app-id ${APP_ID} counts`,
        ),
      ),
    );
  });

  it("honours a secondary rate limit's Retry-After and goes on waiting", async () => {
    const { step, message } = await startWaiting();
    h.github.failNext({ method: "GET", path: /\/commits\/a+\/check-runs$/ }, 403, 2, {
      headers: { "retry-after": "1" },
      message: "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
    });
    // Both refusals meet the Action's polls (the App reads no check runs before a click).
    await waitFor(
      "the rate limit seen twice",
      () => step.log().split("GitHub asked to retry after 1 s").length === 3,
      { child: step.child },
    );
    await h.click(message, "approve", USERS.alice);
    await h.settle();
    const result = await finished(step);
    expect(result.code).toBe(0);
    expect(result.outputs.decision).toBe("approved");
    expect(warningLines(result.log).filter((l) => l.includes("secondary rate limit"))).toHaveLength(2);
  });
});

describe("wait mode, a cancelled run", () => {
  it("SIGINT (the runner cancelling): the request says cancelled at once; the post step has nothing left", async () => {
    const { runId, step, message } = await startWaiting();
    step.child.process.kill("SIGINT");
    const result = await finished(step);
    expect(result.code).toBe(1);
    const closed = h.message(message.ts);
    expect(hasButtons(closed)).toBe(false);
    expect(statusText(closed)).toMatch(
      /^:no_entry_sign: \*Cancelled\* .*the workflow run was cancelled before a decision\. Nothing was sent to GitHub\./,
    );
    const updates = h.slack.callsTo("chat.update").length;
    const post = await runPostStep(context(runId), waitInputs(), result);
    expect(post.code).toBe(0);
    expect(post.log).toContain("Nothing to close");
    expect(h.slack.callsTo("chat.update")).toHaveLength(updates);
  });

  it("killed outright: the post step closes the request; a later click is told, and nothing reaches GitHub", async () => {
    const { runId, step, message, requestId } = await startWaiting();
    const asPosted = structuredClone(h.message(message.ts));
    step.child.process.kill("SIGKILL");
    const killed = await finished(step);
    expect(hasButtons(h.message(message.ts))).toBe(true);
    h.github.cancelRun(REPO, runId);

    const post = await runPostStep(context(runId), waitInputs(), killed);
    expect(post.code, post.log).toBe(0);
    const closed = h.message(message.ts);
    expect(hasButtons(closed)).toBe(false);
    expect(statusText(closed)).toContain("*Cancelled*");
    expect(h.threadOf(message.ts).join("\n")).toContain("*Cancelled*");

    // Someone whose Slack still shows the buttons clicks Approve.
    const click = blockActionsPayload({
      message: asPosted,
      actionId: "sdg_approve",
      user: { id: USERS.alice },
      triggerId: h.slack.issueTriggerId(USERS.alice),
    });
    await postSignedToSlackRoute(`${h.appUrl}/slack/interactions`, click, SIGNING_SECRET);
    await h.settle();
    expect(h.ephemeralsFor(USERS.alice).at(-1)).toMatch(
      /already finished \(cancelled\): it was cancelled.*nothing was sent to GitHub/,
    );
    expect(checkRunsOf(requestId)).toEqual([]);
  });
});

describe("wait mode, bad input fails before anything is posted", () => {
  it.each([
    [
      "without app-id",
      { "app-id": "" },
      /Input `app-id` is required in `wait` mode: the numeric ID of the slack-deploy-gate GitHub App/,
    ],
    [
      "with an app-id that is a name",
      { "app-id": "slack-deploy-gate" },
      /Input `app-id` is "slack-deploy-gate": give the App's numeric ID/,
    ],
    [
      "with a timeout that does not parse",
      { timeout: "soon" },
      /Input `timeout` is "soon", which is not a duration: write it as `30m`, `2h`, `1h30m`/,
    ],
    [
      "with a timeout past a hosted job's limit",
      { timeout: "7h" },
      /Input `timeout` is 7h, longer than a job may run on a GitHub-hosted runner \(6h\)/,
    ],
    [
      "with a poll interval too short",
      { "poll-interval": "100ms" },
      /Input `poll-interval` is "100ms": write a duration from 1s to 10m/,
    ],
  ])("%s", async (_name, extra, fix) => {
    const calls = h.slack.calls.length;
    const runId = runningRun();
    const step = startStep(context(runId), waitInputs(extra));
    const result = await finished(step);
    expect(result.code).toBe(1);
    expect(errorLines(result.log)[0]).toMatch(fix);
    expect(h.slack.calls.length).toBe(calls);
    expect(result.outputs).toEqual({});
  });

  it("a token that may not read check runs fails before posting, naming the permission", async () => {
    const calls = h.slack.calls.length;
    h.github.failNext({ method: "GET", path: /\/check-runs$/ }, 403, 1, {
      message: "Resource not accessible by integration",
    });
    const result = await finished(startStep(context(runningRun()), waitInputs()));
    expect(result.code).toBe(1);
    expect(errorLines(result.log)[0]).toMatch(
      /GitHub refused to list the commit's check runs \(403: Resource not accessible by integration\)\. Give the job `permissions: checks: read`.*Nothing was posted\./,
    );
    expect(h.slack.calls.length).toBe(calls);
  });

  it("a self-hosted runner may wait up to five days", async () => {
    const runId = runningRun();
    const step = startStep(
      { ...context(runId), env: { RUNNER_ENVIRONMENT: "self-hosted" } },
      waitInputs({ timeout: "7h" }),
    );
    // The step says how long it waits once it starts waiting, just after the request is posted.
    await waitFor("the step to start waiting", () => step.log().includes("Waiting up to"), {
      child: step.child,
    });
    expect(h.slack.messages.some((m) => m.metadata?.event_payload.run_id === runId)).toBe(true);
    expect(step.log()).toContain("Waiting up to 7h for the check run");
    step.child.process.kill("SIGINT");
    await finished(step);
  });
});
