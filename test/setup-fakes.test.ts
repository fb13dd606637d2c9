// The fakes' side of setup: GitHub's manifest registration pages and conversion endpoint (checked
// against GitHub's OpenAPI description like every fake route), and Slack's apps.manifest.create,
// install page and oauth.v2.access, driven by real clients (Probot's Octokit, @slack/web-api).
import { WebClient } from "@slack/web-api";
import { ProbotOctokit } from "probot";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { appJwt } from "../app/setup/github.js";
import { githubManifest, slackManifest } from "../app/setup/manifests.js";
import { type FakeGitHub, startFakeGitHub } from "../testkit/fakes/github.js";
import {
  DEFAULT_BOT_TOKEN,
  DEFAULT_CONFIG_TOKEN,
  type FakeSlack,
  startFakeSlack,
} from "../testkit/fakes/slack.js";
import { newPrivateKey } from "../testkit/helpers/keys.js";
import { PROJECT_ROOT } from "../testkit/helpers/processes.js";

const APP_ID = 515151;
const SECRET = "webhook-secret-from-the-fake";
const privateKey = newPrivateKey();
const PUBLIC = "https://deploy-gate.example.test";

interface SlackManifestShape {
  display_information: { name: string };
  settings: { interactivity: { request_url?: string } };
  oauth_config: { scopes: { bot: string[] } };
}
const BACK = "http://127.0.0.1:9/setup";

describe("fake GitHub: registering an App from a manifest", () => {
  let github: FakeGitHub;

  beforeEach(async () => {
    github = await startFakeGitHub({ appId: APP_ID, privateKey, webhookSecret: SECRET });
  });
  afterEach(async () => {
    await github.close();
  });

  /** Posts the manifest as the setup page's form does, then presses "Create GitHub App". */
  async function register(manifest: object, path = "/settings/apps/new", state = "s-123") {
    const page = await fetch(`${github.url}${path}?state=${state}`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ manifest: JSON.stringify(manifest) }).toString(),
    });
    const html = await page.text();
    if (page.status !== 200) return { status: page.status, html, location: undefined };
    const pending = /name="pending" value="([0-9a-f]+)"/.exec(html)?.[1] ?? "";
    const confirm = await fetch(`${github.url}/settings/apps/new/confirm`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ pending }).toString(),
      redirect: "manual",
    });
    return { status: confirm.status, html, location: confirm.headers.get("location") ?? undefined };
  }

  const manifest = (name?: string) =>
    githubManifest(PROJECT_ROOT, {
      publicUrl: PUBLIC,
      origin: "http://127.0.0.1:9",
      ...(name ? { name } : {}),
    });

  it("sends the browser back with a code and the state, and converts the code once", async () => {
    const { status, html, location } = await register(manifest("deploy-gate-acme"));
    expect(html).toContain("Create GitHub App for octocat");
    expect(html).toContain(`${PUBLIC}/api/github/webhooks`);
    expect(status).toBe(302);
    const back = new URL(location ?? "");
    expect(`${back.origin}${back.pathname}`).toBe("http://127.0.0.1:9/setup/github/callback");
    expect(back.searchParams.get("state")).toBe("s-123");
    const code = back.searchParams.get("code") ?? "";

    // Probot's own client, as its manifest flow calls it: no credentials, the code is one.
    const octokit = new ProbotOctokit({ baseUrl: github.apiUrl });
    const { data } = await octokit.request("POST /app-manifests/{code}/conversions", { code });
    expect(data).toMatchObject({
      id: APP_ID,
      name: "deploy-gate-acme",
      slug: "deploy-gate-acme",
      owner: { login: "octocat", type: "User" },
      webhook_secret: SECRET,
      // Whatever app.yml asks for, as GitHub granted it.
      permissions: manifest().default_permissions,
      events: expect.arrayContaining(["deployment_protection_rule", "push"]),
    });
    expect(data.pem).toContain("PRIVATE KEY");
    expect(data.client_id).toMatch(/^Iv1\./);
    expect(data.client_secret).toMatch(/^[0-9a-f]{40}$/);
    expect(github.manifestRegistrations).toEqual([
      expect.objectContaining({ account: "octocat", state: "s-123", converted: true }),
    ]);

    await expect(octokit.request("POST /app-manifests/{code}/conversions", { code })).rejects.toMatchObject({
      status: 404,
    });

    // The new App can look itself up with the key it was given.
    const asApp = { headers: { authorization: `Bearer ${appJwt(data.id, data.pem ?? "")}` } };
    const app = await fetch(`${github.apiUrl}/app`, asApp).then((r) => r.json());
    expect(app).toMatchObject({ name: "deploy-gate-acme", html_url: `${github.url}/apps/deploy-gate-acme` });
    expect(await fetch(`${github.apiUrl}/app/installations`, asApp).then((r) => r.json())).toEqual([]);
    github.addInstallation({ id: 77, account: "acme", repositories: [] });
    expect(await fetch(`${github.apiUrl}/app/installations`, asApp).then((r) => r.json())).toEqual([
      expect.objectContaining({
        id: 77,
        app_id: APP_ID,
        account: expect.objectContaining({ login: "acme" }),
      }),
    ]);
    expect(await fetch(`${github.apiUrl}/app/hook/config`, asApp).then((r) => r.json())).toMatchObject({
      url: `${PUBLIC}/api/github/webhooks`,
      content_type: "json",
    });
    expect(github.violations).toEqual([]);
  });

  it("registers on an organization when the form posts to its settings", async () => {
    const { location } = await register(manifest(), "/organizations/acme/settings/apps/new");
    const code = new URL(location ?? "").searchParams.get("code") ?? "";
    const response = await fetch(`${github.apiUrl}/app-manifests/${code}/conversions`, { method: "POST" });
    expect(response.status).toBe(201);
    expect(await response.json()).toMatchObject({ owner: { login: "acme", type: "Organization" } });
    expect(github.violations).toEqual([]);
  });

  it("refuses a manifest GitHub would refuse, and records why", async () => {
    const base = manifest();
    const cases: [object, string][] = [
      [{ ...base, name: "x".repeat(35) }, "Name is too long"],
      [{ ...base, hook_attributes: { active: true } }, "Webhook URL must be a valid URL"],
      [{ ...base, default_events: ["push", "no_such_event"] }, "Default events unsupported: no_such_event"],
      [
        { ...base, default_permissions: { actions: "read" } },
        "Default events unsupported: push (needs the contents",
      ],
      [
        { ...base, default_permissions: { ...base.default_permissions, deployments: "admin" } },
        "default_permissions",
      ],
      [{ ...base, redirect_uri: "https://typo.example" }, "unknown manifest key redirect_uri"],
    ];
    for (const [bad, why] of cases) {
      const { status, html } = await register(bad);
      expect(status).toBe(422);
      expect(html).toContain(why.replace(/[<>&"]/g, ""));
      expect(github.violations.at(-1)).toContain(why);
    }
    expect(github.manifestRegistrations).toEqual([]);
  });

  it("answers an unknown or malformed code as GitHub does, without asking for credentials", async () => {
    const response = await fetch(`${github.apiUrl}/app-manifests/nosuchcode/conversions`, { method: "POST" });
    expect(response.status).toBe(404);
    expect(github.violations).toEqual([]);
  });
});

describe("fake Slack: creating and installing an app", () => {
  let slack: FakeSlack;
  const manifest = slackManifest(PROJECT_ROOT, { publicUrl: PUBLIC, redirectUrl: `${BACK}/slack/oauth` });

  beforeEach(async () => {
    slack = await startFakeSlack();
  });
  afterEach(async () => {
    await slack.close();
  });

  const client = (token?: string) =>
    new WebClient(token, {
      slackApiUrl: slack.url,
      retryConfig: { retries: 0 },
      rejectRateLimitedCalls: true,
    });

  async function create(token = DEFAULT_CONFIG_TOKEN, body: object = manifest) {
    const response = await fetch(`${slack.url}apps.manifest.create`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", authorization: `Bearer ${token}` },
      body: new URLSearchParams({ manifest: JSON.stringify(body) }).toString(),
    });
    return (await response.json()) as Record<string, unknown>;
  }

  /** Opens the install page and presses Allow (or Cancel); returns where Slack sends the browser. */
  async function authorize(url: string, decision: "allow" | "cancel" = "allow") {
    const page = await fetch(url);
    const html = await page.text();
    if (page.status !== 200) return { status: page.status, html, location: undefined };
    const request = /name="request" value="([0-9a-f]+)"/.exec(html)?.[1] ?? "";
    const answer = await fetch(new URL("/oauth/v2/authorize", url), {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ request, decision }).toString(),
      redirect: "manual",
    });
    return { status: answer.status, html, location: new URL(answer.headers.get("location") ?? "") };
  }

  it("creates the app with Slack's response shape, and the install yields a working bot token", async () => {
    const created = await client(DEFAULT_CONFIG_TOKEN).apps.manifest.create({ manifest: manifest as never });
    expect(created).toMatchObject({
      ok: true,
      app_id: expect.stringMatching(/^A0[0-9A-F]+$/),
      credentials: {
        client_id: expect.stringMatching(/^\d+\.\d+$/),
        client_secret: expect.stringMatching(/^[0-9a-f]{32}$/),
        signing_secret: expect.stringMatching(/^[0-9a-f]{32}$/),
        verification_token: expect.any(String),
      },
    });
    const authorizeUrl = new URL(created.oauth_authorize_url ?? "");
    expect(authorizeUrl.pathname).toBe("/oauth/v2/authorize");
    expect(authorizeUrl.searchParams.get("scope")).toBe(manifestScopes().join(","));
    expect(slack.apps[0]?.manifest).toEqual(manifest);

    authorizeUrl.searchParams.set("redirect_uri", `${BACK}/slack/oauth`);
    authorizeUrl.searchParams.set("state", "st-1");
    const { html, location } = await authorize(authorizeUrl.toString());
    expect(html).toContain(
      "Deploy Gate is requesting permission to access the Fake Workspace Slack workspace",
    );
    expect(`${location?.origin}${location?.pathname}`).toBe(`${BACK}/slack/oauth`);
    expect(location?.searchParams.get("state")).toBe("st-1");
    const code = location?.searchParams.get("code") ?? "";

    const { client_id, client_secret } = created.credentials ?? {};
    const access = await client().oauth.v2.access({
      client_id: client_id ?? "",
      client_secret: client_secret ?? "",
      code,
      redirect_uri: `${BACK}/slack/oauth`,
    });
    expect(access).toMatchObject({
      ok: true,
      app_id: created.app_id,
      token_type: "bot",
      access_token: expect.stringMatching(/^xoxb-\d+-\d+-\w+$/),
      bot_user_id: expect.any(String),
      team: { id: expect.any(String), name: "Fake Workspace" },
      authed_user: { id: expect.any(String) },
      enterprise: null,
      is_enterprise_install: false,
    });
    expect((access.scope ?? "").split(",")).toEqual(manifestScopes());
    expect(await client(access.access_token).auth.test()).toMatchObject({ ok: true });
    expect(slack.installs).toEqual([
      expect.objectContaining({ appId: created.app_id, botToken: access.access_token }),
    ]);

    // A code works once.
    await expect(
      client().oauth.v2.access({
        client_id: client_id ?? "",
        client_secret: client_secret ?? "",
        code,
        redirect_uri: `${BACK}/slack/oauth`,
      }),
    ).rejects.toMatchObject({ data: { ok: false, error: "invalid_code" } });
  });

  it("refuses the wrong token kinds as Slack does", async () => {
    const anonymous = await fetch(`${slack.url}apps.manifest.create`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ manifest: JSON.stringify(manifest) }).toString(),
    }).then((r) => r.json());
    expect(anonymous).toEqual({ ok: false, error: "not_authed" });
    expect(await create(DEFAULT_BOT_TOKEN)).toEqual({ ok: false, error: "not_allowed_token_type" });
    expect(await create("xoxe.xoxp-1-someone-elses")).toEqual({ ok: false, error: "invalid_auth" });
    expect(slack.apps).toEqual([]);
  });

  it("refuses an invalid manifest with Slack's errors and pointers", async () => {
    const bad = structuredClone(manifest) as unknown as SlackManifestShape;
    bad.display_information.name = "";
    bad.settings.interactivity.request_url = "http://deploy-gate.example.test/slack/interactions";
    bad.oauth_config.scopes.bot = ["chat:write", "chat:rite"];
    const result = await create(DEFAULT_CONFIG_TOKEN, bad);
    expect(result).toMatchObject({ ok: false, error: "invalid_manifest" });
    expect(result.errors).toEqual(
      expect.arrayContaining([
        { message: "Field is required", pointer: "/display_information/name" },
        { message: "Must be a valid https URL", pointer: "/settings/interactivity/request_url" },
        { message: "Invalid scope: chat:rite", pointer: "/oauth_config/scopes/bot/1" },
      ]),
    );
    const noUrl = structuredClone(manifest) as unknown as SlackManifestShape;
    delete noUrl.settings.interactivity.request_url;
    expect((await create(DEFAULT_CONFIG_TOKEN, noUrl)).errors).toEqual([
      { message: "Interactivity requires a Request URL", pointer: "/settings/interactivity" },
    ]);
    expect(slack.apps).toEqual([]);
  });

  it("refuses installs and exchanges that do not match the app", async () => {
    const created = await create();
    const credentials = created.credentials as { client_id: string; client_secret: string };
    const start = new URL(String(created.oauth_authorize_url));
    start.searchParams.set("redirect_uri", "https://evil.example/steal");
    expect((await authorize(start.toString())).html).toContain(
      "redirect_uri did not match any configured URIs",
    );
    const unknown = new URL(start);
    unknown.searchParams.set("client_id", "1.2");
    expect((await authorize(unknown.toString())).status).toBe(400);

    start.searchParams.set("redirect_uri", `${BACK}/slack/oauth`);
    const cancelled = await authorize(start.toString(), "cancel");
    expect(cancelled.location?.searchParams.get("error")).toBe("access_denied");
    expect(cancelled.location?.searchParams.get("code")).toBeNull();

    const { location } = await authorize(start.toString());
    const code = location?.searchParams.get("code") ?? "";
    const exchange = (fields: Record<string, string>) =>
      fetch(`${slack.url}oauth.v2.access`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams(fields).toString(),
      }).then((r) => r.json());
    const good = { ...credentials, code, redirect_uri: `${BACK}/slack/oauth` };
    expect(await exchange({ ...good, client_id: "9.9" })).toEqual({ ok: false, error: "invalid_client_id" });
    expect(await exchange({ ...good, client_secret: "0".repeat(32) })).toEqual({
      ok: false,
      error: "bad_client_secret",
    });
    expect(await exchange({ ...good, redirect_uri: `${BACK}/elsewhere` })).toEqual({
      ok: false,
      error: "bad_redirect_uri",
    });
    expect(await exchange({ ...good, code: "not-a-code" })).toEqual({ ok: false, error: "invalid_code" });
    expect(await exchange(good)).toMatchObject({ ok: true, token_type: "bot" });
    expect(slack.installs).toHaveLength(1);
  });

  function manifestScopes(): string[] {
    return ((manifest.oauth_config as { scopes: { bot: string[] } }).scopes.bot ?? []).slice();
  }
});
