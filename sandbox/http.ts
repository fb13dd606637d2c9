// The sandbox's web server: the page's static files from sandbox/public and a small JSON API. It
// listens on loopback only and answers only requests addressed to localhost, so a web page elsewhere
// cannot drive it through DNS rebinding. It binds its port before anything else starts.
import { readFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { extname, join, normalize, sep } from "node:path";
import { BodyTooLargeError, readBody } from "../app/slack/read-body.js";
import { type SandboxApi, SandboxError } from "./api.js";

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".svg": "image/svg+xml",
};
const MAX_BODY_BYTES = 128 * 1024;

export interface SandboxServer {
  port: number;
  /** Starts answering with the page and its API; until then every request gets 503 "starting". */
  serve(api: SandboxApi): void;
  close(): Promise<void>;
}

/** The port is taken by something else: the one thing a newcomer can fix at once. */
export class PortInUseError extends Error {
  override name = "PortInUseError";
  constructor(readonly port: number) {
    super(`port ${port} is in use`);
  }
}

type Body = Record<string, unknown>;

/**
 * Listens on loopback first, before anything else starts, so a busy port is found while there is
 * nothing to clean up; `serve(api)` then turns the page on.
 */
export async function listenSandbox(options: { port: number; publicDir: string }): Promise<SandboxServer> {
  const { publicDir } = options;
  let routes: Record<string, (body: Body) => unknown> | undefined;

  function routesFor(api: SandboxApi): Record<string, (body: Body) => unknown> {
    return {
      "GET /api/state": () => api.state(),
      "POST /api/deployments": (body) =>
        api.startDeployment(text(body, "environment"), typeof body.mode === "string" ? body.mode : "gate"),
      "POST /api/click": (body) => api.click(text(body, "ts"), text(body, "action"), text(body, "user")),
      "POST /api/modal/submit": (body) =>
        api.submitModal(
          text(body, "viewId"),
          text(body, "user"),
          typeof body.reason === "string" ? body.reason : "",
        ),
      "POST /api/modal/close": (body) => {
        api.closeModal(text(body, "viewId"));
        return { ok: true };
      },
      "PUT /api/policy": (body) => api.savePolicy(typeof body.text === "string" ? body.text : ""),
      "POST /api/policy/reset": () => api.resetPolicy(),
      "POST /api/runs/control": (body) => api.runControl(Number(body.runId), text(body, "control")),
      "POST /api/command": (body) =>
        api.command(text(body, "user"), typeof body.text === "string" ? body.text : ""),
    };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const host = (req.headers.host ?? "").replace(/:\d+$/, "");
    if (!["localhost", "127.0.0.1", "[::1]"].includes(host)) {
      send(res, 421, "text/plain; charset=utf-8", "The sandbox answers only http://localhost.");
      return;
    }
    if (!routes) {
      send(res, 503, "text/plain; charset=utf-8", "The sandbox is starting; reload in a few seconds.");
      return;
    }
    const url = new URL(req.url ?? "/", "http://localhost");
    if (url.pathname.startsWith("/api/")) {
      const route = routes[`${req.method} ${url.pathname}`];
      if (!route) return sendJson(res, 404, { error: `no such API: ${req.method} ${url.pathname}` });
      const raw = (
        await readBody(req, MAX_BODY_BYTES).catch((error: unknown) => {
          throw error instanceof BodyTooLargeError ? new SandboxError("the body is too large", 413) : error;
        })
      ).toString("utf8");
      let body: Body = {};
      if (raw) {
        try {
          body = JSON.parse(raw) as Body;
        } catch {
          return sendJson(res, 400, { error: "the body is not JSON" });
        }
      }
      try {
        return sendJson(res, 200, await route(body));
      } catch (error) {
        if (error instanceof SandboxError) return sendJson(res, error.status, { error: error.message });
        return sendJson(res, 500, { error: error instanceof Error ? error.message : String(error) });
      }
    }
    if (req.method !== "GET") return sendJson(res, 405, { error: "method not allowed" });
    // Browsers ask for /favicon.ico unless the page names an icon; answer with the page's own.
    const requested = url.pathname === "/favicon.ico" ? "/favicon.svg" : url.pathname;
    const name = requested === "/" ? "index.html" : decodeURIComponent(requested.slice(1));
    const path = normalize(join(publicDir, name));
    const type = CONTENT_TYPES[extname(path)];
    if (!path.startsWith(publicDir + sep) || !type)
      return send(res, 404, "text/plain; charset=utf-8", "Not found");
    try {
      send(res, 200, type, await readFile(path));
    } catch {
      send(res, 404, "text/plain; charset=utf-8", "Not found");
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent)
        sendJson(res, 500, { error: error instanceof Error ? error.message : String(error) });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) => {
      reject(error.code === "EADDRINUSE" ? new PortInUseError(options.port) : error);
    });
    server.listen(options.port, "127.0.0.1", () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    serve(api) {
      routes = routesFor(api);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function text(body: Body, name: string): string {
  const value = body[name];
  if (typeof value !== "string" || value === "") throw new SandboxError(`${name} is required`);
  return value;
}

function sendJson(res: ServerResponse, status: number, payload: unknown): void {
  send(res, status, "application/json; charset=utf-8", JSON.stringify(payload));
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer): void {
  res.writeHead(status, {
    "content-type": type,
    "cache-control": "no-store",
    // Everything the page needs is served from here: no CDN, no external fonts or scripts.
    "content-security-policy":
      "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'",
    "x-content-type-options": "nosniff",
  });
  res.end(body);
}
