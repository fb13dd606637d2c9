// The world the bench runs in: the fake Slack and fake GitHub in this process (the App and the load
// generator run as their own processes), one repository with its policy, a large Slack group of
// approvers, and helpers to open approval requests the way the Action does (a run waiting on an
// environment, and the request message really posted to the fake Slack).
import { generateKeyPairSync } from "node:crypto";
import { ANNOUNCE_TITLE, formatAnnouncement } from "../../common/announce.js";
import { buildRequestMessage } from "../../common/message.js";
import { newRequestId } from "../../common/reference.js";
import { type FakeGitHub, startFakeGitHub } from "../../testkit/fakes/github.js";
import { fakeSha } from "../../testkit/fakes/github-state.js";
import {
  type FakeMessage,
  type FakeSlack,
  type FakeUser,
  startFakeSlack,
} from "../../testkit/fakes/slack.js";

export const REPO = "acme/shop";
export const CHANNEL = "C0DEPLOYS";
export const SLACK_TOKEN = "xoxb-bench-bot-token";
export const WORKFLOW_TOKEN = "ghs_benchWorkflowToken00000000000000";
export const SIGNING_SECRET = "bench-slack-signing-secret";
export const WEBHOOK_SECRET = "bench-webhook-secret";
export const APP_ID = 515151;
export const INSTALLATION_ID = 60606;
export const HEAD_SHA = fakeSha("bench:head");
/** Needs 20 approvals (the policy maximum), so load clicks record votes without ever deciding. */
export const LOAD_ENVIRONMENT = "production";
/** One approval decides, so a click goes all the way to GitHub. */
export const DECIDE_ENVIRONMENT = "staging";
export const VOTES_PER_LOAD_REQUEST = 19;
export const GROUP_ID = "S0APPROVERS";
export const GROUP_SIZE = 1000;

const TRIGGERED_BY = "release-bot";

export const POLICY = `environments:
  ${LOAD_ENVIRONMENT}:
    approvers:
      groups: [${GROUP_ID}]
    required-approvals: 20
    allow-self-approval: true # the figures are about throughput; nobody here triggers runs
  ${DECIDE_ENVIRONMENT}:
    approvers:
      groups: [${GROUP_ID}]
    required-approvals: 1
    allow-self-approval: true
`;

/** The request message the Action would post for a bench run (what every figure clicks on). */
export function sampleRequestMessage(
  serverUrl: string,
  runId: number,
  environment = "production",
  requestId = newRequestId(),
) {
  return buildRequestMessage({
    reference: { repository: REPO, runId, runAttempt: 1, environment, mode: "gate", requestId },
    serverUrl,
    workflow: "Deploy",
    ref: "refs/heads/main",
    sha: HEAD_SHA,
    commitTitle: "Ship the new checkout",
    actor: TRIGGERED_BY,
    eventName: "push",
    mentions: [],
  });
}

export interface Scene {
  slack: FakeSlack;
  github: FakeGitHub;
  privateKey: string;
  approvers: string[];
  /**
   * Opens a request: a run waiting on `environment`, and its message posted to Slack (a snapshot).
   * `announce`: the notice the Action writes on its job in gate mode, so that the App adopts the
   * message when GitHub reports the gate, before anyone clicks (README: Requests the App posts).
   */
  openRequest(
    environment: string,
    options?: { announce?: boolean },
  ): Promise<{ runId: number; message: FakeMessage }>;
  /** Resolves when the App next updates the message posted at `ts` (chat.update). */
  messageUpdate(ts: string): Promise<void>;
  /** Resolves with performance.now() when GitHub receives the next review of `runId`. */
  reviewArrival(runId: number): Promise<number>;
  /** Drops recorded calls and finished messages, so the fakes' linear look-ups stay short. */
  prune(keepMessages?: Set<string>): void;
  close(): Promise<void>;
}

export async function startScene(): Promise<Scene> {
  const { privateKey } = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    privateKeyEncoding: { type: "pkcs1", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  });
  const approvers = Array.from({ length: GROUP_SIZE }, (_, i) => `U0AP${String(i).padStart(5, "0")}`);
  const users: Record<string, FakeUser> = {};
  for (const id of approvers) users[id] = { name: id.toLowerCase(), realName: `Approver ${id.slice(4)}` };

  const slack = await startFakeSlack({
    tokens: [SLACK_TOKEN],
    users,
    usergroups: { [GROUP_ID]: approvers },
  });
  const github = await startFakeGitHub({
    appId: APP_ID,
    privateKey,
    webhookSecret: WEBHOOK_SECRET,
    staticTokens: { [WORKFLOW_TOKEN]: { repository: REPO } },
  });
  github.addRepository({ fullName: REPO, files: { ".github/slack-deploy-gate.yml": POLICY } });
  github.addCommit(REPO, {
    sha: HEAD_SHA,
    message: "Ship the new checkout\n\nDetails.",
    author: TRIGGERED_BY,
  });
  github.addInstallation({ id: INSTALLATION_ID, account: "acme", repositories: [REPO] });

  // The fake GitHub has no timestamps; the moment a review is recorded is the moment it arrived.
  const waiting = new Map<number, (at: number) => void>();
  const reviews = github.reviews;
  const push = reviews.push.bind(reviews);
  reviews.push = (...items) => {
    const at = performance.now();
    for (const item of items) waiting.get(item.runId)?.(at);
    return push(...items);
  };

  // The next chat.update of a message, by its ts.
  const updating = new Map<string, () => void>();
  const calls = slack.calls;
  const pushCall = calls.push.bind(calls);
  calls.push = (...items) => {
    for (const item of items) if (item.method === "chat.update") updating.get(String(item.body.ts))?.();
    return pushCall(...items);
  };

  let nextRunId = 100_000;

  return {
    slack,
    github,
    privateKey,
    approvers,
    async openRequest(environment, options = {}) {
      const runId = nextRunId++;
      const requestId = newRequestId();
      github.addRun({
        repository: REPO,
        runId,
        headSha: HEAD_SHA,
        actor: TRIGGERED_BY,
        workflowName: "Deploy",
        waitingEnvironments: [environment],
      });
      const built = sampleRequestMessage(github.url, runId, environment, requestId);
      const response = await fetch(`${slack.url}chat.postMessage`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${SLACK_TOKEN}`,
          "content-type": "application/json; charset=utf-8",
        },
        body: JSON.stringify({ channel: CHANNEL, ...built, unfurl_links: false }),
      });
      const result = (await response.json()) as { ok: boolean; ts?: string; error?: string };
      if (!result.ok || !result.ts)
        throw new Error(`fake Slack refused the request message: ${result.error}`);
      const posted = slack.messages.find((m) => m.ts === result.ts);
      if (!posted) throw new Error("the fake Slack lost the message it just accepted");
      if (options.announce) {
        // What the runner makes of the Action's `::notice title=…::…` on its job.
        const job = github.deployments.addJob(REPO, runId, {
          name: "ask",
          status: "completed",
          conclusion: "success",
        });
        github.deployments.annotate(job, {
          title: ANNOUNCE_TITLE,
          message: formatAnnouncement({
            reference: { repository: REPO, runId, runAttempt: 1, environment, mode: "gate", requestId },
            channel: CHANNEL,
            ts: posted.ts,
          }),
        });
      }
      return { runId, message: structuredClone(posted) };
    },
    messageUpdate(ts) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          updating.delete(ts);
          reject(new Error(`the App did not update message ${ts} within 15 s`));
        }, 15_000);
        updating.set(ts, () => {
          clearTimeout(timer);
          updating.delete(ts);
          resolve();
        });
      });
    },
    reviewArrival(runId) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting.delete(runId);
          reject(new Error(`no review of run ${runId} reached GitHub within 15 s`));
        }, 15_000);
        waiting.set(runId, (at) => {
          clearTimeout(timer);
          waiting.delete(runId);
          resolve(at);
        });
      });
    },
    prune(keep = new Set()) {
      // In place: the fakes hold these arrays.
      const kept = slack.messages.filter((m) => keep.has(m.ts));
      slack.messages.length = 0;
      slack.messages.push(...kept);
      slack.calls.length = 0;
      slack.ephemerals.length = 0;
      github.requests.length = 0;
    },
    async close() {
      await Promise.allSettled([slack.close(), github.close()]);
    },
  };
}
