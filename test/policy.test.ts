// The policy as production reads it: createPolicyLoader().load() with an installation's Octokit
// (Probot's, as the App builds it) against the fake GitHub, which serves the file through the
// contents API as GitHub does. Every message asserted here is the one a clicker is shown (after
// "The approval policy is invalid, so nobody can approve until it is fixed: ").
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { pino } from "pino";
import { Probot } from "probot";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { AppOctokit } from "../app/github/octokit.js";
import {
  type ContentsReader,
  createPolicyLoader,
  githubLoginFor,
  POLICY_LIMITS,
  POLICY_PATH,
  type Policy,
  type PolicyResult,
  resolveEnvironment,
  slackUsersForGithubLogin,
} from "../app/policy/index.js";
import { type FakeGitHub, startFakeGitHub } from "../testkit/fakes/github.js";
import { newPrivateKey } from "../testkit/helpers/keys.js";

const APP_ID = 5151;
const SOURCE = "acme/api:.github/slack-deploy-gate.yml";
const ACME_REPOS = ["acme/api", "acme/web", "acme/app", "acme/.github", "acme/a", "acme/b", "acme/c"];
const OTHER_REPOS = ["other/api"];

const EXAMPLE = `# who may approve deployments from Slack
environments:
  production:
    approvers:
      users: [U0123ABCD, W0456EFGH]   # Slack user IDs
      groups: [S0SREGROUP]
    required-approvals: 2
    allow-self-approval: false
    expire-after: 24h
  Staging:
    approvers: { users: [U0123ABCD] }
    allow-self-approval: true
    expire-after: 90m
  default:
    approvers: { groups: [S0LEADS] }
github-users:
  U0123ABCD: octocat
  W0456EFGH: Hubot
  U0999ZZZZ: OctoCat
`;
const GOOD = "environments:\n  production:\n    approvers: { users: [U0AAA] }\n";
const ORG = "environments:\n  default:\n    approvers: { groups: [S0ORG] }\n";

let github: FakeGitHub;
/** acme's installation, as the App gets it from Probot (`app.auth(id)`). */
let acme: ContentsReader;
let other: ContentsReader;

beforeAll(async () => {
  const privateKey = newPrivateKey();
  github = await startFakeGitHub({ appId: APP_ID, privateKey, webhookSecret: "unused" });
  for (const fullName of [...ACME_REPOS, ...OTHER_REPOS]) github.addRepository({ fullName });
  github.addInstallation({ id: 1, account: "acme", repositories: ACME_REPOS });
  github.addInstallation({ id: 2, account: "other", repositories: OTHER_REPOS });
  const probot = new Probot({
    appId: APP_ID,
    privateKey,
    baseUrl: github.apiUrl,
    // The App's Octokit, with its in-line retries kept short as in the App's tests.
    Octokit: AppOctokit.defaults({ retry: { retryAfterBaseValue: 10 } }),
    log: pino({ level: "silent" }),
  });
  acme = await probot.auth(1);
  other = await probot.auth(2);
});

afterAll(async () => {
  await github?.close();
});

beforeEach(() => {
  for (const fullName of [...ACME_REPOS, ...OTHER_REPOS]) github.setFile(fullName, POLICY_PATH, null);
  github.requests.length = 0;
  expect(github.violations).toEqual([]);
});

/** `owner/repo` of every policy read GitHub served since the test began, in order. */
function reads(): string[] {
  return github.requests
    .filter((r) => r.operationId === "repos/get-content")
    .map((r) => /^\/repos\/([^/]+\/[^/]+)\//.exec(r.path)?.[1] ?? r.path);
}

function setPolicy(text: string | null, repository = "acme/api"): void {
  github.setFile(repository, POLICY_PATH, text);
}

async function loadApi(text: string): Promise<PolicyResult> {
  setPolicy(text);
  return createPolicyLoader({ ttlMs: 60_000 }).load(acme, "acme", "api");
}

async function policyOf(text: string): Promise<Policy> {
  const result = await loadApi(text);
  if (!result.ok) throw new Error(`expected a policy, got ${result.kind}: ${result.message}`);
  return result.policy;
}

/** The message a clicker is shown for this file, which must be refused as invalid. */
async function problemOf(text: string): Promise<string> {
  const result = await loadApi(text);
  if (result.ok || result.kind !== "invalid") {
    throw new Error(`expected an invalid policy, got ${JSON.stringify(result).slice(0, 300)}`);
  }
  return result.message;
}

function okPolicy(result: PolicyResult): Policy {
  if (!result.ok) throw new Error(`expected a policy, got ${result.kind}: ${result.message}`);
  return result.policy;
}

/** `count` distinct Slack user IDs of four characters (`U000`…), five bytes each in a flow list. */
function userIds(count: number, offset = 0): string[] {
  return Array.from(
    { length: count },
    (_, i) => `U${(i + offset).toString(36).toUpperCase().padStart(3, "0")}`,
  );
}

describe("reading the file", () => {
  it("reads the documented example", async () => {
    const policy = await policyOf(EXAMPLE);
    expect(policy.source).toBe(SOURCE);
    expect(policy.environments.get("production")).toEqual({
      name: "production",
      users: ["U0123ABCD", "W0456EFGH"],
      groups: ["S0SREGROUP"],
      githubLogins: [],
      githubTeams: [],
      requireLinkedAccount: false,
      requiredApprovals: 2,
      allowSelfApproval: false,
      expireAfterMs: 24 * 3_600_000,
      remindAfterMs: null,
      channel: null,
    });
    expect(policy.environments.get("Staging")).toMatchObject({
      allowSelfApproval: true,
      expireAfterMs: 90 * 60_000,
    });
    expect(policy.environments.get("default")).toEqual({
      name: "default",
      users: [],
      groups: ["S0LEADS"],
      githubLogins: [],
      githubTeams: [],
      requireLinkedAccount: false,
      requiredApprovals: 1,
      allowSelfApproval: false,
      expireAfterMs: 24 * 3_600_000,
      remindAfterMs: null,
      channel: null,
    });
    expect([...policy.githubUsers]).toEqual([
      ["U0123ABCD", "octocat"],
      ["W0456EFGH", "Hubot"],
      ["U0999ZZZZ", "OctoCat"],
    ]);
    expect(reads()).toEqual(["acme/api"]);
  });

  it("falls back to the org's .github repository", async () => {
    setPolicy(ORG, "acme/.github");
    const result = await createPolicyLoader({ ttlMs: 60_000 }).load(acme, "acme", "web");
    expect(result).toMatchObject({ ok: true, source: "acme/.github:.github/slack-deploy-gate.yml" });
    expect(resolveEnvironment(okPolicy(result), "production")?.groups).toEqual(["S0ORG"]);
    expect(reads()).toEqual(["acme/web", "acme/.github"]);
  });

  it("reports a missing policy, naming both places it looked", async () => {
    expect(await createPolicyLoader({ ttlMs: 1000 }).load(acme, "acme", "api")).toEqual({
      ok: false,
      kind: "missing",
      message:
        "No slack-deploy-gate policy: neither acme/api nor acme/.github has .github/slack-deploy-gate.yml on its default branch, so nobody may approve deployments from Slack.",
    });
    expect(reads()).toEqual(["acme/api", "acme/.github"]);
  });

  it("says which repository lacks the file when asked about .github itself", async () => {
    const result = await createPolicyLoader({ ttlMs: 1000 }).load(acme, "acme", ".github");
    expect(result).toMatchObject({ ok: false, kind: "missing" });
    expect(!result.ok && result.message).toContain("acme/.github has no .github/slack-deploy-gate.yml");
    expect(reads()).toEqual(["acme/.github"]);
  });

  it("refuses a directory where the file should be", async () => {
    github.setFile("acme/api", `${POLICY_PATH}/production.yml`, GOOD);
    expect(await createPolicyLoader({ ttlMs: 1000 }).load(acme, "acme", "api")).toEqual({
      ok: false,
      kind: "invalid",
      message: `Invalid policy ${SOURCE}: the path is a directory, not a file`,
    });
    github.setFile("acme/api", `${POLICY_PATH}/production.yml`, null);
  });

  it("fails closed on GitHub errors, and does not cache them", async () => {
    setPolicy(GOOD);
    // Probot's Octokit retries a 5xx three times; the fourth answer stands.
    github.failNext({ path: /\/contents\// }, 502, 4);
    const loader = createPolicyLoader({ ttlMs: 60_000 });
    expect(await loader.load(acme, "acme", "api")).toEqual({
      ok: false,
      kind: "error",
      message:
        "Could not read the policy for acme/api from GitHub (HTTP 502); approvals wait until it can be read.",
    });
    expect((await loader.load(acme, "acme", "api")).ok).toBe(true);
    expect(reads()).toEqual(Array(5).fill("acme/api"));
  });

  it("fails closed when the org fallback errors", async () => {
    github.failNext({ path: /^\/repos\/acme\/\.github\/contents\// }, 500, 4);
    expect(await createPolicyLoader({ ttlMs: 1000 }).load(acme, "acme", "api")).toEqual({
      ok: false,
      kind: "error",
      message:
        "Could not read the policy for acme/.github from GitHub (HTTP 500); approvals wait until it can be read.",
    });
  });
});

describe("the cache", () => {
  it("serves from the cache until the TTL passes", async () => {
    let now = 1_000_000;
    setPolicy(GOOD);
    const loader = createPolicyLoader({ ttlMs: 60_000, now: () => now });
    await loader.load(acme, "acme", "api");
    setPolicy(ORG);
    now += 60_000;
    expect(okPolicy(await loader.load(acme, "ACME", "Api")).environments.has("production")).toBe(true);
    expect(reads()).toEqual(["acme/api"]);
    now += 1;
    expect(okPolicy(await loader.load(acme, "acme", "api")).environments.has("default")).toBe(true);
    expect(reads()).toEqual(["acme/api", "acme/api"]);
  });

  it("shares one read among concurrent loads", async () => {
    setPolicy(GOOD);
    const loader = createPolicyLoader({ ttlMs: 60_000 });
    const results = await Promise.all(Array.from({ length: 20 }, () => loader.load(acme, "acme", "api")));
    expect(results.every((r) => r.ok)).toBe(true);
    expect(reads()).toEqual(["acme/api"]);
  });

  it("shares one failure among concurrent loads, and keeps none of it", async () => {
    setPolicy(GOOD);
    github.failNext({ path: /\/contents\// }, 500, 4);
    const loader = createPolicyLoader({ ttlMs: 60_000 });
    const results = await Promise.all(Array.from({ length: 5 }, () => loader.load(acme, "acme", "api")));
    expect(results.map((r) => r.ok || r.kind)).toEqual(Array(5).fill("error"));
    expect(reads()).toHaveLength(4);
    expect((await loader.load(acme, "acme", "api")).ok).toBe(true);
  });

  it("drops a repository's entry on invalidate", async () => {
    setPolicy(GOOD, "acme/api");
    setPolicy(GOOD, "acme/web");
    const loader = createPolicyLoader({ ttlMs: 60_000 });
    await loader.load(acme, "acme", "api");
    await loader.load(acme, "acme", "web");
    setPolicy(ORG, "acme/api");
    loader.invalidate("Acme", "API");
    expect(okPolicy(await loader.load(acme, "acme", "api")).environments.has("default")).toBe(true);
    await loader.load(acme, "acme", "web");
    expect(reads()).toEqual(["acme/api", "acme/web", "acme/api"]);
  });

  it("drops the whole org when its .github repository changes", async () => {
    setPolicy(ORG, "acme/.github");
    setPolicy(GOOD, "other/api");
    const loader = createPolicyLoader({ ttlMs: 60_000 });
    await loader.load(acme, "acme", "web");
    await loader.load(acme, "acme", "app");
    await loader.load(other, "other", "api");
    github.requests.length = 0;
    loader.invalidate("acme", ".github");
    await loader.load(acme, "acme", "web");
    await loader.load(acme, "acme", "app");
    await loader.load(other, "other", "api");
    expect(reads()).toEqual(["acme/web", "acme/.github", "acme/app", "acme/.github"]);
    github.requests.length = 0;
    loader.invalidate("other");
    await loader.load(other, "other", "api");
    expect(reads()).toEqual(["other/api"]);
  });

  it("reads again when the file changes during a read, and answers with the new file", async () => {
    setPolicy(GOOD);
    const loader = createPolicyLoader({ ttlMs: 60_000 });
    const first = loader.load(acme, "acme", "api");
    setPolicy(ORG);
    loader.invalidate("acme", "api");
    expect(okPolicy(await first).environments.has("default")).toBe(true);
    expect(okPolicy(await loader.load(acme, "acme", "api")).environments.has("default")).toBe(true);
    expect(reads()).toEqual(["acme/api", "acme/api"]);
  });

  it("reaches reads in flight when the whole org is invalidated", async () => {
    setPolicy(ORG, "acme/.github");
    const loader = createPolicyLoader({ ttlMs: 60_000 });
    const first = loader.load(acme, "acme", "web");
    setPolicy(GOOD, "acme/.github");
    loader.invalidate("acme");
    expect(okPolicy(await first).environments.has("production")).toBe(true);
  });

  it("keeps missing and invalid results briefly", async () => {
    let now = 1_000_000;
    const loader = createPolicyLoader({ ttlMs: 600_000, missTtlMs: 10_000, now: () => now });
    expect(await loader.load(acme, "acme", "api")).toMatchObject({ ok: false, kind: "missing" });
    expect(reads()).toEqual(["acme/api", "acme/.github"]);
    await loader.load(acme, "acme", "api");
    expect(reads()).toHaveLength(2);
    now += 10_001;
    setPolicy("environments: []\n");
    expect(await loader.load(acme, "acme", "api")).toMatchObject({ ok: false, kind: "invalid" });
    expect(reads()).toHaveLength(3);
    now += 10_001;
    setPolicy(GOOD);
    expect((await loader.load(acme, "acme", "api")).ok).toBe(true);
  });

  it("keeps at most maxEntries repositories, dropping the least recently used", async () => {
    for (const repo of ["acme/a", "acme/b", "acme/c"]) setPolicy(GOOD, repo);
    const loader = createPolicyLoader({ ttlMs: 60_000, maxEntries: 2 });
    for (const repo of ["a", "b", "c", "b", "a"]) await loader.load(acme, "acme", repo);
    expect(reads()).toEqual(["acme/a", "acme/b", "acme/c", "acme/a"]);
  });
});

describe("what is wrong with a file, and where", () => {
  it("drops duplicate IDs so they are not counted twice", async () => {
    const policy = await policyOf(
      "environments:\n  prod:\n    approvers: { users: [U0AAA, U0BBB, U0AAA] }\n    required-approvals: 2\n",
    );
    expect(policy.environments.get("prod")?.users).toEqual(["U0AAA", "U0BBB"]);
    expect(
      await problemOf(
        "environments:\n  prod:\n    approvers: { users: [U0AAA, U0BBB, U0AAA] }\n    required-approvals: 3\n",
      ),
    ).toBe(
      `Invalid policy ${SOURCE}: environments.prod.required-approvals (line 4): needs 3 approvals but only 2 users are listed and no groups or teams`,
    );
  });

  it("reports YAML syntax errors with line and column", async () => {
    expect(
      await problemOf("environments:\n  production:\n    approvers: {users: [U0123ABCD]\n  staging: {}\n"),
    ).toBe(
      `Invalid policy ${SOURCE}: line 4: YAML syntax error at column 3: Flow map in block collection must be sufficiently indented and end with a }`,
    );
    expect(await problemOf("environments:\n  production: [\n")).toMatch(
      new RegExp(`^Invalid policy ${SOURCE}: line \\d+: YAML syntax error at column \\d+: `),
    );
    expect(await problemOf("environments:\n  prod: {approvers: {users: [U0AAA]}}\n---\nother: 1\n")).toBe(
      `Invalid policy ${SOURCE}: line 3: YAML syntax error at column 1: the file holds more than one YAML document (---); a policy is one`,
    );
  });

  it("names a repeated key and where it first appeared", async () => {
    expect(await problemOf("environments:\n  prod: {approvers: {users: [U0AAA]}}\n  prod: {}\n")).toBe(
      `Invalid policy ${SOURCE}: environments.prod (line 3): repeats a key (first on line 2); each key may appear once`,
    );
    expect(await problemOf("environments:\n  prod:\n    approvers: {users: [U0AAA], users: [U0BBB]}\n")).toBe(
      `Invalid policy ${SOURCE}: environments.prod.approvers.users (line 3): repeats a key (first on line 3); each key may appear once`,
    );
  });

  it("reports a syntax error in the org fallback with its line", async () => {
    setPolicy("environments:\n  production: [\n", "acme/.github");
    const result = await createPolicyLoader({ ttlMs: 1000 }).load(acme, "acme", "web");
    expect(result).toMatchObject({ ok: false, kind: "invalid" });
    expect(!result.ok && result.message).toMatch(
      /^Invalid policy acme\/\.github:\.github\/slack-deploy-gate\.yml: line \d+: YAML syntax error at column \d+: /,
    );
  });

  it("suggests the key that was meant", async () => {
    expect(await problemOf("environments:\n  production:\n    aprovers:\n      users: [U0123ABCD]\n")).toBe(
      `Invalid policy ${SOURCE}: environments.production.aprovers (line 3): unknown key; did you mean "approvers"?`,
    );
    expect(await problemOf("enviroments:\n  production:\n    approvers: { users: [U0AAA] }\n")).toBe(
      `Invalid policy ${SOURCE}: enviroments (line 1): unknown key; did you mean "environments"?`,
    );
    expect(
      await problemOf(
        "environments:\n  prod:\n    approvers: { users: [U0AAA, U0BBB] }\n    required_approvals: 2\n",
      ),
    ).toContain(
      'environments.prod.required_approvals (line 4): unknown key; did you mean "required-approvals"?',
    );
    expect(await problemOf("environments:\n  prod:\n    approvers: { user: [U0AAA] }\n")).toContain(
      'environments.prod.approvers.user (line 3): unknown key; did you mean "users"?',
    );
    expect(
      await problemOf("environments:\n  prod:\n    approvers: { users: [U0AAA] }\n    colour: blue\n"),
    ).toContain(
      "environments.prod.colour (line 4): unknown key; expected one of: approvers, required-approvals, allow-self-approval, expire-after",
    );
  });

  it("points out environment rules written at the top level", async () => {
    expect(
      await problemOf(
        "environments:\n  staging:\n    approvers: { users: [U0AAA] }\nproduction:\n  approvers: { users: [U0AAA] }\n",
      ),
    ).toBe(
      `Invalid policy ${SOURCE}: production (line 4): unknown key; environment rules belong under environments (environments.production)`,
    );
  });

  it("names wrong types in the author's terms", async () => {
    const env = (rules: string) =>
      problemOf(`environments:\n  production:\n    approvers: { users: [U0AAA, U0BBB] }\n${rules}`);
    expect(await env('    required-approvals: "2"\n')).toBe(
      `Invalid policy ${SOURCE}: environments.production.required-approvals (line 4): must be a whole number from 1 to 20, found text "2"`,
    );
    expect(await env("    required-approvals: 0\n")).toContain(
      "must be a whole number from 1 to 20, found the number 0",
    );
    expect(await env("    required-approvals: 1.5\n")).toContain("found the number 1.5");
    expect(await env("    required-approvals: 21\n")).toContain("found the number 21");
    expect(await env("    allow-self-approval: yes\n")).toBe(
      `Invalid policy ${SOURCE}: environments.production.allow-self-approval (line 4): must be true or false, found text "yes"`,
    );
    expect(await env("    expire-after: 24\n")).toContain(
      "environments.production.expire-after (line 4): must be a duration such as 30m, 24h or 7d (minutes, hours or days), found the number 24",
    );
    expect(await env("    expire-after: 2w\n")).toContain('found text "2w"');
    expect(await env("    expire-after: 0m\n")).toContain("must be between 1m and 30d, found 0m");
    expect(await env("    expire-after: 31d\n")).toContain("must be between 1m and 30d, found 31d");
    expect(await problemOf("environments:\n  production:\n    approvers: [U0AAA]\n")).toContain(
      "environments.production.approvers (line 3): must be a mapping with users and/or groups, not a list",
    );
    expect(await problemOf("environments:\n  production:\n    approvers: { users: U0AAA }\n")).toContain(
      'environments.production.approvers.users (line 3): must be a list, e.g. [U0AAA], found text "U0AAA"',
    );
    expect(await problemOf("environments: [production]\n")).toBe(
      `Invalid policy ${SOURCE}: environments (line 1): must be a mapping of environment names to rules, found a list`,
    );
    expect(await problemOf("- production\n")).toBe(
      `Invalid policy ${SOURCE}: the policy must be a mapping with an environments key, found a list`,
    );
  });

  it("explains bad Slack IDs and GitHub logins", async () => {
    const users = (list: string) =>
      problemOf(`environments:\n  prod:\n    approvers:\n      users: [${list}]\n`);
    expect(await users("u0123abcd")).toBe(
      `Invalid policy ${SOURCE}: environments.prod.approvers.users[0] (line 4): Slack IDs are upper case: write U0123ABCD`,
    );
    expect(await users('"@jane"')).toContain(
      '"@jane" is a name, not a Slack user ID; use the member ID (U…)',
    );
    expect(await users("S0SREGROUP")).toContain('"S0SREGROUP" is a user group ID; list it under groups');
    expect(await users("jane.doe")).toContain(
      '"jane.doe" is not a Slack user ID (U… or W… followed by letters and digits)',
    );
    expect(await users("42")).toContain(
      "environments.prod.approvers.users[0] (line 4): must be a Slack ID, found the number 42",
    );
    const groups = (list: string) =>
      problemOf(`environments:\n  prod:\n    approvers:\n      groups: [${list}]\n`);
    expect(await groups("U0123ABCD")).toContain('"U0123ABCD" is a user ID; list it under users');
    expect(await groups('"@sre"')).toContain('"@sre" is a handle, not a user group ID');
    expect(await groups("team-sre")).toContain('"team-sre" is not a Slack user group ID (S…');

    const logins = (entry: string) =>
      problemOf(`environments:\n  prod:\n    approvers: { groups: [S0SRE] }\ngithub-users:\n  ${entry}\n`);
    expect(await logins("U0AAA: -octocat")).toBe(
      `Invalid policy ${SOURCE}: github-users.U0AAA (line 5): "-octocat" is not a valid GitHub login`,
    );
    expect(await logins('U0AAA: "@octocat"')).toContain('write the GitHub login without "@": octocat');
    expect(await logins("U0AAA: octo--cat")).toContain('"octo--cat" is not a valid GitHub login');
    expect(await logins(`U0AAA: ${"a".repeat(40)}`)).toContain("is not a valid GitHub login");
    expect(await logins("U0AAA: 12")).toContain(
      "github-users.U0AAA (line 5): must be a GitHub login, found the number 12",
    );
    expect(await logins("jane: octocat")).toContain(
      'github-users.jane (line 5): "jane" is not a Slack user ID',
    );
  });

  it("refuses approvals that could never be reached", async () => {
    expect(
      await problemOf(
        "environments:\n  prod:\n    approvers: { users: [U0AAA] }\n    required-approvals: 2\n",
      ),
    ).toBe(
      `Invalid policy ${SOURCE}: environments.prod.required-approvals (line 4): needs 2 approvals but only 1 user is listed and no groups or teams`,
    );
    // A group may hold any number of people, so the count cannot be checked.
    const withGroup = await policyOf(
      "environments:\n  prod:\n    approvers: { users: [U0AAA], groups: [S0SRE] }\n    required-approvals: 5\n",
    );
    expect(withGroup.environments.get("prod")?.requiredApprovals).toBe(5);
    expect(await problemOf("environments:\n  prod:\n    approvers: {}\n")).toContain(
      "environments.prod.approvers (line 3): lists no users and no groups, so nobody could approve",
    );
    expect(await problemOf("environments:\n  prod:\n    required-approvals: 1\n")).toContain(
      "environments.prod.approvers (line 3): required: who may approve",
    );
    expect(await problemOf("environments:\n  prod:\n")).toContain(
      "environments.prod (line 2): has no rules; add approvers",
    );
  });

  it("refuses environment names GitHub would treat as one", async () => {
    expect(
      await problemOf(
        "environments:\n  production:\n    approvers: { users: [U0AAA] }\n  Production:\n    approvers: { users: [U0BBB] }\n",
      ),
    ).toBe(
      `Invalid policy ${SOURCE}: environments.Production (line 4): repeats environments.production: GitHub environment names ignore case`,
    );
  });

  it("names environments that are not plain words precisely", async () => {
    expect(
      await problemOf(
        'environments:\n  "eu prod":\n    approvers: { users: [U0AAA] }\n    required-approvals: 3\n',
      ),
    ).toContain('environments["eu prod"].required-approvals (line 4)');
  });

  it("refuses empty, scalar and environment-less files", async () => {
    expect(await problemOf("")).toBe(
      `Invalid policy ${SOURCE}: the policy file is empty; it needs an environments mapping that names who may approve`,
    );
    expect(await problemOf("# nothing yet\n")).toContain("the policy file is empty");
    expect(await problemOf("just text\n")).toBe(
      `Invalid policy ${SOURCE}: the policy must be a mapping with an environments key, found text "just text"`,
    );
    expect(await problemOf("github-users: { U0AAA: octocat }\n")).toBe(
      `Invalid policy ${SOURCE}: environments: required: list the environments and who may approve them`,
    );
    expect(await problemOf("environments: {}\n")).toContain("environments (line 1): lists no environments");
  });

  it("lists every problem at once, the first ten in full", async () => {
    const message = await problemOf(
      "environments:\n  prod:\n    approvers: { users: [jane] }\n    required-approvals: many\n    expire-after: soon\n",
    );
    expect(message.split("\n")).toEqual([
      `Invalid policy ${SOURCE} (3 problems):`,
      '- environments.prod.approvers.users[0] (line 3): "jane" is not a Slack user ID (U… or W… followed by letters and digits)',
      '- environments.prod.required-approvals (line 4): must be a whole number from 1 to 20, found text "many"',
      '- environments.prod.expire-after (line 5): must be a duration such as 30m, 24h or 7d (minutes, hours or days), found text "soon"',
    ]);
    const many = await problemOf(
      `environments:\n  prod:\n    approvers:\n      users: [${Array.from({ length: 500 }, (_, i) => `bad${i}`).join(", ")}]\n`,
    );
    const lines = many.split("\n");
    expect(lines[0]).toBe(`Invalid policy ${SOURCE} (500 problems):`);
    expect(lines).toHaveLength(12);
    expect(lines[10]).toBe(
      '- environments.prod.approvers.users[9] (line 4): "bad9" is not a Slack user ID (U… or W… followed by letters and digits)',
    );
    expect(lines[11]).toBe("- and 490 more");
  });

  it("quotes no more than a short excerpt of the file", async () => {
    // YAML itself refuses keys over 1,024 characters.
    const key = "x".repeat(1000);
    const long = "x".repeat(10_000);
    const message = await problemOf(
      `environments:\n  "${key}":\n    approvers: { users: ["${long}"] }\n  prod:\n    approvers: { users: ["${long}"] }\n`,
    );
    expect(message.length).toBeLessThan(1000);
    expect(message).toContain(
      `environments["${"x".repeat(57)}..."] (line 2): is not a valid GitHub environment name`,
    );
    expect(message).toContain(`environments.prod.approvers.users[0] (line 5): "${"x".repeat(57)}..." is not`);
  });
});

describe("keys that are not the policy's", () => {
  it("refuses environments hidden under a top-level __proto__", async () => {
    expect(
      await problemOf(
        "__proto__:\n  environments:\n    production:\n      approvers: { users: [U0AAA] }\ngithub-users: {}\n",
      ),
    ).toBe(
      [
        `Invalid policy ${SOURCE} (2 problems):`,
        "- __proto__ (line 1): unknown key; expected one of: environments, github-users",
        "- environments: required: list the environments and who may approve them",
      ].join("\n"),
    );
  });

  it("refuses constructor and prototype at the top level, among rules and as environment names", async () => {
    expect(await problemOf(`constructor: {}\n${GOOD}`)).toBe(
      `Invalid policy ${SOURCE}: constructor (line 1): unknown key; expected one of: environments, github-users`,
    );
    expect(await problemOf("environments:\n  prototype:\n    approvers: { users: [U0AAA] }\n")).toBe(
      `Invalid policy ${SOURCE}: environments.prototype (line 2): "prototype" is reserved and cannot name an environment`,
    );
    expect(
      await problemOf("environments:\n  prod:\n    approvers: { users: [U0AAA], __proto__: [U0BBB] }\n"),
    ).toBe(
      `Invalid policy ${SOURCE}: environments.prod.approvers.__proto__ (line 3): unknown key; expected one of: users, groups, github-users, github-teams`,
    );
    expect(
      await problemOf("environments:\n  prod:\n    approvers: { users: [U0AAA] }\n    constructor: 1\n"),
    ).toContain("environments.prod.constructor (line 4): unknown key");
    expect(await problemOf(`${GOOD}github-users:\n  __proto__: octocat\n`)).toContain(
      'github-users.__proto__ (line 5): "__proto__" is not a Slack user ID',
    );
  });

  it("refuses _extends: the policy comes from this file or the org's, nowhere else", async () => {
    expect(await problemOf(`_extends: other-org/policies\n${GOOD}`)).toBe(
      `Invalid policy ${SOURCE}: _extends (line 1): unknown key; a policy cannot extend another file: write it out here (only this file is read, or the organization's .github repository when the repository has none)`,
    );
    expect(reads()).toEqual(["acme/api"]);
  });
});

describe("bounds on what a file can cost", () => {
  it("refuses a 6 MB file from its size, before reading it", async () => {
    const huge = `${GOOD}# ${"x".repeat(6 * 1024 * 1024)}\n`;
    expect(await problemOf(huge)).toBe(
      `Invalid policy ${SOURCE}: the file is 6.0 MiB; a policy may be at most 256 KiB`,
    );
    expect(await problemOf(`${GOOD}# ${"x".repeat(POLICY_LIMITS.maxFileBytes)}\n`)).toBe(
      `Invalid policy ${SOURCE}: the file is 256.1 KiB; a policy may be at most 256 KiB`,
    );
  });

  it("refuses an alias bomb", async () => {
    const bomb = [
      "a: &a [U0AAA, U0AAA, U0AAA, U0AAA, U0AAA, U0AAA, U0AAA, U0AAA, U0AAA]",
      "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]",
      "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]",
      "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]",
      "environments: { production: { approvers: { users: *d } } }",
      "",
    ].join("\n");
    expect(await problemOf(bomb)).toBe(
      `Invalid policy ${SOURCE}: YAML aliases (*name) nest inside each other too deeply; write the lists out, or name a Slack user group`,
    );
  });

  it("refuses more aliases than the limit, naming the line of the first one too many", async () => {
    const envs = Array.from({ length: 60 }, (_, i) => `  env${i}: { approvers: *sre }`).join("\n");
    expect(
      await problemOf(`environments:\n  production:\n    approvers: &sre { users: [U0AAA] }\n${envs}\n`),
    ).toBe(
      `Invalid policy ${SOURCE}: line 54: more than 50 YAML aliases (*name); write the lists out, or name a Slack user group`,
    );
    // Within the limit, aliases are welcome.
    const fifty = Array.from({ length: 50 }, (_, i) => `  env${i}: { approvers: *sre }`).join("\n");
    const policy = await policyOf(
      `environments:\n  production:\n    approvers: &sre { users: [U0AAA] }\n${fifty}\n`,
    );
    expect(policy.environments.get("env49")?.users).toEqual(["U0AAA"]);
  });

  it("refuses counts no organisation needs", async () => {
    const manyEnvironments = Array.from(
      { length: POLICY_LIMITS.maxEnvironments + 1 },
      (_, i) => `  e${i}: { approvers: { groups: [S0SRE] } }`,
    ).join("\n");
    expect(await problemOf(`environments:\n${manyEnvironments}\n`)).toBe(
      `Invalid policy ${SOURCE}: environments (line 1): lists 501 environments; at most 500 are allowed (environments.default covers the rest)`,
    );
    expect(
      await problemOf(`environments:\n  prod:\n    approvers:\n      users: [${userIds(1001).join(",")}]\n`),
    ).toBe(
      `Invalid policy ${SOURCE}: environments.prod.approvers.users (line 4): lists 1001 users; at most 1000 are allowed (a Slack user group can hold any number)`,
    );
    const groups = Array.from({ length: 101 }, (_, i) => `S${i.toString(36).toUpperCase().padStart(3, "0")}`);
    expect(
      await problemOf(`environments:\n  prod:\n    approvers:\n      groups: [${groups.join(",")}]\n`),
    ).toBe(
      `Invalid policy ${SOURCE}: environments.prod.approvers.groups (line 4): lists 101 groups; at most 100 are allowed`,
    );
    const mapped = userIds(POLICY_LIMITS.maxGithubUsers + 1)
      .map((id) => `  ${id}: a`)
      .join("\n");
    expect(await problemOf(`${GOOD}github-users:\n${mapped}\n`)).toBe(
      `Invalid policy ${SOURCE}: github-users (line 4): maps 20001 Slack users; at most 20000 are allowed`,
    );
    // At the limits, the file is fine.
    const legal = await policyOf(
      `environments:\n  prod:\n    approvers:\n      users: [${userIds(1000).join(",")}]\ngithub-users:\n${userIds(
        POLICY_LIMITS.maxGithubUsers,
      )
        .map((id) => `  ${id}: a`)
        .join("\n")}\n`,
    );
    expect(legal.environments.get("prod")?.users).toHaveLength(1000);
    expect(legal.githubUsers.size).toBe(POLICY_LIMITS.maxGithubUsers);
  });

  /**
   * Loads `text` for acme/api and, the moment GitHub has handed the file over, sends another request
   * to a server on this event loop. Returns the order in which the two finished: a check that held
   * the event loop would finish first.
   */
  async function loadWhileAnswering(text: string): Promise<{ order: string[]; result: PolicyResult }> {
    const server: Server = createServer((_req, res) => res.end("ok"));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    try {
      setPolicy(text);
      const order: string[] = [];
      let answered: Promise<unknown> | undefined;
      const reader: ContentsReader = {
        async request(route, parameters) {
          const response = await acme.request(route, parameters);
          answered = fetch(url)
            .then((r) => r.text())
            .then(() => order.push("following request answered"));
          return response;
        },
      };
      const result = await createPolicyLoader({ ttlMs: 60_000 })
        .load(reader, "acme", "api")
        .then((r) => {
          order.push("policy checked");
          return r;
        });
      await answered;
      return { order, result };
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  }

  it("refuses 40,000 IDs fanned out by aliases, answering other requests meanwhile", async () => {
    // The attack that held the event loop for tens of seconds: one list aliased into many environments.
    const environments = Array.from({ length: 6 }, (_, i) => `  env${i}: { approvers: { users: *all } }`);
    const text = `environments:\n  production:\n    approvers:\n      users: &all [${userIds(40_000).join(",")}]\n${environments.join("\n")}\n`;
    expect(Buffer.byteLength(text)).toBeLessThan(POLICY_LIMITS.maxFileBytes);
    const { order, result } = await loadWhileAnswering(text);
    expect(result).toMatchObject({ ok: false, kind: "invalid" });
    expect(!result.ok && result.message.split("\n").slice(0, 2)).toEqual([
      `Invalid policy ${SOURCE} (7 problems):`,
      "- environments.production.approvers.users (line 4): lists 40000 users; at most 1000 are allowed (a Slack user group can hold any number)",
    ]);
    expect(order).toEqual(["following request answered", "policy checked"]);
  });

  it("accepts 40,000 IDs spread over forty environments, answering other requests meanwhile", async () => {
    const ids = userIds(40_000);
    const environments = Array.from(
      { length: 40 },
      (_, e) => `  env${e}:\n    approvers:\n      users: [${ids.slice(e * 1000, (e + 1) * 1000).join(",")}]`,
    );
    const { order, result } = await loadWhileAnswering(`environments:\n${environments.join("\n")}\n`);
    expect(okPolicy(result).environments.get("env39")?.users).toHaveLength(1000);
    expect(order).toEqual(["following request answered", "policy checked"]);
  });
});

describe("questions asked of a policy", () => {
  let policy: Policy;
  beforeAll(async () => {
    policy = await policyOf(EXAMPLE);
  });

  it("matches the exact environment name first", () => {
    expect(resolveEnvironment(policy, "production")?.name).toBe("production");
    expect(resolveEnvironment(policy, "Staging")?.name).toBe("Staging");
  });

  it("then ignores case, as GitHub does", () => {
    expect(resolveEnvironment(policy, "PRODUCTION")?.name).toBe("production");
    expect(resolveEnvironment(policy, "staging")?.requiredApprovals).toBe(1);
    expect(resolveEnvironment(policy, "staging")?.name).toBe("Staging");
  });

  it("falls back to default", () => {
    expect(resolveEnvironment(policy, "qa")).toMatchObject({ name: "default", groups: ["S0LEADS"] });
    expect(resolveEnvironment(policy, "production-eu")?.name).toBe("default");
  });

  it("gives undefined when nothing applies, so the caller refuses", async () => {
    expect(resolveEnvironment(await policyOf(GOOD), "staging")).toBeUndefined();
  });

  it("maps a Slack user to a GitHub login", () => {
    expect(githubLoginFor(policy, "U0123ABCD")).toBe("octocat");
    expect(githubLoginFor(policy, "U0NOBODY")).toBeUndefined();
  });

  it("finds every Slack user of a GitHub login, ignoring case", () => {
    expect(slackUsersForGithubLogin(policy, "octocat")).toEqual(["U0123ABCD", "U0999ZZZZ"]);
    expect(slackUsersForGithubLogin(policy, "HUBOT")).toEqual(["W0456EFGH"]);
    expect(slackUsersForGithubLogin(policy, "someone")).toEqual([]);
  });
});
