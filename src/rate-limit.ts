// What to do when GitHub refuses or fails a poll: wait as long as GitHub asks (Retry-After, the
// primary limit's reset time, at least a minute for a secondary limit), back off on server and network
// errors, and give up at once on what waiting cannot fix (a token without access, a missing commit).
import { errorHeader, githubMessage, statusOf } from "./github.js";

export type PollFailure = { kind: "wait"; ms: number; why: string } | { kind: "fatal"; message: string };

const SECONDARY_MIN_MS = 60_000;
const MAX_BACKOFF_MS = 10 * 60_000;

/**
 * `attempt` counts consecutive failures (0 for the first); `intervalMs` is the normal poll interval,
 * the base of the backoff for transient failures.
 */
export function classifyPollError(
  error: unknown,
  attempt: number,
  intervalMs: number,
  now: number = Date.now(),
): PollFailure {
  const status = statusOf(error);
  const message = githubMessage(error);
  const backoff = (base: number) => Math.min(base * 2 ** attempt, MAX_BACKOFF_MS);

  if (status === 403 || status === 429) {
    const retryAfter = Number(errorHeader(error, "retry-after"));
    if (Number.isFinite(retryAfter) && retryAfter >= 0) {
      return {
        kind: "wait",
        ms: Math.max(1000, retryAfter * 1000),
        why: `GitHub asked to retry after ${retryAfter} s (${message})`,
      };
    }
    if (errorHeader(error, "x-ratelimit-remaining") === "0") {
      const reset = Number(errorHeader(error, "x-ratelimit-reset"));
      const until = Number.isFinite(reset) ? reset * 1000 - now + 1000 : SECONDARY_MIN_MS;
      return {
        kind: "wait",
        ms: Math.max(1000, until),
        why: `the token's rate limit is used up until ${Number.isFinite(reset) ? new Date(reset * 1000).toISOString() : "GitHub resets it"}`,
      };
    }
    if (status === 429 || /secondary rate limit|abuse/i.test(message)) {
      return {
        kind: "wait",
        ms: Math.max(SECONDARY_MIN_MS, backoff(SECONDARY_MIN_MS)),
        why: `GitHub's secondary rate limit (${message})`,
      };
    }
    return {
      kind: "fatal",
      message:
        `GitHub refused to list the commit's check runs (403: ${message}). ` +
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub expression for the user to copy
        "Give the job `permissions: checks: read` (and keep `github-token` at its default, `${{ github.token }}`).",
    };
  }
  if (status === 401) {
    return {
      kind: "fatal",
      message: `GitHub rejected \`github-token\` (401: ${message}). Leave the input out to use the job's own token.`,
    };
  }
  if (status === 404 || status === 422) {
    return {
      kind: "fatal",
      message: `GitHub cannot find the commit or repository with this token (${status}: ${message}). The job needs \`permissions: checks: read\` and \`contents: read\`.`,
    };
  }
  const why =
    status && status !== 500
      ? `GitHub answered ${status} (${message})`
      : `GitHub could not be reached or failed (${message})`;
  return { kind: "wait", ms: backoff(intervalMs), why };
}
