// What the webhook ingress hands to the App's webhook handlers: verified, validated, typed events. A
// signed delivery whose payload lacks what the App needs is answered 400 at the ingress and never
// reaches a handler; events the App does not use are acknowledged and dropped there, cheaply.

/** `deployment_protection_rule` (requested): GitHub holds a job at an environment with our rule. */
export interface GateRequested {
  name: "gate_requested";
  deliveryId: string;
  repository: string;
  runId: number;
  environment: string;
  installationId: number;
  /** The deployment's commit, where the payload carries it. */
  sha: string | null;
}

/** `push` to a repository's default branch: its policy (or the org fallback's) may have changed. */
export interface DefaultBranchPush {
  name: "default_branch_push";
  deliveryId: string;
  owner: string;
  repo: string;
}

/** `workflow_run` completed. */
export interface RunCompleted {
  name: "run_completed";
  deliveryId: string;
  repository: string;
  runId: number;
  runAttempt: number;
  conclusion: string | null;
  installationId: number | null;
  /** When this attempt started and when the run last changed (its end), ISO 8601, where GitHub says. */
  startedAt: string | null;
  completedAt: string | null;
  htmlUrl: string | null;
}

/**
 * `deployment_review` approved or rejected: a required reviewer of the environment acted in GitHub's
 * own UI (where the environment has required reviewers beside this App's rule).
 */
export interface DeploymentReviewed {
  name: "deployment_reviewed";
  deliveryId: string;
  repository: string;
  runId: number;
  runAttempt: number;
  state: "approved" | "rejected";
  /** The environments the review covered (one review can cover several jobs' environments). */
  environments: string[];
  /** Who reviewed, as GitHub names them. */
  login: string | null;
  comment: string | null;
  installationId: number | null;
}

/**
 * `workflow_job` in_progress for a job that deploys to an environment: the deploy job has started.
 * Jobs without an environment, and every other action, never get this far: the ingress drops them.
 */
export interface DeployJobStarted {
  name: "deploy_job_started";
  deliveryId: string;
  repository: string;
  runId: number;
  runAttempt: number;
  environment: string;
  jobName: string;
  /** Who GitHub says set it going (the delivery's sender). */
  login: string | null;
  installationId: number | null;
}

export type GitHubEvent =
  | GateRequested
  | DefaultBranchPush
  | RunCompleted
  | DeploymentReviewed
  | DeployJobStarted;

export interface GitHubEventHandler {
  handle(event: GitHubEvent): Promise<void>;
}
