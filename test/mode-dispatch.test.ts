// dispatch mode end to end: the built Action posts the request (showing what an approval starts) and
// its job ends; the App (served for real on SQLite) takes the click, records its check run, and starts
// the named workflow by workflow_dispatch with only the inputs that workflow declares; the dispatched
// run's `mode: verify` step passes. The fake GitHub refuses any dispatch GitHub would refuse.
import { beforeEach, describe, expect, it } from "vitest";
import { runRefusal } from "../app/clicks/run-state.js";
import type { RunInfo } from "../app/github/runs.js";
import { DISPATCH_BLOCK_ID } from "../common/dispatch.js";
import { DEFAULT_BOT_TOKEN, DEFAULT_CHANNEL_ID, type FakeMessage } from "../testkit/fakes/slack.js";
import { errorLines, runStep } from "../testkit/helpers/action-step.js";
import { APP_ID, HEAD_SHA, hasButtons, REPO, statusText, USERS } from "../testkit/helpers/app-harness.js";
import { useActionHarness } from "../testkit/helpers/harness-suite.js";

const WORKFLOW_TOKEN = "ghs_jobTokenOfAcmeApi0002";
const DEPLOY_YML = `name: Deploy
run-name: Deploy \${{ inputs.environment }} for \${{ inputs.request-id }}
on:
  workflow_dispatch:
    inputs:
      request-id: { required: true, type: string }
      environment: { required: true, type: string }
      sha: { type: string }
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - uses: slack-deploy-gate/slack-deploy-gate@v1
        with: { mode: verify, request-id: "\${{ inputs.request-id }}", app-id: "${APP_ID}", environment: production }
`;

const { h, stepContext: context } = useActionHarness(WORKFLOW_TOKEN);
let nextRun = 800_000;

beforeEach(() => {
  h.github.setFile(REPO, ".github/workflows/deploy.yml", DEPLOY_YML);
  h.github.setFile(REPO, ".github/workflows/ci.yml", "name: CI\non: [push]\n");
});

const dispatchInputs = (extra: Record<string, string> = {}) => ({
  "slack-bot-token": DEFAULT_BOT_TOKEN,
  channel: DEFAULT_CHANNEL_ID,
  environment: "production",
  mode: "dispatch",
  "slack-api-url": h.slack.url,
  "dispatch-workflow": "deploy.yml",
  ...extra,
});

/** The requesting run's approval job: posts and ends. */
async function requested(
  extra: Record<string, string> = {},
): Promise<{ runId: number; message: FakeMessage; requestId: string }> {
  nextRun += 1;
  const runId = nextRun;
  h.github.addRun({ repository: REPO, runId, headSha: HEAD_SHA, headBranch: "main", actor: "dave" });
  const result = await runStep(context(runId), dispatchInputs(extra));
  expect(result.code, result.log).toBe(0);
  const message = h.slack.messages.find((m) => !m.thread_ts && m.metadata?.event_payload.run_id === runId);
  if (!message) throw new Error("no request posted");
  return { runId, message, requestId: h.requestIdOf(message) };
}

function dispatchesOf(requestId: string) {
  return h.github.dispatches.filter((d) => d.inputs["request-id"] === requestId);
}

/**
 * Waits for the click and all it caused. No sweep: the thread replies and private notes the dispatch
 * records run at once (the harness has no sweep timer and no retry timers).
 */
async function settleAll(): Promise<void> {
  await h.settle();
}

describe("dispatch mode", () => {
  it("approved: starts the workflow with only its declared inputs, links the run, and the run's verify step passes", async () => {
    const { message, requestId } = await requested();
    const dispatchLine = (message.blocks as { block_id?: string; elements?: { text: string }[] }[]).find(
      (b) => b.block_id === DISPATCH_BLOCK_ID,
    );
    expect(dispatchLine?.elements?.[0]?.text).toBe(
      ":arrow_forward: On approval, slack-deploy-gate starts `deploy.yml` on `main`.",
    );
    expect(h.github.dispatches).toEqual([]);

    await h.click(message, "approve", USERS.alice);
    await settleAll();

    expect(h.github.dispatches).toEqual([
      {
        repository: REPO,
        workflowId: "deploy.yml",
        ref: "main",
        // `approved-by` is not declared by deploy.yml, so it is not sent (GitHub would answer 422).
        inputs: { "request-id": requestId, environment: "production", sha: HEAD_SHA },
      },
    ]);
    expect(h.github.violations).toEqual([]);
    // The approval was on record before the workflow started.
    const order = h.github.requests.map((r) => r.operationId);
    expect(order.indexOf("checks/create")).toBeLessThan(order.indexOf("actions/create-workflow-dispatch"));
    const checkRun = h.github.checkRuns(REPO).find((c) => c.externalId === requestId);
    expect(checkRun).toMatchObject({ conclusion: "success", headSha: HEAD_SHA });

    const thread = h.threadOf(message.ts).join("\n");
    const link =
      /:rocket: Started `deploy\.yml` on `main`: <(http:\/\/[^|]+\/actions\/runs\/(\d+))\|run \d+>\./.exec(
        thread,
      );
    expect(link, thread).not.toBeNull();
    const dispatchedRun = Number(link?.[2]);
    expect(h.github.getRun(REPO, dispatchedRun)).toMatchObject({
      event: "workflow_dispatch",
      displayTitle: `Deploy production for ${requestId}`,
    });
    expect(statusText(h.message(message.ts))).toContain("the deploy workflow was started");
    expect(hasButtons(h.message(message.ts))).toBe(false);

    const verify = await runStep(
      context(dispatchedRun, { eventName: "workflow_dispatch", actor: "slack-deploy-gate[bot]" }),
      {
        mode: "verify",
        environment: "production",
        "request-id": String(h.github.dispatches[0]?.inputs["request-id"]),
        "app-id": String(APP_ID),
      },
    );
    expect(verify.code, verify.log).toBe(0);
    expect(verify.outputs).toMatchObject({
      decision: "approved",
      "decided-by": JSON.stringify([USERS.alice]),
    });
  });

  it("rejected: nothing starts, and Slack and the check run say so", async () => {
    const { message, requestId } = await requested();
    await h.click(message, "reject", USERS.bob);
    await h.settle();
    await h.submitReason(USERS.bob, "wait for the migration");
    await settleAll();
    expect(dispatchesOf(requestId)).toEqual([]);
    expect(h.github.checkRuns(REPO).find((c) => c.externalId === requestId)).toMatchObject({
      conclusion: "failure",
    });
    expect(h.threadOf(message.ts).join("\n")).toContain("nothing was started");
  });

  it("a workflow gone by the time of the click: said in the check run, the thread and to the approver", async () => {
    const { message, requestId } = await requested();
    h.github.setFile(REPO, ".github/workflows/deploy.yml", null);
    await h.click(message, "approve", USERS.alice);
    await settleAll();
    expect(dispatchesOf(requestId)).toEqual([]);
    const checkRun = h.github.checkRuns(REPO).find((c) => c.externalId === requestId);
    expect(checkRun).toMatchObject({
      conclusion: "action_required",
      output: { title: "Approved, but nothing was started" },
    });
    expect(checkRun?.output.summary).toContain(".github/workflows/deploy.yml does not exist on main");
    expect(h.threadOf(message.ts).join("\n")).toContain(
      "The decision was not applied: .github/workflows/deploy.yml does not exist on main",
    );
    expect(h.ephemeralsFor(USERS.alice).at(-1)).toMatch(
      /^Your approval was recorded, but nothing was started: \.github\/workflows\/deploy\.yml does not exist on main/,
    );
  });

  it("a finished requesting run can still be approved; a cancelled one, or one not running in wait mode, cannot", () => {
    const run = (status: string, conclusion: string | null): RunInfo => ({
      id: 1,
      attempt: 1,
      status,
      conclusion,
      actor: "dave",
      triggeringActor: "dave",
      htmlUrl: "",
      headSha: HEAD_SHA,
      name: "Deploy",
      headBranch: "main",
      event: "push",
      startedAt: null,
      readAt: new Date(),
    });
    expect(runRefusal("dispatch", run("completed", "success"))).toBeUndefined();
    expect(runRefusal("dispatch", run("completed", "cancelled"))).toEqual({
      kind: "run_finished",
      conclusion: "cancelled",
    });
    expect(runRefusal("wait", run("in_progress", null))).toBeUndefined();
    expect(runRefusal("wait", run("waiting", null))).toEqual({ kind: "run_not_running", status: "waiting" });
    expect(runRefusal("gate", run("completed", "success"))).toEqual({
      kind: "run_finished",
      conclusion: "success",
    });
  });
});

describe("dispatch mode, bad input fails before anything is posted", () => {
  it.each([
    [
      "without dispatch-workflow",
      { "dispatch-workflow": "" },
      {},
      /Input `dispatch-workflow` is required in `dispatch` mode/,
    ],
    [
      "with a path outside .github/workflows",
      { "dispatch-workflow": "../deploy.yml" },
      {},
      /Input `dispatch-workflow` is "\.\.\/deploy\.yml" is not a workflow file name/,
    ],
    [
      "naming a workflow that does not exist",
      { "dispatch-workflow": "release.yml" },
      {},
      /Input `dispatch-workflow` names \.github\/workflows\/release\.yml, which does not exist on main in acme\/api/,
    ],
    [
      "naming a workflow without workflow_dispatch",
      { "dispatch-workflow": "ci.yml" },
      {},
      /ci\.yml, which has no `on: workflow_dispatch` trigger/,
    ],
    [
      "from a pull request's merge ref, without dispatch-ref",
      {},
      { ref: "refs/pull/7/merge", eventName: "pull_request" },
      /Input `dispatch-ref` is needed: this run's ref \(refs\/pull\/7\/merge\) is not a branch or tag/,
    ],
  ])("%s", async (_name, extra, overrides, fix) => {
    const posted = h.slack.messages.length;
    nextRun += 1;
    const result = await runStep(context(nextRun, overrides), dispatchInputs(extra));
    expect(result.code).toBe(1);
    expect(errorLines(result.log)[0]).toMatch(fix);
    expect(h.slack.messages.length).toBe(posted);
  });
});
