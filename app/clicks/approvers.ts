import { githubSideRefusal, type PolicyInForce } from "../identity/approval.js";
import type { Refusal } from "../sentences.js";
import { type SlackApi, slackErrorCode } from "../slack/api.js";

export type { PolicyInForce };

/** Null when the person may act; otherwise why not. */
export async function approverRefusal(
  slack: SlackApi,
  force: PolicyInForce,
  user: string,
  action: "approve" | "reject",
): Promise<Refusal | null> {
  const { rules } = force;
  let listed = rules.users.includes(user);
  for (const group of listed ? [] : rules.groups) {
    try {
      if ((await slack.groupMembers(group)).includes(user)) {
        listed = true;
        break;
      }
    } catch (error) {
      return { kind: "group_unreadable", group, code: slackErrorCode(error) };
    }
  }
  // GitHub listing (github-users, github-teams), require-linked-account and self-approval.
  return githubSideRefusal(force, user, action, listed);
}

/** The approvers among `voters` (in vote order) who still count under the policy in force. */
export async function stillApprovers(
  slack: SlackApi,
  force: PolicyInForce,
  voters: string[],
): Promise<string[]> {
  const checks = await Promise.all(voters.map((user) => approverRefusal(slack, force, user, "approve")));
  return voters.filter((_, i) => checks[i] === null);
}
