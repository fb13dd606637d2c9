// What each mode does once the inputs are read: the one place the Action branches on `mode`.
//   gate      post the request; the App reviews the environment's protection rule
//   dispatch  post the request (showing what an approval starts); the App starts that workflow
//   wait      post the request, then hold the step until the App's check run says what was decided
//   verify    post nothing: pass only if the App's check run approved this request on this commit
import * as core from "@actions/core";
import { checkRunName } from "../common/check-run.js";
import { findAppRequest, withdraw } from "./app-request.js";
import { CheckRunReader } from "./check-runs.js";
import type { Decision } from "./decision.js";
import { checkDispatchTarget, defaultDispatchRef } from "./dispatch-target.js";
import { formatDuration } from "./duration.js";
import { createGitHubClient, type GitHubClient } from "./github.js";
import type { ActionInputs, ActionMode } from "./inputs.js";
import { classifyPollError } from "./rate-limit.js";
import { describe, type PostedRequest, postRequest } from "./request.js";
import type { RunContext } from "./run-context.js";
import { closeRequestMessage } from "./slack-status.js";
import { saveClosed, saveWaiting } from "./state.js";
import { appendSummary } from "./summary.js";
import { verifyApproval } from "./verify.js";
import { waitForDecision } from "./wait.js";

export type ModeRunner = (inputs: ActionInputs, run: RunContext) => Promise<void>;

export const MODES: Record<ActionMode, ModeRunner> = {
  async gate(inputs, run) {
    const github = githubFor(inputs, run);
    // The App may have asked already (the environment's policy names a channel): one request per gate.
    const asked = await findAppRequest(github, run, inputs.environment);
    if (asked) {
      core.info(
        `slack-deploy-gate already asked for this deployment in Slack (${asked.url}); not asking a second time.`,
      );
      core.setOutput("request-id", asked.requestId);
      core.setOutput("channel-id", asked.channel);
      core.setOutput("message-ts", asked.ts);
      core.setOutput("message-url", asked.url);
      return;
    }
    const posted = await postRequest(
      {
        mode: "gate",
        environment: inputs.environment,
        post: must(inputs.post),
        github,
        next: `Approve or reject it in Slack; the deploy job of ${run.repository} waits at the ${inputs.environment} environment for the decision.`,
      },
      run,
    );
    // Both asked at once: the App's request holds the gate, this one gives way.
    const late = await findAppRequest(github, run, inputs.environment);
    if (late) {
      await withdraw(posted.slack, posted, late).catch((error: unknown) => {
        core.warning(
          `The App asked at the same moment (${late.url}); could not withdraw this request: ${describe(error)}`,
        );
      });
      core.info(`slack-deploy-gate asked at the same moment (${late.url}); this request gave way to it.`);
    }
  },

  async dispatch(inputs, run) {
    const options = must(inputs.dispatch);
    const target = { workflow: options.workflow, ref: options.ref ?? defaultDispatchRef(run.ref) };
    const github = githubFor(inputs, run);
    const checked = await checkDispatchTarget(github, run, target);
    if (!checked.ok) {
      core.warning(
        `Could not check the workflow to dispatch (${checked.warning}); the App checks it on approval.`,
      );
    }
    await postRequest(
      {
        mode: "dispatch",
        environment: inputs.environment,
        post: must(inputs.post),
        github,
        dispatch: target,
        next: `On approval in Slack, the App starts ${target.workflow} on ${target.ref}; this job is done.`,
      },
      run,
    );
  },

  async wait(inputs, run) {
    const wait = must(inputs.wait);
    const github = must(githubFor(inputs, run));
    const name = checkRunName(inputs.environment);
    const reader = new CheckRunReader(github, { owner: run.owner, repo: run.repo, sha: run.headSha, name });
    // Before anyone is asked: can this token read the decision at all? (It also primes the ETag.)
    try {
      await reader.list();
    } catch (error) {
      const failure = classifyPollError(error, 0, wait.pollIntervalMs);
      if (failure.kind === "fatal") throw new Error(`${failure.message} Nothing was posted.`);
      core.warning(
        `Could not read check runs yet (${failure.why}); posting, and trying again while waiting.`,
      );
    }

    const posted = await postRequest(
      {
        mode: "wait",
        environment: inputs.environment,
        post: must(inputs.post),
        github,
        next: `This step waits up to ${formatDuration(wait.timeoutMs)} for the decision; the job continues on approval.`,
        // From here a cancelled run must close the message: the post step needs to know which.
        onPosted: saveWaiting,
      },
      run,
    );
    const stopOnSignal = closeOnCancel(posted);
    core.info(
      `Waiting up to ${formatDuration(wait.timeoutMs)} for the check run "${name}" on ${run.headSha} written by the App with app-id ${wait.appId} (polling every ${formatDuration(wait.pollIntervalMs)}).`,
    );
    const expected = { requestId: posted.reference.requestId, appId: wait.appId };
    try {
      const result = await waitForDecision({
        reader,
        expected,
        timeoutMs: wait.timeoutMs,
        pollIntervalMs: wait.pollIntervalMs,
        log: core,
      });
      stopOnSignal();
      if (result.kind === "decided") {
        await report(result.decision);
      } else {
        await expire(posted, reader, expected, wait.timeoutMs);
      }
      core.info(
        `Decision read in ${reader.stats.requests} requests to GitHub, ${reader.stats.notModified} of them answered 304 Not Modified (free against the rate limit).`,
      );
    } finally {
      stopOnSignal();
      saveClosed();
    }
  },

  async verify(inputs, run) {
    const verify = must(inputs.verify);
    const decision = await verifyApproval(
      must(githubFor(inputs, run)),
      {
        owner: run.owner,
        repo: run.repo,
        sha: run.sha,
        environment: inputs.environment,
        requestId: verify.requestId,
        appId: verify.appId,
      },
      core,
    );
    setDecisionOutputs(decision);
    core.info(
      `Verified: request ${verify.requestId} was approved${by(decision)} for ${inputs.environment} on ${run.sha} (${decision.checkRun.htmlUrl ?? `check run ${decision.checkRun.id}`}).`,
    );
  },
};

function githubFor(inputs: ActionInputs, run: RunContext): GitHubClient | undefined {
  return inputs.githubToken ? createGitHubClient(inputs.githubToken, run.apiUrl) : undefined;
}

function must<T>(value: T | undefined): T {
  if (value === undefined) throw new Error("slack-deploy-gate bug: inputs for this mode were not read");
  return value;
}

function by(decision: Decision): string {
  const ids = decision.record?.decidedBy ?? [];
  return ids.length ? ` by ${ids.join(", ")}` : "";
}

function setDecisionOutputs(decision: Decision): void {
  core.setOutput("decision", decision.decision);
  core.setOutput("decided-by", JSON.stringify(decision.record?.decidedBy ?? []));
  core.setOutput("reason", decision.record?.reason ?? "");
}

/** The step's outcome for the App's decision: success on approval, failure otherwise, saying who and why. */
async function report(decision: Decision): Promise<void> {
  setDecisionOutputs(decision);
  const link = decision.checkRun.htmlUrl;
  // The App's summary is Markdown for GitHub; the log shows it as text.
  const summary =
    plain(firstLine(decision.checkRun.summary)) || `${capitalize(decision.decision)}${by(decision)}.`;
  await appendSummary(summary, link ? { href: link, label: "Check run" } : undefined).catch(() => undefined);
  if (decision.decision === "approved") {
    core.info(`Approved${by(decision)}: ${summary}${link ? ` (${link})` : ""}`);
    return;
  }
  const reason = decision.record?.reason ? `: ${decision.record.reason}` : "";
  core.setFailed(
    decision.decision === "rejected"
      ? `Rejected${by(decision)}${reason}. The deployment does not go ahead.${link ? ` ${link}` : ""}`
      : `The request expired in the App before anyone decided${reason}. Re-run the workflow to ask again.`,
  );
}

/** The Action's own timeout: the message says so, its buttons go; a decision that raced it still wins. */
async function expire(
  posted: PostedRequest,
  reader: CheckRunReader,
  expected: { requestId: string; appId: number },
  timeoutMs: number,
): Promise<void> {
  try {
    await closeRequestMessage(posted.slack, posted, { kind: "expired", timeoutMs });
  } catch (error) {
    core.warning(`Could not mark the Slack request as expired (${describe(error)}).`);
  }
  // Between the last poll and the buttons going, a click may have been decided: read once more.
  const late = await waitForDecision({
    reader,
    expected,
    timeoutMs: 0,
    pollIntervalMs: 1000,
    log: core,
  }).catch(() => undefined);
  if (late?.kind === "decided") {
    core.warning("A decision arrived as the request expired; it is the one that counts.");
    await posted.slack.chat
      .postMessage({
        channel: posted.channelId,
        thread_ts: posted.ts,
        text: `:information_source: A decision (${late.decision.decision}) arrived as the request expired; the workflow step followed it.`,
      })
      .catch(() => undefined);
    await report(late.decision);
    return;
  }
  core.setOutput("decision", "expired");
  core.setOutput("decided-by", "[]");
  core.setOutput("reason", `no decision within ${formatDuration(timeoutMs)}`);
  await appendSummary(`Expired: nobody decided within ${formatDuration(timeoutMs)}.`).catch(() => undefined);
  core.setFailed(
    `Nobody decided within ${formatDuration(timeoutMs)} (the \`timeout\` input), so the request expired and the deployment does not go ahead. Re-run the workflow to ask again.`,
  );
}

/**
 * While waiting, a cancelled run (the runner sends SIGINT, then SIGTERM) closes the message at once;
 * the post step is the fallback when the process is killed outright. Returns the uninstaller.
 */
function closeOnCancel(posted: PostedRequest): () => void {
  let closing = false;
  const handler = (signal: NodeJS.Signals) => {
    if (closing) return;
    closing = true;
    core.info(`Received ${signal}: the run is being cancelled; closing the Slack request.`);
    const deadline = new Promise((resolve) => setTimeout(resolve, 5000).unref());
    Promise.race([
      closeRequestMessage(posted.slack, posted, { kind: "cancelled" }).then(saveClosed),
      deadline,
    ])
      .catch((error: unknown) =>
        core.warning(`Could not mark the Slack request as cancelled (${describe(error)}).`),
      )
      .finally(() => process.exit(1));
  };
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
  return () => {
    process.off("SIGINT", handler);
    process.off("SIGTERM", handler);
  };
}

function firstLine(text: string | null): string {
  return (text ?? "").split("\n", 1)[0]?.trim() ?? "";
}

function plain(markdown: string): string {
  return markdown.replace(/\*\*|`/g, "").replace(/\\(.)/g, "$1");
}

function capitalize(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}
