// What the fake GitHub knows: installations, repositories with files per branch, commits, workflow
// runs and the environments they wait on, check runs. Look-ups ignore case as GitHub does.
import { createHash } from "node:crypto";

export interface RepositoryState {
  id: number;
  owner: string;
  name: string;
  fullName: string;
  defaultBranch: string;
  private: boolean;
  /** branch → path → content */
  branches: Map<string, Map<string, string>>;
  /** Newest last; each belongs to a branch. */
  commits: CommitState[];
  createdAt: string;
}

export interface CommitState {
  sha: string;
  message: string;
  author: string;
  branch: string;
  date: string;
}

export interface InstallationState {
  id: number;
  account: string;
  /** Canonical `owner/name` as given. */
  repositories: string[];
  createdAt: string;
}

export type RunStatus = "queued" | "in_progress" | "waiting" | "completed";
export type RunConclusion = "success" | "failure" | "cancelled" | null;

export interface RunState {
  repository: string;
  runId: number;
  runAttempt: number;
  runNumber: number;
  workflowId: number;
  headSha: string;
  headBranch: string;
  actor: string;
  triggeringActor: string;
  workflowName: string;
  /** `.github/workflows/<file>`; derived from the workflow's name when not given. */
  workflowPath?: string;
  /** What GitHub shows as the run's title (the evaluated `run-name`); the commit title when not given. */
  displayTitle?: string;
  event: string;
  status: RunStatus;
  conclusion: RunConclusion;
  /** Environments waiting right now for this App's protection rule. */
  waitingEnvironments: string[];
  /** Environments gated by this App's rule in every attempt (re-armed on re-run). */
  gatedEnvironments: string[];
  createdAt: string;
  updatedAt: string;
  runStartedAt: string;
}

export interface CheckRunState {
  id: number;
  repository: string;
  headSha: string;
  name: string;
  status: "queued" | "in_progress" | "completed" | "waiting" | "requested" | "pending";
  conclusion: string | null;
  detailsUrl: string | null;
  externalId: string | null;
  startedAt: string | null;
  completedAt: string | null;
  output: { title: string | null; summary: string | null; text: string | null };
  /** The App that wrote it: ours (installation token) or GitHub Actions (a workflow's token). */
  appId: number;
}

export interface NewRun {
  repository: string;
  runId: number;
  runAttempt?: number;
  headSha: string;
  headBranch?: string;
  actor: string;
  triggeringActor?: string;
  workflowName?: string;
  workflowPath?: string;
  displayTitle?: string;
  event?: string;
  waitingEnvironments?: string[];
}

export type ReviewOutcome = { ok: true } | { ok: false; status: 404 | 422; message: string };

const key = (fullName: string) => fullName.toLowerCase();
const now = () => new Date().toISOString().replace(/\.\d{3}Z$/, "Z");

/** Stable positive ids from names, so the same login always has the same id. */
export function stableId(text: string): number {
  return (createHash("sha256").update(text.toLowerCase()).digest().readUInt32BE(0) % 90_000_000) + 10_000_000;
}

export function fakeSha(seed: string): string {
  return createHash("sha1").update(seed).digest("hex");
}

export class GitHubState {
  readonly installations = new Map<number, InstallationState>();
  private readonly repositories = new Map<string, RepositoryState>();
  private readonly runs = new Map<string, RunState>();
  readonly checkRuns: CheckRunState[] = [];
  private nextRepositoryId = 100_000;
  private nextCheckRunId = 5_000_000;

  addInstallation(i: { id: number; account: string; repositories: string[] }): void {
    if (!Number.isSafeInteger(i.id) || i.id <= 0) throw new Error(`invalid installation id ${i.id}`);
    this.installations.set(i.id, { ...i, repositories: [...i.repositories], createdAt: now() });
  }

  /** The installation whose account owns the repository and that includes it. */
  installationFor(fullName: string): InstallationState | undefined {
    for (const installation of this.installations.values()) {
      if (installation.repositories.some((r) => key(r) === key(fullName))) return installation;
    }
    return undefined;
  }

  addRepository(r: {
    fullName: string;
    defaultBranch?: string;
    private?: boolean;
    files?: Record<string, string>;
  }): void {
    const [owner, name, ...rest] = r.fullName.split("/");
    if (!owner || !name || rest.length)
      throw new Error(`repository must be "owner/name", got "${r.fullName}"`);
    const defaultBranch = r.defaultBranch ?? "main";
    const repo: RepositoryState = {
      id: this.nextRepositoryId++,
      owner,
      name,
      fullName: r.fullName,
      defaultBranch,
      private: r.private ?? false,
      branches: new Map([
        [defaultBranch, new Map(Object.entries(r.files ?? {}).map(([p, c]) => [normalizePath(p), c]))],
      ]),
      commits: [],
      createdAt: now(),
    };
    this.repositories.set(key(r.fullName), repo);
    this.addCommit(r.fullName, {
      sha: fakeSha(`${r.fullName}:initial`),
      message: "Initial commit",
      author: owner,
    });
  }

  repository(fullName: string): RepositoryState | undefined {
    return this.repositories.get(key(fullName));
  }

  private mustRepository(fullName: string): RepositoryState {
    const repo = this.repository(fullName);
    if (!repo) throw new Error(`unknown repository ${fullName}: addRepository first`);
    return repo;
  }

  setFile(fullName: string, path: string, content: string | null, branch?: string): void {
    const repo = this.mustRepository(fullName);
    const name = branch ?? repo.defaultBranch;
    let files = repo.branches.get(name);
    if (!files) {
      files = new Map(repo.branches.get(repo.defaultBranch));
      repo.branches.set(name, files);
    }
    if (content === null) files.delete(normalizePath(path));
    else files.set(normalizePath(path), content);
  }

  /** Files of a branch, or of the branch a known commit belongs to; `undefined` when the ref is unknown. */
  filesAt(repo: RepositoryState, ref: string | undefined): Map<string, string> | undefined {
    const wanted = ref?.replace(/^refs\//, "").replace(/^heads\//, "") ?? repo.defaultBranch;
    const branch = repo.branches.get(wanted);
    if (branch) return branch;
    const commit = this.findCommit(repo, wanted);
    return commit ? repo.branches.get(commit.branch) : undefined;
  }

  addCommit(fullName: string, c: { sha: string; message: string; author?: string; branch?: string }): void {
    const repo = this.mustRepository(fullName);
    if (!/^[0-9a-f]{40}$/.test(c.sha)) throw new Error(`commit sha must be 40 hex digits, got "${c.sha}"`);
    repo.commits.push({
      sha: c.sha,
      message: c.message,
      author: c.author ?? repo.owner,
      branch: c.branch ?? repo.defaultBranch,
      date: now(),
    });
  }

  /** By full or abbreviated (7+) SHA, or by branch name (its newest commit). */
  findCommit(repo: RepositoryState, ref: string): CommitState | undefined {
    const name = ref.replace(/^refs\//, "").replace(/^heads\//, "");
    const byBranch = repo.commits.filter((c) => c.branch === name).at(-1);
    if (byBranch) return byBranch;
    if (!/^[0-9a-f]{7,40}$/i.test(ref)) return undefined;
    return repo.commits.find((c) => c.sha.startsWith(ref.toLowerCase()));
  }

  addRun(r: NewRun): void {
    const repo = this.mustRepository(r.repository);
    const gated = [...(r.waitingEnvironments ?? [])];
    const at = now();
    this.runs.set(runKey(repo.fullName, r.runId), {
      repository: repo.fullName,
      runId: r.runId,
      runAttempt: r.runAttempt ?? 1,
      runNumber: (r.runId % 10_000) + 1,
      workflowId: stableId(`${repo.fullName}:${r.workflowName ?? "Deploy"}`),
      headSha: r.headSha,
      headBranch: r.headBranch ?? repo.defaultBranch,
      actor: r.actor,
      triggeringActor: r.triggeringActor ?? r.actor,
      workflowName: r.workflowName ?? "Deploy",
      ...(r.workflowPath ? { workflowPath: r.workflowPath } : {}),
      ...(r.displayTitle ? { displayTitle: r.displayTitle } : {}),
      event: r.event ?? "push",
      status: gated.length ? "waiting" : "in_progress",
      conclusion: null,
      waitingEnvironments: [...gated],
      gatedEnvironments: gated,
      createdAt: at,
      updatedAt: at,
      runStartedAt: at,
    });
  }

  run(fullName: string, runId: number): RunState | undefined {
    return this.runs.get(runKey(fullName, runId));
  }

  /** A repository's runs, oldest first. */
  listRuns(fullName: string): RunState[] {
    return [...this.runs.values()].filter((run) => key(run.repository) === key(fullName));
  }

  mustRun(fullName: string, runId: number): RunState {
    const run = this.run(fullName, runId);
    if (!run) throw new Error(`unknown run ${fullName}#${runId}: addRun first`);
    return run;
  }

  /** A new attempt: waiting again on every gated environment, conclusion cleared. */
  rerun(fullName: string, runId: number): void {
    const run = this.mustRun(fullName, runId);
    const at = now();
    Object.assign(run, {
      runAttempt: run.runAttempt + 1,
      status: run.gatedEnvironments.length ? "waiting" : "in_progress",
      conclusion: null,
      waitingEnvironments: [...run.gatedEnvironments],
      updatedAt: at,
      runStartedAt: at,
    });
  }

  /** An admin bypasses the protection rules: the job held at `environment` goes on, nobody reviewed it. */
  bypassGate(fullName: string, runId: number, environment: string): void {
    const run = this.mustRun(fullName, runId);
    run.waitingEnvironments = run.waitingEnvironments.filter(
      (e) => e.toLowerCase() !== environment.toLowerCase(),
    );
    if (!run.waitingEnvironments.length && run.status === "waiting") run.status = "in_progress";
    run.updatedAt = now();
  }

  /** The run ends (its deploy finished, or failed) with this conclusion. */
  finishRun(fullName: string, runId: number, conclusion: "success" | "failure"): void {
    const run = this.mustRun(fullName, runId);
    Object.assign(run, { status: "completed", conclusion, waitingEnvironments: [], updatedAt: now() });
  }

  cancelRun(fullName: string, runId: number): void {
    const run = this.mustRun(fullName, runId);
    Object.assign(run, {
      status: "completed",
      conclusion: "cancelled",
      waitingEnvironments: [],
      updatedAt: now(),
    });
  }

  /** The protection-rule review: only an environment that waits right now can be decided. */
  review(
    fullName: string,
    runId: number,
    environment: string,
    state: "approved" | "rejected" | undefined,
  ): ReviewOutcome {
    const run = this.run(fullName, runId);
    if (!run) return { ok: false, status: 404, message: "Not Found" };
    // Environment names ignore case on GitHub, as repository names do.
    const waiting = run.waitingEnvironments.find((e) => e.toLowerCase() === environment.toLowerCase());
    if (waiting === undefined) {
      return {
        ok: false,
        status: 422,
        message: `No pending deployment protection rule found for environment '${environment}' on this workflow run.`,
      };
    }
    // A comment without a state is recorded by GitHub but decides nothing.
    if (state === undefined) return { ok: true };
    run.updatedAt = now();
    if (state === "rejected") {
      Object.assign(run, { status: "completed", conclusion: "failure", waitingEnvironments: [] });
    } else {
      run.waitingEnvironments = run.waitingEnvironments.filter((e) => e !== waiting);
      if (!run.waitingEnvironments.length) run.status = "in_progress";
    }
    return { ok: true };
  }

  addCheckRun(c: Omit<CheckRunState, "id">): CheckRunState {
    const checkRun = { ...c, id: this.nextCheckRunId++ };
    this.checkRuns.push(checkRun);
    return checkRun;
  }
}

function runKey(fullName: string, runId: number): string {
  return `${key(fullName)}#${runId}`;
}

export function normalizePath(path: string): string {
  return path.replace(/^\/+|\/+$/g, "");
}
