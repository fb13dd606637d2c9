// Approvers who are people on GitHub: policies that name GitHub teams and logins, require linked
// accounts, and judge self-approval by the linked account. The App served for real against the fake
// GitHub (team membership and accounts read through the installation, validated against GitHub's
// description), clicks signed as Slack signs them, links made through the real link flow.
import { beforeAll, beforeEach, expect, it } from "vitest";
import { REPO, SIGNING_SECRET, USERS } from "../testkit/helpers/app-harness.js";
import { describeOnBackends } from "../testkit/helpers/harness-suite.js";
import { linkAs, linkButtonUrl, slashCommand } from "../testkit/helpers/link-flow.js";

const POLICY = `
environments:
  production:
    approvers:
      users: [${USERS.alice}]
      github-users: [hubot]
      github-teams: [acme/release-managers]
  staging:
    approvers:
      users: [${USERS.alice}]
      github-teams: [acme/release-managers]
    require-linked-account: true
  canary:
    approvers:
      users: [${USERS.alice}, ${USERS.mallory}]
github-users:
  ${USERS.alice}: alice
`;

describeOnBackends("GitHub approvers (%s)", { policy: POLICY }, (h) => {
  beforeAll(() => {
    h.github.people.addTeam("acme", "release-managers", ["octocat"]);
    for (const login of ["alice", "hubot", "mona", "dave"]) h.github.people.setOrgMember("acme", login);
  });
  beforeEach(async () => {
    for (const user of Object.values(USERS)) await slashCommand(h.appUrl, SIGNING_SECRET, user, "unlink");
    h.slack.ephemerals.length = 0;
    // Answers about people are cached for a minute: each test starts past them.
    h.advanceClock(120_000);
  });

  async function link(user: string, login: string): Promise<void> {
    const reply = await slashCommand(h.appUrl, SIGNING_SECRET, user, "link");
    const page = await linkAs(h.github, linkButtonUrl(reply.blocks) ?? "", login);
    expect(page.status).toBe(200);
  }

  async function approve(user: string, options: { environment?: string; actor?: string } = {}) {
    const { run, message } = await h.newRequest(options);
    expect((await h.click(message, "approve", user)).status).toBe(200);
    await h.settle();
    await h.handle.sweep();
    const reviews = h.github.reviews.filter((r) => r.runId === run);
    const told = h.slack.ephemerals.filter((e) => e.user === user).at(-1);
    return { run, reviews, told };
  }

  it("approves for a linked member of a GitHub team, and GitHub's history names @login", async () => {
    await link(USERS.bob, "octocat");
    const { reviews, told } = await approve(USERS.bob);
    expect(told).toBeUndefined();
    expect(reviews).toHaveLength(1);
    expect(reviews[0]?.comment).toMatch(/^Approved by @octocat via Slack \(request [A-Za-z0-9_-]+\)\.$/);
    expect(h.github.checkRuns(REPO).at(-1)?.output.title).toBe("Approved by @octocat");
    expect(
      h.github.requests.some(
        (r) => r.operationId === "teams/get-membership-for-user-in-org" && r.status === 200,
      ),
    ).toBe(true);
    expect(h.github.violations).toEqual([]);
  });

  it("refuses a linked person who is not in the team, and one GitHub removed from it since", async () => {
    await link(USERS.carol, "mona");
    const outsider = await approve(USERS.carol);
    expect(outsider.reviews).toEqual([]);
    expect(outsider.told?.text).toMatch(/^You are not an approver for production in acme\/api/);

    await link(USERS.bob, "octocat");
    h.github.people.removeTeamMember("acme", "release-managers", "octocat");
    try {
      const removed = await approve(USERS.bob);
      expect(removed.reviews).toEqual([]);
      expect(removed.told?.text).toMatch(/^You are not an approver/);
    } finally {
      h.github.people.setTeamMember("acme", "release-managers", "octocat");
    }
  });

  it("approves for a login named in github-users once that person links", async () => {
    await link(USERS.dave, "hubot");
    const { reviews } = await approve(USERS.dave);
    expect(reviews[0]?.comment).toMatch(/^Approved by @hubot via Slack/);
  });

  it("offers an unlinked stranger a link button when the policy names GitHub teams", async () => {
    const { reviews, told } = await approve(USERS.mallory);
    expect(reviews).toEqual([]);
    expect(told?.text).toContain("your Slack account is not linked to a GitHub account");
    expect(linkButtonUrl(told?.blocks)).toMatch(new RegExp(`^${h.appUrl}/github/link\\?ticket=`));
  });

  it("require-linked-account refuses a listed but unlinked approver with a link button, then lets them through", async () => {
    const first = await approve(USERS.alice, { environment: "staging" });
    expect(first.reviews).toEqual([]);
    expect(first.told?.text).toMatch(/^Approvers of staging must have linked their GitHub account/);
    const url = linkButtonUrl(first.told?.blocks);
    expect(url).toBeDefined();
    // The button from the refusal is the link flow itself.
    expect((await linkAs(h.github, url ?? "", "alice")).status).toBe(200);
    const second = await approve(USERS.alice, { environment: "staging" });
    expect(second.reviews.map((r) => r.state)).toEqual(["approved"]);
    expect(second.reviews[0]?.comment).toMatch(/^Approved by @alice via Slack/);
  });

  it("without require-linked-account, a listed approver known from github-users needs no link", async () => {
    const { reviews } = await approve(USERS.alice);
    expect(reviews[0]?.comment).toMatch(/^Approved by @alice via Slack/);
  });

  it("judges self-approval by the linked account", async () => {
    await link(USERS.bob, "octocat");
    const { reviews, told } = await approve(USERS.bob, { actor: "octocat" });
    expect(reviews).toEqual([]);
    expect(told?.text).toBe(
      "You triggered this run (as octocat), and the policy does not allow self-approval for production. Another approver has to approve it.",
    );
  });

  it("never lets an approver nobody can identify pass the self-approval rule: refused, told why, offered a link", async () => {
    const unknown = await approve(USERS.mallory, { environment: "canary", actor: "mona" });
    expect(unknown.reviews).toEqual([]);
    expect(unknown.told?.text).toMatch(/^slack-deploy-gate cannot tell whether you triggered this run/);
    expect(linkButtonUrl(unknown.told?.blocks)).toBeDefined();
    // Linked as the person who triggered the run: self-approval, refused.
    await link(USERS.mallory, "mona");
    const self = await approve(USERS.mallory, { environment: "canary", actor: "mona" });
    expect(self.reviews).toEqual([]);
    expect(self.told?.text).toMatch(/^You triggered this run \(as mona\)/);
    // Someone else's run: approved.
    const other = await approve(USERS.mallory, { environment: "canary", actor: "dave" });
    expect(other.reviews.map((r) => r.state)).toEqual(["approved"]);
  });

  it("fails closed when GitHub says the linked account was deleted, or is suspended", async () => {
    h.github.people.addUser({ login: "temp-user" });
    h.github.people.setTeamMember("acme", "release-managers", "temp-user");
    await link(USERS.carol, "temp-user");
    h.github.people.suspend("temp-user");
    const suspended = await approve(USERS.carol);
    expect(suspended.reviews).toEqual([]);
    expect(suspended.told?.text).toMatch(
      /^Your Slack account is linked to GitHub @temp-user, which GitHub no longer finds \(deleted, or suspended\), so it cannot vouch for you/,
    );
    h.advanceClock(120_000);
    h.github.people.deleteUser("temp-user");
    const deleted = await approve(USERS.carol);
    expect(deleted.reviews).toEqual([]);
    expect(deleted.told?.text).toMatch(/which GitHub no longer finds/);
    expect(h.github.violations).toEqual([]);
  });

  it("follows a renamed GitHub login by account id", async () => {
    h.github.people.addUser({ login: "old-name" });
    h.github.people.setTeamMember("acme", "release-managers", "old-name");
    await link(USERS.carol, "old-name");
    h.github.people.rename("old-name", "new-name");
    const { reviews } = await approve(USERS.carol);
    expect(reviews[0]?.comment).toMatch(/^Approved by @new-name via Slack/);
    expect((await slashCommand(h.appUrl, SIGNING_SECRET, USERS.carol, "whoami")).text).toContain(
      "*@new-name*",
    );
  });
});
