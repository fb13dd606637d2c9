// The App end to end over HTTP: signed clicks in, GitHub reviews and Slack updates out, on both
// databases. Each test builds its own scene; the fakes reject anything the real APIs would.
import { expect, it } from "vitest";
import { hasButtons, REPO, statusText, USERS } from "../testkit/helpers/app-harness.js";
import { describeOnBackends } from "../testkit/helpers/harness-suite.js";

describeOnBackends("the App on %s", (h) => {
  it("approves a gated run when an allowed user clicks after the gate arrives", async () => {
    const { run, message } = await h.newRequest();

    const answer = await h.click(message, "approve", USERS.alice);
    expect(answer.status).toBe(200);
    await h.settle();

    expect(h.github.reviews).toContainEqual(
      expect.objectContaining({ repository: REPO, runId: run, environment: "production", state: "approved" }),
    );
    const review = h.github.reviews.find((r) => r.runId === run)!;
    // GitHub's history names the approver as GitHub does (the policy maps alice to @alice).
    expect(review.comment).toMatch(/^Approved by @alice via Slack \(request /);
    const updated = h.message(message.ts);
    expect(hasButtons(updated)).toBe(false);
    expect(statusText(updated)).toContain("*Approved* by <@U0ALICE>");
    expect(statusText(updated)).toContain("deployment resumed");
    expect(h.threadOf(message.ts).join("\n")).toContain("GitHub accepted the decision");
  });

  it("applies a decision taken before the gate the moment the gate arrives", async () => {
    const { run, message } = await h.newRequest({ gate: false });
    await h.click(message, "approve", USERS.bob);
    await h.settle();
    expect(h.reviews(run)).toEqual([]);
    expect(statusText(h.message(message.ts))).toContain("waiting for GitHub to reach");

    await h.gate(run);
    expect(h.reviews(run)).toHaveLength(1);
    expect(statusText(h.message(message.ts))).toContain("deployment resumed");
  });

  it("refuses an outsider with an ephemeral reply and changes nothing", async () => {
    const { run, message } = await h.newRequest();
    const updatesBefore = h.slack.callsTo("chat.update").length;

    await h.click(message, "approve", USERS.mallory);
    await h.settle();

    expect(h.ephemeralsFor(USERS.mallory).at(-1)).toContain("not an approver for production");
    expect(h.slack.callsTo("chat.update").length).toBe(updatesBefore);
    expect(h.reviews(run)).toEqual([]);
    expect(h.threadOf(message.ts)).toEqual([]);
    expect(hasButtons(h.message(message.ts))).toBe(true);
    const stored = await h.store.getRequest(
      JSON.parse(JSON.stringify(message.metadata)).event_payload.request_id,
    );
    expect(stored).toBeUndefined();
  });

  it("lets a member of an approver group approve", async () => {
    const { run, message } = await h.newRequest();
    await h.click(message, "approve", USERS.carol);
    await h.settle();
    expect(h.github.reviews.filter((r) => r.runId === run && r.state === "approved")).toHaveLength(1);
  });

  it("refuses self-approval by the person who triggered the run", async () => {
    const { run, message } = await h.newRequest({ actor: "dave" });
    await h.click(message, "approve", USERS.dave);
    await h.settle();
    expect(h.ephemeralsFor(USERS.dave).at(-1)).toContain("You triggered this run");
    expect(h.reviews(run)).toEqual([]);
  });

  it("rejects with the reason from the modal, and asks again for an empty reason", async () => {
    const { run, message } = await h.newRequest();

    await h.click(message, "reject", USERS.alice);
    await h.settle();
    const view = h.slack.views.at(-1)!;
    expect(view.view.callback_id).toBe("sdg_reject_reason");

    const empty = await h.submitReason(USERS.alice, "   ");
    expect(empty.status).toBe(200);
    expect(JSON.parse(empty.body)).toMatchObject({
      response_action: "errors",
      errors: { sdg_reason: expect.any(String) },
    });
    await h.settle();
    expect(h.reviews(run)).toEqual([]);

    const answer = await h.submitReason(USERS.alice, "Error budget spent <!channel>");
    expect(answer.status).toBe(200);
    expect(answer.body).toBe("");
    await h.settle();
    const review = h.github.reviews.find((r) => r.runId === run)!;
    expect(review.state).toBe("rejected");
    expect(review.comment).toContain("Error budget spent");
    const status = statusText(h.message(message.ts))!;
    expect(status).toContain("*Rejected* by <@U0ALICE>");
    expect(status).toContain("Error budget spent &lt;!channel&gt;");
    expect(hasButtons(h.message(message.ts))).toBe(false);
  });

  it("replaces the reason form with the refusal when an outsider clicks Reject", async () => {
    const { run, message } = await h.newRequest();
    await h.click(message, "reject", USERS.mallory);
    await h.settle();
    const view = h.slack.views.at(-1)!;
    expect(view.view.title).toEqual({ type: "plain_text", text: "Cannot reject" });
    expect(JSON.stringify(view.view.blocks)).toContain("not an approver for production");
    expect(h.ephemeralsFor(USERS.mallory).at(-1)).toContain("not an approver for production");
    expect(h.reviews(run)).toEqual([]);
    expect(hasButtons(h.message(message.ts))).toBe(true);
  });
});
