// What the App records per request, path by path, served for real against the fake Slack and fake
// GitHub: the request seen (by a click, by the gate webhook), each click with its outcome and why,
// clicks shed under load, the webhooks that touched it, every GitHub and Slack call with its status and
// latency, retries, the decision and its delivery; forged requests counted per minute; a recording
// failure that costs a click nothing; retention pruning on a moved clock.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createActivityStore } from "../app/activity/store.js";
import type { ActivityEvent, ActivityRequest, StoredEvent } from "../app/activity/types.js";
import { appRequestId } from "../app/requests/post.js";
import { ACTION_IDS } from "../common/reference.js";
import { DEFAULT_CHANNEL_ID } from "../testkit/fakes/slack.js";
import {
  type Backend,
  DEFAULT_POLICY,
  type Harness,
  REPO,
  SIGNING_SECRET,
  startHarness,
  USERS,
} from "../testkit/helpers/app-harness.js";
import { blockActionsPayload } from "../testkit/helpers/slack-clicks.js";
import { postSignedToSlackRoute } from "../testkit/helpers/slack-sign.js";

type Of<K extends ActivityEvent["kind"]> = Extract<ActivityEvent, { kind: K }>;

function ofKind<K extends ActivityEvent["kind"]>(timeline: StoredEvent[], kind: K): Of<K>[] {
  return timeline.map((e) => e.event).filter((e): e is Of<K> => e.kind === kind);
}

for (const backend of ["sqlite", "postgres"] as Backend[]) {
  describe(`activity recording on ${backend}`, () => {
    let h: Harness;
    const activity = () => createActivityStore(h.store.driver);
    const record = async (
      requestId: string,
    ): Promise<{ request: ActivityRequest; timeline: StoredEvent[] }> => {
      await h.settle();
      const request = await activity().get(requestId);
      if (!request) throw new Error(`request ${requestId} is not on the activity record`);
      return { request, timeline: await activity().timeline(requestId) };
    };

    beforeAll(async () => {
      h = await startHarness(backend);
    });
    afterAll(async () => {
      await h?.close();
    });

    it("a gated request decided by a click: the gate, the click, GitHub's answers, the decision and its delivery", async () => {
      const { message } = await h.newRequest();
      const requestId = h.requestIdOf(message);
      await h.click(message, "approve", USERS.alice);
      const { request, timeline } = await record(requestId);

      expect(request).toMatchObject({
        repository: expect.stringMatching(/^acme\/api$/i),
        environment: "production",
        state: "approved",
        seenVia: "gate",
        placeholder: false,
        mode: "gate",
        runAttempt: 1,
      });
      expect(request.people).toContain("alice");
      expect(request.summary).toBe("GitHub took the decision");
      const kinds = timeline.map((e) => e.event.kind);
      expect(kinds[0]).toBe("webhook");
      expect(kinds[1]).toBe("click");
      expect(ofKind(timeline, "webhook")[0]).toMatchObject({
        event: "deployment_protection_rule",
        action: "requested",
        environment: "production",
      });
      expect(ofKind(timeline, "click")).toEqual([
        {
          kind: "click",
          action: "approve",
          user: { slackUserId: USERS.alice, name: "alice" },
          outcome: "decided",
        },
      ]);
      // The click's calls to GitHub, with status and latency: the installation, the run, the policy.
      const github = ofKind(timeline, "github");
      expect(github.find((c) => c.route === "/repos/{owner}/{repo}/actions/runs/{run_id}")).toMatchObject({
        method: "GET",
        status: 200,
      });
      expect(github.every((c) => Number.isInteger(c.ms) && c.ms >= 0)).toBe(true);
      // The review, on behalf of its effect.
      expect(
        github.find(
          (c) => c.route === "/repos/{owner}/{repo}/actions/runs/{run_id}/deployment_protection_rule",
        ),
      ).toMatchObject({ method: "POST", status: 204, effect: `${requestId}:github.review` });
      expect(ofKind(timeline, "decision")).toEqual([
        {
          kind: "decision",
          decision: "approved",
          by: [{ slackUserId: USERS.alice, name: "alice", githubLogin: "alice" }],
          reason: null,
        },
      ]);
      const deliveries = ofKind(timeline, "delivery");
      expect(deliveries.find((d) => d.effectKind === "github.review")).toMatchObject({
        outcome: "done",
        attempt: 1,
        primary: true,
      });
      expect(deliveries.find((d) => d.effectKind === "github.check_run")).toMatchObject({
        outcome: "done",
        primary: false,
      });
      // And Slack: the message updated, the thread told.
      const slack = ofKind(timeline, "slack");
      expect(slack.some((c) => c.method === "chat.update" && c.ok)).toBe(true);
      expect(slack.some((c) => c.method === "chat.postMessage" && c.ok)).toBe(true);
      // Nothing out of order: the timeline reads in time order.
      const times = timeline.map((e) => e.at.getTime());
      expect([...times].sort((a, b) => a - b)).toEqual(times);
    });

    it("a request first seen by a click, before GitHub reports the gate, then the gate", async () => {
      const { message } = await h.newRequest({ gate: false });
      const requestId = h.requestIdOf(message);
      await h.click(message, "approve", USERS.bob);
      let { request } = await record(requestId);
      expect(request).toMatchObject({
        seenVia: "click",
        state: "approved",
        summary: "approved by bob; waiting for GitHub to report the gate",
      });
      const run = request.runId;
      await h.gate(run);
      ({ request } = await record(requestId));
      const { timeline } = await record(requestId);
      expect(ofKind(timeline, "webhook")).toHaveLength(1);
      expect(
        ofKind(timeline, "delivery").find((d) => d.effectKind === "github.review" && d.outcome === "done"),
      ).toBeDefined();
      expect(request.summary).toBe("GitHub took the decision");
    });

    it("refusals say why: not an approver, self-approval, an invalid policy, expired", async () => {
      const outsider = await h.newRequest();
      await h.click(outsider.message, "approve", USERS.mallory);
      const refused = await record(h.requestIdOf(outsider.message));
      expect(refused.request.state).toBe("pending");
      expect(refused.request.summary).toBe("mallory: refused: not an approver");
      const click = ofKind(refused.timeline, "click")[0];
      expect(click).toMatchObject({
        outcome: "refused",
        refusal: "not_approver",
        user: { slackUserId: USERS.mallory, name: "mallory" },
      });
      expect(click?.text).toBeTruthy();

      const own = await h.newRequest({ actor: "dave" });
      await h.click(own.message, "approve", USERS.dave);
      const self = await record(h.requestIdOf(own.message));
      expect(ofKind(self.timeline, "click")[0]).toMatchObject({
        outcome: "refused",
        refusal: "self_approval",
      });

      const broken = await h.newRequest();
      await h.setPolicy("environments: [not, a, map]\n");
      try {
        await h.click(broken.message, "approve", USERS.alice);
        const invalid = await record(h.requestIdOf(broken.message));
        expect(ofKind(invalid.timeline, "click")[0]).toMatchObject({
          outcome: "refused",
          refusal: "policy_invalid",
        });
      } finally {
        await h.setPolicy(DEFAULT_POLICY);
      }
    });

    it("counted, already voted, decided by the second approver", async () => {
      const { message } = await h.newRequest({ environment: "staging" });
      const requestId = h.requestIdOf(message);
      await h.click(message, "approve", USERS.alice);
      await h.settle();
      await h.click(message, "approve", USERS.alice);
      await h.settle();
      await h.click(message, "approve", USERS.bob);
      const { request, timeline } = await record(requestId);
      expect(
        ofKind(timeline, "click").map((c) => [c.user.slackUserId, c.outcome, c.counted ?? null]),
      ).toEqual([
        [USERS.alice, "counted", 1],
        [USERS.alice, "duplicate", null],
        [USERS.bob, "decided", null],
      ]);
      expect(request.state).toBe("approved");
      expect(request.people).toEqual(["alice", "bob"]);
    });

    it("a rejection with its reason, and a click after the decision", async () => {
      const { message } = await h.newRequest();
      const requestId = h.requestIdOf(message);
      const before = structuredClone(h.message(message.ts));
      await h.click(message, "reject", USERS.alice);
      await h.settle();
      await h.submitReason(USERS.alice, "Not on a Friday");
      await h.settle();
      // A click on the message as it was before the decision (a Slack client that had not refreshed yet).
      const stale = blockActionsPayload({
        message: before,
        actionId: ACTION_IDS.approve,
        user: { id: USERS.bob },
        triggerId: "1.2.4",
      });
      expect(
        (await postSignedToSlackRoute(`${h.appUrl}/slack/interactions`, stale, SIGNING_SECRET)).status,
      ).toBe(200);
      const { request, timeline } = await record(requestId);
      expect(ofKind(timeline, "click").map((c) => [c.action, c.outcome, c.refusal ?? null])).toEqual([
        ["reject", "form_opened", null],
        ["reject_submitted", "decided", null],
        // GitHub rejected the run: a late Approve is refused because the run has finished.
        ["approve", "refused", "run_finished"],
      ]);
      expect(ofKind(timeline, "slack").some((c) => c.method === "views.open" && c.ok)).toBe(true);
      expect(ofKind(timeline, "decision")[0]).toMatchObject({
        decision: "rejected",
        reason: "Not on a Friday",
      });
      expect(request.state).toBe("rejected");
    });

    it("an expired request: the click says so and the request is expired", async () => {
      const { message } = await h.newRequest();
      const requestId = h.requestIdOf(message);
      h.advanceClock(25 * 60 * 60_000);
      try {
        await h.click(message, "approve", USERS.alice);
        const { request, timeline } = await record(requestId);
        expect(ofKind(timeline, "click")[0]).toMatchObject({ outcome: "refused", refusal: "expired" });
        expect(request.state).toBe("expired");
      } finally {
        h.advanceClock(-25 * 60 * 60_000);
      }
    });

    it("GitHub failing: the 502, the retry scheduled, the attempt that worked", async () => {
      const { message } = await h.newRequest();
      const requestId = h.requestIdOf(message);
      h.github.failNext({ method: "POST", path: /deployment_protection_rule$/ }, 502);
      await h.click(message, "approve", USERS.alice);
      let { request, timeline } = await record(requestId);
      const first = ofKind(timeline, "delivery").find((d) => d.effectKind === "github.review");
      expect(first).toMatchObject({ outcome: "retry", attempt: 1, primary: true });
      expect(first?.nextAttemptAt).toMatch(/^\d{4}-/);
      expect(request.summary).toMatch(/^telling GitHub failed; retrying/);
      h.advanceClock(60_000);
      try {
        await h.handle.sweep();
        ({ request, timeline } = await record(requestId));
      } finally {
        h.advanceClock(-60_000);
      }
      const reviews = ofKind(timeline, "github").filter(
        (c) => c.route.endsWith("/deployment_protection_rule") && c.method === "POST",
      );
      expect(reviews.map((c) => c.status)).toEqual([502, 204]);
      expect(
        ofKind(timeline, "delivery")
          .filter((d) => d.effectKind === "github.review")
          .map((d) => [d.attempt, d.outcome]),
      ).toEqual([
        [1, "retry"],
        [2, "done"],
      ]);
      expect(request.state).toBe("approved");
    });

    it("a Slack call that fails is on the timeline with Slack's error", async () => {
      const { message } = await h.newRequest();
      const requestId = h.requestIdOf(message);
      h.slack.rateLimit("chat.update", { seconds: 30, times: 1 });
      await h.click(message, "approve", USERS.alice);
      const { timeline } = await record(requestId);
      h.slack.clearRateLimits();
      expect(ofKind(timeline, "slack").find((c) => c.method === "chat.update" && !c.ok)).toMatchObject({
        code: "ratelimited",
      });
    });

    it("a run that finishes before a decision closes the request as cancelled", async () => {
      const { message, run } = await h.newRequest();
      const requestId = h.requestIdOf(message);
      await h.click(message, "approve", USERS.mallory);
      await h.settle();
      h.github.cancelRun(REPO, run);
      await h.github.sendWebhook("workflow_run", h.github.workflowRunCompletedPayload(REPO, run));
      const { request, timeline } = await record(requestId);
      expect(ofKind(timeline, "webhook").map((w) => w.event)).toEqual([
        "deployment_protection_rule",
        "workflow_run",
      ]);
      expect(ofKind(timeline, "webhook")[1]).toMatchObject({
        action: "completed",
        conclusion: "cancelled",
        runAttempt: 1,
      });
      expect(request.state).toBe("cancelled");
    });

    it("forged requests are counted per minute, never stored one by one", async () => {
      const before = await activity().refusedSince(new Date(0));
      const count = (source: string, reason: string, list = before) =>
        list.filter((r) => r.source === source && r.reason === reason).reduce((sum, r) => sum + r.count, 0);
      const { message, run } = await h.newRequest();
      const payload = blockActionsPayload({
        message: h.message(message.ts),
        actionId: ACTION_IDS.approve,
        user: { id: USERS.alice },
        triggerId: "1.2.3",
      });
      for (let i = 0; i < 3; i++) {
        const answer = await postSignedToSlackRoute(
          `${h.appUrl}/slack/interactions`,
          payload,
          "not-the-secret",
        );
        expect(answer.status).toBe(401);
      }
      const webhook = await fetch(`${h.appUrl}/api/github/webhooks`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "x-github-event": "deployment_protection_rule",
          "x-github-delivery": "forged-1",
          "x-hub-signature-256": `sha256=${"0".repeat(64)}`,
        },
        body: JSON.stringify(h.github.deploymentProtectionRulePayload(REPO, run, "production")),
      });
      expect(webhook.status).toBe(401);
      await h.settle();
      const after = await activity().refusedSince(new Date(0));
      expect(
        count("slack", "signature not verified (401)", after) -
          count("slack", "signature not verified (401)"),
      ).toBe(3);
      expect(
        count("github", "signature not verified (401)", after) -
          count("github", "signature not verified (401)"),
      ).toBe(1);
      // The forged click reached no request: nothing was stored under it.
      expect(await activity().get(h.requestIdOf(message))).toBeUndefined();
    });

    it("a recording failure costs a click nothing", async () => {
      const { message, run } = await h.newRequest();
      await h.exec("DROP TABLE activity_people");
      try {
        await h.click(message, "approve", USERS.alice);
        await h.settle();
        expect(h.github.reviews.find((r) => r.runId === run)?.state).toBe("approved");
      } finally {
        await h.exec(
          "CREATE TABLE activity_people (request_id text NOT NULL REFERENCES activity_requests (request_id) ON DELETE CASCADE, person text NOT NULL, seen_at bigint NOT NULL, PRIMARY KEY (request_id, person))",
        );
        await h.exec(
          "CREATE INDEX activity_people_by_person ON activity_people (person, seen_at, request_id)",
        );
      }
    });

    it("prunes requests past the retention period on the App's clock", async () => {
      const { message } = await h.newRequest();
      const requestId = h.requestIdOf(message);
      await h.click(message, "approve", USERS.mallory);
      await record(requestId);
      h.advanceClock(89 * 24 * 60 * 60_000);
      try {
        await h.handle.pruneActivity();
        expect(await activity().get(requestId)).toBeDefined();
        h.advanceClock(2 * 24 * 60 * 60_000);
        expect(await h.handle.pruneActivity()).toBeGreaterThan(0);
        expect(await activity().get(requestId)).toBeUndefined();
        expect(await activity().timeline(requestId)).toEqual([]);
      } finally {
        h.advanceClock(-91 * 24 * 60 * 60_000);
      }
    });
  });
}

describe("activity recording over a request's life beyond the click", () => {
  let h: Harness;
  /** Production's requests posted by the App itself in the deploys channel. */
  const appPosts = DEFAULT_POLICY.replace(
    "    required-approvals: 1\n",
    `    required-approvals: 1\n    channel: ${DEFAULT_CHANNEL_ID}\n`,
  );
  const store = () => createActivityStore(h.store.driver);
  beforeAll(async () => {
    h = await startHarness("sqlite", { policy: appPosts });
  });
  afterAll(async () => {
    await h?.close();
  });

  it("a request the App posts itself: the gate, then the post", async () => {
    const run = 700_001;
    h.addRun(run);
    await h.gate(run);
    await h.settle();
    const requestId = appRequestId({
      repository: REPO,
      runId: run,
      runAttempt: 1,
      environment: "production",
    });
    const request = await store().get(requestId);
    expect(request).toMatchObject({ seenVia: "gate", state: "pending", placeholder: false });
    const timeline = await store().timeline(requestId);
    const posted = ofKind(timeline, "posted");
    expect(posted).toHaveLength(1);
    expect(posted[0]?.channel).toBe(DEFAULT_CHANNEL_ID);
    expect(h.message(posted[0]?.ts as string)).toBeDefined();
    expect(ofKind(timeline, "slack").some((c) => c.method === "chat.postMessage" && c.ok)).toBe(true);
    expect(timeline.findIndex((e) => e.event.kind === "webhook")).toBeLessThan(
      timeline.findIndex((e) => e.event.kind === "posted"),
    );
  });

  it("a rejection in GitHub's own page closes the request as rejected", async () => {
    const { message, run } = await h.newRequest({ environment: "staging" });
    const requestId = h.requestIdOf(message);
    await h.click(message, "approve", USERS.carol);
    await h.settle();
    const answer = await h.github.sendWebhook(
      "deployment_review",
      h.github.deployments.deploymentReviewPayload(REPO, run, {
        state: "rejected",
        environment: "staging",
        reviewer: "octocat",
        comment: "Freeze",
      }),
    );
    expect(answer.status).toBe(200);
    await h.settle();
    const request = await store().get(requestId);
    expect(request?.state).toBe("rejected");
    expect(request?.summary).toBe("closed: rejected in GitHub by @octocat: Freeze");
    const timeline = await store().timeline(requestId);
    expect(ofKind(timeline, "webhook").map((w) => [w.event, w.action])).toContainEqual([
      "deployment_review",
      "rejected",
    ]);
    expect(ofKind(timeline, "closed")).toEqual([
      { kind: "closed", closure: "rejected_in_github", note: "rejected in GitHub by @octocat: Freeze" },
    ]);
  });

  it("expiry on the App's clock: the sweep decides it expired", async () => {
    const { message } = await h.newRequest({ environment: "staging" });
    const requestId = h.requestIdOf(message);
    await h.click(message, "approve", USERS.carol);
    await h.settle();
    h.advanceClock(25 * 60 * 60_000);
    try {
      await h.handle.sweep();
      await h.settle();
    } finally {
      h.advanceClock(-25 * 60 * 60_000);
    }
    const request = await store().get(requestId);
    expect(request?.state).toBe("expired");
    const timeline = await store().timeline(requestId);
    expect(ofKind(timeline, "decision")).toEqual([
      { kind: "decision", decision: "expired", by: [], reason: null },
    ]);
    expect(ofKind(timeline, "delivery").find((d) => d.effectKind === "github.review")).toMatchObject({
      outcome: "done",
      primary: true,
    });
  });
});

describe("activity recording under load", () => {
  let h: Harness;
  beforeAll(async () => {
    // One click at a time, one waiting: the rest are shed.
    h = await startHarness("sqlite", { ingress: { queue: { concurrency: 1, maxWaiting: 1 } } });
  });
  afterAll(async () => {
    await h?.close();
  });

  it("a click shed under load is on its request's timeline", async () => {
    const { message } = await h.newRequest({ environment: "staging" });
    const requestId = h.requestIdOf(message);
    h.github.setLatency(150);
    const users = [USERS.alice, USERS.bob, USERS.carol, USERS.mallory];
    const answers = await Promise.all(users.map((user) => h.click(message, "approve", user)));
    h.github.setLatency(0);
    const shed = users.filter((_, i) => answers[i]?.status === 503);
    expect(shed.length).toBeGreaterThan(0);
    await h.settle();
    const timeline = await createActivityStore(h.store.driver).timeline(requestId);
    const clicks = ofKind(timeline, "click");
    expect(
      clicks
        .filter((c) => c.outcome === "shed")
        .map((c) => c.user.slackUserId)
        .sort(),
    ).toEqual([...shed].sort());
    expect(clicks.filter((c) => c.outcome !== "shed")).toHaveLength(users.length - shed.length);
  });
});
