// The link flow in a real browser (Debian's Chromium through playwright-core): the button from
// `/deploy-gate link` → the App's page (who is being linked) → Continue → the fake GitHub's sign-in
// and authorize page, signing in as someone → back to the App, linked. The browser enforces what the
// in-process tests can only assert: the cookie travels (SameSite=Lax on GitHub's redirect back), the
// page's Content-Security-Policy lets its form go on to GitHub, and a replayed callback is refused.
// Screenshots of each step go to test-output/.
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, SIGNING_SECRET, startHarness, USERS } from "../testkit/helpers/app-harness.js";
import { launchChromium, SCREENSHOTS } from "../testkit/helpers/chromium.js";
import { linkButtonUrl, slashCommand } from "../testkit/helpers/link-flow.js";

describe("the link flow in Chromium", () => {
  let h: Harness;
  let browser: Browser;
  let page: Page;
  const violations: string[] = [];

  beforeAll(async () => {
    browser = await launchChromium();
    h = await startHarness("sqlite");
    h.github.people.addUser({ login: "octocat", name: "The Octocat" });
    h.github.people.addUser({ login: "hubot", name: "Hubot" });
    page = await browser.newPage({ viewport: { width: 900, height: 760 } });
    // The browser reports what the page's policy blocks: none of it may be the App's own doing.
    page.on("console", (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) violations.push(message.text());
    });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  const shot = (name: string) =>
    page.screenshot({ path: join(SCREENSHOTS, `link-${name}.png`), fullPage: true });

  it("links Alice's Slack account to @octocat through GitHub's sign-in", async () => {
    const reply = await slashCommand(h.appUrl, SIGNING_SECRET, USERS.alice, "link");
    const url = linkButtonUrl(reply.blocks);
    expect(url).toBeDefined();

    await page.goto(url ?? "");
    await page.locator("#continue").waitFor();
    expect(await page.locator("#slack-user").textContent()).toContain(USERS.alice);
    await shot("1-confirm");

    await page.click("#continue");
    await page.waitForURL(`${h.github.url}/login/oauth/authorize?**`);
    await page.selectOption("#login", "octocat");
    await shot("2-github-authorize");

    await page.click("#authorize");
    await page.waitForURL(`${h.appUrl}/github/link/callback?**`);
    expect(await page.locator("#outcome").textContent()).toBe(
      `Your Slack account ${USERS.alice} is now linked to GitHub @octocat.`,
    );
    await shot("3-linked");

    const whoami = await slashCommand(h.appUrl, SIGNING_SECRET, USERS.alice, "whoami");
    expect(whoami.text).toContain("*@octocat*");
    expect(violations).toEqual([]);
    expect(h.github.violations).toEqual([]);
  });

  it("refuses the same callback again, and says so", async () => {
    // Back to the callback URL the browser just finished: its state has been spent.
    const callback = page.url();
    await page.goto(callback);
    expect(await page.locator("#outcome").textContent()).toMatch(
      /has been completed already|another browser/,
    );
    await shot("4-replayed");
    expect((await slashCommand(h.appUrl, SIGNING_SECRET, USERS.alice, "whoami")).text).toContain(
      "*@octocat*",
    );
  });

  it("says what happened when the person cancels at GitHub", async () => {
    const reply = await slashCommand(h.appUrl, SIGNING_SECRET, USERS.bob, "link");
    await page.goto(linkButtonUrl(reply.blocks) ?? "");
    await page.click("#continue");
    await page.waitForURL(`${h.github.url}/login/oauth/authorize?**`);
    await page.selectOption("#login", "hubot");
    await page.click("#cancel");
    await page.waitForURL(`${h.appUrl}/github/link/callback?**`);
    expect(await page.locator("#outcome").textContent()).toBe("The sign-in was cancelled at GitHub.");
    await shot("5-cancelled");
    expect((await slashCommand(h.appUrl, SIGNING_SECRET, USERS.bob, "whoami")).text).toMatch(/not linked/);
  });
});
