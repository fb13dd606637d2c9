// Deployments, commit history and jobs in the fake GitHub, for what a request shows and follows:
// - deployments to an environment with their statuses (newest first, as GitHub lists them), so "what
//   changed since the last successful deployment" has something to find;
// - the comparison of two commits along their parents (ahead, behind, identical, diverged after a
//   force-push; 404 for a commit GitHub does not have);
// - a run attempt's jobs (which one deploys where) and the annotations a job's steps wrote (the runner
//   turns a step's `::notice` into one), read through the checks API as GitHub serves them;
// - webhook payloads for `deployment_review` and `workflow_job`, checked against @octokit/webhooks-schemas
//   when they are delivered (github-webhooks.ts).

import type { Urls } from "./github-objects.js";
import * as objects from "./github-objects.js";
import type { Call, Handler, Reply, RouteContext } from "./github-routes.js";
import type {
  CommitState,
  GitHubState,
  InstallationState,
  RepositoryState,
  RunState,
} from "./github-state.js";
import { stableId } from "./github-state.js";

/** GitHub's deployment status states (a deployment held at a gate reads `queued`). */
export type DeploymentState =
  | "success"
  | "failure"
  | "error"
  | "inactive"
  | "in_progress"
  | "queued"
  | "pending";

interface DeploymentRecord {
  id: number;
  repository: string;
  sha: string;
  ref: string;
  environment: string;
  creator: string;
  createdAt: string;
  /** Oldest first. */
  statuses: Array<{ id: number; state: DeploymentState; createdAt: string }>;
}

export interface JobRecord {
  id: number;
  repository: string;
  runId: number;
  runAttempt: number;
  name: string;
  /** The environment the job deploys to, if any. */
  environment: string | null;
  status: "queued" | "in_progress" | "completed" | "waiting";
  conclusion: "success" | "failure" | "cancelled" | "skipped" | null;
  annotations: Array<{ level: "notice" | "warning" | "failure"; title: string; message: string }>;
  createdAt: string;
}

export interface FakeDeployments {
  /**
   * A commit with an explicit parent (a force-push: the branch's earlier head is dropped from its
   * history). Without `parent`, the branch's previous commit is the parent, as `addCommit` does.
   */
  commit(
    repository: string,
    c: { sha: string; message: string; author?: string; parent?: string | null },
  ): void;
  /** A deployment to `environment` of `sha`, with its statuses in order (the last is its current state). */
  deploy(
    repository: string,
    d: { sha: string; environment: string; states: DeploymentState[]; ref?: string; creator?: string },
  ): number;
  /** A job of the run's current attempt; `environment` for a job that deploys. */
  addJob(
    repository: string,
    runId: number,
    j: {
      name: string;
      environment?: string;
      status?: JobRecord["status"];
      conclusion?: JobRecord["conclusion"];
    },
  ): JobRecord;
  /** What the runner does with a step's `::notice title=…::message`: an annotation on the job's check run. */
  annotate(
    job: JobRecord,
    a: { title: string; message: string; level?: "notice" | "warning" | "failure" },
  ): void;
  jobs(repository: string, runId: number): JobRecord[];
  /** `deployment_review` approved or rejected by `reviewer` for the run's job at `environment`. */
  deploymentReviewPayload(
    repository: string,
    runId: number,
    r: { state: "approved" | "rejected"; environment: string; reviewer: string; comment?: string },
  ): object;
  /** `workflow_job` for one of the run's jobs (`deployment` included when it deploys). */
  workflowJobPayload(
    job: JobRecord,
    action: "queued" | "waiting" | "in_progress" | "completed",
    sender?: string,
  ): object;
}

export function createFakeDeployments(input: {
  state: GitHubState;
  urls: Urls;
  pushedAt(repository: string): string;
}): { fake: FakeDeployments; handlers: Record<string, Handler> } {
  const { state, urls } = input;
  const deployments: DeploymentRecord[] = [];
  const jobs: JobRecord[] = [];
  /** sha → parent sha (null: a root), where set explicitly. */
  const parents = new Map<string, string | null>();
  let nextDeployment = 7_000_000;
  let nextStatus = 9_000_000;
  let nextJob = 60_000_000;
  const now = () => new Date().toISOString().replace(/\.\d{3}Z$/, "Z");

  const mustRepository = (fullName: string) => {
    const repo = state.repository(fullName);
    if (!repo) throw new Error(`unknown repository ${fullName}: addRepository first`);
    return repo;
  };

  function parentOf(repo: RepositoryState, c: CommitState): CommitState | undefined {
    if (parents.has(c.sha)) {
      const sha = parents.get(c.sha);
      return sha ? repo.commits.find((x) => x.sha === sha) : undefined;
    }
    const index = repo.commits.indexOf(c);
    return repo.commits
      .slice(0, index)
      .filter((x) => x.branch === c.branch)
      .at(-1);
  }

  /** The commit and its ancestors, newest first. */
  function history(repo: RepositoryState, c: CommitState): CommitState[] {
    const line: CommitState[] = [];
    const seen = new Set<string>();
    for (let at: CommitState | undefined = c; at && !seen.has(at.sha); at = parentOf(repo, at)) {
      seen.add(at.sha);
      line.push(at);
    }
    return line;
  }

  function deploymentObject(repo: RepositoryState, d: DeploymentRecord) {
    const url = `${urls.api}/repos/${repo.fullName}/deployments/${d.id}`;
    const updated = d.statuses.at(-1)?.createdAt ?? d.createdAt;
    return {
      url,
      id: d.id,
      node_id: objects.nodeId("Deployment", d.id),
      sha: d.sha,
      ref: d.ref,
      task: "deploy",
      payload: {},
      original_environment: d.environment,
      environment: d.environment,
      description: null,
      creator: objects.simpleUser(urls, d.creator),
      created_at: d.createdAt,
      updated_at: updated,
      statuses_url: `${url}/statuses`,
      repository_url: `${urls.api}/repos/${repo.fullName}`,
      transient_environment: false,
      production_environment: /prod/i.test(d.environment),
      performed_via_github_app: null,
    };
  }

  function statusObject(repo: RepositoryState, d: DeploymentRecord, s: DeploymentRecord["statuses"][number]) {
    const deploymentUrl = `${urls.api}/repos/${repo.fullName}/deployments/${d.id}`;
    const web = `${urls.web}/${repo.fullName}/deployments/${encodeURIComponent(d.environment)}`;
    return {
      url: `${deploymentUrl}/statuses/${s.id}`,
      id: s.id,
      node_id: objects.nodeId("DeploymentStatus", s.id),
      state: s.state,
      creator: objects.simpleUser(urls, d.creator),
      description: "",
      environment: d.environment,
      target_url: web,
      created_at: s.createdAt,
      updated_at: s.createdAt,
      deployment_url: deploymentUrl,
      repository_url: `${urls.api}/repos/${repo.fullName}`,
      environment_url: web,
      log_url: web,
      performed_via_github_app: null,
    };
  }

  function jobObject(repo: RepositoryState, run: RunState | undefined, j: JobRecord) {
    const api = `${urls.api}/repos/${repo.fullName}`;
    return {
      id: j.id,
      run_id: j.runId,
      run_url: `${api}/actions/runs/${j.runId}`,
      run_attempt: j.runAttempt,
      node_id: objects.nodeId("CheckRun", j.id),
      head_sha: run?.headSha ?? "0".repeat(40),
      url: `${api}/actions/jobs/${j.id}`,
      html_url: `${urls.web}/${repo.fullName}/actions/runs/${j.runId}/job/${j.id}`,
      status: j.status,
      conclusion: j.conclusion,
      created_at: j.createdAt,
      started_at: j.createdAt,
      completed_at: j.status === "completed" ? j.createdAt : null,
      name: j.name,
      steps: [],
      check_run_url: `${api}/check-runs/${j.id}`,
      labels: ["ubuntu-latest"],
      runner_id: j.status === "queued" || j.status === "waiting" ? null : 1,
      runner_name: j.status === "queued" || j.status === "waiting" ? null : "GitHub Actions 1",
      runner_group_id: j.status === "queued" || j.status === "waiting" ? null : 1,
      runner_group_name: j.status === "queued" || j.status === "waiting" ? null : "GitHub Actions",
      workflow_name: run?.workflowName ?? "Deploy",
      head_branch: run?.headBranch ?? repo.defaultBranch,
    };
  }

  function compare(ctx: RouteContext, call: Call): Reply {
    const repo = call.repo as RepositoryState;
    const basehead = call.params.basehead ?? "";
    const match = /^(.+?)\.\.\.(.+)$/.exec(basehead);
    if (!match) return objects404();
    const base = ctx.state.findCommit(repo, match[1] as string);
    const head = ctx.state.findCommit(repo, match[2] as string);
    if (!base || !head) return objects404();
    const headLine = history(repo, head);
    const baseLine = history(repo, base);
    const baseSet = new Set(baseLine.map((c) => c.sha));
    const mergeBase = headLine.find((c) => baseSet.has(c.sha));
    if (!mergeBase) {
      return {
        status: 404,
        body: {
          message: `No common ancestor between ${match[1]} and ${match[2]}.`,
          documentation_url: "https://docs.github.com/rest/commits/commits#compare-two-commits",
          status: "404",
        },
      };
    }
    const ahead = headLine.slice(0, headLine.indexOf(mergeBase)).reverse();
    const behind = baseLine.slice(0, baseLine.indexOf(mergeBase));
    const status =
      base.sha === head.sha
        ? "identical"
        : behind.length === 0
          ? "ahead"
          : ahead.length === 0
            ? "behind"
            : "diverged";
    const perPage = Math.min(Number(call.query.get("per_page") ?? 250) || 250, 250);
    const page = Math.max(1, Number(call.query.get("page") ?? 1) || 1);
    const shown = ahead.slice((page - 1) * perPage, page * perPage);
    const web = `${urls.web}/${repo.fullName}`;
    const api = `${urls.api}/repos/${repo.fullName}`;
    return {
      status: 200,
      body: {
        url: `${api}/compare/${basehead}`,
        html_url: `${web}/compare/${basehead}`,
        permalink_url: `${web}/compare/${repo.owner}:${base.sha.slice(0, 7)}...${repo.owner}:${head.sha.slice(0, 7)}`,
        diff_url: `${web}/compare/${basehead}.diff`,
        patch_url: `${web}/compare/${basehead}.patch`,
        base_commit: objects.commit(urls, repo, base, parentOf(repo, base)),
        merge_base_commit: objects.commit(urls, repo, mergeBase, parentOf(repo, mergeBase)),
        status,
        ahead_by: ahead.length,
        behind_by: behind.length,
        total_commits: ahead.length,
        commits: shown.map((c) => objects.commit(urls, repo, c, parentOf(repo, c))),
        files: [],
      },
    };
  }

  /** Whether a record belongs to `repo` (GitHub ignores case in repository names). */
  const ofRepo = (record: { repository: string }, repo: RepositoryState) =>
    record.repository.toLowerCase() === repo.fullName.toLowerCase();

  const handlers: Record<string, Handler> = {
    "repos/list-deployments": {
      needs: "repository",
      handle(_ctx, call) {
        const repo = call.repo as RepositoryState;
        const environment = call.query.get("environment");
        const sha = call.query.get("sha");
        const perPage = Math.min(Number(call.query.get("per_page") ?? 30) || 30, 100);
        const list = deployments
          .filter((d) => ofRepo(d, repo))
          .filter((d) => environment === null || d.environment === environment)
          .filter((d) => sha === null || d.sha === sha)
          .reverse()
          .slice(0, perPage);
        return { status: 200, body: list.map((d) => deploymentObject(repo, d)) };
      },
    },
    "repos/list-deployment-statuses": {
      needs: "repository",
      handle(_ctx, call) {
        const repo = call.repo as RepositoryState;
        const d = deployments.find((x) => ofRepo(x, repo) && x.id === Number(call.params.deployment_id));
        if (!d) return objects404();
        const perPage = Math.min(Number(call.query.get("per_page") ?? 30) || 30, 100);
        const list = [...d.statuses].reverse().slice(0, perPage);
        return { status: 200, body: list.map((s) => statusObject(repo, d, s)) };
      },
    },
    "repos/compare-commits-with-basehead": { needs: "repository", handle: compare },
    "actions/list-jobs-for-workflow-run-attempt": {
      needs: "repository",
      handle(ctx, call) {
        const repo = call.repo as RepositoryState;
        const runId = Number(call.params.run_id);
        const attempt = Number(call.params.attempt_number);
        const run = ctx.state.run(repo.fullName, runId);
        if (!run || attempt > run.runAttempt) return objects404();
        const list = jobsOf(repo.fullName, runId).filter((j) => j.runAttempt === attempt);
        return {
          status: 200,
          body: { total_count: list.length, jobs: list.map((j) => jobObject(repo, run, j)) },
        };
      },
    },
    "actions/list-jobs-for-workflow-run": {
      needs: "repository",
      handle(ctx, call) {
        const repo = call.repo as RepositoryState;
        const runId = Number(call.params.run_id);
        const run = ctx.state.run(repo.fullName, runId);
        if (!run) return objects404();
        const list = jobsOf(repo.fullName, runId).filter((j) => j.runAttempt === run.runAttempt);
        return {
          status: 200,
          body: { total_count: list.length, jobs: list.map((j) => jobObject(repo, run, j)) },
        };
      },
    },
    "checks/list-annotations": {
      needs: "repository",
      handle(_ctx, call) {
        const repo = call.repo as RepositoryState;
        const job = jobs.find((j) => ofRepo(j, repo) && j.id === Number(call.params.check_run_id));
        if (!job) return objects404();
        return {
          status: 200,
          body: job.annotations.map((a) => ({
            path: ".github",
            blob_href: `${urls.web}/${repo.fullName}/blob/${"0".repeat(40)}/.github`,
            start_line: 1,
            end_line: 1,
            start_column: null,
            end_column: null,
            annotation_level: a.level,
            title: a.title,
            message: a.message,
            raw_details: null,
          })),
        };
      },
    },
  };

  function jobsOf(repository: string, runId: number): JobRecord[] {
    return jobs.filter((j) => j.repository.toLowerCase() === repository.toLowerCase() && j.runId === runId);
  }

  function installationLite(i: InstallationState | undefined) {
    return i ? { installation: { id: i.id, node_id: objects.nodeId("Installation", i.id) } } : {};
  }

  function webhookRun(repo: RepositoryState, run: RunState) {
    const head = state.findCommit(repo, run.headSha);
    const runObject = objects.workflowRun(urls, repo, run, head?.sha === run.headSha ? head : undefined);
    return {
      ...runObject,
      actor: objects.webhookUser(urls, run.actor),
      triggering_actor: objects.webhookUser(urls, run.triggeringActor),
      repository: { ...runObject.repository, owner: objects.webhookUser(urls, repo.owner, "Organization") },
      head_repository: {
        ...runObject.head_repository,
        owner: objects.webhookUser(urls, repo.owner, "Organization"),
      },
    };
  }

  const fake: FakeDeployments = {
    commit(repository, c) {
      const repo = mustRepository(repository);
      state.addCommit(repo.fullName, { sha: c.sha, message: c.message, author: c.author });
      if (c.parent !== undefined) parents.set(c.sha, c.parent);
    },
    deploy(repository, d) {
      const repo = mustRepository(repository);
      const at = now();
      const record: DeploymentRecord = {
        id: nextDeployment++,
        repository: repo.fullName,
        sha: d.sha,
        ref: d.ref ?? repo.defaultBranch,
        environment: d.environment,
        creator: d.creator ?? repo.owner,
        createdAt: at,
        statuses: d.states.map((s) => ({ id: nextStatus++, state: s, createdAt: at })),
      };
      deployments.push(record);
      return record.id;
    },
    addJob(repository, runId, j) {
      const repo = mustRepository(repository);
      const run = state.mustRun(repo.fullName, runId);
      const job: JobRecord = {
        id: nextJob++,
        repository: repo.fullName,
        runId,
        runAttempt: run.runAttempt,
        name: j.name,
        environment: j.environment ?? null,
        status: j.status ?? "queued",
        conclusion: j.conclusion ?? null,
        annotations: [],
        createdAt: now(),
      };
      jobs.push(job);
      return job;
    },
    annotate(job, a) {
      job.annotations.push({ level: a.level ?? "notice", title: a.title, message: a.message });
    },
    jobs: (repository, runId) => jobsOf(repository, runId),
    deploymentReviewPayload(repository, runId, r) {
      const repo = mustRepository(repository);
      const run = state.mustRun(repo.fullName, runId);
      const job =
        jobsOf(repo.fullName, runId).find(
          (j) => j.runAttempt === run.runAttempt && j.environment === r.environment,
        ) ??
        fake.addJob(repo.fullName, runId, { name: "deploy", environment: r.environment, status: "waiting" });
      const jobRun = {
        id: job.id,
        name: job.name,
        status: job.status,
        conclusion: job.conclusion,
        html_url: `${urls.web}/${repo.fullName}/actions/runs/${runId}/job/${job.id}`,
        created_at: job.createdAt,
        updated_at: now(),
        environment: r.environment,
      };
      return {
        action: r.state,
        since: run.updatedAt,
        workflow_run: webhookRun(repo, run),
        workflow_job_run: jobRun,
        workflow_job_runs: [jobRun],
        reviewers: [{ type: "User", reviewer: objects.webhookUser(urls, r.reviewer) }],
        approver: objects.webhookUser(urls, r.reviewer),
        ...(r.comment !== undefined ? { comment: r.comment } : {}),
        repository: objects.webhookRepository(urls, repo, input.pushedAt(repo.fullName)),
        organization: objects.organizationSimple(urls, repo.owner),
        sender: objects.webhookUser(urls, r.reviewer),
        ...installationLite(state.installationFor(repo.fullName)),
      };
    },
    workflowJobPayload(job, action, sender) {
      const repo = mustRepository(job.repository);
      const run = state.run(repo.fullName, job.runId);
      const status = action === "waiting" ? "waiting" : action === "completed" ? "completed" : action;
      const body = jobObject(repo, run, { ...job, status });
      const workflowJob = {
        ...body,
        run_id: job.runId,
        run_attempt: job.runAttempt,
        started_at: body.started_at,
        conclusion: action === "completed" ? (job.conclusion ?? "success") : null,
        completed_at: action === "completed" ? now() : null,
      };
      const deployment =
        job.environment === null
          ? {}
          : {
              deployment: (() => {
                const id = stableId(`${repo.fullName}:${job.runId}:${job.runAttempt}:${job.environment}`);
                const url = `${urls.api}/repos/${repo.fullName}/deployments/${id}`;
                return {
                  url,
                  id,
                  node_id: objects.nodeId("Deployment", id),
                  sha: run?.headSha ?? "0".repeat(40),
                  ref: run?.headBranch ?? repo.defaultBranch,
                  task: "deploy",
                  payload: {},
                  original_environment: job.environment,
                  environment: job.environment,
                  description: null,
                  creator: objects.webhookUser(urls, run?.triggeringActor ?? repo.owner),
                  created_at: job.createdAt,
                  updated_at: now(),
                  statuses_url: `${url}/statuses`,
                  repository_url: `${urls.api}/repos/${repo.fullName}`,
                  transient_environment: false,
                  production_environment: /prod/i.test(job.environment),
                };
              })(),
            };
      return {
        action,
        workflow_job: workflowJob,
        ...deployment,
        repository: objects.webhookRepository(urls, repo, input.pushedAt(repo.fullName)),
        organization: objects.organizationSimple(urls, repo.owner),
        sender: objects.webhookUser(urls, sender ?? run?.triggeringActor ?? repo.owner),
        ...installationLite(state.installationFor(repo.fullName)),
      };
    },
  };
  return { fake, handlers };
}

function objects404(): Reply {
  return {
    status: 404,
    body: { message: "Not Found", documentation_url: "https://docs.github.com/rest", status: "404" },
  };
}
