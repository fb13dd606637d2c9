// Who wins decides what Slack says: a vote's thread reply is posted only after the decision says who
// won, the losing side is told privately, and every counted vote is checked again against the policy
// in force when the decision is taken. "Another replica" is the same database deciding first.
import { expect, it } from "vitest";
import {
  DEFAULT_POLICY,
  type Harness,
  hasButtons,
  statusText,
  USERS,
} from "../testkit/helpers/app-harness.js";
import { describeOnBackends } from "../testkit/helpers/harness-suite.js";

const options = { reset: (h: Harness) => h.github.setLatency(0), restorePolicy: true };

describeOnBackends("races and changed policies on %s", options, (h) => {
  /** Another replica takes the decision while this one is still checking the click with GitHub. */
  async function decidedElsewhere(requestId: string, decision: "approved" | "rejected", by: string) {
    const taken = await h.store.decide(
      requestId,
      {
        decision,
        decidedBy: [{ slackUserId: by, name: null, githubLogin: null }],
        reason: decision === "rejected" ? "elsewhere" : null,
        at: new Date(),
      },
      [],
    );
    expect(taken).toBe(true);
  }

  it("never announces a reject that lost to an approval, and tells the rejecter privately", async () => {
    const { run, message } = await h.newRequest();
    const requestId = h.requestIdOf(message);
    await h.click(message, "reject", USERS.carol); // opens the form; the request is now stored
    await h.settle();

    // The submission's run look-up at GitHub is slow; the approval lands on another replica meanwhile.
    h.github.setLatency(300);
    const answer = await h.submitReason(USERS.carol, "not today <!channel>");
    expect(answer.status).toBe(200);
    await decidedElsewhere(requestId, "approved", USERS.alice);
    await h.settle();

    const thread = h.threadOf(message.ts).join("\n");
    expect(thread).not.toContain("rejected");
    expect(h.ephemeralsFor(USERS.carol).at(-1)).toBe(
      "Your rejection came after the decision and did not count: the request had been approved by <@U0ALICE> a moment before.",
    );
    expect(h.reviews(run).filter((r) => r.state === "rejected")).toEqual([]);
    expect((await h.store.getRequest(requestId))?.decision).toBe("approved");
  });

  it("never announces an approval that lost to a reject, and tells the approver privately", async () => {
    const { run, message } = await h.newRequest();
    const requestId = h.requestIdOf(message);
    await h.click(message, "reject", USERS.carol);
    await h.settle();

    h.github.setLatency(300);
    await h.click(h.message(message.ts), "approve", USERS.alice);
    await decidedElsewhere(requestId, "rejected", USERS.carol);
    await h.settle();

    expect(h.threadOf(message.ts).join("\n")).not.toContain("approved");
    expect(h.ephemeralsFor(USERS.alice).at(-1)).toContain(
      "Your approval came after the decision and did not count",
    );
    expect(h.reviews(run).filter((r) => r.state === "approved")).toEqual([]);
  });

  it("counts only votes of people the policy still names when the decision is taken", async () => {
    const { run, message } = await h.newRequest({ environment: "staging" });
    await h.click(message, "approve", USERS.alice);
    await h.settle();
    expect(statusText(h.message(message.ts))).toContain("1 of 2 approvals: <@U0ALICE>");

    // Alice leaves the policy; her earlier vote must no longer count.
    await h.setPolicy(
      DEFAULT_POLICY.replace(
        `users: [${USERS.alice}, ${USERS.bob}, ${USERS.carol}]`,
        `users: [${USERS.bob}, ${USERS.carol}]`,
      ),
    );
    await h.click(h.message(message.ts), "approve", USERS.carol);
    await h.settle();
    expect(h.reviews(run)).toEqual([]);
    expect(statusText(h.message(message.ts))).toContain("1 of 2 approvals: <@U0CAROL>");
    expect(hasButtons(h.message(message.ts))).toBe(true);

    await h.click(h.message(message.ts), "approve", USERS.bob);
    await h.settle();
    expect(h.reviews(run).map((r) => r.state)).toEqual(["approved"]);
    expect(h.reviews(run)[0]?.comment).toMatch(/^Approved by @carol, @bob via Slack/);
    expect(statusText(h.message(message.ts))).toContain("*Approved* by <@U0CAROL>, <@U0BOB>");
  });

  it("drops a counted vote that became a self-approval under the policy in force", async () => {
    const { run, message } = await h.newRequest({ environment: "staging", actor: "dave" });
    await h.click(message, "approve", USERS.carol);
    await h.settle();
    // Carol turns out to be the GitHub user who triggered the run.
    await h.setPolicy(DEFAULT_POLICY.replace(`${USERS.carol}: carol`, `${USERS.carol}: dave`));
    await h.click(h.message(message.ts), "approve", USERS.alice);
    await h.settle();
    expect(h.reviews(run)).toEqual([]);
    expect(statusText(h.message(message.ts))).toContain("1 of 2 approvals: <@U0ALICE>");
  });
});
