// The App's HTTP server under slow and greedy clients, with real sockets: slow headers and slow bodies
// are cut by the server's timeouts, unauthenticated bodies being read are capped (503 past the cap),
// idle keep-alive connections are closed, and the production limits are the ones applied.
import { once } from "node:events";
import { connect, type Socket } from "node:net";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Ingress } from "../app/http/ingress.js";
import { createAppServer, SERVER_LIMITS, type ServerLimits } from "../app/http/server.js";
import { type FakeSlack, startFakeSlack } from "../testkit/fakes/slack.js";
import { type ServedIngress, serveIngress } from "../testkit/helpers/ingress.js";

/** Short versions of the production limits, so a test takes a second, not ten. */
const LIMITS: ServerLimits = {
  headersTimeoutMs: 500,
  requestTimeoutMs: 1000,
  keepAliveTimeoutMs: 300,
  checkIntervalMs: 100,
  maxHeaderBytes: 16 * 1024,
};

let slack: FakeSlack;
let served: ServedIngress;
let ingress: Ingress;
let port: number;

beforeEach(async () => {
  slack = await startFakeSlack();
  served = await serveIngress(
    {
      store: {} as never,
      interactions: { handle: async () => {} },
      events: { handle: async () => {} },
      slack: { signingSecret: "secret", botToken: "xoxb-test-token", apiUrl: slack.url },
      webhookSecret: "secret",
      log: pino({ level: "silent" }),
      tuning: { maxConcurrentBodies: 2 },
    },
    { limits: LIMITS },
  );
  ({ ingress, port } = served);
});
afterEach(async () => {
  await served.close();
  await slack.close();
});

interface Trickle {
  socket: Socket;
  /** Resolves when the server closed the connection: whether the client had sent everything, and what it got back. */
  closed: Promise<{ sentAll: boolean; reply: string }>;
}

/** Sends `head` at once, then `rest` a piece every `everyMs`, as a slow (or malicious) client would. */
async function trickle(head: string, rest: string, piece: number, everyMs: number): Promise<Trickle> {
  const socket = connect(port, "127.0.0.1");
  await once(socket, "connect");
  let reply = "";
  let sentAll = false;
  socket.on("data", (chunk: Buffer) => {
    reply += chunk.toString();
  });
  socket.on("error", () => {});
  socket.write(head);
  let offset = 0;
  const timer = setInterval(() => {
    if (socket.destroyed) return;
    socket.write(rest.slice(offset, offset + piece));
    offset += piece;
    if (offset >= rest.length) {
      sentAll = true;
      clearInterval(timer);
    }
  }, everyMs);
  const closed = once(socket, "close").then(() => {
    clearInterval(timer);
    return { sentAll, reply };
  });
  return { socket, closed };
}

const slackHead = (contentLength: number) =>
  [
    "POST /slack/interactions HTTP/1.1",
    "Host: app",
    "Content-Type: application/x-www-form-urlencoded",
    "X-Slack-Request-Timestamp: 1",
    `X-Slack-Signature: v0=${"0".repeat(64)}`,
    `Content-Length: ${contentLength}`,
    "",
    "",
  ].join("\r\n");

describe("slow clients", () => {
  it("cuts a client that sends its headers slowly", async () => {
    // Thirty seconds' worth of header, a byte every 100 ms.
    const slow = await trickle(
      "POST /slack/interactions HTTP/1.1\r\nHost: app\r\nX-Slow: ",
      "x".repeat(300),
      1,
      100,
    );
    const { sentAll, reply } = await slow.closed;
    expect(sentAll).toBe(false);
    expect(reply).toMatch(/^HTTP\/1\.1 408 /);
  });

  it("cuts a client that sends its body slowly, and gives its body slot back", async () => {
    const body = "p".repeat(100_000);
    // A kilobyte every 100 ms: ten seconds for the whole body.
    const slow = await trickle(slackHead(body.length), body, 1000, 100);
    const { sentAll } = await slow.closed;
    expect(sentAll).toBe(false);
    await expect.poll(() => ingress.bodies.inUse()).toBe(0);
  });

  it("closes a keep-alive connection left idle", async () => {
    const socket = connect(port, "127.0.0.1");
    await once(socket, "connect");
    socket.write("GET /nowhere HTTP/1.1\r\nHost: app\r\n\r\n");
    const [reply] = (await once(socket, "data")) as [Buffer];
    expect(reply.toString()).toMatch(/^HTTP\/1\.1 404 /);
    expect(reply.toString()).toMatch(/connection: keep-alive/i);
    // Nothing more is sent: the server ends the idle connection itself.
    await once(socket, "close");
  });
});

describe("unauthenticated bodies", () => {
  it("reads at most the cap at once: the next body is refused with 503 until a slot is free", async () => {
    const body = "p".repeat(50_000);
    const holders = [
      await trickle(slackHead(body.length), body, 100, 100),
      await trickle(slackHead(body.length), body, 100, 100),
    ];
    // Both slow bodies are being read.
    await expect.poll(() => ingress.bodies.inUse()).toBe(2);
    const refused = await fetch(`http://127.0.0.1:${port}/slack/interactions`, {
      method: "POST",
      body: "payload=%7B%7D",
    });
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("1");
    expect(refused.headers.get("connection")).toBe("close");
    // Once the server cuts the slow ones, a body is read again (and, being unsigned, refused as such).
    for (const holder of holders) await holder.closed;
    await expect.poll(() => ingress.bodies.inUse()).toBe(0);
    const next = await fetch(`http://127.0.0.1:${port}/slack/interactions`, {
      method: "POST",
      body: "payload=%7B%7D",
    });
    expect(next.status).toBe(401);
  });

  it("refuses a Slack body over 1 MiB with 413 without taking a slot", async () => {
    const socket = connect(port, "127.0.0.1");
    await once(socket, "connect");
    socket.write(slackHead(1024 * 1024 + 1));
    const [reply] = (await once(socket, "data")) as [Buffer];
    expect(reply.toString()).toMatch(/^HTTP\/1\.1 413 /);
    expect(ingress.bodies.inUse()).toBe(0);
    socket.destroy();
  });
});

describe("the production limits", () => {
  it("are the ones the server applies: seconds, not Node's minutes", () => {
    const production = createAppServer({ handlers: [], log: pino({ level: "silent" }) });
    expect({
      headersTimeoutMs: production.headersTimeout,
      requestTimeoutMs: production.requestTimeout,
      keepAliveTimeoutMs: production.keepAliveTimeout,
    }).toEqual({
      headersTimeoutMs: SERVER_LIMITS.headersTimeoutMs,
      requestTimeoutMs: SERVER_LIMITS.requestTimeoutMs,
      keepAliveTimeoutMs: SERVER_LIMITS.keepAliveTimeoutMs,
    });
    // A request that can take longer than GitHub's 10 s or Slack's 3 s is of no use to either.
    expect(SERVER_LIMITS.requestTimeoutMs).toBeLessThanOrEqual(10_000);
    expect(SERVER_LIMITS.headersTimeoutMs).toBeLessThanOrEqual(SERVER_LIMITS.requestTimeoutMs);
  });
});
