// The trust model at the App's front door: a request that is not Slack's, signed now, changes nothing
// and costs no database or API work; the policy decides who may act, and any doubt refuses.
import { describe, expect, it } from "vitest";
import { ACTION_IDS } from "../common/reference.js";
import { REPO, SIGNING_SECRET, statusText, USERS } from "../testkit/helpers/app-harness.js";
import { describeOnBackends } from "../testkit/helpers/harness-suite.js";
import { blockActionsPayload } from "../testkit/helpers/slack-clicks.js";
import { formEncodePayload, postSignedBody, postSignedToSlackRoute } from "../testkit/helpers/slack-sign.js";

describeOnBackends("security on %s", { restorePolicy: true }, (h) => {
  let nextRun = 3000;
  const runId = () => ++nextRun;
  const route = () => `${h.appUrl}/slack/interactions`;

  async function clickPayload(user: string) {
    const { run, message } = await h.newRequest();
    return {
      run,
      payload: blockActionsPayload({
        message,
        actionId: ACTION_IDS.approve,
        user: { id: user },
        triggerId: "1.2.abc",
      }),
    };
  }

  describe("signatures", () => {
    const now = () => Math.floor(Date.now() / 1000);

    async function expectNoEffect(run: number, answer: { status: number }, status = 401) {
      await h.settle();
      expect(answer.status).toBe(status);
      expect(h.reviews(run)).toEqual([]);
      expect(h.slack.calls.filter((c) => c.method !== "chat.postMessage")).toEqual([]);
      expect(
        h.github.requests.filter(
          (r) => !r.path.includes("/installation") && !r.path.endsWith("/access_tokens"),
        ),
      ).toEqual([]);
    }

    async function fresh() {
      const click = await clickPayload(USERS.alice);
      h.slack.calls.length = 0;
      h.github.requests.length = 0;
      return click;
    }

    it("accepts a valid signature (control)", async () => {
      const { run, payload } = await fresh();
      const answer = await postSignedToSlackRoute(route(), payload, SIGNING_SECRET);
      expect(answer.status).toBe(200);
      await h.settle();
      expect(h.reviews(run)).toHaveLength(1);
    });

    it("refuses a stale timestamp (over 5 minutes old)", async () => {
      const { run, payload } = await fresh();
      await expectNoEffect(
        run,
        await postSignedToSlackRoute(route(), payload, SIGNING_SECRET, { timestampSeconds: now() - 301 }),
      );
    });

    it("refuses a timestamp from the future", async () => {
      const { run, payload } = await fresh();
      await expectNoEffect(
        run,
        await postSignedToSlackRoute(route(), payload, SIGNING_SECRET, { timestampSeconds: now() + 301 }),
      );
    });

    it("refuses a body tampered with after signing", async () => {
      const { run, payload } = await fresh();
      const signed = formEncodePayload(payload);
      const tampered = signed.replace(USERS.alice, USERS.bob);
      expect(tampered).not.toBe(signed);
      await expectNoEffect(
        run,
        await postSignedBody(route(), signed, SIGNING_SECRET, { sendBody: tampered }),
      );
    });

    it("refuses a signature made with another secret", async () => {
      const { run, payload } = await fresh();
      await expectNoEffect(run, await postSignedToSlackRoute(route(), payload, "not-the-secret"));
    });

    it("refuses missing signature headers", async () => {
      const { run, payload } = await fresh();
      await expectNoEffect(
        run,
        await postSignedToSlackRoute(route(), payload, SIGNING_SECRET, { omit: ["x-slack-signature"] }),
      );
      await expectNoEffect(
        run,
        await postSignedToSlackRoute(route(), payload, SIGNING_SECRET, {
          omit: ["x-slack-request-timestamp"],
        }),
      );
    });

    it("answers 413 to a body over 1 MiB without reading it all", async () => {
      const { run } = await fresh();
      const body = `payload=${"x".repeat(1024 * 1024 + 10)}`;
      await expectNoEffect(run, await postSignedBody(route(), body, SIGNING_SECRET), 413);
    });

    it("answers 400 to a signed but malformed payload", async () => {
      const { run } = await fresh();
      await expectNoEffect(run, await postSignedBody(route(), "payload=%7Bnot-json", SIGNING_SECRET), 400);
    });

    it("tells the clicker when a signed click carries a forged reference", async () => {
      const { run, payload } = await fresh();
      const forged = JSON.parse(JSON.stringify(payload));
      forged.actions[0].value = 'sdg1:["acme/api",1,1,"production","gate"]';
      const answer = await postSignedToSlackRoute(route(), forged, SIGNING_SECRET);
      expect(answer.status).toBe(200);
      await h.settle();
      expect(h.ephemeralsFor(USERS.alice).at(-1)).toContain("not valid");
      expect(h.reviews(run)).toEqual([]);
    });
  });

  describe("policy", () => {
    it("fails closed when the repository has no policy, and says how to add one", async () => {
      await h.setPolicy(null);
      const { run, message } = await h.newRequest();
      await h.click(message, "approve", USERS.alice);
      await h.settle();
      expect(h.ephemeralsFor(USERS.alice).at(-1)).toContain("has no approval policy, so nobody can approve");
      expect(h.reviews(run)).toEqual([]);
    });

    it("falls back to the organisation's .github repository", async () => {
      await h.setPolicy(null);
      h.github.setFile(
        "acme/.github",
        ".github/slack-deploy-gate.yml",
        `environments:\n  default:\n    approvers:\n      users: [${USERS.mallory}]\ngithub-users:\n  ${USERS.mallory}: mallory\n`,
      );
      try {
        const { run, message } = await h.newRequest();
        await h.click(message, "approve", USERS.alice);
        await h.settle();
        expect(h.ephemeralsFor(USERS.alice).at(-1)).toContain("not an approver");
        await h.click(message, "approve", USERS.mallory);
        await h.settle();
        expect(h.reviews(run).map((r) => r.state)).toEqual(["approved"]);
      } finally {
        await h.setPolicy(null, "acme/.github");
      }
    });

    it("tells the clicker exactly what is wrong with an invalid policy, and refuses", async () => {
      await h.setPolicy(`environments:\n  production:\n    aprovers:\n      users: [${USERS.alice}]\n`);
      const { run, message } = await h.newRequest();
      await h.click(message, "approve", USERS.alice);
      await h.settle();
      const told = h.ephemeralsFor(USERS.alice).at(-1)!;
      expect(told).toContain("policy is invalid");
      expect(told).toContain("environments.production");
      expect(told).toContain('did you mean "approvers"');
      expect(h.reviews(run)).toEqual([]);
    });

    it("refuses an environment the policy does not name when there is no default", async () => {
      const { run, message } = await h.newRequest({ environment: "qa" });
      await h.click(message, "approve", USERS.alice);
      await h.settle();
      expect(h.ephemeralsFor(USERS.alice).at(-1)).toContain('names no approvers for "qa"');
      expect(h.reviews(run)).toEqual([]);
    });

    it("takes a policy change on the default branch into account at once", async () => {
      const { run, message } = await h.newRequest();
      await h.click(message, "approve", USERS.mallory);
      await h.settle();
      expect(h.ephemeralsFor(USERS.mallory).at(-1)).toContain("not an approver");

      await h.setPolicy(
        `environments:\n  production:\n    approvers:\n      users: [${USERS.mallory}]\ngithub-users:\n  ${USERS.mallory}: mallory\n`,
      );
      await h.click(message, "approve", USERS.mallory);
      await h.settle();
      expect(h.reviews(run).map((r) => r.state)).toEqual(["approved"]);
    });

    it("expires a request after expire-after and removes its buttons", async () => {
      await h.setPolicy(
        `environments:\n  production:\n    approvers:\n      users: [${USERS.alice}]\n    expire-after: 1m\ngithub-users:\n  ${USERS.alice}: alice\n`,
      );
      const { run, message } = await h.newRequest();
      // A message posted two minutes ago, as Slack would stamp it.
      const old = { ...message, ts: `${Math.floor(Date.now() / 1000) - 120}.000100` };
      h.slack.messages.push({ ...old });
      await h.click(old, "approve", USERS.alice);
      await h.settle();
      expect(h.ephemeralsFor(USERS.alice).at(-1)).toContain("expired");
      expect(statusText(h.message(old.ts))).toContain("*Expired*");
      expect(h.reviews(run)).toEqual([]);
    });

    it("refuses a click when the App is not installed on the repository", async () => {
      h.github.addRepository({ fullName: "other/repo", defaultBranch: "main" });
      const run = runId();
      h.github.addRun({
        repository: "other/repo",
        runId: run,
        headSha: "b".repeat(40),
        actor: "dave",
        waitingEnvironments: ["production"],
      });
      const message = await h.postRequest(run, { repository: "other/repo" });
      const payload = blockActionsPayload({
        message,
        actionId: ACTION_IDS.approve,
        user: { id: USERS.alice },
        triggerId: "1.2.abc",
      });
      await postSignedToSlackRoute(route(), payload, SIGNING_SECRET);
      await h.settle();
      expect(h.ephemeralsFor(USERS.alice).at(-1)).toContain("not installed on other/repo");
      expect(h.github.reviews.filter((r) => r.repository === "other/repo")).toEqual([]);
    });
  });

  it("answers /healthz while alive, and /readyz only while the database and the key work", async () => {
    const live = await fetch(`${h.appUrl}/healthz`);
    expect(live.status).toBe(200);
    expect(await live.json()).toEqual({ ok: true });
    const ready = await fetch(`${h.appUrl}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ ready: true, database: "ok", githubKey: "ok" });
    expect(h.github.reviews.every((r) => r.repository === REPO)).toBe(true);
  });
});
