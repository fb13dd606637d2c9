// Gate mode, when the environment's policy names a channel: the App asks in Slack itself when GitHub
// reaches the gate, and marks it with an in-progress check run (`slack-deploy-gate / <environment>`,
// `external_id` = the request id it derives from the gate). If the App asked first, this step does not
// ask a second time; if both asked at once, the step withdraws its own message (the App's holds the
// gate). Reading check runs needs `checks: read`; without it the step asks, and the App supersedes the
// second request at its first contact.
import * as core from "@actions/core";
import type { KnownBlock, WebClient } from "@slack/web-api";
import { gateRequestId, permalinkTarget } from "../common/announce.js";
import { checkRunName } from "../common/check-run.js";
import { replaceActionsBlock } from "../common/message.js";
import { linkOrText } from "../common/mrkdwn.js";
import { BLOCK_IDS } from "../common/reference.js";
import { CheckRunReader } from "./check-runs.js";
import type { GitHubClient } from "./github.js";
import type { RunContext } from "./run-context.js";

export interface AppRequest {
  requestId: string;
  url: string;
  channel: string;
  ts: string;
}

/** The App's own request for this run's gate, if it asked already; undefined when not (or unreadable). */
export async function findAppRequest(
  github: GitHubClient | undefined,
  run: RunContext,
  environment: string,
): Promise<AppRequest | undefined> {
  if (!github) return undefined;
  const requestId = gateRequestId({
    repository: run.repository,
    runId: run.runId,
    runAttempt: run.runAttempt,
    environment,
  });
  const reader = new CheckRunReader(github, {
    owner: run.owner,
    repo: run.repo,
    sha: run.headSha,
    name: checkRunName(environment),
  });
  let found: Awaited<ReturnType<CheckRunReader["listAll"]>>;
  try {
    found = await reader.listAll({ maxPages: 2 });
  } catch (error) {
    core.info(`Could not look for a request the App posted itself (${describe(error)}); asking.`);
    return undefined;
  }
  const mine = found.find((c) => c.externalId === requestId && c.detailsUrl);
  const target = mine?.detailsUrl ? permalinkTarget(mine.detailsUrl) : undefined;
  return mine?.detailsUrl && target ? { requestId, url: mine.detailsUrl, ...target } : undefined;
}

/** Both asked at once: this step's message gives way to the App's, which holds the gate. */
export async function withdraw(
  slack: WebClient,
  posted: { channelId: string; ts: string; blocks: KnownBlock[] },
  app: AppRequest,
): Promise<void> {
  const line = `:twisted_rightwards_arrows: *Superseded*: slack-deploy-gate asked for this deployment in ${linkOrText(app.url, "another request")} at the same moment; approve or reject it there.`;
  await slack.chat.update({
    channel: posted.channelId,
    ts: posted.ts,
    text: "Approval request superseded",
    blocks: replaceActionsBlock(posted.blocks, [
      { type: "section", block_id: BLOCK_IDS.status, text: { type: "mrkdwn", text: line } },
    ]),
  });
}

function describe(error: unknown): string {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === "number"
    ? `HTTP ${status}`
    : String((error as Error)?.message ?? error).slice(0, 200);
}
