// Webhook deliveries as GitHub makes them: payloads checked against @octokit/webhooks-schemas before
// they leave, signed with the webhook secret (X-Hub-Signature-256), posted with GitHub's headers.
import { createHmac, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { Ajv, type ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";
import type { Urls } from "./github-objects.js";
import { nodeId, organizationSimple, webhookRepository, webhookUser, workflowRun } from "./github-objects.js";
import type { CommitState, InstallationState, RepositoryState, RunState } from "./github-state.js";
import { stableId } from "./github-state.js";

const SCHEMA_ID = "https://fake-github.invalid/webhooks.json";

export class WebhookPayloadError extends Error {
  override name = "WebhookPayloadError";
}

class WebhookSchemas {
  private readonly ajv: Ajv;
  private readonly definitions: Set<string>;
  private readonly validators = new Map<string, ValidateFunction>();

  constructor() {
    const require = createRequire(import.meta.url);
    const schema = JSON.parse(readFileSync(require.resolve("@octokit/webhooks-schemas"), "utf8")) as {
      definitions: Record<string, Record<string, unknown>>;
    };
    // Each definition repeats `$schema`; only the root may carry it.
    const definitions: Record<string, unknown> = {};
    for (const [name, definition] of Object.entries(schema.definitions)) {
      const { $schema: _ignored, ...rest } = definition;
      definitions[name] = rest;
    }
    this.definitions = new Set(Object.keys(definitions));
    this.ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false });
    addFormatsModule.default(this.ajv);
    // Annotation for the TypeScript generator (@octokit/webhooks-types); no validation meaning.
    this.ajv.addKeyword({ keyword: "tsAdditionalProperties", schemaType: "boolean" });
    this.ajv.addSchema({ $id: SCHEMA_ID, definitions });
  }

  /** Throws WebhookPayloadError listing what is wrong. */
  check(event: string, payload: object): void {
    const action = (payload as { action?: unknown }).action;
    const name = typeof action === "string" ? `${event}$${action}` : `${event}$event`;
    if (!this.definitions.has(name)) {
      throw new WebhookPayloadError(`@octokit/webhooks-schemas has no schema "${name}"`);
    }
    let validate = this.validators.get(name);
    if (!validate) {
      validate = this.ajv.compile({ $ref: `${SCHEMA_ID}#/definitions/${name}` });
      this.validators.set(name, validate);
    }
    if (!validate(payload)) {
      throw new WebhookPayloadError(
        `"${name}" payload does not match @octokit/webhooks-schemas: ${this.ajv.errorsText(validate.errors, { dataVar: "payload" })}`,
      );
    }
  }
}

let schemas: WebhookSchemas | undefined;

export function checkWebhookPayload(event: string, payload: object): void {
  schemas ??= new WebhookSchemas();
  schemas.check(event, payload);
}

export function signWebhook(secret: string, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

export interface PostedWebhook {
  status: number;
  body: string;
  headers: Headers;
}

/**
 * POSTs `body` to `url` as GitHub delivers a webhook: its headers, a fresh delivery ID, and the
 * body signed with `secret`, or `signature` as given (to forge one). `headers` add to them or
 * replace them.
 */
export async function postWebhook(
  url: string,
  options: {
    event: string;
    body: string;
    secret: string;
    signature?: string;
    delivery?: string;
    headers?: Record<string, string>;
    signal?: AbortSignal;
  },
): Promise<PostedWebhook> {
  const response = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "user-agent": "GitHub-Hookshot/fake",
      "x-github-event": options.event,
      "x-github-delivery": options.delivery ?? randomUUID(),
      "x-hub-signature-256": options.signature ?? signWebhook(options.secret, options.body),
      ...options.headers,
    },
    body: options.body,
    signal: options.signal,
  });
  return { status: response.status, body: await response.text(), headers: response.headers };
}

export async function deliverWebhook(options: {
  url: string;
  secret: string;
  appId: number;
  event: string;
  payload: object;
}): Promise<{ status: number; body: string; delivery: string }> {
  checkWebhookPayload(options.event, options.payload);
  const delivery = randomUUID();
  const { status, body } = await postWebhook(options.url, {
    event: options.event,
    body: JSON.stringify(options.payload),
    secret: options.secret,
    delivery,
    headers: {
      "x-github-hook-id": String(stableId(`hook:${options.appId}`)),
      "x-github-hook-installation-target-type": "integration",
      "x-github-hook-installation-target-id": String(options.appId),
    },
  });
  return { status, body, delivery };
}

function installationLite(installation: InstallationState | undefined) {
  return installation
    ? { installation: { id: installation.id, node_id: nodeId("Installation", installation.id) } }
    : {};
}

export function deploymentProtectionRulePayload(
  urls: Urls,
  input: {
    repo: RepositoryState;
    run: RunState;
    environment: string;
    installation: InstallationState | undefined;
    pushedAt: string;
  },
): object {
  const { repo, run, environment } = input;
  const deploymentId = stableId(`${repo.fullName}:${run.runId}:${run.runAttempt}:${environment}`);
  const deploymentUrl = `${urls.api}/repos/${repo.fullName}/deployments/${deploymentId}`;
  return {
    action: "requested",
    environment,
    event: run.event,
    deployment_callback_url: `${urls.api}/repos/${repo.fullName}/actions/runs/${run.runId}/deployment_protection_rule`,
    deployment: {
      url: deploymentUrl,
      id: deploymentId,
      node_id: nodeId("Deployment", deploymentId),
      sha: run.headSha,
      ref: run.headBranch,
      task: "deploy",
      payload: {},
      original_environment: environment,
      environment,
      description: null,
      creator: webhookUser(urls, run.triggeringActor),
      created_at: run.updatedAt,
      updated_at: run.updatedAt,
      statuses_url: `${deploymentUrl}/statuses`,
      repository_url: `${urls.api}/repos/${repo.fullName}`,
      transient_environment: false,
      production_environment: /prod/i.test(environment),
    },
    pull_requests: [],
    repository: webhookRepository(urls, repo, input.pushedAt),
    organization: organizationSimple(urls, repo.owner),
    sender: webhookUser(urls, run.triggeringActor),
    ...installationLite(input.installation),
  };
}

/** `push` to the default branch whose head commit modifies `files`. */
export function pushPayload(
  urls: Urls,
  input: {
    repo: RepositoryState;
    before: CommitState | undefined;
    after: CommitState;
    files: string[];
    installation: InstallationState | undefined;
    pushedAt: number;
  },
): object {
  const { repo, after } = input;
  const before = input.before?.sha ?? "0".repeat(40);
  const author = {
    name: after.author,
    email: `${after.author}@users.noreply.github.invalid`,
    username: after.author,
  };
  const headCommit = {
    id: after.sha,
    tree_id: stableId(`tree:${after.sha}`).toString(16).padStart(40, "0"),
    distinct: true,
    message: after.message,
    timestamp: after.date,
    url: `${urls.web}/${repo.fullName}/commit/${after.sha}`,
    author,
    committer: author,
    added: [],
    removed: [],
    modified: [...input.files],
  };
  return {
    ref: `refs/heads/${repo.defaultBranch}`,
    before,
    after: after.sha,
    created: false,
    deleted: false,
    forced: false,
    base_ref: null,
    compare: `${urls.web}/${repo.fullName}/compare/${before.slice(0, 12)}...${after.sha.slice(0, 12)}`,
    commits: [headCommit],
    head_commit: headCommit,
    // Push payloads carry the repository's dates as Unix seconds.
    repository: {
      ...webhookRepository(urls, repo, new Date(input.pushedAt * 1000).toISOString()),
      created_at: Math.floor(Date.parse(repo.createdAt) / 1000),
      pushed_at: input.pushedAt,
      stargazers: 0,
      master_branch: repo.defaultBranch,
      organization: repo.owner,
    },
    pusher: { name: after.author, email: `${after.author}@users.noreply.github.invalid` },
    organization: organizationSimple(urls, repo.owner),
    sender: webhookUser(urls, after.author),
    ...installationLite(input.installation),
  };
}

/** `workflow_run` `completed`, sent when a run ends (succeeded, failed or was cancelled). */
export function workflowRunCompletedPayload(
  urls: Urls,
  input: {
    repo: RepositoryState;
    run: RunState;
    headCommit: CommitState | undefined;
    installation: InstallationState | undefined;
    pushedAt: string;
  },
): object {
  const { repo, run } = input;
  const workflowUrl = `${urls.api}/repos/${repo.fullName}/actions/workflows/${run.workflowId}`;
  const runObject = workflowRun(urls, repo, run, input.headCommit);
  return {
    action: "completed",
    workflow: {
      badge_url: `${urls.web}/${repo.fullName}/workflows/${encodeURIComponent(run.workflowName)}/badge.svg`,
      created_at: run.createdAt,
      html_url: `${urls.web}/${repo.fullName}/blob/${repo.defaultBranch}/${runObject.path}`,
      id: run.workflowId,
      name: run.workflowName,
      node_id: nodeId("Workflow", run.workflowId),
      path: runObject.path,
      state: "active",
      updated_at: run.createdAt,
      url: workflowUrl,
    },
    // Webhook payloads carry the lighter webhook user shape where the REST object has simple-user.
    workflow_run: {
      ...runObject,
      conclusion: run.conclusion ?? "success",
      actor: webhookUser(urls, run.actor),
      triggering_actor: webhookUser(urls, run.triggeringActor),
      repository: { ...runObject.repository, owner: webhookUser(urls, repo.owner, "Organization") },
      head_repository: { ...runObject.head_repository, owner: webhookUser(urls, repo.owner, "Organization") },
    },
    repository: webhookRepository(urls, repo, input.pushedAt),
    organization: organizationSimple(urls, repo.owner),
    sender: webhookUser(urls, run.triggeringActor),
    ...installationLite(input.installation),
  };
}
