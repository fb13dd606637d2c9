// The effect runner across two replicas on one database: once GitHub has taken a decision, the
// message says so promptly on whichever replica, however the message update and the GitHub effect
// interleave; effects a handler records run at once, not at the next sweep; a rate-limited update runs
// again at Slack's Retry-After (never sooner) by the runner's own timer. The Slack side is
// real (the App's Slack client and message handlers against the fake Slack, behind the fault proxy
// that holds a chat.update mid-flight); the GitHub effect is a stand-in the test answers when it
// chooses, so that each interleaving is taken on purpose, never by chance.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { WebClient } from "@slack/web-api";
import { pino } from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { messageUpdate } from "../app/effects/message-state.js";
import { effectId } from "../app/effects/modes.js";
import { retryLater } from "../app/effects/retry.js";
import { createEffectRunner, type EffectRunner } from "../app/effects/runner.js";
import { slackReplyHandler } from "../app/effects/slack-reply.js";
import { slackUpdateHandler } from "../app/effects/slack-update.js";
import type { EffectContext, EffectHandler } from "../app/effects/types.js";
import { createSlackApi } from "../app/slack/api.js";
import { openStore } from "../app/store/index.js";
import type {
  EffectKind,
  EffectOutcome,
  EffectRow,
  NewEffect,
  RequestRow,
  Store,
} from "../app/store/types.js";
import { ACTION_IDS, BLOCK_IDS } from "../common/reference.js";
import {
  DEFAULT_BOT_TOKEN,
  DEFAULT_CHANNEL_ID,
  type FakeSlack,
  startFakeSlack,
} from "../testkit/fakes/slack.js";
import { type FaultProxy, startFaultProxy } from "../testkit/fault-proxy.js";
import { hasButtons, statusText } from "../testkit/helpers/app-harness.js";
import { createTestDatabase } from "../testkit/helpers/postgres.js";

const silent = pino({ level: "silent" });
const UPDATE = { method: "POST", path: "/api/chat.update" };

/** A GitHub effect the test answers: `entered` resolves once a replica runs it. */
function githubStandIn(
  kind: EffectKind,
  onRun?: (record: EffectContext["record"], request: RequestRow) => Promise<void>,
) {
  let answer!: (outcome: EffectOutcome) => void;
  let entered!: () => void;
  const state = {
    entered: new Promise<void>((resolve) => {
      entered = resolve;
    }),
    answered: new Promise<EffectOutcome>((resolve) => {
      answer = resolve;
    }),
  };
  const handler: EffectHandler = {
    kind,
    async run(_effect, request, context) {
      entered();
      const outcome = await state.answered;
      await onRun?.(context.record, request);
      return outcome;
    },
  };
  return { handler, entered: state.entered, answer };
}

const backends = [
  {
    name: "sqlite",
    async create() {
      const dir = await mkdtemp(join(tmpdir(), "sdg-runner-"));
      return {
        url: `sqlite://${join(dir, "gate.db")}`,
        destroy: () => rm(dir, { recursive: true, force: true }),
      };
    },
  },
  {
    name: "postgres",
    async create() {
      const database = await createTestDatabase();
      return { url: database.url, destroy: () => database.drop() };
    },
  },
];

describe.each(backends)("the effect runner, two replicas on $name", (backend) => {
  let slack: FakeSlack;
  let proxy: FaultProxy;
  let poster: WebClient;
  /** Two stores on one database: two replicas. */
  let stores: [Store, Store];
  let destroy: () => Promise<void>;
  let runners: EffectRunner[] = [];

  beforeAll(async () => {
    slack = await startFakeSlack();
    proxy = await startFaultProxy({ target: slack.url.replace(/\/api\/$/, ""), flavor: "slack" });
    poster = new WebClient(DEFAULT_BOT_TOKEN, { slackApiUrl: slack.url, retryConfig: { retries: 0 } });
    const created = await backend.create();
    destroy = created.destroy;
    stores = [await openStore(created.url), await openStore(created.url)];
  });
  afterEach(async () => {
    proxy.clearRules();
    await Promise.all(runners.map((r) => r.idle()));
    for (const r of runners) r.stop();
    runners = [];
  });
  afterAll(async () => {
    await Promise.all((stores ?? []).map((s) => s.close()));
    await destroy?.();
    await proxy?.close();
    await slack?.close();
  });

  /** A replica's runner: the App's Slack handlers, the GitHub stand-ins, no sweep; retry timers if asked. */
  function replica(
    store: Store,
    github: EffectHandler[],
    options: { retryTimers?: boolean; now?: () => Date } = {},
  ): EffectRunner {
    const api = createSlackApi({ token: DEFAULT_BOT_TOKEN, apiUrl: `${proxy.url}/api/` });
    const runner = createEffectRunner({
      store,
      handlers: [slackUpdateHandler(api), slackReplyHandler(api), ...github],
      log: silent,
      retryTimersWithinMs: options.retryTimers ? undefined : 0,
      now: options.now,
    });
    runners.push(runner);
    return runner;
  }

  /** A posted request with buttons, decided (approved) in `mode` with the mode's effects recorded. */
  async function decided(
    mode: "gate" | "dispatch",
    effects: Array<{ kind: EffectKind; state: "due" | "waiting" }>,
  ) {
    const blocks = [
      { type: "section", block_id: "sdg_summary", text: { type: "mrkdwn", text: "Deploy *acme/shop*" } },
      {
        type: "actions",
        block_id: BLOCK_IDS.actions,
        elements: [
          {
            type: "button",
            action_id: ACTION_IDS.approve,
            text: { type: "plain_text", text: "Approve" },
            value: "v",
          },
        ],
      },
    ];
    const posted = await poster.chat.postMessage({ channel: DEFAULT_CHANNEL_ID, text: "Deploy", blocks });
    const requestId = `req${Math.random().toString(36).slice(2, 12)}`;
    const saved = await stores[0].saveRequest({
      requestId,
      repository: "acme/shop",
      runId: 700_001,
      runAttempt: 1,
      environment: "production",
      mode,
      channelId: DEFAULT_CHANNEL_ID,
      messageTs: posted.ts as string,
      messageBlocks: blocks,
      createdAt: new Date(),
    });
    const at = new Date();
    const decidedBy = [{ slackUserId: "U0ALICE", name: "alice", githubLogin: null }];
    const recorded: NewEffect[] = [
      ...effects.map(({ kind, state }) => ({
        id: effectId(requestId, kind),
        requestId,
        kind,
        payload: null,
        state,
        onConflict: "ignore" as const,
      })),
      messageUpdate(requestId, { show: "decision" }),
    ];
    expect(
      await stores[0].decide(requestId, { decision: "approved", decidedBy, reason: null, at }, recorded),
    ).toBe(true);
    const request: RequestRow = { ...saved, decision: "approved", decidedAt: at, decidedBy, reason: null };
    return { request, ts: posted.ts as string, ids: recorded.map((e) => e.id) };
  }

  const message = (ts: string) => {
    const found = slack.messages.find((m) => m.ts === ts && !m.thread_ts);
    if (!found) throw new Error(`no message ${ts}`);
    return found;
  };
  const updateOf = async (requestId: string) =>
    (await stores[0].listEffects(requestId)).find((e) => e.kind === "slack.update");

  it("a message update another replica rendered before GitHub answered is rendered again once it did", async () => {
    const review = githubStandIn("github.review");
    const a = replica(stores[0], [review.handler]);
    const b = replica(stores[1], []);
    const { request, ts, ids } = await decided("gate", [{ kind: "github.review", state: "due" }]);

    // Replica A runs the decision's effects: the review first (GitHub has not answered yet)...
    const deciding = a.run(ids, request);
    await review.entered;
    // ...while replica B (its sweep, another click) runs the message update: "telling GitHub".
    await b.run([effectId(request.requestId, "slack.update")]);
    expect(statusText(message(ts))).toMatch(/telling GitHub/);

    // GitHub takes the review. A's own update finds B's done; the message must not stay behind.
    review.answer({ state: "done" });
    await deciding;
    await Promise.all([a.idle(), b.idle()]);

    expect(statusText(message(ts))).toMatch(/\*Approved\* by <@U0ALICE>.*deployment resumed/);
    expect(hasButtons(message(ts))).toBe(false);
    expect((await updateOf(request.requestId))?.state).toBe("done");
  });

  it("a refresh that lands while another replica's update is in flight runs right after it, not at the next sweep", async () => {
    const review = githubStandIn("github.review");
    const a = replica(stores[0], [review.handler]);
    const b = replica(stores[1], []);
    const { request, ts } = await decided("gate", [{ kind: "github.review", state: "waiting" }]);

    // Replica B's message update is in flight (it read "waiting for the gate"; Slack holds the call).
    const slow = proxy.inject({ ...UPDATE, fault: { kind: "hold" } });
    const updating = b.run([effectId(request.requestId, "slack.update")]);
    await until(() => slow.held === 1);

    // The gate arrives at replica A: the review runs, GitHub takes it, and A refreshes the message,
    // whose update B still holds.
    const waking = a.wake(request.requestId, ["github.review"], request);
    await review.entered;
    review.answer({ state: "done" });
    await waking;
    expect((await updateOf(request.requestId))?.leaseUntil).not.toBeNull();

    // Slack answers B's call: B's update was stale the moment it finished, and runs again at once.
    slow.release();
    await updating;
    await Promise.all([a.idle(), b.idle()]);

    expect(statusText(message(ts))).toMatch(/deployment resumed/);
    expect(proxy.matching("POST", UPDATE.path).length).toBeGreaterThanOrEqual(2);
    expect((await updateOf(request.requestId))?.state).toBe("done");
  });

  it("runs effects a handler records at once: the dispatched run's link reaches the thread without a sweep", async () => {
    const dispatch = githubStandIn("github.dispatch", async (record, request) => {
      await record([
        {
          id: effectId(request.requestId, "slack.reply", "dispatched"),
          requestId: request.requestId,
          kind: "slack.reply",
          payload: { text: ":rocket: Started `deploy.yml` on `main`: <http://github.test/run/9|run 9>." },
          state: "due",
          onConflict: "ignore",
        },
      ]);
    });
    const check = githubStandIn("github.check_run");
    const a = replica(stores[0], [dispatch.handler, check.handler]);
    const { request, ts, ids } = await decided("dispatch", [
      { kind: "github.check_run", state: "due" },
      { kind: "github.dispatch", state: "due" },
    ]);
    check.answer({ state: "done" });
    dispatch.answer({ state: "done" });
    await a.run(ids, request);
    await a.idle();

    const thread = slack.messages.filter((m) => m.thread_ts === ts).map((m) => m.text);
    expect(thread).toContain(":rocket: Started `deploy.yml` on `main`: <http://github.test/run/9|run 9>.");
    expect(thread.some((t) => /GitHub accepted the decision/.test(t))).toBe(true);
    expect(statusText(message(ts))).toMatch(/the deploy workflow was started/);
    const effects = await stores[1].listEffects(request.requestId);
    expect(effects.filter((e) => e.state !== "done").map((e) => e.id)).toEqual([]);
  });

  it("runs a rate-limited update again at Slack's Retry-After by its own timer, not at the next sweep", async () => {
    const review = githubStandIn("github.review");
    const a = replica(stores[0], [review.handler], { retryTimers: true });
    const { request, ts, ids } = await decided("gate", [{ kind: "github.review", state: "due" }]);
    const before = proxy.matching("POST", UPDATE.path).length;
    const limited = proxy.inject({ ...UPDATE, fault: { kind: "rate-limit", retryAfterSeconds: 1 } });
    review.answer({ state: "done" });
    await a.run(ids, request);
    expect(limited.hits).toBe(1);
    const scheduled = await updateOf(request.requestId);
    expect(scheduled).toMatchObject({ state: "due", attempts: 1, lastError: "Slack: ratelimited" });
    expect(hasButtons(message(ts))).toBe(true);

    await until(() => /deployment resumed/.test(statusText(message(ts)) ?? ""));
    await a.idle();
    expect((await updateOf(request.requestId))?.state).toBe("done");
    // The one 429, then, at Retry-After, the update that went through: nothing in between.
    expect(
      proxy
        .matching("POST", UPDATE.path)
        .slice(before)
        .map((r) => r.status),
    ).toEqual([429, 200]);
  });

  it("waits at least a second on a Retry-After of 0, so that a limit repeated at once is not a busy loop", async () => {
    const review = githubStandIn("github.review");
    const { request, ids } = await decided("gate", [{ kind: "github.review", state: "due" }]);
    const at = new Date(Date.now() + 1);
    const a = replica(stores[0], [review.handler], { now: () => at });
    proxy.inject({ ...UPDATE, times: Infinity, fault: { kind: "rate-limit", retryAfterSeconds: 0 } });
    review.answer({ state: "done" });
    await a.run(ids, request);
    const update = await updateOf(request.requestId);
    expect(update).toMatchObject({ state: "due", attempts: 1 });
    expect(update?.nextAttemptAt).toEqual(new Date(at.getTime() + 1000));
  });
});

describe("retry timing", () => {
  const failing = (kind: EffectKind, attempts: number): EffectRow => ({
    id: `r:${kind}`,
    requestId: "r",
    kind,
    payload: null,
    state: "due",
    generation: 0,
    attempts,
    nextAttemptAt: null,
    leaseUntil: null,
    lastError: null,
    note: null,
    result: null,
    createdAt: new Date(0),
    updatedAt: new Date(0),
  });
  const delay = (kind: EffectKind, attempts: number) => {
    const at = new Date(60_000);
    const outcome = retryLater(failing(kind, attempts), at, "Slack: fatal_error");
    if (outcome.state !== "retry") throw new Error(outcome.state);
    return outcome.nextAttemptAt.getTime() - at.getTime();
  };

  it("backs a Slack effect off to 30 s at most, so a message is right within seconds of Slack's return", () => {
    expect([0, 1, 2, 3, 4, 5, 12].map((n) => delay("slack.update", n))).toEqual([
      2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000,
    ]);
    expect(delay("slack.reply", 12)).toBe(30_000);
    // GitHub effects keep the longer backoff (their rate limits name their own reset times).
    expect(delay("github.review", 12)).toBe(15 * 60_000);
  });
});

/** Polls a condition the test itself set up (a held request reaching the proxy). */
async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(condition()).toBe(true);
}
