// The App served for real (Probot's HTTP server on loopback) against the fake Slack and fake GitHub,
// on a real SQLite file or a fresh PostgreSQL database. Requests are posted with the Action's own
// message code, and clicks are built from the buttons that were really posted.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Sqlite from "better-sqlite3";
import pg from "pg";
import { pino } from "pino";
import { type ApplicationFunction, Probot } from "probot";
import { AppOctokit } from "../../app/github/octokit.js";
import type { IngressOptions } from "../../app/http/ingress.js";
import { type ServedApp, serveApp } from "../../app/http/serve-app.js";
import { type AppHandle, slackDeployGate } from "../../app/index.js";
import { createReadiness } from "../../app/ops/readiness.js";
import { opsRoutes } from "../../app/ops/routes.js";
import { openStore } from "../../app/store/index.js";
import type { EffectKind, EffectRow, Store } from "../../app/store/types.js";
import { ACTION_IDS, newRequestId, type RequestReference } from "../../common/reference.js";
import { type FakeGitHub, startFakeGitHub } from "../fakes/github.js";
import {
  DEFAULT_BOT_TOKEN,
  FAKE_APP_ID,
  FAKE_TEAM_ID,
  type FakeMessage,
  type FakeSlack,
  startFakeSlack,
} from "../fakes/slack.js";
import { newPrivateKey } from "./keys.js";
import { CROWD_GROUP, crowdOf, policyFor, slackUsers, USERS } from "./people.js";
import { createTestDatabase, type TestDatabase } from "./postgres.js";
import { freePort } from "./processes.js";
import { postRequestToSlack, requestDetails } from "./request-message.js";
import { blockActionsPayload, viewSubmissionPayload } from "./slack-clicks.js";
import { postSignedToSlackRoute, type RouteResponse } from "./slack-sign.js";

export type Backend = "sqlite" | "postgres";

export const APP_ID = 4242;
export const WEBHOOK_SECRET = "webhook-secret-for-tests";
export const SIGNING_SECRET = "slack-signing-secret-for-tests";
export const REPO = "acme/api";
export const INSTALLATION_ID = 77;
/** The commit every run of the default scene is on. */
export const HEAD_SHA = "a".repeat(40);

export { CROWD_GROUP, USERS };
/** Carol's group. */
export const SRE_GROUP = "S0SRE";
/** Fifty approvers, for concurrent clicks. */
export const CROWD = crowdOf(50);

/** production: one approval from Alice, Bob, Dave or the SRE group; staging: two of Alice, Bob, Carol or the crowd. */
export const DEFAULT_POLICY = policyFor(
  `  production:
    approvers:
      users: [${USERS.alice}, ${USERS.bob}, ${USERS.dave}]
      groups: [${SRE_GROUP}]
    required-approvals: 1
  staging:
    approvers:
      users: [${USERS.alice}, ${USERS.bob}, ${USERS.carol}]
      groups: [${CROWD_GROUP}]
    required-approvals: 2
`,
  CROWD,
);

const privateKey = newPrivateKey();

export interface Harness {
  slack: FakeSlack;
  github: FakeGitHub;
  store: Store;
  appUrl: string;
  handle: AppHandle;
  /** Stops the App (not the fakes or the database) and starts a fresh one on the same database. */
  restart(): Promise<void>;
  close(): Promise<void>;
  addRun(runId: number, options?: { actor?: string; attempt?: number; environment?: string }): void;
  /** A new run waiting on `environment` (production), its request posted, and (unless gate: false) its gate reported. */
  newRequest(options?: {
    environment?: string;
    actor?: string;
    gate?: boolean;
  }): Promise<{ run: number; message: FakeMessage }>;
  /** Posts a request message as the Action does; returns the message as Slack stored it. */
  postRequest(
    runId: number,
    options?: { environment?: string; attempt?: number; repository?: string },
  ): Promise<FakeMessage>;
  click(message: FakeMessage, action: "approve" | "reject", user: string): Promise<RouteResponse>;
  /** Replaces the policy on the default branch and tells the App, as a push would. */
  setPolicy(text: string | null, repository?: string): Promise<void>;
  /** Submits the reject modal most recently opened for `user`. */
  submitReason(user: string, reason: string): Promise<RouteResponse>;
  gate(runId: number, environment?: string): Promise<void>;
  /** Moves the App's clock forward (decisions, expiry, when effects are due). */
  advanceClock(ms: number): void;
  /** The request id a posted request message carries. */
  requestIdOf(message: FakeMessage): string;
  /** How often the App called each store method (since the last `storeCalls.clear()`). */
  storeCalls: Map<string, number>;
  /** Runs SQL on the App's database behind its back (to break it on purpose). */
  exec(sql: string): Promise<void>;
  /** The request's effect of this kind (`github.review`, `slack.update`, …). */
  effect(requestId: string, kind: EffectKind): Promise<EffectRow | undefined>;
  /** Waits for every acknowledged interaction to finish its work. */
  settle(): Promise<void>;
  /** The reviews GitHub took for this run. */
  reviews(runId: number): FakeGitHub["reviews"];
  /** Every review call the App made for this run (taken or not). */
  reviewCalls(runId: number): FakeGitHub["requests"];
  message(ts: string): FakeMessage;
  ephemeralsFor(user: string): string[];
  threadOf(ts: string): string[];
}

export interface HarnessOptions {
  /** The policy on the default branch (DEFAULT_POLICY when not given; null: no policy file). */
  policy?: string | null;
  /** The App's private key, when a test needs one GitHub does not know. */
  privateKey?: string;
  /** The ingress's limits (a small work queue, to shed clicks). */
  ingress?: IngressOptions["tuning"];
}

export async function startHarness(backend: Backend, options: HarnessOptions = {}): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), "sdg-app-"));
  let database: TestDatabase | undefined;
  let databaseUrl: string;
  if (backend === "postgres") {
    database = await createTestDatabase();
    databaseUrl = database.url;
  } else {
    databaseUrl = `sqlite://${join(dir, "app.db")}`;
  }

  const slack = await startFakeSlack({
    users: slackUsers(CROWD, {
      alice: "Alice Approver",
      bob: "Bob Approver",
      carol: "Carol SRE",
      mallory: "Mallory Outsider",
      dave: "Dave Developer",
    }),
    usergroups: { [SRE_GROUP]: [USERS.carol], [CROWD_GROUP]: CROWD },
  });
  const github = await startFakeGitHub({ appId: APP_ID, privateKey, webhookSecret: WEBHOOK_SECRET });
  github.addRepository({ fullName: REPO, defaultBranch: "main" });
  github.addRepository({ fullName: "acme/.github", defaultBranch: "main" });
  github.addInstallation({ id: INSTALLATION_ID, account: "acme", repositories: [REPO, "acme/.github"] });
  const policy = options.policy === undefined ? DEFAULT_POLICY : options.policy;
  if (policy !== null) github.setFile(REPO, ".github/slack-deploy-gate.yml", policy);
  github.addCommit(REPO, { sha: HEAD_SHA, message: "Ship the thing\n\nDetails" });

  const log = pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" });
  let store!: Store;
  const storeCalls = new Map<string, number>();
  let server!: ServedApp;
  let handle!: AppHandle;
  let appUrl = "";

  async function start(): Promise<void> {
    store = counted(await openStore(databaseUrl), storeCalls);
    // A new port on every start, so that no pooled keep-alive socket to the previous server is reused.
    const port = await freePort();
    // GitHub sign-in (account linking) against the fake GitHub's OAuth web flow.
    const publicUrl = `http://127.0.0.1:${port}`;
    github.oauth.callbackUrls = [`${publicUrl}/github/link/callback`, `${publicUrl}/signin/github/callback`];
    const key = options.privateKey ?? privateKey;
    const readiness = createReadiness({ store, appId: APP_ID, privateKey: key });
    const app = slackDeployGate(
      {
        store,
        webhookSecret: WEBHOOK_SECRET,
        slackSigningSecret: SIGNING_SECRET,
        slackBotToken: DEFAULT_BOT_TOKEN,
        slackApiUrl: slack.url,
        sweepIntervalMs: 0,
        policyTtlMs: 60_000,
        now: () => new Date(Date.now() + clockOffsetMs),
        // Tests move the clock and sweep themselves.
        retryTimers: false,
        ingress: { workspaceRetryMs: 50, ...options.ingress },
        githubClient: { id: github.oauth.clientId, secret: github.oauth.clientSecret },
        publicUrl,
        githubApiUrl: github.apiUrl,
        // Tests prune the activity record themselves (handle.pruneActivity), on the moved clock.
        activityPruneIntervalMs: 0,
      },
      (h) => {
        handle = h;
      },
    );
    // As `npm start` serves it: the operator's routes first, then the App's.
    const appFn: ApplicationFunction = async (probot, helpers) => {
      await opsRoutes({ readiness, log })(probot, helpers);
      await app(probot, helpers);
    };
    server = await serveApp({
      Probot: Probot.defaults({
        appId: APP_ID,
        privateKey: key,
        secret: WEBHOOK_SECRET,
        baseUrl: github.apiUrl,
        Octokit: AppOctokit,
        log,
      }),
      appFn,
      port,
      host: "127.0.0.1",
      log,
    });
    appUrl = server.url;
    github.webhookUrl = `${appUrl}/api/github/webhooks`;
    await handle.ready();
  }

  async function stop(): Promise<void> {
    await server.stop();
    await handle.stop();
    await store.close();
  }

  await start();

  let lastRun = 0;
  let clockOffsetMs = 0;
  const harness: Harness = {
    slack,
    github,
    storeCalls,
    get store() {
      return store;
    },
    get appUrl() {
      return appUrl;
    },
    get handle() {
      return handle;
    },
    async restart() {
      await stop();
      await start();
    },
    async close() {
      await stop();
      await slack.close();
      await github.close();
      await database?.drop();
      rmSync(dir, { recursive: true, force: true });
    },
    addRun(runId, opts = {}) {
      github.addRun({
        repository: REPO,
        runId,
        runAttempt: opts.attempt ?? 1,
        headSha: HEAD_SHA,
        headBranch: "main",
        actor: opts.actor ?? "dave",
        workflowName: "Deploy",
        event: "push",
        waitingEnvironments: [opts.environment ?? "production"],
      });
    },
    async newRequest(opts = {}) {
      const run = 100_000 + ++lastRun;
      const environment = opts.environment ?? "production";
      harness.addRun(run, { environment, actor: opts.actor });
      const message = await harness.postRequest(run, { environment });
      if (opts.gate !== false) await harness.gate(run, environment);
      return { run, message };
    },
    async postRequest(runId, opts = {}) {
      const reference: RequestReference = {
        repository: opts.repository ?? REPO,
        runId,
        runAttempt: opts.attempt ?? 1,
        environment: opts.environment ?? "production",
        mode: "gate",
        requestId: newRequestId(),
      };
      return postRequestToSlack(
        slack,
        requestDetails({ reference, sha: HEAD_SHA, commitTitle: "Ship the thing", actor: "dave" }),
      );
    },
    async click(message, action, user) {
      const payload = blockActionsPayload({
        message: harness.message(message.ts),
        actionId: action === "approve" ? ACTION_IDS.approve : ACTION_IDS.reject,
        user: { id: user },
        triggerId: slack.issueTriggerId(user),
      });
      return postSignedToSlackRoute(`${appUrl}/slack/interactions`, payload, SIGNING_SECRET);
    },
    async setPolicy(text, repository = REPO) {
      github.setFile(repository, ".github/slack-deploy-gate.yml", text);
      const answer = await github.sendWebhook(
        "push",
        github.pushPayload(repository, [".github/slack-deploy-gate.yml"]),
      );
      if (answer.status >= 300) throw new Error(`the App answered the push with ${answer.status}`);
    },
    async submitReason(user, reason) {
      const opened = [...slack.views].reverse().find((v) => v.user === user) ?? slack.views.at(-1);
      if (!opened) throw new Error(`no modal was opened for ${user}`);
      const payload = viewSubmissionPayload({
        view: { ...(opened.view as object), id: opened.id } as never,
        values: { sdg_reason: { sdg_reason_input: { type: "plain_text_input", value: reason } } },
        // From the workspace and app the fake Slack serves, as a real submission would be.
        user: { id: user, teamId: FAKE_TEAM_ID },
        apiAppId: FAKE_APP_ID,
      });
      return postSignedToSlackRoute(`${appUrl}/slack/interactions`, payload, SIGNING_SECRET);
    },
    async gate(runId, environment = "production") {
      const answer = await github.sendDeploymentProtectionRule(REPO, runId, environment);
      if (answer.status >= 300)
        throw new Error(`the App answered the webhook with ${answer.status}: ${answer.body}`);
    },
    async exec(sql) {
      if (database) {
        const client = new pg.Client({ connectionString: database.url });
        await client.connect();
        try {
          await client.query(sql);
        } finally {
          await client.end();
        }
      } else {
        const db = new Sqlite(join(dir, "app.db"));
        try {
          db.exec(sql);
        } finally {
          db.close();
        }
      }
    },
    advanceClock(ms) {
      clockOffsetMs += ms;
    },
    requestIdOf(message) {
      return String(message.metadata?.event_payload.request_id);
    },
    async effect(requestId, kind) {
      return (await store.listEffects(requestId)).find((e) => e.id === `${requestId}:${kind}`);
    },
    settle: () => handle.idle(),
    reviews: (runId) => github.reviews.filter((r) => r.runId === runId),
    reviewCalls: (runId) =>
      github.requests.filter(
        (r) => r.method === "POST" && r.path.endsWith(`/runs/${runId}/deployment_protection_rule`),
      ),
    message(ts) {
      const found = slack.messages.find((m) => m.ts === ts && !m.thread_ts);
      if (!found) throw new Error(`no message ${ts}`);
      return found;
    },
    ephemeralsFor(user) {
      return slack.ephemerals.filter((e) => e.user === user).map((e) => e.text);
    },
    threadOf(ts) {
      return slack.messages.filter((m) => m.thread_ts === ts).map((m) => m.text);
    },
  };
  return harness;
}

/** The store, counting calls per method (what a click costs the database). */
function counted(store: Store, calls: Map<string, number>): Store {
  return new Proxy(store, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver);
      if (typeof value !== "function" || typeof name !== "string") return value;
      return (...args: unknown[]) => {
        calls.set(name, (calls.get(name) ?? 0) + 1);
        return value.apply(target, args);
      };
    },
  });
}

/** The status line the App put in place of (or above) the buttons, or undefined. */
export function statusText(message: FakeMessage): string | undefined {
  const block = (message.blocks as { block_id?: string; text?: { text?: string } }[]).find(
    (b) => b.block_id === "sdg_status",
  );
  return block?.text?.text;
}

export function hasButtons(message: FakeMessage): boolean {
  return (message.blocks as { block_id?: string }[]).some((b) => b.block_id === "sdg_actions");
}
