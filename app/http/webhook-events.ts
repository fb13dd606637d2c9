// GitHub webhook payloads (already verified) into the typed events the App acts on. Only the fields the
// App reads are checked, each for the type and range the store and GitHub's API need, so a signed but
// malformed payload is refused here with a plain message, never deep inside a query.
import type { GitHubEvent } from "../github/events.js";

/** The `X-GitHub-Event` names the App acts on; every other event is dropped before its JSON is parsed. */
export const USED_EVENTS: ReadonlySet<string> = new Set([
  "deployment_protection_rule",
  "push",
  "workflow_run",
]);

export class WebhookPayloadError extends Error {
  override name = "WebhookPayloadError";
}

export type ParsedWebhook = { kind: "event"; event: GitHubEvent } | { kind: "ignored"; reason: string };

const REPOSITORY = /^[A-Za-z0-9][A-Za-z0-9-]{0,38}\/[A-Za-z0-9._-]{1,100}$/;
const OWNER = /^[A-Za-z0-9][A-Za-z0-9-]{0,38}$/;
const REPO_NAME = /^[A-Za-z0-9._-]{1,100}$/;
const SHA = /^[0-9a-f]{40}$/;
const CALLBACK_PATH = /\/repos\/([^/]+\/[^/]+)\/actions\/runs\/(\d{1,19})\/deployment_protection_rule$/;

/** Throws WebhookPayloadError naming the first field that is wrong. */
export function parseWebhook(name: string, deliveryId: string, payload: unknown): ParsedWebhook {
  const root = object(payload, "payload");
  switch (name) {
    case "deployment_protection_rule":
      return root.action === "requested" ? gateRequested(deliveryId, root) : ignored(name, root.action);
    case "push":
      return push(deliveryId, root);
    case "workflow_run":
      return root.action === "completed" ? runCompleted(deliveryId, root) : ignored(name, root.action);
    default:
      return { kind: "ignored", reason: `event "${name.slice(0, 60)}" is not used` };
  }
}

function gateRequested(deliveryId: string, root: Record<string, unknown>): ParsedWebhook {
  const repository = fullName(root.repository);
  const environment = string(root.environment, "environment", 255);
  if (environment.trim() !== environment) throw new WebhookPayloadError("environment has surrounding spaces");
  const callbackUrl = string(root.deployment_callback_url, "deployment_callback_url", 2048);
  let path: string;
  try {
    path = new URL(callbackUrl).pathname;
  } catch {
    throw new WebhookPayloadError("deployment_callback_url is not a URL");
  }
  const match = CALLBACK_PATH.exec(path);
  if (!match) throw new WebhookPayloadError("deployment_callback_url does not name a workflow run");
  if ((match[1] as string).toLowerCase() !== repository.toLowerCase()) {
    throw new WebhookPayloadError("deployment_callback_url names another repository");
  }
  const runId = positiveInteger(Number(match[2]), "deployment_callback_url run id");
  const installationId = positiveInteger(object(root.installation, "installation").id, "installation.id");
  let sha: string | null = null;
  if (root.deployment !== undefined && root.deployment !== null) {
    const value = object(root.deployment, "deployment").sha;
    if (value !== undefined && value !== null) {
      if (typeof value !== "string" || !SHA.test(value))
        throw new WebhookPayloadError("deployment.sha is not a commit SHA");
      sha = value;
    }
  }
  return {
    kind: "event",
    event: { name: "gate_requested", deliveryId, repository, runId, environment, installationId, sha },
  };
}

function push(deliveryId: string, root: Record<string, unknown>): ParsedWebhook {
  const ref = string(root.ref, "ref", 1024);
  const repository = object(root.repository, "repository");
  const defaultBranch = string(repository.default_branch, "repository.default_branch", 255);
  if (ref !== `refs/heads/${defaultBranch}`) return { kind: "ignored", reason: "a push to another branch" };
  const repo = string(repository.name, "repository.name", 100);
  if (!REPO_NAME.test(repo)) throw new WebhookPayloadError("repository.name is not a repository name");
  const ownerObject = object(repository.owner, "repository.owner");
  // Push payloads name the owner in `login` and `name`; other events only in `login`.
  const owner = string(ownerObject.login ?? ownerObject.name, "repository.owner.login", 39);
  if (!OWNER.test(owner)) throw new WebhookPayloadError("repository.owner.login is not an account name");
  return { kind: "event", event: { name: "default_branch_push", deliveryId, owner, repo } };
}

function runCompleted(deliveryId: string, root: Record<string, unknown>): ParsedWebhook {
  const repository = fullName(root.repository);
  const run = object(root.workflow_run, "workflow_run");
  const runId = positiveInteger(run.id, "workflow_run.id");
  const runAttempt = positiveInteger(run.run_attempt, "workflow_run.run_attempt");
  const conclusion =
    run.conclusion === null || run.conclusion === undefined
      ? null
      : string(run.conclusion, "workflow_run.conclusion", 64);
  const installationId =
    root.installation === undefined || root.installation === null
      ? null
      : positiveInteger(object(root.installation, "installation").id, "installation.id");
  return {
    kind: "event",
    event: { name: "run_completed", deliveryId, repository, runId, runAttempt, conclusion, installationId },
  };
}

function ignored(name: string, action: unknown): ParsedWebhook {
  return {
    kind: "ignored",
    reason: `${name} "${typeof action === "string" ? action.slice(0, 60) : "?"}" is not used`,
  };
}

function fullName(value: unknown): string {
  const name = string(object(value, "repository").full_name, "repository.full_name", 140);
  if (!REPOSITORY.test(name)) throw new WebhookPayloadError("repository.full_name is not owner/name");
  return name;
}

function object(value: unknown, path: string): Record<string, unknown> {
  if (!value || typeof value !== "object" || Array.isArray(value))
    throw new WebhookPayloadError(`${path} is not an object`);
  return value as Record<string, unknown>;
}

function string(value: unknown, path: string, max: number): string {
  if (typeof value !== "string" || value === "") throw new WebhookPayloadError(`${path} is missing`);
  if (value.length > max) throw new WebhookPayloadError(`${path} is longer than ${max} characters`);
  return value;
}

/** What the store keeps in a bigint column and GitHub uses as an id: a positive safe integer. */
function positiveInteger(value: unknown, path: string): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value <= 0) {
    throw new WebhookPayloadError(`${path} is not a positive integer`);
  }
  return value;
}
