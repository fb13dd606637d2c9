// First contact: what the App itself reads from GitHub and the policy about a request, kept with it
// and used to rebuild the message's header and fields on every update. The words a poster wrote are
// never the source: the run (workflow, branch, event, actor, commit), the commit's title, what changed
// since the last successful deployment, and who may approve by when.
import { readChanges } from "../../common/changes.js";
import type { ApprovalSummary, ApproverName, RequestFacts } from "../../common/facts.js";
import { firstLine } from "../../common/mrkdwn.js";
import { splitRepository } from "../github/errors.js";
import type { Octokit } from "../github/installations.js";
import type { RunInfo } from "../github/runs.js";
import type { EnvironmentRules } from "../policy/index.js";

/** Each read on first contact gives up after this long; the request goes on without that fact. */
const READ_TIMEOUT_MS = 4_000;

export interface FirstContact {
  facts: RequestFacts;
  expiresAt: Date | null;
  remindEveryMs: number | null;
}

/** Reads the commit's title and what changed (in parallel, bounded) and puts them with the run's facts. */
export async function readFirstContact(
  octokit: Octokit,
  input: {
    repository: string;
    environment: string;
    run: RunInfo;
    rules: EnvironmentRules | undefined;
    /** When the request was posted: expiry counts from here. */
    createdAt: Date;
  },
): Promise<FirstContact> {
  const { run, rules } = input;
  const [owner, repo] = splitRepository(input.repository);
  const [commitTitle, changes] = await Promise.all([
    octokit.rest.repos
      .getCommit({
        owner,
        repo,
        ref: run.headSha,
        per_page: 1,
        request: { retries: 0, signal: AbortSignal.timeout(READ_TIMEOUT_MS) },
      })
      .then(({ data }) => firstLine(data.commit.message))
      .catch(() => undefined),
    readChanges(octokit as never, {
      owner,
      repo,
      environment: input.environment,
      sha: run.headSha,
      timeoutMs: READ_TIMEOUT_MS,
    }),
  ]);
  const expiresAt = rules ? new Date(input.createdAt.getTime() + rules.expireAfterMs) : null;
  const facts: RequestFacts = {
    ...runFacts(input.repository, run),
    ...(commitTitle ? { commitTitle } : {}),
    changes,
    ...(rules ? { approval: approvalSummary(rules, expiresAt) } : {}),
  };
  return { facts, expiresAt, remindEveryMs: rules?.remindAfterMs ?? null };
}

/** What GitHub's run says, as the message shows it. */
export function runFacts(repository: string, run: RunInfo): RequestFacts {
  return {
    serverUrl: serverUrlOf(repository, run.htmlUrl),
    workflow: run.name || "workflow",
    ref: run.headBranch ?? "",
    sha: run.headSha,
    actor: run.actor ?? run.triggeringActor ?? "",
    eventName: run.event,
  };
}

/** Who may approve, how many must, and when it expires: from the policy in force. */
export function approvalSummary(rules: EnvironmentRules, expiresAt: Date | null): ApprovalSummary {
  const approvers: ApproverName[] = [
    ...rules.groups.map((id): ApproverName => ({ kind: "group", id })),
    ...rules.githubTeams.map((t): ApproverName => ({ kind: "github_team", org: t.org, slug: t.slug })),
    ...rules.users.map((id): ApproverName => ({ kind: "user", id })),
    ...rules.githubLogins.map((login): ApproverName => ({ kind: "github_user", login })),
  ];
  return {
    required: rules.requiredApprovals,
    approvers,
    ...(expiresAt ? { expiresAt: expiresAt.toISOString(), expireAfterMs: rules.expireAfterMs } : {}),
  };
}

/** `https://github.com` from `https://github.com/acme/api/actions/runs/1` (GitHub Enterprise alike). */
export function serverUrlOf(repository: string, runHtmlUrl: string): string {
  const at = runHtmlUrl.toLowerCase().indexOf(`/${repository.toLowerCase()}/actions/runs/`);
  if (at > 0) return runHtmlUrl.slice(0, at);
  try {
    return new URL(runHtmlUrl).origin;
  } catch {
    return "https://github.com";
  }
}
