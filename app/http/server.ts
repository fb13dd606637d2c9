// The App's HTTP server: Node's own, with limits that fit a 3-second acknowledgement, in front of the
// App's routes. Probot's server is not used: its webhook middleware reads any body whole before
// checking it, and its connection checks run every 30 s, which makes any request timeout that long.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Logger } from "pino";
import type { ApplicationFunctionOptions } from "probot";
import { answer } from "./respond.js";

/** A route: answers and returns true, or returns false to let the next one try (Probot's handler type). */
export type RequestHandler = Parameters<ApplicationFunctionOptions["addHandler"]>[0];

export interface ServerLimits {
  /** All request headers must arrive within this (Slack sends them at once). */
  headersTimeoutMs: number;
  /** The whole request, body included, must arrive within this (GitHub waits 10 s for an answer). */
  requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this. */
  keepAliveTimeoutMs: number;
  /** How often the two timeouts above are checked: a request is cut at most this late. */
  checkIntervalMs: number;
  maxHeaderBytes: number;
}

export const SERVER_LIMITS: Readonly<ServerLimits> = {
  headersTimeoutMs: 5_000,
  requestTimeoutMs: 10_000,
  keepAliveTimeoutMs: 5_000,
  checkIntervalMs: 1_000,
  maxHeaderBytes: 16 * 1024,
};

export interface AppServerOptions {
  /** Tried in order; the first that returns true has answered. */
  handlers: readonly RequestHandler[];
  log: Logger;
  limits?: Partial<ServerLimits>;
}

export function createAppServer(options: AppServerOptions): Server {
  const limits = { ...SERVER_LIMITS, ...options.limits };
  const { handlers, log } = options;
  const server = createServer(
    {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      connectionsCheckingInterval: limits.checkIntervalMs,
      maxHeaderSize: limits.maxHeaderBytes,
    },
    (req, res) => void dispatch(req, res),
  );

  async function dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      for (const handler of handlers) {
        if (await handler(req, res)) return;
      }
      // A body sent to no route is not read: the connection closes instead.
      answer(res, 404, { text: "not found", close: bodyPending(req) });
    } catch (error) {
      log.error({ err: error, method: req.method, path: (req.url ?? "").slice(0, 200) }, "request failed");
      if (res.headersSent) res.destroy();
      else answer(res, 500, { text: "internal error", close: true });
    }
  }
  return server;
}

function bodyPending(req: IncomingMessage): boolean {
  const declared =
    req.headers["transfer-encoding"] !== undefined || Number(req.headers["content-length"] ?? 0) > 0;
  return declared && !req.readableEnded;
}

/** Listens and resolves with the port. */
export function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen({ port, host }, () => {
      server.off("error", reject);
      const address = server.address();
      resolve(typeof address === "object" && address ? address.port : port);
    });
  });
}

/** Stops accepting connections, closes idle ones, and resolves once every request in flight is answered. */
export function close(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.close((error) => (error ? reject(error) : resolve()));
    server.closeIdleConnections();
  });
}
