// GitHub failing in the ways it fails: 5xx on a read, a key it rejects, 4xx that no retry can fix,
// rate limits that say when to come back. What must hold: a click the App could not check is
// answered (the clicker learns nothing was recorded), a 4xx other than a rate limit is never sent
// again at once, and a rate limit's Retry-After or reset time is honoured.
import { describe, expect, it } from "vitest";
import type { Fault, ProxiedRequest } from "../../testkit/fault-proxy.js";
import { hasButtons, reviewPath, runPath, statusText, USERS } from "../../testkit/helpers/attack-scene.js";
import { newPrivateKey } from "../../testkit/helpers/keys.js";
import { elapse, expectClickNotCounted, useScene } from "./scene.js";

const scene = useScene();

/** The first Slack update of `ts` that the App sent after `after` (ms since the epoch). */
function updateAfter(ts: string, after: number): ProxiedRequest | undefined {
  return scene.slackProxy.requests.find(
    (r) =>
      r.at > after &&
      r.path.startsWith("/api/chat.update") &&
      r.body.includes(`ts=${encodeURIComponent(ts)}`),
  );
}

const reviewCalls = (run: number) => scene.githubProxy.matching("POST", reviewPath(run));

/**
 * Alice approves a fresh request whose review calls meet `fault` (the first one, or `times` of them);
 * resolves once the App has told Slack what came of the first call, with that call.
 */
async function approveMeeting(fault: Fault, times?: number) {
  const { run, message } = await scene.newRequest();
  scene.githubProxy.inject({ method: "POST", path: reviewPath(run), fault, times });
  await scene.click(message, "approve", USERS.alice);
  const first = await scene.until("the review call", () => reviewCalls(run)[0]);
  await scene.until("the App's next word to Slack about it", () => updateAfter(message.ts, first.at));
  return { run, message, first };
}

describe("GitHub failing", { timeout: 90_000 }, () => {
  it("tells the clicker when GitHub answers 500 to the run look-up: nothing recorded, nothing lost silently", async () => {
    const { run, message } = await scene.newRequest();
    scene.githubProxy.inject({
      method: "GET",
      path: runPath(run),
      times: Number.POSITIVE_INFINITY,
      fault: { kind: "respond", status: 500 },
    });
    const told = scene.ephemerals(USERS.alice).length;

    expect((await scene.click(message, "approve", USERS.alice)).status).toBe(200);
    await scene.until(
      "Alice to be told the App could not check",
      () => scene.ephemerals(USERS.alice).length > told,
      45_000,
    );
    expect(scene.ephemerals(USERS.alice).slice(told).join("\n")).toMatch(/GitHub|could not|try again/i);
    expect(scene.reviews(run)).toEqual([]);
    expect(hasButtons(scene.message(message.ts))).toBe(true);
    expect(statusText(scene.message(message.ts))).toBe("");
  }, 60_000);

  it("tells the clicker when GitHub rejects the App's key", async () => {
    const misconfigured = await scene.startApp({ name: "wrong-key", privateKey: newPrivateKey() });
    try {
      // A replica that cannot reach GitHub may also be not ready, and refuse the click outright.
      await expectClickNotCounted(scene, await scene.newRequest(), USERS.alice, {
        app: misconfigured,
        timeoutMs: 45_000,
      });
    } finally {
      await misconfigured.kill();
    }
  }, 60_000);

  it("never sends a review GitHub refused with 422 again at once", async () => {
    const { run } = await approveMeeting(
      {
        kind: "respond",
        status: 422,
        body: {
          message: "Validation Failed",
          documentation_url: "https://docs.github.com/rest",
          status: "422",
        },
      },
      Number.POSITIVE_INFINITY,
    );
    expect(reviewCalls(run)).toHaveLength(1);
  });

  it("waits out a secondary rate limit's Retry-After before calling GitHub again", async () => {
    const retryAfterSeconds = 5;
    const { run, message, first } = await approveMeeting({ kind: "secondary-rate-limit", retryAfterSeconds });
    expect(reviewCalls(run)).toHaveLength(1);
    // Honouring Retry-After is a matter of time: wait it out, then look at when the App called.
    await elapse(Math.max(0, first.at + retryAfterSeconds * 1000 - Date.now()));
    const early = reviewCalls(run).filter((r) => r !== first && r.at < first.at + retryAfterSeconds * 1000);
    expect(early, "review calls made before Retry-After had passed").toEqual([]);
    expect(statusText(scene.message(message.ts))).not.toMatch(/not applied/);
  }, 60_000);

  it("waits for x-ratelimit-reset before calling GitHub again after a rate limit", async () => {
    const resetAfterSeconds = 5;
    const { run, message, first } = await approveMeeting({ kind: "primary-rate-limit", resetAfterSeconds });
    // The reset is a whole second: anything before it (less a second's rounding) is too early.
    const resetAt = (Math.floor(first.at / 1000) + resetAfterSeconds) * 1000;
    await elapse(Math.max(0, resetAt - Date.now()));
    const early = reviewCalls(run).filter((r) => r !== first && r.at < resetAt - 1000);
    expect(early, "review calls made before the rate limit's reset").toEqual([]);
    expect(statusText(scene.message(message.ts))).not.toMatch(/not applied/);
  }, 60_000);
});
