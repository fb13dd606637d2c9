// `deployment_reviewed`: a required reviewer acted in GitHub's own UI (the environment has required
// reviewers beside this App's rule). A rejection ends the run's deployment there, so an undecided
// request closes ("Rejected in GitHub by @login"), its buttons go and a later click is told. An
// approval in GitHub does not pass this App's rule: the message shows it as progress and keeps its
// buttons.

import { threadReply } from "../effects/message-state.js";
import type { DeploymentReviewed } from "../github/events.js";
import { closeRequest, type LifeDeps, refreshMessage } from "../requests/life.js";
import { githubApprovalReply } from "../sentences.js";
import type { RequestRow } from "../store/types.js";

export async function onDeploymentReviewed(event: DeploymentReviewed, deps: LifeDeps): Promise<void> {
  const environments = new Set(event.environments.map((e) => e.toLowerCase()));
  const requests = (await deps.store.findRequestsForRun(event.repository, event.runId)).filter(
    (r) =>
      r.runAttempt === event.runAttempt &&
      environments.has(r.environment.toLowerCase()) &&
      !r.decision &&
      !r.closed,
  );
  await Promise.all(
    requests.map((request) => (event.state === "rejected" ? reject(request) : approve(request))),
  );

  async function reject(request: RequestRow): Promise<void> {
    await closeRequest(deps, request, {
      kind: "rejected_in_github",
      login: event.login,
      comment: event.comment,
    });
  }

  async function approve(request: RequestRow): Promise<void> {
    const login = event.login ?? "someone";
    const at = deps.now().toISOString();
    if (!(await deps.store.addGitHubApproval(request.requestId, { login, at }))) return;
    const current = (await deps.store.getRequest(request.requestId)) ?? request;
    await refreshMessage(deps, current, [
      threadReply(current, `github-approval:${login.toLowerCase()}`, githubApprovalReply(login)),
    ]);
  }
}
