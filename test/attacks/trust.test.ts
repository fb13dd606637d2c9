// Who and what the App trusts. What must hold: only Slack's signed clicks, from the workspace the
// bot token belongs to, by people the policy lists when the decision is taken, count; text from a
// button never reaches Slack as markup; environment names follow GitHub's rule (case does not
// matter); a malformed webhook gets a plain refusal, not internals.
import { describe, expect, it } from "vitest";
import {
  DEFAULT_POLICY,
  names,
  REPO,
  SECRETS,
  type SlackWrite,
  statusText,
  USERS,
} from "../../testkit/helpers/attack-scene.js";
import { formEncodePayload, signSlackRequest } from "../../testkit/helpers/slack-sign.js";
import { useScene } from "./scene.js";

const scene = useScene({ restorePolicy: true });

/** Everything the App showed in Slack that carries markup from untrusted text. */
function markupFromButtons(writes: SlackWrite[]): string[] {
  return writes
    .flatMap((w) => w.markupText)
    .filter((text) => /<!channel>|<https:\/\/evil\.example/.test(text));
}

async function reviewOf(run: number) {
  const [review] = await scene.until("GitHub to receive a decision", () =>
    scene.reviews(run).length ? scene.reviews(run) : undefined,
  );
  return review;
}

describe("signatures and replays (held)", { timeout: 90_000 }, () => {
  it("refuses clicks not signed by Slack now, at no cost: nothing reaches GitHub or Slack", async () => {
    const { run, message } = await scene.newRequest();
    const before = { github: scene.githubProxy.requests.length, slack: scene.slackProxy.requests.length };
    const now = Math.floor(Date.now() / 1000);
    const forged = [
      await scene.click(message, "approve", USERS.bob, { signing: { secret: "not-the-signing-secret" } }),
      await scene.click(message, "approve", USERS.bob, { signing: { timestampSeconds: now - 301 } }),
      await scene.click(message, "approve", USERS.bob, { signing: { timestampSeconds: now + 301 } }),
      await scene.click(message, "approve", USERS.bob, { signing: { omit: ["x-slack-signature"] } }),
      await scene.click(message, "approve", USERS.bob, {
        signing: { sendBody: formEncodePayload(scene.clickPayload(message, "approve", USERS.carol)) },
      }),
    ];
    expect(forged.map((answer) => answer.status)).toEqual([401, 401, 401, 401, 401]);
    // Refused before any work: the App has asked GitHub and Slack nothing.
    expect(scene.githubProxy.requests.length).toBe(before.github);
    expect(scene.slackProxy.requests.length).toBe(before.slack);

    // The request is untouched: the first real click decides, and it is Alice's.
    await scene.click(message, "approve", USERS.alice);
    const review = await reviewOf(run);
    expect(names(review?.comment, USERS.alice), `the decision names ${USERS.alice}`).toBe(true);
    expect(names(review?.comment, USERS.bob), `the decision names ${USERS.bob}`).toBe(false);
  });

  it("counts a replayed click once", async () => {
    const { run, message } = await scene.newRequest({ environment: "staging" });
    const body = formEncodePayload(scene.clickPayload(message, "approve", USERS.alice));
    const headers = {
      "content-type": "application/x-www-form-urlencoded",
      ...signSlackRequest(body, SECRETS.signingSecret),
    };
    const send = () => fetch(`${scene.app.url}/slack/interactions`, { method: "POST", headers, body });

    expect((await send()).status).toBe(200);
    await scene.until("Alice's vote to show", () => /1 of 2/.test(statusText(scene.message(message.ts))));
    const replays = await Promise.all(Array.from({ length: 5 }, send));
    for (const replay of replays) expect([200, 401]).toContain(replay.status);
    await scene.quiet();
    expect(scene.reviews(run)).toEqual([]);
    expect(statusText(scene.message(message.ts))).toMatch(/1 of 2/);

    await scene.click(scene.message(message.ts), "approve", USERS.bob);
    const review = await reviewOf(run);
    expect(names(review?.comment, USERS.alice), `the decision names ${USERS.alice}`).toBe(true);
    expect(names(review?.comment, USERS.bob), `the decision names ${USERS.bob}`).toBe(true);
  });
});

describe("trust", { timeout: 90_000 }, () => {
  it("refuses a click from another workspace and app, by a user ID the policy lists", async () => {
    const { run, message } = await scene.newRequest();
    const answer = await scene.click(message, "approve", USERS.bob, {
      edit: (payload) => {
        const p = payload as Record<string, Record<string, unknown>>;
        p.team = { id: "T0EVILCORP", domain: "evil-corp" };
        (p.user as Record<string, unknown>).team_id = "T0EVILCORP";
        payload.enterprise = { id: "E0EVILCORP", name: "Evil Corp" };
        payload.api_app_id = "A0EVILAPP";
        p.channel = { id: "C0EVIL", name: "approvals" };
        (p.container as Record<string, unknown>).channel_id = "C0EVIL";
      },
    });
    expect(answer.status).toBeLessThan(500);
    await scene.quiet();
    expect(scene.reviews(run), "reviews after the foreign click").toEqual([]);

    // The first click from the App's own workspace decides, and it is Alice's.
    await scene.click(message, "approve", USERS.alice);
    const review = await reviewOf(run);
    expect(names(review?.comment, USERS.alice), `the decision names ${USERS.alice}`).toBe(true);
    expect(names(review?.comment, USERS.bob), `the decision names ${USERS.bob}`).toBe(false);
  });

  it("does not count the vote of someone removed from the policy before the decision", async () => {
    const { run, message } = await scene.newRequest({ environment: "staging" });
    await scene.click(message, "approve", USERS.alice);
    await scene.until("Alice's vote to show", () => /1 of 2/.test(statusText(scene.message(message.ts))));

    await scene.setPolicy(
      DEFAULT_POLICY.replace(
        `  staging:\n    approvers:\n      users: [${USERS.alice}, ${USERS.bob}, ${USERS.carol}]`,
        `  staging:\n    approvers:\n      users: [${USERS.bob}, ${USERS.carol}]`,
      ),
    );
    await scene.click(scene.message(message.ts), "approve", USERS.carol);
    await scene.until(
      "Carol's vote to be counted",
      () =>
        scene.reviews(run).length > 0 || statusText(scene.message(message.ts)).includes(`<@${USERS.carol}>`),
    );
    expect(scene.reviews(run), "decisions counting Alice's vote").toEqual([]);

    await scene.click(scene.message(message.ts), "approve", USERS.bob);
    const review = await reviewOf(run);
    expect(review?.state).toBe("approved");
    expect(names(review?.comment, USERS.carol), `the decision names ${USERS.carol}`).toBe(true);
    expect(names(review?.comment, USERS.bob), `the decision names ${USERS.bob}`).toBe(true);
    expect(names(review?.comment, USERS.alice), `the decision names ${USERS.alice}`).toBe(false);
  });

  it("escapes an environment name from a crafted button in the private reply: no link", async () => {
    const crafted = "<https://evil.example/login|Session expired, sign in again>";
    const { message } = await scene.newRequest({ buttonEnvironment: crafted });
    const since = scene.slackProxy.requests.length;
    const told = scene.ephemerals(USERS.mallory).length;

    await scene.click(message, "approve", USERS.mallory);
    await scene.until("Mallory's private reply", () => scene.ephemerals(USERS.mallory).length > told);
    expect(markupFromButtons(scene.slackWrites(since))).toEqual([]);
  });

  it("escapes an environment name in thread replies: no @channel", async () => {
    const environment = "<!channel> staging";
    const { run, message } = await scene.newRequest({ environment });
    const since = scene.slackProxy.requests.length;

    await scene.click(message, "approve", USERS.alice);
    await reviewOf(run);
    await scene.until("the thread to say GitHub took the decision", () =>
      scene.thread(message.ts).some((t) => /GitHub/.test(t)),
    );
    expect(markupFromButtons(scene.slackWrites(since))).toEqual([]);
  });

  it("matches environment names ignoring case, as GitHub does: a Production button applies to the production gate", async () => {
    const { run, message } = await scene.newRequest({
      environment: "production",
      buttonEnvironment: "Production",
    });

    await scene.click(message, "approve", USERS.alice);
    const review = await reviewOf(run);
    expect(review?.state).toBe("approved");
    expect(scene.github.getRun(REPO, run).waitingEnvironments).toEqual([]);
    await scene.until("the message to show the approval applied", () =>
      /resumed/.test(statusText(scene.message(message.ts))),
    );
  });

  it("answers a signed webhook with a schema-invalid payload with a plain 4xx, not internals", async () => {
    const { run } = await scene.newRequest({ gate: false });
    const payload = scene.github.deploymentProtectionRulePayload(REPO, run, "production") as {
      installation: { id: unknown };
    };
    payload.installation.id = "not-a-number";

    const answer = await scene.webhook("deployment_protection_rule", JSON.stringify(payload));
    expect(answer.status).toBeGreaterThanOrEqual(400);
    expect(answer.status).toBeLessThan(500);
    expect(answer.body).not.toMatch(/syntax|bigint|\bat .+\.js/);
  });
});
