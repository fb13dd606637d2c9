// Does a posted message tell the truth about what its buttons approve? The buttons name a run (the
// reference); the words around them come from whoever posted the message, and anyone holding the bot
// token can post one. On first contact the App compares what the message states (header, repository,
// environment, run and attempt, commit) with the reference and with GitHub's run, and looks for
// content the shared builder never writes. Any disagreement: nobody can approve it.
import { environmentField, readStatedFacts, requestQuestion } from "../../common/message.js";
import type { RequestReference } from "../../common/reference.js";
import type { RunInfo } from "../github/runs.js";
import { mismatch } from "../sentences.js";

/**
 * What the message states that is not so, one clause each (empty when it tells the truth). `gateSha` is
 * the deployment's commit where GitHub reported the gate (a pull request's run is for its head, the
 * deployment may be for the merge commit): either counts as the run's commit.
 */
export function messageProblems(
  blocks: readonly unknown[],
  reference: RequestReference,
  run: RunInfo,
  gateSha?: string | null,
): string[] {
  const stated = readStatedFacts(blocks);
  const problems: string[] = [];
  const question = requestQuestion(reference);
  if (stated.header !== question) problems.push(mismatch.header(stated.header, question));
  if (stated.repository?.toLowerCase() !== reference.repository.toLowerCase()) {
    problems.push(mismatch.repository(stated.repository, reference.repository));
  }
  if (stated.environment !== environmentField(reference.environment)) {
    problems.push(mismatch.environment(reference.environment));
  }
  if (stated.runId === undefined) {
    problems.push(mismatch.noRun());
  } else if (stated.runId !== reference.runId || stated.runAttempt !== reference.runAttempt) {
    problems.push(
      mismatch.run(
        `${stated.runId} (attempt ${stated.runAttempt})`,
        `${reference.runId} (attempt ${reference.runAttempt})`,
      ),
    );
  }
  if (run.attempt !== reference.runAttempt)
    problems.push(mismatch.attempt(reference.runAttempt, run.attempt));
  if (stated.sha !== run.headSha && (!gateSha || stated.sha !== gateSha)) {
    problems.push(mismatch.commit(stated.sha, run.headSha));
  }
  if (stated.foreign.length > 0) problems.push(mismatch.foreign(stated.foreign));
  return problems;
}
