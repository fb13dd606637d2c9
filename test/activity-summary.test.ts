// A request's line on the activity page: which event's words are the latest, whatever order the
// recorder hands events over in.
import { describe, expect, it } from "vitest";
import { applyEvent, type RowState } from "../app/activity/summary.js";
import type { ActivityEvent } from "../app/activity/types.js";

const seen: RowState = {
  state: "pending",
  stateAt: 1_000,
  people: [],
  summary: null,
  summaryAt: 0,
  gated: false,
  mode: "gate",
  updatedAt: 1_000,
};
const mallory = { slackUserId: "U0MALLORY", name: "mallory", githubLogin: null };
const refusal: ActivityEvent = {
  kind: "click",
  action: "approve",
  user: mallory,
  outcome: "refused",
  refusal: "not_approver",
};
const ephemeral: ActivityEvent = { kind: "slack", method: "chat.postEphemeral", ok: true, ms: 40 };

describe("the latest line of a request", () => {
  it("is the click's, though the click is recorded (at the time it started) after the call it made", () => {
    const afterCall = applyEvent(seen, ephemeral, 2_050, new Set());
    const row = applyEvent(afterCall, refusal, 2_000, new Set());
    expect(row.summary).toBe("mallory: refused: not an approver");
    // The last event's time is still the call's: "Last event" on the page and retention use it.
    expect(row.updatedAt).toBe(2_050);
    expect(row.people).toEqual(["mallory"]);
  });

  it("is not replaced by a notable event that happened before it", () => {
    const refused = applyEvent(seen, refusal, 2_000, new Set());
    const late = applyEvent(
      refused,
      { kind: "webhook", event: "deployment_protection_rule", action: "requested" } as ActivityEvent,
      1_500,
      new Set(),
    );
    expect(late.summary).toBe("mallory: refused: not an approver");
    expect(late.gated).toBe(true);
  });
});
