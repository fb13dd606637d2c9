// The load generator, run as a child process (fork) so that it shares an event loop with neither the
// App nor the fakes. Two modes:
// - `open`: a fixed schedule, request i sent at start + i/rate whatever happened to the earlier ones,
//   and its latency measured from that scheduled moment. A slow server therefore cannot slow the load
//   down and hide its own queueing (no coordinated omission).
// - `closed`: `concurrency` requests always in flight, as fast as the server answers (throughput).
// Each request is a real Slack block_actions click on a posted message, signed with `secret`.
// It also sends the hostile traffic of the memory figures (attack-traffic.ts).
import { Agent, request } from "node:http";
import { ACTION_IDS } from "../common/reference.js";
import type { FakeMessage } from "../testkit/fakes/slack.js";
import { blockActionsPayload, triggerId } from "../testkit/helpers/slack-clicks.js";
import { formEncodePayload, signSlackRequest } from "../testkit/helpers/slack-sign.js";
import { type HugeBodyCommand, hugeBody, type SlowBodiesCommand, slowBodies } from "./attack-traffic.js";

export interface ClickSet {
  /** Request messages as posted; click i goes to message i mod length. */
  messages: FakeMessage[];
  approvers: string[];
  /** How many different approvers click each message (click i is by approver floor(i / length)). */
  votesPerMessage: number;
  secret: string;
}

export type WorkerCommand =
  | ({ kind: "open"; url: string; rate: number; durationMs: number } & ClickSet)
  | ({ kind: "closed"; url: string; durationMs: number; concurrency: number } & ClickSet);

export interface WorkerResult {
  /** Milliseconds: open mode, requests answered 2xx; closed mode, every answer. */
  latencies: number[];
  statuses: Record<string, number>;
  /** Network errors and timeouts by name. */
  errors: Record<string, number>;
  sent: number;
  elapsedMs: number;
  /** Open mode: how late the generator itself sent its worst request. */
  maxSendLagMs: number;
}

const TIMEOUT_MS = 10_000;
const agent = new Agent({ keepAlive: true, maxSockets: 2048 });

interface Prepared {
  body: Buffer;
  headers: Record<string, string>;
}

function prepare(set: ClickSet, count: number): Prepared[] {
  const out: Prepared[] = [];
  const m = set.messages.length;
  for (let i = 0; i < count; i += 1) {
    const messageIndex = i % m;
    const voter = Math.floor(i / m) % set.votesPerMessage;
    const user = set.approvers[(messageIndex * set.votesPerMessage + voter) % set.approvers.length] as string;
    const payload = blockActionsPayload({
      message: set.messages[messageIndex] as FakeMessage,
      actionId: ACTION_IDS.approve,
      user: { id: user },
      triggerId: triggerId(),
    });
    const text = formEncodePayload(payload);
    const body = Buffer.from(text);
    out.push({
      body,
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        "content-length": String(body.length),
        ...signSlackRequest(text, set.secret),
      },
    });
  }
  return out;
}

function send(url: URL, item: Prepared, done: (status: number | string) => void): void {
  const req = request(
    {
      agent,
      hostname: url.hostname,
      port: url.port,
      path: url.pathname,
      method: "POST",
      headers: item.headers,
    },
    (res) => {
      res.resume();
      res.on("end", () => done(res.statusCode ?? 0));
      res.on("error", () => done("response_error"));
    },
  );
  req.setTimeout(TIMEOUT_MS, () => req.destroy(new Error("timeout")));
  req.on("error", (error: NodeJS.ErrnoException) =>
    done(error.message === "timeout" ? "timeout" : (error.code ?? "error")),
  );
  req.end(item.body);
}

function record(result: WorkerResult, status: number | string, latency: number, anyAnswer = false): void {
  if (typeof status === "number") {
    result.statuses[status] = (result.statuses[status] ?? 0) + 1;
    if (anyAnswer || (status >= 200 && status < 300)) result.latencies.push(latency);
  } else {
    result.errors[status] = (result.errors[status] ?? 0) + 1;
  }
}

function openLoop(command: Extract<WorkerCommand, { kind: "open" }>): Promise<WorkerResult> {
  const count = Math.max(1, Math.round((command.rate * command.durationMs) / 1000));
  const items = prepare(command, count);
  const url = new URL(command.url);
  const interval = 1000 / command.rate;
  const result = emptyResult();
  return new Promise((resolve) => {
    const start = performance.now() + 20;
    let next = 0;
    let finished = 0;
    const complete = () => {
      finished += 1;
      if (finished === count) {
        result.elapsedMs = performance.now() - start;
        resolve(result);
      }
    };
    const tick = () => {
      const now = performance.now();
      while (next < count && start + next * interval <= now) {
        const scheduled = start + next * interval;
        result.maxSendLagMs = Math.max(result.maxSendLagMs, now - scheduled);
        result.sent += 1;
        send(url, items[next] as Prepared, (status) => {
          record(result, status, performance.now() - scheduled);
          complete();
        });
        next += 1;
      }
      if (next < count) setTimeout(tick, Math.max(0, start + next * interval - performance.now()));
    };
    setTimeout(tick, 20);
  });
}

function closedLoop(command: Extract<WorkerCommand, { kind: "closed" }>): Promise<WorkerResult> {
  // A pool of distinct bodies, reused: the server rejects or accepts each on its own merits.
  const items = prepare(command, Math.min(2000, command.messages.length * command.votesPerMessage));
  const url = new URL(command.url);
  const result = emptyResult();
  return new Promise((resolve) => {
    const start = performance.now();
    const end = start + command.durationMs;
    let inFlight = 0;
    let index = 0;
    const launch = () => {
      if (performance.now() >= end) {
        if (inFlight === 0) {
          result.elapsedMs = performance.now() - start;
          resolve(result);
        }
        return;
      }
      const sentAt = performance.now();
      inFlight += 1;
      result.sent += 1;
      send(url, items[index++ % items.length] as Prepared, (status) => {
        inFlight -= 1;
        record(result, status, performance.now() - sentAt, true);
        launch();
      });
    };
    for (let i = 0; i < command.concurrency; i += 1) launch();
  });
}

process.on("message", (command: WorkerCommand | SlowBodiesCommand | HugeBodyCommand) => {
  const run: Promise<unknown> =
    command.kind === "open"
      ? openLoop(command)
      : command.kind === "closed"
        ? closedLoop(command)
        : command.kind === "slow-bodies"
          ? slowBodies(command)
          : hugeBody(command);
  void run.then((result) => process.send?.(result));
});
process.send?.({ ready: true });

function emptyResult(): WorkerResult {
  return { latencies: [], statuses: {}, errors: {}, sent: 0, elapsedMs: 0, maxSendLagMs: 0 };
}
