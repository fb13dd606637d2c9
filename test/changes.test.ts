// What changed since the last successful deployment, read by the shared reader (common/changes.ts)
// through a workflow's own token (@actions/github, as the Action does) from the schema-checked fake
// GitHub: a first deployment, a normal history, a re-deploy, a rollback, a force-pushed history, a
// deployed commit GitHub no longer has, and a token that cannot read deployments; and the words the
// message shows for each (escaped, linked only to GitHub).
import { getOctokit } from "@actions/github";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Changes, readChanges } from "../common/changes.js";
import { changesText } from "../common/message.js";
import { type FakeGitHub, startFakeGitHub } from "../testkit/fakes/github.js";
import { fakeSha } from "../testkit/fakes/github-state.js";
import { checkWebhookPayload } from "../testkit/fakes/github-webhooks.js";
import { newPrivateKey } from "../testkit/helpers/keys.js";

const TOKEN = "ghs_workflowtokenforchanges";
const privateKey = newPrivateKey();

let github: FakeGitHub;
let repoCount = 0;

beforeAll(async () => {
  github = await startFakeGitHub({ appId: 77_001, privateKey, webhookSecret: "s" });
}, 30_000);

afterAll(async () => {
  await github.close();
});

/** A repository with a linear history of `n` commits on main: c1 (oldest) … cn. */
function repository(n: number): { name: string; sha: (i: number) => string } {
  repoCount += 1;
  const name = `acme/changes-${repoCount}`;
  github.addRepository({ fullName: name });
  github.addStaticToken(`${TOKEN}${repoCount}`, name);
  const sha = (i: number) => fakeSha(`${name}:c${i}`);
  for (let i = 1; i <= n; i++) {
    github.deployments.commit(name, {
      sha: sha(i),
      message: `Change ${i} <!channel>\n\nbody`,
      author: `dev${i}`,
    });
  }
  return { name, sha };
}

async function changes(name: string, sha: string, environment = "production"): Promise<Changes> {
  const client = getOctokit(`${TOKEN}${repoCount}`, { baseUrl: github.apiUrl });
  const [owner, repo] = name.split("/") as [string, string];
  return readChanges(client, { owner, repo, environment, sha });
}

describe("what changed since the last successful deployment", () => {
  it("says a first deployment is one, whatever other environments had", async () => {
    const r = repository(3);
    github.deployments.deploy(r.name, { sha: r.sha(1), environment: "staging", states: ["success"] });
    github.deployments.deploy(r.name, {
      sha: r.sha(2),
      environment: "production",
      states: ["in_progress", "failure"],
    });
    const found = await changes(r.name, r.sha(3));
    expect(found).toEqual({ kind: "first" });
    expect(changesText(found, "production")).toContain("*First deployment to production*");
  });

  it("counts the commits since the deployment running now, newest first, with authors and a compare link", async () => {
    const r = repository(9);
    github.deployments.deploy(r.name, {
      sha: r.sha(1),
      environment: "production",
      states: ["success", "inactive"],
    });
    github.deployments.deploy(r.name, { sha: r.sha(2), environment: "production", states: ["success"] });
    // A later attempt that failed does not count: production still runs c2.
    github.deployments.deploy(r.name, { sha: r.sha(5), environment: "production", states: ["failure"] });
    // The deployment waiting at this very gate is not "the last deployment" either.
    github.deployments.deploy(r.name, { sha: r.sha(9), environment: "production", states: ["queued"] });
    const found = await changes(r.name, r.sha(9));
    expect(found).toMatchObject({
      kind: "ahead",
      since: { sha: r.sha(2) },
      count: 7,
      compareUrl: `${github.url}/${r.name}/compare/${r.sha(2)}...${r.sha(9)}`,
    });
    const ahead = found as Extract<Changes, { kind: "ahead" }>;
    expect(ahead.commits.map((c) => [c.title, c.author])).toEqual([
      ["Change 9 <!channel>", "dev9"],
      ["Change 8 <!channel>", "dev8"],
      ["Change 7 <!channel>", "dev7"],
      ["Change 6 <!channel>", "dev6"],
      ["Change 5 <!channel>", "dev5"],
    ]);
    const text = changesText(found, "production");
    expect(text).toContain("*7 commits since the last deployment* to production");
    expect(text).toContain("Change 9 &lt;!channel&gt; — dev9");
    expect(text).toContain("… and 2 more");
    expect(text).not.toContain("<!channel>");
    expect(text).toContain(`<${github.url}/${r.name}/compare/`);
  });

  it("says a re-deploy of what runs now is one", async () => {
    const r = repository(2);
    github.deployments.deploy(r.name, { sha: r.sha(2), environment: "production", states: ["success"] });
    const found = await changes(r.name, r.sha(2));
    expect(found).toMatchObject({ kind: "same", since: { sha: r.sha(2) } });
    expect(changesText(found, "production")).toContain("*Already deployed*");
  });

  it("calls an older commit a rollback, with how many deployed commits it takes back", async () => {
    const r = repository(4);
    github.deployments.deploy(r.name, { sha: r.sha(4), environment: "production", states: ["success"] });
    const found = await changes(r.name, r.sha(1));
    expect(found).toMatchObject({ kind: "behind", count: 3 });
    expect(changesText(found, "production")).toContain("*Rolls back 3 commits*");
  });

  it("says when a force-push rewrote the deployed history: new and dropped commits from where they part", async () => {
    const r = repository(3);
    github.deployments.deploy(r.name, { sha: r.sha(3), environment: "production", states: ["success"] });
    // main is force-pushed: c3 is dropped, c1 ← c2 ← x1 ← x2 is the new history.
    const x1 = fakeSha(`${r.name}:x1`);
    const x2 = fakeSha(`${r.name}:x2`);
    github.deployments.commit(r.name, {
      sha: x1,
      message: "Rewrite one",
      author: "rewriter",
      parent: r.sha(2),
    });
    github.deployments.commit(r.name, { sha: x2, message: "Rewrite two", author: "rewriter", parent: x1 });
    const found = await changes(r.name, x2);
    expect(found).toMatchObject({ kind: "rewritten", ahead: 2, behind: 1, since: { sha: r.sha(3) } });
    const rewritten = found as Extract<Changes, { kind: "rewritten" }>;
    expect(rewritten.commits.map((c) => c.title)).toEqual(["Rewrite two", "Rewrite one"]);
    expect(changesText(found, "production")).toContain("*History rewritten*");
    expect(changesText(found, "production")).toContain("2 new, 1 deployed commit dropped");
  });

  it("says so when GitHub no longer has the deployed commit at all", async () => {
    const r = repository(2);
    github.deployments.deploy(r.name, {
      sha: fakeSha("gone"),
      environment: "production",
      states: ["success"],
    });
    const found = await changes(r.name, r.sha(2));
    expect(found).toMatchObject({ kind: "rewritten", ahead: null, behind: null, compareUrl: null });
    expect(changesText(found, "production")).toContain("GitHub no longer has the deployed commit");
  });

  it("reports a token that cannot read deployments as unknown, with what it needs", async () => {
    const r = repository(1);
    const outsider = getOctokit("ghs_nobody", { baseUrl: github.apiUrl });
    github.addStaticToken("ghs_nobody", "acme/elsewhere");
    const [owner, repo] = r.name.split("/") as [string, string];
    const found = await readChanges(outsider, { owner, repo, environment: "production", sha: r.sha(1) });
    expect(found).toEqual({
      kind: "unknown",
      reason: "GitHub answered 404: the token needs deployments: read and contents: read",
    });
    expect(changesText(found, "production")).toContain("unknown: GitHub answered 404");
  });

  it("served every call within GitHub's published description", () => {
    expect(github.violations).toEqual([]);
  });
});

describe("the fake GitHub's deployment_review and workflow_job payloads", () => {
  it("match @octokit/webhooks-schemas", () => {
    const r = repository(1);
    github.addRun({
      repository: r.name,
      runId: 901,
      headSha: r.sha(1),
      actor: "dave",
      waitingEnvironments: ["production"],
    });
    for (const state of ["approved", "rejected"] as const) {
      checkWebhookPayload(
        "deployment_review",
        github.deployments.deploymentReviewPayload(r.name, 901, {
          state,
          environment: "production",
          reviewer: "octocat",
          comment: "ok",
        }),
      );
    }
    const deploy = github.deployments.addJob(r.name, 901, { name: "deploy", environment: "production" });
    const build = github.deployments.addJob(r.name, 901, { name: "build" });
    for (const action of ["queued", "waiting", "in_progress", "completed"] as const) {
      checkWebhookPayload("workflow_job", github.deployments.workflowJobPayload(deploy, action));
      checkWebhookPayload("workflow_job", github.deployments.workflowJobPayload(build, action));
    }
  });
});
