import { ProbotOctokit } from "probot";
import { describe, expect, it } from "vitest";
import {
  type ConfigReader,
  createPolicyLoader,
  githubLoginFor,
  type Policy,
  PolicyError,
  parsePolicy,
  resolveEnvironment,
  slackUsersForGithubLogin,
} from "../app/policy/index.js";

const SOURCE = "acme/api:.github/slack-deploy-gate.yml";

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

function problemOf(yaml: string): string {
  try {
    parsePolicy(yaml, SOURCE);
  } catch (error) {
    expect(error).toBeInstanceOf(PolicyError);
    return (error as PolicyError).message;
  }
  throw new Error("expected a PolicyError");
}

describe("parsePolicy", () => {
  it("reads the documented example", () => {
    const policy = parsePolicy(EXAMPLE, SOURCE);
    expect(policy.source).toBe(SOURCE);
    expect(policy.environments.get("production")).toEqual({
      name: "production",
      users: ["U0123ABCD", "W0456EFGH"],
      groups: ["S0SREGROUP"],
      requiredApprovals: 2,
      allowSelfApproval: false,
      expireAfterMs: 24 * 3_600_000,
    });
    expect(policy.environments.get("Staging")).toMatchObject({
      allowSelfApproval: true,
      expireAfterMs: 90 * 60_000,
    });
    expect(policy.environments.get("default")).toEqual({
      name: "default",
      users: [],
      groups: ["S0LEADS"],
      requiredApprovals: 1,
      allowSelfApproval: false,
      expireAfterMs: 24 * 3_600_000,
    });
    expect([...policy.githubUsers]).toEqual([
      ["U0123ABCD", "octocat"],
      ["W0456EFGH", "Hubot"],
      ["U0999ZZZZ", "OctoCat"],
    ]);
  });

  it("drops duplicate IDs so they are not counted twice", () => {
    const policy = parsePolicy(
      "environments:\n  prod:\n    approvers: { users: [U0AAA, U0BBB, U0AAA] }\n    required-approvals: 2\n",
      SOURCE,
    );
    expect(policy.environments.get("prod")?.users).toEqual(["U0AAA", "U0BBB"]);
    // Two distinct users, two approvals required: fine. Three would not be.
    expect(
      problemOf(
        "environments:\n  prod:\n    approvers: { users: [U0AAA, U0BBB, U0AAA] }\n    required-approvals: 3\n",
      ),
    ).toBe(
      `Invalid policy ${SOURCE}: environments.prod.required-approvals (line 4): needs 3 approvals but only 2 users are listed and no groups`,
    );
  });

  it("reports YAML syntax errors with line and column", () => {
    expect(
      problemOf("environments:\n  production:\n    approvers: {users: [U0123ABCD]\n  staging: {}\n"),
    ).toMatch(new RegExp(`^Invalid policy ${SOURCE}: line \\d+: YAML syntax error at column \\d+: `));
    expect(problemOf("environments:\n  prod: {approvers: {users: [U0AAA]}}\n  prod: {}\n")).toBe(
      `Invalid policy ${SOURCE}: line 3: YAML syntax error at column 3: Map keys must be unique`,
    );
  });

  it("suggests the key that was meant", () => {
    expect(problemOf("environments:\n  production:\n    aprovers:\n      users: [U0123ABCD]\n")).toBe(
      `Invalid policy ${SOURCE}: environments.production.aprovers (line 3): unknown key; did you mean "approvers"?`,
    );
    expect(problemOf("enviroments:\n  production:\n    approvers: { users: [U0AAA] }\n")).toBe(
      `Invalid policy ${SOURCE}: enviroments (line 1): unknown key; did you mean "environments"?`,
    );
    expect(
      problemOf(
        "environments:\n  prod:\n    approvers: { users: [U0AAA, U0BBB] }\n    required_approvals: 2\n",
      ),
    ).toContain(
      'environments.prod.required_approvals (line 4): unknown key; did you mean "required-approvals"?',
    );
    expect(problemOf("environments:\n  prod:\n    approvers: { user: [U0AAA] }\n")).toContain(
      'environments.prod.approvers.user (line 3): unknown key; did you mean "users"?',
    );
    expect(
      problemOf("environments:\n  prod:\n    approvers: { users: [U0AAA] }\n    colour: blue\n"),
    ).toContain(
      "environments.prod.colour (line 4): unknown key; expected one of: approvers, required-approvals, allow-self-approval, expire-after",
    );
  });

  it("points out environment rules written at the top level", () => {
    expect(
      problemOf(
        "environments:\n  staging:\n    approvers: { users: [U0AAA] }\nproduction:\n  approvers: { users: [U0AAA] }\n",
      ),
    ).toBe(
      `Invalid policy ${SOURCE}: production (line 4): unknown key; environment rules belong under environments (environments.production)`,
    );
  });

  it("names wrong types in the author's terms", () => {
    const env = (rules: string) =>
      `environments:\n  production:\n    approvers: { users: [U0AAA, U0BBB] }\n${rules}`;
    expect(problemOf(env('    required-approvals: "2"\n'))).toBe(
      `Invalid policy ${SOURCE}: environments.production.required-approvals (line 4): must be a whole number from 1 to 20, found text "2"`,
    );
    expect(problemOf(env("    required-approvals: 0\n"))).toContain(
      "must be a whole number from 1 to 20, found the number 0",
    );
    expect(problemOf(env("    required-approvals: 1.5\n"))).toContain("found the number 1.5");
    expect(problemOf(env("    required-approvals: 21\n"))).toContain("found the number 21");
    expect(problemOf(env("    allow-self-approval: yes\n"))).toBe(
      `Invalid policy ${SOURCE}: environments.production.allow-self-approval (line 4): must be true or false, found text "yes"`,
    );
    expect(problemOf(env("    expire-after: 24\n"))).toContain(
      "environments.production.expire-after (line 4): must be a duration such as 30m, 24h or 7d (minutes, hours or days), found the number 24",
    );
    expect(problemOf(env("    expire-after: 2w\n"))).toContain('found text "2w"');
    expect(problemOf(env("    expire-after: 0m\n"))).toContain("must be between 1m and 30d, found 0m");
    expect(problemOf(env("    expire-after: 31d\n"))).toContain("must be between 1m and 30d, found 31d");
    expect(problemOf("environments:\n  production:\n    approvers: [U0AAA]\n")).toContain(
      "environments.production.approvers (line 3): must be a mapping with users and/or groups, not a list",
    );
    expect(problemOf("environments:\n  production:\n    approvers: { users: U0AAA }\n")).toContain(
      'environments.production.approvers.users (line 3): must be a list, e.g. [U0AAA], found text "U0AAA"',
    );
    expect(problemOf("environments: [production]\n")).toBe(
      `Invalid policy ${SOURCE}: environments (line 1): must be a mapping of environment names to rules, found a list`,
    );
  });

  it("explains bad Slack IDs and GitHub logins", () => {
    const users = (list: string) =>
      problemOf(`environments:\n  prod:\n    approvers:\n      users: [${list}]\n`);
    expect(users("u0123abcd")).toBe(
      `Invalid policy ${SOURCE}: environments.prod.approvers.users[0] (line 4): Slack IDs are upper case: write U0123ABCD`,
    );
    expect(users('"@jane"')).toContain('"@jane" is a name, not a Slack user ID; use the member ID (U…)');
    expect(users("S0SREGROUP")).toContain('"S0SREGROUP" is a user group ID; list it under groups');
    expect(users("jane.doe")).toContain(
      '"jane.doe" is not a Slack user ID (U… or W… followed by letters and digits)',
    );
    expect(users("42")).toContain(
      "environments.prod.approvers.users[0] (line 4): must be a Slack ID, found the number 42",
    );
    const groups = (list: string) =>
      problemOf(`environments:\n  prod:\n    approvers:\n      groups: [${list}]\n`);
    expect(groups("U0123ABCD")).toContain('"U0123ABCD" is a user ID; list it under users');
    expect(groups('"@sre"')).toContain('"@sre" is a handle, not a user group ID');
    expect(groups("team-sre")).toContain('"team-sre" is not a Slack user group ID (S…');

    const logins = (entry: string) =>
      problemOf(`environments:\n  prod:\n    approvers: { groups: [S0SRE] }\ngithub-users:\n  ${entry}\n`);
    expect(logins("U0AAA: -octocat")).toBe(
      `Invalid policy ${SOURCE}: github-users.U0AAA (line 5): "-octocat" is not a valid GitHub login`,
    );
    expect(logins('U0AAA: "@octocat"')).toContain('write the GitHub login without "@": octocat');
    expect(logins("U0AAA: octo--cat")).toContain('"octo--cat" is not a valid GitHub login');
    expect(logins(`U0AAA: ${"a".repeat(40)}`)).toContain("is not a valid GitHub login");
    expect(logins("U0AAA: 12")).toContain(
      "github-users.U0AAA (line 5): must be a GitHub login, found the number 12",
    );
    expect(logins("jane: octocat")).toContain('github-users.jane (line 5): "jane" is not a Slack user ID');
  });

  it("refuses approvals that could never be reached", () => {
    expect(
      problemOf("environments:\n  prod:\n    approvers: { users: [U0AAA] }\n    required-approvals: 2\n"),
    ).toBe(
      `Invalid policy ${SOURCE}: environments.prod.required-approvals (line 4): needs 2 approvals but only 1 user is listed and no groups`,
    );
    // A group may hold any number of people, so the count cannot be checked.
    expect(
      parsePolicy(
        "environments:\n  prod:\n    approvers: { users: [U0AAA], groups: [S0SRE] }\n    required-approvals: 5\n",
        SOURCE,
      ).environments.get("prod")?.requiredApprovals,
    ).toBe(5);
    expect(problemOf("environments:\n  prod:\n    approvers: {}\n")).toContain(
      "environments.prod.approvers (line 3): lists no users and no groups, so nobody could approve",
    );
    expect(problemOf("environments:\n  prod:\n    required-approvals: 1\n")).toContain(
      "environments.prod.approvers (line 3): required: who may approve",
    );
    expect(problemOf("environments:\n  prod:\n")).toContain(
      "environments.prod (line 2): has no rules; add approvers",
    );
  });

  it("refuses environment names GitHub would treat as one", () => {
    expect(
      problemOf(
        "environments:\n  production:\n    approvers: { users: [U0AAA] }\n  Production:\n    approvers: { users: [U0BBB] }\n",
      ),
    ).toBe(
      `Invalid policy ${SOURCE}: environments.Production (line 4): repeats environments.production: GitHub environment names ignore case`,
    );
  });

  it("names environments that are not plain words precisely", () => {
    expect(
      problemOf(
        'environments:\n  "eu prod":\n    approvers: { users: [U0AAA] }\n    required-approvals: 3\n',
      ),
    ).toContain('environments["eu prod"].required-approvals (line 4)');
  });

  it("refuses empty, scalar and environment-less files", () => {
    expect(problemOf("")).toBe(
      `Invalid policy ${SOURCE}: the policy file is empty; it needs an environments mapping that names who may approve`,
    );
    expect(problemOf("# nothing yet\n")).toContain("the policy file is empty");
    expect(problemOf("just text\n")).toBe(
      `Invalid policy ${SOURCE}: the policy must be a mapping with an environments key, found text "just text"`,
    );
    expect(problemOf("github-users: { U0AAA: octocat }\n")).toBe(
      `Invalid policy ${SOURCE}: environments: required: list the environments and who may approve them`,
    );
    expect(problemOf("environments: {}\n")).toContain("environments (line 1): lists no environments");
  });

  it("lists every problem at once", () => {
    const message = problemOf(
      "environments:\n  prod:\n    approvers: { users: [jane] }\n    required-approvals: many\n    expire-after: soon\n",
    );
    expect(message.split("\n")).toEqual([
      `Invalid policy ${SOURCE} (3 problems):`,
      '- environments.prod.approvers.users[0] (line 3): "jane" is not a Slack user ID (U… or W… followed by letters and digits)',
      '- environments.prod.required-approvals (line 4): must be a whole number from 1 to 20, found text "many"',
      '- environments.prod.expire-after (line 5): must be a duration such as 30m, 24h or 7d (minutes, hours or days), found text "soon"',
    ]);
  });

  it("refuses oversized files", () => {
    expect(problemOf(`# ${"x".repeat(300 * 1024)}\n`)).toBe(
      `Invalid policy ${SOURCE}: the file is larger than 256 KiB`,
    );
  });

  it("tolerates _extends, which Probot's loader resolves", () => {
    expect(parsePolicy(`_extends: .github\n${EXAMPLE}`, SOURCE).environments.size).toBe(3);
  });
});

describe("resolveEnvironment", () => {
  const policy = parsePolicy(EXAMPLE, SOURCE);

  it("matches the exact name first", () => {
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

  it("gives undefined when nothing applies, so the caller refuses", () => {
    const noDefault = parsePolicy(
      "environments:\n  production:\n    approvers: { users: [U0AAA] }\n",
      SOURCE,
    );
    expect(resolveEnvironment(noDefault, "staging")).toBeUndefined();
  });
});

describe("GitHub user mapping", () => {
  const policy = parsePolicy(EXAMPLE, SOURCE);

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

// ---- the loader, driven through Probot's real octokit and config plugin ----
// GitHub is replaced by an in-memory `fetch` answering the contents API the way GitHub does.

interface FakeRepoFiles {
  /** `owner/repo` → file text; absent means 404. */
  files: Map<string, string>;
  /** `owner/repo` → HTTP status to answer instead. */
  failures: Map<string, number>;
  /** `owner/repo` of every contents request, in order. */
  reads: string[];
}

function fakeGitHub(initial: Record<string, string> = {}): { octokit: ConfigReader; state: FakeRepoFiles } {
  const state: FakeRepoFiles = { files: new Map(Object.entries(initial)), failures: new Map(), reads: [] };
  const octokit = new ProbotOctokit({
    retry: { enabled: false },
    throttle: { enabled: false },
    request: {
      fetch: async (url: string) => {
        const match = /^\/repos\/([^/]+)\/([^/]+)\/contents\/(.+)$/.exec(new URL(url).pathname);
        if (!match) return json(404, { message: "Not Found" });
        const repo = `${match[1]}/${match[2]}`;
        expect(decodeURIComponent(match[3] as string)).toBe(".github/slack-deploy-gate.yml");
        state.reads.push(repo);
        const failure = state.failures.get(repo);
        if (failure) return json(failure, { message: "Server Error" });
        const text = state.files.get(repo);
        if (text === undefined) return json(404, { message: "Not Found" });
        return new Response(text, { status: 200, headers: { "content-type": "text/plain; charset=utf-8" } });
      },
    },
  });
  // The App passes Probot's octokit; this line proves it fits the loader's interface.
  const reader: ConfigReader = octokit;
  return { octokit: reader, state };
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8" },
  });
}

const GOOD = "environments:\n  production:\n    approvers: { users: [U0AAA] }\n";
const ORG = "environments:\n  default:\n    approvers: { groups: [S0ORG] }\n";

function okPolicy(result: Awaited<ReturnType<ReturnType<typeof createPolicyLoader>["load"]>>): Policy {
  if (!result.ok) throw new Error(`expected a policy, got ${result.kind}: ${result.message}`);
  return result.policy;
}

describe("createPolicyLoader", () => {
  it("reads the repository's own file", async () => {
    const { octokit, state } = fakeGitHub({ "acme/api": GOOD, "acme/.github": ORG });
    const loader = createPolicyLoader({ ttlMs: 60_000 });
    const result = await loader.load(octokit, "acme", "api");
    expect(result).toMatchObject({ ok: true, source: "acme/api:.github/slack-deploy-gate.yml" });
    expect(okPolicy(result).environments.get("production")?.users).toEqual(["U0AAA"]);
    expect(state.reads).toEqual(["acme/api"]);
  });

  it("falls back to the org's .github repository", async () => {
    const { octokit, state } = fakeGitHub({ "acme/.github": ORG });
    const result = await createPolicyLoader({ ttlMs: 60_000 }).load(octokit, "acme", "web");
    expect(result).toMatchObject({ ok: true, source: "acme/.github:.github/slack-deploy-gate.yml" });
    expect(resolveEnvironment(okPolicy(result), "production")?.groups).toEqual(["S0ORG"]);
    expect(state.reads).toEqual(["acme/web", "acme/.github"]);
  });

  it("serves from the cache until the TTL passes", async () => {
    let now = 1_000_000;
    const { octokit, state } = fakeGitHub({ "acme/api": GOOD });
    const loader = createPolicyLoader({ ttlMs: 60_000, now: () => now });
    await loader.load(octokit, "acme", "api");
    state.files.set("acme/api", ORG);
    now += 59_999;
    expect(okPolicy(await loader.load(octokit, "ACME", "Api")).environments.has("production")).toBe(true);
    expect(state.reads).toEqual(["acme/api"]);
    now += 1;
    expect(okPolicy(await loader.load(octokit, "acme", "api")).environments.has("default")).toBe(true);
    expect(state.reads).toEqual(["acme/api", "acme/api"]);
  });

  it("shares one read among concurrent loads", async () => {
    const { octokit, state } = fakeGitHub({ "acme/api": GOOD });
    const loader = createPolicyLoader({ ttlMs: 60_000 });
    const results = await Promise.all(Array.from({ length: 20 }, () => loader.load(octokit, "acme", "api")));
    expect(results.every((r) => r.ok)).toBe(true);
    expect(state.reads).toEqual(["acme/api"]);
  });

  it("drops a repository's entry on invalidate", async () => {
    const { octokit, state } = fakeGitHub({ "acme/api": GOOD, "acme/web": GOOD });
    const loader = createPolicyLoader({ ttlMs: 60_000 });
    await loader.load(octokit, "acme", "api");
    await loader.load(octokit, "acme", "web");
    state.files.set("acme/api", ORG);
    loader.invalidate("Acme", "API");
    expect(okPolicy(await loader.load(octokit, "acme", "api")).environments.has("default")).toBe(true);
    await loader.load(octokit, "acme", "web");
    expect(state.reads).toEqual(["acme/api", "acme/web", "acme/api"]);
  });

  it("drops the whole org when its .github repository changes", async () => {
    const { octokit, state } = fakeGitHub({ "acme/.github": ORG, "other/api": GOOD });
    const loader = createPolicyLoader({ ttlMs: 60_000 });
    await loader.load(octokit, "acme", "web");
    await loader.load(octokit, "acme", "app");
    await loader.load(octokit, "other", "api");
    state.reads.length = 0;
    loader.invalidate("acme", ".github");
    await loader.load(octokit, "acme", "web");
    await loader.load(octokit, "acme", "app");
    await loader.load(octokit, "other", "api");
    expect(state.reads).toEqual(["acme/web", "acme/.github", "acme/app", "acme/.github"]);
    state.reads.length = 0;
    loader.invalidate("other");
    await loader.load(octokit, "other", "api");
    expect(state.reads).toEqual(["other/api"]);
  });

  it("does not keep a read that an invalidation overtook", async () => {
    const { octokit, state } = fakeGitHub({ "acme/api": GOOD });
    const loader = createPolicyLoader({ ttlMs: 60_000 });
    const first = loader.load(octokit, "acme", "api");
    loader.invalidate("acme", "api");
    state.files.set("acme/api", ORG);
    expect((await first).ok).toBe(true);
    expect(okPolicy(await loader.load(octokit, "acme", "api")).environments.has("default")).toBe(true);
    expect(state.reads).toEqual(["acme/api", "acme/api"]);
  });

  it("reports a missing policy, and caches that briefly", async () => {
    let now = 0;
    const { octokit, state } = fakeGitHub({});
    const loader = createPolicyLoader({ ttlMs: 600_000, missTtlMs: 10_000, now: () => now });
    expect(await loader.load(octokit, "acme", "api")).toEqual({
      ok: false,
      kind: "missing",
      message:
        "No slack-deploy-gate policy: neither acme/api nor acme/.github has .github/slack-deploy-gate.yml on its default branch, so nobody may approve deployments from Slack.",
    });
    expect(state.reads).toEqual(["acme/api", "acme/.github"]);
    await loader.load(octokit, "acme", "api");
    expect(state.reads).toHaveLength(2);
    now = 10_000;
    state.files.set("acme/api", GOOD);
    expect((await loader.load(octokit, "acme", "api")).ok).toBe(true);
  });

  it("says which repository lacks the file when asked about .github itself", async () => {
    const { octokit, state } = fakeGitHub({});
    const result = await createPolicyLoader({ ttlMs: 1000 }).load(octokit, "acme", ".github");
    expect(result).toMatchObject({ ok: false, kind: "missing" });
    expect(!result.ok && result.message).toContain("acme/.github has no .github/slack-deploy-gate.yml");
    expect(state.reads).toEqual(["acme/.github"]);
  });

  it("reports an invalid policy with its exact problem", async () => {
    const { octokit } = fakeGitHub({
      "acme/api": "environments:\n  production:\n    aprovers: { users: [U0AAA] }\n",
    });
    expect(await createPolicyLoader({ ttlMs: 1000 }).load(octokit, "acme", "api")).toEqual({
      ok: false,
      kind: "invalid",
      message: `Invalid policy ${SOURCE}: environments.production.aprovers: unknown key; did you mean "approvers"?`,
    });
  });

  it("reports a YAML syntax error with its line, from the org fallback", async () => {
    const { octokit } = fakeGitHub({ "acme/.github": "environments:\n  production: [\n" });
    const result = await createPolicyLoader({ ttlMs: 1000 }).load(octokit, "acme", "web");
    expect(result).toMatchObject({ ok: false, kind: "invalid" });
    expect(!result.ok && result.message).toMatch(
      /^Invalid policy acme\/\.github:\.github\/slack-deploy-gate\.yml: line \d+: YAML syntax error at column \d+: /,
    );
  });

  it("refuses a file that is a list, not a mapping", async () => {
    const { octokit } = fakeGitHub({ "acme/api": "- production\n" });
    expect(await createPolicyLoader({ ttlMs: 1000 }).load(octokit, "acme", "api")).toEqual({
      ok: false,
      kind: "invalid",
      message: `Invalid policy ${SOURCE}: the policy must be a mapping with an environments key, found a list`,
    });
  });

  it("fails closed on GitHub errors and does not cache them", async () => {
    const { octokit, state } = fakeGitHub({ "acme/api": GOOD });
    state.failures.set("acme/api", 502);
    const loader = createPolicyLoader({ ttlMs: 60_000 });
    expect(await loader.load(octokit, "acme", "api")).toEqual({
      ok: false,
      kind: "error",
      message:
        "Could not read the policy for acme/api from GitHub (HTTP 502); approvals wait until it can be read.",
    });
    state.failures.clear();
    expect((await loader.load(octokit, "acme", "api")).ok).toBe(true);
    expect(state.reads).toEqual(["acme/api", "acme/api"]);
  });

  it("fails closed when the org fallback errors", async () => {
    const { octokit, state } = fakeGitHub({});
    state.failures.set("acme/.github", 500);
    expect(await createPolicyLoader({ ttlMs: 1000 }).load(octokit, "acme", "api")).toMatchObject({
      ok: false,
      kind: "error",
    });
  });

  it("keeps at most maxEntries repositories", async () => {
    const { octokit, state } = fakeGitHub({ "acme/a": GOOD, "acme/b": GOOD, "acme/c": GOOD });
    const loader = createPolicyLoader({ ttlMs: 60_000, maxEntries: 2 });
    for (const repo of ["a", "b", "c", "b", "a"]) await loader.load(octokit, "acme", repo);
    // "a" was the oldest when "c" came in, so it alone was read again.
    expect(state.reads).toEqual(["acme/a", "acme/b", "acme/c", "acme/a"]);
  });
});
