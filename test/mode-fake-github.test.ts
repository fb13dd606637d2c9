// What the wait and dispatch modes need from the fake GitHub, proved with real clients: conditional
// requests (ETag, 304 Not Modified, free against the rate limit, counted), check runs that say which App
// wrote them, and workflow_dispatch refusing what GitHub refuses and creating the run it starts.
import { getOctokit } from "@actions/github";
import { ProbotOctokit } from "probot";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type FakeGitHub, startFakeGitHub } from "../testkit/fakes/github.js";
import { newPrivateKey } from "../testkit/helpers/keys.js";

const APP_ID = 31337;
const INSTALLATION_ID = 12;
const WORKFLOW_TOKEN = "ghs_workflowTokenForAcmeShop";
const SHA = "a".repeat(40);
const privateKey = newPrivateKey();
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

const DEPLOY_WORKFLOW = `name: Deploy
run-name: Deploy \${{ inputs.environment }} (\${{ inputs.request-id }})
on:
  workflow_dispatch:
    inputs:
      request-id: { required: true }
      environment:
        type: choice
        options: [staging, production]
      sha: {}
`;

let fake: FakeGitHub;

beforeEach(async () => {
  fake = await startFakeGitHub({
    appId: APP_ID,
    privateKey,
    webhookSecret: "unused",
    staticTokens: { [WORKFLOW_TOKEN]: { repository: "acme/shop" } },
  });
  fake.addRepository({
    fullName: "acme/shop",
    files: {
      ".github/workflows/deploy.yml": DEPLOY_WORKFLOW,
      ".github/workflows/ci.yml": "name: CI\non: [push]\n",
    },
  });
  fake.addInstallation({ id: INSTALLATION_ID, account: "acme", repositories: ["acme/shop"] });
  fake.addCommit("acme/shop", { sha: SHA, message: "Release 2.0" });
});

afterEach(async () => {
  await fake.close();
});

function app() {
  return new ProbotOctokit({
    auth: { appId: APP_ID, privateKey, installationId: INSTALLATION_ID },
    baseUrl: fake.apiUrl,
    log: quiet,
  });
}

function workflowToken() {
  return getOctokit(WORKFLOW_TOKEN, { baseUrl: fake.apiUrl });
}

async function listChecks(etag?: string): Promise<Response> {
  return fetch(`${fake.apiUrl}/repos/acme/shop/commits/${SHA}/check-runs?check_name=gate&filter=all`, {
    headers: { authorization: `token ${WORKFLOW_TOKEN}`, ...(etag ? { "if-none-match": etag } : {}) },
  });
}

describe("conditional requests", () => {
  it("answers 304 while nothing changed, free against the limit, and 200 with a new ETag after a change", async () => {
    const first = await listChecks();
    expect(first.status).toBe(200);
    const etag = first.headers.get("etag") ?? "";
    expect(etag).toMatch(/^W\/"[0-9a-f]{40}"$/);
    expect(first.headers.get("x-ratelimit-limit")).toBe("1000");
    expect(first.headers.get("x-ratelimit-remaining")).toBe("999");

    for (let i = 0; i < 3; i += 1) {
      const again = await listChecks(etag);
      expect(again.status).toBe(304);
      expect(await again.text()).toBe("");
      expect(again.headers.get("etag")).toBe(etag);
      expect(again.headers.get("x-ratelimit-remaining")).toBe("999");
    }

    await app().rest.checks.create({ owner: "acme", repo: "shop", name: "gate", head_sha: SHA });
    const changed = await listChecks(etag);
    expect(changed.status).toBe(200);
    expect(changed.headers.get("etag")).not.toBe(etag);
    expect(changed.headers.get("x-ratelimit-remaining")).toBe("998");
    expect(((await changed.json()) as { total_count: number }).total_count).toBe(1);

    expect(fake.rateLimits.get("GITHUB_TOKEN acme/shop")).toEqual({ limit: 1000, used: 2, notModified: 3 });
    expect(fake.rateLimits.get(`installation ${INSTALLATION_ID}`)).toMatchObject({ limit: 5000, used: 1 });
    expect(fake.requests.filter((r) => r.status === 304)).toHaveLength(3);
    expect(fake.violations).toEqual([]);
  });

  it("gives each credential its own ETag, as GitHub does", async () => {
    const byWorkflow = (await listChecks()).headers.get("etag");
    const byApp = await app().request("GET /repos/{owner}/{repo}/commits/{ref}/check-runs", {
      owner: "acme",
      repo: "shop",
      ref: SHA,
      check_name: "gate",
      filter: "all",
    });
    expect(byApp.headers.etag).toBeTruthy();
    expect(byApp.headers.etag).not.toBe(byWorkflow);
  });

  it("reaches octokit as its 304 error, carrying the ETag", async () => {
    const octokit = workflowToken();
    const query = { owner: "acme", repo: "shop", ref: SHA, check_name: "gate" };
    const first = await octokit.rest.checks.listForRef(query);
    await expect(
      octokit.rest.checks.listForRef({ ...query, headers: { "if-none-match": first.headers.etag } }),
    ).rejects.toMatchObject({ status: 304 });
  });
});

describe("check runs say who wrote them", () => {
  it("a workflow token's check run is GitHub Actions', whatever it is named or claims", async () => {
    await workflowToken().rest.checks.create({
      owner: "acme",
      repo: "shop",
      name: "slack-deploy-gate / production",
      head_sha: SHA,
      external_id: "forged-request-id",
      conclusion: "success",
    });
    const { data } = await app().rest.checks.listForRef({ owner: "acme", repo: "shop", ref: SHA });
    expect(data.check_runs[0]).toMatchObject({
      name: "slack-deploy-gate / production",
      external_id: "forged-request-id",
      app: { id: 15368, slug: "github-actions" },
    });
    const narrowed = await app().rest.checks.listForRef({
      owner: "acme",
      repo: "shop",
      ref: SHA,
      app_id: APP_ID,
    });
    expect(narrowed.data.total_count).toBe(0);
  });

  it("fails a request as asked, with the headers a rate limit sends", async () => {
    fake.failNext({ path: /check-runs$/ }, 403, 1, {
      headers: { "retry-after": "7" },
      message: "You have exceeded a secondary rate limit.",
    });
    const limited = await listChecks();
    expect(limited.status).toBe(403);
    expect(limited.headers.get("retry-after")).toBe("7");
    expect(((await limited.json()) as { message: string }).message).toMatch(/secondary rate limit/);
    expect((await listChecks()).status).toBe(200);
  });
});

describe("workflow_dispatch", () => {
  const dispatch = (body: Record<string, unknown>, workflow = "deploy.yml") =>
    app().request("POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches", {
      owner: "acme",
      repo: "shop",
      workflow_id: workflow,
      ref: "main",
      ...body,
    });

  it("starts the workflow with its declared inputs, answers the run and titles it by run-name", async () => {
    const response = await dispatch({
      inputs: { "request-id": "Req_12345678", environment: "production", sha: SHA },
      return_run_details: true,
    });
    expect(response.status).toBe(200);
    const { workflow_run_id: runId, html_url: htmlUrl } = response.data as {
      workflow_run_id: number;
      html_url: string;
    };
    expect(htmlUrl).toBe(`${fake.url}/acme/shop/actions/runs/${runId}`);
    expect(fake.dispatches).toEqual([
      {
        repository: "acme/shop",
        workflowId: "deploy.yml",
        ref: "main",
        inputs: { "request-id": "Req_12345678", environment: "production", sha: SHA },
      },
    ]);
    const { data: run } = await app().rest.actions.getWorkflowRun({
      owner: "acme",
      repo: "shop",
      run_id: runId,
    });
    expect(run).toMatchObject({
      event: "workflow_dispatch",
      head_sha: SHA,
      head_branch: "main",
      path: ".github/workflows/deploy.yml",
      name: "Deploy",
      display_title: "Deploy production (Req_12345678)",
      actor: { login: "slack-deploy-gate[bot]" },
    });
    const { data: listed } = await app().rest.actions.listWorkflowRuns({
      owner: "acme",
      repo: "shop",
      workflow_id: "deploy.yml",
      event: "workflow_dispatch",
    });
    expect(listed.workflow_runs.map((r) => r.id)).toEqual([runId]);
    expect(fake.violations).toEqual([]);
  });

  it("answers 204 without run details, as GitHub does when not asked", async () => {
    const response = await dispatch({ inputs: { "request-id": "Req_12345678" } });
    expect(response.status).toBe(204);
    expect(fake.dispatches).toHaveLength(1);
  });

  it.each([
    [
      "an input the workflow does not declare",
      { inputs: { "request-id": "Req_12345678", "approved-by": "@jane" } },
      422,
      'Unexpected inputs provided: ["approved-by"]',
    ],
    [
      "a required input left out",
      { inputs: { environment: "staging" } },
      422,
      "Required input 'request-id' not provided",
    ],
    [
      "a choice outside its options",
      { inputs: { "request-id": "Req_12345678", environment: "prod" } },
      422,
      "Provided value 'prod' for input 'environment' not in the list of allowed values",
    ],
    [
      "a ref that does not exist",
      { ref: "nope", inputs: { "request-id": "Req_12345678" } },
      422,
      "No ref found for: nope",
    ],
  ])("refuses %s, as GitHub does", async (_name, body, status, message) => {
    await expect(dispatch(body)).rejects.toMatchObject({ status, response: { data: { message } } });
    expect(fake.dispatches).toEqual([]);
  });

  it("refuses a workflow without the trigger (422) and one that does not exist (404)", async () => {
    await expect(dispatch({}, "ci.yml")).rejects.toMatchObject({
      status: 422,
      response: { data: { message: "Workflow does not have 'workflow_dispatch' trigger" } },
    });
    await expect(dispatch({}, "missing.yml")).rejects.toMatchObject({ status: 404 });
    expect(fake.dispatches).toEqual([]);
  });
});
