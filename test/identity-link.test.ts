// Linking a Slack account to a GitHub account, through the App served for real (testkit's harness) and
// the fake GitHub's OAuth web flow: `/deploy-gate link | whoami | unlink` as signed slash commands, the
// link pages in a cookie-keeping "browser", GitHub's sign-in as someone. And the ways off the path: a
// forged or replayed state, a callback in another browser, a ticket used twice, an account linked to
// someone else, a command from another workspace or replayed.
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { SIGNING_SECRET, USERS } from "../testkit/helpers/app-harness.js";
import { useHarness } from "../testkit/helpers/harness-suite.js";
import {
  linkAs,
  linkButtonUrl,
  newBrowser,
  outcomeOf,
  slashCommand,
  startLink,
  visit,
} from "../testkit/helpers/link-flow.js";

describe("linking accounts", () => {
  const h = useHarness("sqlite");
  beforeAll(() => {
    for (const login of ["octocat", "hubot", "mona"]) h.github.people.addUser({ login });
  });
  beforeEach(async () => {
    for (const user of Object.values(USERS)) await slashCommand(h.appUrl, SIGNING_SECRET, user, "unlink");
  });

  const command = (user: string, text: string) => slashCommand(h.appUrl, SIGNING_SECRET, user, text);

  async function linkUrlFor(user: string): Promise<string> {
    const reply = await command(user, "link");
    expect(reply.status).toBe(200);
    const url = linkButtonUrl(reply.blocks);
    if (!url) throw new Error(`no link button in ${JSON.stringify(reply)}`);
    return url;
  }

  it("links through GitHub sign-in, keeps no token, and says so in whoami", async () => {
    const reply = await command(USERS.alice, "link");
    expect(reply).toMatchObject({ status: 200, response_type: "ephemeral" });
    const url = linkButtonUrl(reply.blocks) ?? "";
    expect(url.startsWith(`${h.appUrl}/github/link?ticket=`)).toBe(true);

    const page = await linkAs(h.github, url, "octocat");
    expect(page.status).toBe(200);
    expect(outcomeOf(page.html)).toBe(`Your Slack account ${USERS.alice} is now linked to GitHub @octocat.`);
    // The user token was used for GET /user once, then revoked: GitHub holds no live token of the App's.
    expect(h.github.people.list().length).toBeGreaterThan(0);
    expect(h.github.requests.filter((r) => r.operationId === "users/get-authenticated")).toHaveLength(1);
    expect(h.github.requests.filter((r) => r.operationId === "apps/delete-token").at(-1)?.status).toBe(204);

    const whoami = await command(USERS.alice, "whoami");
    expect(whoami.text).toMatch(/^You are linked to GitHub \*@octocat\* \(account id \d+\) since /);
    expect(h.github.violations).toEqual([]);
  });

  it("shows who is being linked before anything goes to GitHub, with headers that keep the page to itself", async () => {
    const browser = newBrowser();
    const page = await visit(browser, await linkUrlFor(USERS.bob));
    expect(page.status).toBe(200);
    expect(page.html).toContain('id="slack-user">bob <code>');
    expect(page.html).toContain(USERS.bob);
    expect(page.headers.get("x-frame-options")).toBe("DENY");
    expect(page.headers.get("referrer-policy")).toBe("same-origin");
    expect(page.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    expect(page.headers.get("cache-control")).toBe("no-store");
    expect(browser.cookies.get("sdg_link")).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it("refuses a forged state, a replayed callback, and a callback finished in another browser", async () => {
    const browser = newBrowser();
    const authorize = await startLink(browser, await linkUrlFor(USERS.bob));
    const callback = h.github.oauth.authorize(authorize, "hubot");

    const forged = new URL(callback);
    const state = forged.searchParams.get("state") ?? "";
    forged.searchParams.set("state", `${state.slice(0, -4)}AAAA`);
    const refusedForged = await visit(browser, forged.toString());
    expect(refusedForged.status).toBe(400);
    expect(outcomeOf(refusedForged.html)).toMatch(/not started by slack-deploy-gate/);

    const elsewhere = await visit(newBrowser(), callback);
    expect(elsewhere.status).toBe(400);
    expect(outcomeOf(elsewhere.html)).toMatch(/started in another browser/);

    // The cookie is cleared once linked; a replay by someone holding both the cookie and the URL:
    const cookie = browser.cookies.get("sdg_link") ?? "";
    const first = await visit(browser, callback);
    expect(first.status).toBe(200);
    expect(browser.cookies.has("sdg_link")).toBe(false);
    browser.cookies.set("sdg_link", cookie);
    const replayed = await visit(browser, callback);
    expect(replayed.status).toBe(400);
    expect(outcomeOf(replayed.html)).toBe("This sign-in has been completed already.");
    expect((await command(USERS.bob, "whoami")).text).toContain("*@hubot*");
    // Nothing but the one genuine callback reached GitHub's token endpoint.
    expect(h.github.oauth.exchanges.filter((e) => e.error !== null)).toEqual([]);
  });

  it("links each button once, and never links another person's state to the clicker", async () => {
    const url = await linkUrlFor(USERS.carol);
    const browser = newBrowser();
    const authorizeA = await startLink(browser, url);
    const authorizeB = await startLink(browser, url);
    const cookie = browser.cookies.get("sdg_link") ?? "";
    expect((await visit(browser, h.github.oauth.authorize(authorizeA, "mona"))).status).toBe(200);
    browser.cookies.set("sdg_link", cookie);
    const second = await visit(browser, h.github.oauth.authorize(authorizeB, "hubot"));
    expect(second.status).toBe(400);
    expect(outcomeOf(second.html)).toMatch(/used already/);
    expect((await command(USERS.carol, "whoami")).text).toContain("*@mona*");
  });

  it("refuses a form posted from another site and a ticket that was tampered with", async () => {
    const url = await linkUrlFor(USERS.dave);
    const browser = newBrowser();
    const page = await visit(browser, url);
    const ticket = /name="ticket" value="([^"]+)"/.exec(page.html)?.[1] ?? "";
    const crossSite = await visit(browser, `${h.appUrl}/github/link`, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        origin: "https://evil.example",
        "sec-fetch-site": "cross-site",
      },
      body: new URLSearchParams({ ticket, confirm: "x" }).toString(),
    });
    expect(crossSite.status).toBe(403);
    const tampered = new URL(url);
    const ticket0 = tampered.searchParams.get("ticket") ?? "";
    tampered.searchParams.set("ticket", `${ticket0.slice(0, -1)}${ticket0.endsWith("A") ? "B" : "A"}`);
    const refused = await visit(newBrowser(), tampered.toString());
    expect(refused.status).toBe(400);
  });

  it("links a GitHub account to one Slack user per workspace", async () => {
    expect((await linkAs(h.github, await linkUrlFor(USERS.alice), "octocat")).status).toBe(200);
    const taken = await linkAs(h.github, await linkUrlFor(USERS.mallory), "octocat");
    expect(taken.status).toBe(409);
    expect(outcomeOf(taken.html)).toMatch(/@octocat is linked to another Slack user/);
    expect((await command(USERS.mallory, "whoami")).text).toMatch(/not linked/);
    // Relinking the same person to another account replaces their link.
    const again = await linkAs(h.github, await linkUrlFor(USERS.alice), "hubot");
    expect(outcomeOf(again.html)).toContain("it replaces the link to @octocat");
  });

  it("unlinks, and answers help and unknown words privately", async () => {
    await linkAs(h.github, await linkUrlFor(USERS.bob), "mona");
    expect((await command(USERS.bob, "unlink")).text).toContain("no longer linked to GitHub *@mona*");
    expect((await command(USERS.bob, "unlink")).text).toMatch(/not linked/);
    const help = await command(USERS.bob, "");
    expect(help).toMatchObject({ status: 200, response_type: "ephemeral" });
    expect(help.text).toContain("/deploy-gate link");
    expect((await command(USERS.bob, "link <!channel>")).text).toContain("&lt;!channel&gt;");
  });

  it("verifies the command like a click: bad signature, another workspace, a replayed body", async () => {
    const forged = await slashCommand(h.appUrl, "wrong-secret", USERS.alice, "unlink");
    expect(forged.status).toBe(401);
    const otherWorkspace = await slashCommand(h.appUrl, SIGNING_SECRET, USERS.alice, "whoami", {
      teamId: "T0ELSEWHERE",
    });
    expect(otherWorkspace.status).toBe(403);
    await linkAs(h.github, await linkUrlFor(USERS.alice), "octocat");
    const at = Math.floor(Date.now() / 1000);
    const same = { timestampSeconds: at, triggerId: "4242.replayed" };
    const first = await slashCommand(h.appUrl, SIGNING_SECRET, USERS.alice, "unlink", same);
    expect(first.text).toContain("no longer linked");
    // Relinked; the very same signed "unlink" sent again must not undo it.
    await linkAs(h.github, await linkUrlFor(USERS.alice), "octocat");
    const replay = await slashCommand(h.appUrl, SIGNING_SECRET, USERS.alice, "unlink", same);
    expect(replay.text).toBe("This command was handled already.");
    expect((await command(USERS.alice, "whoami")).text).toContain("*@octocat*");
  });

  it("says when the person cancels at GitHub, and links nothing", async () => {
    const browser = newBrowser();
    const authorize = await startLink(browser, await linkUrlFor(USERS.dave));
    const cancelled = await visit(browser, h.github.oauth.authorize(authorize, "mona", "cancel"));
    expect(cancelled.status).toBe(200);
    expect(outcomeOf(cancelled.html)).toBe("The sign-in was cancelled at GitHub.");
    expect((await command(USERS.dave, "whoami")).text).toMatch(/not linked/);
  });
});
