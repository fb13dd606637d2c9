// The fake GitHub's people and the App's user authorization: real clients (@octokit/oauth-methods,
// @octokit/request, Probot's installation Octokit) against it, and proof that it refuses what GitHub
// refuses: codes used twice or late, a wrong secret or redirect_uri, tokens after they are revoked,
// people read across organizations.
import { deleteToken, exchangeWebFlowCode } from "@octokit/oauth-methods";
import { request } from "@octokit/request";
import { ProbotOctokit } from "probot";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type FakeGitHub, startFakeGitHub } from "../testkit/fakes/github.js";
import { newPrivateKey } from "../testkit/helpers/keys.js";

const APP_ID = 515151;
const privateKey = newPrivateKey();
const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const CALLBACK = "https://gate.example.test/github/link/callback";

let fake: FakeGitHub;

beforeEach(async () => {
  fake = await startFakeGitHub({ appId: APP_ID, privateKey, webhookSecret: "s" });
  fake.addRepository({ fullName: "acme/api" });
  fake.addInstallation({ id: 7, account: "acme", repositories: ["acme/api"] });
  fake.addRepository({ fullName: "other/app" });
  fake.addInstallation({ id: 8, account: "other", repositories: ["other/app"] });
  fake.people.addUser({ login: "octocat", name: "The Octocat" });
  fake.people.addTeam("acme", "release-managers", ["octocat"]);
  fake.people.setOrgMember("acme", "hubot", "admin");
  fake.people.addTeam("other", "ops", ["mona"]);
  fake.oauth.callbackUrls = [CALLBACK];
});

afterEach(async () => {
  await fake.close();
});

const api = () => request.defaults({ baseUrl: fake.apiUrl });

function installation(id = 7) {
  return new ProbotOctokit({
    auth: { appId: APP_ID, privateKey, installationId: id },
    baseUrl: fake.apiUrl,
    log: quiet,
    retry: { enabled: false },
    throttle: { enabled: false },
  });
}

function authorizeUrl(state = "s1", redirect: string | null = CALLBACK): string {
  const url = new URL(`${fake.url}/login/oauth/authorize`);
  url.searchParams.set("client_id", fake.oauth.clientId);
  if (redirect !== null) url.searchParams.set("redirect_uri", redirect);
  url.searchParams.set("state", state);
  return url.toString();
}

function codeOf(location: string): string {
  const code = new URL(location).searchParams.get("code");
  if (!code) throw new Error(`no code in ${location}`);
  return code;
}

const exchange = (
  code: string,
  secret = fake.oauth.clientSecret,
  redirectUrl: string | undefined = CALLBACK,
) =>
  exchangeWebFlowCode({
    clientType: "github-app",
    clientId: fake.oauth.clientId,
    clientSecret: secret,
    code,
    ...(redirectUrl ? { redirectUrl } : {}),
    request: api(),
  });

describe("OAuth web flow", () => {
  it("signs in, sends the browser back with code and state, and exchanges the code once for a user token", async () => {
    const page = await fetch(authorizeUrl("state-123"));
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<option value="octocat"');

    const location = fake.oauth.authorize(authorizeUrl("state-123"), "octocat");
    const back = new URL(location);
    expect(`${back.origin}${back.pathname}`).toBe(CALLBACK);
    expect(back.searchParams.get("state")).toBe("state-123");

    const { authentication } = await exchange(codeOf(location));
    expect(authentication.token).toMatch(/^ghu_/);
    const { data: me } = await api()("GET /user", {
      headers: { authorization: `token ${authentication.token}` },
    });
    expect(me).toMatchObject({ login: "octocat", name: "The Octocat" });

    // The same code again: GitHub answers bad_verification_code (HTTP 200 with an error, which the client throws).
    await expect(exchange(codeOf(location))).rejects.toThrow(/bad_verification_code/);
    expect(fake.oauth.exchanges.map((e) => e.error)).toEqual([null, "bad_verification_code"]);
    expect(fake.violations).toEqual([]);
  });

  it("revokes a user token with the client's Basic credentials; the token stops working", async () => {
    const { authentication } = await exchange(codeOf(fake.oauth.authorize(authorizeUrl(), "octocat")));
    await deleteToken({
      clientType: "github-app",
      clientId: fake.oauth.clientId,
      clientSecret: fake.oauth.clientSecret,
      token: authentication.token,
      request: api(),
    });
    await expect(
      api()("GET /user", { headers: { authorization: `token ${authentication.token}` } }),
    ).rejects.toMatchObject({ status: 401 });
    expect(fake.violations.filter((v) => !v.includes("Bad credentials"))).toEqual([]);
  });

  it("refuses a wrong client secret, a redirect_uri that differs from the authorize request's, and an unregistered redirect_uri", async () => {
    const first = codeOf(fake.oauth.authorize(authorizeUrl(), "octocat"));
    await expect(exchange(first, "wrong-secret")).rejects.toThrow(/incorrect_client_credentials/);
    await expect(exchange(first, undefined, "https://gate.example.test/elsewhere")).rejects.toThrow(
      /redirect_uri_mismatch/,
    );
    const unregistered = await fetch(authorizeUrl("s", "https://evil.example/cb"));
    expect(unregistered.status).toBe(400);
    expect(fake.violations).toHaveLength(3);
  });

  it("uses the first callback URL when redirect_uri is left out; Cancel sends access_denied with the state", () => {
    const location = fake.oauth.authorize(authorizeUrl("keep", null), "octocat");
    expect(location.startsWith(`${CALLBACK}?`)).toBe(true);
    const cancelled = new URL(fake.oauth.authorize(authorizeUrl("keep"), "octocat", "cancel"));
    expect(cancelled.searchParams.get("error")).toBe("access_denied");
    expect(cancelled.searchParams.get("state")).toBe("keep");
    expect(cancelled.searchParams.get("code")).toBeNull();
  });

  it("does not let a suspended account sign in, and a code expires after 10 minutes", async () => {
    fake.people.suspend("octocat");
    expect(() => fake.oauth.authorize(authorizeUrl(), "octocat")).toThrow(/suspended/);
    fake.people.suspend("octocat", false);
    const location = fake.oauth.authorize(authorizeUrl(), "octocat");
    const issued = fake.oauth.codes.at(-1);
    if (issued) issued.createdAt -= 10 * 60_000 + 1;
    await expect(exchange(codeOf(location))).rejects.toThrow(/bad_verification_code/);
  });
});

describe("people through the installation", () => {
  type Installation = ReturnType<typeof installation>;
  /** `username`'s membership of acme's release managers, as the installation reads it. */
  const releaseManager = (octokit: Installation, username: string) =>
    octokit.rest.teams.getMembershipForUserInOrg({ org: "acme", team_slug: "release-managers", username });
  const userById = (octokit: Installation, id: number) =>
    octokit.request("GET /user/{account_id}", { account_id: id });

  it("answers team membership, org membership and users by id, as GitHub describes them", async () => {
    const octokit = installation();
    const { data: team } = await releaseManager(octokit, "octocat");
    expect(team).toMatchObject({ role: "member", state: "active" });
    await expect(releaseManager(octokit, "hubot")).rejects.toMatchObject({ status: 404 });
    const member = await octokit.rest.orgs.checkMembershipForUser({ org: "acme", username: "hubot" });
    expect(member.status).toBe(204);
    const { data: admin } = await octokit.rest.orgs.getMembershipForUser({ org: "acme", username: "hubot" });
    expect(admin.role).toBe("admin");
    const id = fake.people.must("octocat").id;
    const { data: byId } = await userById(octokit, id);
    expect(byId.login).toBe("octocat");
    expect(fake.violations).toEqual([]);
  });

  it("follows renames by id, forgets deleted accounts, and drops people who leave the org from its teams", async () => {
    const octokit = installation();
    const id = fake.people.must("octocat").id;
    fake.people.rename("octocat", "octo-renamed");
    const { data: renamed } = await userById(octokit, id);
    expect(renamed.login).toBe("octo-renamed");

    fake.people.removeOrgMember("acme", "octo-renamed");
    await expect(releaseManager(octokit, "octo-renamed")).rejects.toMatchObject({ status: 404 });

    // As on github.com, a suspended account is hidden from others.
    fake.people.suspend("octo-renamed");
    await expect(userById(octokit, id)).rejects.toMatchObject({ status: 404 });
    fake.people.suspend("octo-renamed", false);
    fake.people.deleteUser("octo-renamed");
    await expect(userById(octokit, id)).rejects.toMatchObject({ status: 404 });
  });

  it("does not show another organization's teams to an installation", async () => {
    await expect(
      installation(7).rest.teams.getMembershipForUserInOrg({
        org: "other",
        team_slug: "ops",
        username: "mona",
      }),
    ).rejects.toMatchObject({ status: 404 });
    const { data } = await installation(8).rest.teams.getMembershipForUserInOrg({
      org: "other",
      team_slug: "ops",
      username: "mona",
    });
    expect(data.state).toBe("active");
  });
});
