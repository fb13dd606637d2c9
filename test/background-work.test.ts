// The work queue behind the Slack acknowledgement: bounded concurrency, a bounded queue that tells
// the route to shed load, urgent tasks that skip the queue, and idle() that waits for everything.

import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import type { Interactions } from "../app/interactions.js";
import type { SlackApi } from "../app/slack/api.js";
import { createBackgroundWork, everyInterval, slackInteractionsHandler } from "../app/slack/route.js";
import { postSignedToSlackRoute } from "../testkit/helpers/slack-sign.js";

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

describe("createBackgroundWork", () => {
  const log = pino({ level: "silent" });

  it("runs at most `concurrency` tasks at once and starts queued ones as others finish", async () => {
    const work = createBackgroundWork(log, { concurrency: 2, maxQueued: 10 });
    const gates = [gate(), gate(), gate()];
    const started: number[] = [];
    gates.forEach((g, i) => {
      work.run(async () => {
        started.push(i);
        await g.opened;
      });
    });
    await Promise.resolve();
    expect(started).toEqual([0, 1]);
    gates[0]!.open();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(started).toEqual([0, 1, 2]);
    gates[1]!.open();
    gates[2]!.open();
    await work.idle();
  });

  it("reports no room once the queue is full, and room again as it drains", async () => {
    const work = createBackgroundWork(log, { concurrency: 1, maxQueued: 2 });
    const blocker = gate();
    work.run(() => blocker.opened);
    work.run(async () => {});
    expect(work.hasRoom()).toBe(true);
    work.run(async () => {});
    expect(work.hasRoom()).toBe(false);
    blocker.open();
    await work.idle();
    expect(work.hasRoom()).toBe(true);
  });

  it("starts urgent tasks at once, even when every slot is busy", async () => {
    const work = createBackgroundWork(log, { concurrency: 1, maxQueued: 5 });
    const blocker = gate();
    work.run(() => blocker.opened);
    let urgentRan = false;
    work.run(
      async () => {
        urgentRan = true;
      },
      { urgent: true },
    );
    await Promise.resolve();
    expect(urgentRan).toBe(true);
    blocker.open();
    await work.idle();
  });

  it("keeps going after a task fails, and idle() waits for queued work too", async () => {
    const work = createBackgroundWork(log, { concurrency: 1, maxQueued: 5 });
    const done: string[] = [];
    work.run(async () => {
      throw new Error("boom");
    });
    work.run(async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      done.push("second");
    });
    await work.idle();
    expect(done).toEqual(["second"]);
  });
});

describe("the Slack route under overload", () => {
  it("answers 503 with Retry-After to a valid click when the queue is full, and does no work", async () => {
    const log = pino({ level: "silent" });
    const calls: string[] = [];
    const record = (name: string) => async () => {
      calls.push(name);
    };
    const interactions: Interactions = {
      approve: record("approve"),
      rejectClicked: record("rejectClicked"),
      rejectSubmitted: record("rejectSubmitted"),
    };
    const full = { hasRoom: () => false, run: () => calls.push("queued"), idle: async () => {} };
    const handler = slackInteractionsHandler({
      signingSecret: "secret",
      interactions,
      slack: {} as SlackApi,
      background: full,
      log,
    });
    const server = createServer((req, res) => {
      void handler(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/interactions`;
      const answer = await postSignedToSlackRoute(url, { type: "block_actions" }, "secret");
      expect(answer.status).toBe(503);
      expect(answer.headers.get("retry-after")).toBe("5");
      expect(calls).toEqual([]);
      // A forged request is still a 401, not a 503: the signature is checked first.
      const forged = await postSignedToSlackRoute(url, { type: "block_actions" }, "wrong");
      expect(forged.status).toBe(401);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe("everyInterval", () => {
  it("logs the first occurrence, then one line per interval with the count it stands for", () => {
    const lines: Array<{ count: number }> = [];
    const log = { warn: (fields: { count: number }) => lines.push(fields) } as unknown as Parameters<
      typeof everyInterval
    >[0];
    let clock = 0;
    const warn = everyInterval(log, "forged", 1000, () => clock);
    warn({});
    for (let i = 0; i < 99; i++) warn({});
    expect(lines.map((l) => l.count)).toEqual([1]);
    clock = 1000;
    warn({});
    expect(lines.map((l) => l.count)).toEqual([1, 100]);
  });
});
