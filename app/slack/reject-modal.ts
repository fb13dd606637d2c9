// The views of the reject flow: the form that asks a rejecter why (the request travels in its
// private_metadata, see modal-metadata.ts), the answer to a blank reason, and the refusal that replaces
// the form when the clicker may not reject.

import { escapeMrkdwn, truncate } from "../../common/mrkdwn.js";
import {
  REJECT_MODAL_CALLBACK_ID,
  REJECT_REASON_ACTION_ID,
  REJECT_REASON_BLOCK_ID,
  type RequestReference,
} from "../../common/reference.js";
import { encodeModalMetadata } from "./modal-metadata.js";

export const MAX_REASON_LENGTH = 1000;

export function rejectModal(reference: RequestReference, channel: string, ts: string): object {
  return {
    type: "modal",
    callback_id: REJECT_MODAL_CALLBACK_ID,
    private_metadata: encodeModalMetadata({ reference, channel, ts }),
    title: { type: "plain_text", text: "Reject deployment" },
    submit: { type: "plain_text", text: "Reject" },
    close: { type: "plain_text", text: "Cancel" },
    blocks: [
      {
        type: "section",
        text: {
          type: "mrkdwn",
          text: truncate(
            `Reject deploying *${escapeMrkdwn(reference.repository)}* to *${escapeMrkdwn(reference.environment)}*? The run stops and your reason goes to GitHub and the channel.`,
            3000,
          ),
        },
      },
      {
        type: "input",
        block_id: REJECT_REASON_BLOCK_ID,
        label: { type: "plain_text", text: "Reason" },
        element: {
          type: "plain_text_input",
          action_id: REJECT_REASON_ACTION_ID,
          multiline: true,
          max_length: MAX_REASON_LENGTH,
          placeholder: { type: "plain_text", text: "What has to change before this can ship?" },
        },
      },
    ],
  };
}

/** Slack's `response_action: errors` answer for a blank reason; null when the reason is fine. */
export function reasonErrors(reason: string | null | undefined): object | null {
  if (reason && reason.trim().length > 0) return null;
  return formErrors("Please say why you are rejecting: the reason goes to GitHub and the channel.");
}

/** The answer to a submitted form the App cannot read (its metadata is not the App's): nothing changes. */
export function unreadableFormErrors(problem: string): object {
  return formErrors(`This form cannot be read (${truncate(problem, 200)}); nothing was changed.`);
}

/** Shown under the reason input; the form stays open. Plain text: Slack does not render mrkdwn here. */
function formErrors(message: string): object {
  return { response_action: "errors", errors: { [REJECT_REASON_BLOCK_ID]: message } };
}

/** Replaces the reason form when the clicker may not reject: said where they are looking. */
export function refusalModal(message: string): object {
  return {
    type: "modal",
    title: { type: "plain_text", text: "Cannot reject" },
    close: { type: "plain_text", text: "Close" },
    blocks: [{ type: "section", text: { type: "mrkdwn", text: truncate(escapeMrkdwn(message), 3000) } }],
  };
}
