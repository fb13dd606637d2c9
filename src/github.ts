// The Action's GitHub client: @actions/github's Octokit (proxy-aware, already in the bundle), pointed at
// the run's API and given a per-request timeout so a stalled connection cannot hold the step.
import { getOctokit } from "@actions/github";

export type GitHubClient = ReturnType<typeof getOctokit>;

/** Per HTTP request; GitHub answers in well under a second when it is healthy. */
export const GITHUB_REQUEST_TIMEOUT_MS = 15_000;

export function createGitHubClient(token: string, apiUrl: string): GitHubClient {
  return getOctokit(token, { baseUrl: apiUrl.replace(/\/+$/, "") });
}

/** Request options for one call: a fresh timeout each time (a shared signal would expire mid-wait). */
export function timeoutOption(ms = GITHUB_REQUEST_TIMEOUT_MS): { request: { signal: AbortSignal } } {
  return { request: { signal: AbortSignal.timeout(ms) } };
}

/** The HTTP status of an Octokit error (500 for network failures and timeouts), or undefined. */
export function statusOf(error: unknown): number | undefined {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === "number" ? status : undefined;
}

/** A response header of an Octokit error, lower-case name. */
export function errorHeader(error: unknown, name: string): string | undefined {
  const headers = (error as { response?: { headers?: Record<string, unknown> } } | null)?.response?.headers;
  const value = headers?.[name];
  return typeof value === "string" ? value : typeof value === "number" ? String(value) : undefined;
}

/** GitHub's `message` from an error response, one line, or the error's own message. */
export function githubMessage(error: unknown): string {
  const data = (error as { response?: { data?: { message?: unknown } } } | null)?.response?.data;
  const text =
    typeof data?.message === "string"
      ? data.message
      : String((error as { message?: unknown })?.message ?? error);
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > 200 ? `${line.slice(0, 197)}...` : line;
}
