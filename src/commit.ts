// The commit title shown in the request. Nice to have, never worth failing the step over: the caller
// warns and posts without it when this throws.
import { firstLine } from "../common/mrkdwn.js";
import { type GitHubClient, timeoutOption } from "./github.js";

export interface CommitLookup {
  client: GitHubClient | undefined;
  owner: string;
  repo: string;
  sha: string;
}

export async function fetchCommitTitle(lookup: CommitLookup): Promise<string> {
  if (!lookup.client) throw new Error("no `github-token` to read the commit with");
  if (!lookup.sha) throw new Error("GITHUB_SHA is not set");
  // per_page: 1 keeps GitHub from sending up to 300 changed files we do not use.
  const { data } = await lookup.client.rest.repos.getCommit({
    owner: lookup.owner,
    repo: lookup.repo,
    ref: lookup.sha,
    per_page: 1,
    ...timeoutOption(10_000),
  });
  return firstLine(data.commit.message);
}
