// Reads the check runs of one name on one commit, with conditional requests: each listing's ETag is
// sent back as If-None-Match, and GitHub answers 304 Not Modified while nothing changed. A 304 does not
// count against the token's primary rate limit, so an hour of polling costs next to nothing.
import { type GitHubClient, statusOf, timeoutOption } from "./github.js";

export interface CheckRunView {
  id: number;
  name: string;
  headSha: string;
  status: string;
  conclusion: string | null;
  externalId: string | null;
  /** The App that wrote it (`github-actions` for a workflow's GITHUB_TOKEN). */
  appId: number | undefined;
  appSlug: string | undefined;
  htmlUrl: string | undefined;
  /** Where the App links from the check run (its request message in Slack). */
  detailsUrl: string | undefined;
  completedAt: string | null;
  summary: string | null;
  text: string | null;
}

export interface Listing {
  runs: CheckRunView[];
  /** GitHub's total for the query; more than `runs.length` when there are further pages. */
  total: number;
}

export interface ReaderStats {
  /** Requests sent. */
  requests: number;
  /** Of those, answered 304 (free against the primary rate limit). */
  notModified: number;
}

export interface CheckRunTarget {
  owner: string;
  repo: string;
  sha: string;
  name: string;
}

export const PAGE_SIZE = 100;

interface Cached {
  etag: string;
  listing: Listing;
}

export class CheckRunReader {
  readonly stats: ReaderStats = { requests: 0, notModified: 0 };
  private readonly cache = new Map<string, Cached>();

  constructor(
    private readonly client: GitHubClient,
    readonly target: CheckRunTarget,
  ) {}

  /**
   * One page of the check runs named `target.name` on `target.sha` (every one, not only the latest per
   * App), newest first; `appId` narrows it to one App's. Throws Octokit's errors (the caller decides
   * whether to back off or give up).
   */
  async list(options: { appId?: number; page?: number } = {}): Promise<Listing> {
    const query = {
      owner: this.target.owner,
      repo: this.target.repo,
      ref: this.target.sha,
      check_name: this.target.name,
      filter: "all" as const,
      per_page: PAGE_SIZE,
      page: options.page ?? 1,
      ...(options.appId === undefined ? {} : { app_id: options.appId }),
    };
    const key = JSON.stringify([options.appId ?? null, query.page]);
    const cached = this.cache.get(key);
    this.stats.requests += 1;
    try {
      const response = await this.client.request("GET /repos/{owner}/{repo}/commits/{ref}/check-runs", {
        ...query,
        headers: cached ? { "if-none-match": cached.etag } : {},
        ...timeoutOption(),
      });
      const listing: Listing = {
        runs: response.data.check_runs.map(view),
        total: response.data.total_count,
      };
      const etag = response.headers.etag;
      if (typeof etag === "string" && etag) this.cache.set(key, { etag, listing });
      return listing;
    } catch (error) {
      if (statusOf(error) === 304 && cached) {
        this.stats.notModified += 1;
        return cached.listing;
      }
      throw error;
    }
  }

  /** Every page (for a one-off check such as `verify`), up to `maxPages`. */
  async listAll(options: { appId?: number; maxPages?: number } = {}): Promise<CheckRunView[]> {
    const runs: CheckRunView[] = [];
    const maxPages = options.maxPages ?? 10;
    for (let page = 1; page <= maxPages; page += 1) {
      const listing = await this.list({ appId: options.appId, page });
      runs.push(...listing.runs);
      if (listing.runs.length < PAGE_SIZE || runs.length >= listing.total) break;
    }
    return runs;
  }
}

type ListedRun = {
  id: number | bigint;
  name: string;
  head_sha: string;
  status: string;
  conclusion: string | null;
  external_id: string | null;
  html_url: string | null;
  details_url?: string | null;
  completed_at: string | null;
  app: { id: number | bigint; slug?: string } | null;
  output: { summary: string | null; text: string | null };
};

function view(run: ListedRun): CheckRunView {
  return {
    id: Number(run.id),
    name: run.name,
    headSha: run.head_sha,
    status: run.status,
    conclusion: run.conclusion,
    externalId: run.external_id,
    appId: run.app ? Number(run.app.id) : undefined,
    appSlug: run.app?.slug,
    htmlUrl: run.html_url ?? undefined,
    detailsUrl: run.details_url ?? undefined,
    completedAt: run.completed_at,
    summary: run.output.summary,
    text: run.output.text,
  };
}
