// The setup page in a real browser (Debian's Chromium through playwright-core), as a first-time user
// walks it: open the printed link, register the GitHub App on (the fake) GitHub, watch the checklist
// turn green as the App is installed, create and install the Slack app on (the fake) Slack, and start
// the App. Screenshots of each stage go to test-output/setup-*.png.
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseEnv } from "node:util";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeGitHub, startFakeGitHub } from "../testkit/fakes/github.js";
import { DEFAULT_CONFIG_TOKEN, type FakeSlack, startFakeSlack } from "../testkit/fakes/slack.js";
import { launchChromium, SCREENSHOTS } from "../testkit/helpers/chromium.js";
import { newPrivateKey } from "../testkit/helpers/keys.js";
import { type Child, freePort, PROJECT_ROOT, stopAll, waitFor } from "../testkit/helpers/processes.js";
import { requireBuild } from "../testkit/require-build.js";
import { startBeforeSetup } from "./setup-helpers.js";

const APP_ID = 848484;
const WEBHOOK_SECRET = "webhook-secret-for-the-browser-walk";
const PUBLIC = "https://deploy-gate.example.test";
const privateKey = newPrivateKey();

let github: FakeGitHub;
let slack: FakeSlack;
let app: Child;
let dir: string;
let base: string;
let accessUrl: string;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const problems: string[] = [];

async function screenshot(name: string): Promise<void> {
  // From the top: the checklist is sticky, and a full-page capture keeps it where the viewport left it.
  await page.evaluate("window.scrollTo(0, 0)");
  await page.screenshot({ path: join(SCREENSHOTS, `setup-${name}.png`), fullPage: true });
}

const checkDone = (id: string) => page.locator(`#check-${id}`).getAttribute("data-done");

beforeAll(async () => {
  requireBuild("app");
  browser = await launchChromium();
  github = await startFakeGitHub({ appId: APP_ID, privateKey, webhookSecret: WEBHOOK_SECRET });
  slack = await startFakeSlack();
  dir = mkdtempSync(join(tmpdir(), "sdg-setup-browser-"));
  writeFileSync(join(dir, ".env"), "# my notes stay\nLOG_LEVEL=warn\n");
  copyFileSync(join(PROJECT_ROOT, "app.yml"), join(dir, "app.yml"));
  copyFileSync(join(PROJECT_ROOT, "slack-app-manifest.yml"), join(dir, "slack-app-manifest.yml"));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  app = startBeforeSetup({ dir, port, github, slack });
  accessUrl = await waitFor("the setup address", () => /Open (http:\/\/\S+)/.exec(app.output())?.[1], {
    child: app,
    timeoutMs: 30_000,
  });
  context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: base });
  page = await context.newPage();
  page.setDefaultTimeout(20_000);
  // Nothing may leave the machine, and the page must run without a console error (CSP included).
  page.on("request", (request) => {
    const url = new URL(request.url());
    if (url.protocol !== "data:" && url.hostname !== "127.0.0.1") problems.push(`requested ${request.url()}`);
  });
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(`console: ${message.text()}`);
  });
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await stopAll();
  await github?.close();
  await slack?.close();
}, 30_000);

describe("the setup page in a browser", () => {
  it("stays shut without the printed link", async () => {
    const stranger = await browser.newPage();
    const response = await stranger.goto(`${base}/setup`);
    expect(response?.status()).toBe(401);
    expect(await stranger.locator("h2").textContent()).toBe("Open the setup link from the console");
    await stranger.close();
  });

  it("registers the GitHub App on GitHub and comes back with its credentials stored", async () => {
    await page.goto(accessUrl);
    expect(new URL(page.url()).pathname).toBe("/setup");
    expect(new URL(page.url()).search).toBe("");
    for (const id of ["github", "install", "signing", "token"]) expect(await checkDone(id)).toBe("false");
    await screenshot("1-start");

    await page.fill("#public_url", PUBLIC);
    await page.fill("#app_name", "deploy-gate-browser");
    await page.click("#register-github");
    // The fake GitHub's registration page, reached by the auto-submitted manifest form.
    await page.waitForURL(`${github.url}/settings/apps/new?state=*`);
    expect(await page.locator("#app-name").textContent()).toBe("deploy-gate-browser");
    expect(await page.locator("#hook-url").textContent()).toBe(`${PUBLIC}/api/github/webhooks`);
    await page.click("#create-app");

    await page.waitForURL(`${base}/setup`);
    expect(await page.locator("#flash").textContent()).toContain(`deploy-gate-browser (App ID ${APP_ID})`);
    expect(await checkDone("github")).toBe("true");
    expect(await page.locator("#github-step h2").textContent()).toContain("GitHub App registered");
    expect(await page.locator("#install-github").getAttribute("href")).toBe(
      `${github.url}/apps/deploy-gate-browser/installations/new`,
    );
    expect(parseEnv(readFileSync(join(dir, ".env"), "utf8"))).toMatchObject({
      APP_ID: String(APP_ID),
      WEBHOOK_SECRET,
    });
    await screenshot("2-github-registered");

    // Installed on GitHub (in another tab, in real life): the checklist notices without a reload.
    github.addInstallation({ id: 9, account: "octocat", repositories: [] });
    await expect.poll(() => checkDone("install"), { timeout: 20_000 }).toBe("true");
    expect(await page.locator("#check-install .detail").textContent()).toContain("on 1 account");
  });

  it("offers the Slack manifest filled in, ready to paste", async () => {
    await page.click("#by-hand summary");
    const manifest = (await page.locator("#slack-manifest").textContent()) ?? "";
    expect(manifest).toContain(`request_url: ${PUBLIC}/slack/interactions`);
    expect(manifest).toContain("display_information:");
    await page.click("#copy-manifest");
    await expect.poll(() => page.locator("#copy-manifest").textContent()).toBe("Copied");
    expect(await page.evaluate("navigator.clipboard.readText()")).toBe(manifest);
    await screenshot("3-slack-by-hand");
    await page.click("#by-hand summary");
  });

  it("creates and installs the Slack app from a configuration token, then starts the App", async () => {
    await page.fill("#config_token", DEFAULT_CONFIG_TOKEN);
    await page.click("#create-slack");
    // The fake Slack's install page, then back.
    await page.waitForURL(`${new URL(slack.url).origin}/oauth/v2/authorize?*`);
    expect(await page.locator("h1").textContent()).toContain(
      "is requesting permission to access the Fake Workspace",
    );
    await screenshot("4-slack-install");
    await page.click("#allow");
    await page.waitForURL(`${base}/setup`);
    expect(await page.locator("#flash").textContent()).toContain("Installed in Fake Workspace");
    for (const id of ["github", "install", "signing", "token"]) expect(await checkDone(id)).toBe("true");
    expect(await page.locator("#slack-step h2").textContent()).toContain("Slack app created and installed");
    await page.locator("#start-app").waitFor();
    await screenshot("5-complete");

    const html = await page.content();
    const env = parseEnv(readFileSync(join(dir, ".env"), "utf8"));
    for (const name of [
      "WEBHOOK_SECRET",
      "SLACK_SIGNING_SECRET",
      "SLACK_BOT_TOKEN",
      "GITHUB_CLIENT_SECRET",
      "SLACK_CLIENT_SECRET",
    ]) {
      expect(env[name], name).toBeTruthy();
      expect(html).not.toContain(env[name]);
    }

    await page.click("#start-app");
    await page.locator('#starting[data-running="true"]').waitFor({ timeout: 60_000 });
    expect(await page.locator("#starting").textContent()).toContain("The App is running");
    await screenshot("6-running");
    const healthz = await fetch(`${base}/healthz`);
    expect(healthz.status).toBe(200);
    expect(readFileSync(join(dir, ".env"), "utf8").startsWith("# my notes stay\nLOG_LEVEL=warn\n")).toBe(
      true,
    );
    expect(problems).toEqual([]);
  }, 90_000);
});
