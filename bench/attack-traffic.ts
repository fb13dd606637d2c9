// Hostile traffic for the memory figures of issue 9, sent from the load worker's process (never from
// the process that hosts the fakes), only to 127.0.0.1, and bounded in count, bytes and time:
// - slow bodies: `connections` sockets each announce a body of `bodyBytes`, send all but the last
//   16 KiB of it in small pieces over `sendMs`, then stall until `holdMs` has passed;
// - a huge body: one unsigned chunked POST of up to `totalBytes`, written as fast as the App reads it,
//   until the App answers or closes, or `timeoutMs` passes.
// Both are unsigned (a wrong signature), as an attacker without the secrets would send them.
import { randomUUID } from "node:crypto";
import { request } from "node:http";
import { connect, type Socket } from "node:net";

export type Route = "webhooks" | "interactions";

export interface SlowBodiesCommand {
  kind: "slow-bodies";
  url: string;
  route: Route;
  connections: number;
  bodyBytes: number;
  sendMs: number;
  holdMs: number;
}

export interface HugeBodyCommand {
  kind: "huge-body";
  url: string;
  route: Route;
  totalBytes: number;
  timeoutMs: number;
}

export interface SlowBodiesResult {
  connections: number;
  /** Sockets that connected at all. */
  opened: number;
  /** Sockets the App answered or closed before the sender gave up (at holdMs). */
  endedByApp: number;
  /** Milliseconds from connect to the App ending each socket it ended. */
  endedAfterMs: number[];
  /** Status lines the App sent, by status (e.g. 408, 413). */
  statuses: Record<string, number>;
  /** Bytes of body the App took in, in all. */
  bytesSent: number;
  errors: Record<string, number>;
}

export interface HugeBodyResult {
  bytesSent: number;
  status: number | null;
  /** `answered`, `closed` (by the App, without an answer), `timeout` or `sent-all`. */
  ended: string;
  ms: number;
}

const PIECE_BYTES = 16 * 1024;
const STALLED_TAIL_BYTES = 16 * 1024;

/** Headers an unsigned (wrongly signed) request to `route` carries. */
function routeHeaders(route: Route): Record<string, string> {
  if (route === "webhooks") {
    return {
      "content-type": "application/json",
      "x-github-event": "push",
      "x-github-delivery": randomUUID(),
      "x-hub-signature-256": `sha256=${"0".repeat(64)}`,
    };
  }
  return {
    "content-type": "application/x-www-form-urlencoded",
    "x-slack-request-timestamp": String(Math.floor(Date.now() / 1000)),
    "x-slack-signature": `v0=${"0".repeat(64)}`,
  };
}

function routePath(route: Route): string {
  return route === "webhooks" ? "/api/github/webhooks" : "/slack/interactions";
}

function count(record: Record<string, number>, key: string): void {
  record[key] = (record[key] ?? 0) + 1;
}

export function slowBodies(command: SlowBodiesCommand): Promise<SlowBodiesResult> {
  const url = new URL(command.url);
  const result: SlowBodiesResult = {
    connections: command.connections,
    opened: 0,
    endedByApp: 0,
    endedAfterMs: [],
    statuses: {},
    bytesSent: 0,
    errors: {},
  };
  const piece = Buffer.alloc(PIECE_BYTES, "a");
  const toSend = Math.max(0, command.bodyBytes - STALLED_TAIL_BYTES);
  const pieces = Math.ceil(toSend / PIECE_BYTES);
  const pieceEveryMs = command.sendMs / Math.max(1, pieces);
  const sockets: Socket[] = [];

  const one = (index: number) =>
    new Promise<void>((resolve) => {
      // Connections open over the first second, as a flood would.
      setTimeout(() => {
        const socket = connect({ host: url.hostname, port: Number(url.port) });
        sockets.push(socket);
        let connectedAt = 0;
        let senderDone = false;
        let timer: NodeJS.Timeout | undefined;
        let answered = false;
        socket.on("connect", () => {
          result.opened += 1;
          connectedAt = performance.now();
          const head = [
            `POST ${routePath(command.route)} HTTP/1.1`,
            `Host: ${url.host}`,
            `Content-Length: ${command.bodyBytes}`,
            ...Object.entries(routeHeaders(command.route)).map(([k, v]) => `${k}: ${v}`),
            "",
            "",
          ].join("\r\n");
          socket.write(head);
          let sent = 0;
          timer = setInterval(() => {
            if (sent >= toSend || socket.destroyed) {
              clearInterval(timer);
              return;
            }
            const size = Math.min(PIECE_BYTES, toSend - sent);
            socket.write(size === PIECE_BYTES ? piece : piece.subarray(0, size));
            sent += size;
            result.bytesSent += size;
          }, pieceEveryMs);
        });
        socket.on("data", (chunk: Buffer) => {
          if (answered) return;
          answered = true;
          const status = /^HTTP\/1\.1 (\d{3})/.exec(chunk.toString("latin1"))?.[1] ?? "unparsed";
          count(result.statuses, status);
        });
        socket.on("error", (error: NodeJS.ErrnoException) => count(result.errors, error.code ?? "error"));
        socket.on("close", () => {
          clearInterval(timer);
          if (!senderDone && connectedAt > 0) {
            result.endedByApp += 1;
            result.endedAfterMs.push(Math.round(performance.now() - connectedAt));
          }
          resolve();
        });
        setTimeout(
          () => {
            senderDone = true;
            socket.destroy();
          },
          command.holdMs - (index % 1000),
        );
      }, index % 1000);
    });

  return Promise.all(Array.from({ length: command.connections }, (_, i) => one(i))).then(() => {
    for (const socket of sockets) socket.destroy();
    return result;
  });
}

export function hugeBody(command: HugeBodyCommand): Promise<HugeBodyResult> {
  const url = new URL(command.url);
  const chunk = Buffer.alloc(1024 * 1024, "a");
  const started = performance.now();
  return new Promise((resolve) => {
    let bytesSent = 0;
    let finished = false;
    const finish = (ended: string, status: number | null) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      req.destroy();
      resolve({ bytesSent, status, ended, ms: Math.round(performance.now() - started) });
    };
    const req = request({
      host: url.hostname,
      port: url.port,
      method: "POST",
      path: routePath(command.route),
      // No Content-Length: chunked, so the App cannot refuse it from the headers alone.
      headers: { ...routeHeaders(command.route), "transfer-encoding": "chunked" },
    });
    const timer = setTimeout(() => finish("timeout", null), command.timeoutMs);
    req.on("response", (res) => {
      res.resume();
      finish("answered", res.statusCode ?? null);
    });
    req.on("error", () => finish("closed", null));
    req.on("close", () => finish("closed", null));
    const pump = () => {
      while (!finished && bytesSent < command.totalBytes) {
        bytesSent += chunk.length;
        if (!req.write(chunk)) {
          req.once("drain", pump);
          return;
        }
      }
      if (!finished && bytesSent >= command.totalBytes) {
        req.end();
        // The App now has the whole body; wait for its answer (or the timeout).
        if (!finished) setTimeout(() => finish("sent-all", null), 5000).unref();
      }
    };
    pump();
  });
}
