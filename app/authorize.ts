// Who may act on a request. Everything comes from GitHub and the target repository's policy on its
// default branch, never from the message or the workflow; any doubt refuses (fail closed).
import { type RequestReference, sameReference } from "../common/reference.js";
import type { Octokit, RunInfo, RunLookup } from "./github/runs.js";
import { split } from "./github/runs.js";
import {
  type EnvironmentRules,
  githubLoginFor,
  type Policy,
  type PolicyLoader,
  resolveEnvironment,
} from "./policy/index.js";
import type { SlackApi } from "./slack/api.js";
import { slackErrorCode } from "./slack/api.js";
import type { RequestRow, Store } from "./store/types.js";

export interface Actor {
  user: string;
  channelId: string;
  messageTs: string;
}

export type Authorization =
  | {
      ok: true;
      rules: EnvironmentRules;
      policy: Policy;
      run: RunInfo;
      octokit: Octokit;
      installationId: number;
      existing: RequestRow | undefined;
    }
  | { ok: false; message: string; expired?: boolean };

export interface Authorizer {
  authorize(reference: RequestReference, actor: Actor, action: "approve" | "reject"): Promise<Authorization>;
}

export function createAuthorizer(deps: {
  store: Store;
  runs: RunLookup;
  policies: PolicyLoader;
  slack: SlackApi;
  now?: () => Date;
}): Authorizer {
  const { store, runs, policies, slack } = deps;
  const now = deps.now ?? (() => new Date());

  async function isListed(rules: EnvironmentRules, user: string): Promise<boolean | string> {
    if (rules.users.includes(user)) return true;
    for (const group of rules.groups) {
      try {
        if ((await slack.groupMembers(group)).includes(user)) return true;
      } catch (error) {
        return `Could not read the members of Slack group ${group} (${slackErrorCode(error)}); the bot needs the usergroups:read scope.`;
      }
    }
    return false;
  }

  return {
    async authorize(reference, actor, action) {
      const existing = await store.getRequest(reference.requestId);
      if (existing && !matches(existing, reference, actor)) {
        return {
          ok: false,
          message: "This button does not match the approval request it names, so it was ignored.",
        };
      }

      const check = await runs.check(reference);
      if (!check.ok) return { ok: false, message: check.message };

      const [owner, repo] = split(reference.repository);
      const loaded = await policies.load(check.octokit, owner, repo);
      if (!loaded.ok) {
        if (loaded.kind === "missing") {
          return {
            ok: false,
            message: `${reference.repository} has no approval policy, so nobody can approve its deployments. Add .github/slack-deploy-gate.yml to its default branch (or to ${owner}/.github).`,
          };
        }
        if (loaded.kind === "invalid") {
          return {
            ok: false,
            message: `The approval policy is invalid, so nobody can approve until it is fixed: ${loaded.message}`,
          };
        }
        return {
          ok: false,
          message: `Could not read the approval policy from GitHub (${loaded.message}). Nothing changed; try again shortly.`,
        };
      }

      const rules = resolveEnvironment(loaded.policy, reference.environment);
      if (!rules || (rules.users.length === 0 && rules.groups.length === 0)) {
        return {
          ok: false,
          message: `The policy in ${loaded.source} names no approvers for "${reference.environment}" (and no default), so nobody can approve it.`,
        };
      }

      const listed = await isListed(rules, actor.user);
      if (typeof listed === "string") return { ok: false, message: listed };
      if (!listed) {
        return {
          ok: false,
          message: `You are not an approver for ${reference.environment} in ${reference.repository} (policy: ${loaded.source}). Nothing was changed.`,
        };
      }

      if (action === "approve" && !rules.allowSelfApproval) {
        const login = githubLoginFor(loaded.policy, actor.user);
        const triggeredBy = [check.run.triggeringActor, check.run.actor]
          .filter(Boolean)
          .map((l) => l!.toLowerCase());
        if (login && triggeredBy.includes(login.toLowerCase())) {
          return {
            ok: false,
            message: `You triggered this run (as ${login}), and the policy does not allow self-approval for ${reference.environment}. Another approver has to approve it.`,
          };
        }
      }

      const createdAt = existing?.createdAt ?? slackTsToDate(actor.messageTs);
      if (now().getTime() > createdAt.getTime() + rules.expireAfterMs) {
        return {
          ok: false,
          expired: true,
          message: "This approval request has expired. Re-run the workflow to ask again.",
        };
      }

      return {
        ok: true,
        rules,
        policy: loaded.policy,
        run: check.run,
        octokit: check.octokit,
        installationId: check.installationId,
        existing,
      };
    },
  };
}

function matches(row: RequestRow, reference: RequestReference, actor: Actor): boolean {
  return (
    sameReference(
      {
        repository: row.repository,
        runId: row.runId,
        runAttempt: row.runAttempt,
        environment: row.environment,
        mode: row.mode,
        requestId: row.requestId,
      },
      reference,
    ) &&
    row.channelId === actor.channelId &&
    row.messageTs === actor.messageTs
  );
}

/** A Slack message ts is "<epoch seconds>.<sequence>". */
export function slackTsToDate(ts: string): Date {
  const seconds = Number.parseFloat(ts);
  return Number.isFinite(seconds) ? new Date(Math.floor(seconds * 1000)) : new Date(0);
}
