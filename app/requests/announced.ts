// Where did the workflow post its request for this gate? The Action says so in a notice annotation on
// its job (common/announce.ts); the App reads the attempt's jobs and their annotations when the gate
// arrives. A few calls per gate; a pointer only (app/requests/adopt.ts checks what it points at).
import { type Announcement, readAnnouncement } from "../../common/announce.js";
import { splitRepository } from "../github/errors.js";
import type { Octokit } from "../github/installations.js";

/** Jobs whose annotations are read (the ones that ran; the job held at the gate has none). */
const JOBS_READ = 10;
const TIMEOUT_MS = 5_000;

export async function findAnnouncements(
  octokit: Octokit,
  gate: { repository: string; runId: number; runAttempt: number; environment: string },
): Promise<Announcement[]> {
  const [owner, repo] = splitRepository(gate.repository);
  const request = () => ({ retries: 0, signal: AbortSignal.timeout(TIMEOUT_MS) });
  const { data } = await octokit.rest.actions.listJobsForWorkflowRunAttempt({
    owner,
    repo,
    run_id: gate.runId,
    attempt_number: gate.runAttempt,
    per_page: 100,
    request: request(),
  });
  const ran = data.jobs
    .filter((job) => job.status === "completed" || job.status === "in_progress")
    .slice(0, JOBS_READ);
  const found: Announcement[] = [];
  for (const job of ran) {
    const { data: annotations } = await octokit.rest.checks.listAnnotations({
      owner,
      repo,
      check_run_id: job.id,
      per_page: 50,
      request: request(),
    });
    for (const annotation of annotations) {
      const announced = readAnnouncement(annotation.title, annotation.message ?? "");
      const ref = announced?.reference;
      if (
        announced &&
        ref &&
        ref.repository.toLowerCase() === gate.repository.toLowerCase() &&
        ref.runId === gate.runId &&
        ref.runAttempt === gate.runAttempt &&
        ref.environment.toLowerCase() === gate.environment.toLowerCase()
      ) {
        found.push(announced);
      }
    }
  }
  return found;
}
