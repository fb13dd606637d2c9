// The workspace pin: what the bot token says about its workspace and app (auth.test, bots.info, or
// SLACK_APP_ID), the rules for which clicks count, and refusing clicks until the pin is known.
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import type { Origin } from "../app/slack/payload.js";
import {
  checkOrigin,
  createWorkspacePin,
  type SlackIdentity,
  slackIdentitySource,
} from "../app/slack/workspace.js";
import {
  DEFAULT_BOT_TOKEN,
  FAKE_APP_ID,
  FAKE_TEAM_ID,
  type FakeSlack,
  type FakeSlackOptions,
  startFakeSlack,
} from "../testkit/fakes/slack.js";

const log = pino({ level: "silent" });
let slack: FakeSlack | undefined;

afterEach(async () => {
  await slack?.close();
  slack = undefined;
});

async function fake(options: FakeSlackOptions = {}): Promise<FakeSlack> {
  slack = await startFakeSlack(options);
  return slack;
}

describe("what the bot token says", () => {
  it("pins the token's workspace, and its app from bots.info", async () => {
    const s = await fake();
    const identity = await slackIdentitySource({ token: DEFAULT_BOT_TOKEN, apiUrl: s.url }).lookUp();
    expect(identity).toEqual({
      teamId: FAKE_TEAM_ID,
      enterpriseId: null,
      orgWide: false,
      appId: FAKE_APP_ID,
    });
    expect(s.callsTo("bots.info")).toHaveLength(1);
  });

  it("pins the Enterprise Grid org of a workspace in one", async () => {
    const s = await fake({ teamId: "T0GRIDWS", enterpriseId: "E0GRID", appId: "A0GRIDAPP" });
    const identity = await slackIdentitySource({ token: DEFAULT_BOT_TOKEN, apiUrl: s.url }).lookUp();
    expect(identity).toEqual({
      teamId: "T0GRIDWS",
      enterpriseId: "E0GRID",
      orgWide: false,
      appId: "A0GRIDAPP",
    });
  });

  it("takes SLACK_APP_ID when the token may not call bots.info", async () => {
    const s = await fake({ scopes: ["chat:write", "usergroups:read"] });
    const withSetting = slackIdentitySource({ token: DEFAULT_BOT_TOKEN, apiUrl: s.url, appId: FAKE_APP_ID });
    expect((await withSetting.lookUp()).appId).toBe(FAKE_APP_ID);
    const without = slackIdentitySource({ token: DEFAULT_BOT_TOKEN, apiUrl: s.url });
    await expect(without.lookUp()).rejects.toThrow(
      "bots.info could not name the bot token's app (missing_scope): give the token the users:read scope or set SLACK_APP_ID",
    );
  });

  it("refuses a SLACK_APP_ID that is not the token's app", async () => {
    const s = await fake();
    const source = slackIdentitySource({ token: DEFAULT_BOT_TOKEN, apiUrl: s.url, appId: "A0OTHER" });
    await expect(source.lookUp()).rejects.toThrow(
      `SLACK_APP_ID is A0OTHER but the bot token belongs to app ${FAKE_APP_ID}`,
    );
  });

  it("fails on a token Slack does not know", async () => {
    const s = await fake();
    const source = slackIdentitySource({ token: "xoxb-revoked", apiUrl: s.url });
    await expect(source.lookUp()).rejects.toMatchObject({ data: { error: "invalid_auth" } });
  });
});

describe("which clicks count", () => {
  const workspace: SlackIdentity = { teamId: "T0HOME", enterpriseId: null, orgWide: false, appId: "A0APP" };
  const from = (origin: Partial<Origin>): Origin => ({
    teamId: "T0HOME",
    enterpriseId: null,
    appId: "A0APP",
    ...origin,
  });
  const none = new Set<string>();

  it("takes clicks from the pinned workspace and app only", () => {
    expect(checkOrigin(workspace, none, from({}))).toEqual({ ok: true });
    expect(checkOrigin(workspace, none, from({ teamId: "T0ELSEWHERE" }))).toEqual({
      ok: false,
      status: 403,
      reason: "the click comes from another workspace",
    });
    expect(checkOrigin(workspace, none, from({ appId: "A0OTHER" }))).toMatchObject({
      status: 403,
      reason: "the click comes from another Slack app",
    });
    expect(checkOrigin(workspace, none, from({ appId: null }))).toMatchObject({ status: 403 });
    expect(checkOrigin(workspace, none, from({ enterpriseId: "E0GRID" }))).toMatchObject({
      status: 403,
      reason: "the click comes from another Enterprise Grid org",
    });
    expect(checkOrigin(workspace, none, from({ teamId: null }))).toMatchObject({ status: 403 });
  });

  it("on Enterprise Grid, takes the org's allow-listed workspaces and nobody outside the org", () => {
    const grid: SlackIdentity = { teamId: "T0HOME", enterpriseId: "E0GRID", orgWide: false, appId: "A0APP" };
    const allowed = new Set(["T0SISTER"]);
    expect(checkOrigin(grid, allowed, from({ enterpriseId: "E0GRID" }))).toEqual({ ok: true });
    expect(checkOrigin(grid, allowed, from({ enterpriseId: "E0GRID", teamId: "T0SISTER" }))).toEqual({
      ok: true,
    });
    expect(checkOrigin(grid, allowed, from({ enterpriseId: "E0GRID", teamId: "T0COUSIN" }))).toMatchObject({
      status: 403,
      reason: "the click comes from a workspace not in SLACK_ALLOWED_TEAM_IDS",
    });
    expect(
      checkOrigin(grid, allowed, from({ enterpriseId: "E0OTHERORG", teamId: "T0SISTER" })),
    ).toMatchObject({
      status: 403,
    });
    // Without the list, only the token's own workspace.
    expect(checkOrigin(grid, none, from({ enterpriseId: "E0GRID", teamId: "T0SISTER" }))).toMatchObject({
      status: 403,
    });
  });

  it("for an org-wide install, takes every workspace of the org unless the list narrows it", () => {
    const org: SlackIdentity = { teamId: null, enterpriseId: "E0GRID", orgWide: true, appId: "A0APP" };
    expect(checkOrigin(org, none, from({ enterpriseId: "E0GRID", teamId: "T0ANY" }))).toEqual({ ok: true });
    expect(checkOrigin(org, none, from({ enterpriseId: "E0GRID", teamId: null }))).toEqual({ ok: true });
    expect(checkOrigin(org, none, from({ enterpriseId: null, teamId: "T0ANY" }))).toMatchObject({
      status: 403,
    });
    const narrowed = new Set(["T0ONE"]);
    expect(checkOrigin(org, narrowed, from({ enterpriseId: "E0GRID", teamId: "T0ONE" }))).toEqual({
      ok: true,
    });
    expect(checkOrigin(org, narrowed, from({ enterpriseId: "E0GRID", teamId: "T0TWO" }))).toMatchObject({
      status: 403,
    });
  });
});

describe("the pin at start-up", () => {
  it("refuses clicks (503) while Slack cannot say, and pins once it can", async () => {
    const s = await fake();
    s.failNext("auth.test", "server_error", 2);
    const pin = createWorkspacePin({
      source: slackIdentitySource({ token: DEFAULT_BOT_TOKEN, apiUrl: s.url }),
      log,
      retryMs: 10,
    });
    const origin: Origin = { teamId: FAKE_TEAM_ID, enterpriseId: null, appId: FAKE_APP_ID };
    expect(pin.check(origin)).toEqual({
      ok: false,
      status: 503,
      reason: "the Slack workspace is not known yet",
    });
    await pin.start();
    expect(s.callsTo("auth.test")).toHaveLength(3);
    expect(pin.check(origin)).toEqual({ ok: true });
    expect(pin.check({ ...origin, teamId: "T0ELSEWHERE" })).toMatchObject({ ok: false, status: 403 });
    pin.stop();
  });

  it("stops retrying when stopped, and stays unpinned", async () => {
    let calls = 0;
    const pin = createWorkspacePin({
      source: {
        async lookUp() {
          calls += 1;
          // Stopped during the third attempt (as a shutdown would): no fourth one.
          if (calls === 3) pin.stop();
          throw new Error("slack is down");
        },
      },
      log,
      retryMs: 1,
    });
    await pin.start();
    expect(calls).toBe(3);
    expect(pin.identity()).toBeUndefined();
    expect(pin.check({ teamId: FAKE_TEAM_ID, enterpriseId: null, appId: FAKE_APP_ID })).toMatchObject({
      status: 503,
    });
  });
});
