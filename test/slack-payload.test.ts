import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { decodeModalMetadata, encodeModalMetadata } from "../app/slack/modal-metadata.js";
import {
  decodeEnvelope,
  type Origin,
  type ParsedPayload,
  PayloadError,
  parseInteraction,
} from "../app/slack/payload.js";
import { rejectModal } from "../app/slack/reject-modal.js";
import {
  ACTION_IDS,
  BLOCK_IDS,
  encodeReference,
  REJECT_MODAL_CALLBACK_ID,
  REJECT_REASON_ACTION_ID,
  REJECT_REASON_BLOCK_ID,
  type RequestReference,
} from "../common/reference.js";
import {
  DEFAULT_BOT_TOKEN,
  DEFAULT_CHANNEL_ID,
  type FakeSlack,
  startFakeSlack,
} from "../testkit/fakes/slack.js";
import { postRequestToSlack, requestDetails } from "../testkit/helpers/request-message.js";
import {
  blockActionsPayload,
  type PostedMessage,
  viewSubmissionPayload,
} from "../testkit/helpers/slack-clicks.js";
import { formEncodePayload } from "../testkit/helpers/slack-sign.js";

const REF: RequestReference = {
  repository: "acme/api",
  runId: 4242,
  runAttempt: 2,
  environment: "production",
  mode: "gate",
  requestId: "req_abcdefgh12",
};
const CLICKER = { id: "U0JANE", username: "jane" };

let slack: FakeSlack;

beforeAll(async () => {
  slack = await startFakeSlack();
});
afterAll(async () => {
  await slack.close();
});
beforeEach(() => slack.reset());

async function slackCall(method: string, body: Record<string, unknown>): Promise<Record<string, unknown>> {
  const response = await fetch(`${slack.url}${method}`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${DEFAULT_BOT_TOKEN}`,
      "content-type": "application/json; charset=utf-8",
    },
    body: JSON.stringify(body),
  });
  const json = (await response.json()) as Record<string, unknown>;
  expect(json.ok, JSON.stringify(json)).toBe(true);
  return json;
}

/** Posts the Action's real request message to the fake Slack and returns it as stored. */
function postRequestMessage(ref: RequestReference = REF): Promise<PostedMessage> {
  return postRequestToSlack(slack, requestDetails({ reference: ref, commitTitle: "Ship it" }));
}

/** Jane clicks Approve on the message, as Slack reports it. */
function approveClick(message: PostedMessage): Record<string, unknown> {
  return blockActionsPayload({ message, actionId: ACTION_IDS.approve, user: CLICKER, triggerId: "1.2.3" });
}

function parse(payload: unknown): ParsedPayload {
  return parseInteraction(decodeEnvelope(Buffer.from(formEncodePayload(payload))));
}

function origin(payload: unknown): Origin {
  return decodeEnvelope(formEncodePayload(payload)).origin;
}

/** The PayloadError that decoding or parsing the body throws (a malformed payload: 400). */
function parseError(body: string | Buffer): PayloadError {
  try {
    parseInteraction(decodeEnvelope(body));
  } catch (error) {
    expect(error).toBeInstanceOf(PayloadError);
    return error as PayloadError;
  }
  throw new Error("expected a PayloadError");
}

describe("block_actions", () => {
  /** Jane clicks `action` on a fresh request message: what Slack sends, parsed, and the message. */
  async function clickOnNewMessage(action: "approve" | "reject", triggerId: string) {
    const message = await postRequestMessage();
    const result = parse(
      blockActionsPayload({ message, actionId: ACTION_IDS[action], user: CLICKER, triggerId }),
    );
    /** What any click on this message carries. */
    const onMessage = {
      user: "U0JANE",
      channelId: DEFAULT_CHANNEL_ID,
      messageTs: message.ts,
      reference: REF,
      messageBlocks: message.blocks,
    };
    return { result, onMessage };
  }

  it("parses an Approve click on the message the Action posted into an approve interaction", async () => {
    const { result, onMessage } = await clickOnNewMessage("approve", slack.issueTriggerId(CLICKER.id));
    expect(result).toEqual({ kind: "interaction", interaction: { kind: "approve", ...onMessage } });
  });

  it("parses a Reject click with its trigger id, which the reason form needs", async () => {
    const triggerId = slack.issueTriggerId();
    const { result, onMessage } = await clickOnNewMessage("reject", triggerId);
    expect(result).toEqual({
      kind: "interaction",
      interaction: { kind: "reject_clicked", ...onMessage, triggerId },
    });
  });

  it("copies the button as Slack does", async () => {
    const message = await postRequestMessage();
    const payload = blockActionsPayload({
      message,
      actionId: ACTION_IDS.reject,
      user: CLICKER,
      triggerId: "1.2.3",
    });
    expect((payload.actions as unknown[])[0]).toEqual({
      action_id: ACTION_IDS.reject,
      block_id: BLOCK_IDS.actions,
      text: { type: "plain_text", text: "Reject" },
      value: encodeReference(REF),
      style: "danger",
      type: "button",
      action_ts: expect.any(String),
    });
  });

  it("cannot click a button that was never posted", async () => {
    const message = await postRequestMessage();
    expect(() =>
      blockActionsPayload({ message, actionId: "sdg_approve_all", user: CLICKER, triggerId: "1.2.3" }),
    ).toThrow(/no button with action_id "sdg_approve_all"/);
  });

  it("ignores other actions and other interaction types", async () => {
    const message = await postRequestMessage();
    const payload = approveClick(message);
    const other = {
      ...payload,
      actions: [{ ...(payload.actions as object[])[0], action_id: "something_else" }],
    };
    expect(parse(other)).toEqual({ kind: "ignored", reason: 'action "something_else" is not handled' });
    expect(parse({ type: "view_closed", user: { id: "U0JANE" } })).toEqual({
      kind: "ignored",
      reason: 'interaction type "view_closed" is not handled',
    });
    expect(parse({ type: "shortcut", callback_id: "x" })).toMatchObject({ kind: "ignored" });
  });

  it("ignores clicks outside a channel message", async () => {
    const message = await postRequestMessage();
    const payload = approveClick(message);
    expect(parse({ ...payload, container: { type: "view", view_id: "V1" } })).toEqual({
      kind: "ignored",
      reason: "a click outside a message",
    });
    const { message: _m, ...ephemeral } = payload;
    expect(
      parse({ ...ephemeral, container: { ...(payload.container as object), is_ephemeral: true } }),
    ).toEqual({
      kind: "ignored",
      reason: "a click in an ephemeral message",
    });
  });

  it("turns a button it cannot read into an unreadable_button interaction, so the clicker is told", async () => {
    const message = await postRequestMessage();
    const payload = approveClick(message);
    const forged = {
      ...payload,
      actions: [{ ...(payload.actions as object[])[0], value: 'sdg1:["acme/api",0]' }],
    };
    expect(parse(forged)).toEqual({
      kind: "interaction",
      interaction: {
        kind: "unreadable_button",
        user: "U0JANE",
        channelId: DEFAULT_CHANNEL_ID,
        messageTs: message.ts,
        problem: "the button carries no valid request reference: reference has the wrong shape",
      },
    });
    const future = { ...payload, actions: [{ ...(payload.actions as object[])[0], value: "sdg9:[]" }] };
    expect(parse(future)).toMatchObject({
      interaction: {
        kind: "unreadable_button",
        problem: expect.stringMatching(/unsupported reference version 9/),
      },
    });
  });

  it("treats a button whose reference disagrees with the message metadata as unreadable", async () => {
    const message = await postRequestMessage();
    const payload = approveClick(message);
    const other = encodeReference({ ...REF, runAttempt: 3 });
    const tampered = { ...payload, actions: [{ ...(payload.actions as object[])[0], value: other }] };
    expect(parse(tampered)).toMatchObject({
      interaction: { kind: "unreadable_button", problem: "the button and the message metadata disagree" },
    });
  });

  it("accepts a click on a message without metadata (the button is the reference)", async () => {
    const message = await postRequestMessage();
    const { metadata: _metadata, ...bare } = message;
    const result = parse(
      blockActionsPayload({ message: bare, actionId: ACTION_IDS.approve, user: CLICKER, triggerId: "1.2.3" }),
    );
    expect(result).toMatchObject({ kind: "interaction", interaction: { kind: "approve", reference: REF } });
  });

  it("refuses clicks missing what the App reads, as malformed", async () => {
    const message = await postRequestMessage();
    const payload = approveClick(message);
    const reject = blockActionsPayload({
      message,
      actionId: ACTION_IDS.reject,
      user: CLICKER,
      triggerId: "1.2.3",
    });
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ ...payload, user: undefined }, /^user is not an object$/],
      [{ ...payload, user: { id: "not-a-user" } }, /^user\.id is not a valid Slack id$/],
      [{ ...payload, channel: undefined }, /^channel is not an object$/],
      [{ ...payload, message: undefined }, /^message is not an object$/],
      [
        { ...payload, message: { ...(payload.message as object), ts: "yesterday" } },
        /^message\.ts is not a message ts$/,
      ],
      [{ ...payload, actions: [] }, /^actions is empty$/],
      [{ ...payload, actions: "approve" }, /^actions is not a list$/],
      [{ ...reject, trigger_id: undefined }, /^trigger_id is not a string$/],
      [{ ...payload, container: undefined }, /^container is not an object$/],
      [{ ...payload, actions: Array(26).fill((payload.actions as object[])[0]) }, /more than 25 items/],
      [
        {
          ...payload,
          message: { ...(payload.message as object), blocks: Array(101).fill({ type: "divider" }) },
        },
        /^message\.blocks has more than 100 items$/,
      ],
      [{ ...payload, team: { id: 7 } }, /^team\.id is not a string$/],
      [{ ...payload, api_app_id: "not an app" }, /^api_app_id is not a valid Slack id$/],
    ];
    for (const [body, message] of cases) {
      expect(parseError(formEncodePayload(body)).message).toMatch(message);
    }
  });

  it("does not check fields the App never reads", async () => {
    const message = await postRequestMessage();
    const payload = approveClick(message);
    // An approve needs no trigger id; response_url, action_ts and block_id are not read at all.
    const { trigger_id: _t, response_url: _r, ...rest } = payload;
    const actions = [{ ...(payload.actions as object[])[0], action_ts: 7, block_id: null }];
    expect(parse({ ...rest, actions })).toMatchObject({
      kind: "interaction",
      interaction: { kind: "approve" },
    });
  });
});

describe("where an interaction comes from", () => {
  it("reads the team, enterprise and app a click was signed for", async () => {
    const message = await postRequestMessage();
    const payload = approveClick(message);
    expect(origin(payload)).toEqual({ teamId: message.team, enterpriseId: null, appId: message.app_id });
    expect(origin({ ...payload, enterprise: { id: "E0GRID", name: "Grid" } })).toMatchObject({
      enterpriseId: "E0GRID",
    });
    // Payloads of apps installed on a whole Grid org may carry no team.
    expect(origin({ ...payload, team: null })).toMatchObject({ teamId: null });
    expect(origin({ type: "block_actions" })).toEqual({ teamId: null, enterpriseId: null, appId: null });
  });
});

describe("malformed forms", () => {
  it("needs a payload field holding a JSON object with a type", () => {
    expect(parseError("token=x&team_id=T1").message).toBe("the form has no payload field");
    expect(parseError("payload=%7Bnot%20json").message).toBe("payload is not valid JSON");
    expect(parseError("payload=%5B1%2C2%5D").message).toBe("payload is not an object");
    expect(parseError("payload=null").message).toBe("payload is not an object");
    expect(parseError(`payload=${encodeURIComponent("{}")}`).message).toBe("payload.type is missing");
    expect(parseError("")).toBeInstanceOf(PayloadError);
  });

  it("refuses an oversized payload", () => {
    const huge = `payload=${encodeURIComponent(JSON.stringify({ type: "block_actions", pad: "x".repeat(1024 * 1024) }))}`;
    expect(parseError(huge).message).toBe("payload too large");
  });
});

describe("reject modal metadata", () => {
  it("round-trips the reference, channel and ts", () => {
    const text = encodeModalMetadata({ reference: REF, channel: "C0DEPLOYS", ts: "1700000000.000100" });
    expect(JSON.parse(text)).toEqual({
      ref: encodeReference(REF),
      channel: "C0DEPLOYS",
      ts: "1700000000.000100",
    });
    expect(decodeModalMetadata(text)).toEqual({
      reference: REF,
      channel: "C0DEPLOYS",
      ts: "1700000000.000100",
    });
  });

  it("stays within Slack's 3000 characters for the longest reference", () => {
    const longest: RequestReference = {
      ...REF,
      repository: `${"o".repeat(39)}/${"r".repeat(100)}`,
      environment: "e".repeat(255),
      requestId: "i".repeat(64),
    };
    const text = encodeModalMetadata({ reference: longest, channel: "C0DEPLOYS", ts: "1700000000.000100" });
    expect(text.length).toBeLessThanOrEqual(3000);
  });

  it("refuses bad metadata with a reason", () => {
    expect(() => decodeModalMetadata("")).toThrow("modal metadata is not valid JSON");
    expect(() => decodeModalMetadata("[]")).toThrow("modal metadata has the wrong shape");
    const good = JSON.parse(encodeModalMetadata({ reference: REF, channel: "C0DEPLOYS", ts: "1.2" }));
    expect(() => decodeModalMetadata(JSON.stringify({ ...good, channel: "#deploys" }))).toThrow(
      "invalid channel id",
    );
    expect(() => decodeModalMetadata(JSON.stringify({ ...good, ts: 1.2 }))).toThrow("invalid message ts");
    expect(() => decodeModalMetadata(JSON.stringify({ ...good, ref: "sdg1:[]" }))).toThrow(/wrong shape/);
    expect(() => decodeModalMetadata("x".repeat(3001))).toThrow("modal metadata too long");
    expect(() => encodeModalMetadata({ reference: REF, channel: "deploys", ts: "1.2" })).toThrow(
      "invalid channel id",
    );
  });
});

describe("view_submission of the reject modal", () => {
  /** Opens the App's reject modal in the fake Slack and returns the recorded view. */
  async function openRejectModal(privateMetadata: string, callbackId = REJECT_MODAL_CALLBACK_ID) {
    await slackCall("views.open", {
      trigger_id: slack.issueTriggerId(CLICKER.id),
      // The App's own modal, with the metadata and callback id each case needs.
      view: {
        ...rejectModal(REF, DEFAULT_CHANNEL_ID, "1700000000.000100"),
        callback_id: callbackId,
        private_metadata: privateMetadata,
      },
    });
    const view = slack.views.at(-1);
    if (!view) throw new Error("no view recorded");
    return view;
  }

  function submit(view: Awaited<ReturnType<typeof openRejectModal>>, reason: string) {
    return viewSubmissionPayload({
      view,
      values: {
        [REJECT_REASON_BLOCK_ID]: { [REJECT_REASON_ACTION_ID]: { type: "plain_text_input", value: reason } },
      },
      user: CLICKER,
    });
  }

  const metadata = () =>
    encodeModalMetadata({ reference: REF, channel: DEFAULT_CHANNEL_ID, ts: "1700000000.000100" });

  it("parses the reason and the request from the submitted modal", async () => {
    const view = await openRejectModal(metadata());
    expect(parse(submit(view, "  Tests are red on main \n"))).toEqual({
      kind: "interaction",
      interaction: {
        kind: "reject_submitted",
        user: "U0JANE",
        channelId: DEFAULT_CHANNEL_ID,
        messageTs: "1700000000.000100",
        reference: REF,
        reason: "Tests are red on main",
      },
    });
  });

  it("reports a reason of whitespace as blank, which Slack lets through", async () => {
    const view = await openRejectModal(metadata());
    expect(parse(submit(view, "   "))).toEqual({ kind: "blank_reason" });
    // Slack itself will not submit a required input left empty.
    expect(() => submit(view, "")).toThrow(/required input/);
  });

  it("treats a null value (an optional input left empty) as blank", async () => {
    const view = await openRejectModal(metadata());
    const payload = submit(view, "x") as {
      view: { state: { values: Record<string, Record<string, unknown>> } };
    };
    payload.view.state.values[REJECT_REASON_BLOCK_ID] = {
      [REJECT_REASON_ACTION_ID]: { type: "plain_text_input", value: null },
    };
    expect(parse(payload)).toEqual({ kind: "blank_reason" });
  });

  it("ignores other modals", async () => {
    const view = await openRejectModal("{}", "someone_elses_modal");
    expect(parse(submit(view, "x"))).toEqual({
      kind: "ignored",
      reason: 'view "someone_elses_modal" is not handled',
    });
  });

  it("reports unreadable private_metadata as an unreadable form, answered in the form", async () => {
    const view = await openRejectModal("not json");
    expect(parse(submit(view, "because"))).toEqual({
      kind: "unreadable_form",
      problem: "modal metadata is not valid JSON",
    });
  });

  it("refuses a submission without the reason input as malformed", async () => {
    const view = await openRejectModal(metadata());
    const payload = submit(view, "x") as { view: { state: { values: Record<string, unknown> } } };
    payload.view.state.values = {};
    expect(parseError(formEncodePayload(payload)).message).toBe(
      `view.state.values has no ${REJECT_REASON_BLOCK_ID}.${REJECT_REASON_ACTION_ID}`,
    );
  });

  it("cannot fill an input the view does not have", async () => {
    const view = await openRejectModal("{}");
    expect(() =>
      viewSubmissionPayload({
        view,
        values: { other_block: { other_input: { type: "plain_text_input", value: "x" } } },
        user: CLICKER,
      }),
    ).toThrow(/has no input other_block\.other_input/);
  });
});
