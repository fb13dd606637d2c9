// The post step (`post-if: cancelled()`): the job was cancelled. If the main step was still waiting
// for a decision, the request message says the run was cancelled and its buttons go; a decision
// already taken is left as it is. Never fails the job over Slack: it is being cancelled anyway.
import * as core from "@actions/core";
import { parseSlackApiUrl } from "./inputs.js";
import { createSlackClient } from "./slack.js";
import { closeRequestMessage } from "./slack-status.js";
import { readWaiting, saveClosed } from "./state.js";

export async function runPost(): Promise<void> {
  const waiting = readWaiting();
  if (!waiting) {
    core.info("Nothing to close: no request was waiting for a decision when the job was cancelled.");
    return;
  }
  const token = core.getInput("slack-bot-token").trim();
  if (token) core.setSecret(token);
  try {
    const client = createSlackClient(token, parseSlackApiUrl(core.getInput("slack-api-url")));
    await closeRequestMessage(client, waiting, { kind: "cancelled" });
    saveClosed();
    core.info(`Marked the request message ${waiting.channelId}/${waiting.ts} as cancelled.`);
  } catch (error) {
    core.warning(
      `Could not mark the Slack request as cancelled (${describeSlack(error)}); its buttons stay, and the App refuses clicks on a cancelled run.`,
    );
  }
}

function describeSlack(error: unknown): string {
  const e = error as { data?: { error?: unknown }; message?: unknown };
  return typeof e?.data?.error === "string" ? e.data.error : String(e?.message ?? error).slice(0, 200);
}
