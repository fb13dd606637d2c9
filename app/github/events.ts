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
}

export type GitHubEvent = GateRequested | DefaultBranchPush | RunCompleted;

export interface GitHubEventHandler {
  handle(event: GitHubEvent): Promise<void>;
}
