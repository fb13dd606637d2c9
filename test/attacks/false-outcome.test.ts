// Slack must never show an outcome GitHub has not taken, and never leave a decided request looking
// undecided: not when GitHub's answer is lost, not when Slack rate-limits one method, not when two
// people decide at once on two replicas. Each case waits for what the App shows, then checks that it
// is what GitHub recorded.
import { beforeAll, describe, expect, it } from "vitest";
import {
  type AppProcess,
  CROWD,
  hasButtons,
  names,
  reviewPath,
  runPath,
  statusText,
  USERS,
} from "../../testkit/helpers/attack-scene.js";
import { useScene } from "./scene.js";

const scene = useScene();
/** A second replica on the same database. */
let replica: AppProcess;

beforeAll(async () => {
  replica = await scene.startApp({ name: "replica-b" });
}, 120_000);

describe("Slack never shows a false outcome", { timeout: 90_000 }, () => {
  it("shows a review GitHub applied as applied, though GitHub's answer was lost (502 from a gateway)", async () => {
    const { run, message } = await scene.newRequest();
    scene.githubProxy.inject({
      method: "POST",
      path: reviewPath(run),
      fault: { kind: "lose-answer", status: 502 },
    });

    await scene.click(message, "approve", USERS.alice);
    const status = await scene.settledStatus(message.ts);

    expect(scene.reviews(run).map((r) => r.state)).toEqual(["approved"]);
    expect(scene.github.getRun("acme/shop", run).waitingEnvironments).toEqual([]);
    expect(status).not.toMatch(/not applied/);
    expect(status).toMatch(/Approved/);
    expect(status).toMatch(/resumed/);
    expect(scene.thread(message.ts).join("\n")).not.toMatch(/not applied/);
  }, 60_000);

  it("shows a review GitHub applied as applied, though the connection dropped before the answer", async () => {
    const { run, message } = await scene.newRequest();
    scene.githubProxy.inject({
      method: "POST",
      path: reviewPath(run),
      fault: { kind: "drop", when: "mid-response" },
    });

    await scene.click(message, "approve", USERS.alice);
    const status = await scene.settledStatus(message.ts);

    expect(scene.reviews(run).map((r) => r.state)).toEqual(["approved"]);
    expect(status).not.toMatch(/not applied/);
    expect(status).toMatch(/resumed/);
  }, 60_000);

  it("updates a decided message once Slack's rate limit on chat.update lifts: no buttons left on it", async () => {
    const { run, message } = await scene.newRequest();
    // Slack keeps answering 429 to the first three updates: more than an in-line retry outlasts.
    scene.slackProxy.inject({
      method: "POST",
      path: "/api/chat.update",
      times: 3,
      fault: { kind: "rate-limit", retryAfterSeconds: 1 },
    });

    await scene.click(message, "approve", USERS.alice);
    await scene.until("GitHub to receive the approval", () => scene.reviews(run).length > 0);
    const shown = await scene.until(
      "the message to show the decision in place of the buttons",
      () => {
        const current = scene.message(message.ts);
        return /Approved/.test(statusText(current)) && !hasButtons(current) ? current : undefined;
      },
      30_000,
    );
    expect(statusText(shown)).toMatch(/resumed/);
  }, 60_000);

  it("opens another person's reason form while chat.update is rate-limited: one method's limit stalls no other", async () => {
    const approved = await scene.newRequest();
    const rejected = await scene.newRequest();
    scene.slack.rateLimit("chat.update", { seconds: 20 });

    const updates = scene.slack.callsTo("chat.update").length;
    await scene.click(approved.message, "approve", USERS.alice);
    await scene.until(
      "the App to meet Slack's rate limit on chat.update",
      () => scene.slack.callsTo("chat.update").length > updates,
    );

    // Bob's trigger_id lasts 3 seconds (the fake Slack enforces it, as Slack does).
    const views = scene.slack.views.length;
    const told = scene.ephemerals(USERS.bob).length;
    await scene.click(rejected.message, "reject", USERS.bob);
    await scene.until(
      "Bob's reason form to open, or Bob to be told it did not",
      () => scene.slack.views.length > views || scene.ephemerals(USERS.bob).length > told,
      30_000,
    );
    expect(scene.slack.views.slice(views).map((v) => v.user)).toEqual([USERS.bob]);
  }, 60_000);

  it("never announces the losing side of a race between replicas as if it won, and tells the loser", async () => {
    // Staging needs two approvals: Bob's is in, so Alice's approval and Carol's rejection each decide.
    const { run, message } = await scene.newRequest({ environment: "staging" });
    await scene.click(message, "approve", USERS.bob);
    await scene.until("Bob's vote to show", () => /1 of 2/.test(statusText(scene.message(message.ts))));
    await scene.click(scene.message(message.ts), "reject", USERS.carol, { app: replica });
    await scene.until("Carol's reason form", () => scene.slack.views.some((v) => v.user === USERS.carol));

    // The first thread reply is held back (a slow Slack), so that the two decisions overlap: it is
    // released once GitHub has the decision (or after 5 s, should the App wait on it to decide).
    const slowThread = scene.slackProxy.inject({
      method: "POST",
      path: "/api/chat.postMessage",
      fault: { kind: "hold" },
    });
    const told = {
      [USERS.alice]: scene.ephemerals(USERS.alice).length,
      [USERS.carol]: scene.ephemerals(USERS.carol).length,
    };
    // Carol's rejection goes first; Alice's approval follows once Carol's is under way (its run
    // look-up has reached GitHub), so that the two overlap rather than follow one another.
    const lookups = scene.githubProxy.matching("GET", runPath(run)).length;
    const rejection = scene.submitReason(USERS.carol, "Not today", { app: replica });
    await scene
      .until(
        "Carol's rejection to reach GitHub",
        () => scene.githubProxy.matching("GET", runPath(run)).length > lookups,
        3000,
      )
      .catch(() => undefined);
    await Promise.all([
      rejection,
      scene.click(scene.message(message.ts), "approve", USERS.alice, { app: scene.app }),
    ]);
    await scene
      .until("GitHub to receive the decision", () => scene.reviews(run).length > 0, 5000)
      .catch(() => undefined);
    slowThread.release();

    const [review] = await scene.until("GitHub to receive the decision", () =>
      scene.reviews(run).length ? scene.reviews(run) : undefined,
    );
    const winner = review?.state === "approved" ? USERS.alice : USERS.carol;
    const loser = winner === USERS.alice ? USERS.carol : USERS.alice;
    // The loser's click is done once the loser is answered (or, as before the fix, announced).
    await scene.until(
      "the losing vote to be answered",
      () =>
        scene.ephemerals(loser).length > (told[loser] ?? 0) ||
        scene.thread(message.ts).some((t) => t.includes(`<@${loser}>`)),
    );
    const status = await scene.settledStatus(message.ts);

    expect(scene.reviews(run)).toHaveLength(1);
    expect(status).toMatch(review?.state === "approved" ? /Approved/ : /Rejected/);
    expect(status).not.toContain(`<@${loser}>`);
    expect(
      scene.thread(message.ts).filter((t) => t.includes(`<@${loser}>`)),
      `thread replies announcing the losing vote (${review?.state} won)`,
    ).toEqual([]);
    expect(scene.ephemerals(loser).length, "private replies telling the loser").toBeGreaterThan(
      told[loser] ?? 0,
    );
  }, 60_000);

  it("takes one decision and tells GitHub once when twenty approvers click at once on two replicas (held)", async () => {
    const { run, message } = await scene.newRequest();
    const answers = await Promise.all(
      CROWD.map((user, i) => scene.click(message, "approve", user, { app: i % 2 ? replica : scene.app })),
    );
    expect(answers.map((a) => a.status)).toEqual(CROWD.map(() => 200));

    const status = await scene.settledStatus(message.ts);
    await scene.until("GitHub's acceptance in the thread", () =>
      scene.thread(message.ts).some((t) => /GitHub accepted/.test(t)),
    );
    const reviews = scene.reviews(run);
    expect(reviews).toHaveLength(1);
    expect(scene.githubProxy.matching("POST", reviewPath(run))).toHaveLength(1);
    const named = CROWD.filter((user) => status.includes(`<@${user}>`));
    expect(named).toHaveLength(1);
    expect(names(reviews[0]?.comment, named[0] as string), "the review names the decider").toBe(true);
  });

  it("announces in the thread only the vote that decided, and answers every other clicker privately", async () => {
    const { message } = await scene.newRequest();
    const told = Object.fromEntries(CROWD.map((user) => [user, scene.ephemerals(user).length]));
    await Promise.all(
      CROWD.map((user, i) => scene.click(message, "approve", user, { app: i % 2 ? replica : scene.app })),
    );

    const status = await scene.settledStatus(message.ts);
    const [winner] = CROWD.filter((user) => status.includes(`<@${user}>`));
    const others = CROWD.filter((user) => user !== winner);
    await scene
      .until("every clicker whose vote did not decide to be answered privately", () =>
        others.every((user) => scene.ephemerals(user).length > (told[user] ?? 0)),
      )
      .catch(() => {
        const unanswered = others.filter((user) => scene.ephemerals(user).length <= (told[user] ?? 0));
        throw new Error(
          `${unanswered.length} of ${others.length} clickers were never told their vote did not count`,
        );
      });
    const thread = scene.thread(message.ts);
    expect(others.filter((user) => thread.some((t) => t.includes(`<@${user}>`)))).toEqual([]);
  });
});
