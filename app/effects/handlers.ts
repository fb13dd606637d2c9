// The handler table: one handler per effect kind.
import type { Installations } from "../github/installations.js";
import type { Runs } from "../github/runs.js";
import { markAsked } from "../requests/post.js";
import type { SlackApi } from "../slack/api.js";
import { checkRunHandler, createDecisionCheckRuns } from "./check-run.js";
import { dispatchHandler } from "./dispatch.js";
import { reviewHandler } from "./review.js";
import { slackEphemeralHandler } from "./slack-ephemeral.js";
import { slackPostHandler } from "./slack-post.js";
import { slackReplyHandler } from "./slack-reply.js";
import { slackUpdateHandler } from "./slack-update.js";
import type { EffectHandler } from "./types.js";

export function effectHandlers(deps: {
  slack: SlackApi;
  installations: Installations;
  runs: Runs;
}): EffectHandler[] {
  const checkRuns = createDecisionCheckRuns({
    installations: deps.installations,
    runs: deps.runs,
    messageUrl: (channel, ts) => deps.slack.permalink(channel, ts),
  });
  return [
    reviewHandler(deps),
    checkRunHandler(checkRuns),
    dispatchHandler({ checkRuns }),
    slackPostHandler(deps.slack, markAsked(deps)),
    slackUpdateHandler(deps.slack),
    slackReplyHandler(deps.slack),
    slackEphemeralHandler(deps.slack),
  ];
}
