// The policy keys for approvers who are people on GitHub: `approvers.github-users`, `approvers.github-teams`
// and `require-linked-account`, with the same precise problems as every other key, and the warning for
// approvers nobody could identify where self-approval must be checked. Parsed as the loader parses them.
import { describe, expect, it } from "vitest";
import { parsePolicy } from "../app/policy/index.js";
import { POLICY_SOURCE, policyProblem } from "../testkit/helpers/refusals.js";

const SOURCE = POLICY_SOURCE;
const problemOf = policyProblem;

describe("GitHub approvers in the policy", () => {
  it("reads github-users, github-teams and require-linked-account", async () => {
    const policy = await parsePolicy(
      `environments:
  production:
    approvers:
      github-users: [octocat, Hubot, hubot]
      github-teams: [acme/release-managers, acme/SRE]
    require-linked-account: true
    required-approvals: 2
`,
      SOURCE,
    );
    expect(policy.environments.get("production")).toMatchObject({
      users: [],
      groups: [],
      githubLogins: ["octocat", "Hubot"],
      githubTeams: [
        { org: "acme", slug: "release-managers" },
        { org: "acme", slug: "SRE" },
      ],
      requireLinkedAccount: true,
      requiredApprovals: 2,
    });
    expect(policy.warnings).toEqual([]);
  });

  it("explains a team written as a login, a login written as a team, and @-prefixed names", async () => {
    expect(
      await problemOf(`environments:
  production:
    approvers:
      github-users: ["@octocat", acme/ops]
      github-teams: [acme, "@acme/ops", "acme/ops/extra"]
    require-linked-account: yes please
`),
    ).toBe(`Invalid policy ${SOURCE} (6 problems):
- environments.production.approvers.github-users[0] (line 4): write the GitHub login without "@": octocat
- environments.production.approvers.github-users[1] (line 4): "acme/ops" is a team; list it under github-teams
- environments.production.approvers.github-teams[0] (line 5): "acme" names no team: write org/team-slug (a single person goes under github-users)
- environments.production.approvers.github-teams[1] (line 5): write the team without "@": acme/ops
- environments.production.approvers.github-teams[2] (line 5): "acme/ops/extra" is not a GitHub team: write org/team-slug, e.g. acme/release-managers
- environments.production.require-linked-account (line 6): must be true or false, found text "yes please"`);
  });

  it("counts listed logins toward required-approvals; teams, like groups, may hold anyone", async () => {
    expect(
      await problemOf(`environments:
  production:
    approvers: { users: [U0ALICE], github-users: [octocat] }
    required-approvals: 3
`),
    ).toBe(
      `Invalid policy ${SOURCE}: environments.production.required-approvals (line 4): needs 3 approvals but only 2 users are listed and no groups or teams`,
    );
    const teams = await parsePolicy(
      "environments:\n  production:\n    approvers: { github-teams: [acme/ops] }\n    required-approvals: 5\n",
      SOURCE,
    );
    expect(teams.environments.get("production")?.requiredApprovals).toBe(5);
  });

  it("warns about approvers GitHub cannot be asked about where self-approval must be checked", async () => {
    const policy = await parsePolicy(
      `environments:
  production:
    approvers:
      users: [U0ALICE, U0BOB]
      groups: [S0SRE]
  staging:
    approvers: { users: [U0BOB] }
    allow-self-approval: true
  canary:
    approvers: { users: [U0BOB], groups: [S0SRE] }
    require-linked-account: true
github-users:
  U0ALICE: alice
`,
      SOURCE,
    );
    expect(policy.warningCount).toBe(2);
    expect(policy.warnings.map((w) => `${w.path} (line ${w.line}): ${w.message}`)).toEqual([
      "environments.production.approvers.users (line 4): U0BOB has no github-users entry: with allow-self-approval false, their approvals are refused until they link their GitHub account (/deploy-gate link), since nobody could tell whether they triggered the run",
      "environments.production.approvers.groups (line 5): members of these Slack groups who have neither linked their GitHub account nor a github-users entry are refused when they approve (self-approval cannot be checked for them); require-linked-account: true makes that the rule for everyone",
    ]);
  });

  it("bounds the new lists like the others", async () => {
    const logins = Array.from({ length: 1001 }, (_, i) => `user${i}`).join(", ");
    expect(await problemOf(`environments:\n  p:\n    approvers: { github-users: [${logins}] }\n`)).toBe(
      `Invalid policy ${SOURCE}: environments.p.approvers.github-users (line 3): lists 1001 GitHub logins; at most 1000 are allowed (a GitHub team can hold any number)`,
    );
  });
});
