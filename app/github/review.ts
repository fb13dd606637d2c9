// The one write the App makes in gate mode: reviewing its own deployment protection rule. One attempt
// per call: no in-line retries (neither Octokit's retry plugin nor its throttling), so a 4xx is never
// sent twice and a rate limit's wait is scheduled by the effect runner instead of slept on here.
import { splitRepository } from "./errors.js";
import type { Octokit } from "./installations.js";

export interface Review {
  repository: string;
  runId: number;
  /** As GitHub spelled it in the gate webhook. */
  environment: string;
  state: "approved" | "rejected";
  comment: string;
}

/** GitHub's limit on a review comment is generous; a short, bounded comment reads better in its UI. */
const MAX_COMMENT = 1000;
const REVIEW_TIMEOUT_MS = 20_000;

/** Throws Octokit's RequestError when GitHub does not answer 2xx. */
export async function reviewProtectionRule(octokit: Octokit, review: Review): Promise<void> {
  const [owner, repo] = splitRepository(review.repository);
  await octokit.request("POST /repos/{owner}/{repo}/actions/runs/{run_id}/deployment_protection_rule", {
    owner,
    repo,
    run_id: review.runId,
    environment_name: review.environment,
    state: review.state,
    comment:
      review.comment.length > MAX_COMMENT ? `${review.comment.slice(0, MAX_COMMENT - 1)}…` : review.comment,
    // A hung GitHub must not hold the effect's lease forever.
    request: { retries: 0, retryInline: false, signal: AbortSignal.timeout(REVIEW_TIMEOUT_MS) },
  });
}
