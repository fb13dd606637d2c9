// Setup mode, in process: the `.env` writer, the guard (access token, CSRF, signed single-use states),
// the manifests, and the setup server's routes over real HTTP against the fake GitHub and Slack,
// including every refusal. The page never shows a credential.
import { chmodSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseEnv } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { loadConfig } from "../app/config.js";
import { checkEnvValue, mergeEnv, pemToEnvValue, readEnvFile, updateEnvFile } from "../app/setup/env-file.js";
import { SetupGuard } from "../app/setup/guard.js";
import { githubManifest, slackManifest, slackManifestYaml } from "../app/setup/manifests.js";
import { checkPublicUrl, setupOptions } from "../app/setup/options.js";
import { type SetupServer, startSetupServer } from "../app/setup/server.js";
import { type FakeGitHub, startFakeGitHub } from "../testkit/fakes/github.js";
import {
  DEFAULT_BOT_TOKEN,
  DEFAULT_CONFIG_TOKEN,
  type FakeSlack,
  startFakeSlack,
} from "../testkit/fakes/slack.js";
import { newPrivateKey } from "../testkit/helpers/keys.js";
import { PROJECT_ROOT } from "../testkit/helpers/processes.js";
import { createOnGitHub, decideInSlack, Visitor } from "./setup-helpers.js";

const privateKey = newPrivateKey();
const APP_ID = 626262;
const WEBHOOK_SECRET = "fake-github-webhook-secret-value";
const PUBLIC = "https://deploy-gate.example.test";

const scratch = () => mkdtempSync(join(tmpdir(), "sdg-setup-"));

describe(".env writing", () => {
  it("replaces only the keys it sets, appends new ones, and keeps every other line", () => {
    const original =
      "# settings\nAPP_ID=\nPORT=3000 # the port\n# WEBHOOK_SECRET=commented\nWEBHOOK_SECRET=old\n";
    expect(mergeEnv(original, { APP_ID: "12", WEBHOOK_SECRET: "new", SLACK_BOT_TOKEN: "xoxb-1" })).toBe(
      "# settings\nAPP_ID=12\nPORT=3000 # the port\n# WEBHOOK_SECRET=commented\nWEBHOOK_SECRET=new\nSLACK_BOT_TOKEN=xoxb-1\n",
    );
    expect(mergeEnv("A=1\r\nB=2\r\n", { B: "3" })).toBe("A=1\r\nB=3\r\n");
    expect(mergeEnv("", { A: "1" })).toBe("A=1\n");
  });

  it("writes atomically with mode 0600, even over a wider file", async () => {
    const dir = scratch();
    const path = join(dir, ".env");
    writeFileSync(path, "LOG_LEVEL=info\n");
    chmodSync(path, 0o644);
    await updateEnvFile(path, { APP_ID: "99" });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(path, "utf8")).toBe("LOG_LEVEL=info\nAPP_ID=99\n");
    await updateEnvFile(join(dir, "new.env"), { A: "b" });
    expect(statSync(join(dir, "new.env")).mode & 0o777).toBe(0o600);
  });

  it("writes a PEM on one line that Node's env-file parser and the App's config read back", async () => {
    const path = join(scratch(), ".env");
    await updateEnvFile(path, {
      APP_ID: "7",
      PRIVATE_KEY: pemToEnvValue(privateKey),
      WEBHOOK_SECRET: "w",
      SLACK_SIGNING_SECRET: "s",
      SLACK_BOT_TOKEN: "xoxb-1-2-abc",
    });
    const parsed = parseEnv(readFileSync(path, "utf8"));
    expect(readEnvFile(path)).toEqual(parsed);
    expect(loadConfig(parsed).privateKey).toBe(privateKey.trim());
  });

  it("refuses a value that no env-file reader would read back, without showing it", async () => {
    for (const value of ["two\nlines", "has # hash", '"quoted"', " padded", ""]) {
      expect(() => checkEnvValue("SECRET", value)).toThrow("SECRET cannot be written to .env");
    }
    await expect(updateEnvFile(join(scratch(), ".env"), { "BAD-NAME": "x" })).rejects.toThrow(
      "not a variable name",
    );
  });
});

describe("setup guard", () => {
  it("accepts a state once, for its purpose and session, until it expires", () => {
    let now = 1_000_000;
    const guard = new SetupGuard(() => now);
    const mine = guard.openSession();
    const other = guard.openSession();
    const state = guard.issueState("github", mine, 60_000);
    expect(guard.consumeState("slack", mine, state)).toEqual({
      ok: false,
      reason: expect.stringContaining("another step"),
    });
    expect(guard.consumeState("github", other, state)).toEqual({
      ok: false,
      reason: expect.stringContaining("another browser"),
    });
    expect(guard.consumeState("github", undefined, state)).toMatchObject({ ok: false });
    const [payload, signature] = state.split(".");
    const forged = `${Buffer.from(
      Buffer.from(payload ?? "", "base64url")
        .toString()
        .replace('"github"', '"slack"'),
    ).toString("base64url")}.${signature}`;
    expect(guard.consumeState("slack", mine, forged)).toEqual({
      ok: false,
      reason: expect.stringContaining("not issued"),
    });
    expect(guard.consumeState("github", mine, null)).toMatchObject({ ok: false });
    expect(guard.consumeState("github", mine, state)).toEqual({ ok: true });
    expect(guard.consumeState("github", mine, state)).toEqual({
      ok: false,
      reason: expect.stringContaining("already used"),
    });
    const late = guard.issueState("github", mine, 60_000);
    now += 60_001;
    expect(guard.consumeState("github", mine, late)).toEqual({
      ok: false,
      reason: expect.stringContaining("expired"),
    });
  });

  it("knows its own access token, sessions and CSRF values only", () => {
    const guard = new SetupGuard();
    expect(guard.checkAccessToken(guard.accessToken)).toBe(true);
    expect(guard.checkAccessToken(`${guard.accessToken}x`)).toBe(false);
    expect(guard.checkAccessToken(null)).toBe(false);
    const session = guard.openSession();
    expect(guard.session(`other=1; sdg_setup=${session.id}`)).toBe(session);
    expect(guard.session("sdg_setup=forged")).toBeUndefined();
    expect(guard.checkCsrf(session, guard.csrf(session))).toBe(true);
    expect(guard.checkCsrf(session, guard.csrf(guard.openSession()))).toBe(false);
  });
});

describe("manifests and options", () => {
  it("fills app.yml with the public webhook URL, the callback, and its permissions and events", () => {
    const manifest = githubManifest(PROJECT_ROOT, { publicUrl: PUBLIC, origin: "http://localhost:3000" });
    const source = parse(readFileSync(join(PROJECT_ROOT, "app.yml"), "utf8"));
    expect(manifest).toMatchObject({
      name: source.name,
      url: source.url,
      hook_attributes: { url: `${PUBLIC}/api/github/webhooks`, active: true },
      redirect_url: "http://localhost:3000/setup/github/callback",
      default_permissions: source.default_permissions,
      default_events: source.default_events,
      public: false,
    });
    expect(manifest).not.toHaveProperty("setup_url");
  });

  it("fills the Slack manifest's interactivity URL, in YAML to paste (comments kept) and for the API", () => {
    const yaml = slackManifestYaml(PROJECT_ROOT, PUBLIC);
    expect(yaml).toContain(`request_url: ${PUBLIC}/slack/interactions`);
    expect(yaml).toContain("# ");
    expect(parse(yaml).oauth_config).toEqual(
      parse(readFileSync(join(PROJECT_ROOT, "slack-app-manifest.yml"), "utf8")).oauth_config,
    );
    expect(slackManifestYaml(PROJECT_ROOT, undefined)).toContain(
      "https://YOUR-PUBLIC-ADDRESS/slack/interactions",
    );
    const api = slackManifest(PROJECT_ROOT, {
      publicUrl: PUBLIC,
      redirectUrl: "http://localhost:3000/setup/slack/oauth",
    });
    expect(api.settings).toMatchObject({
      interactivity: { is_enabled: true, request_url: `${PUBLIC}/slack/interactions` },
    });
    expect(api.oauth_config).toMatchObject({ redirect_urls: ["http://localhost:3000/setup/slack/oauth"] });
  });

  it("accepts only a public https address", () => {
    expect(checkPublicUrl("https://gate.example.com/")).toBe("https://gate.example.com");
    expect(checkPublicUrl("https://gate.example.com/prefix")).toBe("https://gate.example.com/prefix");
    expect(checkPublicUrl("http://gate.example.com")).toEqual({
      problem: expect.stringContaining("https://"),
    });
    expect(checkPublicUrl("https://localhost:3000")).toEqual({
      problem: expect.stringContaining("not localhost"),
    });
    expect(checkPublicUrl("https://u:p@gate.example.com")).toMatchObject({ problem: expect.any(String) });
    expect(checkPublicUrl("gate")).toMatchObject({ problem: expect.stringContaining("not a URL") });
    expect(() => setupOptions({ PUBLIC_URL: "http://x.example" })).toThrow(
      "PUBLIC_URL must start with https://",
    );
    // HOST=0.0.0.0 (a container's) opens the App, not the page that writes its credentials.
    expect(setupOptions({ HOST: "0.0.0.0" })).toMatchObject({ host: "localhost", narrowedFrom: "0.0.0.0" });
    expect(setupOptions({ HOST: "0.0.0.0", SETUP_HOST: "0.0.0.0" })).toMatchObject({ host: "0.0.0.0" });
    expect(setupOptions({ HOST: "127.0.0.1" })).toMatchObject({ host: "127.0.0.1", narrowedFrom: undefined });
    expect(setupOptions({ GHE_HOST: "127.0.0.1:8080", GHE_PROTOCOL: "http" }, "/srv")).toMatchObject({
      githubWebUrl: "http://127.0.0.1:8080",
      githubApiUrl: "http://127.0.0.1:8080/api/v3",
      envPath: "/srv/.env",
      // No manifests in /srv: the checkout this module belongs to.
      projectDir: PROJECT_ROOT.replace(/\/$/, ""),
      port: 3000,
      host: "localhost",
    });
  });
});

describe("the setup server", () => {
  let github: FakeGitHub;
  let slack: FakeSlack;
  let server: SetupServer;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let printed: string[];

  /** The setup server in `dir`, against the fakes, with `env` as its environment. */
  const start = () =>
    startSetupServer({
      ...setupOptions(
        {
          GHE_HOST: github.host,
          GHE_PROTOCOL: "http",
          SLACK_API_URL: slack.url,
          PORT: "0",
          HOST: "127.0.0.1",
        },
        dir,
      ),
      projectDir: PROJECT_ROOT,
      env,
      print: (line) => printed.push(line),
    });

  beforeEach(async () => {
    github = await startFakeGitHub({ appId: APP_ID, privateKey, webhookSecret: WEBHOOK_SECRET });
    slack = await startFakeSlack();
    dir = scratch();
    writeFileSync(join(dir, ".env"), "# my settings\nLOG_LEVEL=debug\nAPP_ID=\n");
    env = { LOG_LEVEL: "debug", APP_ID: "", SHELL_ONLY: "x" };
    printed = [];
    server = await start();
  });
  afterEach(async () => {
    await server.close();
    await github.close();
    await slack.close();
  });

  async function signedIn(): Promise<Visitor> {
    const visitor = new Visitor(server.url);
    const entry = await visitor.enter(server.accessUrl);
    expect(entry.status).toBe(303);
    expect(entry.headers.get("location")).toBe("/setup");
    expect(entry.headers.get("set-cookie")).toMatch(
      /^sdg_setup=[\w-]+; Path=\/setup; HttpOnly; SameSite=Lax$/,
    );
    return visitor;
  }

  /** Registers through the fake GitHub's pages; returns the callback address GitHub sent back. */
  async function registerOnGitHub(visitor: Visitor, fields: Record<string, string> = {}): Promise<string> {
    const toGitHub = await visitor.post("/setup/github", {
      csrf: await visitor.csrf(),
      public_url: PUBLIC,
      app_name: "deploy-gate-test",
      organization: "",
      ...fields,
    });
    expect(toGitHub.status).toBe(200);
    return createOnGitHub(github.url, toGitHub.html);
  }

  it("opens only with the printed token, and then only for the browser that used it", async () => {
    expect(printed).toEqual([]);
    const stranger = new Visitor(server.url);
    expect((await stranger.text("/setup")).status).toBe(401);
    expect((await stranger.text("/setup?token=guess")).status).toBe(403);
    expect((await stranger.post("/setup/github", { public_url: PUBLIC })).status).toBe(401);
    expect((await stranger.text("/")).location).toBe("/setup");
    expect((await stranger.text("/healthz")).status).toBe(503);
    const ping = await fetch(`${server.url}/api/github/webhooks`, { method: "POST", body: "{}" });
    expect(ping.status).toBe(503);
    expect(await ping.text()).toContain("setup mode");

    const visitor = await signedIn();
    const page = await visitor.get("/setup");
    expect(page.status).toBe(200);
    expect(page.headers.get("content-security-policy")).toContain("default-src 'none'");
    expect(page.headers.get("x-frame-options")).toBe("DENY");
    expect(page.headers.get("cache-control")).toBe("no-store");
    const html = await page.text();
    expect(html).toContain("Register the GitHub App");
    expect(html).toContain("deployment_protection_rule");
    expect(html).toContain(`${server.url.replace("localhost", "127.0.0.1")}/setup/github/callback`);
  });

  it("refuses a form without this session's CSRF value", async () => {
    const visitor = await signedIn();
    const refused = await visitor.post("/setup/github", { csrf: "nope", public_url: PUBLIC, app_name: "x" });
    expect(refused.status).toBe(403);
    expect(refused.html).toContain("reload the setup page");
    expect(github.manifestRegistrations).toEqual([]);
  });

  it("explains a public address or App name it cannot use", async () => {
    const visitor = await signedIn();
    const bad: [Record<string, string>, string][] = [
      [{ public_url: "http://gate.example.com" }, "must start with https://"],
      [{ public_url: "https://localhost:3000" }, "not localhost"],
      [{ app_name: "x".repeat(35) }, "1 to 34 characters"],
      [{ organization: "not an org!" }, "must be a GitHub login"],
    ];
    for (const [fields, why] of bad) {
      const answer = await visitor.post("/setup/github", {
        csrf: await visitor.csrf(),
        public_url: PUBLIC,
        app_name: "ok",
        ...fields,
      });
      expect(answer.location).toBe("/setup");
      expect(await visitor.flash()).toContain(why);
    }
  });

  it("registers the GitHub App, stores its credentials in .env, and accepts the callback once", async () => {
    const visitor = await signedIn();
    const callback = new URL(await registerOnGitHub(visitor, { organization: "acme" }));
    expect(github.manifestRegistrations[0]).toMatchObject({
      account: "acme",
      manifest: expect.objectContaining({
        name: "deploy-gate-test",
        hook_attributes: { url: `${PUBLIC}/api/github/webhooks`, active: true },
      }),
    });
    const stranger = new Visitor(server.url);
    const stolen = await stranger.text(callback.pathname + callback.search);
    expect(stolen.status).toBe(400);
    expect(stolen.html).toContain("another browser session");

    // A HEAD (a link preview, a prefetch) does not spend the state.
    const head = await fetch(callback, { method: "HEAD", headers: { cookie: visitor.cookie ?? "" } });
    expect(head.status).toBe(404);
    const back = await visitor.text(callback.pathname + callback.search);
    expect(back.location).toBe("/setup");
    expect(await visitor.flash()).toContain(`deploy-gate-test (App ID ${APP_ID})`);
    const file = readFileSync(join(dir, ".env"), "utf8");
    expect(file.startsWith("# my settings\nLOG_LEVEL=debug\nAPP_ID=626262\n")).toBe(true);
    expect(statSync(join(dir, ".env")).mode & 0o777).toBe(0o600);
    const stored = parseEnv(file);
    expect(stored).toMatchObject({
      APP_ID: String(APP_ID),
      WEBHOOK_SECRET,
      GITHUB_CLIENT_ID: expect.stringMatching(/^Iv1\./),
      GITHUB_CLIENT_SECRET: expect.stringMatching(/^[0-9a-f]{40}$/),
    });
    expect(stored.PRIVATE_KEY?.replace(/\\n/g, "\n")).toBe(privateKey.trim());
    expect(printed.join("\n")).toContain("registered the GitHub App deploy-gate-test");

    const replay = await visitor.text(callback.pathname + callback.search);
    expect(replay.status).toBe(400);
    expect(replay.html).toContain("already used");

    // Registered: the page says so, and a second registration is refused.
    const page = await visitor.text("/setup");
    expect(page.html).toContain("GitHub App registered");
    expect(page.html).toContain(`${github.url}/apps/deploy-gate-test/installations/new`);
    expect(page.html).toContain(`<code>${PUBLIC}/api/github/webhooks</code>`);
    const again = await visitor.post("/setup/github", {
      csrf: await visitor.csrf(),
      public_url: PUBLIC,
      app_name: "two",
    });
    expect(again.location).toBe("/setup");
    expect(await visitor.flash()).toContain("already registered");

    // Installing it on GitHub turns its item green.
    const installed = async () =>
      (await visitor.text("/setup/checklist")).html.match(/id="check-install" data-done="(\w+)"/)?.[1];
    expect(await installed()).toBe("false");
    github.addInstallation({ id: 31, account: "acme", repositories: [] });
    await expect.poll(installed, { timeout: 10_000, interval: 500 }).toBe("true");
    expect(github.violations).toEqual([]);
    for (const html of visitor.pages) {
      expect(html).not.toContain(WEBHOOK_SECRET);
      expect(html).not.toContain(stored.GITHUB_CLIENT_SECRET);
      expect(html).not.toContain(privateKey.split("\n")[1]);
    }
  });

  it("refuses a GitHub callback with a forged or missing state", async () => {
    const visitor = await signedIn();
    expect((await visitor.text("/setup/github/callback?code=abc")).html).toContain("no state");
    expect((await visitor.text("/setup/github/callback?code=abc&state=a.b")).html).toContain(
      "not issued by this setup page",
    );
    expect(readEnvFile(join(dir, ".env")).APP_ID).toBe("");
  });

  it("creates the Slack app with a configuration token, installs it through OAuth, and stores both secrets", async () => {
    const visitor = await signedIn();
    const csrf = await visitor.csrf();
    const create = (fields: Record<string, string>) =>
      visitor.post("/setup/slack/create", {
        csrf,
        public_url: PUBLIC,
        config_token: DEFAULT_CONFIG_TOKEN,
        ...fields,
      });

    expect((await create({ config_token: DEFAULT_BOT_TOKEN })).location).toBe("/setup");
    expect(await visitor.flash()).toContain("not an app configuration token");
    expect((await create({ config_token: "xoxe.xoxp-1-wrong" })).location).toBe("/setup");
    expect(await visitor.flash()).toContain("Slack does not accept this configuration token");
    slack.failNext("apps.manifest.create", "ratelimited");
    await create({});
    expect(await visitor.flash()).toContain("rate-limiting");

    const created = await create({});
    const authorize = new URL(created.location ?? "");
    expect(`${authorize.origin}${authorize.pathname}`).toBe(
      `${new URL(slack.url).origin}/oauth/v2/authorize`,
    );
    const redirectUri = authorize.searchParams.get("redirect_uri") ?? "";
    expect(redirectUri).toBe(`${server.url.replace("localhost", "127.0.0.1")}/setup/slack/oauth`);
    const app = slack.apps[0];
    expect(app?.manifest).toMatchObject({
      settings: { interactivity: { request_url: `${PUBLIC}/slack/interactions` } },
      oauth_config: { redirect_urls: [redirectUri] },
    });
    expect(readEnvFile(join(dir, ".env"))).toMatchObject({
      SLACK_SIGNING_SECRET: app?.signingSecret,
      SLACK_APP_ID: app?.appId,
      SLACK_CLIENT_ID: app?.clientId,
      SLACK_CLIENT_SECRET: app?.clientSecret,
    });

    // Cancelled in Slack: nothing stored; "Install in Slack" starts again.
    const decide = async (url: URL, decision: "allow" | "cancel") =>
      new URL(await decideInSlack(url.toString(), decision));
    const cancelled = await decide(authorize, "cancel");
    expect((await visitor.text(cancelled.pathname + cancelled.search)).location).toBe("/setup");
    expect(await visitor.flash()).toContain("cancelled");
    expect(readEnvFile(join(dir, ".env")).SLACK_BOT_TOKEN).toBeUndefined();

    const retry = await visitor.post("/setup/slack/install", { csrf });
    const allowed = await decide(new URL(retry.location ?? ""), "allow");
    const stranger = new Visitor(server.url);
    expect((await stranger.text(allowed.pathname + allowed.search)).status).toBe(400);
    expect((await visitor.text(allowed.pathname + allowed.search)).location).toBe("/setup");
    expect(await visitor.flash()).toContain("Installed in Fake Workspace");
    const token = slack.installs[0]?.botToken;
    expect(readEnvFile(join(dir, ".env")).SLACK_BOT_TOKEN).toBe(token);
    expect((await visitor.text(allowed.pathname + allowed.search)).html).toContain("already used");

    const page = await visitor.text("/setup");
    expect(page.html).toContain("Slack app created and installed");
    for (const html of visitor.pages) {
      for (const secret of [app?.signingSecret, app?.clientSecret, token, DEFAULT_CONFIG_TOKEN])
        expect(html).not.toContain(secret);
    }
    expect(printed.join("\n")).not.toContain(token);
  });

  it("stores a hand-pasted signing secret and bot token after checking them, then hands over", async () => {
    const visitor = await signedIn();
    const csrf = await visitor.csrf();
    const page = await visitor.text("/setup");
    expect(page.html).toContain("Or by hand: paste the manifest into Slack");
    expect(page.html).toContain("request_url: https://YOUR-PUBLIC-ADDRESS/slack/interactions");

    await visitor.post("/setup/slack/manual", { csrf, signing_secret: "short", bot_token: "" });
    expect(await visitor.flash()).toContain("not a signing secret");
    await visitor.post("/setup/slack/manual", { csrf, signing_secret: "", bot_token: "xoxb-123-unknown" });
    expect(await visitor.flash()).toContain("Slack does not accept");
    await visitor.post("/setup/slack/manual", {
      csrf,
      signing_secret: "0123456789abcdef0123456789abcdef",
      bot_token: DEFAULT_BOT_TOKEN,
    });
    expect(await visitor.flash()).toContain("Stored SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN");

    // Not complete yet: the GitHub side is missing.
    await visitor.post("/setup/finish", { csrf });
    expect(await visitor.flash()).toContain("still missing");
    const callback = new URL(await registerOnGitHub(visitor));
    await visitor.text(callback.pathname + callback.search);
    const ready = await visitor.text("/setup/checklist");
    expect(ready.html).toContain('id="start-app"');

    let finished = false;
    void server.finished.then(() => {
      finished = true;
    });
    const starting = await visitor.post("/setup/finish", { csrf });
    expect(starting.status).toBe(200);
    expect(starting.html).toContain("the App is starting");
    await expect.poll(() => finished).toBe(true);
    // The App starts from the environment: what setup stored is there now, and nothing else changed.
    expect(env).toMatchObject({
      APP_ID: String(APP_ID),
      WEBHOOK_SECRET,
      SLACK_SIGNING_SECRET: "0123456789abcdef0123456789abcdef",
      SLACK_BOT_TOKEN: DEFAULT_BOT_TOKEN,
      LOG_LEVEL: "debug",
      SHELL_ONLY: "x",
    });
  });

  it("warns when the environment overrides what setup stored", async () => {
    await server.close();
    env.SLACK_BOT_TOKEN = "xoxb-from-the-shell";
    server = await start();
    const visitor = await signedIn();
    await visitor.post("/setup/slack/manual", {
      csrf: await visitor.csrf(),
      signing_secret: "",
      bot_token: DEFAULT_BOT_TOKEN,
    });
    const { html } = await visitor.text("/setup/checklist");
    expect(html).toContain(
      "The environment sets <code>SLACK_BOT_TOKEN</code> to something other than <code>.env</code>",
    );
    expect(html).not.toContain("xoxb-from-the-shell");
  });
});
