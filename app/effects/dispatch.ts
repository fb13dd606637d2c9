// `github.dispatch` (dispatch mode, approvals only): starts the workflow the request names (shown in
// its message, common/dispatch.ts) on its ref, by workflow_dispatch, passing only the inputs that
// workflow declares among request-id, environment, sha and approved-by. The approval's check run is
// written first, so the dispatched workflow's `mode: verify` step finds it. The run the dispatch
// created is found without guessing (GitHub returns it, or its run-name carries the request id) and
// linked in the thread. Something that cannot start (no such workflow, no workflow_dispatch trigger,
// an input GitHub would refuse) is said in the check run, in the thread and to the first approver.
import { dispatchTargetFromBlocks } from "../../common/dispatch.js";
import { escapeMrkdwn } from "../../common/mrkdwn.js";
import {
  type DispatchedRun,
  dispatchWorkflow,
  findDispatchedRun,
  OFFERED_INPUTS,
  readWorkflow,
  type WorkflowDefinition,
} from "../github/dispatch.js";
import { classifyGitHubError, githubMessage } from "../github/errors.js";
import { notes } from "../sentences.js";
import type { EffectOutcome, NewEffect, RequestRow } from "../store/types.js";
import {
  type CheckRunPayload,
  type CheckRunTarget,
  type DecisionCheckRuns,
  deciderName,
} from "./check-run.js";
import { effectId } from "./modes.js";
import { githubFailure, retryLater } from "./retry.js";
import type { EffectContext, EffectHandler } from "./types.js";

/** `result` of a done dispatch. */
export interface DispatchResult {
  workflow: string;
  ref: string;
  run: DispatchedRun | null;
}

/** How long to look for the run a dispatch created when GitHub did not say which it is. */
const FIND_ATTEMPTS = 5;
const FIND_DELAY_MS = 1000;

export function dispatchHandler(deps: {
  checkRuns: DecisionCheckRuns;
  sleep?: (ms: number) => Promise<void>;
}): EffectHandler {
  const { checkRuns } = deps;
  const sleep = deps.sleep ?? ((ms: number) => new Promise((resolve) => setTimeout(resolve, ms)));

  return {
    kind: "github.dispatch",
    async run(effect, request, context) {
      const now = context.now();
      if (request.decision !== "approved")
        return { state: "obsolete", note: "only an approval starts a workflow" };

      let found: Awaited<ReturnType<DecisionCheckRuns["target"]>>;
      try {
        found = await checkRuns.target(request, effect.payload as CheckRunPayload | null);
      } catch (error) {
        return githubFailure(effect, now, error);
      }
      if (!found.ok) return { state: "obsolete", note: found.note };
      const { target } = found;

      const shown = dispatchTargetFromBlocks(request.messageBlocks);
      if (!shown) {
        return shortfall(
          request,
          target,
          context,
          "the request names no workflow to start (its message has no dispatch line)",
        );
      }
      const where = `${shown.workflow} on ${shown.ref}`;

      let definition: WorkflowDefinition;
      try {
        // The approval is on record before anything starts: the workflow's verify step looks for it.
        await checkRuns.write(request, target);
        definition = await readWorkflow(target.octokit, {
          repository: request.repository,
          workflow: shown.workflow,
          ref: shown.ref,
        });
      } catch (error) {
        return githubFailure(effect, now, error);
      }
      if (definition.kind === "missing") {
        return shortfall(
          request,
          target,
          context,
          `.github/workflows/${shown.workflow} does not exist on ${shown.ref}`,
        );
      }
      if (definition.kind === "not_dispatchable") {
        return shortfall(request, target, context, `${where} has no workflow_dispatch trigger`);
      }
      if (definition.kind === "unreadable") {
        return shortfall(request, target, context, `${where} could not be read: ${definition.message}`);
      }

      const offered: Record<(typeof OFFERED_INPUTS)[number], string> = {
        "request-id": request.requestId,
        environment: request.environment,
        sha: target.headSha,
        "approved-by": request.decidedBy.map(deciderName).join(", "),
      };
      const inputs = Object.fromEntries(
        OFFERED_INPUTS.filter((name) => definition.inputs.has(name)).map((name) => [name, offered[name]]),
      );
      const unmet = [...definition.inputs]
        .filter(([name, spec]) => spec.required && !spec.hasDefault && !(name in inputs))
        .map(([name]) => name);
      if (unmet.length > 0) {
        return shortfall(
          request,
          target,
          context,
          `${where} requires input${unmet.length > 1 ? "s" : ""} ${unmet.join(", ")}, which slack-deploy-gate cannot give (it passes ${OFFERED_INPUTS.join(", ")})`,
        );
      }

      const findable = definition.runNameCarriesRequestId;
      const since = request.decidedAt ?? request.createdAt;
      try {
        // A dispatch whose answer was lost (or a crash after it) must not start a second deploy.
        if (findable) {
          const earlier = await findDispatchedRun(target.octokit, {
            repository: request.repository,
            workflow: shown.workflow,
            requestId: request.requestId,
            since,
          });
          if (earlier)
            return started(request, context, { workflow: shown.workflow, ref: shown.ref, run: earlier });
        } else if (effect.attempts > 0 && effect.lastError !== notes.rateLimited()) {
          return {
            state: "failed",
            note: `GitHub's answer to starting ${where} was lost, and its runs cannot be told apart (add the request id to its run-name): check its runs before starting it by hand`,
          };
        }
      } catch (error) {
        return githubFailure(effect, now, error);
      }

      let run: DispatchedRun | undefined;
      try {
        run = await dispatchWorkflow(target.octokit, {
          repository: request.repository,
          workflow: shown.workflow,
          ref: shown.ref,
          inputs,
        });
      } catch (error) {
        const failure = classifyGitHubError(error, now);
        if (failure.kind === "refused") {
          return shortfall(
            request,
            target,
            context,
            `GitHub refused to start ${where} (${failure.status}: ${githubMessage(error)})${failure.status === 403 ? "; the App needs the Actions: write permission for dispatch mode" : ""}`,
          );
        }
        if (failure.kind === "rate_limited")
          return retryLater(effect, now, notes.rateLimited(), failure.retryAt);
        return retryLater(
          effect,
          now,
          failure.status ? notes.githubAnswered(failure.status) : notes.githubUnreachable(failure.message),
        );
      }
      if (!run && findable) {
        for (let attempt = 0; attempt < FIND_ATTEMPTS && !run; attempt += 1) {
          await sleep(FIND_DELAY_MS * (attempt + 1));
          run = await findDispatchedRun(target.octokit, {
            repository: request.repository,
            workflow: shown.workflow,
            requestId: request.requestId,
            since,
          }).catch(() => undefined);
        }
      }
      return started(request, context, { workflow: shown.workflow, ref: shown.ref, run: run ?? null });
    },
  };

  /** The approval stands but nothing starts: the check run says so (action_required), then Slack. */
  async function shortfall(
    request: RequestRow,
    target: CheckRunTarget,
    context: EffectContext,
    note: string,
  ): Promise<EffectOutcome> {
    try {
      await checkRuns.write(request, target, {
        title: "Approved, but nothing was started",
        note: `${note}.`,
      });
    } catch {
      // The note still reaches Slack; the check run keeps the approval and GitHub's next answer decides.
    }
    const first = request.decidedBy[0];
    if (first) {
      await context.record([
        effect(request, "slack.ephemeral", "dispatch", {
          channel: request.channelId,
          user: first.slackUserId,
          text: `Your approval was recorded, but nothing was started: ${escapeMrkdwn(note)}. Fix the workflow, then re-run the requesting workflow to ask again.`,
        }),
      ]);
    }
    return { state: "obsolete", note };
  }
}

async function started(
  request: RequestRow,
  context: EffectContext,
  result: DispatchResult,
): Promise<EffectOutcome> {
  const where = `\`${escapeMrkdwn(result.workflow)}\` on \`${escapeMrkdwn(result.ref)}\``;
  const text =
    result.run && safeUrl(result.run.htmlUrl)
      ? `:rocket: Started ${where}: <${result.run.htmlUrl}|run ${result.run.runId}>.`
      : `:rocket: Started ${where}. GitHub did not say which run it is; put the request id in the workflow's \`run-name\` to get a link here.`;
  await context.record([effect(request, "slack.reply", "dispatched", { text })]);
  return { state: "done", result };
}

function effect(request: RequestRow, kind: NewEffect["kind"], suffix: string, payload: unknown): NewEffect {
  return {
    id: effectId(request.requestId, kind, suffix),
    requestId: request.requestId,
    kind,
    payload,
    state: "due",
    onConflict: "ignore",
  };
}

/** A link Slack shows as a link: http(s), and nothing that would end the `<url|label>` early. */
function safeUrl(url: string): boolean {
  return /^https?:\/\/[^\s<>|]+$/.test(url);
}
