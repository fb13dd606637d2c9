// The fake GitHub's answer to "what can this person read": `GET /user/installations` and
// `GET /user/installations/{id}/repositories` with a user token from the App's OAuth web flow, as
// GitHub documents them (validated against @octokit/openapi: no violations), and the refusals GitHub
// gives (an installation token, an installation the person cannot see).
import { exchangeWebFlowCode } from "@octokit/oauth-methods";
import { request } from "@octokit/request";
import { ProbotOctokit } from "probot";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type FakeGitHub, startFakeGitHub } from "../testkit/fakes/github.js";
import { newPrivateKey } from "../testkit/helpers/keys.js";

const APP_ID = 616161;
const privateKey = newPrivateKey();
const CALLBACK = "https://gate.example.test/signin/github/callback";

let fake: FakeGitHub;

beforeEach(async () => {
  fake = await startFakeGitHub({ appId: APP_ID, privateKey, webhookSecret: "s" });
  for (const name of ["acme/api", "acme/web", "acme/secret", "beta/site", "carol/dotfiles"]) {
    fake.addRepository({ fullName: name, private: true });
  }
  fake.addInstallation({ id: 11, account: "acme", repositories: ["acme/api", "acme/web", "acme/secret"] });
  fake.addInstallation({ id: 12, account: "beta", repositories: ["beta/site"] });
  fake.addInstallation({ id: 13, account: "carol", repositories: ["carol/dotfiles"] });
  fake.people.addOrg("beta");
  fake.people.setOrgMember("acme", "owner", "admin");
  fake.people.setOrgMember("acme", "member");
  fake.people.addUser({ login: "carol" });
  fake.people.addUser({ login: "stranger" });
  fake.access.grant("beta/site", "carol");
  fake.oauth.callbackUrls = [CALLBACK];
});

afterEach(async () => {
  await fake.close();
});

async function tokenFor(login: string): Promise<string> {
  const url = new URL(`${fake.url}/login/oauth/authorize`);
  url.searchParams.set("client_id", fake.oauth.clientId);
  url.searchParams.set("redirect_uri", CALLBACK);
  url.searchParams.set("state", "x");
  const code = new URL(fake.oauth.authorize(url.toString(), login)).searchParams.get("code") as string;
  const { authentication } = await exchangeWebFlowCode({
    clientType: "github-app",
    clientId: fake.oauth.clientId,
    clientSecret: fake.oauth.clientSecret,
    code,
    redirectUrl: CALLBACK,
    request: request.defaults({ baseUrl: fake.apiUrl }),
  });
  return authentication.token;
}

async function readable(login: string) {
  const as = request.defaults({
    baseUrl: fake.apiUrl,
    headers: { authorization: `token ${await tokenFor(login)}` },
  });
  const { data } = await as("GET /user/installations");
  const result: Record<string, string[]> = {};
  for (const installation of data.installations) {
    const repos = await as("GET /user/installations/{installation_id}/repositories", {
      installation_id: installation.id,
      per_page: 2,
    });
    const names = repos.data.repositories.map((r) => r.full_name);
    if (repos.data.total_count > 2) {
      const next = await as("GET /user/installations/{installation_id}/repositories", {
        installation_id: installation.id,
        per_page: 2,
        page: 2,
      });
      names.push(...next.data.repositories.map((r) => r.full_name));
    }
    result[
      `${installation.account && "login" in installation.account ? installation.account.login : "?"}:${installation.target_type}`
    ] = names;
  }
  return result;
}

describe("what a person can read", () => {
  it("an organization's admin and members see its repositories; collaborators their own; nobody else anything", async () => {
    expect(await readable("owner")).toEqual({ "acme:Organization": ["acme/api", "acme/web", "acme/secret"] });
    expect(await readable("member")).toEqual({
      "acme:Organization": ["acme/api", "acme/web", "acme/secret"],
    });
    expect(await readable("carol")).toEqual({
      "beta:Organization": ["beta/site"],
      "carol:User": ["carol/dotfiles"],
    });
    expect(await readable("stranger")).toEqual({});
    expect(fake.violations).toEqual([]);
  });

  it("an organization whose base permission is none shows members only what they were given", async () => {
    fake.access.setBasePermission("acme", "none");
    fake.access.grant("acme/web", "member", "write");
    expect(await readable("member")).toEqual({ "acme:Organization": ["acme/web"] });
    expect(await readable("owner")).toEqual({ "acme:Organization": ["acme/api", "acme/web", "acme/secret"] });
    fake.access.revoke("acme/web", "member");
    // Still a member of the organization: its installation is listed, with nothing in it.
    expect(await readable("member")).toEqual({ "acme:Organization": [] });
    expect(fake.violations).toEqual([]);
  });

  it("refuses an installation token, and an installation the person cannot see", async () => {
    const installation = new ProbotOctokit({
      auth: { appId: APP_ID, privateKey, installationId: 11 },
      baseUrl: fake.apiUrl,
      retry: { enabled: false },
      throttle: { enabled: false },
    });
    await expect(installation.request("GET /user/installations")).rejects.toMatchObject({ status: 403 });
    const as = request.defaults({
      baseUrl: fake.apiUrl,
      headers: { authorization: `token ${await tokenFor("stranger")}` },
    });
    await expect(
      as("GET /user/installations/{installation_id}/repositories", { installation_id: 11 }),
    ).rejects.toMatchObject({
      status: 404,
    });
    expect(fake.violations).toEqual([
      "GET /api/v3/user/installations → 403: the /user/installations operations need a user access token",
    ]);
  });
});
