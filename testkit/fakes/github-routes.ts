// The operations the fake implements, keyed by GitHub's operationId. Each says which credential it
// needs; the server has already matched the route, validated the request and checked the credential.
import type { Credential, GitHubAuth } from "./github-auth.js";
import type { AppIdentity, Urls } from "./github-objects.js";
import * as objects from "./github-objects.js";
import type { GitHubState, InstallationState, RepositoryState } from "./github-state.js";
import { normalizePath } from "./github-state.js";
import { workflowHandlers } from "./github-workflows.js";

export const DOCS = "https://docs.github.com/rest";

export interface Review {
  repository: string;
  runId: number;
  environment: string;
  state: "approved" | "rejected";
  comment: string;
}

export interface Dispatch {
  repository: string;
  workflowId: string;
  ref: string;
  inputs: Record<string, unknown>;
}

export interface Call {
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
  credential: Credential;
  accept: string;
  /** Set for repository operations: the repository, already checked visible to the credential. */
  repo: RepositoryState | undefined;
}

export interface Reply {
  status: number;
  body?: unknown;
  /** Raw media types (`application/vnd.github.raw`) answer text, not JSON. */
  text?: { contentType: string; content: string };
  /** Set when the request is one the real API refuses for a reason the schema cannot express. */
  violation?: string;
  /** Extra response headers (an ETag, the rate-limit headers of the credential). */
  headers?: Record<string, string>;
}

export interface RouteContext {
  state: GitHubState;
  auth: GitHubAuth;
  app: AppIdentity;
  urls: Urls;
  reviews: Review[];
  dispatches: Dispatch[];
}

export interface Handler {
  /** `app`: the App's JWT. `repository`: a token that can see `{owner}/{repo}`. `none`: no credential. */
  needs: "app" | "repository" | "none";
  handle(ctx: RouteContext, call: Call): Reply;
}

export function error(status: number, message: string, extra: Record<string, unknown> = {}): Reply {
  return { status, body: { message, documentation_url: DOCS, status: String(status), ...extra } };
}

const notFound = () => error(404, "Not Found");

/** An installation as GitHub shows it to its App, or 404 where there is none. */
function installationReply(ctx: RouteContext, installation: InstallationState | undefined): Reply {
  return installation
    ? { status: 200, body: objects.installation(ctx.urls, ctx.app, installation) }
    : notFound();
}

function repoOf(call: Call): RepositoryState {
  if (!call.repo) throw new Error("repository handler called without a repository");
  return call.repo;
}

function lastPushed(repo: RepositoryState): string {
  return repo.commits.at(-1)?.date ?? repo.createdAt;
}

export const handlers: Record<string, Handler> = {
  "apps/get-authenticated": {
    needs: "app",
    handle: (ctx) => ({
      status: 200,
      body: { ...objects.integration(ctx.urls, ctx.app), installations_count: ctx.state.installations.size },
    }),
  },

  "apps/get-installation": {
    needs: "app",
    handle(ctx, call) {
      return installationReply(ctx, ctx.state.installations.get(Number(call.params.installation_id)));
    },
  },

  "apps/create-installation-access-token": {
    needs: "app",
    handle(ctx, call) {
      const installation = ctx.state.installations.get(Number(call.params.installation_id));
      if (!installation) return notFound();
      const body = (call.body ?? {}) as { repositories?: string[] };
      const names = installation.repositories.map((r) => r.split("/")[1]?.toLowerCase());
      if (body.repositories?.some((name) => !names.includes(name.toLowerCase()))) {
        return error(
          422,
          "There is at least one repository that does not exist or is not accessible to the parent installation.",
        );
      }
      const issued = ctx.auth.issueToken(installation.id, body.repositories);
      const repositories = installation.repositories
        .map((name) => ctx.state.repository(name))
        .filter((repo): repo is RepositoryState => repo !== undefined)
        .filter(
          (repo) =>
            !body.repositories || body.repositories.some((n) => n.toLowerCase() === repo.name.toLowerCase()),
        )
        .map((repo) => objects.fullRepository(ctx.urls, repo, lastPushed(repo)));
      return {
        status: 201,
        body: {
          token: issued.token,
          expires_at: issued.expiresAt,
          permissions: objects.APP_PERMISSIONS,
          repository_selection: "selected",
          repositories,
        },
      };
    },
  },

  "apps/get-repo-installation": {
    needs: "app",
    handle(ctx, call) {
      return installationReply(ctx, ctx.state.installationFor(`${call.params.owner}/${call.params.repo}`));
    },
  },

  "repos/get": {
    needs: "repository",
    handle(ctx, call) {
      const repo = repoOf(call);
      return { status: 200, body: objects.fullRepository(ctx.urls, repo, lastPushed(repo)) };
    },
  },

  "repos/get-content": {
    needs: "repository",
    handle(ctx, call) {
      const repo = repoOf(call);
      const ref = call.query.get("ref") ?? undefined;
      const files = ctx.state.filesAt(repo, ref);
      if (!files) return error(404, `No commit found for the ref ${ref}`);
      const path = normalizePath(call.params.path ?? "");
      const refName = ref ?? repo.defaultBranch;
      const content = files.get(path);
      if (content !== undefined) {
        if (/application\/vnd\.github(\.v3)?\.raw/.test(call.accept)) {
          return { status: 200, text: { contentType: "text/plain; charset=utf-8", content } };
        }
        return { status: 200, body: objects.contentFile(ctx.urls, repo, path, content, refName) };
      }
      const listing = objects.contentDirectory(ctx.urls, repo, path, files, refName);
      return listing.length ? { status: 200, body: listing } : notFound();
    },
  },

  "repos/get-commit": {
    needs: "repository",
    handle(ctx, call) {
      const repo = repoOf(call);
      const ref = call.params.ref ?? "";
      const found = ctx.state.findCommit(repo, ref);
      if (!found) return error(422, `No commit found for SHA: ${ref}`);
      const index = repo.commits.indexOf(found);
      const parent = repo.commits
        .slice(0, index)
        .filter((c) => c.branch === found.branch)
        .at(-1);
      return { status: 200, body: objects.commit(ctx.urls, repo, found, parent) };
    },
  },

  "actions/get-workflow-run": {
    needs: "repository",
    handle(ctx, call) {
      const repo = repoOf(call);
      const run = ctx.state.run(repo.fullName, Number(call.params.run_id));
      if (!run) return notFound();
      const head = ctx.state.findCommit(repo, run.headSha);
      return {
        status: 200,
        body: objects.workflowRun(ctx.urls, repo, run, head?.sha === run.headSha ? head : undefined),
      };
    },
  },

  "actions/get-workflow-run-attempt": {
    needs: "repository",
    handle(ctx, call) {
      const repo = repoOf(call);
      const run = ctx.state.run(repo.fullName, Number(call.params.run_id));
      const attempt = Number(call.params.attempt_number);
      if (!run || attempt < 1 || attempt > run.runAttempt) return notFound();
      const head = ctx.state.findCommit(repo, run.headSha);
      const body = objects.workflowRun(ctx.urls, repo, run, head?.sha === run.headSha ? head : undefined);
      // Earlier attempts are over: the fake keeps no history beyond "it ended".
      if (attempt < run.runAttempt)
        Object.assign(body, { run_attempt: attempt, status: "completed", conclusion: "failure" });
      return { status: 200, body };
    },
  },

  "actions/get-pending-deployments-for-run": {
    needs: "repository",
    handle(ctx, call) {
      const repo = repoOf(call);
      const run = ctx.state.run(repo.fullName, Number(call.params.run_id));
      if (!run) return notFound();
      return {
        status: 200,
        body: run.waitingEnvironments.map((env) => objects.pendingDeployment(ctx.urls, repo, env)),
      };
    },
  },

  "actions/review-custom-gates-for-run": {
    needs: "repository",
    handle(ctx, call) {
      const repo = repoOf(call);
      // Only the App that owns the protection rule may review it; a workflow token cannot.
      if (call.credential.kind !== "installation") {
        return {
          ...error(403, "Resource not accessible by integration"),
          violation: "only the App's installation token may review its protection rule",
        };
      }
      const body = call.body as { environment_name: string; state?: unknown; comment?: unknown };
      // The description's anyOf lets a bad `state` through when a comment is present; GitHub does not.
      if (body.state !== undefined && body.state !== "approved" && body.state !== "rejected") {
        const message = `Invalid request.\n\n${JSON.stringify(body.state)} is not a member of ["approved", "rejected"].`;
        return {
          ...error(422, message, {
            errors: [{ resource: "actions", field: "state", code: "invalid", message }],
          }),
          violation: `state ${JSON.stringify(body.state)} is not one of approved, rejected`,
        };
      }
      const state = body.state as Review["state"] | undefined;
      const runId = Number(call.params.run_id);
      const outcome = ctx.state.review(repo.fullName, runId, body.environment_name, state);
      if (!outcome.ok) return error(outcome.status, outcome.message);
      if (state) {
        ctx.reviews.push({
          repository: repo.fullName,
          runId,
          environment: body.environment_name,
          state,
          comment: typeof body.comment === "string" ? body.comment : "",
        });
      }
      return { status: 204 };
    },
  },

  "checks/create": {
    needs: "repository",
    handle(ctx, call) {
      const repo = repoOf(call);
      const body = call.body as CheckRunBody & { name: string; head_sha: string };
      const status = body.conclusion ? "completed" : (body.status ?? "queued");
      if (status === "completed" && !body.conclusion) return missingConclusion();
      const created = ctx.state.addCheckRun({
        repository: repo.fullName,
        headSha: body.head_sha,
        name: body.name,
        status,
        conclusion: body.conclusion ?? null,
        detailsUrl: body.details_url ?? null,
        externalId: body.external_id ?? null,
        startedAt: body.started_at ?? new Date().toISOString(),
        completedAt: status === "completed" ? (body.completed_at ?? new Date().toISOString()) : null,
        output: outputOf(body.output),
        appId: call.credential.kind === "installation" ? ctx.app.id : objects.ACTIONS_APP.id,
      });
      return { status: 201, body: checkRunBody(ctx, repo, created.id) };
    },
  },

  "checks/update": {
    needs: "repository",
    handle(ctx, call) {
      const repo = repoOf(call);
      const existing = ctx.state.checkRuns.find(
        (c) => c.id === Number(call.params.check_run_id) && c.repository === repo.fullName,
      );
      if (!existing) return notFound();
      const body = call.body as CheckRunBody;
      const status = body.conclusion ? "completed" : (body.status ?? existing.status);
      if (status === "completed" && !body.conclusion && !existing.conclusion) return missingConclusion();
      Object.assign(existing, {
        name: body.name ?? existing.name,
        status,
        conclusion: body.conclusion ?? existing.conclusion,
        detailsUrl: body.details_url ?? existing.detailsUrl,
        externalId: body.external_id ?? existing.externalId,
        startedAt: body.started_at ?? existing.startedAt,
        completedAt:
          status === "completed"
            ? (body.completed_at ?? existing.completedAt ?? new Date().toISOString())
            : null,
        output: body.output ? outputOf(body.output) : existing.output,
      });
      return { status: 200, body: checkRunBody(ctx, repo, existing.id) };
    },
  },

  "checks/list-for-ref": {
    needs: "repository",
    handle(ctx, call) {
      const repo = repoOf(call);
      const ref = call.params.ref ?? "";
      const sha = ctx.state.findCommit(repo, ref)?.sha ?? ref;
      const name = call.query.get("check_name");
      const status = call.query.get("status");
      const appId = call.query.get("app_id");
      const runs = ctx.state.checkRuns.filter(
        (c) =>
          c.repository === repo.fullName &&
          c.headSha === sha &&
          (!name || c.name === name) &&
          (!status || c.status === status) &&
          (!appId || c.appId === Number(appId)),
      );
      // Newest first, as GitHub lists them.
      const listed = runs.reverse().map((c) => checkRunBody(ctx, repo, c.id));
      return { status: 200, body: { total_count: listed.length, check_runs: listed } };
    },
  },

  ...workflowHandlers,
};

/** GitHub requires a conclusion for a completed check run; the description cannot say so. */
function missingConclusion(): Reply {
  return {
    ...error(422, "Invalid request.\n\nconclusion wasn't supplied."),
    violation: "completed check run without a conclusion",
  };
}

interface CheckRunBody {
  name?: string;
  status?: "queued" | "in_progress" | "completed" | "waiting" | "requested" | "pending";
  conclusion?: string;
  details_url?: string;
  external_id?: string;
  started_at?: string;
  completed_at?: string;
  output?: { title?: string; summary?: string; text?: string };
}

function outputOf(output: CheckRunBody["output"]) {
  return { title: output?.title ?? null, summary: output?.summary ?? null, text: output?.text ?? null };
}

function checkRunBody(ctx: RouteContext, repo: RepositoryState, id: number) {
  const c = ctx.state.checkRuns.find((run) => run.id === id);
  if (!c) throw new Error(`check run ${id} vanished`);
  return objects.checkRun(ctx.urls, repo, c, c.appId === ctx.app.id ? ctx.app : objects.ACTIONS_APP);
}
