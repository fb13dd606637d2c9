// GitHub's side of the story. Probot has verified each delivery with the webhook secret.
import type { Probot } from "probot";
import type { Delivery } from "./delivery.js";
import type { MessageUpdater } from "./message-updater.js";
import type { PolicyLoader } from "./policy/index.js";
import type { Store } from "./store/types.js";

const CALLBACK_RUN_ID = /\/actions\/runs\/(\d+)\/deployment_protection_rule$/;

export function registerWebhooks(
  app: Probot,
  deps: { store: Store; delivery: Delivery; policies: PolicyLoader; messages: MessageUpdater },
): void {
  const { store, delivery, policies, messages } = deps;

  // GitHub holds a job at an environment whose protection rules include this App.
  app.on("deployment_protection_rule.requested", async (context) => {
    const payload = context.payload;
    const callbackUrl = payload.deployment_callback_url ?? "";
    const runId = Number(CALLBACK_RUN_ID.exec(new URL(callbackUrl, "https://x").pathname)?.[1]);
    const environment = payload.environment ?? "";
    const installationId = payload.installation?.id;
    if (!runId || !environment || !installationId) {
      context.log.warn(
        { callbackUrl, environment },
        "deployment_protection_rule without a run, environment or installation",
      );
      return;
    }
    const repository = payload.repository?.full_name ?? "";
    await store.saveGate({
      repository,
      runId,
      environment,
      installationId,
      callbackUrl,
      receivedAt: new Date(),
    });
    const requests = await store.findRequests(repository, runId, environment);
    context.log.info({ repository, runId, environment, requests: requests.length }, "gate recorded");
    // A decision taken before the gate arrived is applied now.
    for (const request of requests) {
      if (request.decision && request.delivery === "due") await delivery.deliver(request.requestId);
    }
  });

  // The policy is read from the default branch: any push there drops the cached copy, so a change
  // takes effect at once. (Checking the pushed paths would miss pushes whose commit list GitHub cut.)
  app.on("push", async (context) => {
    const { ref, repository } = context.payload;
    if (ref !== `refs/heads/${repository.default_branch}`) return;
    const owner = repository.owner?.login ?? repository.full_name.split("/")[0] ?? "";
    // The org's .github repository is every repository's fallback.
    policies.invalidate(owner, repository.name === ".github" ? undefined : repository.name);
    context.log.debug({ repository: repository.full_name }, "default branch changed; policy cache dropped");
  });

  // A run that ends before its decision arrives: show it, and never retry delivery for it.
  app.on("workflow_run.completed", async (context) => {
    const run = context.payload.workflow_run;
    const repository = context.payload.repository.full_name;
    for (const request of await store.findRequestsForRun(repository, run.id)) {
      if (request.runAttempt !== run.run_attempt) continue;
      if (request.decision && request.delivery === "due") {
        // Whether or not it reached the gate, the run no longer waits: GitHub cannot take the decision.
        const note = `the run finished (${run.conclusion ?? "completed"}) before GitHub took the decision`;
        await store.finishDelivery(request.requestId, { state: "obsolete", note });
        const updated = (await store.getRequest(request.requestId)) ?? request;
        await messages.showDecision(updated, "obsolete", note);
      } else if (!request.decision) {
        await messages.showStatus(request, {
          kind: "closed",
          note: `the run finished (${run.conclusion ?? "completed"}) before anyone decided in Slack`,
        });
      }
    }
  });
}
