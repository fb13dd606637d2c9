// The operator's routes and counters, loaded before the App's own routes:
// - GET /healthz: the process is alive (nothing else; a restart would not fix a database outage);
// - GET /readyz: the process can do its job (app/ops/readiness.ts);
// - GET /metrics: Prometheus text (app/metrics.ts), behind METRICS_TOKEN when it is set;
// - POST /slack/interactions while shutting down: 503 before the body is read, so a drained replica
//   takes no new work; otherwise the answer's status and latency are counted on the way out.
// - POST /api/github/webhooks: counted by event and the status the App answered, on the way out.
import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { ApplicationFunction, Logger } from "probot";
import { metrics, renderMetrics } from "../metrics.js";
import type { Readiness } from "./readiness.js";

export const SLACK_INTERACTIONS_PATH = "/slack/interactions";
export const GITHUB_WEBHOOKS_PATH = "/api/github/webhooks";
const DETAIL_LOG_INTERVAL_MS = 30_000;

export interface OpsRoutesOptions {
  readiness: Readiness;
  /** When set, /metrics answers only `Authorization: Bearer <token>`. */
  metricsToken?: string;
  log: Logger;
}

export function opsRoutes(options: OpsRoutesOptions): ApplicationFunction {
  return (_app, { addHandler }) => {
    addHandler(opsHandler(options));
  };
}

export function opsHandler(options: OpsRoutesOptions) {
  const { readiness, log } = options;
  const expectedToken = options.metricsToken ? digest(options.metricsToken) : undefined;
  let lastDetailLog = Number.NEGATIVE_INFINITY;

  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const path = (req.url ?? "").split("?")[0];
    switch (path) {
      case "/healthz":
        if (!readOnly(req, res)) return true;
        sendJson(res, 200, { ok: true });
        return true;

      case "/readyz": {
        if (!readOnly(req, res)) return true;
        const report = await readiness.check();
        if (report.details.length > 0 && Date.now() - lastDetailLog >= DETAIL_LOG_INTERVAL_MS) {
          lastDetailLog = Date.now();
          log.warn({ problems: report.details }, "not ready");
        }
        const { details: _details, ...shown } = report;
        sendJson(res, report.ready ? 200 : 503, shown);
        return true;
      }

      case "/metrics": {
        if (!readOnly(req, res)) return true;
        if (expectedToken && !bearerMatches(req.headers.authorization, expectedToken)) {
          res
            .writeHead(401, { "www-authenticate": "Bearer", "content-type": "text/plain" })
            .end("unauthorized");
          return true;
        }
        const { contentType, body } = await renderMetrics();
        res.writeHead(200, { "content-type": contentType, "cache-control": "no-store" }).end(body);
        return true;
      }

      case SLACK_INTERACTIONS_PATH: {
        if (req.method !== "POST") return false;
        if (readiness.isShuttingDown()) {
          metrics.shed("shutting_down");
          metrics.slackRequest(503, 0);
          // The body stays unread, so the connection cannot be reused: close it.
          res.writeHead(503, { "retry-after": "5", connection: "close" }).end();
          return true;
        }
        const started = performance.now();
        res.once("finish", () => metrics.slackRequest(res.statusCode, (performance.now() - started) / 1000));
        return false;
      }

      case GITHUB_WEBHOOKS_PATH: {
        if (req.method !== "POST") return false;
        const event = req.headers["x-github-event"];
        res.once("finish", () => metrics.webhook(typeof event === "string" ? event : "", res.statusCode));
        return false;
      }

      default:
        return false;
    }
  };
}

function readOnly(req: IncomingMessage, res: ServerResponse): boolean {
  if (req.method === "GET" || req.method === "HEAD") return true;
  res.writeHead(405, { allow: "GET, HEAD" }).end();
  return false;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res
    .writeHead(status, { "content-type": "application/json", "cache-control": "no-store" })
    .end(JSON.stringify(body));
}

function digest(value: string): Buffer {
  return createHash("sha256").update(value).digest();
}

function bearerMatches(header: string | undefined, expected: Buffer): boolean {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
  // Digests have equal length, so the comparison takes the same time whatever was sent.
  return match !== null && timingSafeEqual(digest(match[1] as string), expected);
}
