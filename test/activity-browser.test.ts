// The activity page in a real browser (Debian's Chromium through playwright-core), as an operator uses
// it: signed out, sent to sign in; GitHub's authorize page; back at the list of requests, newest first;
// filters; a request's timeline; a CSV download; the same pages on a phone. The browser enforces what
// in-process tests can only assert (cookies across GitHub's redirect, the page's Content-Security-Policy,
// nothing loaded from elsewhere). Screenshots go to test-output/activity-*.png.
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, REPO, startHarness, USERS } from "../testkit/helpers/app-harness.js";
import { PROJECT_ROOT } from "../testkit/helpers/processes.js";

const CHROMIUM =
  process.env.CHROMIUM_PATH ??
  [...(process.env.PATH ?? "").split(":").map((dir) => join(dir, "chromium")), "/usr/bin/chromium"].find(
    (path) => existsSync(path),
  ) ??
  "/usr/bin/chromium";
const OUTPUT = join(PROJECT_ROOT, "test-output");

describe("the activity page in Chromium", () => {
  let h: Harness;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];
  let decidedId = "";
  let refusedId = "";

  beforeAll(async () => {
    if (!existsSync(CHROMIUM))
      throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)`);
    mkdirSync(OUTPUT, { recursive: true });
    h = await startHarness("sqlite");
    h.github.people.setOrgMember("acme", "ada-admin", "admin");
    h.github.people.addUser({ login: "hubot" });

    // A day's worth of requests in every state.
    const approved = await h.newRequest();
    decidedId = h.requestIdOf(approved.message);
    await h.click(approved.message, "approve", USERS.alice);
    const refused = await h.newRequest();
    refusedId = h.requestIdOf(refused.message);
    await h.click(refused.message, "approve", USERS.mallory);
    const counted = await h.newRequest({ environment: "staging" });
    await h.click(counted.message, "approve", USERS.bob);
    const rejected = await h.newRequest();
    await h.click(rejected.message, "reject", USERS.bob);
    await h.settle();
    await h.submitReason(USERS.bob, "Freeze until Monday <script>alert(1)</script>");
    await h.settle();
    const failing = await h.newRequest();
    h.github.failNext({ method: "POST", path: /deployment_protection_rule$/ }, 422, 1, {
      message: "No pending deployment requests to approve or reject",
    });
    await h.click(failing.message, "approve", USERS.carol);
    const cancelled = await h.newRequest();
    h.github.cancelRun(REPO, cancelled.run);
    await h.github.sendWebhook("workflow_run", h.github.workflowRunCompletedPayload(REPO, cancelled.run));
    // GitHub reported a gate, but no request message was seen (the Action failed to post it).
    h.addRun(424242);
    await h.gate(424242);
    await h.settle();

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--no-sandbox", "--disable-background-networking", "--disable-gpu", "--no-first-run"],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    page.on("request", (request) => {
      const url = new URL(request.url());
      if (url.protocol !== "data:" && url.hostname !== "127.0.0.1")
        problems.push(`requested ${request.url()}`);
    });
    page.on("console", (message) => {
      if (message.type() === "error" || /Content Security Policy|Refused to/i.test(message.text()))
        problems.push(`console: ${message.text()}`);
    });
    page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  const shot = (name: string) =>
    page.screenshot({ path: join(OUTPUT, `activity-${name}.png`), fullPage: true });

  it("signed out, the page sends the browser to sign in with GitHub, and back", async () => {
    await page.goto(`${h.appUrl}/activity?state=approved`);
    await page.waitForURL(`${h.appUrl}/signin?**`);
    await page.locator("#sign-in").waitFor();
    expect(await page.content()).not.toContain("acme/api");
    await shot("1-sign-in");

    await page.click("#sign-in");
    await page.waitForURL(`${h.github.url}/login/oauth/authorize?**`);
    await page.selectOption("#login", "ada-admin");
    await page.click("#authorize");
    await page.waitForURL(`${h.appUrl}/activity?state=approved`);
    expect(await page.locator("#signed-in-as").textContent()).toBe("@ada-admin");
    expect(await page.locator("select[name=state]").inputValue()).toBe("approved");
  });

  it("lists requests newest first, with their state, people and latest line", async () => {
    await page.goto(`${h.appUrl}/activity`);
    const rows = page.locator("#requests tbody tr");
    expect(await rows.count(), (await page.locator("#requests").textContent()) ?? "").toBe(7);
    const states = await page.locator("#requests tbody .badge").allTextContents();
    expect(states, (await page.locator("#requests").textContent()) ?? "").toEqual([
      "pending",
      "cancelled",
      "failed to deliver",
      "rejected",
      "pending",
      "pending",
      "approved",
    ]);
    // The gate nobody's message was seen for is the newest line, with no request id yet.
    expect(await rows.first().locator("td").nth(6).textContent()).toContain(
      "GitHub is holding the deployment",
    );
    // Reasons are shown as text, never as markup.
    expect(await page.content()).not.toContain("<script>alert(1)</script>");
    expect(await page.locator(`tr[data-request="${refusedId}"]`).textContent()).toContain(
      "mallory: refused: not an approver",
    );
    await shot("2-list");
  });

  it("filters by state, person and repository", async () => {
    await page.selectOption("select[name=state]", "failed");
    await page.click("#apply");
    await page.waitForURL(/state=failed/);
    expect(await page.locator("#requests tbody tr").count()).toBe(1);
    expect(await page.locator("#requests tbody").textContent()).toContain("carol");
    await shot("3-filter-failed");

    await page.goto(`${h.appUrl}/activity`);
    await page.fill("input[name=person]", "bob");
    await page.click("#apply");
    expect(await page.locator("#requests tbody tr").count()).toBe(2);
    await page.fill("input[name=person]", "");
    await page.fill("input[name=repo]", "acme/other");
    await page.click("#apply");
    expect(await page.locator("#empty").textContent()).toBe("No requests match this filter.");
  });

  it("a request opens its timeline: the gate, the click, GitHub's answers, the decision and its delivery", async () => {
    await page.goto(`${h.appUrl}/activity`);
    await page.click(`tr[data-request="${decidedId}"] td[data-label="Seen"] a`);
    await page.waitForURL(`${h.appUrl}/activity/requests/${decidedId}`);
    const lines = await page.locator("#timeline li .text").allTextContents();
    expect(lines[0]).toContain("first seen through GitHub's deployment_protection_rule webhook");
    expect(lines).toContain("GitHub sent deployment_protection_rule requested");
    expect(lines).toContain("alice pressed Approve: approval decided it");
    expect(lines).toContain("approved by alice (@alice)");
    expect(lines).toContain("github.review, attempt 1: done");
    expect(
      lines.some((l) =>
        /^POST \/repos\/\{owner\}\/\{repo\}\/actions\/runs\/\{run_id\}\/deployment_protection_rule → 204$/.test(
          l,
        ),
      ),
    ).toBe(true);
    await shot("4-timeline");
  });

  it("downloads the CSV of what the filter shows", async () => {
    await page.goto(`${h.appUrl}/activity?state=pending`);
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#export-csv")]);
    const path = join(OUTPUT, "activity-export.csv");
    await download.saveAs(path);
    const lines = readFileSync(path, "utf8").trim().split("\r\n");
    expect(lines[0]?.startsWith("seen_at,request_id,repository")).toBe(true);
    expect(lines).toHaveLength(4);
    expect(lines.slice(1).every((l) => l.includes(",pending,"))).toBe(true);
  });

  it("works on a phone", async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${h.appUrl}/activity`);
    // No sideways scrolling: the table becomes one card per request.
    const overflow = await page.evaluate(
      "document.documentElement.scrollWidth - document.documentElement.clientWidth",
    );
    expect(overflow).toBe(0);
    await shot("5-phone-list");
    await page.goto(`${h.appUrl}/activity/requests/${refusedId}`);
    expect(
      await page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth"),
    ).toBe(0);
    await shot("6-phone-timeline");
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it("signs out, and the page is gone with the session", async () => {
    await page.goto(`${h.appUrl}/activity`);
    await page.click("#sign-out");
    await page.waitForURL(`${h.appUrl}/signin?signed_out=1`);
    expect(await page.locator("#notice").textContent()).toBe("You are signed out.");
    await page.goto(`${h.appUrl}/activity`);
    await page.waitForURL(`${h.appUrl}/signin?**`);
    expect(problems).toEqual([]);
  });
});
