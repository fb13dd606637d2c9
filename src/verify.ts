// verify mode, the first step of the workflow that dispatch mode starts: passes only when the App's
// check run for `request-id` says approved, on this very commit (GITHUB_SHA), written by the App whose
// ID is `app-id`. Without it, anyone who can start the workflow by hand would skip the approval.
import { checkRunName } from "../common/check-run.js";
import { CheckRunReader, type CheckRunView } from "./check-runs.js";
import { type Decision, describeCheckRun, readDecision } from "./decision.js";
import type { GitHubClient } from "./github.js";
import { classifyPollError } from "./rate-limit.js";
import { sleep as realSleep, type Sleep } from "./sleep.js";

export interface VerifyRequest {
  owner: string;
  repo: string;
  sha: string;
  environment: string;
  requestId: string;
  appId: number;
}

export class VerifyFailure extends Error {
  override name = "VerifyFailure";
}

const ATTEMPTS = 4;

/** The approving decision, or throws VerifyFailure saying exactly what is missing. */
export async function verifyApproval(
  client: GitHubClient,
  request: VerifyRequest,
  log: { warning(message: string): void },
  sleep: Sleep = realSleep,
): Promise<Decision> {
  const name = checkRunName(request.environment);
  const reader = new CheckRunReader(client, {
    owner: request.owner,
    repo: request.repo,
    sha: request.sha,
    name,
  });
  const runs = await readWithRetries(reader, sleep);

  const forged = runs.filter((run) => run.appId !== request.appId && run.externalId === request.requestId);
  for (const run of forged) {
    log.warning(
      `Ignoring ${describeCheckRun(run)}: it names request ${request.requestId}, but only a check run written by the App with app-id ${request.appId} counts.`,
    );
  }

  const reading = readDecision(runs, { requestId: request.requestId, appId: request.appId });
  const where = `on commit ${request.sha} (this run's GITHUB_SHA)`;
  if (reading.kind === "decided") {
    const { decision } = reading;
    if (decision.decision === "approved") return decision;
    const who = decision.record?.decidedBy.length ? ` by ${decision.record.decidedBy.join(", ")}` : "";
    const why = decision.record?.reason ? `: ${decision.record.reason}` : "";
    throw new VerifyFailure(
      `Request ${request.requestId} was ${decision.decision}${who}${why} (${describeCheckRun(decision.checkRun)}). Not approved: stopping here.`,
    );
  }
  if (reading.kind === "unexpected") {
    throw new VerifyFailure(
      `The App's ${describeCheckRun(reading.checkRun)} concluded "${reading.checkRun.conclusion}", which is not an approval.`,
    );
  }
  const mine = runs.filter((run) => run.appId === request.appId && run.externalId === request.requestId);
  if (mine.length > 0) {
    throw new VerifyFailure(
      `Request ${request.requestId} has not been decided yet ${where}; nothing to deploy.`,
    );
  }
  throw new VerifyFailure(explainMissing(runs, request, name, where));
}

function explainMissing(runs: CheckRunView[], request: VerifyRequest, name: string, where: string): string {
  const others = runs.filter((run) => run.appId === request.appId).map((run) => run.externalId ?? "?");
  const base = `No approval for request ${request.requestId} ${where}: the App with app-id ${request.appId} wrote no "${name}" check run for it here.`;
  if (others.length > 0) {
    return `${base} Its check runs on this commit are for other requests (${[...new Set(others)].slice(0, 5).join(", ")}): check the \`request-id\` input.`;
  }
  return (
    `${base} Either the approval was for another commit (the branch moved on after it: ask again), ` +
    "or this workflow was started by hand rather than by the App."
  );
}

async function readWithRetries(reader: CheckRunReader, sleep: Sleep): Promise<CheckRunView[]> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await reader.listAll();
    } catch (error) {
      const failure = classifyPollError(error, attempt, 2000);
      if (failure.kind === "fatal") throw new VerifyFailure(failure.message);
      if (attempt + 1 >= ATTEMPTS || failure.ms > 5 * 60_000) {
        throw new VerifyFailure(`Could not read the approval from GitHub: ${failure.why}. Re-run the job.`);
      }
      await sleep(Math.min(failure.ms, 60_000));
    }
  }
}
