// The action, start to finish: inputs → run context → message → Slack → outputs and summary.
// Every failure ends in core.setFailed with a message that says what to fix.
import * as core from "@actions/core";
import { buildRequestMessage } from "../common/message.js";
import { newRequestId, type RequestReference } from "../common/reference.js";
import { fetchCommitTitle } from "./commit.js";
import { explainSlackError } from "./errors.js";
import { type ActionInputs, readInputs } from "./inputs.js";
import { type RunContext, readRunContext } from "./run-context.js";
import {
  createSlackClient,
  type PostedMessage,
  permalinkFor,
  postRequestMessage,
  RETRY_CONFIG,
} from "./slack.js";
import { writeSummary } from "./summary.js";

export async function run(): Promise<void> {
  try {
    const inputs = readInputs();
    const run = readRunContext();
    await requestApproval(inputs, run);
  } catch (error) {
    core.setFailed(error instanceof Error ? error.message : String(error));
  }
}

async function requestApproval(inputs: ActionInputs, run: RunContext): Promise<void> {
  const reference: RequestReference = {
    repository: run.repository,
    runId: run.runId,
    runAttempt: run.runAttempt,
    environment: inputs.environment,
    mode: inputs.mode,
    requestId: newRequestId(),
  };

  const commitTitle = await commitTitleOrWarn(inputs, run);
  const message = buildRequestMessage({
    reference,
    serverUrl: run.serverUrl,
    workflow: run.workflow,
    ref: run.ref,
    sha: run.sha,
    commitTitle,
    actor: run.actor,
    eventName: run.eventName,
    message: inputs.message,
    mentions: inputs.mentions,
  });

  const client = createSlackClient(inputs.slackBotToken, inputs.slackApiUrl);
  let posted: PostedMessage;
  try {
    posted = await postRequestMessage(client, inputs.channel, message);
  } catch (error) {
    throw new Error(
      explainSlackError(error, {
        channel: inputs.channel,
        slackApiUrl: inputs.slackApiUrl,
        attempts: RETRY_CONFIG.retries + 1,
      }),
    );
  }
  core.setOutput("request-id", reference.requestId);
  core.setOutput("channel-id", posted.channelId);
  core.setOutput("message-ts", posted.ts);
  core.info(
    `Posted approval request ${reference.requestId} for ${reference.environment} to ${posted.channelId}.`,
  );

  let messageUrl = "";
  try {
    messageUrl = await permalinkFor(client, posted);
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
    });
  } catch (error) {
    core.warning(`Could not write the job summary: ${describe(error)}`);
  }
}

async function commitTitleOrWarn(inputs: ActionInputs, run: RunContext): Promise<string | undefined> {
  try {
    return await fetchCommitTitle({
      token: inputs.githubToken,
      apiUrl: run.apiUrl,
      owner: run.owner,
      repo: run.repo,
      sha: run.sha,
    });
  } catch (error) {
    core.warning(
      `Could not read the commit title from GitHub (${describe(error)}); posting the request without it.`,
    );
    return undefined;
  }
}

function describe(error: unknown): string {
  const e = error as { data?: { error?: unknown }; status?: unknown; message?: unknown };
  if (typeof e?.data?.error === "string") return e.data.error;
  if (typeof e?.status === "number") return `HTTP ${e.status}`;
  return String(e?.message ?? error)
    .replace(/\s+/g, " ")
    .slice(0, 200);
}
