// verify mode, the first step of the workflow dispatch mode starts: the built Action as a process
// against the fake GitHub, where the App's own check-run code (app/effects/check-run.ts, with a real
// installation client) has recorded decisions. It passes only for the App's approval of this request
// on this very commit.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getOctokit } from "@actions/github";
import { pino } from "pino";
import { Probot } from "probot";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDecisionCheckRuns, type DecisionCheckRuns } from "../app/effects/check-run.js";
import { createInstallations } from "../app/github/installations.js";
import { createRuns } from "../app/github/runs.js";
import type { Decider, RequestRow } from "../app/store/types.js";
import { newRequestId } from "../common/reference.js";
import { type FakeGitHub, startFakeGitHub } from "../testkit/fakes/github.js";
import { errorLines, runStep, type StepContext, warningLines } from "../testkit/helpers/action-step.js";
import { newPrivateKey } from "../testkit/helpers/keys.js";
import { NO_LIFE } from "../testkit/helpers/store-rows.js";
import { requireBuild } from "../testkit/require-build.js";

const APP_ID = 5150;
const REPO = "acme/shop";
const WORKFLOW_TOKEN = "ghs_dispatchedRunToken0001";
const APPROVED_SHA = "b".repeat(40);
const NEWER_SHA = "c".repeat(40);
const JANE: Decider = { slackUserId: "U0JANE", name: "Jane Doe", githubLogin: "jane" };
const privateKey = newPrivateKey();

let github: FakeGitHub;
let checkRuns: DecisionCheckRuns;
let work: string;
let runs = 0;

beforeAll(async () => {
  requireBuild("action");
  github = await startFakeGitHub({
    appId: APP_ID,
    privateKey,
    webhookSecret: "unused",
    staticTokens: { [WORKFLOW_TOKEN]: { repository: REPO } },
  });
  github.addRepository({ fullName: REPO });
  github.addInstallation({ id: 9, account: "acme", repositories: [REPO] });
  github.addCommit(REPO, { sha: APPROVED_SHA, message: "Release 3.1" });
  github.addCommit(REPO, { sha: NEWER_SHA, message: "Release 3.2" });
  const probot = new Probot({
    appId: APP_ID,
    privateKey,
    baseUrl: github.apiUrl,
    log: pino({ level: "silent" }),
  });
  checkRuns = createDecisionCheckRuns({
    installations: createInstallations(probot),
    runs: createRuns(),
    messageUrl: async (channel, ts) => `https://acme.slack.com/archives/${channel}/p${ts.replace(".", "")}`,
  });
  work = mkdtempSync(join(tmpdir(), "sdg-verify-"));
}, 60_000);

afterAll(async () => {
  await github?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** A decided request as the App stores it, and its check run written by the App's own code. */
async function decided(
  decision: RequestRow["decision"],
  options: { sha?: string; reason?: string; shortfall?: boolean } = {},
): Promise<RequestRow> {
  const request: RequestRow = {
    requestId: newRequestId(),
    repository: REPO,
    runId: 4100 + runs++,
    runAttempt: 1,
    environment: "production",
    mode: "dispatch",
    channelId: "C0DEPLOYS",
    messageTs: "1700000000.000100",
    messageBlocks: [],
    createdAt: new Date(Date.now() - 60_000),
    decision,
    decidedAt: new Date(),
    decidedBy: decision === "expired" ? [] : [JANE],
    reason: options.reason ?? null,
    ...NO_LIFE,
  };
  const octokit = await createInstallations(
    new Probot({ appId: APP_ID, privateKey, baseUrl: github.apiUrl, log: pino({ level: "silent" }) }),
  ).client(9);
  const target = { octokit, headSha: options.sha ?? APPROVED_SHA, runUrl: undefined };
  await checkRuns.write(
    request,
    target,
    options.shortfall
      ? { title: "Approved, but nothing was started", note: "deploy.yml does not exist." }
      : undefined,
  );
  return request;
}

function context(sha = APPROVED_SHA): StepContext {
  runs += 1;
  return {
    repository: REPO,
    runId: 9900 + runs,
    sha,
    actor: "slack-deploy-gate[bot]",
    eventName: "workflow_dispatch",
    event: { inputs: {}, ref: "refs/heads/main", repository: { full_name: REPO, owner: { login: "acme" } } },
    serverUrl: github.url,
    apiUrl: github.apiUrl,
    githubToken: WORKFLOW_TOKEN,
    workDir: join(work, String(runs)),
  };
}

const verify = (requestId: string, extra: Record<string, string> = {}) => ({
  mode: "verify",
  environment: "production",
  "request-id": requestId,
  "app-id": String(APP_ID),
  ...extra,
});

describe("verify mode", () => {
  it("passes for the App's approval of this request on this commit, and says who approved", async () => {
    const request = await decided("approved");
    const result = await runStep(context(), verify(request.requestId));
    expect(result.code, result.log).toBe(0);
    expect(result.outputs).toEqual({ decision: "approved", "decided-by": '["U0JANE"]', reason: "" });
    expect(result.log).toContain(
      `Verified: request ${request.requestId} was approved by U0JANE for production on ${APPROVED_SHA}`,
    );
    // It posts nothing and needs no Slack token.
    expect(result.log).not.toContain("slack");
    expect(github.violations).toEqual([]);
  });

  it("fails for another request id, naming the requests the App did record on this commit", async () => {
    const request = await decided("approved");
    const result = await runStep(context(), verify("someOtherRequest1"));
    expect(result.code).toBe(1);
    expect(errorLines(result.log)[0]).toMatch(
      new RegExp(
        `No approval for request someOtherRequest1 on commit ${APPROVED_SHA}.*Its check runs on this commit are for other requests \\(.*${request.requestId}.*check the \`request-id\` input`,
      ),
    );
    expect(result.outputs).toEqual({});
  });

  it("fails on another commit: the approval was for the commit it was asked for", async () => {
    const request = await decided("approved");
    const result = await runStep(context(NEWER_SHA), verify(request.requestId));
    expect(result.code).toBe(1);
    expect(errorLines(result.log)[0]).toMatch(
      new RegExp(
        `No approval for request ${request.requestId} on commit ${NEWER_SHA} \\(this run's GITHUB_SHA\\).*the approval was for another commit`,
      ),
    );
  });

  it("fails when only a check run forged with a workflow token says approved, and names it", async () => {
    const requestId = newRequestId();
    const forged = await getOctokit(WORKFLOW_TOKEN, { baseUrl: github.apiUrl }).rest.checks.create({
      owner: "acme",
      repo: "shop",
      name: "slack-deploy-gate / production",
      head_sha: APPROVED_SHA,
      external_id: requestId,
      conclusion: "success",
    });
    const result = await runStep(context(), verify(requestId));
    expect(result.code).toBe(1);
    expect(warningLines(result.log)[0]).toMatch(
      new RegExp(
        `Ignoring check run ${forged.data.id} by github-actions \\(app 15368\\).*only a check run written by the App with app-id ${APP_ID} counts`,
      ),
    );
    expect(errorLines(result.log)[0]).toMatch(new RegExp(`No approval for request ${requestId}`));
  });

  it("fails for a rejection, with who rejected and why", async () => {
    const request = await decided("rejected", { reason: "freeze week" });
    const result = await runStep(context(), verify(request.requestId));
    expect(result.code).toBe(1);
    expect(errorLines(result.log)[0]).toMatch(
      new RegExp(
        `^::error::Request ${request.requestId} was rejected by U0JANE: freeze week \\(check run \\d+ by slack-deploy-gate`,
      ),
    );
  });

  it("fails for an approval the App could not carry out (action_required)", async () => {
    const request = await decided("approved", { shortfall: true });
    const result = await runStep(context(), verify(request.requestId));
    expect(result.code).toBe(1);
    expect(errorLines(result.log)[0]).toMatch(/concluded "action_required", which is not an approval/);
  });

  it("checks its inputs before asking GitHub anything", async () => {
    const before = github.requests.length;
    const noId = await runStep(context(), verify(""));
    expect(errorLines(noId.log)[0]).toMatch(/Input `request-id` is required in `verify` mode/);
    const noApp = await runStep(context(), verify("abcdefgh123", { "app-id": "" }));
    expect(errorLines(noApp.log)[0]).toMatch(/Input `app-id` is required in `verify` mode/);
    expect(github.requests.length).toBe(before);
  });
});

describe("the App's check run", () => {
  it("is written once per request: a retry finds it by external_id instead of creating another", async () => {
    const request = await decided("approved");
    const octokit = await createInstallations(
      new Probot({ appId: APP_ID, privateKey, baseUrl: github.apiUrl, log: pino({ level: "silent" }) }),
    ).client(9);
    await checkRuns.write(request, { octokit, headSha: APPROVED_SHA, runUrl: undefined });
    const mine = github.checkRuns(REPO).filter((c) => c.externalId === request.requestId);
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({
      name: "slack-deploy-gate / production",
      conclusion: "success",
      output: { title: "Approved by @jane" },
    });
    expect(mine[0]?.output.summary).toContain(
      "[Request in Slack](https://acme.slack.com/archives/C0DEPLOYS/p1700000000000100)",
    );
    // A shortfall later rewrites the same check run.
    await checkRuns.write(
      request,
      { octokit, headSha: APPROVED_SHA, runUrl: undefined },
      { title: "Approved, but nothing was started", note: "x." },
    );
    const after = github.checkRuns(REPO).filter((c) => c.externalId === request.requestId);
    expect(after).toHaveLength(1);
    expect(after[0]?.conclusion).toBe("action_required");
  });
});
