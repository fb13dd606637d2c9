// The gate-mode review as an effect: one POST per attempt, never a 4xx sent twice, rate limits
// scheduled at the time GitHub names (not slept on, not retried by Octokit behind the App's back),
// and after a lost answer and a 422, Slack says what GitHub shows, never a false "not applied".
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  type Backend,
  type Harness,
  REPO,
  startHarness,
  statusText,
  USERS,
} from "../testkit/helpers/app-harness.js";

const backends: Backend[] = ["sqlite", "postgres"];
const REVIEW = { method: "POST", path: /\/deployment_protection_rule$/ };

describe.each(backends)("the review effect on %s", (backend) => {
  let h: Harness;
  const reviewsOf = (run: number) => h.github.reviews.filter((r) => r.runId === run);
  const reviewCalls = (run: number) =>
    h.github.requests.filter(
      (r) => r.method === "POST" && r.path.endsWith(`/runs/${run}/deployment_protection_rule`),
    );

  beforeAll(async () => {
    h = await startHarness(backend);
  });
  afterAll(async () => {
    await h?.close();
  });
  afterEach(() => {
    expect(h.github.violations).toEqual([]);
  });

  /** An approval whose first review call meets `status` (with `extra`); returns the review effect. */
  async function approveMeeting(
    status: number,
    extra: { headers?: Record<string, string>; message?: string; afterApplying?: boolean } = {},
    options: { reject?: boolean } = {},
  ) {
    const { run, message } = await h.newRequest();
    h.github.failNext(REVIEW, status, 1, extra);
    if (options.reject) {
      await h.click(message, "reject", USERS.alice);
      await h.settle();
      await h.submitReason(USERS.alice, "not now");
    } else {
      await h.click(message, "approve", USERS.alice);
    }
    await h.settle();
    const requestId = h.requestIdOf(message);
    return { run, message, requestId, review: await h.effect(requestId, "github.review") };
  }

  /** Lets the clock reach the effect's next attempt, and sweeps. */
  async function whenDue(requestId: string) {
    const review = await h.effect(requestId, "github.review");
    h.advanceClock(Math.max(0, review!.nextAttemptAt!.getTime() - Date.now()) + 1000);
    await h.handle.sweep();
    await h.settle();
  }

  it("sends a refused review (422) once, and says GitHub refused it", async () => {
    const { run, message, review } = await approveMeeting(422, { message: "Validation Failed" });
    expect(reviewCalls(run)).toHaveLength(1);
    expect(review).toMatchObject({ state: "obsolete" });
    expect(review?.note).toContain("GitHub refused it (422: Validation Failed)");
    expect(statusText(h.message(message.ts))).toContain("not applied: GitHub refused it (422");
    await h.handle.sweep();
    expect(reviewCalls(run)).toHaveLength(1);
  });

  it("never retries a plain 403", async () => {
    const { run, review } = await approveMeeting(403, { message: "Resource not accessible by integration" });
    expect(reviewCalls(run)).toHaveLength(1);
    expect(review?.state).toBe("obsolete");
  });

  it("schedules a 429's Retry-After instead of retrying in line", async () => {
    const before = Date.now();
    const { run, message, requestId, review } = await approveMeeting(429, {
      headers: { "retry-after": "70" },
    });
    expect(reviewCalls(run)).toHaveLength(1);
    expect(review).toMatchObject({ state: "due", attempts: 1 });
    expect(review!.nextAttemptAt!.getTime()).toBeGreaterThanOrEqual(before + 70_000);
    expect(statusText(h.message(message.ts))).toContain("GitHub has not accepted it yet");

    await whenDue(requestId);
    expect(reviewCalls(run)).toHaveLength(2);
    expect(reviewsOf(run)).toHaveLength(1);
    expect(statusText(h.message(message.ts))).toContain("deployment resumed");
  });

  it("schedules a secondary rate limit (403 with retry-after) without Octokit retrying it", async () => {
    const before = Date.now();
    const { run, review } = await approveMeeting(403, {
      headers: { "retry-after": "70" },
      message: "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
    });
    expect(reviewCalls(run)).toHaveLength(1);
    expect(review).toMatchObject({ state: "due", attempts: 1 });
    expect(review!.nextAttemptAt!.getTime()).toBeGreaterThanOrEqual(before + 70_000);
  });

  it("schedules an exhausted primary rate limit at x-ratelimit-reset", async () => {
    const reset = Math.floor(Date.now() / 1000) + 600;
    const { run, review } = await approveMeeting(403, {
      headers: { "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(reset) },
      message: "API rate limit exceeded for installation ID 77.",
    });
    expect(reviewCalls(run)).toHaveLength(1);
    expect(review?.state).toBe("due");
    expect(review!.nextAttemptAt!.getTime()).toBeGreaterThanOrEqual(reset * 1000);
  });

  it("after a lost answer and a 422, shows the approval GitHub took", async () => {
    // GitHub applies the review, and a gateway answers 502: the App cannot know it worked.
    const { run, message, requestId } = await approveMeeting(502, { afterApplying: true });
    expect(reviewsOf(run)).toHaveLength(1);
    expect(statusText(h.message(message.ts))).toContain("GitHub has not accepted it yet");

    await whenDue(requestId);
    // The retry met a 422 (the environment no longer waits); GitHub shows the run went past it.
    expect(reviewCalls(run)).toHaveLength(2);
    const review = await h.effect(requestId, "github.review");
    expect(review?.state).toBe("done");
    const status = statusText(h.message(message.ts))!;
    expect(status).toContain("deployment resumed");
    expect(status).not.toContain("not applied");
    expect(h.threadOf(message.ts).join("\n")).toContain("GitHub accepted the decision: production approved");
  });

  it("after a lost answer and a 422, shows the rejection that stopped the run", async () => {
    const { run, message, requestId } = await approveMeeting(502, { afterApplying: true }, { reject: true });
    expect(reviewsOf(run).map((r) => r.state)).toEqual(["rejected"]);
    await whenDue(requestId);
    expect((await h.effect(requestId, "github.review"))?.state).toBe("done");
    expect(statusText(h.message(message.ts))).toContain("deployment stopped");
  });

  it("says exactly that GitHub cannot tell, when the run ended after a lost answer", async () => {
    const { run, message, requestId } = await approveMeeting(502, { afterApplying: true });
    h.github.cancelRun(REPO, run);
    await whenDue(requestId);
    const review = await h.effect(requestId, "github.review");
    expect(review?.state).toBe("failed");
    const status = statusText(h.message(message.ts))!;
    expect(status).toContain("GitHub did not confirm it");
    expect(status).toContain("cannot say whether this decision was applied");
    expect(status).not.toContain("not applied");
  });

  it("names approvers from the decision, never asking Slack while it holds the review", async () => {
    const { run, message, requestId } = await approveMeeting(502);
    const namesAsked = h.slack.callsTo("users.info").length;
    await whenDue(requestId);
    expect(h.slack.callsTo("users.info")).toHaveLength(namesAsked);
    expect(reviewsOf(run)[0]?.comment).toBe(`Approved by @alice via Slack (request ${requestId}).`);
    expect(statusText(h.message(message.ts))).toContain("deployment resumed");
  });
});
