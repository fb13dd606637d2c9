// The App's side of GitHub's events, after the ingress verified and validated them.
import type { EffectRunner } from "../effects/runner.js";
import type { GitHubEventHandler } from "../github/events.js";
import type { PolicyLoader } from "../policy/index.js";
import type { RequestPoster } from "../requests/post.js";
import type { Store } from "../store/types.js";
import { onGateRequested } from "./gate.js";
import { onDeployJobStarted } from "./job.js";
import { onDeploymentReviewed } from "./review.js";
import { onRunCompleted } from "./run-completed.js";

export function createGitHubEventHandler(deps: {
  store: Store;
  runner: EffectRunner;
  policies: PolicyLoader;
  /** Posts the App's own request at a gate whose policy names a channel (app/requests/post.ts). */
  poster?: RequestPoster;
  log?: { warn(details: object, message: string): void };
  now?: () => Date;
}): GitHubEventHandler {
  const now = deps.now ?? (() => new Date());
  const context = { store: deps.store, runner: deps.runner, now };
  return {
    async handle(event) {
      switch (event.name) {
        case "gate_requested":
          return onGateRequested(event, { ...context, poster: deps.poster, log: deps.log });
        case "run_completed":
          return onRunCompleted(event, context);
        case "deployment_reviewed":
          return onDeploymentReviewed(event, context);
        case "deploy_job_started":
          return onDeployJobStarted(event, context);
        case "default_branch_push":
          // The policy is read from the default branch: any push there drops the cached copy, so a
          // change takes effect at once (checking the pushed paths would miss pushes GitHub cut short).
          // The org's `.github` repository is every repository's fallback.
          deps.policies.invalidate(
            event.owner,
            event.repo.toLowerCase() === ".github" ? undefined : event.repo,
          );
          return;
      }
    },
  };
}
