// The Action's request message in tests: the facts a workflow run gives it, and posting it to the
// fake Slack the way the Action posts it (its own client and message code), to click on afterwards.
import { buildRequestMessage, type RequestDetails } from "../../common/message.js";
import type { RequestReference } from "../../common/reference.js";
import { createSlackClient, postRequestMessage } from "../../src/slack.js";
import { DEFAULT_BOT_TOKEN, DEFAULT_CHANNEL_ID, type FakeMessage, type FakeSlack } from "../fakes/slack.js";

export const SAMPLE_REFERENCE: RequestReference = {
  repository: "octo/app",
  runId: 1234,
  runAttempt: 1,
  environment: "production",
  mode: "gate",
  requestId: "req_ABCDEFGH",
};

/** A push to main by octocat asking to deploy to production; `overrides` change any of it. */
export function requestDetails(overrides: Partial<RequestDetails> = {}): RequestDetails {
  return {
    reference: SAMPLE_REFERENCE,
    serverUrl: "https://github.com",
    workflow: "Deploy",
    ref: "refs/heads/main",
    sha: "0123456789abcdef0123456789abcdef01234567",
    commitTitle: "Fix the thing",
    actor: "octocat",
    eventName: "push",
    mentions: [],
    ...overrides,
  };
}

/** Posts the request message for `details` as the Action does; returns it as the fake Slack stored it. */
export async function postRequestToSlack(
  slack: FakeSlack,
  details: RequestDetails,
  options: { token?: string; channel?: string } = {},
): Promise<FakeMessage> {
  const posted = await postRequestMessage(
    createSlackClient(options.token ?? DEFAULT_BOT_TOKEN, slack.url),
    options.channel ?? DEFAULT_CHANNEL_ID,
    buildRequestMessage(details),
  );
  const stored = slack.messages.find((m) => m.ts === posted.ts && !m.thread_ts);
  if (!stored) throw new Error(`the fake Slack did not keep message ${posted.ts}`);
  return stored;
}
