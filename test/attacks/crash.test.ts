// kill -9 at the moments that matter: while GitHub is being told (before it received the review, and
// after it applied it but before the answer came back), and after a click was acknowledged but before
// the App acted on it. What must hold: GitHub is told once, Slack ends up saying what GitHub recorded,
// and an acknowledged click is either carried out or its clicker is told it was not.
import { afterAll, describe, expect, it } from "vitest";
import { type AttackScene, reviewPath, runPath, USERS } from "../../testkit/helpers/attack-scene.js";
import { openScene } from "./scene.js";

// Each case has a scene of its own (database, fakes, one App): replicas share their work, so an App
// killed in one case must not be holding another case's delivery.
const scenes: AttackScene[] = [];

async function sceneOfItsOwn(): Promise<AttackScene> {
  const scene = await openScene();
  scenes.push(scene);
  return scene;
}

afterAll(async () => {
  await Promise.allSettled(scenes.map((scene) => scene.close()));
}, 60_000);

/**
 * The delivery lease of the killed process has to run out before another takes the delivery over
 * (60 s when this was written), so these cases wait longer than the others.
 */
const TAKE_OVER_MS = 100_000;

describe("kill -9", { timeout: 150_000 }, () => {
  it.concurrent("while the review is on its way to GitHub: a restarted App tells GitHub once, and Slack says so (held)", async ({
    expect,
  }) => {
    const scene = await sceneOfItsOwn();
    const doomed = scene.app;
    const { run, message } = await scene.newRequest();
    scene.githubProxy.inject({ method: "POST", path: reviewPath(run), fault: { kind: "hang" } });

    await scene.click(message, "approve", USERS.alice, { app: doomed });
    await scene.until(
      "the review to be on its way",
      () => scene.githubProxy.matching("POST", reviewPath(run)).length > 0,
    );
    await doomed.kill();
    await scene.startApp({ name: "restarted-before-review" });

    const status = await scene.settledStatus(message.ts, TAKE_OVER_MS);
    expect(scene.reviews(run).map((r) => r.state)).toEqual(["approved"]);
    expect(status).toMatch(/resumed/);
  }, 150_000);

  it.concurrent("after GitHub applied the review and before its answer arrived: Slack says applied, not 'no longer waiting'", async ({
    expect,
  }) => {
    const scene = await sceneOfItsOwn();
    const doomed = scene.app;
    const { run, message } = await scene.newRequest();
    scene.githubProxy.inject({
      method: "POST",
      path: reviewPath(run),
      fault: { kind: "hang-after-forward" },
    });

    await scene.click(message, "approve", USERS.alice, { app: doomed });
    await scene.until("GitHub to apply the review", () => scene.reviews(run).length > 0);
    await doomed.kill();
    await scene.startApp({ name: "restarted-after-review" });

    const status = await scene.settledStatus(message.ts, TAKE_OVER_MS);
    expect(scene.reviews(run).map((r) => r.state)).toEqual(["approved"]);
    expect(status).not.toMatch(/not applied/);
    expect(status).toMatch(/resumed/);
    expect(scene.thread(message.ts).join("\n")).not.toMatch(/not applied/);
  }, 150_000);

  it("right after a click was acknowledged: the restarted App carries it out, or tells the clicker", async () => {
    const scene = await sceneOfItsOwn();
    const doomed = scene.app;
    const { run, message } = await scene.newRequest();
    // GitHub is slow to answer the run look-up, so the App is killed with the click in hand.
    scene.githubProxy.stopAnswering("GET", runPath(run));
    const told = scene.ephemerals(USERS.alice).length;

    const ack = await scene.click(message, "approve", USERS.alice, { app: doomed });
    expect(ack.status).toBe(200);
    await doomed.kill();
    scene.githubProxy.clearRules();
    await scene.startApp({ name: "restarted-after-ack" });

    await scene.until(
      "the acknowledged click to be carried out, or its clicker told it was not",
      () => scene.reviews(run).length > 0 || scene.ephemerals(USERS.alice).length > told,
      30_000,
    );
    if (scene.reviews(run).length === 0) {
      expect(scene.ephemerals(USERS.alice).slice(told).join("\n")).toMatch(/again|not recorded|lost/i);
    } else {
      expect(scene.reviews(run).map((r) => r.state)).toEqual(["approved"]);
    }
  }, 60_000);
});
