// Posting the request, the same in every mode that asks (gate, wait, dispatch): the reference, the
// message (dispatch mode shows what an approval starts), Slack, the outputs and the job summary.
import * as core from "@actions/core";
import type { KnownBlock, WebClient } from "@slack/web-api";
import { ANNOUNCE_TITLE, formatAnnouncement } from "../common/announce.js";
import { type Changes, readChanges } from "../common/changes.js";
import { type DispatchTarget, dispatchBlock } from "../common/dispatch.js";
import { buildRequestMessage } from "../common/message.js";
import { BLOCK_IDS, type Mode, newRequestId, type RequestReference } from "../common/reference.js";
import { fetchCommitTitle } from "./commit.js";
import { explainSlackError } from "./errors.js";
import type { GitHubClient } from "./github.js";
import type { PostInputs } from "./inputs.js";
import type { RunContext } from "./run-context.js";
import { createSlackClient, permalinkFor, postRequestMessage, RETRY_CONFIG } from "./slack.js";
import { writeSummary } from "./summary.js";

export interface RequestOptions {
  mode: Mode;
  environment: string;
  post: PostInputs;
  github: GitHubClient | undefined;
  dispatch?: DispatchTarget;
  /** The job summary's closing sentence. */
  next: string;
  /** Called as soon as Slack has the message, before anything else can fail or be interrupted. */
  onPosted?: (message: { channelId: string; ts: string; blocks: KnownBlock[] }) => void;
}

export interface PostedRequest {
  reference: RequestReference;
  channelId: string;
  ts: string;
  messageUrl: string;
  blocks: KnownBlock[];
  slack: WebClient;
}

export async function postRequest(options: RequestOptions, run: RunContext): Promise<PostedRequest> {
  const { post } = options;
  const reference: RequestReference = {
    repository: run.repository,
    runId: run.runId,
    runAttempt: run.runAttempt,
    environment: options.environment,
    mode: options.mode,
    requestId: newRequestId(),
  };

  const [commitTitle, changes] = await Promise.all([
    commitTitleOrWarn(options.github, run),
    changesOrWarn(options.github, run, options.environment),
  ]);
  const message = buildRequestMessage({
    reference,
    serverUrl: run.serverUrl,
    workflow: run.workflow,
    ref: run.ref,
    // The commit GitHub's run is for: what the App checks the message against, and where it writes.
    sha: run.headSha,
    commitTitle,
    ...(changes ? { changes } : {}),
    actor: run.actor,
    eventName: run.eventName,
    message: post.message,
    mentions: post.mentions,
  });
  if (options.dispatch) {
    // Right above the buttons: what an approval starts is read where it is approved.
    const at = message.blocks.findIndex((b) => b.block_id === BLOCK_IDS.actions);
    message.blocks.splice(at === -1 ? message.blocks.length : at, 0, dispatchBlock(options.dispatch));
  }

  const slack = createSlackClient(post.slackBotToken, post.slackApiUrl);
  let posted: { channelId: string; ts: string };
  try {
    posted = await postRequestMessage(slack, post.channel, message);
  } catch (error) {
    throw new Error(
      explainSlackError(error, {
        channel: post.channel,
        slackApiUrl: post.slackApiUrl,
        attempts: RETRY_CONFIG.retries + 1,
      }),
    );
  }
  options.onPosted?.({ ...posted, blocks: message.blocks });
  // Tells the App where the request is, on this job (an annotation it reads when GitHub reaches the
  // gate): it then checks the message and keeps it true before anyone clicks (common/announce.ts).
  core.notice(formatAnnouncement({ reference, channel: posted.channelId, ts: posted.ts }), {
    title: ANNOUNCE_TITLE,
  });
  core.setOutput("request-id", reference.requestId);
  core.setOutput("channel-id", posted.channelId);
  core.setOutput("message-ts", posted.ts);
  core.info(
    `Posted approval request ${reference.requestId} for ${reference.environment} (${reference.mode} mode) to ${posted.channelId}.`,
  );

  let messageUrl = "";
  try {
    messageUrl = await permalinkFor(slack, posted);
    core.info(`Slack message: ${messageUrl}`);
  } catch (error) {
    core.warning(
      `The request was posted, but Slack gave no link to it (${describe(error)}); the \`message-url\` output is empty.`,
    );
  }
  core.setOutput("message-url", messageUrl);

  try {
    await writeSummary({
      repository: reference.repository,
      environment: reference.environment,
      requestId: reference.requestId,
      channelId: posted.channelId,
      messageTs: posted.ts,
      messageUrl,
      next: options.next,
    });
  } catch (error) {
    core.warning(`Could not write the job summary: ${describe(error)}`);
  }
  return { reference, ...posted, messageUrl, blocks: message.blocks, slack };
}

/** What changed since the last successful deployment to the environment; undefined without a token. */
async function changesOrWarn(
  github: GitHubClient | undefined,
  run: RunContext,
  environment: string,
): Promise<Changes | undefined> {
  if (!github) return undefined;
  const changes = await readChanges(github, {
    owner: run.owner,
    repo: run.repo,
    environment,
    sha: run.headSha,
  });
  if (changes.kind === "unknown") {
    core.warning(
      `Could not read what changed since the last deployment to ${environment}: ${changes.reason}.`,
    );
  }
  return changes;
}

async function commitTitleOrWarn(
  github: GitHubClient | undefined,
  run: RunContext,
): Promise<string | undefined> {
  try {
    return await fetchCommitTitle({ client: github, owner: run.owner, repo: run.repo, sha: run.headSha });
  } catch (error) {
    core.warning(
      `Could not read the commit title from GitHub (${describe(error)}); posting the request without it.`,
    );
    return undefined;
  }
}

export function describe(error: unknown): string {
  const e = error as { data?: { error?: unknown }; status?: unknown; message?: unknown };
  if (typeof e?.data?.error === "string") return e.data.error;
  if (typeof e?.status === "number") return `HTTP ${e.status}`;
  return String(e?.message ?? error)
    .replace(/\s+/g, " ")
    .slice(0, 200);
}
