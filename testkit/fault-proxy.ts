// A loopback HTTP proxy to put in front of the fake GitHub or the fake Slack, that injects the faults
// real networks and real APIs produce: an error answered instead of the upstream's, an answer lost
// after the upstream applied the request (a gateway's 502), rate limits as each service sends them,
// delays, requests that hang, and connections dropped before or in the middle of a response. Each
// rule matches a method and a path pattern for a number of requests; everything that passes is
// recorded with what was done to it, so a test can assert how often and when the App tried again.
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { listenOnLoopback } from "./loopback.js";

/** What to do to a matching request. */
export type Fault =
  /** Answer this instead of forwarding: the upstream never sees the request. */
  | { kind: "respond"; status: number; headers?: Record<string, string>; body?: unknown }
  /** Forward it (the upstream applies it), then answer `status` (default 502) instead of its answer. */
  | { kind: "lose-answer"; status?: number }
  /** 429 with Retry-After, as Slack (and GitHub, for some limits) sends it; not forwarded. */
  | { kind: "rate-limit"; retryAfterSeconds: number }
  /**
   * GitHub's secondary rate limit: 403 with its message; `retry-after` when given, and when
   * `resetAfterSeconds` is given, `x-ratelimit-remaining: 0` with `x-ratelimit-reset`. Not forwarded.
   */
  | { kind: "secondary-rate-limit"; retryAfterSeconds?: number; resetAfterSeconds?: number }
  /** GitHub's primary rate limit: 403, `x-ratelimit-remaining: 0`, `x-ratelimit-reset`. Not forwarded. */
  | { kind: "primary-rate-limit"; resetAfterSeconds: number }
  /** Forward after `ms`. */
  | { kind: "delay"; ms: number }
  /** Hold the request unanswered and unforwarded until the client gives up (or the proxy closes). */
  | { kind: "hang" }
  /** Hold the request until the test calls the rule's release(), then forward it: to order events. */
  | { kind: "hold" }
  /** Forward it (the upstream applies it), then never answer: the caller times out or dies waiting. */
  | { kind: "hang-after-forward" }
  /** Destroy the connection: before forwarding, or after forwarding with half the answer written. */
  | { kind: "drop"; when: "before-forward" | "mid-response" };

export interface FaultRule {
  /** HTTP method; any when left out. */
  method?: string;
  /** Matched against the path with its query string (`/api/v3/repos/…`, `/api/chat.update`). */
  path: RegExp | string;
  /** How many matching requests this rule takes (default 1; `Infinity` for every one). */
  times?: number;
  fault: Fault;
}

export interface InjectedRule {
  /** Requests the rule has taken so far. */
  readonly hits: number;
  /** Requests a `hold` rule is holding right now. */
  readonly held: number;
  /** Forwards what a `hold` rule holds, and lets whatever it takes from now on through at once. */
  release(): void;
  /** Stops the rule from taking more requests. */
  remove(): void;
}

export interface ProxiedRequest {
  method: string;
  /** Path with query string, as received. */
  path: string;
  /** The request body as text (the first 1 MiB). */
  body: string;
  /** When it arrived (ms since the epoch). */
  at: number;
  /** The fault applied, or undefined when it passed through untouched. */
  fault: Fault["kind"] | undefined;
  /** Whether the upstream received it. */
  forwarded: boolean;
  /** What the upstream answered, when it was asked. */
  upstreamStatus?: number;
  /** What the client was answered; undefined while pending, or when the connection was dropped or held. */
  status?: number;
}

export interface FaultProxy {
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** `127.0.0.1:PORT`, for settings that take a host (Probot's GHE_HOST). */
  host: string;
  port: number;
  /** Every request received, in order of arrival. */
  requests: ProxiedRequest[];
  inject(rule: FaultRule): InjectedRule;
  /** Every matching request from now on gets no answer (a service that stopped answering), until clearRules. */
  stopAnswering(method: string, path: RegExp | string): InjectedRule;
  /** Removes every rule, releasing what `hold` rules hold (a `hang` stays until its client gives up). */
  clearRules(): void;
  /** Requests matching a method and path pattern. */
  matching(method: string | undefined, path: RegExp | string): ProxiedRequest[];
  close(): Promise<void>;
}

export interface FaultProxyOptions {
  /** The upstream's origin, e.g. `http://127.0.0.1:4567`. */
  target: string;
  /** Whose error bodies to imitate (default `github`). */
  flavor?: "github" | "slack";
  port?: number;
}

const MAX_RECORDED_BODY = 1024 * 1024;
/** Hop-by-hop headers (RFC 9110 §7.6.1) are the proxy's own business; the rest passes through. */
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authenticate",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "host",
  "content-length",
]);

interface ActiveRule {
  rule: FaultRule;
  left: number;
  hits: number;
  released: boolean;
  waiting: Array<() => void>;
}

export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const target = new URL(options.target);
  const flavor = options.flavor ?? "github";
  const rules: ActiveRule[] = [];
  const requests: ProxiedRequest[] = [];
  const sockets = new Set<Socket>();

  const matches = (rule: FaultRule, method: string, path: string): boolean =>
    (!rule.method || rule.method.toUpperCase() === method) &&
    (typeof rule.path === "string"
      ? path === rule.path || path.startsWith(`${rule.path}?`)
      : rule.path.test(path));

  function take(method: string, path: string): ActiveRule | undefined {
    const active = rules.find((r) => r.left > 0 && matches(r.rule, method, path));
    if (!active) return undefined;
    active.left -= 1;
    active.hits += 1;
    return active;
  }

  async function forward(
    req: IncomingMessage,
    body: Buffer,
  ): Promise<{ status: number; headers: Record<string, string | string[]>; body: Buffer }> {
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
    }
    headers.host = target.host;
    headers["content-length"] = String(body.length);
    return new Promise((resolve, reject) => {
      const upstream = httpRequest(
        {
          protocol: target.protocol,
          hostname: target.hostname,
          port: target.port,
          method: req.method,
          path: req.url,
          headers,
          agent: false,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("end", () => {
            const out: Record<string, string | string[]> = {};
            for (const [name, value] of Object.entries(res.headers)) {
              if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
            }
            resolve({ status: res.statusCode ?? 502, headers: out, body: Buffer.concat(chunks) });
          });
          res.on("error", reject);
        },
      );
      upstream.on("error", reject);
      upstream.end(body);
    });
  }

  function errorBody(status: number, message: string): unknown {
    if (flavor === "slack") return { ok: false, error: status === 429 ? "ratelimited" : "fatal_error" };
    return { message, documentation_url: "https://docs.github.com/rest", status: String(status) };
  }

  function send(
    res: ServerResponse,
    record: ProxiedRequest,
    status: number,
    headers: Record<string, string | string[]>,
    body: Buffer | string,
  ): void {
    const bytes = typeof body === "string" ? Buffer.from(body) : body;
    res.writeHead(status, { ...headers, "content-length": String(bytes.length) });
    res.end(bytes);
    record.status = status;
  }

  function sendJson(
    res: ServerResponse,
    record: ProxiedRequest,
    status: number,
    payload: unknown,
    headers: Record<string, string> = {},
  ): void {
    send(
      res,
      record,
      status,
      { "content-type": "application/json; charset=utf-8", ...headers },
      JSON.stringify(payload),
    );
  }

  const epochIn = (seconds: number) => String(Math.floor(Date.now() / 1000) + seconds);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const method = (req.method ?? "GET").toUpperCase();
    const path = req.url ?? "/";
    const taken = take(method, path);
    const fault = taken?.rule.fault;
    const record: ProxiedRequest = {
      method,
      path,
      body: body.subarray(0, MAX_RECORDED_BODY).toString("utf8"),
      at: Date.now(),
      fault: fault?.kind,
      forwarded: false,
    };
    requests.push(record);

    const passThrough = async () => {
      record.forwarded = true;
      const answer = await forward(req, body);
      record.upstreamStatus = answer.status;
      return answer;
    };

    switch (fault?.kind) {
      case undefined: {
        const answer = await passThrough();
        return send(res, record, answer.status, answer.headers, answer.body);
      }
      case "respond": {
        const payload = fault.body ?? errorBody(fault.status, "Server Error");
        return sendJson(res, record, fault.status, payload, fault.headers);
      }
      case "lose-answer": {
        await passThrough();
        const status = fault.status ?? 502;
        // What a gateway in front of the service answers: not the service's JSON.
        return send(
          res,
          record,
          status,
          { "content-type": "text/html" },
          `<html><body><h1>${status} Bad Gateway</h1></body></html>`,
        );
      }
      case "rate-limit":
        return sendJson(res, record, 429, errorBody(429, "API rate limit exceeded"), {
          "retry-after": String(fault.retryAfterSeconds),
        });
      case "secondary-rate-limit": {
        const headers: Record<string, string> = {};
        if (fault.retryAfterSeconds !== undefined) headers["retry-after"] = String(fault.retryAfterSeconds);
        if (fault.resetAfterSeconds !== undefined) {
          headers["x-ratelimit-limit"] = "5000";
          headers["x-ratelimit-remaining"] = "0";
          headers["x-ratelimit-used"] = "5000";
          headers["x-ratelimit-reset"] = epochIn(fault.resetAfterSeconds);
        }
        return sendJson(
          res,
          record,
          403,
          {
            message:
              "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID 0000:0000:0000000:0000000:00000000.",
            documentation_url:
              "https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api#about-secondary-rate-limits",
            status: "403",
          },
          headers,
        );
      }
      case "primary-rate-limit":
        return sendJson(
          res,
          record,
          403,
          {
            message: "API rate limit exceeded for installation ID 1.",
            documentation_url: "https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api",
            status: "403",
          },
          {
            "x-ratelimit-limit": "5000",
            "x-ratelimit-remaining": "0",
            "x-ratelimit-used": "5000",
            "x-ratelimit-reset": epochIn(fault.resetAfterSeconds),
          },
        );
      case "delay": {
        await new Promise((resolve) => setTimeout(resolve, fault.ms));
        if (req.socket.destroyed) return;
        const answer = await passThrough();
        return send(res, record, answer.status, answer.headers, answer.body);
      }
      case "hang":
        return;
      case "hold": {
        if (taken && !taken.released) await new Promise<void>((resolve) => taken.waiting.push(resolve));
        if (req.socket.destroyed) return;
        const answer = await passThrough();
        return send(res, record, answer.status, answer.headers, answer.body);
      }
      case "hang-after-forward":
        await passThrough();
        return;
      case "drop": {
        if (fault.when === "before-forward") {
          req.socket.destroy();
          return;
        }
        const answer = await passThrough();
        if (answer.body.length < 2) {
          // Nothing to cut in half (a 204): the upstream applied it and the answer never arrives.
          req.socket.destroy();
          return;
        }
        // Promise the whole body, deliver half, and cut the connection.
        res.writeHead(answer.status, { ...answer.headers, "content-length": String(answer.body.length) });
        res.write(answer.body.subarray(0, Math.floor(answer.body.length / 2)));
        setImmediate(() => req.socket.destroy());
        return;
      }
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      // The upstream itself failed (closed, refused): answer as a gateway would.
      if (!res.headersSent) {
        res.writeHead(502, { "content-type": "text/plain" });
        res.end(`fault-proxy: upstream failed: ${String(error)}`);
      } else res.destroy();
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  const port = await listenOnLoopback(server, options.port);

  const proxy: FaultProxy = {
    url: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    port,
    requests,
    stopAnswering(method, path) {
      return proxy.inject({ method, path, times: Number.POSITIVE_INFINITY, fault: { kind: "hang" } });
    },
    inject(rule) {
      const active: ActiveRule = { rule, left: rule.times ?? 1, hits: 0, released: false, waiting: [] };
      rules.push(active);
      return {
        get hits() {
          return active.hits;
        },
        get held() {
          return active.waiting.length;
        },
        release() {
          active.released = true;
          for (const resolve of active.waiting.splice(0)) resolve();
        },
        remove() {
          active.left = 0;
        },
      };
    },
    clearRules() {
      for (const rule of rules) {
        rule.left = 0;
        rule.released = true;
        for (const resolve of rule.waiting.splice(0)) resolve();
      }
      rules.length = 0;
    },
    matching(method, path) {
      return requests.filter((r) => matches({ method, path, fault: { kind: "hang" } }, r.method, r.path));
    },
    close() {
      return new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        for (const socket of sockets) socket.destroy();
      });
    },
  };
  return proxy;
}
