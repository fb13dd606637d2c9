// Checks the policy's data (already parsed from YAML) and turns it into a Policy. Every problem is
// counted, not just the first, so one round of edits can fix them all; the first few are kept.
// The work is linear in the data, and the counts are bounded (POLICY_LIMITS) before any list is
// walked, so a hostile file costs no more than a large legal one. Keys are read as own properties
// only, and JavaScript's object machinery (`__proto__`, `constructor`, `prototype`) is never a key.

import { clip, formatPath, MAX_LISTED, PolicyError, type PolicyProblem } from "./errors.js";
import { closestKey } from "./suggest.js";
import {
  type EnvironmentRules,
  GITHUB_LOGIN,
  type GithubTeam,
  POLICY_DEFAULTS,
  POLICY_LIMITS,
  type Policy,
  RESERVED_KEYS,
  SLACK_CHANNEL_ID,
  SLACK_GROUP_ID,
  SLACK_USER_ID,
} from "./types.js";

type PathSegment = string | number;
/** Finds the line of a key (or of its value) in the source file, when the caller has it. */
export type LineLocator = (path: readonly PathSegment[], at: "key" | "value") => number | undefined;

const TOP_KEYS = ["environments", "github-users"] as const;
/** Probot's way of pulling in another file; refused: who may approve comes from one known place. */
const EXTENDS_KEY = "_extends";
const ENVIRONMENT_KEYS = [
  "approvers",
  "required-approvals",
  "allow-self-approval",
  "expire-after",
  "require-linked-account",
  "remind-after",
  "channel",
] as const;
const APPROVER_KEYS = ["users", "groups", "github-users", "github-teams"] as const;
/** `org/team-slug`: the organization's login, then the team's slug. */
const GITHUB_TEAM =
  /^([A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38})\/([A-Za-z0-9][A-Za-z0-9._-]{0,99})$/;
// GitHub's rules for environment names: at most 255 characters, no control characters.
const MAX_ENVIRONMENT_NAME = 255;
const CONTROL_CHARACTER = /\p{Cc}/u;
const DURATION = /^(\d{1,6})([mhd])$/;
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const EXAMPLE_APPROVERS = "approvers: { users: [U0123ABCD], groups: [S0123ABCD] }";

export function validatePolicyData(data: unknown, source: string, locate?: LineLocator): Policy {
  const problems: PolicyProblem[] = [];
  let total = 0;
  const report = (path: readonly PathSegment[], message: string, at: "key" | "value" = "value") => {
    total++;
    // Only what the message will show is located and kept.
    if (problems.length >= MAX_LISTED) return;
    const problem: PolicyProblem = { path: formatPath(path), message };
    const line = locate?.(path, at);
    if (line !== undefined) problem.line = line;
    problems.push(problem);
  };

  const environments = new Map<string, EnvironmentRules>();
  const githubUsers = new Map<string, string>();

  if (data === null || data === undefined || (isMapping(data) && Object.keys(data).length === 0)) {
    report([], "the policy file is empty; it needs an environments mapping that names who may approve");
    throw new PolicyError(source, problems);
  }
  if (!isMapping(data)) {
    report([], `the policy must be a mapping with an environments key, found ${describe(data)}`);
    throw new PolicyError(source, problems);
  }

  const misspelt = new Set<string>();
  for (const key of Object.keys(data)) {
    if ((TOP_KEYS as readonly string[]).includes(key)) continue;
    if (key === EXTENDS_KEY) {
      report(
        [key],
        "unknown key; a policy cannot extend another file: write it out here (only this file is read, or the organization's .github repository when the repository has none)",
        "key",
      );
      continue;
    }
    if (RESERVED_KEYS.has(key)) {
      report([key], unknownKey(key, TOP_KEYS), "key");
      continue;
    }
    const suggestion = closestKey(key, TOP_KEYS);
    if (suggestion) misspelt.add(suggestion);
    const value = data[key];
    const looksLikeEnvironment = isMapping(value) && ENVIRONMENT_KEYS.some((k) => Object.hasOwn(value, k));
    report(
      [key],
      looksLikeEnvironment
        ? `unknown key; environment rules belong under environments (environments.${key})`
        : unknownKey(key, TOP_KEYS),
      "key",
    );
  }

  if (!Object.hasOwn(data, "environments")) {
    if (!misspelt.has("environments")) {
      report(["environments"], "required: list the environments and who may approve them");
    }
  } else {
    const envs = data.environments;
    if (!isMapping(envs)) {
      report(["environments"], `must be a mapping of environment names to rules, found ${describe(envs)}`);
    } else if (Object.keys(envs).length === 0) {
      report(["environments"], "lists no environments, so nobody could approve anything");
    } else if (Object.keys(envs).length > POLICY_LIMITS.maxEnvironments) {
      report(
        ["environments"],
        `lists ${Object.keys(envs).length} environments; at most ${POLICY_LIMITS.maxEnvironments} are allowed (environments.default covers the rest)`,
        "key",
      );
    } else {
      const seen = new Map<string, string>();
      for (const [name, value] of Object.entries(envs)) {
        const path = ["environments", name];
        if (RESERVED_KEYS.has(name)) {
          report(path, `"${name}" is reserved and cannot name an environment`, "key");
          continue;
        }
        if (
          !name ||
          name.length > MAX_ENVIRONMENT_NAME ||
          CONTROL_CHARACTER.test(name) ||
          name.trim() !== name
        ) {
          report(path, "is not a valid GitHub environment name", "key");
          continue;
        }
        const folded = name.toLowerCase();
        const earlier = seen.get(folded);
        if (earlier !== undefined) {
          report(path, `repeats environments.${earlier}: GitHub environment names ignore case`, "key");
          continue;
        }
        seen.set(folded, name);
        const rules = validateEnvironment(name, value, path, report);
        if (rules) environments.set(name, rules);
      }
    }
  }

  if (Object.hasOwn(data, "github-users")) {
    const map = data["github-users"];
    if (map === null) {
      // An empty `github-users:` is harmless.
    } else if (!isMapping(map)) {
      report(
        ["github-users"],
        `must be a mapping of Slack user IDs to GitHub logins, found ${describe(map)}`,
      );
    } else if (Object.keys(map).length > POLICY_LIMITS.maxGithubUsers) {
      report(
        ["github-users"],
        `maps ${Object.keys(map).length} Slack users; at most ${POLICY_LIMITS.maxGithubUsers} are allowed`,
        "key",
      );
    } else {
      for (const [slackId, login] of Object.entries(map)) {
        const path = ["github-users", slackId];
        const idProblem = userIdProblem(slackId);
        if (idProblem) {
          report(path, idProblem, "key");
          continue;
        }
        if (typeof login !== "string") {
          report(path, `must be a GitHub login, found ${describe(login)}`);
        } else if (!GITHUB_LOGIN.test(login.replace(/^@/, ""))) {
          report(path, `"${clip(login)}" is not a valid GitHub login`);
        } else if (login.startsWith("@")) {
          report(path, `write the GitHub login without "@": ${login.slice(1)}`);
        } else {
          githubUsers.set(slackId, login);
        }
      }
    }
  }

  if (total > 0) throw new PolicyError(source, problems, total);
  const { warnings, warningCount } = identityWarnings(environments, githubUsers, locate);
  return { source, environments, githubUsers, warnings, warningCount };
}

/**
 * Where self-approval must be checked (`allow-self-approval: false`) and a linked account is not
 * required, an approver known to GitHub by neither a link nor `github-users` cannot be told apart from
 * whoever triggered the run: such approvals are refused at the click, and the policy says so here.
 */
function identityWarnings(
  environments: ReadonlyMap<string, EnvironmentRules>,
  githubUsers: ReadonlyMap<string, string>,
  locate?: LineLocator,
): { warnings: PolicyProblem[]; warningCount: number } {
  const warnings: PolicyProblem[] = [];
  let warningCount = 0;
  const warn = (path: readonly PathSegment[], message: string) => {
    warningCount++;
    if (warnings.length >= MAX_LISTED) return;
    const warning: PolicyProblem = { path: formatPath(path), message };
    const line = locate?.(path, "value");
    if (line !== undefined) warning.line = line;
    warnings.push(warning);
  };
  for (const [name, rules] of environments) {
    if (rules.allowSelfApproval || rules.requireLinkedAccount) continue;
    const unmapped = rules.users.filter((user) => !githubUsers.has(user));
    if (unmapped.length > 0) {
      warn(
        ["environments", name, "approvers", "users"],
        `${unmapped.slice(0, 5).join(", ")}${unmapped.length > 5 ? ` and ${unmapped.length - 5} more` : ""} ${unmapped.length === 1 ? "has" : "have"} no github-users entry: with allow-self-approval false, their approvals are refused until they link their GitHub account (/deploy-gate link), since nobody could tell whether they triggered the run`,
      );
    }
    if (rules.groups.length > 0) {
      warn(
        ["environments", name, "approvers", "groups"],
        "members of these Slack groups who have neither linked their GitHub account nor a github-users entry are refused when they approve (self-approval cannot be checked for them); require-linked-account: true makes that the rule for everyone",
      );
    }
  }
  return { warnings, warningCount };
}

function validateEnvironment(
  name: string,
  value: unknown,
  path: PathSegment[],
  report: (path: readonly PathSegment[], message: string, at?: "key" | "value") => void,
): EnvironmentRules | undefined {
  if (!isMapping(value)) {
    report(
      path,
      value === null
        ? `has no rules; add approvers, e.g. ${EXAMPLE_APPROVERS}`
        : `must be a mapping of rules, found ${describe(value)}`,
    );
    return undefined;
  }
  // Problems in this environment; once there is one, the cross-field check below would only add noise.
  let problemCount = 0;
  const counting = (p: readonly PathSegment[], message: string, at?: "key" | "value") => {
    problemCount++;
    report(p, message, at);
  };

  const misspelt = new Set<string>();
  for (const key of Object.keys(value)) {
    if (!(ENVIRONMENT_KEYS as readonly string[]).includes(key)) {
      const suggestion = closestKey(key, ENVIRONMENT_KEYS);
      if (suggestion) misspelt.add(suggestion);
      counting([...path, key], unknownKey(key, ENVIRONMENT_KEYS), "key");
    }
  }

  const users: string[] = [];
  const groups: string[] = [];
  const githubLogins: string[] = [];
  const githubTeams: GithubTeam[] = [];
  const approversPath = [...path, "approvers"];
  if (!Object.hasOwn(value, "approvers")) {
    // A misspelt `approvers` is already reported as such.
    if (!misspelt.has("approvers"))
      counting(approversPath, `required: who may approve, e.g. ${EXAMPLE_APPROVERS}`);
  } else {
    const approvers = value.approvers;
    if (Array.isArray(approvers)) {
      counting(
        approversPath,
        `must be a mapping with users and/or groups, not a list; e.g. ${EXAMPLE_APPROVERS}`,
      );
    } else if (!isMapping(approvers)) {
      counting(approversPath, `must be a mapping with users and/or groups, found ${describe(approvers)}`);
    } else {
      for (const key of Object.keys(approvers)) {
        if (!(APPROVER_KEYS as readonly string[]).includes(key)) {
          counting([...approversPath, key], unknownKey(key, APPROVER_KEYS), "key");
        }
      }
      collectIds(approvers.users, [...approversPath, "users"], USER_LIST, users, counting);
      collectIds(approvers.groups, [...approversPath, "groups"], GROUP_LIST, groups, counting);
      collectIds(
        approvers["github-users"],
        [...approversPath, "github-users"],
        LOGIN_LIST,
        githubLogins,
        counting,
      );
      const teams: string[] = [];
      collectIds(approvers["github-teams"], [...approversPath, "github-teams"], TEAM_LIST, teams, counting);
      for (const team of teams) {
        const [org, slug] = team.split("/") as [string, string];
        githubTeams.push({ org, slug });
      }
    }
  }

  let requiredApprovals: number = POLICY_DEFAULTS.requiredApprovals;
  const requiredPath = [...path, "required-approvals"];
  if (Object.hasOwn(value, "required-approvals")) {
    const n = value["required-approvals"];
    const max = POLICY_LIMITS.maxRequiredApprovals;
    if (typeof n !== "number" || !Number.isInteger(n) || n < 1 || n > max) {
      counting(requiredPath, `must be a whole number from 1 to ${max}, found ${describe(n)}`);
    } else {
      requiredApprovals = n;
    }
  }

  let allowSelfApproval: boolean = POLICY_DEFAULTS.allowSelfApproval;
  if (Object.hasOwn(value, "allow-self-approval")) {
    const flag = value["allow-self-approval"];
    if (typeof flag !== "boolean") {
      counting([...path, "allow-self-approval"], `must be true or false, found ${describe(flag)}`);
    } else {
      allowSelfApproval = flag;
    }
  }

  let expireAfterMs = parseDuration(POLICY_DEFAULTS.expireAfter) as number;
  if (Object.hasOwn(value, "expire-after")) {
    const raw = value["expire-after"];
    const ms = typeof raw === "string" ? parseDuration(raw) : undefined;
    if (ms === undefined) {
      counting(
        [...path, "expire-after"],
        `must be a duration such as 30m, 24h or 7d (minutes, hours or days), found ${describe(raw)}`,
      );
    } else if (ms < POLICY_LIMITS.minExpireAfterMs || ms > POLICY_LIMITS.maxExpireAfterMs) {
      counting([...path, "expire-after"], `must be between 1m and 30d, found ${raw as string}`);
    } else {
      expireAfterMs = ms;
    }
  }

  let remindAfterMs: number | null = null;
  if (Object.hasOwn(value, "remind-after")) {
    const raw = value["remind-after"];
    const ms = typeof raw === "string" ? parseDuration(raw) : undefined;
    if (raw === null) {
      // An empty `remind-after:` sends no reminders, as leaving it out does.
    } else if (ms === undefined) {
      counting(
        [...path, "remind-after"],
        `must be a duration such as 30m, 4h or 1d (minutes, hours or days), found ${describe(raw)}`,
      );
    } else if (ms < POLICY_LIMITS.minRemindAfterMs) {
      counting([...path, "remind-after"], `must be at least 1m, found ${raw as string}`);
    } else if (ms >= expireAfterMs) {
      counting(
        [...path, "remind-after"],
        `${raw as string} is not shorter than expire-after (${durationText(value["expire-after"], expireAfterMs)}): the request would expire before the first reminder`,
      );
    } else {
      remindAfterMs = ms;
    }
  }

  let channel: string | null = null;
  if (Object.hasOwn(value, "channel")) {
    const raw = value.channel;
    if (raw === null) {
      // An empty `channel:` leaves posting to the workflow, as leaving it out does.
    } else if (typeof raw !== "string") {
      counting([...path, "channel"], `must be a Slack channel ID such as C0123ABCD, found ${describe(raw)}`);
    } else if (!SLACK_CHANNEL_ID.test(raw)) {
      counting([...path, "channel"], channelProblem(raw));
    } else {
      channel = raw;
    }
  }

  let requireLinkedAccount = false;
  if (Object.hasOwn(value, "require-linked-account")) {
    const flag = value["require-linked-account"];
    if (typeof flag !== "boolean") {
      counting([...path, "require-linked-account"], `must be true or false, found ${describe(flag)}`);
    } else {
      requireLinkedAccount = flag;
    }
  }

  // Only listed people can be counted; groups and teams may hold any number of them.
  const listed = users.length + githubLogins.length;
  if (problemCount === 0 && groups.length === 0 && githubTeams.length === 0 && requiredApprovals > listed) {
    if (listed === 0) {
      counting(
        approversPath,
        `lists no users and no groups, so nobody could approve; e.g. ${EXAMPLE_APPROVERS}`,
      );
    } else {
      counting(
        requiredPath,
        `needs ${requiredApprovals} approvals but only ${listed} ${listed === 1 ? "user is" : "users are"} listed and no groups or teams`,
      );
    }
  }

  if (problemCount > 0) return undefined;
  return {
    name,
    users,
    groups,
    githubLogins,
    githubTeams,
    requireLinkedAccount,
    requiredApprovals,
    allowSelfApproval,
    expireAfterMs,
    remindAfterMs,
    channel,
  };
}

function channelProblem(raw: string): string {
  if (raw.startsWith("#")) {
    return `"${clip(raw)}" is a channel name; use the channel's ID (C…), shown at the bottom of the channel's details: a name can change, an ID cannot`;
  }
  if (SLACK_CHANNEL_ID.test(raw.toUpperCase())) return `Slack IDs are upper case: write ${raw.toUpperCase()}`;
  if (SLACK_USER_ID.test(raw) || SLACK_GROUP_ID.test(raw)) {
    return `"${clip(raw)}" is a person or a user group, not a channel; give a channel ID (C…)`;
  }
  return `"${clip(raw)}" is not a Slack channel ID (C… or G… followed by letters and digits)`;
}

/** How the policy wrote a duration, or the default's words. */
function durationText(raw: unknown, ms: number): string {
  return typeof raw === "string" ? raw : `${Math.round(ms / 3_600_000)}h, the default`;
}

interface IdList {
  problemOf(id: string): string | undefined;
  max: number;
  tooMany(count: number): string;
  /** Duplicates are found ignoring case (GitHub names), not exactly (Slack IDs). */
  fold?: boolean;
}

const USER_LIST: IdList = {
  problemOf: userIdProblem,
  max: POLICY_LIMITS.maxUsersPerEnvironment,
  tooMany: (n) =>
    `lists ${n} users; at most ${POLICY_LIMITS.maxUsersPerEnvironment} are allowed (a Slack user group can hold any number)`,
};
const GROUP_LIST: IdList = {
  problemOf: groupIdProblem,
  max: POLICY_LIMITS.maxGroupsPerEnvironment,
  tooMany: (n) => `lists ${n} groups; at most ${POLICY_LIMITS.maxGroupsPerEnvironment} are allowed`,
};

const LOGIN_LIST: IdList = {
  problemOf: loginProblem,
  max: POLICY_LIMITS.maxGithubLoginsPerEnvironment,
  tooMany: (n) =>
    `lists ${n} GitHub logins; at most ${POLICY_LIMITS.maxGithubLoginsPerEnvironment} are allowed (a GitHub team can hold any number)`,
  fold: true,
};
const TEAM_LIST: IdList = {
  problemOf: teamProblem,
  max: POLICY_LIMITS.maxGithubTeamsPerEnvironment,
  tooMany: (n) =>
    `lists ${n} GitHub teams; at most ${POLICY_LIMITS.maxGithubTeamsPerEnvironment} are allowed`,
  fold: true,
};

function loginProblem(login: string): string | undefined {
  if (GITHUB_LOGIN.test(login)) return undefined;
  if (login.startsWith("@") && GITHUB_LOGIN.test(login.slice(1)))
    return `write the GitHub login without "@": ${login.slice(1)}`;
  if (GITHUB_TEAM.test(login.replace(/^@/, "")))
    return `"${clip(login)}" is a team; list it under github-teams`;
  return `"${clip(login)}" is not a valid GitHub login`;
}

function teamProblem(team: string): string | undefined {
  if (GITHUB_TEAM.test(team)) return undefined;
  if (team.startsWith("@") && GITHUB_TEAM.test(team.slice(1)))
    return `write the team without "@": ${team.slice(1)}`;
  if (GITHUB_LOGIN.test(team.replace(/^@/, "")))
    return `"${clip(team)}" names no team: write org/team-slug (a single person goes under github-users)`;
  return `"${clip(team)}" is not a GitHub team: write org/team-slug, e.g. acme/release-managers`;
}

function collectIds(
  list: unknown,
  path: PathSegment[],
  kind: IdList,
  into: string[],
  report: (path: readonly PathSegment[], message: string, at?: "key" | "value") => void,
): void {
  if (list === undefined || list === null) return;
  if (!Array.isArray(list)) {
    report(
      path,
      `must be a list, e.g. [${typeof list === "string" ? clip(list) : "…"}], found ${describe(list)}`,
    );
    return;
  }
  if (list.length > kind.max) {
    report(path, kind.tooMany(list.length));
    return;
  }
  const seen = new Set<string>();
  list.forEach((item, index) => {
    if (typeof item !== "string") {
      report(
        [...path, index],
        `must be ${kind.fold ? "a GitHub name" : "a Slack ID"}, found ${describe(item)}`,
      );
      return;
    }
    const problem = kind.problemOf(item);
    const key = kind.fold ? item.toLowerCase() : item;
    if (problem) report([...path, index], problem);
    else if (!seen.has(key)) {
      seen.add(key);
      into.push(item);
    }
  });
}

function userIdProblem(id: string): string | undefined {
  if (SLACK_USER_ID.test(id)) return undefined;
  if (SLACK_GROUP_ID.test(id)) return `"${clip(id)}" is a user group ID; list it under groups`;
  if (SLACK_USER_ID.test(id.toUpperCase())) return `Slack IDs are upper case: write ${id.toUpperCase()}`;
  if (id.startsWith("@")) {
    return `"${clip(id)}" is a name, not a Slack user ID; use the member ID (U…), shown in the person's Slack profile under "Copy member ID"`;
  }
  return `"${clip(id)}" is not a Slack user ID (U… or W… followed by letters and digits)`;
}

function groupIdProblem(id: string): string | undefined {
  if (SLACK_GROUP_ID.test(id)) return undefined;
  if (SLACK_USER_ID.test(id)) return `"${clip(id)}" is a user ID; list it under users`;
  if (SLACK_GROUP_ID.test(id.toUpperCase())) return `Slack IDs are upper case: write ${id.toUpperCase()}`;
  if (id.startsWith("@")) {
    return `"${clip(id)}" is a handle, not a user group ID; use the group's ID (S…), shown in the group's details`;
  }
  return `"${clip(id)}" is not a Slack user group ID (S… followed by letters and digits)`;
}

function unknownKey(key: string, known: readonly string[]): string {
  const suggestion = closestKey(key, known);
  const list = known.join(", ");
  return suggestion ? `unknown key; did you mean "${suggestion}"?` : `unknown key; expected one of: ${list}`;
}

/** `30m`, `24h`, `7d` → milliseconds; undefined when not in that form. */
export function parseDuration(text: string): number | undefined {
  const match = DURATION.exec(text.trim());
  if (!match) return undefined;
  return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

/** Names what was found, in the YAML author's terms. */
function describe(value: unknown): string {
  if (value === null || value === undefined) return "nothing";
  if (typeof value === "string") return `text "${clip(value)}"`;
  if (typeof value === "number") return `the number ${value}`;
  if (typeof value === "boolean") return `${value}`;
  if (Array.isArray(value)) return "a list";
  if (value instanceof Date) return "a date";
  if (typeof value === "object") return "a mapping";
  return typeof value;
}
