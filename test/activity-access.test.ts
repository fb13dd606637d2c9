// Who sees what on /activity, signed in with GitHub against the fake GitHub: a reader of one repository,
// a person who can read nothing, an organization's admin, and nobody signed in. No answer ever names a
// repository the person cannot read; a request outside their reach looks exactly like one that does not
// exist. Also: sessions (cookie attributes, tampering, expiry), the sign-in flow's defences (state bound
// to the browser, where it may send the browser after), CSRF on sign-out, access that changes on GitHub,
// and exports of what a filter shows.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ActivityWrite, createActivityStore } from "../app/activity/store.js";
import type { ActivityEvent, RequestFacts } from "../app/activity/types.js";
import { createSessions } from "../app/web/session.js";
import { type Harness, INSTALLATION_ID, REPO, startHarness, USERS } from "../testkit/helpers/app-harness.js";
import { webClient } from "../testkit/helpers/web-client.js";

const SECRET_REPO = "acme/secret-project";
const OTHER_ORG_REPO = "beta/site";

let h: Harness;
let approvedId: string;

const click = (user: string): ActivityEvent => ({
  kind: "click",
  action: "approve",
  user: { slackUserId: user, name: `name-of-${user.toLowerCase()}` },
  outcome: "refused",
  refusal: "not_approver",
});

beforeAll(async () => {
  h = await startHarness("sqlite");
  h.github.addRepository({ fullName: SECRET_REPO, private: true });
  h.github.addRepository({ fullName: OTHER_ORG_REPO, private: true });
  h.github.addInstallation({
    id: INSTALLATION_ID,
    account: "acme",
    repositories: [REPO, "acme/.github", SECRET_REPO],
  });
  h.github.addInstallation({ id: 78, account: "beta", repositories: [OTHER_ORG_REPO] });
  h.github.people.setOrgMember("acme", "ada-admin", "admin");
  h.github.people.setOrgMember("acme", "mo-member", "member");
  h.github.people.addOrg("beta");
  h.github.access.setBasePermission("acme", "none");
  h.github.access.grant(REPO, "rita-reader");
  h.github.access.grant(REPO, "mo-member");
  h.github.people.addUser({ login: "nina-nobody" });

  // A real request on acme/api, decided by a click.
  const { message } = await h.newRequest();
  approvedId = h.requestIdOf(message);
  await h.click(message, "approve", USERS.alice);
  await h.settle();
  // And history on the repositories most people cannot read.
  const store = createActivityStore(h.store.driver);
  const writes: ActivityWrite[] = [];
  const facts = (requestId: string, repository: string, runId: number): RequestFacts => ({
    requestId,
    repository,
    runId,
    runAttempt: 1,
    environment: "production",
    mode: "gate",
  });
  const now = Date.now();
  for (let i = 0; i < 3; i++) {
    writes.push({
      at: new Date(now - 60_000 * (i + 1)),
      target: { request: facts(`secret${i}`, SECRET_REPO, 900 + i) },
      event: click("U0SECRET"),
    });
    writes.push({
      at: new Date(now - 60_000 * (i + 1)),
      target: { request: facts(`beta${i}`, OTHER_ORG_REPO, 950 + i) },
      event: click("U0BETA"),
    });
  }
  await store.write(writes);
});

afterAll(async () => {
  await h?.close();
});

const leaks = (text: string) =>
  [SECRET_REPO, OTHER_ORG_REPO, "secret-project", "beta/"].filter((name) => text.includes(name));

describe("signed out", () => {
  it("no data: every activity route sends the browser to sign in, and the sign-in page names nothing", async () => {
    const browser = webClient(h.appUrl, h.github);
    for (const path of [
      "/activity",
      "/activity?repo=acme/secret-project",
      "/activity/export.csv",
      "/activity/export.json",
      `/activity/requests/${approvedId}`,
      "/activity/requests/secret0/export.json",
    ]) {
      const answer = await browser.get(path);
      expect(answer.status, path).toBe(303);
      expect(answer.location, path).toBe(`/signin?return_to=${encodeURIComponent(path)}`);
      expect(answer.body).toBe("");
    }
    const signIn = await browser.get("/signin?return_to=/activity");
    expect(signIn.status).toBe(200);
    expect(signIn.body).toContain("Sign in with GitHub");
    expect(leaks(signIn.body)).toEqual([]);
    expect(signIn.body).not.toContain("acme/api");
  });
});

describe("a reader of one repository", () => {
  const browser = () => webClient(h.appUrl, h.github);

  it("sees that repository's requests and nothing else", async () => {
    const rita = browser();
    const back = await rita.signIn("rita-reader");
    expect(back.status).toBe(303);
    expect(back.location).toBe("/activity");
    const page = await rita.get("/activity");
    expect(page.status).toBe(200);
    expect(page.body).toContain(approvedId);
    expect(page.body).toContain("acme/api");
    expect(page.body).toContain("@rita-reader");
    expect(leaks(page.body)).toEqual([]);
    // Not an administrator: no refused-requests panel.
    expect(page.body).not.toContain("Refused before reaching a request");

    const timeline = await rita.get(`/activity/requests/${approvedId}`);
    expect(timeline.status).toBe(200);
    expect(timeline.body).toContain("deployment_protection_rule");
    expect(timeline.body).toMatch(/alice pressed Approve: approval decided it/);
    expect(timeline.body).toContain("review, attempt 1: done");
    expect(timeline.body).toMatch(
      /POST \/repos\/\{owner\}\/\{repo\}\/actions\/runs\/\{run_id\}\/deployment_protection_rule → 204/,
    );
  });

  it("a request of a repository they cannot read answers as one that does not exist", async () => {
    const rita = browser();
    await rita.signIn("rita-reader");
    const hidden = await rita.get("/activity/requests/secret0");
    const missing = await rita.get("/activity/requests/no-such-request");
    expect(hidden.status).toBe(404);
    expect(hidden.body).toBe(missing.body);
    expect((await rita.get("/activity/requests/secret0/export.json")).status).toBe(404);
    const filtered = await rita.get(`/activity?repo=${SECRET_REPO}`);
    expect(filtered.status).toBe(200);
    expect(filtered.body).toContain("No requests match this filter.");
    // The filter value is echoed in the form only as the person typed it; no row names it.
    expect(filtered.body).not.toContain(`class="repo">${SECRET_REPO}`);
  });

  it("exports what the filter shows, as CSV and as JSON with timelines", async () => {
    const rita = browser();
    await rita.signIn("rita-reader");
    const csv = await rita.get("/activity/export.csv?state=approved");
    expect(csv.status).toBe(200);
    expect(csv.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(csv.headers.get("content-disposition")).toMatch(
      /^attachment; filename="deployment-activity-\d{8}-\d{6}\.csv"$/,
    );
    expect(csv.headers.get("cache-control")).toBe("no-store");
    const lines = csv.body.trim().split("\r\n");
    expect(lines[0]).toBe(
      "seen_at,request_id,repository,environment,run_id,run_attempt,mode,state,seen_via,people,latest,events,last_event_at",
    );
    expect(lines.slice(1).map((l) => l.split(",")[1])).toEqual([approvedId]);
    expect(leaks(csv.body)).toEqual([]);

    const json = await rita.get("/activity/export.json");
    const parsed = JSON.parse(json.body) as {
      filter: unknown;
      requests: Array<{ requestId: string; repository: string; timeline: Array<{ kind: string }> }>;
    };
    expect(parsed.requests.map((r) => r.requestId)).toEqual([approvedId]);
    expect(parsed.requests[0]?.timeline.map((e) => e.kind)).toContain("decision");
    expect(leaks(json.body)).toEqual([]);

    const one = await rita.get(`/activity/requests/${approvedId}/export.csv`);
    expect(one.status).toBe(200);
    expect(one.body.split("\r\n")[0]).toBe("at,direction,kind,what,details");
    expect(one.body).toContain("Decision");
  });
});

describe("a person who can read nothing", () => {
  it("signs in and sees an empty page, empty exports, no names", async () => {
    const nina = webClient(h.appUrl, h.github);
    await nina.signIn("nina-nobody");
    const page = await nina.get("/activity");
    expect(page.status).toBe(200);
    expect(page.body).toContain("No requests you can see yet.");
    expect(leaks(page.body)).toEqual([]);
    expect(page.body).not.toContain("acme/api");
    expect((await nina.get(`/activity/requests/${approvedId}`)).status).toBe(404);
    const csv = await nina.get("/activity/export.csv");
    expect(csv.body.trim().split("\r\n")).toHaveLength(1);
    const json = JSON.parse((await nina.get("/activity/export.json")).body) as { requests: unknown[] };
    expect(json.requests).toEqual([]);
  });
});

describe("an organization's admin", () => {
  it("sees every request of the organization, and the refused-requests panel, but not another organization's", async () => {
    const ada = webClient(h.appUrl, h.github);
    await ada.signIn("ada-admin");
    const page = await ada.get("/activity");
    expect(page.status).toBe(200);
    expect(page.body).toContain(approvedId);
    expect(page.body).toContain(SECRET_REPO);
    expect(page.body).not.toContain(OTHER_ORG_REPO);
    expect(page.body).toContain("Refused before reaching a request");
    expect((await ada.get("/activity/requests/secret1")).status).toBe(200);
    expect((await ada.get("/activity/requests/beta1")).status).toBe(404);
    // The person filter finds requests by the clicker's name.
    const byPerson = await ada.get("/activity?person=NAME-OF-U0SECRET");
    expect(byPerson.body.match(/data-request="secret\d"/g)).toHaveLength(3);
  });

  it("an admin no longer: the page follows GitHub within the cache's two minutes", async () => {
    h.github.people.setOrgMember("acme", "ex-admin", "admin");
    const ex = webClient(h.appUrl, h.github);
    await ex.signIn("ex-admin");
    expect((await ex.get("/activity")).body).toContain(SECRET_REPO);
    h.github.people.removeOrgMember("acme", "ex-admin");
    h.advanceClock(3 * 60_000);
    try {
      const page = await ex.get("/activity");
      expect(page.status).toBe(200);
      expect(leaks(page.body)).toEqual([]);
      expect(page.body).not.toContain("acme/api");
    } finally {
      h.advanceClock(-3 * 60_000);
    }
  });
});

describe("sessions and the sign-in flow", () => {
  it("the session cookie is HttpOnly and SameSite=Lax; Secure, with the __Host- prefix, over TLS", async () => {
    const rita = webClient(h.appUrl, h.github);
    const back = await rita.signIn("rita-reader");
    const session = back.setCookies.find((c) => c.startsWith("sdg_session="));
    expect(session).toMatch(/; Path=\/; HttpOnly; SameSite=Lax; Max-Age=\d+$/);
    expect(session).not.toContain("Secure");
    // The token is inside, sealed: neither it nor the login can be read from the cookie.
    expect(session).not.toContain("ghu_");
    expect(session).not.toContain("rita");

    const tls = createSessions({ secret: "s3cret", secure: true });
    const cookie = tls.cookie(tls.create({ id: 1, login: "x" }, "ghu_token", undefined));
    expect(cookie).toMatch(
      /^__Host-sdg_session=[^;]+; Path=\/; HttpOnly; SameSite=Lax; Secure; Max-Age=28800$/,
    );
  });

  it("a tampered, foreign or expired cookie is no session", async () => {
    const rita = webClient(h.appUrl, h.github);
    await rita.signIn("rita-reader");
    const value = rita.cookies.get("sdg_session") as string;
    const flipped = `${value.slice(0, -3)}${value.slice(-3) === "AAA" ? "BBB" : "AAA"}`;
    rita.cookies.set("sdg_session", flipped);
    expect((await rita.get("/activity")).status).toBe(303);
    const other = createSessions({ secret: "another-secret", secure: false });
    rita.cookies.set(
      "sdg_session",
      other
        .cookie(other.create({ id: 1, login: "rita-reader" }, "ghu_x", undefined))
        .split(";")[0]!
        .split("=")[1]!,
    );
    expect((await rita.get("/activity")).status).toBe(303);

    const fresh = webClient(h.appUrl, h.github);
    await fresh.signIn("rita-reader");
    h.advanceClock(9 * 60 * 60_000);
    try {
      const answer = await fresh.get("/activity");
      expect(answer.status).toBe(303);
      expect(answer.location).toBe("/signin?return_to=%2Factivity");
    } finally {
      h.advanceClock(-9 * 60 * 60_000);
    }
  });

  it("a callback is accepted only in the browser that started the sign-in", async () => {
    const attacker = webClient(h.appUrl, h.github);
    const start = await attacker.get("/signin/github?return_to=/activity");
    const callback = h.github.oauth.authorize(start.location as string, "nina-nobody");
    // The victim's browser never started a sign-in: the attacker's callback signs nobody in.
    const victim = webClient(h.appUrl, h.github);
    const answer = await victim.get(callback);
    expect(answer.status).toBe(400);
    expect(answer.body).toContain("This sign-in was not started in this browser");
    expect(victim.cookies.has("sdg_session")).toBe(false);
    // A browser that started its own sign-in cannot use someone else's callback either.
    await victim.get("/signin/github?return_to=/activity");
    const mismatched = await victim.get(callback);
    expect(mismatched.status).toBe(400);
    expect(mismatched.body).toContain("does not belong to this browser");
    expect(victim.cookies.has("sdg_session")).toBe(false);
    // Cancelled at GitHub.
    const cancelled = await victim.get(
      h.github.oauth.authorize(
        (await victim.get("/signin/github")).location as string,
        "rita-reader",
        "cancel",
      ),
    );
    expect(cancelled.status).toBe(403);
  });

  it("after signing in, the browser goes back only to this App's own pages", async () => {
    for (const [asked, expected] of [
      ["/activity?state=pending", "/activity?state=pending"],
      ["//evil.example/steal", "/activity"],
      ["https://evil.example/", "/activity"],
      ["/\\evil.example", "/activity"],
    ]) {
      const browser = webClient(h.appUrl, h.github);
      const back = await browser.signIn("rita-reader", asked);
      expect(back.location, asked).toBe(expected);
    }
  });

  it("signing out needs the page's CSRF value and the App's origin; it revokes the token", async () => {
    const rita = webClient(h.appUrl, h.github);
    await rita.signIn("rita-reader");
    const csrf = await rita.csrf();
    expect((await rita.post("/signout", {})).status).toBe(403);
    expect((await rita.post("/signout", { csrf: `${csrf}x` })).status).toBe(403);
    expect((await rita.post("/signout", { csrf }, { origin: "https://evil.example" })).status).toBe(403);
    expect((await rita.post("/signout", { csrf }, { "sec-fetch-site": "cross-site" })).status).toBe(403);
    expect((await rita.get("/activity")).status).toBe(200);

    const revocations = () =>
      h.github.requests.filter((r) => r.method === "DELETE" && r.path.startsWith("/applications/")).length;
    const before = revocations();
    const out = await rita.post("/signout", { csrf });
    expect(out.status).toBe(303);
    expect(out.location).toBe("/signin?signed_out=1");
    expect(rita.cookies.has("sdg_session")).toBe(false);
    expect(revocations()).toBe(before + 1);
    expect((await rita.get("/activity")).status).toBe(303);
  });

  it("every page is private: no caching, no framing, no scripts", async () => {
    const rita = webClient(h.appUrl, h.github);
    await rita.signIn("rita-reader");
    const page = await rita.get("/activity");
    expect(page.headers.get("cache-control")).toBe("no-store");
    expect(page.headers.get("x-frame-options")).toBe("DENY");
    expect(page.headers.get("content-security-policy")).toContain("default-src 'none'");
    expect(page.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    expect(page.body).not.toContain("<script");
    expect((await rita.post("/activity", {})).status).toBe(405);
  });

  it("the fake GitHub saw nothing it would refuse", () => {
    expect(
      h.github.violations.filter((v) => !v.includes("/login/oauth") && !v.includes("Bad credentials")),
    ).toEqual([]);
  });
});
