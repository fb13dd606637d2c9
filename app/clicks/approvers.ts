// Who counts as an approver under the policy in force: listed (as a user or through a Slack group) and,
// for approvals, not the person who triggered the run unless the policy allows self-approval. Used for
// the clicker, and again for every counted vote when a decision is taken (people leave policies).
import type { RunInfo } from "../github/runs.js";
import { type EnvironmentRules, githubLoginFor, type Policy } from "../policy/index.js";
import type { Refusal } from "../sentences.js";
import { type SlackApi, slackErrorCode } from "../slack/api.js";

export interface PolicyInForce {
  policy: Policy;
  rules: EnvironmentRules;
  source: string;
  run: RunInfo;
  repository: string;
  environment: string;
}

/** Null when the person may act; otherwise why not. */
export async function approverRefusal(
  slack: SlackApi,
  force: PolicyInForce,
  user: string,
  action: "approve" | "reject",
): Promise<Refusal | null> {
  const { rules, policy } = force;
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
  if (!listed) {
    return {
      kind: "not_approver",
      environment: force.environment,
      repository: force.repository,
      source: force.source,
    };
  }
  if (action === "approve" && !rules.allowSelfApproval) {
    const login = githubLoginFor(policy, user);
    const triggeredBy = [force.run.triggeringActor, force.run.actor]
      .filter((l): l is string => Boolean(l))
      .map((l) => l.toLowerCase());
    if (login && triggeredBy.includes(login.toLowerCase())) {
      return { kind: "self_approval", login, environment: force.environment };
    }
  }
  return null;
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
