// An HTTP control API over the fake Slack and fake GitHub, so that another process (the end-to-end
// test, the sandbox) can set the scene, send webhooks and read what happened. Loopback only; JSON in
// and out; a bad request answers 400 with `{error}` naming the problem.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { BodyTooLargeError, readBody } from "../../app/slack/read-body.js";
import { listenOnLoopback } from "../loopback.js";
import type { FakeGitHub } from "./github.js";
import type { NewRun } from "./github-state.js";
import type { FailureKind, FakeSlack } from "./slack.js";

const MAX_BODY_BYTES = 2 * 1024 * 1024;

export interface ControlServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

class BadRequest extends Error {}

type Json = Record<string, unknown>;
type Route = (body: Json, query: URLSearchParams) => unknown | Promise<unknown>;

export async function startControlServer(
  fakes: { slack: FakeSlack; github: FakeGitHub },
  options: { port?: number } = {},
): Promise<ControlServer> {
  const { slack, github } = fakes;

  const routes: Record<string, Route> = {
    "GET /health": () => ({ ok: true }),

    "GET /slack/state": () => ({
      messages: slack.messages,
      ephemerals: slack.ephemerals,
      views: slack.views,
    }),
    "GET /slack/calls": (_body, query) => {
      const method = query.get("method");
      return method ? slack.callsTo(method) : slack.calls;
    },
    "POST /slack/trigger-ids": (body) => ({ triggerId: slack.issueTriggerId(optionalString(body, "user")) }),
    "POST /slack/fail-next": (body) => {
      slack.failNext(
        string(body, "method"),
        string(body, "kind") as FailureKind,
        optionalNumber(body, "times"),
      );
      return { ok: true };
    },
    "POST /slack/rate-limit": (body) => {
      slack.rateLimit(string(body, "method"), {
        seconds: number(body, "seconds"),
        times: optionalNumber(body, "times"),
      });
      return { ok: true };
    },
    "POST /slack/reset": () => {
      slack.reset();
      return { ok: true };
    },

    "POST /github/installations": (body) => {
      github.addInstallation({
        id: number(body, "id"),
        account: string(body, "account"),
        repositories: stringArray(body, "repositories"),
      });
      return { ok: true };
    },
    "POST /github/repositories": (body) => {
      const files = body.files;
      if (files !== undefined && (typeof files !== "object" || files === null))
        throw new BadRequest("files must be an object");
      github.addRepository({
        fullName: string(body, "fullName"),
        defaultBranch: optionalString(body, "defaultBranch"),
        private: body.private === true,
        files: files as Record<string, string> | undefined,
      });
      return { ok: true };
    },
    "PUT /github/files": (body) => {
      const content = body.content;
      if (content !== null && typeof content !== "string")
        throw new BadRequest("content must be a string, or null to delete");
      github.setFile(
        string(body, "repository"),
        string(body, "path"),
        content,
        optionalString(body, "branch"),
      );
      return { ok: true };
    },
    "POST /github/commits": (body) => {
      github.addCommit(string(body, "repository"), {
        sha: string(body, "sha"),
        message: string(body, "message"),
        author: optionalString(body, "author"),
      });
      return { ok: true };
    },
    "POST /github/runs": (body) => {
      github.addRun(body as unknown as NewRun);
      return github.getRun(string(body, "repository"), number(body, "runId"));
    },
    "GET /github/runs": (_body, query) =>
      github.getRun(queryString(query, "repository"), Number(queryString(query, "runId"))),
    "POST /github/runs/rerun": (body) => {
      github.rerun(string(body, "repository"), number(body, "runId"));
      return github.getRun(string(body, "repository"), number(body, "runId"));
    },
    "POST /github/runs/cancel": (body) => {
      github.cancelRun(string(body, "repository"), number(body, "runId"));
      return github.getRun(string(body, "repository"), number(body, "runId"));
    },
    "GET /github/reviews": () => github.reviews,
    "GET /github/violations": () => github.violations,
    "GET /github/requests": () => github.requests,
    "GET /github/check-runs": (_body, query) => github.checkRuns(queryString(query, "repository")),
    "POST /github/webhook-url": (body) => {
      github.webhookUrl = string(body, "url");
      return { ok: true };
    },
    "POST /github/webhooks/deployment-protection-rule": (body) =>
      github.sendDeploymentProtectionRule(
        string(body, "repository"),
        number(body, "runId"),
        string(body, "environment"),
      ),
    "POST /github/webhooks/push": (body) =>
      github.sendWebhook("push", github.pushPayload(string(body, "repository"), stringArray(body, "files"))),
    "POST /github/webhooks": (body) => {
      const payload = body.payload;
      if (typeof payload !== "object" || payload === null) throw new BadRequest("payload must be an object");
      return github.sendWebhook(string(body, "event"), payload);
    },
    "POST /github/fail-next": (body) => {
      github.failNext(
        { method: optionalString(body, "method"), path: new RegExp(string(body, "path")) },
        number(body, "status"),
        optionalNumber(body, "times"),
      );
      return { ok: true };
    },
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      // What the fakes throw (unknown repository, malformed sha, bad JSON) is the caller's mistake.
      const message = error instanceof Error ? error.message : String(error);
      if (!res.headersSent) sendJson(res, 400, { error: message });
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const route = routes[`${req.method} ${url.pathname}`];
    const raw = (
      await readBody(req, MAX_BODY_BYTES).catch((error: unknown) => {
        throw error instanceof BodyTooLargeError ? new BadRequest("body over 2 MiB") : error;
      })
    ).toString("utf8");
    if (!route) {
      sendJson(res, 404, { error: `no control route ${req.method} ${url.pathname}` });
      return;
    }
    const body = raw.length ? (JSON.parse(raw) as unknown) : {};
    if (typeof body !== "object" || body === null || Array.isArray(body))
      throw new BadRequest("body must be a JSON object");
    sendJson(res, 200, (await route(body as Json, url.searchParams)) ?? { ok: true });
  }

  const port = await listenOnLoopback(server, options.port);
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function string(body: Json, name: string): string {
  const value = body[name];
  if (typeof value !== "string" || value === "") throw new BadRequest(`${name} must be a non-empty string`);
  return value;
}

function optionalString(body: Json, name: string): string | undefined {
  return body[name] === undefined ? undefined : string(body, name);
}

function number(body: Json, name: string): number {
  const value = body[name];
  if (typeof value !== "number" || !Number.isFinite(value)) throw new BadRequest(`${name} must be a number`);
  return value;
}

function optionalNumber(body: Json, name: string): number | undefined {
  return body[name] === undefined ? undefined : number(body, name);
}

function stringArray(body: Json, name: string): string[] {
  const value = body[name];
  if (!Array.isArray(value) || !value.every((v) => typeof v === "string")) {
    throw new BadRequest(`${name} must be an array of strings`);
  }
  return value;
}

function queryString(query: URLSearchParams, name: string): string {
  const value = query.get(name);
  if (!value) throw new BadRequest(`query parameter ${name} is required`);
  return value;
}

function sendJson(res: ServerResponse, status: number, payload: unknown): void {
  const body = JSON.stringify(payload);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(body),
  });
  res.end(body);
}
