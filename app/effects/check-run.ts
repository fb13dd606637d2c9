// `github.check_run` (every mode, every decision): the decision as a check run on the run's head commit,
// named `slack-deploy-gate / <environment>`, `external_id` = the request id, conclusion success /
// failure / timed_out. It is the record on the commit and in pull requests, and what the Action reads
// in wait and verify modes (common/check-run.ts). Idempotent: the App's check run for the request is
// looked up by external_id first and updated rather than created twice.
import {
  CONCLUSIONS,
  checkRunName,
  type DecisionRecord,
  encodeDecisionRecord,
} from "../../common/check-run.js";
import {
  type CheckRunOutput,
  type CheckRunRecord,
  type CheckRunWrite,
  createCheckRun,
  findCheckRun,
  updateCheckRun,
} from "../github/check-runs.js";
import type { Installations, Octokit } from "../github/installations.js";
import type { Runs } from "../github/runs.js";
import { notes } from "../sentences.js";
import type { Decider, RequestRow } from "../store/types.js";
import { githubFailure } from "./retry.js";
import type { EffectHandler } from "./types.js";

/** What the deciding click knew of the run (app/clicks/decide.ts); the handler reads the run otherwise. */
export interface CheckRunPayload {
  headSha?: string;
  runUrl?: string;
}

/** A decision that could not be carried out (dispatch mode: nothing could be started). */
export interface Shortfall {
  /** Shown as the check run's title. */
  title: string;
  /** One sentence, shown in the summary. */
  note: string;
}

export interface CheckRunTarget {
  octokit: Octokit;
  headSha: string;
  runUrl: string | undefined;
}

export interface DecisionCheckRuns {
  /**
   * Writes (or rewrites) the request's check run for its decision; with a shortfall its conclusion is
   * `action_required`, which no reader takes for an approval. Concurrent calls for one request in
   * this process share one write.
   */
  write(request: RequestRow, target: CheckRunTarget, shortfall?: Shortfall): Promise<CheckRunRecord>;
  /** The client and commit for a request: from the effect's payload, else from GitHub. */
  target(
    request: RequestRow,
    payload: CheckRunPayload | null,
  ): Promise<{ ok: true; target: CheckRunTarget } | { ok: false; note: string }>;
}

export interface CheckRunDeps {
  installations: Installations;
  runs: Runs;
  /** This App's ID: the check runs it looks up must be its own. Read from GitHub (GET /app) when not given. */
  appId?: number;
  /** A link to the request message in Slack (chat.getPermalink), or undefined when Slack cannot say. */
  messageUrl(channelId: string, messageTs: string): Promise<string | undefined>;
}

export function createDecisionCheckRuns(deps: CheckRunDeps): DecisionCheckRuns {
  const inflight = new Map<string, Promise<CheckRunRecord>>();
  let appId: Promise<number> | undefined = deps.appId === undefined ? undefined : Promise.resolve(deps.appId);
  const ownId = () => {
    appId ??= deps.installations
      .appClient()
      .then((octokit) => octokit.rest.apps.getAuthenticated())
      .then(({ data }) => {
        if (!data) throw new Error("GitHub did not say which App this is");
        return data.id;
      });
    // A failed look-up is tried again next time.
    appId.catch(() => {
      appId = undefined;
    });
    return appId;
  };

  async function writeOnce(request: RequestRow, target: CheckRunTarget, shortfall?: Shortfall) {
    const decision = request.decision;
    if (!decision) throw new Error(`request ${request.requestId} has no decision to record`);
    const name = checkRunName(request.environment);
    const messageUrl = await deps.messageUrl(request.channelId, request.messageTs).catch(() => undefined);
    const output = checkRunOutput(request, { messageUrl, runUrl: target.runUrl, shortfall });
    const write: CheckRunWrite = {
      repository: request.repository,
      headSha: target.headSha,
      name,
      externalId: request.requestId,
      conclusion: shortfall ? "action_required" : CONCLUSIONS[decision],
      completedAt: request.decidedAt ?? new Date(),
      detailsUrl: messageUrl,
      output,
    };
    const existing = await findCheckRun(target.octokit, {
      repository: request.repository,
      headSha: target.headSha,
      name,
      externalId: request.requestId,
      appId: await ownId(),
    });
    if (!existing) return createCheckRun(target.octokit, write);
    if (existing.conclusion === write.conclusion && existing.title === output.title) return existing;
    return updateCheckRun(target.octokit, request.repository, existing.id, write);
  }

  return {
    write(request, target, shortfall) {
      const key = `${request.requestId}:${shortfall ? "shortfall" : "decision"}`;
      const pending = inflight.get(key);
      if (pending) return pending;
      const started = writeOnce(request, target, shortfall).finally(() => inflight.delete(key));
      inflight.set(key, started);
      return started;
    },

    async target(request, payload) {
      const installationId = await deps.installations.forRepository(request.repository);
      if (installationId === undefined) {
        return { ok: false, note: `slack-deploy-gate is no longer installed on ${request.repository}` };
      }
      const octokit = await deps.installations.client(installationId);
      if (payload?.headSha) {
        return { ok: true, target: { octokit, headSha: payload.headSha, runUrl: payload.runUrl } };
      }
      const run = await deps.runs.get(octokit, request.repository, request.runId);
      if (!run) return { ok: false, note: notes.runGone() };
      return { ok: true, target: { octokit, headSha: run.headSha, runUrl: run.htmlUrl } };
    },
  };
}

export function checkRunHandler(checkRuns: DecisionCheckRuns): EffectHandler {
  return {
    kind: "github.check_run",
    async run(effect, request, context) {
      if (!request.decision) return { state: "obsolete", note: "the request has no decision" };
      try {
        const found = await checkRuns.target(request, effect.payload as CheckRunPayload | null);
        if (!found.ok) return { state: "obsolete", note: found.note };
        const written = await checkRuns.write(request, found.target);
        return { state: "done", result: { checkRunId: written.id, htmlUrl: written.htmlUrl } };
      } catch (error) {
        return githubFailure(effect, context.now(), error);
      }
    },
  };
}

// ---- What the check run says (GitHub renders it as Markdown) ----

const TITLES = { approved: "Approved", rejected: "Rejected", expired: "Expired" } as const;

/** `@octocat` where the GitHub login is known, the Slack name otherwise, the Slack ID at worst. */
export function deciderName(decider: Decider): string {
  if (decider.githubLogin) return `@${decider.githubLogin}`;
  return decider.name ? `${decider.name} (Slack)` : `Slack user ${decider.slackUserId}`;
}

export function checkRunOutput(
  request: RequestRow,
  links: { messageUrl: string | undefined; runUrl: string | undefined; shortfall?: Shortfall },
): CheckRunOutput {
  const decision = request.decision ?? "expired";
  const at = request.decidedAt ?? new Date();
  const names = request.decidedBy.map(deciderName);
  const by = names.length ? ` by ${names.join(", ")}` : "";
  const when = `${at.toISOString().slice(0, 16).replace("T", " ")} UTC`;
  const title = links.shortfall
    ? links.shortfall.title
    : decision === "expired"
      ? "Expired: nobody decided in time"
      : `${TITLES[decision]}${by}`;

  const lines = [
    decision === "expired"
      ? `**Expired** for \`${code(request.environment)}\` on ${when}: nobody decided in time.`
      : `**${TITLES[decision]}** for \`${code(request.environment)}\`${escapeMarkdown(by)} on ${when}.`,
  ];
  if (request.reason)
    lines.push("", ...request.reason.split("\n").map((line) => `> ${escapeMarkdown(line)}`));
  if (links.shortfall) lines.push("", `:warning: ${escapeMarkdown(links.shortfall.note)}`);
  const refs = [
    links.messageUrl ? `[Request in Slack](${links.messageUrl})` : undefined,
    links.runUrl ? `[Workflow run](${links.runUrl})` : undefined,
    `request \`${code(request.requestId)}\``,
    `${request.mode} mode`,
  ].filter(Boolean);
  lines.push("", refs.join(" · "));

  const record: DecisionRecord = {
    v: 1,
    requestId: request.requestId,
    decision,
    decidedBy: request.decidedBy.map((d) => d.slackUserId),
    reason: request.reason,
    decidedAt: at.toISOString(),
  };
  const who = request.decidedBy
    .map((d) => `- ${escapeMarkdown(deciderName(d))}: Slack \`${code(d.slackUserId)}\``)
    .join("\n");
  const text = [
    // First, so that cutting the text to GitHub's limit can never cut the record.
    encodeDecisionRecord(record),
    who ? `Decided by:\n${who}` : "Nobody decided.",
    `Run ${request.runId}, attempt ${request.runAttempt}, of ${escapeMarkdown(request.repository)}.`,
  ].join("\n\n");
  return { title, summary: lines.join("\n"), text };
}

/** Text from Slack (names, reasons) shown literally: no links, emphasis or HTML of its own. */
export function escapeMarkdown(text: string): string {
  // What makes links, images, emphasis, code, tables, headings and HTML; not `.` or `-`, which only
  // matter at the start of a line, so that names and file paths stay readable.
  return text.replace(/[\\`*_[\]()#!|<>~]/g, (c) => `\\${c}`);
}

/** Inside `code`: a backtick would end it early. */
function code(text: string): string {
  return text.replace(/`/g, "'");
}
