// A fake GitHub for tests: GitHub's REST API under `/api/v3` on loopback (Probot reaches it with
// GHE_HOST/GHE_PROTOCOL, @actions/github with GITHUB_API_URL). Every request is checked against
// GitHub's own description (@octokit/openapi); whatever the real API would refuse is answered as
// GitHub answers it AND recorded in `violations`, so a test can demand there were none.
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse, STATUS_CODES } from "node:http";
import { BodyTooLargeError, readBody } from "../../app/slack/read-body.js";
import { listenOnLoopback } from "../loopback.js";
import { GitHubAuth } from "./github-auth.js";
import { ConditionalRequests, type RateLimitUse } from "./github-conditional.js";
import { createFakeDeployments, type FakeDeployments } from "./github-deployments.js";
import { createManifestFlow, type ManifestRegistration } from "./github-manifest.js";
import { createOAuthFlow, type OAuthFlow } from "./github-oauth.js";
import { type AppIdentity, clientId, type Urls } from "./github-objects.js";
import { githubOpenApi } from "./github-openapi.js";
import { GitHubPeople, peopleHandlers } from "./github-people.js";
import {
  type Call,
  type Dispatch,
  DOCS,
  error,
  handlers,
  type Reply,
  type Review,
  type RouteContext,
} from "./github-routes.js";
import { fakeSha, GitHubState, type NewRun, type RunState } from "./github-state.js";
import { RepositoryAccess, userAccessHandlers } from "./github-user-access.js";
import * as webhooks from "./github-webhooks.js";

export type { Dispatch, Review } from "./github-routes.js";
export { WebhookPayloadError } from "./github-webhooks.js";

const API_PREFIX = "/api/v3";
const MAX_BODY_BYTES = 10 * 1024 * 1024;

export interface FakeGitHubOptions {
  appId: number;
  /** PEM, PKCS#1 or PKCS#8. Only its public half is used, to verify the App's JWTs. */
  privateKey: string;
  webhookSecret: string;
  /** Where webhooks go (e.g. the App's `/api/github/webhooks`); can be set later on the instance. */
  webhookUrl?: string;
  port?: number;
  /** Extra tokens, such as a workflow's GITHUB_TOKEN, each able to see one repository. */
  staticTokens?: Record<string, { repository: string }>;
  appSlug?: string;
  /** The App's OAuth client secret (its client ID is derived from appId); a fixed test value otherwise. */
  clientSecret?: string;
}

export interface RecordedRequest {
  method: string;
  /** Below `/api/v3`, without the query string. */
  path: string;
  query: string;
  operationId: string | undefined;
  status: number;
  body?: unknown;
}

export type RunSnapshot = RunState;
export type { ManifestRegistration } from "./github-manifest.js";

export interface FakeGitHub {
  url: string;
  apiUrl: string;
  host: string;
  webhookUrl: string | undefined;
  violations: string[];
  requests: RecordedRequest[];
  reviews: Review[];
  dispatches: Dispatch[];
  /** Per credential (`GITHUB_TOKEN owner/repo`, `installation 77`, `app`): requests counted and 304s. */
  rateLimits: Map<string, RateLimitUse>;
  /** Apps registered through the manifest flow (`/settings/apps/new`), in order. */
  manifestRegistrations: ManifestRegistration[];
  /** User accounts, organization members and teams (github-people.ts). */
  people: GitHubPeople;
  /** Who can read which repository (collaborators, organizations' base permission): github-user-access.ts. */
  access: RepositoryAccess;
  /** The App's user authorization, OAuth web flow (github-oauth.ts): client id and secret, callback URLs. */
  oauth: OAuthFlow;
  /** Deployments and their statuses, commit ancestry, a run's jobs and their annotations (github-deployments.ts). */
  deployments: FakeDeployments;
  addInstallation(i: { id: number; account: string; repositories: string[] }): void;
  /** A workflow's GITHUB_TOKEN for one repository (what `staticTokens` gives at start). */
  addStaticToken(token: string, repository: string): void;
  addRepository(r: {
    fullName: string;
    defaultBranch?: string;
    private?: boolean;
    files?: Record<string, string>;
  }): void;
  setFile(fullName: string, path: string, content: string | null, branch?: string): void;
  addCommit(fullName: string, c: { sha: string; message: string; author?: string }): void;
  addRun(r: NewRun): void;
  getRun(repository: string, runId: number): RunSnapshot;
  /** The repository's runs, oldest first (those a workflow_dispatch created included). */
  listRuns(repository: string): RunSnapshot[];
  rerun(repository: string, runId: number): void;
  cancelRun(repository: string, runId: number): void;
  /** An admin bypasses the protection rules: the job held at `environment` goes on unreviewed. */
  bypassGate(repository: string, runId: number, environment: string): void;
  /** The run ends with this conclusion (its deploy job finished, or failed). */
  finishRun(repository: string, runId: number, conclusion: "success" | "failure"): void;
  checkRuns(repository: string): {
    id: number;
    name: string;
    headSha: string;
    status: string;
    conclusion: string | null;
    externalId: string | null;
    output: { title: string | null; summary: string | null; text: string | null };
  }[];
  sendWebhook(event: string, payload: object): Promise<{ status: number; body: string }>;
  deploymentProtectionRulePayload(repository: string, runId: number, environment: string): object;
  sendDeploymentProtectionRule(
    repository: string,
    runId: number,
    environment: string,
  ): Promise<{ status: number; body: string }>;
  pushPayload(repository: string, files: string[]): object;
  /** `workflow_run` `completed` for the run as it is now (cancel or finish it first). */
  workflowRunCompletedPayload(repository: string, runId: number): object;
  /**
   * The next matching requests fail; `extra` adds headers (e.g. `retry-after`) and GitHub's message;
   * `afterApplying` carries the request out first, as a gateway that loses GitHub's answer does.
   */
  failNext(
    match: { method?: string; path: RegExp },
    status: number,
    times?: number,
    extra?: { headers?: Record<string, string>; message?: string; afterApplying?: boolean },
  ): void;
  setLatency(ms: number): void;
  close(): Promise<void>;
}

interface Failure {
  method: string | undefined;
  path: RegExp;
  status: number;
  remaining: number;
  headers?: Record<string, string>;
  message?: string;
  afterApplying?: boolean;
}

export async function startFakeGitHub(options: FakeGitHubOptions): Promise<FakeGitHub> {
  const openapi = githubOpenApi();
  const state = new GitHubState();
  const auth = new GitHubAuth(
    options.appId,
    options.privateKey,
    { ...options.staticTokens },
    clientId(options.appId),
  );
  const app: AppIdentity = {
    id: options.appId,
    slug: options.appSlug ?? "slack-deploy-gate",
    name: "slack-deploy-gate",
    owner: "slack-deploy-gate",
    createdAt: "2024-01-01T00:00:00Z",
  };
  const urls: Urls = { web: "", api: "" };
  const violations: string[] = [];
  const requests: RecordedRequest[] = [];
  const reviews: Review[] = [];
  const dispatches: Dispatch[] = [];
  const failures: Failure[] = [];
  let latencyMs = 0;
  const ctx: RouteContext = { state, auth, app, urls, reviews, dispatches };
  const conditional = new ConditionalRequests();
  const manifestFlow = createManifestFlow({
    openapi,
    app,
    webUrl: () => urls.web,
    privateKey: options.privateKey,
    webhookSecret: options.webhookSecret,
    violations,
  });
  const people = new GitHubPeople();
  const access = new RepositoryAccess(people);
  const oauth = createOAuthFlow({
    app,
    clientId: clientId(options.appId),
    clientSecret: options.clientSecret ?? `fake-client-secret-${options.appId}`,
    auth,
    people,
    violations,
  });
  const deployments = createFakeDeployments({
    state,
    urls,
    pushedAt: (fullName) => {
      const repo = state.repository(fullName);
      return repo?.commits.at(-1)?.date ?? repo?.createdAt ?? new Date().toISOString();
    },
  });
  const operations: Record<string, (typeof handlers)[string]> = {
    ...deployments.handlers,
    ...handlers,
    ...manifestFlow.handlers,
    ...peopleHandlers(people),
    ...userAccessHandlers(people, access),
    ...oauth.handlers,
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = (req.method ?? "GET").toUpperCase();
    const url = new URL(req.url ?? "/", "http://fake.invalid");
    const raw = await readBody(req, MAX_BODY_BYTES).catch((error: unknown) => {
      if (error instanceof BodyTooLargeError) return undefined;
      throw error;
    });
    const apiPath = url.pathname.startsWith(`${API_PREFIX}/`)
      ? url.pathname.slice(API_PREFIX.length)
      : undefined;
    // GitHub's web pages for registering an App from a manifest.
    if (apiPath === undefined && raw !== undefined && manifestFlow.page(method, url, raw, res)) return;
    // GitHub's web endpoints of the OAuth web flow (sign-in page, code exchange).
    if (apiPath === undefined && raw !== undefined && oauth.page(method, url, raw, req.headers, res)) return;
    const record: RecordedRequest = {
      method,
      path: apiPath ?? url.pathname,
      query: url.search,
      operationId: undefined,
      status: 0,
    };
    const refuse = (reply: Reply, why: string) => {
      violations.push(`${method} ${url.pathname}${url.search} → ${reply.status}: ${why}`);
      return reply;
    };

    const reply = await (async (): Promise<Reply> => {
      if (raw === undefined) return refuse(error(413, "Payload too large"), "body over 10 MiB");
      const match = apiPath === undefined ? ({ kind: "not-found" } as const) : openapi.match(method, apiPath);
      if (match.kind === "not-found")
        return refuse(error(404, "Not Found"), "no such operation in GitHub's REST API");
      const { operation, params } = match;
      record.operationId = operation.operationId;

      let body: unknown;
      if (raw.length && operation.requestBody) {
        try {
          body = JSON.parse(raw.toString("utf8"));
        } catch {
          return refuse(error(400, "Problems parsing JSON"), "request body is not JSON");
        }
        record.body = body;
      }
      const problem =
        openapi.checkParameters(operation, params, url.searchParams) ?? openapi.checkBody(operation, body);
      if (problem)
        return refuse(
          error(422, problem.message, { errors: problem.errors }),
          problem.message.replace(/\s+/g, " "),
        );

      const handler = operations[operation.operationId];
      const credential = auth.identify(req.headers.authorization);
      if (credential.kind === "none" && handler?.needs !== "none")
        return refuse(error(401, "Requires authentication"), "no credentials");
      if (credential.kind === "invalid") return refuse(error(401, credential.message), credential.message);
      if (!handler) {
        return refuse(
          error(501, "Not Implemented"),
          `fake-github does not implement ${operation.operationId}; add it`,
        );
      }
      let repo: Call["repo"];
      if (handler.needs === "app") {
        if (credential.kind !== "app") {
          return refuse(
            error(401, "A JSON web token could not be decoded"),
            `${operation.operationId} needs the App's JWT`,
          );
        }
      } else if (handler.needs === "repository") {
        if (credential.kind === "app") {
          return refuse(
            error(403, "Resource not accessible by integration"),
            `${operation.operationId} needs an installation token, not the App's JWT`,
          );
        }
        const fullName = `${params.owner}/${params.repo}`;
        repo = state.repository(fullName);
        // A repository the credential cannot see does not exist, as far as GitHub says.
        if (!repo || !canSee(credential, repo.fullName, repo.name)) return error(404, "Not Found");
      }

      const call = {
        params,
        query: url.searchParams,
        body,
        credential,
        accept: req.headers.accept ?? "",
        repo,
      };
      const failure = failures.find((f) => (!f.method || f.method === method) && f.path.test(apiPath ?? ""));
      if (failure) {
        failure.remaining -= 1;
        if (failure.remaining <= 0) failures.splice(failures.indexOf(failure), 1);
        if (failure.afterApplying) handler.handle(ctx, call);
        return {
          status: failure.status,
          body: { message: failure.message ?? STATUS_CODES[failure.status] ?? "Error" },
          headers: failure.headers,
        };
      }
      if (latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, latencyMs));

      const result = handler.handle(ctx, call);
      if (result.violation) refuse(result, result.violation);
      if (!result.text && result.status < 500) {
        const wrong = openapi.checkResponse(operation, result.status, result.body);
        if (wrong)
          violations.push(
            `fake-github bug: ${operation.operationId} answered ${result.status} off schema: ${wrong}`,
          );
      }
      // Validated as a full answer first; then, as GitHub does, 304 when the client already has it.
      return conditional.answer(method, req.headers["if-none-match"], credential, result);
    })();

    record.status = reply.status;
    requests.push(record);
    send(res, reply);
  }

  function canSee(credential: ReturnType<GitHubAuth["identify"]>, fullName: string, name: string): boolean {
    if (credential.kind === "static") return credential.repository.toLowerCase() === fullName.toLowerCase();
    if (credential.kind !== "installation") return false;
    const installation = state.installations.get(credential.installationId);
    if (!installation?.repositories.some((r) => r.toLowerCase() === fullName.toLowerCase())) return false;
    return !credential.repositories || credential.repositories.includes(name.toLowerCase());
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((cause: unknown) => {
      violations.push(`fake-github crashed on ${req.method} ${req.url}: ${String(cause)}`);
      if (!res.headersSent) send(res, error(500, "Internal Server Error"));
    });
  });
  const port = await listenOnLoopback(server, options.port);
  const host = `127.0.0.1:${port}`;
  urls.web = `http://${host}`;
  urls.api = `${urls.web}${API_PREFIX}`;

  const mustRepository = (fullName: string) => {
    const repo = state.repository(fullName);
    if (!repo) throw new Error(`unknown repository ${fullName}: addRepository first`);
    return repo;
  };
  const pushedAt = (fullName: string) => {
    const repo = mustRepository(fullName);
    return repo.commits.at(-1)?.date ?? repo.createdAt;
  };

  const fake: FakeGitHub = {
    url: urls.web,
    apiUrl: urls.api,
    host,
    webhookUrl: options.webhookUrl,
    violations,
    requests,
    reviews,
    dispatches,
    rateLimits: conditional.usage,
    manifestRegistrations: manifestFlow.registrations,
    people,
    access,
    oauth,
    deployments: deployments.fake,
    addInstallation: (i) => state.addInstallation(i),
    addStaticToken: (token, repository) => auth.addStaticToken(token, repository),
    addRepository: (r) => state.addRepository(r),
    setFile: (fullName, path, content, branch) => state.setFile(fullName, path, content, branch),
    addCommit: (fullName, c) => state.addCommit(fullName, c),
    addRun: (r) => state.addRun(r),
    getRun(repository, runId) {
      const run = state.mustRun(repository, runId);
      return {
        ...run,
        waitingEnvironments: [...run.waitingEnvironments],
        gatedEnvironments: [...run.gatedEnvironments],
      };
    },
    listRuns: (repository) => state.listRuns(repository).map((run) => fake.getRun(repository, run.runId)),
    rerun: (repository, runId) => state.rerun(repository, runId),
    cancelRun: (repository, runId) => state.cancelRun(repository, runId),
    finishRun: (repository, runId, conclusion) => state.finishRun(repository, runId, conclusion),
    bypassGate: (repository, runId, environment) => state.bypassGate(repository, runId, environment),
    checkRuns: (repository) =>
      state.checkRuns
        .filter((c) => c.repository.toLowerCase() === repository.toLowerCase())
        .map((c) => ({
          id: c.id,
          name: c.name,
          headSha: c.headSha,
          status: c.status,
          conclusion: c.conclusion,
          externalId: c.externalId,
          output: { ...c.output },
        })),
    async sendWebhook(event, payload) {
      if (!fake.webhookUrl)
        throw new Error("no webhookUrl: pass it to startFakeGitHub or set fake.webhookUrl");
      const { status, body } = await webhooks.deliverWebhook({
        url: fake.webhookUrl,
        secret: options.webhookSecret,
        appId: options.appId,
        event,
        payload,
      });
      return { status, body };
    },
    workflowRunCompletedPayload(repository, runId) {
      const repo = mustRepository(repository);
      const run = state.mustRun(repository, runId);
      const head = state.findCommit(repo, run.headSha);
      return webhooks.workflowRunCompletedPayload(urls, {
        repo,
        run,
        headCommit: head?.sha === run.headSha ? head : undefined,
        installation: state.installationFor(repo.fullName),
        pushedAt: pushedAt(repository),
      });
    },
    deploymentProtectionRulePayload(repository, runId, environment) {
      const repo = mustRepository(repository);
      return webhooks.deploymentProtectionRulePayload(urls, {
        repo,
        run: state.mustRun(repository, runId),
        environment,
        installation: state.installationFor(repo.fullName),
        pushedAt: pushedAt(repository),
      });
    },
    sendDeploymentProtectionRule(repository, runId, environment) {
      return fake.sendWebhook(
        "deployment_protection_rule",
        fake.deploymentProtectionRulePayload(repository, runId, environment),
      );
    },
    pushPayload(repository, files) {
      const repo = mustRepository(repository);
      const before = repo.commits.filter((c) => c.branch === repo.defaultBranch).at(-1);
      const sha = fakeSha(`${repo.fullName}:push:${randomUUID()}`);
      state.addCommit(repo.fullName, { sha, message: `Update ${files.join(", ")}`, author: repo.owner });
      const after = repo.commits.at(-1);
      if (!after) throw new Error("commit was not recorded");
      return webhooks.pushPayload(urls, {
        repo,
        before,
        after,
        files,
        installation: state.installationFor(repo.fullName),
        pushedAt: Math.floor(Date.parse(after.date) / 1000),
      });
    },
    failNext(match, status, times = 1, extra = {}) {
      failures.push({
        method: match.method?.toUpperCase(),
        path: match.path,
        status,
        remaining: times,
        headers: extra.headers,
        message: extra.message,
        afterApplying: extra.afterApplying,
      });
    },
    setLatency(ms) {
      latencyMs = ms;
    },
    close() {
      return new Promise<void>((resolve, reject) => {
        server.close((cause) => (cause ? reject(cause) : resolve()));
        server.closeAllConnections();
      });
    },
  };
  return fake;
}

function send(res: ServerResponse, reply: Reply): void {
  const headers: Record<string, string> = {
    "x-github-request-id": randomUUID(),
    "x-github-media-type": "github.v3; format=json",
    "x-ratelimit-limit": "5000",
    "x-ratelimit-remaining": "4999",
    "x-ratelimit-reset": String(Math.floor(Date.now() / 1000) + 3600),
  };
  Object.assign(headers, reply.headers);
  if (reply.text) {
    res.writeHead(reply.status, { ...headers, "content-type": reply.text.contentType });
    res.end(reply.text.content);
  } else if (reply.body === undefined) {
    res.writeHead(reply.status, headers);
    res.end();
  } else {
    res.writeHead(reply.status, { ...headers, "content-type": "application/json; charset=utf-8" });
    res.end(JSON.stringify(reply.body));
  }
}

export { DOCS as GITHUB_DOCS_URL };
