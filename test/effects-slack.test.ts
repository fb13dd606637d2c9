// Message updates are effects: recorded, retried at Slack's Retry-After, and one method's rate limit
// never stalls another (Slack limits each method on its own).
import { expect, it } from "vitest";
import { hasButtons, statusText, USERS } from "../testkit/helpers/app-harness.js";
import { describeOnBackends } from "../testkit/helpers/harness-suite.js";

describeOnBackends("Slack effects on %s", { reset: (h) => h.slack.clearRateLimits() }, (h) => {
  it("retries a rate-limited message update at Retry-After while other methods go on at once", async () => {
    const { run, message } = await h.newRequest();
    const other = await h.newRequest();
    h.slack.rateLimit("chat.update", { seconds: 20, times: 1 });

    await h.click(message, "approve", USERS.alice);
    await h.settle();
    // GitHub took it; Slack refused the update for 20 s, so the buttons are still there for now.
    expect(h.github.reviews.filter((r) => r.runId === run)).toHaveLength(1);
    expect(hasButtons(h.message(message.ts))).toBe(true);
    const requestId = h.requestIdOf(message);
    const update = await h.effect(requestId, "slack.update");
    expect(update).toMatchObject({ state: "due", attempts: 1, lastError: "Slack: ratelimited" });
    expect(update!.nextAttemptAt!.getTime()).toBeGreaterThanOrEqual(Date.now() + 15_000);

    // Another person's reject form opens at once (its trigger id lasts 3 s), and replies still go out.
    await h.click(other.message, "reject", USERS.bob);
    await h.settle();
    expect(h.slack.views.at(-1)?.view.callback_id).toBe("sdg_reject_reason");
    expect(h.slack.views.at(-1)?.user).toBe(USERS.bob);
    expect(h.threadOf(message.ts).join("\n")).toContain("GitHub accepted the decision");

    // When Slack allows it again, the sweep brings the message up to date.
    h.advanceClock(update!.nextAttemptAt!.getTime() - Date.now() + 1000);
    await h.handle.sweep();
    const updated = h.message(message.ts);
    expect(hasButtons(updated)).toBe(false);
    expect(statusText(updated)).toContain("*Approved* by <@U0ALICE>");
    expect(statusText(updated)).toContain("deployment resumed");
    expect((await h.effect(requestId, "slack.update"))?.state).toBe("done");
  });

  it("retries a failed thread reply without posting it twice", async () => {
    const { message } = await h.newRequest({ environment: "staging" });
    h.slack.failNext("chat.postMessage", "server_error");
    await h.click(message, "approve", USERS.alice);
    await h.settle();
    expect(h.threadOf(message.ts)).toEqual([]);
    expect(statusText(h.message(message.ts))).toContain("1 of 2 approvals: <@U0ALICE>");

    h.advanceClock(60_000);
    await h.handle.sweep();
    await h.handle.sweep();
    expect(h.threadOf(message.ts)).toEqual(
      ["<@U0ALICE> approved (1 of 2)."].map((t) => `:white_check_mark: ${t}`),
    );
  });
});
