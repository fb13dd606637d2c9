// The App's front door without Probot: the ingress (app/http/ingress.ts) behind the App's own HTTP
// server (app/http/server.ts) on loopback, for tests of what the ingress itself decides. And the scene
// the webhook ingress tests share: the fake GitHub delivering signed webhooks to it, every typed event
// the ingress hands on recorded.
import type { Server } from "node:http";
import { type Logger, pino } from "pino";
import { afterAll, afterEach, beforeAll, beforeEach } from "vitest";
import type { GitHubEvent } from "../../app/github/events.js";
import { createIngress, type Ingress, type IngressOptions } from "../../app/http/ingress.js";
import { createAppServer, listen, type ServerLimits } from "../../app/http/server.js";
import { WEBHOOK_PATH } from "../../app/http/webhook-route.js";
import { type FakeGitHub, startFakeGitHub } from "../fakes/github.js";
import { type PostedWebhook, postWebhook } from "../fakes/github-webhooks.js";
import { DEFAULT_BOT_TOKEN, type FakeSlack, startFakeSlack } from "../fakes/slack.js";
import { newPrivateKey } from "./keys.js";

export interface ServedIngress {
  ingress: Ingress;
  server: Server;
  /** `http://127.0.0.1:PORT` */
  base: string;
  port: number;
  /** Drops every connection, closes the server and stops the ingress. */
  close(): Promise<void>;
}

export async function serveIngress(
  options: IngressOptions,
  server: { limits?: ServerLimits } = {},
): Promise<ServedIngress> {
  const ingress = createIngress(options);
  const http = createAppServer({ handlers: ingress.handlers, log: options.log, limits: server.limits });
  const port = await listen(http, 0, "127.0.0.1");
  return {
    ingress,
    server: http,
    base: `http://127.0.0.1:${port}`,
    port,
    async close() {
      http.closeAllConnections();
      await new Promise((resolve) => http.close(resolve));
      await ingress.stop();
    },
  };
}

export const INGRESS_REPO = "acme/api";
export const INGRESS_INSTALLATION = 77;
/** The delivery ID in GitHub's webhook documentation; what `deliver` sends. */
export const EXAMPLE_DELIVERY = "72d3162e-cc78-11e3-81ab-4c9367dc0958";

export interface WebhookIngressScene {
  github: FakeGitHub;
  slack: FakeSlack;
  /** The ingress of the running test. */
  ingress: Ingress;
  /** Where it is served (webhooks at WEBHOOK_PATH). */
  base: string;
  /** The typed events the ingress handed on during the running test, in order. */
  received: GitHubEvent[];
  /** A new run of INGRESS_REPO on the scene's commit, waiting on production. */
  addRun(): number;
  /** Posts `body` as GitHub delivers it, signed with the scene's secret (or `secret`). */
  deliver(
    event: string,
    body: string,
    options?: { secret?: string; headers?: Record<string, string> },
  ): Promise<PostedWebhook>;
}

/**
 * The fakes for the file's tests (INGRESS_REPO installed, `sha` committed), and for each test a fresh
 * ingress on loopback, which the fake GitHub delivers to. `handle` runs before an event is recorded
 * (throw from it to fail a delivery); `log` makes each test's logger.
 */
export function useWebhookIngress(options: {
  secret: string;
  appId: number;
  sha: string;
  /** Runs are numbered from here on. */
  firstRun: number;
  handle?: (event: GitHubEvent) => Promise<void>;
  log?: () => Logger;
  tuning?: IngressOptions["tuning"];
}): WebhookIngressScene {
  let github: FakeGitHub | undefined;
  let slack: FakeSlack | undefined;
  let served: ServedIngress | undefined;
  let received: GitHubEvent[] = [];
  let lastRun = options.firstRun;
  const started = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`${what} is not started yet (read outside a hook or test)`);
    return value;
  };

  beforeAll(async () => {
    github = await startFakeGitHub({
      appId: options.appId,
      privateKey: newPrivateKey(),
      webhookSecret: options.secret,
    });
    github.addRepository({ fullName: INGRESS_REPO, defaultBranch: "main" });
    github.addInstallation({ id: INGRESS_INSTALLATION, account: "acme", repositories: [INGRESS_REPO] });
    github.addCommit(INGRESS_REPO, { sha: options.sha, message: "Ship it" });
    slack = await startFakeSlack();
  });
  afterAll(async () => {
    await github?.close();
    await slack?.close();
  });
  beforeEach(async () => {
    received = [];
    served = await serveIngress({
      store: {} as never,
      interactions: { handle: async () => {} },
      events: {
        async handle(event) {
          await options.handle?.(event);
          received.push(event);
        },
      },
      slack: {
        signingSecret: "unused",
        botToken: DEFAULT_BOT_TOKEN,
        apiUrl: started(slack, "the fake Slack").url,
      },
      webhookSecret: options.secret,
      log: options.log?.() ?? pino({ level: "silent" }),
      tuning: options.tuning,
    });
    started(github, "the fake GitHub").webhookUrl = `${served.base}${WEBHOOK_PATH}`;
  });
  afterEach(async () => {
    await served?.close();
    served = undefined;
  });

  return {
    get github() {
      return started(github, "the fake GitHub");
    },
    get slack() {
      return started(slack, "the fake Slack");
    },
    get ingress() {
      return started(served, "the ingress").ingress;
    },
    get base() {
      return started(served, "the ingress").base;
    },
    get received() {
      return received;
    },
    addRun() {
      lastRun += 1;
      started(github, "the fake GitHub").addRun({
        repository: INGRESS_REPO,
        runId: lastRun,
        headSha: options.sha,
        actor: "dave",
        waitingEnvironments: ["production"],
      });
      return lastRun;
    },
    deliver(event, body, deliverOptions = {}) {
      return postWebhook(`${started(served, "the ingress").base}${WEBHOOK_PATH}`, {
        event,
        body,
        secret: deliverOptions.secret ?? options.secret,
        // GitHub's own example delivery ID, for tests that look for it in the App's log.
        delivery: EXAMPLE_DELIVERY,
        headers: deliverOptions.headers,
      });
    },
  };
}
