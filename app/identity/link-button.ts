// The "Link your GitHub account" button, in replies only the person it is for can see (an ephemeral
// click refusal, a slash command's answer). It is a link button: Slack opens its URL in the browser
// (and tells the App of the click, which the App ignores). The URL carries a link ticket for that
// person, so the reply that holds it must never be shown to anyone else.
import { escapeMrkdwn } from "../../common/mrkdwn.js";

export const LINK_ACTION_ID = "sdg_link_github";

/** A section with `text` (mrkdwn, already escaped by the caller) and the button under it. */
export function linkBlocks(text: string, url: string, label = "Link your GitHub account"): unknown[] {
  return [
    { type: "section", text: { type: "mrkdwn", text } },
    {
      type: "actions",
      elements: [
        {
          type: "button",
          action_id: LINK_ACTION_ID,
          style: "primary",
          text: { type: "plain_text", text: label, emoji: false },
          url,
        },
      ],
    },
    {
      type: "context",
      elements: [
        {
          type: "mrkdwn",
          text: escapeMrkdwn(
            "The button works for 10 minutes, once, and only for you: do not forward it. You sign in to GitHub; slack-deploy-gate keeps your account's id and login, and no token.",
          ),
        },
      ],
    },
  ];
}
