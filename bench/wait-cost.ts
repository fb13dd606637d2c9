// The rate-limit cost of waiting (wait mode): the built Action holds its step against the fake GitHub,
// which answers conditional requests as GitHub does (ETag; 304 Not Modified while nothing changed, free
// against the token's rate limit) and counts, per token, what counted and what was free. After `polls`
// polls the App's check run appears and the step ends. The figure is requests that counted ÷ polls, and
// what an hour at the default interval costs of the job token's 1,000 requests an hour, beside the same
// hour polled without conditional requests (every poll counted).
import { getOctokit } from "@actions/github";
import { checkRunName, encodeDecisionRecord } from "../common/check-run.js";
import { startStep } from "../testkit/helpers/action-step.js";
import { installationToken } from "./lib/app.js";
import { APP_ID, CHANNEL, HEAD_SHA, REPO, type Scene, SLACK_TOKEN, WORKFLOW_TOKEN } from "./lib/scene.js";
import { round } from "./lib/stats.js";

/** GitHub's limit for a workflow's GITHUB_TOKEN, per repository and hour. */
const JOB_TOKEN_LIMIT = 1000;
const DEFAULT_POLL_MS = 10_000;
const HOUR_POLLS = 3_600_000 / DEFAULT_POLL_MS;

export interface WaitCostFigure {
  pollIntervalMs: number;
  /** Check-run listings the step sent (the one before posting included). */
  polls: number;
  counted: number;
  notModified: number;
  countedPerPoll: number;
  /** Of the polls that found nothing new: the share that counted (0 when GitHub answered 304). */
  idleCountedPerPoll: number;
  /** An hour at the default 10 s: the requests that count, of the token's 1,000. */
  hour: { polls: number; counted: number; countedPerPoll: number; shareOfLimit: number };
  /** The same hour without conditional requests: every poll counts. */
  hourWithoutConditional: { counted: number; shareOfLimit: number };
}

export async function waitCost(scene: Scene, workDir: string, polls: number): Promise<WaitCostFigure> {
  const runId = 900_000 + Math.floor(Math.random() * 90_000);
  scene.github.addRun({
    repository: REPO,
    runId,
    headSha: HEAD_SHA,
    actor: "release-bot",
    workflowName: "Deploy",
  });
  const bucket = () => ({ used: 0, notModified: 0, ...scene.github.rateLimits.get(`GITHUB_TOKEN ${REPO}`) });
  const listings = () => scene.github.requests.filter((r) => r.operationId === "checks/list-for-ref").length;
  const before = bucket();
  const listingsBefore = listings();
  const pollIntervalMs = 1000;

  const step = startStep(
    {
      repository: REPO,
      runId,
      sha: HEAD_SHA,
      actor: "release-bot",
      serverUrl: scene.github.url,
      apiUrl: scene.github.apiUrl,
      githubToken: WORKFLOW_TOKEN,
      workDir,
    },
    {
      "slack-bot-token": SLACK_TOKEN,
      channel: CHANNEL,
      environment: "production",
      mode: "wait",
      "slack-api-url": scene.slack.url,
      "app-id": String(APP_ID),
      "poll-interval": `${pollIntervalMs / 1000}s`,
      timeout: "1h",
    },
    { name: "wait-cost" },
  );
  const deadline = Date.now() + polls * pollIntervalMs * 3 + 30_000;
  while (listings() - listingsBefore < polls) {
    if (step.child.process.exitCode !== null || Date.now() > deadline) {
      throw new Error(`the waiting step stopped polling:\n${step.log()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  // The App decides: its check run appears on the commit, and the next poll reads it.
  const message = scene.slack.messages.find(
    (m) => !m.thread_ts && m.metadata?.event_payload.run_id === runId,
  );
  const requestId = String(message?.metadata?.event_payload.request_id ?? "");
  const app = getOctokit(await installationToken(scene), { baseUrl: scene.github.apiUrl });
  await app.rest.checks.create({
    owner: REPO.split("/")[0] as string,
    repo: REPO.split("/")[1] as string,
    name: checkRunName("production"),
    head_sha: HEAD_SHA,
    external_id: requestId,
    conclusion: "success",
    output: {
      title: "Approved",
      summary: "Approved by the bench.",
      text: encodeDecisionRecord({
        v: 1,
        requestId,
        decision: "approved",
        decidedBy: ["U0AP00000"],
        reason: null,
        decidedAt: new Date().toISOString(),
      }),
    },
  });
  const result = await step.finished;
  if (result.code !== 0) throw new Error(`the waiting step failed:\n${result.log}`);

  const after = bucket();
  const counted = after.used - before.used;
  const notModified = after.notModified - before.notModified;
  const polled = listings() - listingsBefore;
  // Every poll but the first (no ETag yet) and the last (it saw the decision) found nothing new; with
  // the commit title read before posting, those three count whatever the wait's length. The idle polls'
  // own rate is measured, and an hour is three plus that rate times its idle polls.
  const idlePolls = polled - 2;
  const idleCounted = counted - 3;
  const idleRate = idlePolls > 0 ? idleCounted / idlePolls : 0;
  const hourCounted = round(3 + idleRate * (HOUR_POLLS - 2), 1);
  return {
    pollIntervalMs,
    polls: polled,
    counted,
    notModified,
    countedPerPoll: round(counted / polled, 3),
    idleCountedPerPoll: round(idleRate, 4),
    hour: {
      polls: HOUR_POLLS,
      counted: hourCounted,
      countedPerPoll: round(hourCounted / HOUR_POLLS, 4),
      shareOfLimit: round(hourCounted / JOB_TOKEN_LIMIT, 4),
    },
    hourWithoutConditional: {
      counted: HOUR_POLLS + 1,
      shareOfLimit: round((HOUR_POLLS + 1) / JOB_TOKEN_LIMIT, 4),
    },
  };
}

export function printWaitCost(figure: WaitCostFigure | undefined): string {
  if (!figure) return "";
  const pct = (share: number) => `${round(share * 100, 2)}%`;
  return [
    "\n9. Rate-limit cost of waiting (wait mode, conditional requests)",
    `| measured: polls every ${figure.pollIntervalMs / 1000} s | counted | 304 Not Modified | idle polls that counted | an hour at 10 s: counted ÷ polls | counted of the token's 1,000 | without ETags |`,
    "|---|---|---|---|---|---|---|",
    `| ${figure.polls} | ${figure.counted} | ${figure.notModified} | ${pct(figure.idleCountedPerPoll)} | ${figure.hour.counted} ÷ ${figure.hour.polls} = ${figure.hour.countedPerPoll} | ${pct(figure.hour.shareOfLimit)} | ${figure.hourWithoutConditional.counted} (${pct(figure.hourWithoutConditional.shareOfLimit)}) |`,
    "",
  ].join("\n");
}
