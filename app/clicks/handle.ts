// The click path's entry: one typed interaction in, after the route recorded and acknowledged it.
// Data flows one way from here: authorize → vote → decide → effects (GitHub, then the message).
// When the App cannot check a click at all (GitHub failing, a bad private key, the database gone),
// the clicker is told privately that nothing was recorded, instead of silence.
import type { Logger } from "probot";
import { noteClick } from "../activity/context.js";
import type { EffectRunner } from "../effects/runner.js";
import * as say from "../sentences.js";
import { type SlackApi, slackErrorCode } from "../slack/api.js";
import type { Actor, InteractionHandler } from "../slack/interaction.js";
import type { Store } from "../store/types.js";
import { createApprove } from "./approve.js";
import type { Authorizer } from "./authorize.js";
import { createDecisions } from "./decide.js";
import { createRefusals } from "./refuse.js";
import { createReject } from "./reject.js";

export function createClickHandler(deps: {
  store: Store;
  authorizer: Authorizer;
  runner: EffectRunner;
  slack: SlackApi;
  log: Logger;
  /** A link button URL for a person (app/identity/), offered with refusals a link would answer. */
  linkUrl?: (slackUserId: string) => string | undefined;
  now?: () => Date;
}): InteractionHandler {
  const { slack, log } = deps;

  async function tell(actor: Actor, text: string, blocks?: unknown[]): Promise<void> {
    try {
      await slack.postEphemeral(actor.channelId, actor.user, text, blocks);
    } catch (error) {
      log.warn({ slackError: slackErrorCode(error) }, "ephemeral reply failed");
    }
  }

  const refusals = createRefusals({ ...deps, tell });
  const decisions = createDecisions({ ...deps, tell });
  const approve = createApprove({ ...deps, decisions, refusals, tell });
  const reject = createReject({ ...deps, decisions, refusals, tell });

  return {
    async handle(interaction, { inboundId, recovered }) {
      try {
        switch (interaction.kind) {
          case "approve":
            return await approve(interaction, recovered);
          case "reject_clicked":
            return await reject.clicked(interaction, recovered);
          case "reject_submitted":
            return await reject.submitted(interaction, recovered);
          case "unreadable_button":
            return await tell(interaction, say.unreadableButton(interaction.problem));
        }
      } catch (error) {
        log.error({ err: error, inboundId, kind: interaction.kind }, "could not handle a Slack interaction");
        noteClick({ outcome: "error", text: say.couldNotCheck() });
        await tell(interaction, say.couldNotCheck());
      }
    },
  };
}
