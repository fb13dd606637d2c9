// The scene the operations tests share: the fake Slack and fake GitHub in this process, the App as a
// real process (`node build/app/main.js`, what `npm start` runs) in a directory of its own (its `.env`
// and its SQLite file live there), and the real Action (dist/index.js) posting each request.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ACTION_IDS } from "../common/reference.js";
import { fakeSha } from "../testkit/fakes/github-state.js";
import { type RunningFakes, startFakes } from "../testkit/fakes/serve.js";
import type { FakeMessage } from "../testkit/fakes/slack.js";
import { newPrivateKey } from "../testkit/helpers/keys.js";
import {
  type Child,
  freePort,
  runActionStep,
  startAppProcess,
  waitForHealthy,
} from "../testkit/helpers/processes.js";
import { blockActionsPayload } from "../testkit/helpers/slack-clicks.js";
import { postSignedToSlackRoute, type RouteResponse } from "../testkit/helpers/slack-sign.js";

export const REPO = "acme/ops";
export const CHANNEL = "C0DEPLOYS";
export const BOT_TOKEN = "xoxb-ops-bot-token";
export const SIGNING_SECRET = "ops-slack-signing-secret";
export const WEBHOOK_SECRET = "ops-webhook-secret";
export const WORKFLOW_TOKEN = "ghs_opsWorkflowToken0000000000000000";
export const APP_ID = 515151;
export const ALICE = "U0ALICE";
const HEAD_SHA = fakeSha("ops:head");

export const POLICY = `environments:
  production:
    approvers:
      users: [${ALICE}]
    required-approvals: 1
github-users:
  ${ALICE}: alice-gh
`;

export interface RunningApp {
  child: Child;
  url: string;
}

export interface Scene {
  fakes: RunningFakes;
  /** The App's working directory: `.env`, `data/`. */
  dir: string;
  privateKey: string;
  /** Every setting the App needs, as `.env` or the environment would hold them. */
  settings(port: number): Record<string, string>;
  /**
   * Starts `node build/app/main.js` in `dir` with only PATH and HOME from this process plus `env`
   * (give the settings here, or write them to `dir/.env`), and waits for /healthz.
   */
  startApp(options: { port: number; env?: Record<string, string> }): Promise<RunningApp>;
  /** A run waiting on production, the Action's request posted for it, and its gate reported. */
  request(): Promise<{ runId: number; message: FakeMessage }>;
  click(appUrl: string, message: FakeMessage, user?: string): Promise<RouteResponse>;
  close(): Promise<void>;
}

export async function startScene(): Promise<Scene> {
  const dir = mkdtempSync(join(tmpdir(), "sdg-ops-"));
  const privateKey = newPrivateKey();
  const fakes = await startFakes({
    slack: { tokens: [BOT_TOKEN], users: { [ALICE]: { name: "alice", realName: "Alice Adams" } } },
    github: {
      appId: APP_ID,
      privateKey,
      webhookSecret: WEBHOOK_SECRET,
      staticTokens: { [WORKFLOW_TOKEN]: { repository: REPO } },
    },
  });
  fakes.github.addRepository({ fullName: REPO, files: { ".github/slack-deploy-gate.yml": POLICY } });
  fakes.github.addCommit(REPO, { sha: HEAD_SHA, message: "Ship it", author: "dana-dev" });
  fakes.github.addInstallation({ id: 5151, account: "acme", repositories: [REPO] });
  let nextRunId = 9001;

  const scene: Scene = {
    fakes,
    dir,
    privateKey,
    settings: (port) => ({
      APP_ID: String(APP_ID),
      PRIVATE_KEY: privateKey,
      WEBHOOK_SECRET,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_API_URL: fakes.slackUrl,
      GHE_HOST: fakes.githubHost,
      GHE_PROTOCOL: "http",
      PORT: String(port),
      HOST: "127.0.0.1",
      LOG_LEVEL: "info",
      SWEEP_INTERVAL_MS: "1000",
    }),

    async startApp({ port, env = {} }) {
      const child = startAppProcess({ cwd: dir, env });
      const url = `http://127.0.0.1:${port}`;
      fakes.github.webhookUrl = `${url}/api/github/webhooks`;
      await waitForHealthy(`${url}/healthz`, child, 60_000);
      return { child, url };
    },

    async request() {
      const runId = nextRunId++;
      fakes.github.addRun({
        repository: REPO,
        runId,
        headSha: HEAD_SHA,
        actor: "dana-dev",
        workflowName: "Deploy",
        waitingEnvironments: ["production"],
      });
      const step = await runActionStep({
        repository: REPO,
        runId,
        sha: HEAD_SHA,
        actor: "dana-dev",
        environment: "production",
        channel: CHANNEL,
        slackBotToken: BOT_TOKEN,
        slackApiUrl: fakes.slackUrl,
        githubToken: WORKFLOW_TOKEN,
        githubServerUrl: fakes.githubUrl,
        githubApiUrl: fakes.githubApiUrl,
        workDir: join(dir, `run-${runId}`),
      });
      if (step.code !== 0) throw new Error(`the Action failed (${step.code}):\n${step.log}`);
      const ts = step.outputs["message-ts"];
      const message = fakes.slack.messages.find((m) => m.ts === ts && !m.thread_ts);
      if (!message) throw new Error(`the Action reported message ${ts}, but the fake Slack has none`);
      const gate = await fakes.github.sendDeploymentProtectionRule(REPO, runId, "production");
      if (gate.status >= 300) throw new Error(`the App answered the gate with ${gate.status}: ${gate.body}`);
      return { runId, message };
    },

    click(appUrl, message, user = ALICE) {
      const payload = blockActionsPayload({
        message,
        actionId: ACTION_IDS.approve,
        user: { id: user },
        triggerId: fakes.slack.issueTriggerId(user),
      });
      return postSignedToSlackRoute(`${appUrl}/slack/interactions`, payload, SIGNING_SECRET);
    },

    async close() {
      await fakes.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return scene;
}

/** Writes `settings` to `dir/.env` the way a person would fill in .env.example: NAME=value lines. */
export function writeEnvFile(dir: string, settings: Record<string, string>): void {
  const lines = Object.entries(settings).map(([name, value]) =>
    // A PEM spans lines: Node's .env parser reads a double-quoted value with real newlines.
    value.includes("\n") ? `${name}="${value}"` : `${name}=${value}`,
  );
  writeFileSync(join(dir, ".env"), `${lines.join("\n")}\n`);
}

/** Parses Prometheus text exposition into `name{labels}` → value, checking every line's syntax. */
export function parseMetrics(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line === "" || /^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .+$/.test(line)) continue;
    const match =
      /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*\})?) (-?[0-9.e+-]+|NaN|[+-]Inf)$/.exec(
        line,
      );
    if (!match) throw new Error(`not Prometheus text exposition: ${JSON.stringify(line)}`);
    samples.set(match[1] as string, Number(match[2]));
  }
  return samples;
}

/** The sum of every sample of `name` whose labels include all of `labels`. */
export function sample(
  samples: Map<string, number>,
  name: string,
  labels: Record<string, string> = {},
): number {
  let total = 0;
  for (const [key, value] of samples) {
    const brace = key.indexOf("{");
    const metric = brace === -1 ? key : key.slice(0, brace);
    if (metric !== name) continue;
    const text = brace === -1 ? "" : key.slice(brace);
    if (Object.entries(labels).every(([k, v]) => text.includes(`${k}="${v}"`))) total += value;
  }
  return total;
}

export async function scrape(url: string, token?: string): Promise<Map<string, number>> {
  const response = await fetch(`${url}/metrics`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  if (response.status !== 200) throw new Error(`/metrics answered ${response.status}`);
  return parseMetrics(await response.text());
}

export { freePort };
