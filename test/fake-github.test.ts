// The fake GitHub itself: real clients (Probot's octokit, @actions/github, Probot's webhook receiver)
// against it, and proof that it refuses what GitHub refuses and records it.
import { createSign } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { getOctokit } from "@actions/github";
import { verify } from "@octokit/webhooks-methods";
import { createNodeMiddleware, Probot, ProbotOctokit } from "probot";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type FakeGitHub, startFakeGitHub, WebhookPayloadError } from "../testkit/fakes/github.js";
import { githubOpenApi } from "../testkit/fakes/github-openapi.js";
import { checkWebhookPayload } from "../testkit/fakes/github-webhooks.js";
import { newPrivateKey } from "../testkit/helpers/keys.js";

const APP_ID = 424242;
const SECRET = "webhook-secret-for-tests";
const ACTION_TOKEN = "ghs_workflowtokenforacmeweb";
const SHA = "3f786850e387550fdab836ed7e6dc881de23001b";
const POLICY = "environments:\n  production:\n    approvers:\n      users: [U0123ABCD]\n";
const ORG_POLICY = "environments:\n  default:\n    approvers:\n      groups: [S0LEADS]\n";

const privateKey = newPrivateKey();
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

interface Delivery {
  headers: IncomingHttpHeaders;
  body: string;
}

let fake: FakeGitHub;
let receiver: Server;
let deliveries: Delivery[];

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

beforeEach(async () => {
  deliveries = [];
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      deliveries.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
      res.writeHead(202).end("accepted");
    });
  });
  const receiverUrl = await listen(receiver);
  fake = await startFakeGitHub({
    appId: APP_ID,
    privateKey,
    webhookSecret: SECRET,
    webhookUrl: `${receiverUrl}/hooks`,
    staticTokens: { [ACTION_TOKEN]: { repository: "acme/web" } },
  });
  fake.addRepository({
    fullName: "acme/web",
    files: { ".github/slack-deploy-gate.yml": POLICY, "README.md": "# web\n" },
  });
  fake.addRepository({ fullName: "acme/api" });
  fake.addRepository({ fullName: "acme/.github", files: { ".github/slack-deploy-gate.yml": ORG_POLICY } });
  fake.addRepository({ fullName: "other/secret", private: true });
  fake.addInstallation({ id: 7, account: "acme", repositories: ["acme/web", "acme/api", "acme/.github"] });
  fake.addInstallation({ id: 8, account: "other", repositories: ["other/secret"] });
  fake.addCommit("acme/web", { sha: SHA, message: "Ship the new checkout\n\nLonger body", author: "jane" });
  fake.addRun({
    repository: "acme/web",
    runId: 9001,
    headSha: SHA,
    actor: "jane",
    triggeringActor: "joe",
    workflowName: "Deploy",
    waitingEnvironments: ["production"],
  });
});

afterEach(async () => {
  await fake.close();
  await close(receiver);
});

function appOctokit(key = privateKey) {
  return new ProbotOctokit({
    auth: { appId: APP_ID, privateKey: key },
    baseUrl: fake.apiUrl,
    log: quiet,
    retry: { enabled: false },
    throttle: { enabled: false },
  });
}

function installationOctokit(installationId = 7) {
  return new ProbotOctokit({
    auth: { appId: APP_ID, privateKey, installationId },
    baseUrl: fake.apiUrl,
    log: quiet,
    retry: { enabled: false },
    throttle: { enabled: false },
  });
}

/** A JWT signed by hand, to try claims octokit would never produce. */
function jwt(claims: Record<string, unknown>, key = privateKey): string {
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const unsigned = `${encode({ alg: "RS256", typ: "JWT" })}.${encode(claims)}`;
  return `${unsigned}.${createSign("RSA-SHA256").update(unsigned).sign(key, "base64url")}`;
}

async function call(method: string, path: string, token: string | undefined, body?: unknown) {
  const response = await fetch(`${fake.apiUrl}${path}`, {
    method,
    headers: {
      accept: "application/vnd.github+json",
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
}

async function installationToken(installationId = 7): Promise<string> {
  const auth = (await appOctokit().auth({ type: "installation", installationId })) as { token: string };
  return auth.token;
}

describe("App authentication", () => {
  it("serves the App, its installations and installation tokens to a JWT-authenticated ProbotOctokit", async () => {
    const octokit = appOctokit();
    const { data: app } = await octokit.rest.apps.getAuthenticated();
    expect(app?.id).toBe(APP_ID);
    const { data: installation } = await octokit.rest.apps.getRepoInstallation({
      owner: "acme",
      repo: "web",
    });
    expect(installation.id).toBe(7);
    expect(installation.account && "login" in installation.account ? installation.account.login : "").toBe(
      "acme",
    );
    const { data: byId } = await octokit.rest.apps.getInstallation({ installation_id: 8 });
    expect(byId.id).toBe(8);
    const auth = (await octokit.auth({ type: "installation", installationId: 7 })) as {
      token: string;
      expiresAt: string;
    };
    expect(auth.token).toMatch(/^ghs_/);
    expect(Date.parse(auth.expiresAt)).toBeGreaterThan(Date.now());
    expect(fake.violations).toEqual([]);
  });

  it("accepts a PKCS#8 private key for the same App", async () => {
    const pkcs8 = newPrivateKey("pkcs8");
    const other = await startFakeGitHub({ appId: APP_ID, privateKey: pkcs8, webhookSecret: SECRET });
    try {
      const octokit = new ProbotOctokit({
        auth: { appId: APP_ID, privateKey: pkcs8 },
        baseUrl: other.apiUrl,
        log: quiet,
      });
      expect((await octokit.rest.apps.getAuthenticated()).data?.id).toBe(APP_ID);
      expect(other.violations).toEqual([]);
    } finally {
      await other.close();
    }
  });

  it("answers 401 to a JWT signed with another key, and records it", async () => {
    const wrongKey = newPrivateKey();
    await expect(appOctokit(wrongKey).rest.apps.getAuthenticated()).rejects.toMatchObject({ status: 401 });
    expect(fake.violations).toEqual([expect.stringContaining("A JSON web token could not be decoded")]);
  });

  it("refuses expired, too long-lived, foreign-issuer JWTs and installation tokens on /app routes", async () => {
    const now = Math.floor(Date.now() / 1000);
    const expired = await call("GET", "/app", jwt({ iat: now - 700, exp: now - 100, iss: APP_ID }));
    expect(expired.status).toBe(401);
    expect(String(expired.json?.message)).toContain("'Expiration time' claim");
    expect((await call("GET", "/app", jwt({ iat: now, exp: now + 3600, iss: APP_ID }))).status).toBe(401);
    expect((await call("GET", "/app", jwt({ iat: now, exp: now + 300, iss: 1 }))).status).toBe(401);
    expect((await call("GET", "/app", jwt({ iat: now, exp: now + 300, iss: APP_ID }))).status).toBe(200);
    const { data: app } = await appOctokit().rest.apps.getAuthenticated();
    expect((await call("GET", "/app", jwt({ iat: now, exp: now + 300, iss: app?.client_id }))).status).toBe(
      200,
    );
    const token = await installationToken();
    expect((await call("GET", "/app", token)).status).toBe(401);
    expect(fake.violations).toHaveLength(4);
  });

  it("issues tokens only for installations that exist", async () => {
    await expect(appOctokit().auth({ type: "installation", installationId: 99 })).rejects.toMatchObject({
      status: 404,
    });
    await expect(
      appOctokit().rest.apps.getRepoInstallation({ owner: "nobody", repo: "here" }),
    ).rejects.toMatchObject({
      status: 404,
    });
    // Asking for something that does not exist is a valid request, not a violation.
    expect(fake.violations).toEqual([]);
  });
});

describe("repository access", () => {
  it("scopes an installation token to its installation's repositories (404 elsewhere, as GitHub does)", async () => {
    const token = await installationToken(7);
    expect((await call("GET", "/repos/acme/web", token)).status).toBe(200);
    expect((await call("GET", "/repos/ACME/Web", token)).status).toBe(200);
    expect((await call("GET", "/repos/other/secret", token)).status).toBe(404);
    const otherToken = await installationToken(8);
    expect((await call("GET", "/repos/acme/web", otherToken)).status).toBe(404);
    expect((await call("GET", "/repos/other/secret", otherToken)).status).toBe(200);
    expect(fake.violations).toEqual([]);
  });

  it("narrows a token to the repositories it was requested for", async () => {
    const jwtToken = jwt({
      iat: Math.floor(Date.now() / 1000),
      exp: Math.floor(Date.now() / 1000) + 300,
      iss: APP_ID,
    });
    const created = await call("POST", "/app/installations/7/access_tokens", jwtToken, {
      repositories: ["api"],
    });
    expect(created.status).toBe(201);
    const token = String(created.json?.token);
    expect((await call("GET", "/repos/acme/api", token)).status).toBe(200);
    expect((await call("GET", "/repos/acme/web", token)).status).toBe(404);
    const refused = await call("POST", "/app/installations/7/access_tokens", jwtToken, {
      repositories: ["secret"],
    });
    expect(refused.status).toBe(422);
    expect(fake.violations).toEqual([]);
  });

  it("answers 401 to missing and unknown tokens, and records them", async () => {
    expect((await call("GET", "/repos/acme/web", undefined)).status).toBe(401);
    const bad = await call("GET", "/repos/acme/web", "ghs_not-a-token");
    expect(bad).toMatchObject({ status: 401, json: { message: "Bad credentials" } });
    expect(fake.violations).toHaveLength(2);
  });

  it("lets @actions/github reach it with a static workflow token bound to one repository", async () => {
    const octokit = getOctokit(ACTION_TOKEN, { baseUrl: fake.apiUrl });
    const { data: run } = await octokit.rest.actions.getWorkflowRun({
      owner: "acme",
      repo: "web",
      run_id: 9001,
    });
    expect(run).toMatchObject({ id: 9001, run_attempt: 1, status: "waiting", head_sha: SHA, name: "Deploy" });
    expect(run.actor?.login).toBe("jane");
    expect(run.triggering_actor?.login).toBe("joe");
    expect(run.display_title).toBe("Ship the new checkout");
    expect(run.html_url).toBe(`${fake.url}/acme/web/actions/runs/9001`);
    await expect(octokit.rest.repos.get({ owner: "acme", repo: "api" })).rejects.toMatchObject({
      status: 404,
    });
    expect(fake.violations).toEqual([]);
  });
});

describe("contents and Probot's config plugin", () => {
  it("reads the repository's policy, and falls back to the org's .github repository", async () => {
    const octokit = installationOctokit();
    const own = await octokit.config.get({
      owner: "acme",
      repo: "web",
      path: ".github/slack-deploy-gate.yml",
    });
    expect(own.config).toEqual({ environments: { production: { approvers: { users: ["U0123ABCD"] } } } });
    const fallback = await octokit.config.get({
      owner: "acme",
      repo: "api",
      path: ".github/slack-deploy-gate.yml",
    });
    expect(fallback.config).toEqual({ environments: { default: { approvers: { groups: ["S0LEADS"] } } } });
    expect(fallback.files.map((f) => `${f.owner}/${f.repo}`)).toEqual(["acme/api", "acme/.github"]);
    fake.setFile("acme/.github", ".github/slack-deploy-gate.yml", null);
    const none = await octokit.config.get({
      owner: "acme",
      repo: "api",
      path: ".github/slack-deploy-gate.yml",
    });
    expect(none.config).toEqual({});
    expect(fake.violations).toEqual([]);
  });

  it("serves base64 content per ref, directories, and 404 for what is absent", async () => {
    const octokit = installationOctokit();
    fake.setFile("acme/web", "src/app.ts", "export const branch = 'feature';\n", "feature");
    const { data: file } = await octokit.rest.repos.getContent({
      owner: "acme",
      repo: "web",
      path: "src/app.ts",
      ref: "feature",
    });
    expect(Array.isArray(file) ? undefined : file.type).toBe("file");
    const content = !Array.isArray(file) && file.type === "file" ? file.content : "";
    expect(Buffer.from(content, "base64").toString("utf8")).toBe("export const branch = 'feature';\n");
    await expect(
      octokit.rest.repos.getContent({ owner: "acme", repo: "web", path: "src/app.ts" }),
    ).rejects.toMatchObject({
      status: 404,
    });
    await expect(
      octokit.rest.repos.getContent({ owner: "acme", repo: "web", path: "README.md", ref: "no-such-branch" }),
    ).rejects.toMatchObject({ status: 404 });
    const { data: dir } = await octokit.rest.repos.getContent({
      owner: "acme",
      repo: "web",
      path: ".github",
    });
    expect(Array.isArray(dir) ? dir.map((e) => e.name) : []).toEqual(["slack-deploy-gate.yml"]);
    expect(fake.violations).toEqual([]);
  });
});

describe("request validation against @octokit/openapi", () => {
  it("answers 404 to an unknown route and records it", async () => {
    const token = await installationToken();
    const response = await call("GET", "/repos/acme/web/deployment-gates", token);
    expect(response).toMatchObject({ status: 404, json: { message: "Not Found" } });
    expect((await call("DELETE", "/app", token)).status).toBe(404);
    const outside = await fetch(`${fake.url}/repos/acme/web`);
    expect(outside.status).toBe(404);
    expect(fake.violations).toHaveLength(3);
    expect(fake.violations[0]).toContain("GET /api/v3/repos/acme/web/deployment-gates");
  });

  it("answers 422 to path parameters and bodies off schema, and to unparseable JSON with 400", async () => {
    const token = await installationToken();
    const badId = await call("GET", "/repos/acme/web/actions/runs/not-a-number", token);
    expect(badId.status).toBe(422);
    const missing = await call("POST", "/repos/acme/web/check-runs", token, { name: "gate" });
    expect(missing.status).toBe(422);
    expect(String(missing.json?.message)).toMatch(/^Invalid request\.\n\n.*head_sha/s);
    const unfinished = await call("POST", "/repos/acme/web/check-runs", token, {
      name: "gate",
      head_sha: SHA,
      status: "completed",
    });
    expect(unfinished.status).toBe(422);
    expect((await call("POST", "/repos/acme/web/check-runs", token, "{not json")).status).toBe(400);
    expect(fake.violations).toHaveLength(4);
    expect(fake.checkRuns("acme/web")).toEqual([]);
  });

  it("flags an octokit call whose body breaks the description", async () => {
    const octokit = installationOctokit();
    await expect(
      octokit.request("POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches", {
        owner: "acme",
        repo: "web",
        workflow_id: "deploy.yml",
        inputs: { environment: "production" },
      } as never),
    ).rejects.toMatchObject({ status: 422 });
    expect(fake.violations).toEqual([expect.stringContaining("ref")]);
    expect(fake.dispatches).toEqual([]);
  });
});

describe("the deployment protection rule review", () => {
  // Untyped on purpose: some tests send bodies the endpoint's types forbid.
  const review = (body: Record<string, unknown>) =>
    installationOctokit().request(
      "POST /repos/{owner}/{repo}/actions/runs/{run_id}/deployment_protection_rule",
      {
        owner: "acme",
        repo: "web",
        run_id: 9001,
        ...body,
      } as never,
    );

  it("refuses `state: approve` with 422, records the violation, and leaves the run waiting", async () => {
    await expect(
      review({ environment_name: "production", state: "approve", comment: "ok" }),
    ).rejects.toMatchObject({
      status: 422,
    });
    await expect(review({ environment_name: "production", state: "approve" })).rejects.toMatchObject({
      status: 422,
    });
    expect(fake.violations).toHaveLength(2);
    expect(fake.violations.every((v) => v.includes("approve"))).toBe(true);
    expect(fake.getRun("acme/web", 9001)).toMatchObject({
      status: "waiting",
      waitingEnvironments: ["production"],
    });
    expect(fake.reviews).toEqual([]);
  });

  it("approves a waiting environment once (204), then answers 422 because nothing waits", async () => {
    const first = await review({
      environment_name: "production",
      state: "approved",
      comment: "Approved by @jane",
    });
    expect(first.status).toBe(204);
    expect(fake.getRun("acme/web", 9001)).toMatchObject({
      status: "in_progress",
      conclusion: null,
      waitingEnvironments: [],
    });
    expect(fake.reviews).toEqual([
      {
        repository: "acme/web",
        runId: 9001,
        environment: "production",
        state: "approved",
        comment: "Approved by @jane",
      },
    ]);
    await expect(
      review({ environment_name: "production", state: "approved", comment: "again" }),
    ).rejects.toMatchObject({
      status: 422,
    });
    expect(fake.reviews).toHaveLength(1);
    expect(fake.violations).toEqual([]);
  });

  it("matches the environment name ignoring case, as GitHub does", async () => {
    expect((await review({ environment_name: "Production", state: "approved" })).status).toBe(204);
    expect(fake.getRun("acme/web", 9001).waitingEnvironments).toEqual([]);
    expect(fake.reviews.at(-1)).toMatchObject({ environment: "Production", state: "approved" });
  });

  it("rejects: the run concludes as failure", async () => {
    expect(
      (await review({ environment_name: "production", state: "rejected", comment: "Not today" })).status,
    ).toBe(204);
    expect(fake.getRun("acme/web", 9001)).toMatchObject({ status: "completed", conclusion: "failure" });
  });

  it("answers 422 for another environment, a cancelled run, and 404 for an unknown run", async () => {
    await expect(review({ environment_name: "staging", state: "approved" })).rejects.toMatchObject({
      status: 422,
    });
    await expect(
      installationOctokit().request(
        "POST /repos/{owner}/{repo}/actions/runs/{run_id}/deployment_protection_rule",
        {
          owner: "acme",
          repo: "web",
          run_id: 1,
          environment_name: "production",
          state: "approved",
        },
      ),
    ).rejects.toMatchObject({ status: 404 });
    fake.cancelRun("acme/web", 9001);
    await expect(review({ environment_name: "production", state: "approved" })).rejects.toMatchObject({
      status: 422,
    });
    expect(fake.getRun("acme/web", 9001)).toMatchObject({ status: "completed", conclusion: "cancelled" });
    expect(fake.violations).toEqual([]);
  });

  it("re-arms the gate on a re-run, with a new attempt", async () => {
    await review({ environment_name: "production", state: "rejected", comment: "No" });
    fake.rerun("acme/web", 9001);
    expect(fake.getRun("acme/web", 9001)).toMatchObject({
      runAttempt: 2,
      status: "waiting",
      conclusion: null,
      waitingEnvironments: ["production"],
    });
    const { data } = await installationOctokit().rest.actions.getWorkflowRun({
      owner: "acme",
      repo: "web",
      run_id: 9001,
    });
    expect(data.run_attempt).toBe(2);
    const { data: pending } = await installationOctokit().rest.actions.getPendingDeploymentsForRun({
      owner: "acme",
      repo: "web",
      run_id: 9001,
    });
    expect(pending.map((p) => p.environment.name)).toEqual(["production"]);
    expect((await review({ environment_name: "production", state: "approved" })).status).toBe(204);
    expect(fake.violations).toEqual([]);
  });

  it("does not let a workflow token review the App's rule", async () => {
    const response = await call(
      "POST",
      "/repos/acme/web/actions/runs/9001/deployment_protection_rule",
      ACTION_TOKEN,
      {
        environment_name: "production",
        state: "approved",
      },
    );
    expect(response.status).toBe(403);
    expect(fake.violations).toHaveLength(1);
    expect(fake.getRun("acme/web", 9001).waitingEnvironments).toEqual(["production"]);
  });

  it("fails on demand (502 once), then accepts the retry", async () => {
    fake.failNext({ method: "POST", path: /deployment_protection_rule$/ }, 502);
    await expect(review({ environment_name: "production", state: "approved" })).rejects.toMatchObject({
      status: 502,
    });
    expect(fake.getRun("acme/web", 9001).status).toBe("waiting");
    expect((await review({ environment_name: "production", state: "approved" })).status).toBe(204);
    expect(
      fake.requests
        .filter((r) => r.operationId === "actions/review-custom-gates-for-run")
        .map((r) => r.status),
    ).toEqual([502, 204]);
    expect(fake.violations).toEqual([]);
  });
});

describe("responses match GitHub's description", () => {
  it("answers every implemented operation with a body the description accepts", async () => {
    const octokit = installationOctokit();
    const repo = { owner: "acme", repo: "web" };
    await octokit.rest.repos.get(repo);
    await octokit.rest.repos.getCommit({ ...repo, ref: SHA });
    await octokit.rest.repos.getCommit({ ...repo, ref: "main" });
    await octokit.rest.repos.getContent({ ...repo, path: "README.md" });
    await octokit.rest.actions.getWorkflowRun({ ...repo, run_id: 9001 });
    await octokit.rest.actions.getWorkflowRunAttempt({ ...repo, run_id: 9001, attempt_number: 1 });
    await octokit.rest.actions.getPendingDeploymentsForRun({ ...repo, run_id: 9001 });
    const { data: created } = await octokit.rest.checks.create({
      ...repo,
      name: "slack-deploy-gate",
      head_sha: SHA,
      external_id: "req-1",
    });
    const { data: updated } = await octokit.rest.checks.update({
      ...repo,
      check_run_id: created.id,
      conclusion: "success",
      output: { title: "Approved", summary: "by @jane" },
    });
    expect(updated).toMatchObject({ status: "completed", conclusion: "success", external_id: "req-1" });
    const { data: listed } = await octokit.rest.checks.listForRef({
      ...repo,
      ref: SHA,
      check_name: "slack-deploy-gate",
    });
    expect(listed.check_runs.map((c) => c.id)).toEqual([created.id]);
    fake.setFile(
      "acme/web",
      ".github/workflows/deploy.yml",
      "on:\n  workflow_dispatch:\n    inputs:\n      a: {}\n",
    );
    const dispatched = await octokit.rest.actions.createWorkflowDispatch({
      ...repo,
      workflow_id: "deploy.yml",
      ref: "main",
      inputs: { a: "1" },
    });
    expect(dispatched.status).toBe(204);
    expect(fake.dispatches).toEqual([
      { repository: "acme/web", workflowId: "deploy.yml", ref: "main", inputs: { a: "1" } },
    ]);
    const app = appOctokit();
    await app.rest.apps.getAuthenticated();
    await app.rest.apps.getInstallation({ installation_id: 7 });
    await app.rest.apps.getRepoInstallation(repo);
    // The fake checks its own answers against the response schemas and records any mismatch here.
    expect(fake.violations).toEqual([]);
    expect(new Set(fake.requests.map((r) => r.status))).toEqual(new Set([200, 201, 204]));
  });

  it("tells apart a check run made by the App from one made with a workflow token", async () => {
    const mine = await installationOctokit().rest.checks.create({
      owner: "acme",
      repo: "web",
      name: "gate",
      head_sha: SHA,
    });
    const theirs = await call("POST", "/repos/acme/web/check-runs", ACTION_TOKEN, {
      name: "gate",
      head_sha: SHA,
    });
    expect(mine.data.app?.id).toBe(APP_ID);
    expect(theirs.json?.app).toMatchObject({ slug: "github-actions" });
    const { data } = await installationOctokit().rest.checks.listForRef({
      owner: "acme",
      repo: "web",
      ref: SHA,
      app_id: APP_ID,
    });
    expect(data.total_count).toBe(1);
    expect(fake.checkRuns("acme/web")).toHaveLength(2);
    expect(fake.violations).toEqual([]);
  });

  it("has a response checker that catches a wrong shape", () => {
    const api = githubOpenApi();
    expect(
      api.checkComponent("installation-token", { token: "t", expires_at: "2030-01-01T00:00:00Z" }),
    ).toBeUndefined();
    expect(api.checkComponent("installation-token", { token: 1 })).toMatch(/expires_at|token/);
    expect(api.checkComponent("pending-deployment", { environment: {}, wait_timer: "0" })).toBeDefined();
  });
});

describe("webhooks", () => {
  it("builds a deployment_protection_rule payload that @octokit/webhooks-schemas accepts", () => {
    const payload = fake.deploymentProtectionRulePayload("acme/web", 9001, "production") as Record<
      string,
      unknown
    >;
    expect(() => checkWebhookPayload("deployment_protection_rule", payload)).not.toThrow();
    expect(payload).toMatchObject({
      action: "requested",
      environment: "production",
      event: "push",
      deployment_callback_url: `${fake.apiUrl}/repos/acme/web/actions/runs/9001/deployment_protection_rule`,
      installation: { id: 7 },
      repository: { full_name: "acme/web" },
      sender: { login: "joe" },
      deployment: { sha: SHA, environment: "production" },
    });
  });

  it("signs deliveries so @octokit/webhooks-methods verifies them, with GitHub's headers", async () => {
    const result = await fake.sendDeploymentProtectionRule("acme/web", 9001, "production");
    expect(result).toEqual({ status: 202, body: "accepted" });
    expect(deliveries).toHaveLength(1);
    const [delivery] = deliveries as [Delivery];
    expect(delivery.headers["x-github-event"]).toBe("deployment_protection_rule");
    expect(delivery.headers["x-github-delivery"]).toMatch(/^[0-9a-f-]{36}$/);
    const signature = String(delivery.headers["x-hub-signature-256"]);
    expect(await verify(SECRET, delivery.body, signature)).toBe(true);
    expect(await verify("another-secret", delivery.body, signature)).toBe(false);
    expect(JSON.parse(delivery.body)).toMatchObject({ action: "requested", environment: "production" });
  });

  it("throws on a payload off schema and sends nothing", async () => {
    const payload = fake.deploymentProtectionRulePayload("acme/web", 9001, "production") as Record<
      string,
      unknown
    >;
    const { repository: _dropped, ...broken } = payload;
    await expect(fake.sendWebhook("deployment_protection_rule", broken)).rejects.toThrow(WebhookPayloadError);
    await expect(
      fake.sendWebhook("deployment_protection_rule", { ...payload, action: "approved" }),
    ).rejects.toThrow(/no schema/);
    await expect(
      fake.sendWebhook("deployment_protection_rule", { ...payload, surprise: true }),
    ).rejects.toThrow(/additional properties/);
    expect(deliveries).toEqual([]);
  });

  it("builds a schema-valid push to the default branch that moves its head", async () => {
    const payload = fake.pushPayload("acme/web", [".github/slack-deploy-gate.yml"]) as {
      ref: string;
      before: string;
      after: string;
      head_commit: { modified: string[] };
    };
    expect(() => checkWebhookPayload("push", payload)).not.toThrow();
    expect(payload.ref).toBe("refs/heads/main");
    expect(payload.before).toBe(SHA);
    expect(payload.head_commit.modified).toEqual([".github/slack-deploy-gate.yml"]);
    const { data } = await installationOctokit().rest.repos.getCommit({
      owner: "acme",
      repo: "web",
      ref: "main",
    });
    expect(data.sha).toBe(payload.after);
    expect((await fake.sendWebhook("push", payload)).status).toBe(202);
  });

  it("drives a real Probot app end to end: webhook, config with org fallback, review", async () => {
    fake.addRun({
      repository: "acme/api",
      runId: 77,
      headSha: SHA,
      actor: "jane",
      waitingEnvironments: ["production"],
    });
    const probot = new Probot({
      appId: APP_ID,
      privateKey,
      secret: SECRET,
      baseUrl: fake.apiUrl,
      logLevel: "fatal",
    });
    const seen: unknown[] = [];
    const middleware = await createNodeMiddleware(
      (app) => {
        app.on("deployment_protection_rule.requested", async (context) => {
          seen.push(await context.config("slack-deploy-gate.yml"));
          const { deployment_callback_url: url, environment } = context.payload;
          await context.octokit.request(`POST ${url}`, {
            environment_name: environment,
            state: "approved",
            comment: "ok",
          });
        });
      },
      { probot },
    );
    const appServer = createServer((req, res) => {
      void middleware(req, res, () => res.writeHead(404).end());
    });
    fake.webhookUrl = `${await listen(appServer)}/api/github/webhooks`;
    try {
      const result = await fake.sendDeploymentProtectionRule("acme/api", 77, "production");
      expect(result.status).toBe(200);
      expect(seen).toEqual([{ environments: { default: { approvers: { groups: ["S0LEADS"] } } } }]);
      expect(fake.reviews).toEqual([
        { repository: "acme/api", runId: 77, environment: "production", state: "approved", comment: "ok" },
      ]);
      expect(fake.getRun("acme/api", 77).status).toBe("in_progress");
      expect(fake.violations).toEqual([]);
    } finally {
      await close(appServer);
    }
  });
});
