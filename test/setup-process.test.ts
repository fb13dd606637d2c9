// `npm start` as a new user meets it: `cp .env.example .env`, start without APP_ID, and the process
// serves the setup page; through it (against the fake GitHub and Slack) to a complete `.env`, the App
// taking over the same process, and its credentials proven by a verified webhook and a verified click.
// Started again, it is the App at once and serves no setup route.
import { copyFileSync, mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseEnv } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeGitHub, startFakeGitHub } from "../testkit/fakes/github.js";
import { DEFAULT_CONFIG_TOKEN, type FakeSlack, startFakeSlack } from "../testkit/fakes/slack.js";
import { newPrivateKey } from "../testkit/helpers/keys.js";
import {
  type Child,
  freePort,
  PROJECT_ROOT,
  stopAll,
  waitFor,
  waitForHealthy,
} from "../testkit/helpers/processes.js";
import { formEncodePayload, signSlackRequest } from "../testkit/helpers/slack-sign.js";
import { requireBuild } from "../testkit/require-build.js";
import { createOnGitHub, decideInSlack, startBeforeSetup, Visitor } from "./setup-helpers.js";

const APP_ID = 737373;
const WEBHOOK_SECRET = "webhook-secret-github-generated";
const PUBLIC = "https://deploy-gate.example.test";
const privateKey = newPrivateKey();

let github: FakeGitHub;
let slack: FakeSlack;
let dir: string;
let port: number;
let base: string;

/** `npm start`'s process (what it runs after building), in `dir`, with only non-secret settings. */
function start(): Child {
  return startBeforeSetup({ dir, port, github, slack, env: { LOG_LEVEL: "warn" } });
}

beforeAll(async () => {
  requireBuild("app");
  github = await startFakeGitHub({ appId: APP_ID, privateKey, webhookSecret: WEBHOOK_SECRET });
  slack = await startFakeSlack();
  dir = mkdtempSync(join(tmpdir(), "sdg-setup-process-"));
  // A checkout's files, as `npm start` finds them in its working directory.
  copyFileSync(join(PROJECT_ROOT, ".env.example"), join(dir, ".env"));
  copyFileSync(join(PROJECT_ROOT, "app.yml"), join(dir, "app.yml"));
  copyFileSync(join(PROJECT_ROOT, "slack-app-manifest.yml"), join(dir, "slack-app-manifest.yml"));
  port = await freePort();
  base = `http://127.0.0.1:${port}`;
}, 60_000);

afterAll(async () => {
  await stopAll();
  await github?.close();
  await slack?.close();
});

describe("npm start without APP_ID", () => {
  it("serves setup until .env is complete, then runs the App in the same process", async () => {
    const child = start();
    const accessUrl = await waitFor(
      "the setup address",
      () => /Open (http:\/\/\S+\/setup\?token=[\w-]+)/.exec(child.output())?.[1],
      { child, timeoutMs: 30_000 },
    );
    expect(accessUrl.startsWith(`${base}/setup?token=`)).toBe(true);
    expect(child.output()).toContain("no APP_ID is set, so this is setup mode");
    expect(child.output()).toContain(join(dir, ".env"));

    const visitor = new Visitor(base);
    expect((await visitor.text("/setup")).status).toBe(401);
    expect((await visitor.enter(accessUrl)).status).toBe(303);
    const csrf = await visitor.csrf();

    // GitHub: register, come back, credentials in .env.
    const toGitHub = await visitor.post("/setup/github", {
      csrf,
      public_url: PUBLIC,
      app_name: "deploy-gate-e2e",
      organization: "acme",
    });
    const callback = await createOnGitHub(github.url, toGitHub.html);
    expect((await visitor.follow(callback)).location).toBe("/setup");
    expect(await visitor.flash()).toContain(`App ID ${APP_ID}`);

    // Slack: create from the manifest, allow the install, come back with the bot token.
    const created = await visitor.post("/setup/slack/create", {
      csrf,
      public_url: PUBLIC,
      config_token: DEFAULT_CONFIG_TOKEN,
    });
    const back = await decideInSlack(created.location ?? "");
    expect((await visitor.follow(back)).location).toBe("/setup");
    expect(await visitor.flash()).toContain("the bot token is in .env");

    const env = parseEnv(readFileSync(join(dir, ".env"), "utf8"));
    const app = slack.apps[0];
    expect(env).toMatchObject({
      APP_ID: String(APP_ID),
      WEBHOOK_SECRET,
      GITHUB_CLIENT_ID: expect.stringMatching(/^Iv1\./),
      GITHUB_CLIENT_SECRET: expect.any(String),
      SLACK_SIGNING_SECRET: app?.signingSecret,
      SLACK_BOT_TOKEN: slack.installs[0]?.botToken,
      SLACK_CLIENT_ID: app?.clientId,
      // What .env.example had stays as it was.
      PORT: "3000",
      LOG_LEVEL: "info",
      PRIVATE_KEY_PATH: "./private-key.pem",
    });
    expect(env.PRIVATE_KEY?.replace(/\\n/g, "\n")).toBe(privateKey.trim());
    expect(statSync(join(dir, ".env")).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dir, ".env"), "utf8")).toContain(
      "# a variable set in the environment always wins over .env.",
    );

    // Hand over: the setup server closes and the App answers on the same port.
    const starting = await visitor.post("/setup/finish", { csrf });
    expect(starting.html).toContain("the App is starting");
    await waitForHealthy(`${base}/healthz`, child, 60_000);
    expect(child.output()).toContain("setup is complete; starting the App");
    expect((await visitor.text("/setup")).status).toBe(404);

    // The stored credentials work: GitHub's signed webhook and Slack's signed click are accepted.
    github.webhookUrl = `${base}/api/github/webhooks`;
    github.addRepository({ fullName: "acme/webshop" });
    github.addInstallation({ id: 4242, account: "acme", repositories: ["acme/webshop"] });
    const delivery = await github.sendWebhook("push", github.pushPayload("acme/webshop", ["README.md"]));
    expect(delivery.status).toBe(200);
    const body = formEncodePayload({ type: "block_actions" });
    const signed = await fetch(`${base}/slack/interactions`, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        ...signSlackRequest(body, app?.signingSecret ?? ""),
      },
      body,
    });
    expect(signed.status).not.toBe(401);
    const forged = await fetch(`${base}/slack/interactions`, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        ...signSlackRequest(body, "0".repeat(32)),
      },
      body,
    });
    expect(forged.status).toBe(401);
    // Nothing secret reached the console.
    for (const secret of [
      WEBHOOK_SECRET,
      app?.signingSecret,
      slack.installs[0]?.botToken,
      env.GITHUB_CLIENT_SECRET,
    ]) {
      expect(child.output()).not.toContain(secret);
    }
    expect(child.output()).not.toContain(privateKey.split("\n")[1]);
    await child.stop();
  }, 120_000);

  it("is the App at once when started again, and never serves setup", async () => {
    const child = start();
    await waitForHealthy(`${base}/healthz`, child, 60_000);
    expect(child.output()).not.toContain("setup mode");
    const visitor = new Visitor(base);
    for (const path of ["/setup", "/setup?token=anything", "/setup/github/callback?code=x&state=y"]) {
      expect((await visitor.text(path)).status).toBe(404);
    }
    await child.stop();
  }, 90_000);
});
