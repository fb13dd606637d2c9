// The handler table: one handler per effect kind.
import type { Installations } from "../github/installations.js";
import type { Runs } from "../github/runs.js";
import type { SlackApi } from "../slack/api.js";
import { reviewHandler } from "./review.js";
import { slackEphemeralHandler } from "./slack-ephemeral.js";
import { slackReplyHandler } from "./slack-reply.js";
import { slackUpdateHandler } from "./slack-update.js";
import type { EffectHandler } from "./types.js";

export function effectHandlers(deps: {
  slack: SlackApi;
  installations: Installations;
  runs: Runs;
}): EffectHandler[] {
  return [
    reviewHandler(deps),
    slackUpdateHandler(deps.slack),
    slackReplyHandler(deps.slack),
    slackEphemeralHandler(deps.slack),
  ];
}
