// Exactly once, whatever happens: concurrent clicks, 2-of-N, re-runs, restarts, GitHub failing.
import { expect, it } from "vitest";
import { CROWD, hasButtons, REPO, statusText, USERS } from "../testkit/helpers/app-harness.js";
import { describeOnBackends } from "../testkit/helpers/harness-suite.js";

describeOnBackends("reliability on %s", (h) => {
  let nextRun = 2000;
  const runId = () => ++nextRun;

  it("needs two distinct approvers for 2-of-N and shows progress in between", async () => {
    const { run, message } = await h.newRequest({ environment: "staging" });

    await h.click(message, "approve", USERS.alice);
    await h.settle();
    expect(h.reviews(run)).toEqual([]);
    expect(statusText(h.message(message.ts))).toContain("1 of 2 approvals: <@U0ALICE>");
    expect(hasButtons(h.message(message.ts))).toBe(true);

    await h.click(h.message(message.ts), "approve", USERS.alice);
    await h.settle();
    expect(h.ephemeralsFor(USERS.alice).at(-1)).toContain("already voted");
    expect(h.reviews(run)).toEqual([]);

    await h.click(h.message(message.ts), "approve", USERS.bob);
    await h.settle();
    expect(h.reviews(run)).toHaveLength(1);
    expect(h.reviews(run)[0]?.state).toBe("approved");
    expect(h.reviews(run)[0]?.comment).toMatch(/^Approved by @alice, @bob via Slack/);
    expect(statusText(h.message(message.ts))).toContain("*Approved* by <@U0ALICE>, <@U0BOB>");
    const thread = h.threadOf(message.ts).join("\n");
    expect(thread).toContain("<@U0ALICE> approved (1 of 2)");
    expect(thread).toContain("<@U0BOB> approved (2 of 2)");
  });

  it("lets one allowed Reject decide at once, even after a first approval", async () => {
    const { run, message } = await h.newRequest({ environment: "staging" });
    await h.click(message, "approve", USERS.alice);
    await h.settle();
    await h.click(h.message(message.ts), "reject", USERS.bob);
    await h.settle();
    await h.submitReason(USERS.bob, "Wrong commit");
    await h.settle();
    expect(h.reviews(run).map((r) => r.state)).toEqual(["rejected"]);
  });

  it("takes one decision and makes one GitHub call for 50 concurrent clicks", async () => {
    const { run, message } = await h.newRequest({ environment: "staging" });

    const answers = await Promise.all(CROWD.map((user) => h.click(message, "approve", user)));
    expect(answers.map((a) => a.status)).toEqual(CROWD.map(() => 200));
    await h.settle();
    await h.handle.sweep();

    expect(h.reviewCalls(run)).toHaveLength(1);
    expect(h.reviews(run)).toHaveLength(1);
    const requestId = String(message.metadata?.event_payload.request_id);
    const row = await h.store.getRequest(requestId);
    expect(row?.decision).toBe("approved");
    expect(row?.decidedBy).toHaveLength(2);
    expect((await h.effect(requestId, "github.review"))?.state).toBe("done");
    // Clicks handled after the decision are told so instead of voting.
    const votes = await h.store.listVotes(requestId);
    expect(votes.length).toBeGreaterThanOrEqual(2);
    const toldDecided = CROWD.filter((u) => h.ephemeralsFor(u).some((t) => t.includes("already approved")));
    expect(votes.length + toldDecided.length).toBe(50);
  });

  it("does not carry an approval over to a re-run attempt", async () => {
    const run = runId();
    h.addRun(run);
    const first = await h.postRequest(run, { attempt: 1 });
    h.github.rerun(REPO, run);

    await h.click(first, "approve", USERS.alice);
    await h.settle();
    expect(h.ephemeralsFor(USERS.alice).at(-1)).toContain("attempt 1 of the run, which is now on attempt 2");
    expect(h.reviews(run)).toEqual([]);

    const second = await h.postRequest(run, { attempt: 2 });
    await h.gate(run);
    await h.click(second, "approve", USERS.alice);
    await h.settle();
    expect(h.reviews(run)).toHaveLength(1);
  });

  it("marks an approval obsolete when the run is re-run before its gate arrives", async () => {
    const { run, message } = await h.newRequest({ gate: false });
    await h.click(message, "approve", USERS.alice);
    await h.settle();
    h.github.rerun(REPO, run);
    await h.gate(run);
    expect(h.reviews(run)).toEqual([]);
    expect(statusText(h.message(message.ts))).toContain("not applied: the run was re-run (now attempt 2)");
  });

  it("loses nothing when the App restarts between the click and the gate", async () => {
    const { run, message } = await h.newRequest({ gate: false });
    await h.click(message, "approve", USERS.bob);
    await h.settle();
    await h.restart();
    await h.gate(run);
    expect(h.reviews(run)).toHaveLength(1);
    expect(statusText(h.message(message.ts))).toContain("deployment resumed");
  });

  it("retries after GitHub answers 502, and says so in Slack until it succeeds", async () => {
    const { run, message } = await h.newRequest();
    // No in-line retry: the one failure is recorded and the sweep tries again when it is due.
    h.github.failNext({ method: "POST", path: /deployment_protection_rule$/ }, 502, 1);
    await h.click(message, "approve", USERS.alice);
    await h.settle();

    expect(h.reviews(run)).toEqual([]);
    expect(h.reviewCalls(run)).toHaveLength(1);
    const waiting = statusText(h.message(message.ts))!;
    expect(waiting).toContain("GitHub has not accepted it yet (GitHub answered 502)");
    expect(waiting).not.toContain("deployment resumed");
    const requestId = h.requestIdOf(message);
    const review = await h.effect(requestId, "github.review");
    expect(review).toMatchObject({ state: "due", attempts: 1, lastError: "GitHub answered 502" });

    // Not due yet: the sweep leaves it alone.
    await h.handle.sweep();
    expect(h.reviewCalls(run)).toHaveLength(1);

    // Once it is due, the sweep delivers it and the message catches up.
    h.advanceClock(review!.nextAttemptAt!.getTime() - Date.now() + 1000);
    await h.handle.sweep();
    expect(h.reviews(run)).toHaveLength(1);
    expect(statusText(h.message(message.ts))).toContain("deployment resumed");
    expect(h.threadOf(message.ts).join("\n")).toContain("GitHub accepted the decision");
  });

  it("refuses clicks on a run that was cancelled before anyone decided", async () => {
    const { run, message } = await h.newRequest();
    h.github.cancelRun(REPO, run);
    await h.click(message, "approve", USERS.bob);
    await h.settle();
    expect(h.ephemeralsFor(USERS.bob).at(-1)).toContain("already finished (cancelled)");
    expect(h.reviews(run)).toEqual([]);
  });

  it("shows a run that ended before anyone decided, and never delivers to it", async () => {
    const { run, message } = await h.newRequest();
    await h.click(message, "reject", USERS.alice); // opens the modal; the request is now known
    await h.settle();
    h.github.cancelRun(REPO, run);
    const answer = await h.github.sendWebhook(
      "workflow_run",
      h.github.workflowRunCompletedPayload(REPO, run),
    );
    expect(answer.status).toBe(200);
    const closed = h.message(message.ts);
    expect(statusText(closed)).toContain("the run finished (cancelled) before anyone decided");
    expect(hasButtons(closed)).toBe(false);

    await h.submitReason(USERS.alice, "too late anyway");
    await h.settle();
    expect(h.ephemeralsFor(USERS.alice).at(-1)).toContain("already finished (cancelled)");
    expect(h.reviews(run)).toEqual([]);
  });

  it("marks a decision obsolete when the run ends before reaching its gate", async () => {
    const { run, message } = await h.newRequest({ gate: false });
    await h.click(message, "approve", USERS.alice);
    await h.settle();
    expect(statusText(h.message(message.ts))).toContain("waiting for GitHub to reach");
    h.github.cancelRun(REPO, run);
    await h.github.sendWebhook("workflow_run", h.github.workflowRunCompletedPayload(REPO, run));
    const status = statusText(h.message(message.ts))!;
    expect(status).toContain("not applied: the run finished (cancelled) before GitHub took the decision");
    expect(h.threadOf(message.ts).join("\n")).toContain(
      "The decision was not applied: the run finished (cancelled) before GitHub took the decision.",
    );
    const review = await h.effect(h.requestIdOf(message), "github.review");
    expect(review?.state).toBe("obsolete");
    await h.handle.sweep();
    expect(h.reviews(run)).toEqual([]);
  });

  it("decides with one read of the request and of the gate, and reviews with the client that checked", async () => {
    const warmup = await h.newRequest();
    await h.click(warmup.message, "approve", USERS.alice);
    await h.settle();

    const { run, message } = await h.newRequest();
    h.storeCalls.clear();
    const before = h.github.requests.length;
    await h.click(message, "approve", USERS.alice);
    await h.settle();
    expect(h.reviews(run)).toHaveLength(1);
    expect(h.storeCalls.get("getRequest")).toBe(1);
    expect(h.storeCalls.get("getGate")).toBe(1);
    const github = h.github.requests.slice(before);
    // The run is read once (authorization), and no new installation token is made for the review.
    expect(github.filter((r) => r.operationId === "actions/get-workflow-run")).toHaveLength(1);
    expect(github.filter((r) => r.operationId === "apps/create-installation-access-token")).toEqual([]);
  });
});
