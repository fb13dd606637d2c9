// The repository policy (`.github/slack-deploy-gate.yml`): who may approve deployments from Slack.
// It is read only from the target repository's default branch (or the org's `.github` repository),
// never from the run, the action's inputs or the message.

import type { PolicyProblem } from "./errors.js";

export const POLICY_PATH = ".github/slack-deploy-gate.yml";
/** The `environments` entry used for environments the policy does not list. */
export const DEFAULT_ENVIRONMENT_KEY = "default";

export const POLICY_DEFAULTS = {
  requiredApprovals: 1,
  allowSelfApproval: false,
  expireAfter: "24h",
} as const;

export const POLICY_LIMITS = {
  maxRequiredApprovals: 20,
  minExpireAfterMs: 60_000,
  minRemindAfterMs: 60_000,
  maxExpireAfterMs: 30 * 24 * 60 * 60_000,
  /** Larger files are refused before they are parsed: a policy is a few lines. */
  maxFileBytes: 256 * 1024,
  /** Alias uses (`*name`) in the whole file: each can repeat a whole list wherever it appears. */
  maxAliases: 50,
  // Counts no real organisation reaches; past them, validation would be work an attacker chooses.
  maxEnvironments: 500,
  maxUsersPerEnvironment: 1000,
  maxGroupsPerEnvironment: 100,
  maxGithubLoginsPerEnvironment: 1000,
  maxGithubTeamsPerEnvironment: 100,
  maxGithubUsers: 20_000,
} as const;

/** Keys that name JavaScript object machinery: refused wherever they appear, never looked up. */
export const RESERVED_KEYS: ReadonlySet<string> = new Set(["__proto__", "constructor", "prototype"]);

export interface EnvironmentRules {
  /** The `environments` key that matched, as written in the policy (`default` for the fallback). */
  name: string;
  /** Slack user IDs (`U…`/`W…`), without duplicates. */
  users: string[];
  /** Slack user group IDs (`S…`), without duplicates. */
  groups: string[];
  /** GitHub logins (`approvers.github-users`), without duplicates ignoring case. */
  githubLogins: string[];
  /** GitHub teams (`approvers.github-teams`, `org/team-slug`), membership read at click time. */
  githubTeams: GithubTeam[];
  /** Clickers must have linked their GitHub account (`require-linked-account`). */
  requireLinkedAccount: boolean;
  requiredApprovals: number;
  allowSelfApproval: boolean;
  expireAfterMs: number;
  /** `remind-after`: a reminder in the request's thread this often while undecided (at most three). */
  remindAfterMs: number | null;
  /** `channel`: the App posts the request itself, here, when GitHub reaches the environment's gate. */
  channel: string | null;
}

export interface GithubTeam {
  org: string;
  /** The team's slug, as in `https://github.com/orgs/<org>/teams/<slug>`. */
  slug: string;
}

export interface Policy {
  /** Where it was read from, e.g. `acme/api:.github/slack-deploy-gate.yml`. */
  source: string;
  /** Keyed by environment name as written, including `default` when present. */
  environments: ReadonlyMap<string, EnvironmentRules>;
  /** Slack user ID → GitHub login, as written. */
  githubUsers: ReadonlyMap<string, string>;
  /**
   * What is valid but will surprise: approvers whose GitHub identity is unknown where self-approval must
   * be checked (they are refused unless they link their account). The first few; `warningCount` counts all.
   */
  warnings: PolicyProblem[];
  warningCount: number;
}

/** Slack IDs are upper-case letters and digits after a one-letter kind. */
export const SLACK_USER_ID = /^[UW][A-Z0-9]{2,20}$/;
export const SLACK_GROUP_ID = /^S[A-Z0-9]{2,20}$/;
/** Public (C…) and private (G…) channel IDs. */
export const SLACK_CHANNEL_ID = /^[CG][A-Z0-9]{2,20}$/;
/** GitHub logins: letters, digits and single inner hyphens, at most 39 characters. */
export const GITHUB_LOGIN = /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/;
