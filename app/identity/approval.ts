// The GitHub side of "may this person act on this request", after their Slack listing is known:
// - listing through GitHub: `approvers.github-users` (logins) and `approvers.github-teams` (membership of
//   a team of the repository's own organization, read now), for the clicker's GitHub identity;
// - `require-linked-account`: only people with a link GitHub still vouches for;
// - self-approval: nobody approves a run they triggered unless the policy allows it, judged against
//   every GitHub identity known for the clicker (the linked account, then the policy's `github-users`
//   entry); a clicker known by neither is refused, never waved through.
// The clicker's GitHub identity is their linked account when GitHub still has it, else the policy's
// `github-users` entry (the policy is the authority on who may approve anyway). A link to an account
// GitHub calls deleted or suspended vouches for nobody: wherever identity matters, it refuses.

import { splitRepository } from "../github/errors.js";
import type { RunInfo } from "../github/runs.js";
import { type EnvironmentRules, githubLoginFor, type Policy } from "../policy/index.js";
import type { Refusal } from "../sentences.js";
import type { ClickerLookup } from "./clicker.js";
import { DirectoryRefusedError } from "./directory.js";

/** The policy in force for a click, with what the click path read about the run and the clicker. */
export interface PolicyInForce {
  policy: Policy;
  rules: EnvironmentRules;
  source: string;
  run: RunInfo;
  repository: string;
  environment: string;
  people: ClickerLookup;
}

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/** Null when the person may act; otherwise why not. `listedInSlack`: named in users or a Slack group. */
export async function githubSideRefusal(
  force: PolicyInForce,
  user: string,
  action: "approve" | "reject",
  listedInSlack: boolean,
): Promise<Refusal | null> {
  const { rules, policy, people } = force;
  const githubListing = rules.githubLogins.length > 0 || rules.githubTeams.length > 0;
  const checksSelf = action === "approve" && !rules.allowSelfApproval;
  if (!listedInSlack && !githubListing) return notApprover(force, false);
  if (listedInSlack && !rules.requireLinkedAccount && !checksSelf) return null;

  const linked = await people.linked(user);
  if (linked.kind === "gone") {
    return { kind: "link_gone", login: linked.login, why: linked.why, canLink: people.canLink };
  }
  if (rules.requireLinkedAccount && linked.kind !== "linked") {
    return { kind: "link_required", environment: force.environment, canLink: people.canLink };
  }
  const mapped = githubLoginFor(policy, user);
  const login = linked.kind === "linked" ? linked.login : mapped;

  if (!listedInSlack) {
    if (!login) return notApprover(force, true, people.canLink);
    const listed = await listedOnGitHub(force, login);
    if (listed !== true) return listed === false ? notApprover(force, false) : listed;
  }

  if (checksSelf) {
    const known = [linked.kind === "linked" ? linked.login : undefined, mapped].filter((l): l is string =>
      Boolean(l),
    );
    if (known.length === 0) {
      return { kind: "identity_unknown", environment: force.environment, canLink: people.canLink };
    }
    const triggeredBy = [force.run.triggeringActor, force.run.actor].filter((l): l is string => Boolean(l));
    const self = known.find((k) => triggeredBy.some((t) => same(k, t)));
    if (self) return { kind: "self_approval", login: self, environment: force.environment };
  }
  return null;
}

/** True when named in github-users or in one of the github-teams; false; or a refusal when GitHub will not say. */
async function listedOnGitHub(force: PolicyInForce, login: string): Promise<true | false | Refusal> {
  const { rules, people } = force;
  if (rules.githubLogins.some((l) => same(l, login))) return true;
  // Teams are read through the repository's installation: only its own organization's teams count.
  const [owner] = splitRepository(force.repository);
  for (const team of rules.githubTeams) {
    if (!same(team.org, owner)) continue;
    try {
      if (await people.inTeam(team, login)) return true;
    } catch (error) {
      if (error instanceof DirectoryRefusedError) {
        return { kind: "team_unreadable", team: `${team.org}/${team.slug}`, status: error.status };
      }
      throw error;
    }
  }
  return false;
}

function notApprover(force: PolicyInForce, unknownOnGitHub: boolean, canLink = false): Refusal {
  return {
    kind: "not_approver",
    environment: force.environment,
    repository: force.repository,
    source: force.source,
    ...(unknownOnGitHub ? { unknownOnGitHub: true, canLink } : {}),
  };
}

/** The GitHub login a decider is shown by: their linked account, else the policy's entry; null when neither. */
export async function deciderLogin(
  force: Pick<PolicyInForce, "policy" | "people">,
  user: string,
): Promise<string | null> {
  const linked = await force.people.linked(user).catch(() => undefined);
  if (linked?.kind === "linked") return linked.login;
  if (linked?.kind === "gone") return null;
  return githubLoginFor(force.policy, user) ?? null;
}
