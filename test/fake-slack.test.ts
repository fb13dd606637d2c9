// The fake Slack must accept what Slack accepts and reject what Slack rejects, with Slack's error
// names, or every test built on it proves less than it claims. Driven through the real WebClient
// (as the Action and App use it) and through raw HTTP where the wire format itself is the point.
import { type Logger, WebClient } from "@slack/web-api";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { buildRequestMessage } from "../common/message.js";
import {
  DEFAULT_BOT_TOKEN,
  FAKE_APP_ID,
  FAKE_BOT_ID,
  FAKE_BOT_USER_ID,
  FAKE_TEAM_ID,
  type FakeSlack,
  startFakeSlack,
  TRIGGER_TTL_MS,
} from "../testkit/fakes/slack.js";

const NO_RETRY = { retries: 0 };
// The client logs Slack's validation messages at error level; the assertions below check them instead.
const silent: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  setLevel: () => {},
  getLevel: () => "error" as ReturnType<Logger["getLevel"]>,
  setName: () => {},
};

function client(fake: FakeSlack, token = DEFAULT_BOT_TOKEN): WebClient {
  return new WebClient(token, {
    slackApiUrl: fake.url,
    retryConfig: NO_RETRY,
    rejectRateLimitedCalls: true,
    logger: silent,
  });
}

interface Reply {
  ok: boolean;
  error?: string;
  errors?: string[];
  needed?: string;
  response_metadata?: { messages?: string[] };
}

async function raw(
  fake: FakeSlack,
  method: string,
  init: RequestInit,
): Promise<{ status: number; body: Reply }> {
  const res = await fetch(`${fake.url}${method}`, { method: "POST", ...init });
  return { status: res.status, body: (await res.json()) as Reply };
}

function platformError(promise: Promise<unknown>): Promise<{ error: string; data: Reply }> {
  return promise.then(
    () => {
      throw new Error("expected the call to fail");
    },
    (e: { data?: Reply }) => ({ error: String(e.data?.error), data: e.data ?? { ok: false } }),
  );
}

function section(text: string) {
  return { type: "section", text: { type: "mrkdwn", text } };
}

function button(overrides: Record<string, unknown> = {}) {
  return {
    type: "actions",
    elements: [
      { type: "button", action_id: "a", text: { type: "plain_text", text: "Go" }, value: "v", ...overrides },
    ],
  };
}

function modal(overrides: Record<string, unknown> = {}) {
  return {
    type: "modal",
    title: { type: "plain_text", text: "Reject deployment" },
    submit: { type: "plain_text", text: "Reject" },
    blocks: [
      {
        type: "input",
        block_id: "reason",
        label: { type: "plain_text", text: "Why?" },
        element: { type: "plain_text_input", action_id: "reason_input", multiline: true },
      },
    ],
    ...overrides,
  };
}

describe("fake Slack", () => {
  let fake: FakeSlack;
  let now = Date.now();

  beforeAll(async () => {
    fake = await startFakeSlack({
      users: {
        U0JANE: { name: "jane", realName: "Jane Doe" },
        U0BOB: { name: "bob" },
        U0OUT: { name: "out" },
      },
      usergroups: { S0SRE: ["U0JANE", "U0BOB"] },
      channels: {
        C0DEPLOYS: { name: "deploys", memberOfBot: true, members: ["U0JANE", "U0BOB"] },
        C0OUTSIDE: { name: "outside", memberOfBot: false },
        G0SECRET: { name: "secret", memberOfBot: false, isPrivate: true },
      },
      clock: () => now,
    });
  });
  afterEach(() => {
    fake.reset();
    now = Date.now();
  });
  afterAll(async () => {
    await fake.close();
  });

  describe("auth", () => {
    it("answers auth.test for a known bot token, with the bearer header", async () => {
      const result = await client(fake).auth.test();
      expect(result).toMatchObject({ ok: true, user_id: FAKE_BOT_USER_ID, bot_id: FAKE_BOT_ID });
      expect(fake.calls.at(-1)).toMatchObject({ method: "auth.test", token: DEFAULT_BOT_TOKEN });
    });

    it("says which workspace, bot user and bot the token belongs to, and bots.info gives the app", async () => {
      const result = await client(fake).auth.test();
      expect(result).toMatchObject({ team_id: FAKE_TEAM_ID, user_id: FAKE_BOT_USER_ID, bot_id: FAKE_BOT_ID });
      expect(result.enterprise_id).toBeUndefined();
      const bot = await client(fake).bots.info({ bot: String(result.bot_id) });
      expect(bot.bot).toMatchObject({ id: FAKE_BOT_ID, app_id: FAKE_APP_ID, user_id: FAKE_BOT_USER_ID });
      expect((await platformError(client(fake).bots.info({ bot: "B0OTHER" }))).error).toBe("bot_not_found");
    });

    it("reports an Enterprise Grid workspace's enterprise_id, and its own team and app on messages", async () => {
      const grid = await startFakeSlack({ teamId: "T0GRIDTEAM", enterpriseId: "E0GRID", appId: "A0GRIDAPP" });
      try {
        expect(await client(grid).auth.test()).toMatchObject({
          team_id: "T0GRIDTEAM",
          enterprise_id: "E0GRID",
        });
        expect((await client(grid).bots.info({})).bot?.app_id).toBe("A0GRIDAPP");
        await client(grid).chat.postMessage({ channel: "C0DEPLOYS", text: "x" });
        expect(grid.messages[0]).toMatchObject({ team: "T0GRIDTEAM", app_id: "A0GRIDAPP" });
      } finally {
        await grid.close();
      }
    });

    it("rejects an unknown token with invalid_auth and a missing one with not_authed", async () => {
      expect((await platformError(client(fake, "xoxb-wrong").auth.test())).error).toBe("invalid_auth");
      const { status, body } = await raw(fake, "auth.test", {});
      expect(status).toBe(200);
      expect(body).toEqual({ ok: false, error: "not_authed" });
    });

    it("accepts the token as a form field, but not inside a JSON body", async () => {
      const form = await raw(fake, "auth.test", {
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ token: DEFAULT_BOT_TOKEN }).toString(),
      });
      expect(form.body.ok).toBe(true);
      const json = await raw(fake, "auth.test", {
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ token: DEFAULT_BOT_TOKEN }),
      });
      expect(json.body).toEqual({ ok: false, error: "not_authed" });
    });

    it("answers an unknown method with unknown_method", async () => {
      const { body } = await raw(fake, "chat.explode", {
        headers: { authorization: `Bearer ${DEFAULT_BOT_TOKEN}` },
      });
      expect(body).toEqual({ ok: false, error: "unknown_method" });
    });
  });

  describe("chat.postMessage", () => {
    it("stores the message with blocks and metadata decoded from the form body", async () => {
      const message = buildRequestMessage({
        reference: {
          repository: "octo/app",
          runId: 42,
          runAttempt: 1,
          environment: "production",
          mode: "gate",
          requestId: "req_abcdefgh",
        },
        serverUrl: "https://github.com",
        workflow: "Deploy",
        ref: "refs/heads/main",
        sha: "0123456789abcdef0123456789abcdef01234567",
        actor: "octocat",
        eventName: "push",
        mentions: ["U0JANE"],
      });
      const result = await client(fake).chat.postMessage({ channel: "C0DEPLOYS", ...message });
      expect(result.ok).toBe(true);
      expect(result.channel).toBe("C0DEPLOYS");
      expect(result.ts).toMatch(/^\d+\.\d{6}$/);
      const [stored] = fake.messages;
      expect(stored).toMatchObject({
        channel: "C0DEPLOYS",
        ts: result.ts,
        text: message.text,
        user: FAKE_BOT_USER_ID,
        bot_id: FAKE_BOT_ID,
        metadata: message.metadata,
      });
      expect(stored?.blocks).toEqual(JSON.parse(JSON.stringify(message.blocks)));
      expect(fake.calls.at(-1)?.body.blocks).toEqual(stored?.blocks);
    });

    it("accepts a JSON body with the bearer header", async () => {
      const { body } = await raw(fake, "chat.postMessage", {
        headers: {
          authorization: `Bearer ${DEFAULT_BOT_TOKEN}`,
          "content-type": "application/json; charset=utf-8",
        },
        body: JSON.stringify({ channel: "C0DEPLOYS", text: "hi", blocks: [section("hi")] }),
      });
      expect(body.ok).toBe(true);
      expect(fake.messages[0]?.blocks).toEqual([section("hi")]);
    });

    it("resolves #name to the channel ID and gives increasing, unique timestamps", async () => {
      const a = await client(fake).chat.postMessage({ channel: "#deploys", text: "one" });
      const b = await client(fake).chat.postMessage({ channel: "C0DEPLOYS", text: "two" });
      expect(a.channel).toBe("C0DEPLOYS");
      expect(Number(b.ts)).toBeGreaterThan(Number(a.ts));
    });

    it("posts thread replies under an existing message", async () => {
      const parent = await client(fake).chat.postMessage({ channel: "C0DEPLOYS", text: "parent" });
      await client(fake).chat.postMessage({
        channel: "C0DEPLOYS",
        text: "reply",
        thread_ts: parent.ts as string,
      });
      expect(fake.messages[1]).toMatchObject({ text: "reply", thread_ts: parent.ts });
      const missing = await platformError(
        client(fake).chat.postMessage({ channel: "C0DEPLOYS", text: "x", thread_ts: "1.000001" }),
      );
      expect(missing.error).toBe("message_not_found");
    });

    it.each([
      ["a missing channel", {}, "channel_not_found"],
      ["an unknown channel", { channel: "C0NOPE" }, "channel_not_found"],
      ["an unknown #name", { channel: "#nope" }, "channel_not_found"],
      ["a public channel the bot is not in", { channel: "C0OUTSIDE" }, "not_in_channel"],
      ["a private channel the bot is not in", { channel: "G0SECRET" }, "channel_not_found"],
    ])("refuses %s", async (_name, args, error) => {
      const result = await platformError(client(fake).chat.postMessage({ text: "x", ...args } as never));
      expect(result.error).toBe(error);
      expect(fake.messages).toHaveLength(0);
    });

    it("lets chat:write.public post in public channels the bot has not joined", async () => {
      const open = await startFakeSlack({
        scopes: ["chat:write", "chat:write.public"],
        channels: { C0OUTSIDE: { name: "outside", memberOfBot: false } },
      });
      try {
        const result = await client(open).chat.postMessage({ channel: "C0OUTSIDE", text: "hi" });
        expect(result.ok).toBe(true);
      } finally {
        await open.close();
      }
    });

    it("answers missing_scope with the scope needed", async () => {
      const narrow = await startFakeSlack({ scopes: ["users:read"] });
      try {
        const result = await platformError(
          client(narrow).chat.postMessage({ channel: "C0DEPLOYS", text: "x" }),
        );
        expect(result.error).toBe("missing_scope");
        expect(result.data.needed).toBe("chat:write");
      } finally {
        await narrow.close();
      }
    });

    it("refuses a message with neither text nor blocks (no_text), and text over 40,000 (msg_too_long)", async () => {
      expect(
        (await platformError(client(fake).chat.postMessage({ channel: "C0DEPLOYS" } as never))).error,
      ).toBe("no_text");
      const long = await platformError(
        client(fake).chat.postMessage({ channel: "C0DEPLOYS", text: "x".repeat(40_001) }),
      );
      expect(long.error).toBe("msg_too_long");
    });

    it.each([
      ["51 blocks", Array.from({ length: 51 }, () => section("x")), "/blocks"],
      ["section text over 3000", [section("x".repeat(3001))], "/blocks/0/text/text"],
      [
        "more than 10 fields",
        [{ type: "section", fields: Array.from({ length: 11 }, () => ({ type: "mrkdwn", text: "f" })) }],
        "/blocks/0/fields",
      ],
      [
        "a field over 2000",
        [{ type: "section", fields: [{ type: "mrkdwn", text: "f".repeat(2001) }] }],
        "/blocks/0/fields/0/text",
      ],
      [
        "a header over 150",
        [{ type: "header", text: { type: "plain_text", text: "h".repeat(151) } }],
        "/blocks/0/text/text",
      ],
      ["a mrkdwn header", [{ type: "header", text: { type: "mrkdwn", text: "h" } }], "/blocks/0/text/type"],
      ["a button value over 2000", [button({ value: "v".repeat(2001) })], "/blocks/0/elements/0/value"],
      ["an action_id over 255", [button({ action_id: "a".repeat(256) })], "/blocks/0/elements/0/action_id"],
      ["a button style Slack lacks", [button({ style: "warning" })], "/blocks/0/elements/0/style"],
      [
        "a confirm title over 100",
        [
          button({
            confirm: {
              title: { type: "plain_text", text: "t".repeat(101) },
              text: { type: "plain_text", text: "sure?" },
              confirm: { type: "plain_text", text: "Yes" },
              deny: { type: "plain_text", text: "No" },
            },
          }),
        ],
        "/blocks/0/elements/0/confirm/title/text",
      ],
      [
        "a duplicate block_id",
        [
          { ...section("a"), block_id: "b" },
          { ...section("b"), block_id: "b" },
        ],
        "/blocks/1/block_id",
      ],
      [
        "an input block in a message",
        [{ type: "input", label: { type: "plain_text", text: "l" } }],
        "/blocks/0/type",
      ],
      ["a section without text or fields", [{ type: "section" }], "/blocks/0"],
    ])("refuses %s with invalid_blocks", async (_name, blocks, pointer) => {
      const result = await platformError(
        client(fake).chat.postMessage({ channel: "C0DEPLOYS", text: "x", blocks: blocks as never }),
      );
      expect(result.error).toBe("invalid_blocks");
      expect(result.data.errors?.join("\n")).toContain(`[json-pointer:${pointer}]`);
      expect(fake.messages).toHaveLength(0);
    });

    it("accepts exactly 50 blocks, a 3000-character section and a 2000-character button value", async () => {
      const blocks = [
        ...Array.from({ length: 48 }, () => section("x")),
        section("y".repeat(3000)),
        button({ value: "v".repeat(2000) }),
      ];
      const result = await client(fake).chat.postMessage({
        channel: "C0DEPLOYS",
        text: "x",
        blocks: blocks as never,
      });
      expect(result.ok).toBe(true);
    });

    it("refuses blocks that are not JSON (invalid_blocks_format) and metadata of the wrong shape", async () => {
      const headers = {
        authorization: `Bearer ${DEFAULT_BOT_TOKEN}`,
        "content-type": "application/x-www-form-urlencoded",
      };
      const notJson = await raw(fake, "chat.postMessage", {
        headers,
        body: new URLSearchParams({ channel: "C0DEPLOYS", text: "x", blocks: "[{" }).toString(),
      });
      expect(notJson.body.error).toBe("invalid_blocks_format");
      const badMetadata = await raw(fake, "chat.postMessage", {
        headers,
        body: new URLSearchParams({
          channel: "C0DEPLOYS",
          text: "x",
          metadata: '{"event_type":1}',
        }).toString(),
      });
      expect(badMetadata.body.error).toBe("invalid_metadata_format");
    });
  });

  describe("chat.update and chat.getPermalink", () => {
    it("updates a message in place and marks it edited", async () => {
      const posted = await client(fake).chat.postMessage({
        channel: "C0DEPLOYS",
        text: "before",
        blocks: [section("a")] as never,
      });
      const updated = await client(fake).chat.update({
        channel: "C0DEPLOYS",
        ts: posted.ts as string,
        text: "after",
        blocks: [section("b")] as never,
      });
      expect(updated.ok).toBe(true);
      expect(fake.messages).toHaveLength(1);
      expect(fake.messages[0]).toMatchObject({ ts: posted.ts, text: "after", blocks: [section("b")] });
      expect(fake.messages[0]?.edited?.ts).toMatch(/^\d+\.\d{6}$/);
    });

    it("refuses to update an unknown ts (message_not_found) or with invalid blocks", async () => {
      const unknown = await platformError(
        client(fake).chat.update({ channel: "C0DEPLOYS", ts: "1.000001", text: "x" }),
      );
      expect(unknown.error).toBe("message_not_found");
      const posted = await client(fake).chat.postMessage({ channel: "C0DEPLOYS", text: "before" });
      const tooMany = await platformError(
        client(fake).chat.update({
          channel: "C0DEPLOYS",
          ts: posted.ts as string,
          text: "x",
          blocks: Array.from({ length: 51 }, () => section("x")) as never,
        }),
      );
      expect(tooMany.error).toBe("invalid_blocks");
      expect(fake.messages[0]?.text).toBe("before");
    });

    it("gives permalinks for stored messages only", async () => {
      const posted = await client(fake).chat.postMessage({ channel: "C0DEPLOYS", text: "x" });
      const link = await client(fake).chat.getPermalink({
        channel: "C0DEPLOYS",
        message_ts: posted.ts as string,
      });
      expect(link.permalink).toBe(
        `https://fake-workspace.slack.com/archives/C0DEPLOYS/p${(posted.ts as string).replace(".", "")}`,
      );
      const missing = await platformError(
        client(fake).chat.getPermalink({ channel: "C0DEPLOYS", message_ts: "1.000002" }),
      );
      expect(missing.error).toBe("message_not_found");
    });
  });

  describe("chat.postEphemeral", () => {
    it("records an ephemeral for a member of the channel", async () => {
      const result = await client(fake).chat.postEphemeral({
        channel: "C0DEPLOYS",
        user: "U0JANE",
        text: "only you",
      });
      expect(result.ok).toBe(true);
      expect(fake.ephemerals).toEqual([
        expect.objectContaining({
          channel: "C0DEPLOYS",
          user: "U0JANE",
          text: "only you",
          ts: result.message_ts,
        }),
      ]);
      expect(fake.messages).toHaveLength(0);
    });

    it("refuses a user outside the channel (user_not_in_channel) and an unknown one (user_not_found)", async () => {
      const outside = await platformError(
        client(fake).chat.postEphemeral({ channel: "C0DEPLOYS", user: "U0OUT", text: "x" }),
      );
      expect(outside.error).toBe("user_not_in_channel");
      const unknown = await platformError(
        client(fake).chat.postEphemeral({ channel: "C0DEPLOYS", user: "U0NOBODY", text: "x" }),
      );
      expect(unknown.error).toBe("user_not_found");
      expect(fake.ephemerals).toHaveLength(0);
    });
  });

  describe("views", () => {
    it("opens a modal with a fresh trigger_id, once", async () => {
      const trigger = fake.issueTriggerId("U0JANE");
      const opened = await client(fake).views.open({ trigger_id: trigger, view: modal() as never });
      expect(opened.ok).toBe(true);
      expect(opened.view?.id).toMatch(/^V/);
      expect(fake.views).toEqual([
        expect.objectContaining({ trigger_id: trigger, user: "U0JANE", view: modal() }),
      ]);
      const again = await platformError(
        client(fake).views.open({ trigger_id: trigger, view: modal() as never }),
      );
      expect(again.error).toBe("expired_trigger_id");
    });

    it("refuses a trigger_id older than 3 seconds and one it never issued", async () => {
      const trigger = fake.issueTriggerId();
      now += TRIGGER_TTL_MS + 1;
      const old = await platformError(
        client(fake).views.open({ trigger_id: trigger, view: modal() as never }),
      );
      expect(old.error).toBe("expired_trigger_id");
      const forged = await platformError(
        client(fake).views.open({ trigger_id: "1.2.abc", view: modal() as never }),
      );
      expect(forged.error).toBe("invalid_trigger_id");
      expect(fake.views).toHaveLength(0);
    });

    it.each([
      [
        "a title over 24 characters",
        { title: { type: "plain_text", text: "t".repeat(25) } },
        "/view/title/text",
      ],
      ["private_metadata over 3000", { private_metadata: "m".repeat(3001) }, "/view/private_metadata"],
      ["input blocks without submit", { submit: undefined }, "/view/submit"],
      ["101 blocks", { blocks: Array.from({ length: 101 }, () => ({ type: "divider" })) }, "/view/blocks"],
    ])("refuses a modal with %s (invalid_arguments)", async (_name, overrides, pointer) => {
      const result = await platformError(
        client(fake).views.open({ trigger_id: fake.issueTriggerId(), view: modal(overrides) as never }),
      );
      expect(result.error).toBe("invalid_arguments");
      expect(result.data.response_metadata?.messages?.join("\n")).toContain(`[json-pointer:${pointer}]`);
    });

    it("updates an open view by id and checks the hash", async () => {
      const opened = await client(fake).views.open({
        trigger_id: fake.issueTriggerId(),
        view: modal() as never,
      });
      const id = opened.view?.id as string;
      const replacement = modal({
        title: { type: "plain_text", text: "Rejected" },
        blocks: [section("done")],
        submit: undefined,
      });
      const conflict = await platformError(
        client(fake).views.update({ view_id: id, hash: "stale", view: replacement as never }),
      );
      expect(conflict.error).toBe("hash_conflict");
      const updated = await client(fake).views.update({
        view_id: id,
        hash: opened.view?.hash as string,
        view: replacement as never,
      });
      expect(updated.ok).toBe(true);
      expect(fake.views[0]?.view).toEqual(replacement);
      const missing = await platformError(
        client(fake).views.update({ view_id: "V0NOPE", view: replacement as never }),
      );
      expect(missing.error).toBe("not_found");
    });
  });

  describe("users and user groups", () => {
    it("lists a user group's members and refuses an unknown group (no_such_subteam)", async () => {
      const result = await client(fake).usergroups.users.list({ usergroup: "S0SRE" });
      expect(result.users).toEqual(["U0JANE", "U0BOB"]);
      const unknown = await platformError(client(fake).usergroups.users.list({ usergroup: "S0NOPE" }));
      expect(unknown.error).toBe("no_such_subteam");
    });

    it("describes a user and refuses an unknown one (user_not_found)", async () => {
      const result = await client(fake).users.info({ user: "U0JANE" });
      expect(result.user).toMatchObject({ id: "U0JANE", name: "jane", real_name: "Jane Doe", is_bot: false });
      const unknown = await platformError(client(fake).users.info({ user: "U0NOPE" }));
      expect(unknown.error).toBe("user_not_found");
    });
  });

  describe("injected failures", () => {
    it("answers ratelimited with HTTP 429 and Retry-After", async () => {
      fake.failNext("chat.postMessage", "ratelimited");
      const res = await fetch(`${fake.url}chat.postMessage`, {
        method: "POST",
        headers: { authorization: `Bearer ${DEFAULT_BOT_TOKEN}` },
      });
      expect(res.status).toBe(429);
      expect(res.headers.get("retry-after")).toBe("1");
      expect(await res.json()).toEqual({ ok: false, error: "ratelimited" });
      const next = await client(fake).chat.postMessage({ channel: "C0DEPLOYS", text: "x" });
      expect(next.ok).toBe(true);
    });

    it("rate-limits one method for a window, with the seconds left in Retry-After, and no other", async () => {
      fake.rateLimit("chat.update", { seconds: 20 });
      const posted = await client(fake).chat.postMessage({ channel: "C0DEPLOYS", text: "x" });
      const update = () =>
        fetch(`${fake.url}chat.update`, {
          method: "POST",
          headers: { authorization: `Bearer ${DEFAULT_BOT_TOKEN}` },
          body: new URLSearchParams({ channel: "C0DEPLOYS", ts: String(posted.ts), text: "y" }),
        });
      const first = await update();
      expect(first.status).toBe(429);
      expect(first.headers.get("retry-after")).toBe("20");
      expect(await first.json()).toEqual({ ok: false, error: "ratelimited" });
      // Other methods work throughout.
      expect((await client(fake).chat.postMessage({ channel: "C0DEPLOYS", text: "z" })).ok).toBe(true);
      expect(
        (await client(fake).views.open({ trigger_id: fake.issueTriggerId(), view: modal() as never })).ok,
      ).toBe(true);
      now += 12_500;
      const later = await update();
      expect(later.status).toBe(429);
      expect(later.headers.get("retry-after")).toBe("8");
      now += 8_000;
      expect((await update()).status).toBe(200);
      expect(fake.messages.find((m) => m.ts === posted.ts)?.text).toBe("y");
      expect(fake.callsTo("chat.update")).toHaveLength(3);
    });

    it("rate-limits only the next calls when told how many, and lifts limits on demand", async () => {
      fake.rateLimit("chat.postEphemeral", { seconds: 30, times: 1 });
      const ephemeral = () =>
        fetch(`${fake.url}chat.postEphemeral`, {
          method: "POST",
          headers: { authorization: `Bearer ${DEFAULT_BOT_TOKEN}` },
          body: new URLSearchParams({ channel: "C0DEPLOYS", user: "U0JANE", text: "x" }),
        });
      expect((await ephemeral()).status).toBe(429);
      expect((await ephemeral()).status).toBe(200);
      fake.rateLimit("chat.postEphemeral", { seconds: 30 });
      expect((await ephemeral()).status).toBe(429);
      fake.clearRateLimits();
      expect((await ephemeral()).status).toBe(200);
    });

    it("answers server_error with HTTP 500 the given number of times, then recovers", async () => {
      fake.failNext("auth.test", "server_error", 2);
      for (let i = 0; i < 2; i++) {
        const res = await fetch(`${fake.url}auth.test`, { method: "POST" });
        expect(res.status).toBe(500);
      }
      expect((await client(fake).auth.test()).ok).toBe(true);
    });

    it.each(["invalid_auth", "channel_not_found", "not_in_channel"] as const)(
      "answers %s as a platform error, only for the named method",
      async (kind) => {
        fake.failNext("chat.postMessage", kind);
        expect((await client(fake).auth.test()).ok).toBe(true);
        expect(
          (await platformError(client(fake).chat.postMessage({ channel: "C0DEPLOYS", text: "x" }))).error,
        ).toBe(kind);
        expect(fake.messages).toHaveLength(0);
      },
    );
  });

  describe("state routes", () => {
    it("serves messages, ephemerals and views as JSON and resets on POST /_fake/reset", async () => {
      await client(fake).chat.postMessage({ channel: "C0DEPLOYS", text: "x" });
      const base = fake.url.replace(/api\/$/, "");
      const state = (await (await fetch(`${base}_fake/state`)).json()) as Record<string, unknown[]>;
      expect(state.messages).toHaveLength(1);
      expect(state).toHaveProperty("ephemerals");
      expect(state).toHaveProperty("views");
      const reset = await fetch(`${base}_fake/reset`, { method: "POST" });
      expect(reset.status).toBe(200);
      expect(fake.messages).toHaveLength(0);
      expect(fake.calls).toHaveLength(0);
    });
  });
});
