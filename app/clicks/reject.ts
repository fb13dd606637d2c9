// Reject: the click opens the reason form at once (its trigger id lasts 3 s), then checks the clicker
// and puts a refusal on the form itself; the submitted reason is the vote that decides.
import type { Logger } from "probot";
import { noteClick } from "../activity/context.js";
import * as say from "../sentences.js";
import { type SlackApi, slackErrorCode } from "../slack/api.js";
import type { Actor, RejectClick, RejectSubmission } from "../slack/interaction.js";
import { refusalModal, rejectModal } from "../slack/reject-modal.js";
import type { RequestRow, Store } from "../store/types.js";
import type { Authorizer } from "./authorize.js";
import type { Decisions } from "./decide.js";
import type { Refusals } from "./refuse.js";
import { requestFor } from "./request.js";

/** How long a submission waits for the click that opened its form to be saved: 10 × 300 ms. */
const SAVED_SOON_TRIES = 10;
const SAVED_SOON_WAIT_MS = 300;

export function createReject(deps: {
  store: Store;
  authorizer: Authorizer;
  decisions: Decisions;
  refusals: Refusals;
  slack: SlackApi;
  log: Logger;
  tell: (actor: Actor, text: string) => Promise<void>;
}) {
  const { store, authorizer, decisions, refusals, slack, log, tell } = deps;

  async function savedSoon(requestId: string): Promise<RequestRow | undefined> {
    for (let i = 0; i < SAVED_SOON_TRIES; i++) {
      await new Promise((resolve) => setTimeout(resolve, SAVED_SOON_WAIT_MS));
      const row = await store.getRequest(requestId);
      if (row) return row;
    }
    return undefined;
  }

  return {
    async clicked(click: RejectClick, recovered: boolean): Promise<void> {
      // A recovered click's trigger id is long dead.
      if (recovered) {
        noteClick({ outcome: "error", text: say.reasonFormLate() });
        return tell(click, say.reasonFormLate());
      }
      let viewId: string | undefined;
      try {
        viewId = await slack.openModal(
          click.triggerId,
          rejectModal(click.reference, click.channelId, click.messageTs),
        );
      } catch (error) {
        log.warn({ slackError: slackErrorCode(error) }, "could not open the reject form");
        noteClick({ outcome: "error", text: say.reasonFormFailed() });
        return tell(click, say.reasonFormFailed());
      }
      noteClick({ outcome: "form_opened" });
      const auth = await authorizer.authorize(click.reference, click, "reject");
      if (!auth.ok) {
        // The form is already on screen: put the refusal there too, so nobody types a reason in vain.
        if (viewId) {
          await slack
            .updateModal(viewId, refusalModal(say.refusalForForm(auth.refusal)))
            .catch((error: unknown) => {
              log.warn({ slackError: slackErrorCode(error) }, "could not show the refusal in the form");
            });
        }
        return refusals.refuse(click, auth, click);
      }
      // Saved now, so that the submission, on whichever replica it lands, finds the message to update.
      const row = await requestFor(store, click, auth);
      if (row.decision) {
        noteClick({ outcome: "closed" });
        await tell(click, say.alreadyDecided(row.decision, row.decidedBy));
      }
    },

    async submitted(submission: RejectSubmission, recovered: boolean): Promise<void> {
      decisions.prepare(submission);
      const auth = await authorizer.authorize(submission.reference, submission, "reject");
      if (!auth.ok) return refusals.refuse(submission, auth);
      // The form opens before the click that opened it is checked and saved: a quick submission can
      // overtake that click (on this replica or another), so give it a moment to land.
      const row = auth.existing ?? (await savedSoon(submission.reference.requestId));
      if (!row) {
        noteClick({ outcome: "error", text: say.requestUnknown() });
        return tell(submission, say.requestUnknown());
      }
      if (row.decision) {
        noteClick({ outcome: "closed" });
        return tell(submission, say.alreadyDecided(row.decision, row.decidedBy));
      }
      await decisions.vote({
        row,
        actor: submission,
        vote: "reject",
        reason: submission.reason,
        force: auth,
        recovered,
      });
    },
  };
}
