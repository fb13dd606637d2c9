// GitHub webhook payloads (already verified) into the typed events the App acts on. Only the fields the
// App reads are checked, each for the type and range the store and GitHub's API need, so a signed but
// malformed payload is refused here with a plain message, never deep inside a query.
import type { GitHubEvent } from "../github/events.js";

/** The `X-GitHub-Event` names the App acts on; every other event is dropped before its JSON is parsed. */
export const USED_EVENTS: ReadonlySet<string> = new Set([
  "deployment_protection_rule",
  "deployment_review",
  "push",
  "workflow_job",
  "workflow_run",
]);

/** The actions the App acts on, per event; a delivery with any other action is dropped unparsed. */
const USED_ACTIONS: Readonly<Record<string, ReadonlySet<string>>> = {
  deployment_protection_rule: new Set(["requested"]),
  deployment_review: new Set(["approved", "rejected"]),
  // Which job waits at an environment, GitHub says with the gate (deployment_protection_rule); which
  // one started is what tells a deployment went ahead without this App's review.
  workflow_job: new Set(["in_progress"]),
  workflow_run: new Set(["completed"]),
};

// GitHub writes `action` first; reading it from the start of the text skips parsing the rest.
const LEADING_ACTION = /^\s*\{\s*"action"\s*:\s*"([a-z_]{1,40})"/;

/**
 * Whether a verified delivery can be dropped without parsing it, and why: the noisy events
 * (`workflow_job`, `workflow_run`) arrive by the thousand an hour in a large organization, and almost
 * all of them are actions the App does not use, or jobs that deploy nowhere. Errs towards parsing: a
 * payload that does not start as GitHub's do is parsed and judged in full.
 */
export function skipUnparsed(name: string, text: string): string | undefined {
  const actions = USED_ACTIONS[name];
  if (!actions) return undefined;
  const action = LEADING_ACTION.exec(text.slice(0, 200))?.[1];
  if (action !== undefined && !actions.has(action)) return `${name} "${action}" is not used`;
  // A job that deploys to an environment carries a `deployment` key; a name or step that merely says
  // "deployment" is escaped inside a string (\"deployment\":) and does not match this.
  if (name === "workflow_job" && !text.includes('"deployment":'))
    return "a job that deploys to no environment";
  return undefined;
}

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
    case "deployment_review":
      return root.action === "approved" || root.action === "rejected"
        ? deploymentReviewed(deliveryId, root, root.action)
        : ignored(name, root.action);
    case "workflow_job":
      return root.action === "in_progress" ? deployJob(deliveryId, root) : ignored(name, root.action);
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
  return {
    kind: "event",
    event: {
      name: "run_completed",
      deliveryId,
      repository,
      runId,
      runAttempt,
      conclusion,
      installationId: optionalInstallation(root),
      startedAt: optionalDate(run.run_started_at, "workflow_run.run_started_at"),
      completedAt: optionalDate(run.updated_at, "workflow_run.updated_at"),
      htmlUrl: optionalUrl(run.html_url, "workflow_run.html_url"),
    },
  };
}

function deploymentReviewed(
  deliveryId: string,
  root: Record<string, unknown>,
  state: "approved" | "rejected",
): ParsedWebhook {
  const repository = fullName(root.repository);
  const run = object(root.workflow_run, "workflow_run");
  const runId = positiveInteger(run.id, "workflow_run.id");
  const runAttempt = positiveInteger(run.run_attempt, "workflow_run.run_attempt");
  const jobs: unknown[] = [];
  if (root.workflow_job_run !== undefined && root.workflow_job_run !== null) jobs.push(root.workflow_job_run);
  if (Array.isArray(root.workflow_job_runs)) jobs.push(...root.workflow_job_runs.slice(0, 100));
  const environments = [
    ...new Set(jobs.map((job, i) => environmentName(object(job, `workflow_job_runs[${i}]`).environment))),
  ];
  if (environments.length === 0) throw new WebhookPayloadError("workflow_job_runs names no environment");
  const approver = root.approver ?? root.sender;
  const login =
    approver === undefined || approver === null
      ? null
      : loginOf(object(approver, "approver").login, "approver.login");
  const comment =
    typeof root.comment === "string" && root.comment.trim() !== "" ? root.comment.slice(0, 1000) : null;
  return {
    kind: "event",
    event: {
      name: "deployment_reviewed",
      deliveryId,
      repository,
      runId,
      runAttempt,
      state,
      environments,
      login,
      comment,
      installationId: optionalInstallation(root),
    },
  };
}

function deployJob(deliveryId: string, root: Record<string, unknown>): ParsedWebhook {
  if (root.deployment === undefined || root.deployment === null) {
    return { kind: "ignored", reason: "a job that deploys to no environment" };
  }
  const repository = fullName(root.repository);
  const job = object(root.workflow_job, "workflow_job");
  const runId = positiveInteger(job.run_id, "workflow_job.run_id");
  const runAttempt = positiveInteger(job.run_attempt, "workflow_job.run_attempt");
  const environment = environmentName(object(root.deployment, "deployment").environment);
  const jobName = string(job.name, "workflow_job.name", 1000);
  const sender = root.sender;
  const login =
    sender === undefined || sender === null ? null : loginOf(object(sender, "sender").login, "sender.login");
  return {
    kind: "event",
    event: {
      name: "deploy_job_started",
      deliveryId,
      repository,
      runId,
      runAttempt,
      environment,
      jobName,
      login,
      installationId: optionalInstallation(root),
    },
  };
}

function environmentName(value: unknown): string {
  const environment = string(value, "environment", 255);
  if (environment.trim() !== environment) throw new WebhookPayloadError("environment has surrounding spaces");
  return environment;
}

const LOGIN = /^[A-Za-z0-9][A-Za-z0-9-]{0,38}(?:\[bot\])?$/;

/** A GitHub login (people, and apps as `name[bot]`). */
function loginOf(value: unknown, path: string): string {
  const login = string(value, path, 100);
  if (!LOGIN.test(login)) throw new WebhookPayloadError(`${path} is not a GitHub login`);
  return login;
}

function optionalInstallation(root: Record<string, unknown>): number | null {
  return root.installation === undefined || root.installation === null
    ? null
    : positiveInteger(object(root.installation, "installation").id, "installation.id");
}

function optionalDate(value: unknown, path: string): string | null {
  if (value === undefined || value === null) return null;
  const text = string(value, path, 64);
  if (Number.isNaN(Date.parse(text))) throw new WebhookPayloadError(`${path} is not a date`);
  return new Date(text).toISOString();
}

function optionalUrl(value: unknown, path: string): string | null {
  if (value === undefined || value === null) return null;
  const text = string(value, path, 2048);
  try {
    const url = new URL(text);
    if (url.protocol !== "https:" && url.protocol !== "http:") throw new Error("not http");
  } catch {
    throw new WebhookPayloadError(`${path} is not a URL`);
  }
  return text;
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
