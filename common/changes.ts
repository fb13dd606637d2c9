// What changed since the last successful deployment to an environment: the commits between the
// deployed commit and the one waiting (count, a few titles with authors, a compare link). Read the same
// way by the Action (with the job's `github-token`: deployments: read, contents: read) and by the App
// (through its installation) for the requests it posts. Any Octokit works: only `request` is used.
import { firstLine } from "./mrkdwn.js";

export interface ChangeCommit {
  sha: string;
  /** The commit message's first line. */
  title: string;
  /** GitHub login where GitHub knows the author, else the name in the commit. */
  author: string | null;
}

/** The deployment this one is compared with. */
export interface DeployedCommit {
  sha: string;
  /** When it succeeded (its success status), ISO 8601. */
  at: string;
}

export type Changes =
  /** No successful deployment to this environment yet. */
  | { kind: "first" }
  /** The waiting commit is the one deployed now (a re-deploy). */
  | { kind: "same"; since: DeployedCommit }
  /** `count` commits on top of the deployed one; `commits` the newest few, newest first. */
  | { kind: "ahead"; since: DeployedCommit; count: number; commits: ChangeCommit[]; compareUrl: string }
  /** An older commit than the deployed one: `count` deployed commits would be rolled back. */
  | { kind: "behind"; since: DeployedCommit; count: number; compareUrl: string }
  /**
   * The deployed commit is not in this commit's history (a force-push rewrote it, or another branch).
   * `ahead`/`behind` are null when GitHub no longer has the deployed commit at all.
   */
  | {
      kind: "rewritten";
      since: DeployedCommit;
      ahead: number | null;
      behind: number | null;
      commits: ChangeCommit[];
      compareUrl: string | null;
    }
  /** GitHub could not say (no permission, an error): `reason` says why, for the message. */
  | { kind: "unknown"; reason: string };

/** The newest commits shown; the count says how many there are in all. */
export const SHOWN_COMMITS = 5;
/** Deployments looked at, newest first, for one that succeeded. */
const DEPLOYMENTS_SCANNED = 20;
/** Statuses read (one deployment each) before giving up: bounds the calls to a few. */
const STATUS_READS = 8;

/** The slice of Octokit used here: `@actions/github`'s and Probot's both fit. */
export interface GitHubRequester {
  request(route: string, parameters: Record<string, unknown>): Promise<{ data: unknown }>;
}

export interface ChangesQuery {
  owner: string;
  repo: string;
  environment: string;
  /** The commit waiting to be deployed. */
  sha: string;
  /** Per call, so that a stalled GitHub cannot hold the caller. */
  timeoutMs?: number;
}

interface DeploymentData {
  id: number;
  sha: string;
  created_at: string;
}

interface StatusData {
  state: string;
  created_at: string;
}

interface CompareData {
  status: "ahead" | "behind" | "identical" | "diverged";
  ahead_by: number;
  behind_by: number;
  total_commits: number;
  html_url: string;
  commits: Array<{
    sha: string;
    commit: { message: string; author: { name?: string } | null };
    author: { login?: string } | null;
  }>;
}

/** Never throws: a failure is `{ kind: "unknown" }` with GitHub's reason. */
export async function readChanges(github: GitHubRequester, query: ChangesQuery): Promise<Changes> {
  try {
    const since = await lastSuccessfulDeployment(github, query);
    if (!since) return { kind: "first" };
    if (since.sha === query.sha) return { kind: "same", since };
    return await compare(github, query, since);
  } catch (error) {
    return { kind: "unknown", reason: describe(error) };
  }
}

async function lastSuccessfulDeployment(
  github: GitHubRequester,
  query: ChangesQuery,
): Promise<DeployedCommit | undefined> {
  const { data } = await github.request("GET /repos/{owner}/{repo}/deployments", {
    owner: query.owner,
    repo: query.repo,
    environment: query.environment,
    per_page: DEPLOYMENTS_SCANNED,
    request: requestOptions(query),
  });
  const deployments = data as DeploymentData[];
  let reads = 0;
  // Newest first: the first whose newest status is `success` is what runs in the environment now (an
  // older success that a newer one replaced reads `inactive`, a failed attempt `failure`, and the
  // deployment waiting at this very gate `waiting` or `queued`).
  for (const deployment of deployments) {
    if (reads >= STATUS_READS) break;
    reads += 1;
    const { data: statuses } = await github.request(
      "GET /repos/{owner}/{repo}/deployments/{deployment_id}/statuses",
      {
        owner: query.owner,
        repo: query.repo,
        deployment_id: deployment.id,
        per_page: 1,
        request: requestOptions(query),
      },
    );
    const newest = (statuses as StatusData[])[0];
    if (newest?.state === "success") return { sha: deployment.sha, at: newest.created_at };
  }
  return undefined;
}

async function compare(
  github: GitHubRequester,
  query: ChangesQuery,
  since: DeployedCommit,
): Promise<Changes> {
  let data: CompareData;
  try {
    ({ data } = (await github.request("GET /repos/{owner}/{repo}/compare/{basehead}", {
      owner: query.owner,
      repo: query.repo,
      basehead: `${since.sha}...${query.sha}`,
      per_page: 100,
      request: requestOptions(query),
    })) as { data: CompareData });
  } catch (error) {
    // 404: GitHub no longer has the deployed commit (rewritten and collected) or the two share no history.
    if (statusOf(error) === 404) {
      return { kind: "rewritten", since, ahead: null, behind: null, commits: [], compareUrl: null };
    }
    throw error;
  }
  const commits = newestFirst(data.commits);
  switch (data.status) {
    case "identical":
      return { kind: "same", since };
    case "ahead":
      return { kind: "ahead", since, count: data.ahead_by, commits, compareUrl: data.html_url };
    case "behind":
      return { kind: "behind", since, count: data.behind_by, compareUrl: data.html_url };
    case "diverged":
      return {
        kind: "rewritten",
        since,
        ahead: data.ahead_by,
        behind: data.behind_by,
        commits,
        compareUrl: data.html_url,
      };
  }
}

/** GitHub lists a comparison's commits oldest first (one page); the newest few are what is shown. */
function newestFirst(commits: CompareData["commits"]): ChangeCommit[] {
  return commits
    .slice(-SHOWN_COMMITS)
    .reverse()
    .map((c) => ({
      sha: c.sha,
      title: firstLine(c.commit.message),
      author: c.author?.login ?? c.commit.author?.name ?? null,
    }));
}

function requestOptions(query: ChangesQuery): Record<string, unknown> {
  return { signal: AbortSignal.timeout(query.timeoutMs ?? 10_000), retries: 0 };
}

function statusOf(error: unknown): number | undefined {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === "number" ? status : undefined;
}

function describe(error: unknown): string {
  const status = statusOf(error);
  if (status === 403 || status === 404) {
    return `GitHub answered ${status}: the token needs deployments: read and contents: read`;
  }
  if (status !== undefined) return `GitHub answered ${status}`;
  const name = (error as { name?: unknown } | null)?.name;
  if (name === "TimeoutError" || name === "AbortError") return "GitHub did not answer in time";
  return "GitHub could not be reached";
}
