// `deploy_job_started`: a job that deploys to an environment has started. If a gate-mode request for
// that run, attempt and environment is still undecided, the deployment went ahead without this App's
// review (an admin bypassed the protection rules, or the rule was removed from the environment): the
// request closes and says so, with who started it where GitHub says. A job that starts after the App's
// approval is the expected end and changes nothing; in wait mode the job holding the waiting step may
// itself deploy to the environment, so its start says nothing about the decision.
import type { DeployJobStarted } from "../github/events.js";
import { closeRequest, type LifeDeps } from "../requests/life.js";

export async function onDeployJobStarted(event: DeployJobStarted, deps: LifeDeps): Promise<void> {
  const requests = (await deps.store.findRequests(event.repository, event.runId, event.environment)).filter(
    (r) => r.mode === "gate" && r.runAttempt === event.runAttempt && !r.decision && !r.closed,
  );
  await Promise.all(
    requests.map((request) =>
      closeRequest(deps, request, { kind: "bypassed", login: event.login, job: event.jobName }),
    ),
  );
}
