// The commit title shown in the request. Nice to have, never worth failing the step over: the caller
// warns and posts without it when this throws.
import { getOctokit } from "@actions/github";
import { firstLine } from "../common/mrkdwn.js";

export interface CommitLookup {
  token: string;
  apiUrl: string;
  owner: string;
  repo: string;
  sha: string;
  timeoutMs?: number;
}

export async function fetchCommitTitle(lookup: CommitLookup): Promise<string> {
  if (!lookup.token) throw new Error("no `github-token` to read the commit with");
  if (!lookup.sha) throw new Error("GITHUB_SHA is not set");
  const octokit = getOctokit(lookup.token, {
    baseUrl: lookup.apiUrl.replace(/\/+$/, ""),
    request: { signal: AbortSignal.timeout(lookup.timeoutMs ?? 10_000) },
  });
  // per_page: 1 keeps GitHub from sending up to 300 changed files we do not use.
  const { data } = await octokit.rest.repos.getCommit({
    owner: lookup.owner,
    repo: lookup.repo,
    ref: lookup.sha,
    per_page: 1,
  });
  return firstLine(data.commit.message);
}
