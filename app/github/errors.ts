// What a failed GitHub call means for the caller, as data: the status, whether it may be tried again,
// and when. GitHub's rate limits say when in `retry-after` or `x-ratelimit-reset`.

export function httpStatus(error: unknown): number | undefined {
  const value = (error as { status?: unknown } | null)?.status;
  return typeof value === "number" ? value : undefined;
}

/** `owner/name` → [owner, name]. */
export function splitRepository(repository: string): [string, string] {
  const slash = repository.indexOf("/");
  return slash === -1 ? [repository, ""] : [repository.slice(0, slash), repository.slice(slash + 1)];
}

export type GitHubFailure =
  /** A rate limit (429, or 403 with `retry-after` / `x-ratelimit-remaining: 0`): try again at `retryAt`. */
  | { kind: "rate_limited"; status: number; retryAt: Date | undefined }
  /** 5xx, a timeout or no answer: try again later; the call may or may not have taken effect. */
  | { kind: "transient"; status: number | undefined; message: string }
  /** Any other 4xx: GitHub refused; asking again gets the same answer. */
  | { kind: "refused"; status: number; message: string };

export function classifyGitHubError(error: unknown, now: Date): GitHubFailure {
  const status = httpStatus(error);
  const headers =
    (error as { response?: { headers?: Record<string, unknown> } } | null)?.response?.headers ?? {};
  const message = githubMessage(error);
  if (status === undefined || status >= 500) return { kind: "transient", status, message };
  const retryAfter = Number(headers["retry-after"]);
  const remaining = headers["x-ratelimit-remaining"];
  const reset = Number(headers["x-ratelimit-reset"]);
  const limited =
    status === 429 ||
    (status === 403 &&
      (Number.isFinite(retryAfter) || String(remaining) === "0" || /rate limit/i.test(message)));
  if (!limited) return { kind: "refused", status, message };
  let retryAt: Date | undefined;
  if (Number.isFinite(retryAfter) && retryAfter >= 0) retryAt = new Date(now.getTime() + retryAfter * 1000);
  else if (String(remaining) === "0" && Number.isFinite(reset) && reset > 0) {
    // One second past the reset, as GitHub advises.
    retryAt = new Date(Math.max(reset * 1000 + 1000, now.getTime()));
  }
  return { kind: "rate_limited", status, retryAt };
}

/** GitHub's own message, first line, bounded: never a token or a header. */
export function githubMessage(error: unknown): string {
  const data = (error as { response?: { data?: { message?: unknown } } } | null)?.response?.data;
  const text =
    typeof data?.message === "string" ? data.message : error instanceof Error ? error.message : String(error);
  return (text.split("\n")[0] ?? "").trim().slice(0, 200);
}
