// The scene of the attack suite (test/attacks/): the App as a real process (build/app/main.js, as
// `npm start` runs it) on a fresh PostgreSQL database, with a fault proxy in front of the fake GitHub
// and one in front of the fake Slack, so a test can break either side the way networks and the real
// services break, and can read everything the App sent them. Requests are posted with the Action's
// own message code; clicks are built from the buttons that were really posted and signed as Slack
// signs them. More replicas can join on the same database.
//
// SDG_APP_ROOT=/path/to/another/checkout runs the suite against that checkout's build/ (built there
// beforehand): how to see which attacks a fix turns from failing to passing.
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { ACTION_IDS, BLOCK_IDS, newRequestId, type RequestReference } from "../../common/reference.js";
import { type FakeGitHub, startFakeGitHub } from "../fakes/github.js";
import { postWebhook } from "../fakes/github-webhooks.js";
import { type FakeMessage, type FakeSlack, startFakeSlack } from "../fakes/slack.js";
import { type FaultProxy, startFaultProxy } from "../fault-proxy.js";
import { newPrivateKey } from "./keys.js";
import { CROWD_GROUP, crowdOf, namesOf, policyFor, slackUsers, USERS } from "./people.js";
import { createTestDatabase, type TestDatabase } from "./postgres.js";
import { type Child, freePort, PROJECT_ROOT, startApp, waitFor } from "./processes.js";
import { postRequestToSlack, requestDetails } from "./request-message.js";
import { blockActionsPayload, viewSubmissionPayload } from "./slack-clicks.js";
import { type PostOptions, postSignedToSlackRoute, type RouteResponse } from "./slack-sign.js";

export const APP_ID = 515151;
export const INSTALLATION_ID = 8080;
export const REPO = "acme/shop";
export const POLICY_PATH = ".github/slack-deploy-gate.yml";
export const HEAD_SHA = "b".repeat(40);
/** GitHub paths a test breaks on purpose: the run look-up and the review of a run's gate. */
export const runPath = (run: number) => new RegExp(`/actions/runs/${run}$`);
export const reviewPath = (run: number) => new RegExp(`/actions/runs/${run}/deployment_protection_rule$`);
/** Where the App's own code must run from (another checkout's build, or this one's). */
export const APP_ROOT = process.env.SDG_APP_ROOT ?? PROJECT_ROOT;

/** Every secret the App is given; none may ever appear in its output. */
export const SECRETS = {
  webhookSecret: `whsec-${randomBytes(12).toString("hex")}`,
  signingSecret: `slack-signing-${randomBytes(12).toString("hex")}`,
  botToken: `xoxb-attack-${randomBytes(10).toString("hex")}`,
  databasePassword: `dbpw-${randomBytes(10).toString("hex")}`,
};

export { CROWD_GROUP, USERS };
export const CROWD = crowdOf(20);
/** Slack user ID → the name Slack shows (and, where the policy maps one, the same GitHub login). */
export const NAMES = namesOf(CROWD);

/**
 * Whether a review comment names this person: by Slack ID, Slack name or GitHub login (how it
 * names people is the App's choice; that it names the right ones is not).
 */
export function names(comment: string | undefined, user: string): boolean {
  const name = NAMES[user];
  return (
    (comment ?? "").includes(user) || (name !== undefined && new RegExp(`\\b${name}\\b`).test(comment ?? ""))
  );
}

/** production: one approval from Alice, Bob, Carol or the crowd; staging: two of Alice, Bob, Carol. */
export const DEFAULT_POLICY = policyFor(
  `  production:
    approvers:
      users: [${USERS.alice}, ${USERS.bob}, ${USERS.carol}]
      groups: [${CROWD_GROUP}]
    required-approvals: 1
  staging:
    approvers:
      users: [${USERS.alice}, ${USERS.bob}, ${USERS.carol}]
    required-approvals: 2
  default:
    approvers:
      users: [${USERS.alice}]
`,
  CROWD,
);

export interface AppProcess {
  name: string;
  url: string;
  child: Child;
  pid: number;
  /** VmRSS and VmHWM (peak) of the App's process, in MiB, from /proc/<pid>/status. */
  memory(): { rssMiB: number; hwmMiB: number };
  /** SIGKILL: no shutdown, no draining, as a crash or an OOM kill. */
  kill(): Promise<void>;
  /** True once kill() was called: its exit is expected. */
  readonly killed: boolean;
}

export interface AppOptions {
  name?: string;
  privateKey?: string;
  logLevel?: string;
  env?: Record<string, string>;
}

export interface AttackScene {
  slack: FakeSlack;
  github: FakeGitHub;
  /** In front of the fake Slack: every Slack call the App makes passes here. */
  slackProxy: FaultProxy;
  /** In front of the fake GitHub: every GitHub call the App makes passes here. */
  githubProxy: FaultProxy;
  database: TestDatabase;
  privateKey: string;
  /** The first replica still running (webhooks go to it). */
  app: AppProcess;
  apps: AppProcess[];
  /** Starts one more App process on the same database and fakes. */
  startApp(options?: AppOptions): Promise<AppProcess>;
  /** A new run waiting on `environment`, its request posted as the Action posts it, and its gate reported. */
  newRequest(options?: {
    environment?: string;
    /** The environment the button names, when it differs from the run's (a crafted button). */
    buttonEnvironment?: string;
    gate?: boolean;
  }): Promise<{ run: number; message: FakeMessage }>;
  /** A click on the message's button as Slack would send it (a fresh trigger_id for `user`). */
  clickPayload(message: FakeMessage, action: "approve" | "reject", user: string): Record<string, unknown>;
  click(
    message: FakeMessage,
    action: "approve" | "reject",
    user: string,
    options?: {
      app?: AppProcess;
      /** Changes the payload before it is signed (another workspace, a crafted value…). */
      edit?: (payload: Record<string, unknown>) => void;
      /** Signs with this secret, at this time, or tampers, instead of signing as Slack does. */
      signing?: PostOptions & { secret?: string };
    },
  ): Promise<RouteResponse>;
  /** Submits the reason form most recently opened for `user`. */
  submitReason(user: string, reason: string, options?: { app?: AppProcess }): Promise<RouteResponse>;
  /** Replaces the policy on the default branch and tells the App, as a push does. */
  setPolicy(text: string): Promise<void>;
  gate(run: number, environment?: string): Promise<void>;
  /** Posts a webhook signed with the App's secret (or `signature`), exactly `body` as given. */
  webhook(
    event: string,
    body: string,
    options?: { app?: AppProcess; signature?: string; timeoutMs?: number },
  ): Promise<RouteResponse>;
  message(ts: string): FakeMessage;
  thread(ts: string): string[];
  ephemerals(user: string): string[];
  reviews(run: number): FakeGitHub["reviews"];
  /** Everything the App sent to Slack since `since` (an index into slackProxy.requests). */
  slackWrites(since?: number): SlackWrite[];
  /**
   * Waits until neither GitHub nor Slack has heard from the App for `quietMs`: the App has finished
   * what it was doing. Orders a test's steps; assertions still look for what the App did.
   */
  quiet(quietMs?: number): Promise<void>;
  /** Waits until a probe holds, failing early (with the App's output) if an App process dies. */
  until<T>(
    what: string,
    probe: () => T | undefined | false | Promise<T | undefined | false>,
    timeoutMs?: number,
  ): Promise<T>;
  /** The message's status once it says how the decision ended at GitHub (applied, or not). */
  settledStatus(ts: string, timeoutMs?: number): Promise<string>;
  /** Every App process's output so far. */
  output(): string;
  close(): Promise<void>;
}

export interface SlackWrite {
  method: string;
  fields: Record<string, unknown>;
  /** Every string of the call that Slack reads as mrkdwn (where `<…>` is markup): text, blocks, view. */
  markupText: string[];
}

export async function startAttackScene(options: { policy?: string } = {}): Promise<AttackScene> {
  const privateKey = newPrivateKey();
  const slack = await startFakeSlack({
    tokens: [SECRETS.botToken],
    users: slackUsers(CROWD, {
      alice: "Alice Approver",
      bob: "Bob Approver",
      carol: "Carol Approver",
      mallory: "Mallory Outsider",
      dave: "Dave Developer",
    }),
    usergroups: { [CROWD_GROUP]: CROWD },
  });
  const github = await startFakeGitHub({ appId: APP_ID, privateKey, webhookSecret: SECRETS.webhookSecret });
  github.addRepository({ fullName: REPO, defaultBranch: "main" });
  github.addRepository({ fullName: "acme/.github", defaultBranch: "main" });
  github.addInstallation({ id: INSTALLATION_ID, account: "acme", repositories: [REPO, "acme/.github"] });
  github.setFile(REPO, POLICY_PATH, options.policy ?? DEFAULT_POLICY);
  github.addCommit(REPO, { sha: HEAD_SHA, message: "Ship the cart\n\nDetails" });
  const slackProxy = await startFaultProxy({ target: slack.url.replace(/\/api\/$/, ""), flavor: "slack" });
  const githubProxy = await startFaultProxy({ target: github.url, flavor: "github" });
  const database = await createTestDatabase();
  const databaseUrl = new URL(database.url);
  // Trust authentication ignores it; it is here to be looked for in the App's output.
  databaseUrl.password = SECRETS.databasePassword;

  const apps: AppProcess[] = [];
  let appCount = 0;

  async function launch(appOptions: AppOptions = {}): Promise<AppProcess> {
    appCount += 1;
    const name = appOptions.name ?? `app${appCount}`;
    const port = await freePort();
    const { child, url } = await startApp(
      {
        appId: APP_ID,
        privateKey: appOptions.privateKey ?? privateKey,
        webhookSecret: SECRETS.webhookSecret,
        slackSigningSecret: SECRETS.signingSecret,
        slackBotToken: SECRETS.botToken,
        slackApiUrl: `${slackProxy.url}/api/`,
        githubHost: githubProxy.host,
        databaseUrl: databaseUrl.href,
        port,
        logLevel: appOptions.logLevel ?? "info",
        sweepIntervalMs: 1000,
        env: appOptions.env,
      },
      APP_ROOT,
    );
    child.name = name;
    const pid = child.process.pid;
    if (pid === undefined) throw new Error(`${name} has no pid`);
    let killed = false;
    const app: AppProcess = {
      name,
      url,
      child,
      pid,
      get killed() {
        return killed;
      },
      memory: () => readMemory(pid),
      async kill() {
        killed = true;
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // Already gone.
        }
        await child.exited;
        await child.stop(0);
      },
    };
    apps.push(app);
    if (!github.webhookUrl) github.webhookUrl = `${url}/api/github/webhooks`;
    return app;
  }

  const first = await launch();
  let lastRun = 0;

  const message = (ts: string): FakeMessage => {
    const found = slack.messages.find((m) => m.ts === ts && !m.thread_ts);
    if (!found) throw new Error(`no message ${ts}`);
    return found;
  };
  const live = () => apps.find(isRunning);

  const scene: AttackScene = {
    slack,
    github,
    slackProxy,
    githubProxy,
    database,
    privateKey,
    get app() {
      return live() ?? first;
    },
    apps,
    startApp: launch,
    async newRequest(opts = {}) {
      const run = 700_000 + ++lastRun;
      const environment = opts.environment ?? "production";
      github.addRun({
        repository: REPO,
        runId: run,
        runAttempt: 1,
        headSha: HEAD_SHA,
        headBranch: "main",
        actor: "dave",
        workflowName: "Deploy",
        event: "push",
        waitingEnvironments: [environment],
      });
      const reference: RequestReference = {
        repository: REPO,
        runId: run,
        runAttempt: 1,
        environment: opts.buttonEnvironment ?? environment,
        mode: "gate",
        requestId: newRequestId(),
      };
      // Straight to the fake: the Action's post is not the App's traffic.
      const posted = await postRequestToSlack(
        slack,
        requestDetails({ reference, sha: HEAD_SHA, commitTitle: "Ship the cart", actor: "dave" }),
        { token: SECRETS.botToken },
      );
      if (opts.gate !== false) await scene.gate(run, environment);
      return { run, message: posted };
    },
    clickPayload(target, action, user) {
      return blockActionsPayload({
        message: message(target.ts),
        actionId: action === "approve" ? ACTION_IDS.approve : ACTION_IDS.reject,
        user: { id: user },
        triggerId: slack.issueTriggerId(user),
      });
    },
    async click(target, action, user, opts = {}) {
      const payload = scene.clickPayload(target, action, user);
      opts.edit?.(payload);
      const app = opts.app ?? scene.app;
      const { secret, ...signing } = opts.signing ?? {};
      return postSignedToSlackRoute(
        `${app.url}/slack/interactions`,
        payload,
        secret ?? SECRETS.signingSecret,
        signing,
      );
    },
    async submitReason(user, reason, opts = {}) {
      const opened = [...slack.views].reverse().find((v) => v.user === user);
      if (!opened) throw new Error(`no reason form was opened for ${user}`);
      const payload = viewSubmissionPayload({
        view: { ...(opened.view as object), id: opened.id } as never,
        values: { sdg_reason: { sdg_reason_input: { type: "plain_text_input", value: reason } } },
        user: { id: user },
      });
      const app = opts.app ?? scene.app;
      return postSignedToSlackRoute(`${app.url}/slack/interactions`, payload, SECRETS.signingSecret);
    },
    async setPolicy(text) {
      github.setFile(REPO, POLICY_PATH, text);
      // Every replica caches the policy; each hears the push (GitHub would tell one, the others'
      // caches expire), so that every click below sees the new policy.
      for (const app of apps.filter(isRunning)) {
        github.webhookUrl = `${app.url}/api/github/webhooks`;
        const answer = await github.sendWebhook("push", github.pushPayload(REPO, [POLICY_PATH]));
        if (answer.status >= 300) throw new Error(`${app.name} answered the push with ${answer.status}`);
      }
      github.webhookUrl = `${scene.app.url}/api/github/webhooks`;
    },
    async gate(run, environment = "production") {
      const target = live() ?? scene.app;
      github.webhookUrl = `${target.url}/api/github/webhooks`;
      const answer = await github.sendDeploymentProtectionRule(REPO, run, environment);
      if (answer.status >= 300)
        throw new Error(`the App answered the gate with ${answer.status}: ${answer.body}`);
    },
    webhook(event, body, opts = {}) {
      const app = opts.app ?? scene.app;
      return postWebhook(`${app.url}/api/github/webhooks`, {
        event,
        body,
        secret: SECRETS.webhookSecret,
        signature: opts.signature,
        signal: opts.timeoutMs === undefined ? undefined : AbortSignal.timeout(opts.timeoutMs),
      });
    },
    message,
    thread: (ts) => slack.messages.filter((m) => m.thread_ts === ts).map((m) => m.text),
    ephemerals: (user) => slack.ephemerals.filter((e) => e.user === user).map((e) => e.text),
    reviews: (run) => github.reviews.filter((r) => r.runId === run),
    slackWrites(since = 0) {
      return slackProxy.requests.slice(since).map((r) => {
        const method = r.path.replace(/^\/api\//, "").split("?")[0] ?? "";
        const fields = decodeSlackBody(r.body);
        return { method, fields, markupText: markupText(fields) };
      });
    },
    async quiet(quietMs = 500) {
      const traffic = () => slackProxy.requests.length + githubProxy.requests.length;
      let seen = traffic();
      let since = Date.now();
      const deadline = Date.now() + 15_000;
      while (Date.now() - since < quietMs && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        if (traffic() !== seen) {
          seen = traffic();
          since = Date.now();
        }
      }
    },
    async until(what, probe, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      return waitFor(
        what,
        async () => {
          const dead = apps.find((a) => !a.killed && !isRunning(a));
          if (dead) throw new Error(`${dead.name} exited\n${dead.child.output()}`);
          return probe();
        },
        { timeoutMs: Math.max(0, deadline - Date.now()), intervalMs: 50 },
      ).catch((error: unknown) => {
        throw new Error(
          `${(error as Error).message}\n--- App output (last 4 KiB) ---\n${scene.output().slice(-4096)}`,
        );
      });
    },
    settledStatus(ts, timeoutMs = 30_000) {
      return scene
        .until(
          "the message to say how the decision ended at GitHub",
          () => {
            const status = statusText(message(ts));
            return /resumed|stopped|not applied/.test(status) ? status : undefined;
          },
          timeoutMs,
        )
        .catch((error: unknown) => {
          const shown = statusText(message(ts)) || "(no status: the buttons alone)";
          throw new Error(`the message shows: ${shown}\n${(error as Error).message}`);
        });
    },
    output: () => apps.map((a) => a.child.output()).join("\n"),
    async close() {
      await Promise.allSettled(apps.map((a) => a.child.stop(2000)));
      await Promise.allSettled([slackProxy.close(), githubProxy.close()]);
      await Promise.allSettled([slack.close(), github.close()]);
      await database.drop();
    },
  };
  return scene;
}

function isRunning(app: AppProcess): boolean {
  return app.child.process.exitCode === null && app.child.process.signalCode === null;
}

function readMemory(pid: number): { rssMiB: number; hwmMiB: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = (field: string) =>
    Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? Number.NaN);
  return { rssMiB: kib("VmRSS") / 1024, hwmMiB: kib("VmHWM") / 1024 };
}

const JSON_FIELDS = ["blocks", "view", "attachments", "metadata"];

function decodeSlackBody(body: string): Record<string, unknown> {
  const trimmed = body.trim();
  if (trimmed.startsWith("{")) {
    try {
      return JSON.parse(trimmed) as Record<string, unknown>;
    } catch {
      return {};
    }
  }
  const fields: Record<string, unknown> = Object.fromEntries(new URLSearchParams(body));
  for (const name of JSON_FIELDS) {
    const value = fields[name];
    if (typeof value !== "string") continue;
    try {
      fields[name] = JSON.parse(value);
    } catch {
      // Left as sent.
    }
  }
  return fields;
}

/**
 * Strings Slack reads as mrkdwn: a message's `text` (unless `mrkdwn` is off) and every mrkdwn text
 * object in its blocks or view. plain_text shows `<…>` literally, so it is left out.
 */
function markupText(fields: Record<string, unknown>): string[] {
  const found: string[] = [];
  const visit = (value: unknown) => {
    if (Array.isArray(value)) for (const item of value) visit(item);
    else if (value && typeof value === "object") {
      const object = value as Record<string, unknown>;
      if (object.type === "mrkdwn" && typeof object.text === "string") found.push(object.text);
      else if (object.type !== "plain_text") for (const child of Object.values(object)) visit(child);
    }
  };
  if (typeof fields.text === "string" && fields.mrkdwn !== false && fields.mrkdwn !== "false")
    found.push(fields.text);
  visit(fields.blocks);
  visit(fields.view);
  return found;
}

/** The status line the App put in place of (or above) the buttons; empty while there is none. */
export function statusText(message: FakeMessage): string {
  const block = (message.blocks as { block_id?: string; text?: { text?: string } }[]).find(
    (b) => b.block_id === BLOCK_IDS.status,
  );
  return block?.text?.text ?? "";
}

export function hasButtons(message: FakeMessage): boolean {
  return (message.blocks as { block_id?: string }[]).some((b) => b.block_id === BLOCK_IDS.actions);
}
