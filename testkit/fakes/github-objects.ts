// REST response bodies shaped as GitHub documents them (the fake's own tests check each against
// @octokit/openapi). `web` is the fake's html host, `api` its REST base (`…/api/v3`).
import { createHash } from "node:crypto";
import type {
  CheckRunState,
  CommitState,
  InstallationState,
  RepositoryState,
  RunState,
} from "./github-state.js";
import { stableId } from "./github-state.js";

export interface Urls {
  web: string;
  api: string;
}

export interface AppIdentity {
  id: number;
  slug: string;
  name: string;
  owner: string;
  createdAt: string;
}

export const APP_PERMISSIONS = {
  actions: "write",
  checks: "write",
  contents: "read",
  deployments: "write",
  members: "read",
  metadata: "read",
};
export const APP_EVENTS = ["deployment_protection_rule", "deployment_review", "workflow_run", "workflow_job"];
/** GitHub Actions' own App, author of check runs made with a workflow's GITHUB_TOKEN. */
export const ACTIONS_APP: AppIdentity = {
  id: 15368,
  slug: "github-actions",
  name: "GitHub Actions",
  owner: "github",
  createdAt: "2018-07-30T09:30:17Z",
};

export function nodeId(kind: string, id: number | string): string {
  return Buffer.from(`${kind}:${id}`).toString("base64");
}

/** An account as GitHub nests it in other objects (simple-user); `id` when the state keeps its own. */
export function simpleUser(
  urls: Urls,
  login: string,
  type: "User" | "Organization" | "Bot" = "User",
  id = stableId(login),
) {
  // Bots' logins end in `[bot]`, which URLs carry percent-encoded.
  const path = encodeURIComponent(login);
  const url = `${urls.api}/users/${path}`;
  return {
    login,
    id,
    node_id: nodeId(type, id),
    avatar_url: `${urls.web}/avatars/${path}`,
    gravatar_id: "",
    url,
    html_url: `${urls.web}/${path}`,
    followers_url: `${url}/followers`,
    following_url: `${url}/following{/other_user}`,
    gists_url: `${url}/gists{/gist_id}`,
    starred_url: `${url}/starred{/owner}{/repo}`,
    subscriptions_url: `${url}/subscriptions`,
    organizations_url: `${url}/orgs`,
    repos_url: `${url}/repos`,
    events_url: `${url}/events{/privacy}`,
    received_events_url: `${url}/received_events`,
    type,
    user_view_type: "public",
    site_admin: false,
  };
}

/** An organization as GitHub nests it (organization-simple: a membership's, a webhook's). */
export function organizationSimple(urls: Urls, login: string) {
  const id = stableId(login);
  const url = `${urls.api}/orgs/${encodeURIComponent(login)}`;
  return {
    login,
    id,
    node_id: nodeId("Organization", id),
    url,
    repos_url: `${url}/repos`,
    events_url: `${url}/events`,
    hooks_url: `${url}/hooks`,
    issues_url: `${url}/issues`,
    members_url: `${url}/members{/member}`,
    public_members_url: `${url}/public_members{/member}`,
    avatar_url: `${urls.web}/avatars/${encodeURIComponent(login)}`,
    description: null,
  };
}

/** Webhook payloads' user objects have no `user_view_type`. */
export function webhookUser(urls: Urls, login: string, type: "User" | "Organization" | "Bot" = "User") {
  const { user_view_type: _omitted, ...user } = simpleUser(urls, login, type);
  return user;
}

export function clientId(appId: number): string {
  return `Iv1.${createHash("sha1").update(String(appId)).digest("hex").slice(0, 16)}`;
}

export function integration(urls: Urls, app: AppIdentity) {
  return {
    id: app.id,
    slug: app.slug,
    node_id: nodeId("Integration", app.id),
    client_id: clientId(app.id),
    owner: simpleUser(urls, app.owner, "Organization"),
    name: app.name,
    description: "Approve GitHub Actions deployments from Slack.",
    external_url: `${urls.web}/apps/${app.slug}`,
    html_url: `${urls.web}/apps/${app.slug}`,
    created_at: app.createdAt,
    updated_at: app.createdAt,
    permissions: APP_PERMISSIONS,
    events: APP_EVENTS,
  };
}

export function installation(urls: Urls, app: AppIdentity, i: InstallationState) {
  return {
    id: i.id,
    account: simpleUser(urls, i.account, "Organization"),
    repository_selection: "selected" as const,
    access_tokens_url: `${urls.api}/app/installations/${i.id}/access_tokens`,
    repositories_url: `${urls.api}/installation/repositories`,
    html_url: `${urls.web}/organizations/${i.account}/settings/installations/${i.id}`,
    app_id: app.id,
    app_slug: app.slug,
    target_id: stableId(i.account),
    target_type: "Organization",
    permissions: APP_PERMISSIONS,
    events: APP_EVENTS,
    created_at: i.createdAt,
    updated_at: i.createdAt,
    single_file_name: null,
    has_multiple_single_files: false,
    single_file_paths: [],
    suspended_by: null,
    suspended_at: null,
  };
}

/** The URL set shared by every repository shape (REST minimal/full, webhook). */
function repositoryUrls(urls: Urls, repo: RepositoryState) {
  const api = `${urls.api}/repos/${repo.fullName}`;
  return {
    html_url: `${urls.web}/${repo.fullName}`,
    url: api,
    forks_url: `${api}/forks`,
    keys_url: `${api}/keys{/key_id}`,
    collaborators_url: `${api}/collaborators{/collaborator}`,
    teams_url: `${api}/teams`,
    hooks_url: `${api}/hooks`,
    issue_events_url: `${api}/issues/events{/number}`,
    events_url: `${api}/events`,
    assignees_url: `${api}/assignees{/user}`,
    branches_url: `${api}/branches{/branch}`,
    tags_url: `${api}/tags`,
    blobs_url: `${api}/git/blobs{/sha}`,
    git_tags_url: `${api}/git/tags{/sha}`,
    git_refs_url: `${api}/git/refs{/sha}`,
    trees_url: `${api}/git/trees{/sha}`,
    statuses_url: `${api}/statuses/{sha}`,
    languages_url: `${api}/languages`,
    stargazers_url: `${api}/stargazers`,
    contributors_url: `${api}/contributors`,
    subscribers_url: `${api}/subscribers`,
    subscription_url: `${api}/subscription`,
    commits_url: `${api}/commits{/sha}`,
    git_commits_url: `${api}/git/commits{/sha}`,
    comments_url: `${api}/comments{/number}`,
    issue_comment_url: `${api}/issues/comments{/number}`,
    contents_url: `${api}/contents/{+path}`,
    compare_url: `${api}/compare/{base}...{head}`,
    merges_url: `${api}/merges`,
    archive_url: `${api}/{archive_format}{/ref}`,
    downloads_url: `${api}/downloads`,
    issues_url: `${api}/issues{/number}`,
    pulls_url: `${api}/pulls{/number}`,
    milestones_url: `${api}/milestones{/number}`,
    notifications_url: `${api}/notifications{?since,all,participating}`,
    labels_url: `${api}/labels{/name}`,
    releases_url: `${api}/releases{/id}`,
    deployments_url: `${api}/deployments`,
  };
}

export function minimalRepository(urls: Urls, repo: RepositoryState) {
  return {
    id: repo.id,
    node_id: nodeId("Repository", repo.id),
    name: repo.name,
    full_name: repo.fullName,
    private: repo.private,
    owner: simpleUser(urls, repo.owner, "Organization"),
    description: null,
    fork: false,
    ...repositoryUrls(urls, repo),
  };
}

/** Fields that the full REST repository and the webhook repository share. */
function repositoryDetails(urls: Urls, repo: RepositoryState) {
  const host = new URL(urls.web).host;
  return {
    homepage: null,
    size: 1,
    stargazers_count: 0,
    watchers_count: 0,
    language: "TypeScript",
    has_issues: true,
    has_projects: false,
    has_downloads: true,
    has_wiki: false,
    has_pages: false,
    has_discussions: false,
    forks_count: 0,
    mirror_url: null,
    archived: false,
    disabled: false,
    open_issues_count: 0,
    license: null,
    allow_forking: true,
    is_template: false,
    web_commit_signoff_required: false,
    topics: [],
    visibility: repo.private ? "private" : "public",
    forks: 0,
    open_issues: 0,
    watchers: 0,
    default_branch: repo.defaultBranch,
    git_url: `git://${host}/${repo.fullName}.git`,
    ssh_url: `git@${host}:${repo.fullName}.git`,
    clone_url: `${urls.web}/${repo.fullName}.git`,
    svn_url: `${urls.web}/${repo.fullName}`,
    created_at: repo.createdAt,
    updated_at: repo.createdAt,
  };
}

export function fullRepository(urls: Urls, repo: RepositoryState, pushedAt: string) {
  return {
    ...minimalRepository(urls, repo),
    ...repositoryDetails(urls, repo),
    pushed_at: pushedAt,
    permissions: { admin: false, maintain: false, push: false, triage: false, pull: true },
    network_count: 0,
    subscribers_count: 0,
    organization: simpleUser(urls, repo.owner, "Organization"),
  };
}

/** The `repository` object of webhook payloads (@octokit/webhooks-schemas `repository`). */
export function webhookRepository(urls: Urls, repo: RepositoryState, pushedAt: string) {
  return {
    ...minimalRepository(urls, repo),
    ...repositoryDetails(urls, repo),
    owner: webhookUser(urls, repo.owner, "Organization"),
    pushed_at: pushedAt,
    custom_properties: {},
  };
}

export function gitBlobSha(content: string): string {
  const bytes = Buffer.from(content, "utf8");
  return createHash("sha1")
    .update(Buffer.concat([Buffer.from(`blob ${bytes.length}\0`), bytes]))
    .digest("hex");
}

function contentLinks(
  urls: Urls,
  repo: RepositoryState,
  path: string,
  sha: string,
  ref: string,
  kind: "blob" | "tree",
) {
  const self = `${urls.api}/repos/${repo.fullName}/contents/${path}?ref=${encodeURIComponent(ref)}`;
  const git = `${urls.api}/repos/${repo.fullName}/git/${kind === "blob" ? "blobs" : "trees"}/${sha}`;
  const html = `${urls.web}/${repo.fullName}/${kind}/${ref}/${path}`;
  return { url: self, git_url: git, html_url: html, _links: { self, git, html } };
}

export function contentFile(urls: Urls, repo: RepositoryState, path: string, content: string, ref: string) {
  const sha = gitBlobSha(content);
  // GitHub wraps the base64 at 60 characters.
  const base64 = (
    Buffer.from(content, "utf8")
      .toString("base64")
      .match(/.{1,60}/g) ?? []
  ).join("\n");
  return {
    type: "file" as const,
    encoding: "base64",
    size: Buffer.byteLength(content),
    name: path.split("/").at(-1) ?? path,
    path,
    content: base64 ? `${base64}\n` : "",
    sha,
    download_url: `${urls.web}/${repo.fullName}/raw/${ref}/${path}`,
    ...contentLinks(urls, repo, path, sha, ref, "blob"),
  };
}

export function contentDirectory(
  urls: Urls,
  repo: RepositoryState,
  dir: string,
  files: Map<string, string>,
  ref: string,
) {
  const entries = new Map<string, { type: "file" | "dir"; content: string }>();
  const prefix = dir ? `${dir}/` : "";
  for (const [path, content] of files) {
    if (!path.startsWith(prefix)) continue;
    const [name, ...deeper] = path.slice(prefix.length).split("/");
    if (!name) continue;
    if (deeper.length) entries.set(name, { type: "dir", content: "" });
    else entries.set(name, { type: "file", content });
  }
  return [...entries.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, entry]) => {
      const path = `${prefix}${name}`;
      const sha = entry.type === "file" ? gitBlobSha(entry.content) : gitBlobSha(`tree:${path}`);
      const links = contentLinks(urls, repo, path, sha, ref, entry.type === "file" ? "blob" : "tree");
      return {
        type: entry.type,
        size: entry.type === "file" ? Buffer.byteLength(entry.content) : 0,
        name,
        path,
        sha,
        download_url: entry.type === "file" ? `${urls.web}/${repo.fullName}/raw/${ref}/${path}` : null,
        ...links,
      };
    });
}

function gitUser(login: string, date: string) {
  return { name: login, email: `${login}@users.noreply.github.invalid`, date };
}

export function commit(urls: Urls, repo: RepositoryState, c: CommitState, parent: CommitState | undefined) {
  const api = `${urls.api}/repos/${repo.fullName}`;
  return {
    url: `${api}/commits/${c.sha}`,
    sha: c.sha,
    node_id: nodeId("Commit", c.sha),
    html_url: `${urls.web}/${repo.fullName}/commit/${c.sha}`,
    comments_url: `${api}/commits/${c.sha}/comments`,
    commit: {
      url: `${api}/git/commits/${c.sha}`,
      author: gitUser(c.author, c.date),
      committer: gitUser(c.author, c.date),
      message: c.message,
      comment_count: 0,
      tree: { sha: gitBlobSha(`tree:${c.sha}`), url: `${api}/git/trees/${gitBlobSha(`tree:${c.sha}`)}` },
      verification: {
        verified: false,
        reason: "unsigned",
        payload: null,
        signature: null,
        verified_at: null,
      },
    },
    author: simpleUser(urls, c.author),
    committer: simpleUser(urls, c.author),
    parents: parent
      ? [
          {
            sha: parent.sha,
            url: `${api}/commits/${parent.sha}`,
            html_url: `${urls.web}/${repo.fullName}/commit/${parent.sha}`,
          },
        ]
      : [],
    stats: { additions: 1, deletions: 0, total: 1 },
    files: [],
  };
}

export function workflowRun(
  urls: Urls,
  repo: RepositoryState,
  run: RunState,
  headCommit: CommitState | undefined,
) {
  const api = `${urls.api}/repos/${repo.fullName}/actions/runs/${run.runId}`;
  const workflowFile =
    run.workflowPath ?? `.github/workflows/${run.workflowName.toLowerCase().replace(/[^a-z0-9]+/g, "-")}.yml`;
  return {
    id: run.runId,
    name: run.workflowName,
    node_id: nodeId("WorkflowRun", run.runId),
    check_suite_id: run.runId + 1,
    check_suite_node_id: nodeId("CheckSuite", run.runId + 1),
    head_branch: run.headBranch,
    head_sha: run.headSha,
    path: workflowFile,
    run_number: run.runNumber,
    run_attempt: run.runAttempt,
    referenced_workflows: [],
    event: run.event,
    status: run.status,
    conclusion: run.conclusion,
    workflow_id: run.workflowId,
    url: api,
    html_url: `${urls.web}/${repo.fullName}/actions/runs/${run.runId}`,
    pull_requests: [],
    created_at: run.createdAt,
    updated_at: run.updatedAt,
    actor: simpleUser(urls, run.actor),
    triggering_actor: simpleUser(urls, run.triggeringActor),
    run_started_at: run.runStartedAt,
    jobs_url: `${api}/jobs`,
    logs_url: `${api}/logs`,
    check_suite_url: `${urls.api}/repos/${repo.fullName}/check-suites/${run.runId + 1}`,
    artifacts_url: `${api}/artifacts`,
    cancel_url: `${api}/cancel`,
    rerun_url: `${api}/rerun`,
    previous_attempt_url: run.runAttempt > 1 ? `${api}/attempts/${run.runAttempt - 1}` : null,
    workflow_url: `${urls.api}/repos/${repo.fullName}/actions/workflows/${run.workflowId}`,
    head_commit: {
      id: run.headSha,
      tree_id: gitBlobSha(`tree:${run.headSha}`),
      message: headCommit?.message ?? "",
      timestamp: headCommit?.date ?? run.createdAt,
      author: {
        name: headCommit?.author ?? run.actor,
        email: `${headCommit?.author ?? run.actor}@users.noreply.github.invalid`,
      },
      committer: {
        name: headCommit?.author ?? run.actor,
        email: `${headCommit?.author ?? run.actor}@users.noreply.github.invalid`,
      },
    },
    repository: minimalRepository(urls, repo),
    head_repository: minimalRepository(urls, repo),
    display_title: run.displayTitle ?? headCommit?.message.split("\n")[0] ?? run.workflowName,
  };
}

export function pendingDeployment(urls: Urls, repo: RepositoryState, environment: string) {
  const id = stableId(`${repo.fullName}:env:${environment}`);
  return {
    environment: {
      id,
      node_id: nodeId("Environment", id),
      name: environment,
      url: `${urls.api}/repos/${repo.fullName}/environments/${encodeURIComponent(environment)}`,
      html_url: `${urls.web}/${repo.fullName}/deployments/activity_log?environments_filter=${encodeURIComponent(environment)}`,
    },
    wait_timer: 0,
    wait_timer_started_at: null,
    // Custom protection rules are reviewed by their App, never by the token's user.
    current_user_can_approve: false,
    reviewers: [],
  };
}

export function checkRun(urls: Urls, repo: RepositoryState, c: CheckRunState, app: AppIdentity) {
  const api = `${urls.api}/repos/${repo.fullName}/check-runs/${c.id}`;
  return {
    id: c.id,
    head_sha: c.headSha,
    node_id: nodeId("CheckRun", c.id),
    external_id: c.externalId,
    url: api,
    html_url: `${urls.web}/${repo.fullName}/runs/${c.id}`,
    details_url: c.detailsUrl,
    status: c.status,
    conclusion: c.conclusion,
    started_at: c.startedAt,
    completed_at: c.completedAt,
    output: { ...c.output, annotations_count: 0, annotations_url: `${api}/annotations` },
    name: c.name,
    check_suite: { id: stableId(`${repo.fullName}:suite:${c.headSha}`) },
    app: integration(urls, app),
    pull_requests: [],
  };
}
