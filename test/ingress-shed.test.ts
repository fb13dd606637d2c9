// While the work queue is full, the Slack route refuses requests before reading their bodies (a flood
// costs no reading, no signature check, no parsing), past the few a second it still reads so that a
// shed click is on its request's timeline.
import { connect, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SHED_READS_PER_SECOND, SLACK_ROUTE } from "../app/slack/route.js";
import { type Harness, startHarness, USERS } from "../testkit/helpers/app-harness.js";

describe("shedding on a full work queue", () => {
  let h: Harness;
  beforeAll(async () => {
    // One click at a time, one waiting.
    h = await startHarness("sqlite", { ingress: { queue: { concurrency: 1, maxWaiting: 1 } } });
  });
  afterAll(async () => {
    h?.github.setLatency(0);
    await h?.close();
  });

  /** A POST whose body never comes: only a request refused before reading is answered. */
  function withoutBody(port: number): { socket: Socket; answer: Promise<string> } {
    const socket = connect(port, "127.0.0.1");
    socket.write(
      `POST ${SLACK_ROUTE} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/x-www-form-urlencoded\r\ncontent-length: 4096\r\n\r\n`,
    );
    const answer = new Promise<string>((resolve) => {
      let text = "";
      socket.on("data", (chunk: Buffer) => {
        text += chunk.toString("latin1");
      });
      socket.on("close", () => resolve(text));
      socket.on("error", () => resolve(text));
    });
    return { socket, answer };
  }

  it("answers 503 at once, unread, once the second's few reads are spent", async () => {
    const first = await h.newRequest();
    const second = await h.newRequest();
    h.github.setLatency(1500);
    // One click runs (its GitHub reads are slow), one waits: the queue is full.
    const running = [
      h.click(first.message, "approve", USERS.alice),
      h.click(second.message, "approve", USERS.bob),
    ];
    expect((await Promise.all(running)).map((a) => a.status)).toEqual([200, 200]);

    const port = Number(new URL(h.appUrl).port);
    const sent = Array.from({ length: 3 * SHED_READS_PER_SECOND }, () => withoutBody(port));
    // Those refused unread are answered and closed without their bodies; the others wait for theirs.
    await new Promise((resolve) => setTimeout(resolve, 500));
    for (const { socket } of sent) socket.destroy();
    const answers = await Promise.all(sent.map((s) => s.answer));
    const refused = answers.filter((a) => a.startsWith("HTTP/1.1 503"));
    expect(refused.length).toBeGreaterThanOrEqual(SHED_READS_PER_SECOND);
    for (const answer of refused) expect(answer.toLowerCase()).toContain("retry-after: 5");
    // Every other request was being read when its client went away: none was answered.
    expect(answers.filter((a) => a !== "" && !a.startsWith("HTTP/1.1 503"))).toEqual([]);

    h.github.setLatency(0);
    await h.settle();
    expect(h.github.reviews.map((r) => r.runId).sort()).toEqual([first.run, second.run].sort());
  });
});
