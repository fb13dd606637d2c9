// A click is written to the database before Slack gets its 200, so a process killed (SIGKILL) right
// after acknowledging loses nothing: another process takes the click over and carries it out. The App
// runs as real processes (build/app/main.js) on PostgreSQL, behind fault proxies that hold the killed
// process's work in flight at the moment it dies.
import { describe, expect, it } from "vitest";
import type { FakeMessage } from "../testkit/fakes/slack.js";
import type { FaultProxy } from "../testkit/fault-proxy.js";
import { type AppProcess, runPath, USERS } from "../testkit/helpers/attack-scene.js";
import { useScene } from "./attacks/scene.js";

const scene = useScene();

/** An interaction unfinished this long is taken over (app/slack/inbound.ts), looked for every 5 s. */
const TAKE_OVER_MS = 15_000 + 5_000 + 15_000;
const TAKEN_OVER = "took over interactions acknowledged by a process that stopped";

/**
 * `user`'s click on `doomed` is acknowledged, then the call it makes to `method path` through `proxy`
 * gets no answer; once that call is on its way `doomed` is killed, and the service answers again.
 */
async function killWithCallInFlight(
  doomed: AppProcess,
  proxy: FaultProxy,
  call: { method: string; path: RegExp; what: string },
  click: { message: FakeMessage; action: "approve" | "reject"; user: string },
): Promise<void> {
  proxy.stopAnswering(call.method, call.path);
  const ack = await scene.click(click.message, click.action, click.user, { app: doomed });
  expect(ack.status).toBe(200);
  await scene.until(call.what, () => proxy.matching(call.method, call.path).length > 0);
  await doomed.kill();
  proxy.clearRules();
}

describe("a process killed right after acknowledging a click", () => {
  it("loses nothing: the next process carries the approval out", async () => {
    const doomed = await scene.startApp({ name: "doomed-approve" });
    const { run, message } = await scene.newRequest();
    // GitHub does not answer the run look-up, so the click is in the killed process's hands.
    await killWithCallInFlight(
      doomed,
      scene.githubProxy,
      { method: "GET", path: runPath(run), what: "the click path to be under way" },
      { message, action: "approve", user: USERS.alice },
    );
    const successor = await scene.startApp({ name: "successor-approve" });

    await scene.until("GitHub to be told of the approval", () => scene.reviews(run).length > 0, TAKE_OVER_MS);
    expect(scene.reviews(run).map((review) => review.state)).toEqual(["approved"]);
    // Taken over from the record, by a process that never saw the request.
    expect(`${scene.app.child.output()}${successor.child.output()}`).toContain(TAKEN_OVER);
  }, 90_000);

  it("tells a rejecter whose reason form could not open in time, instead of silence", async () => {
    const doomed = await scene.startApp({ name: "doomed-reject" });
    const { message } = await scene.newRequest();
    const told = scene.ephemerals(USERS.bob).length;
    // Slack does not answer views.open: the form is on its way when the process dies.
    await killWithCallInFlight(
      doomed,
      scene.slackProxy,
      { method: "POST", path: /views\.open$/, what: "the reason form to be on its way" },
      { message, action: "reject", user: USERS.bob },
    );
    const opened = scene.slack.views.length;
    await scene.startApp({ name: "successor-reject" });

    // The trigger id lasted 3 s; the process taking over says so rather than trying it.
    await scene.until(
      "the rejecter to be told",
      () => scene.ephemerals(USERS.bob).length > told,
      TAKE_OVER_MS,
    );
    expect(scene.slack.views.length).toBe(opened);
    expect(scene.ephemerals(USERS.bob).slice(told).join("\n")).toMatch(/click Reject again/);
  }, 90_000);
});
