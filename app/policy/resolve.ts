// Questions the App asks of a parsed policy.
import { DEFAULT_ENVIRONMENT_KEY, type EnvironmentRules, type Policy } from "./types.js";

/**
 * The rules for a GitHub environment: the entry with that exact name, else one matching it ignoring
 * case (GitHub treats environment names case-insensitively), else `default`. Undefined when none
 * applies: the caller must then refuse every approval.
 */
export function resolveEnvironment(policy: Policy, environmentName: string): EnvironmentRules | undefined {
  return findEntry(policy, environmentName) ?? findEntry(policy, DEFAULT_ENVIRONMENT_KEY);
}

function findEntry(policy: Policy, name: string): EnvironmentRules | undefined {
  const exact = policy.environments.get(name);
  if (exact) return exact;
  const folded = name.toLowerCase();
  for (const [key, rules] of policy.environments) {
    if (key.toLowerCase() === folded) return rules;
  }
  return undefined;
}

/** The GitHub login mapped to a Slack user, if any. */
export function githubLoginFor(policy: Policy, slackUserId: string): string | undefined {
  return policy.githubUsers.get(slackUserId);
}

/** Every Slack user mapped to a GitHub login (logins compare ignoring case, as on GitHub). */
export function slackUsersForGithubLogin(policy: Policy, login: string): string[] {
  const folded = login.toLowerCase();
  const users: string[] = [];
  for (const [slackUserId, mapped] of policy.githubUsers) {
    if (mapped.toLowerCase() === folded) users.push(slackUserId);
  }
  return users;
}
