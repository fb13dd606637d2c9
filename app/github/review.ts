// The one write the App makes to GitHub in gate mode: reviewing its own deployment protection rule.
import type { Octokit } from "./runs.js";
import { split } from "./runs.js";

export interface Review {
  repository: string;
  runId: number;
  environment: string;
  state: "approved" | "rejected";
  comment: string;
}

/** GitHub's limit on a review comment is generous; a short, bounded comment reads better in its UI. */
const MAX_COMMENT = 1000;
const REVIEW_TIMEOUT_MS = 20_000;

export async function reviewProtectionRule(octokit: Octokit, review: Review): Promise<void> {
  const [owner, repo] = split(review.repository);
  await octokit.request("POST /repos/{owner}/{repo}/actions/runs/{run_id}/deployment_protection_rule", {
    owner,
    repo,
    run_id: review.runId,
    environment_name: review.environment,
    state: review.state,
    comment:
      review.comment.length > MAX_COMMENT ? `${review.comment.slice(0, MAX_COMMENT - 1)}…` : review.comment,
    // Retry transient failures twice in-line (1 s, then 4 s); the sweep takes over after that. A hung
    // GitHub must not hold the delivery lease forever.
    request: { retries: 2, signal: AbortSignal.timeout(REVIEW_TIMEOUT_MS) },
  });
}
