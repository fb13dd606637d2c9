// Requests the App posts itself: when GitHub holds a job at an environment whose policy names a
// `channel`, the App asks there, with the same shared builder as the Action (common/message.ts) and
// the facts it read from GitHub. Admins can require Slack approval for every deployment to an
// environment without touching a workflow.
//
// How an App-posted and an Action-posted request for the same gate meet: one request holds a gate (the
// repository, run, attempt and environment), the first the App knows of, so they never both keep live
// buttons.
// - The Action posts before the gate in the usual layout (its job runs, then the deploy job waits): it
//   announces where on its job (common/announce.ts), and when the gate arrives the App adopts that
//   message first (app/requests/adopt.ts), so it holds the gate and the App does not post. A request a
//   click brought earlier holds it the same way.
// - The App posted first (the workflow asks later, or the App could not read the announced message):
//   the workflow's message is superseded at its first contact with the App (adoption, or its first
//   click, app/requests/first-contact.ts), before anything is counted: its buttons go and it links the
//   request that holds the gate.
// The App-posted request's id is derived from the gate, so a redelivered gate, or two replicas receiving
// it, post one message: the request row is saved once, and its one `slack.post` effect posts it.
import type { Logger } from "probot";
import { gateRequestId } from "../../common/announce.js";
import { checkRunName } from "../../common/check-run.js";
import { buildRequestMessage } from "../../common/message.js";
import type { RequestReference, referenceToMetadata } from "../../common/reference.js";
import { effectId } from "../effects/modes.js";
import type { EffectRunner } from "../effects/runner.js";
import { startCheckRun } from "../github/check-runs.js";
import { splitRepository } from "../github/errors.js";
import type { GateRequested } from "../github/events.js";
import type { Installations } from "../github/installations.js";
import type { Runs } from "../github/runs.js";
import { type PolicyLoader, resolveEnvironment } from "../policy/index.js";
import type { SlackApi } from "../slack/api.js";
import type { RequestRow, Store } from "../store/types.js";
import { adoptAnnounced } from "./adopt.js";
import { findAnnouncements } from "./announced.js";
import { readFirstContact } from "./facts.js";
import { holdsGate } from "./life.js";

/** What the `slack.post` effect posts. */
export interface PostPayload {
  channel: string;
  text: string;
  blocks: unknown[];
  metadata: ReturnType<typeof referenceToMetadata>;
}

export interface RequestPoster {
  /** The gate arrived: post the App's own request if the policy names a channel and nobody asked yet. */
  onGate(event: GateRequested): Promise<void>;
}

/** One id per gate: `app-` and 20 characters of a hash of the repository, run, attempt and environment. */
export const appRequestId = gateRequestId;

/**
 * After the App's own request is posted: an in-progress check run for it (`slack-deploy-gate /
 * <environment>`, `external_id` = the request id, linking the message), which GitHub's checks show
 * and which tells an Action that asks later that the App asked already. The decision's check run
 * (app/effects/check-run.ts) finds it by its external id and completes it. Best effort: without it, a
 * second request is superseded at its first contact.
 */
export function markAsked(deps: { installations: Installations; slack: SlackApi }) {
  return async (request: RequestRow, posted: { channel: string; ts: string }): Promise<void> => {
    if (!request.facts) return;
    const installationId = await deps.installations.forRepository(request.repository);
    if (installationId === undefined) return;
    const octokit = await deps.installations.client(installationId);
    const url = await deps.slack.permalink(posted.channel, posted.ts);
    await startCheckRun(octokit, {
      repository: request.repository,
      headSha: request.facts.sha,
      name: checkRunName(request.environment),
      externalId: request.requestId,
      detailsUrl: url,
      output: {
        title: "Waiting for approval in Slack",
        summary: `slack-deploy-gate asked for approval of ${request.repository} to ${request.environment} in Slack${url ? `: ${url}` : "."}`,
        text: "",
      },
    });
  };
}

export function createRequestPoster(deps: {
  store: Store;
  runner: EffectRunner;
  installations: Installations;
  runs: Runs;
  policies: PolicyLoader;
  slack: SlackApi;
  log: Logger;
  now: () => Date;
}): RequestPoster {
  const { store, runner, installations, runs, policies, log, now } = deps;

  return {
    async onGate(event) {
      const octokit = await installations.client(event.installationId);
      const [owner, repo] = splitRepository(event.repository);
      const loaded = await policies.load(octokit, owner, repo);
      const rules = loaded.ok ? resolveEnvironment(loaded.policy, event.environment) : undefined;

      const run = await runs.get(octokit, event.repository, event.runId);
      if (!run || run.status === "completed") return;
      const gate = {
        repository: event.repository,
        runId: event.runId,
        runAttempt: run.attempt,
        environment: event.environment,
      };
      // Requests the workflow announced: first contact now, before anyone clicks (app/requests/adopt.ts).
      const announcements = await findAnnouncements(octokit, gate).catch((error: unknown) => {
        log.warn({ err: error, gate }, "could not read the run's announcements");
        return [];
      });
      for (const announcement of announcements) {
        await adoptAnnounced(deps, { octokit, run, rules, announcement });
      }

      if (!rules?.channel) return;
      const known = (await store.findRequests(event.repository, event.runId, event.environment)).filter(
        (r) => r.runAttempt === run.attempt && holdsGate(r),
      );
      const requestId = appRequestId(gate);
      const ours = known.find((r) => r.requestId === requestId);
      if (known.some((r) => r.requestId !== requestId)) {
        log.info(
          { requestId: known[0]?.requestId, gate },
          "a request already holds this gate; the App does not post",
        );
        return;
      }
      if (!ours && announcements.length > 0) {
        // Announced but not adopted (Slack would not show it): asking twice is worse than waiting for
        // the workflow's request to meet the App at its first click.
        log.info({ gate }, "the workflow posted its own request; the App does not post");
        return;
      }

      const createdAt = ours?.createdAt ?? now();
      const reference: RequestReference = {
        repository: event.repository,
        runId: event.runId,
        runAttempt: run.attempt,
        environment: event.environment,
        mode: "gate",
        requestId,
      };
      const row =
        ours ??
        (await (async () => {
          const first = await readFirstContact(octokit, {
            repository: event.repository,
            environment: event.environment,
            run,
            rules,
            createdAt,
          });
          const message = buildRequestMessage({ ...first.facts, reference, mentions: [], origin: "app" });
          return store.saveRequest({
            ...reference,
            channelId: rules.channel as string,
            messageTs: "",
            messageBlocks: message.blocks,
            createdAt,
            origin: "app",
            facts: first.facts,
            expiresAt: first.expiresAt,
            remindEveryMs: first.remindEveryMs,
          });
        })());
      if (row.messageTs) return;
      const message = buildRequestMessage({
        ...(row.facts ?? (await readFirstContact(octokit, { ...gate, run, rules, createdAt })).facts),
        reference,
        mentions: [],
        origin: "app",
      });
      const payload: PostPayload = {
        channel: row.channelId,
        text: message.text,
        blocks: message.blocks,
        metadata: message.metadata,
      };
      await runner.record(
        [
          {
            id: effectId(requestId, "slack.post"),
            requestId,
            kind: "slack.post",
            payload,
            state: "due",
            onConflict: "ignore",
          },
        ],
        row,
      );
    },
  };
}
