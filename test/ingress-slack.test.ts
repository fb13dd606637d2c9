// The Slack route over HTTP (the App's own server on loopback, a real SQLite file and a real PostgreSQL
// database, the fake Slack for the workspace pin): signatures, the workspace pin, malformed payloads,
// replays, a full queue, the record written before the 200, and recovery of what a crash left. The
// click path behind the route is a recorder: what it receives is what the route promises.
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Ingress, IngressOptions } from "../app/http/ingress.js";
import type { Interaction, InteractionHandler } from "../app/slack/interaction.js";
import { encodeModalMetadata } from "../app/slack/modal-metadata.js";
import { rejectModal } from "../app/slack/reject-modal.js";
import { openStore } from "../app/store/index.js";
import type { Store } from "../app/store/types.js";
import { ACTION_IDS, REJECT_REASON_ACTION_ID, REJECT_REASON_BLOCK_ID } from "../common/reference.js";
import {
  DEFAULT_BOT_TOKEN,
  DEFAULT_CHANNEL_ID,
  FAKE_APP_ID,
  FAKE_TEAM_ID,
  type FakeMessage,
  type FakeSlack,
  startFakeSlack,
} from "../testkit/fakes/slack.js";
import { type ServedIngress, serveIngress } from "../testkit/helpers/ingress.js";
import { createTestDatabase, type TestDatabase } from "../testkit/helpers/postgres.js";
import { postRequestToSlack, requestDetails, SAMPLE_REFERENCE } from "../testkit/helpers/request-message.js";
import { blockActionsPayload, viewSubmissionPayload } from "../testkit/helpers/slack-clicks.js";
import {
  formEncodePayload,
  postSignedBody,
  postSignedToSlackRoute,
  type RouteResponse,
} from "../testkit/helpers/slack-sign.js";

const SECRET = "slack-signing-secret-for-ingress-tests";
const REF = SAMPLE_REFERENCE;
const JANE = { id: "U0JANE", teamId: FAKE_TEAM_ID };

type Backend = "sqlite" | "postgres";

/** The click path as the route sees it: records what it is handed; can be held to keep work in flight. */
function recorder() {
  const handled: Array<{ interaction: Interaction; inboundId: string; recovered: boolean }> = [];
  let hold: Promise<void> = Promise.resolve();
  let release: () => void = () => {};
  const handler: InteractionHandler = {
    async handle(interaction, context) {
      handled.push({ interaction, ...context });
      await hold;
    },
  };
  return {
    handler,
    handled,
    holdAll() {
      hold = new Promise((resolve) => {
        release = resolve;
      });
    },
    releaseAll: () => release(),
  };
}

/** The ingress serving Slack's route alone: clicks go to `clicks`, webhooks nowhere. */
function serveSlackRoute(
  store: Store,
  clicks: ReturnType<typeof recorder>,
  slack: FakeSlack,
  tuning: IngressOptions["tuning"],
): Promise<ServedIngress> {
  return serveIngress({
    store,
    interactions: clicks.handler,
    events: { handle: async () => {} },
    slack: { signingSecret: SECRET, botToken: DEFAULT_BOT_TOKEN, apiUrl: slack.url },
    webhookSecret: "unused-here",
    log: pino({ level: "silent" }),
    tuning,
  });
}

describe.each<Backend>(["sqlite", "postgres"])("the Slack route on %s", (backend) => {
  let slack: FakeSlack;
  let dir: string;
  let database: TestDatabase | undefined;
  let store: Store;
  let clicks: ReturnType<typeof recorder>;
  let served: ServedIngress;
  let ingress: Ingress;
  let url: string;
  let message: FakeMessage;

  beforeAll(async () => {
    slack = await startFakeSlack();
    dir = mkdtempSync(join(tmpdir(), "sdg-ingress-"));
  });
  afterAll(async () => {
    await slack.close();
    rmSync(dir, { recursive: true, force: true });
  });

  beforeEach(async () => {
    slack.reset();
    if (backend === "postgres") {
      database = await createTestDatabase();
      store = await openStore(database.url);
    } else {
      store = await openStore(`sqlite://${join(dir, `${Date.now()}-${Math.random()}.db`)}`);
    }
    clicks = recorder();
    served = await serveSlackRoute(store, clicks, slack, {
      queue: { concurrency: 1, maxWaiting: 2 },
      workspaceRetryMs: 10,
      inboundStaleAfterMs: 1000,
    });
    ingress = served.ingress;
    await ingress.workspace.start();
    url = `${served.base}/slack/interactions`;
    message = await postRequest();
  });

  afterEach(async () => {
    clicks.releaseAll();
    await served.close();
    await store.close();
    await database?.drop();
    database = undefined;
  });

  function postRequest(): Promise<FakeMessage> {
    return postRequestToSlack(slack, requestDetails({ reference: REF, commitTitle: "Ship it" }));
  }

  function click(action: "approve" | "reject" = "approve", overrides: Record<string, unknown> = {}) {
    return {
      ...blockActionsPayload({
        message,
        actionId: ACTION_IDS[action],
        user: JANE,
        triggerId: slack.issueTriggerId(JANE.id),
      }),
      ...overrides,
    };
  }

  /** Interactions recorded and not finished (a claim far in the future sees them all). */
  async function unfinished(): Promise<string[]> {
    const now = new Date(Date.now() + 3600_000);
    return (await store.claimStaleInbound(now, now, 1, 100)).map((row) => row.id);
  }

  /** Every answer is `status` with `text`; nothing reached the click path, nor was left to take over. */
  async function expectRefused(answers: RouteResponse[], status: number, text: string): Promise<void> {
    for (const answer of answers) {
      expect(answer.status).toBe(status);
      expect(answer.body).toBe(text);
    }
    await ingress.idle();
    expect(clicks.handled).toEqual([]);
    expect(await unfinished()).toEqual([]);
  }

  /** What reached the click path, once the ingress has finished. */
  async function handedOn(): Promise<unknown[]> {
    await ingress.idle();
    return clicks.handled.map((h) => h.interaction);
  }
  /** What every interaction of Jane's on the request message carries. */
  const janeOnMessage = () => ({ user: JANE.id, channelId: DEFAULT_CHANNEL_ID, messageTs: message.ts });

  const idOf = (body: string) => createHash("sha256").update(body).digest("hex");

  it("records a click before answering 200, hands it to the click path once, and finishes the record", async () => {
    clicks.holdAll();
    const body = formEncodePayload(click());
    const answer = await postSignedBody(url, body, SECRET);
    expect(answer.status).toBe(200);
    expect(answer.body).toBe("");
    // Acknowledged, still being handled: the record is there, unfinished.
    expect(await unfinished()).toEqual([idOf(body)]);
    expect(clicks.handled).toEqual([
      {
        interaction: expect.objectContaining({ kind: "approve", user: JANE.id, reference: REF }),
        inboundId: idOf(body),
        recovered: false,
      },
    ]);
    clicks.releaseAll();
    await ingress.idle();
    expect(await unfinished()).toEqual([]);
  });

  it("refuses forged, stale and tampered requests with 401 and records nothing", async () => {
    const forged = await postSignedToSlackRoute(url, click(), "not-the-secret");
    const stale = await postSignedToSlackRoute(url, click(), SECRET, {
      timestampSeconds: Math.floor(Date.now() / 1000) - 301,
    });
    const body = formEncodePayload(click());
    const tampered = await postSignedBody(url, body, SECRET, {
      sendBody: body.replace("U0JANE", "U0MALLORY"),
    });
    const unsigned = await postSignedBody(url, body, SECRET, { omit: ["x-slack-signature"] });
    await expectRefused([forged, stale, tampered, unsigned], 401, "invalid signature");
  });

  it("acknowledges a replayed body and drops it: the click path sees it once", async () => {
    const body = formEncodePayload(click());
    const timestampSeconds = Math.floor(Date.now() / 1000);
    const first = await postSignedBody(url, body, SECRET, { timestampSeconds });
    await ingress.idle();
    // The same bytes under the same signature, as an attacker holding a captured request would send.
    const again = await postSignedBody(url, body, SECRET, { timestampSeconds });
    const third = await postSignedBody(url, body, SECRET, { timestampSeconds });
    expect([first.status, again.status, third.status]).toEqual([200, 200, 200]);
    await ingress.idle();
    expect(clicks.handled).toHaveLength(1);
  });

  it("refuses clicks from another workspace, Enterprise Grid org or Slack app with 403, recording nothing", async () => {
    const cases = [
      click("approve", { team: { id: "T0ELSEWHERE", domain: "elsewhere" } }),
      click("approve", { enterprise: { id: "E0OTHERORG", name: "Other" } }),
      click("approve", { api_app_id: "A0OTHERAPP" }),
      click("approve", { team: null }),
    ];
    const answers: RouteResponse[] = [];
    for (const payload of cases) answers.push(await postSignedToSlackRoute(url, payload, SECRET));
    await expectRefused(answers, 403, "this App does not serve that workspace");
  });

  it("answers malformed payloads 400 and records nothing", async () => {
    const bodies = [
      "token=x&team_id=T1",
      "payload=%7Bnot%20json",
      formEncodePayload({ ...click(), user: { id: "not-a-user" } }),
      formEncodePayload({ ...click(), actions: [] }),
    ];
    const answers: RouteResponse[] = [];
    for (const body of bodies) answers.push(await postSignedBody(url, body, SECRET));
    await expectRefused(answers, 400, "malformed payload");
  });

  it("hands a button it cannot read to the click path as unreadable_button, so the clicker is told", async () => {
    const payload = click();
    const forged = { ...payload, actions: [{ ...(payload.actions as object[])[0], value: "sdg1:[1]" }] };
    expect((await postSignedToSlackRoute(url, forged, SECRET)).status).toBe(200);
    expect(await handedOn()).toEqual([
      {
        kind: "unreadable_button",
        ...janeOnMessage(),
        problem: "the button carries no valid request reference: reference has the wrong shape",
      },
    ]);
  });

  it("answers a blank reason in the form itself, and an unreadable form likewise, recording nothing", async () => {
    const view = {
      ...rejectModal(REF, DEFAULT_CHANNEL_ID, message.ts),
      id: "V0REASON",
      private_metadata: encodeModalMetadata({ reference: REF, channel: DEFAULT_CHANNEL_ID, ts: message.ts }),
    } as never;
    const submit = (reason: string, privateMetadata?: string) =>
      viewSubmissionPayload({
        view:
          privateMetadata === undefined
            ? view
            : ({ ...(view as object), private_metadata: privateMetadata } as never),
        values: {
          [REJECT_REASON_BLOCK_ID]: {
            [REJECT_REASON_ACTION_ID]: { type: "plain_text_input", value: reason },
          },
        },
        user: JANE,
        apiAppId: FAKE_APP_ID,
      });

    const blank = await postSignedToSlackRoute(url, submit("   "), SECRET);
    expect(blank.status).toBe(200);
    expect(JSON.parse(blank.body)).toEqual({
      response_action: "errors",
      errors: { [REJECT_REASON_BLOCK_ID]: expect.stringMatching(/^Please say why/) },
    });
    const unreadable = await postSignedToSlackRoute(url, submit("because", "{}"), SECRET);
    expect(JSON.parse(unreadable.body)).toMatchObject({ response_action: "errors" });
    expect(await unfinished()).toEqual([]);

    const real = await postSignedToSlackRoute(url, submit("  tests are red "), SECRET);
    expect(real.status).toBe(200);
    expect(await handedOn()).toEqual([
      {
        kind: "reject_submitted",
        ...janeOnMessage(),
        reference: REF,
        reason: "tests are red",
      },
    ]);
  });

  it("answers 503 with Retry-After when the queue is full, recording nothing it could not queue", async () => {
    clicks.holdAll();
    // One running and two waiting fill the queue (concurrency 1, two waiting).
    for (let i = 0; i < 3; i++) expect((await postSignedToSlackRoute(url, click(), SECRET)).status).toBe(200);
    const shed = await postSignedToSlackRoute(url, click(), SECRET);
    expect(shed.status).toBe(503);
    expect(shed.headers.get("retry-after")).toBe("5");
    expect(await unfinished()).toHaveLength(3);
    clicks.releaseAll();
    await ingress.idle();
    expect(clicks.handled).toHaveLength(3);
  });

  it("puts the reason form first in line: a reject click overtakes approvals waiting for a slot", async () => {
    clicks.holdAll();
    await postSignedToSlackRoute(url, click("approve"), SECRET);
    await postSignedToSlackRoute(url, click("approve"), SECRET);
    await postSignedToSlackRoute(url, click("reject"), SECRET);
    clicks.releaseAll();
    await ingress.idle();
    expect(clicks.handled.map((h) => h.interaction.kind)).toEqual(["approve", "reject_clicked", "approve"]);
  });

  it("answers 503 when the click cannot be recorded, and hands nothing on", async () => {
    await store.close();
    const answer = await postSignedToSlackRoute(url, click(), SECRET);
    expect(answer.status).toBe(503);
    await ingress.idle();
    expect(clicks.handled).toEqual([]);
    // A fresh store for afterEach to close.
    store = await openStore(backend === "postgres" ? database?.url : `sqlite://${join(dir, "after.db")}`);
  });

  it("takes over a click a crashed process acknowledged: handed on as recovered, then finished", async () => {
    const body = formEncodePayload(click());
    // What a process that died right after its 200 leaves behind.
    await store.saveInbound({ id: idOf(body), receivedAt: new Date(Date.now() - 5000), body });
    expect(await ingress.inbound.recover()).toBe(1);
    await ingress.idle();
    expect(clicks.handled).toEqual([
      {
        interaction: expect.objectContaining({ kind: "approve", reference: REF }),
        inboundId: idOf(body),
        recovered: true,
      },
    ]);
    expect(await ingress.inbound.recover()).toBe(0);
    expect(await unfinished()).toEqual([]);
  });

  it("leaves recent unfinished clicks to the process handling them, and prunes old finished ones", async () => {
    const recent = formEncodePayload(click());
    await store.saveInbound({ id: idOf(recent), receivedAt: new Date(), body: recent });
    const old = formEncodePayload(click());
    await store.saveInbound({ id: idOf(old), receivedAt: new Date(Date.now() - 11 * 60_000), body: old });
    await store.finishInbound(idOf(old));
    expect(await ingress.inbound.recover()).toBe(0);
    expect(clicks.handled).toEqual([]);
    // Pruned: the old record no longer guards against a replay (its signature expired long ago).
    expect(await store.saveInbound({ id: idOf(old), receivedAt: new Date(), body: old })).toBe(true);
    expect(await store.saveInbound({ id: idOf(recent), receivedAt: new Date(), body: recent })).toBe(false);
  });
});

describe("the Slack route before the workspace is known", () => {
  it("refuses clicks with 503 until auth.test answers, then takes them", async () => {
    const slack = await startFakeSlack();
    const dir = mkdtempSync(join(tmpdir(), "sdg-ingress-"));
    const store = await openStore(`sqlite://${join(dir, "app.db")}`);
    const clicks = recorder();
    slack.failNext("auth.test", "server_error", 1000);
    const served = await serveSlackRoute(store, clicks, slack, {
      workspaceRetryMs: 5,
      inboundStaleAfterMs: 60_000,
    });
    const { ingress } = served;
    const url = `${served.base}/slack/interactions`;
    try {
      const started = ingress.workspace.start();
      const payload = {
        type: "block_actions",
        team: { id: FAKE_TEAM_ID },
        api_app_id: FAKE_APP_ID,
        enterprise: null,
        user: { id: "U0JANE" },
      };
      const early = await postSignedToSlackRoute(url, payload, SECRET);
      expect(early.status).toBe(503);
      expect(early.headers.get("retry-after")).toBe("5");
      expect(clicks.handled).toEqual([]);
      slack.reset();
      await started;
      // Known now: the same (if useless) interaction is taken and, having no action, ignored.
      expect((await postSignedToSlackRoute(url, payload, SECRET)).status).not.toBe(503);
    } finally {
      await served.close();
      await store.close();
      await slack.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
