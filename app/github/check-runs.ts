// Check runs as data: find the App's check run for a request (by `external_id`), create one, update
// one. Nothing here decides or words anything; app/effects/check-run.ts does.
import { splitRepository } from "./errors.js";
import type { Octokit } from "./installations.js";

export interface CheckRunOutput {
  title: string;
  summary: string;
  text: string;
}

export interface CheckRunWrite {
  repository: string;
  headSha: string;
  name: string;
  externalId: string;
  conclusion: "success" | "failure" | "timed_out" | "action_required";
  completedAt: Date;
  detailsUrl: string | undefined;
  output: CheckRunOutput;
}

export interface CheckRunRecord {
  id: number;
  htmlUrl: string | null;
  conclusion: string | null;
  title: string | null;
  summary: string | null;
}

/** GitHub's limits on a check run's output fields. */
export const OUTPUT_LIMITS = { title: 255, summary: 65_535, text: 65_535 } as const;

/**
 * The App's own check run of that name for `externalId` on the commit, if there is one (the newest).
 * `appId` narrows the listing to check runs this App wrote: another App's cannot be updated anyway.
 */
export async function findCheckRun(
  octokit: Octokit,
  query: { repository: string; headSha: string; name: string; externalId: string; appId: number },
): Promise<CheckRunRecord | undefined> {
  const [owner, repo] = splitRepository(query.repository);
  for (let page = 1; page <= 10; page += 1) {
    const { data } = await octokit.rest.checks.listForRef({
      owner,
      repo,
      ref: query.headSha,
      check_name: query.name,
      app_id: query.appId,
      filter: "all",
      per_page: 100,
      page,
    });
    const found = data.check_runs.find(
      (run) => run.external_id === query.externalId && Number(run.app?.id) === query.appId,
    );
    if (found) return record(found);
    if (data.check_runs.length < 100) return undefined;
  }
  return undefined;
}

export async function createCheckRun(octokit: Octokit, write: CheckRunWrite): Promise<CheckRunRecord> {
  const [owner, repo] = splitRepository(write.repository);
  const { data } = await octokit.rest.checks.create({ owner, repo, ...newRun(write), ...completed(write) });
  return record(data);
}

/** An in-progress check run (a request asked for and not yet decided); `updateCheckRun` completes it. */
export async function startCheckRun(
  octokit: Octokit,
  write: Pick<CheckRunWrite, "repository" | "headSha" | "name" | "externalId" | "detailsUrl" | "output">,
): Promise<CheckRunRecord> {
  const [owner, repo] = splitRepository(write.repository);
  const { data } = await octokit.rest.checks.create({
    owner,
    repo,
    ...newRun(write),
    status: "in_progress",
    started_at: new Date().toISOString(),
    ...shown(write),
  });
  return record(data);
}

export async function updateCheckRun(
  octokit: Octokit,
  repository: string,
  id: number,
  write: Pick<CheckRunWrite, "conclusion" | "completedAt" | "detailsUrl" | "output">,
): Promise<CheckRunRecord> {
  const [owner, repo] = splitRepository(repository);
  const { data } = await octokit.rest.checks.update({ owner, repo, check_run_id: id, ...completed(write) });
  return record(data);
}

/** What a new check run is: on which commit, under which name, for which request. */
function newRun(write: Pick<CheckRunWrite, "headSha" | "name" | "externalId">) {
  return { head_sha: write.headSha, name: write.name, external_id: write.externalId };
}

/** A finished check run: its conclusion, when, and what it shows. */
function completed(write: Pick<CheckRunWrite, "conclusion" | "completedAt" | "detailsUrl" | "output">) {
  return {
    status: "completed" as const,
    conclusion: write.conclusion,
    completed_at: write.completedAt.toISOString(),
    ...shown(write),
  };
}

/** What a check run shows: its output (within GitHub's limits) and, when there is one, its link. */
function shown(write: Pick<CheckRunWrite, "detailsUrl" | "output">) {
  return {
    ...(write.detailsUrl ? { details_url: write.detailsUrl } : {}),
    output: bounded(write.output),
  };
}

function bounded(output: CheckRunOutput): CheckRunOutput {
  const cut = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);
  return {
    title: cut(output.title, OUTPUT_LIMITS.title),
    summary: cut(output.summary, OUTPUT_LIMITS.summary),
    text: cut(output.text, OUTPUT_LIMITS.text),
  };
}

function record(data: {
  id: number | bigint;
  html_url: string | null;
  conclusion: string | null;
  output: { title: string | null; summary: string | null };
}): CheckRunRecord {
  return {
    id: Number(data.id),
    htmlUrl: data.html_url,
    conclusion: data.conclusion,
    title: data.output.title,
    summary: data.output.summary,
  };
}
