// The approval-request message: built by the Action, rebuilt by the App when it shows an outcome.
// Layout (in this order, so the App can find its way around a stored copy):
//   header · fields section · [custom message section] · [mentions section] · actions · footer context
// Everything that comes from the run (names, refs, commit titles, the custom message) is escaped,
// so nothing in it can ping a channel or forge a link; only the validated `mentions` become pings.
import type { ActionsBlock, ContextBlock, HeaderBlock, KnownBlock, SectionBlock } from "@slack/web-api";
import { type Changes, SHOWN_COMMITS } from "./changes.js";
import { DISPATCH_BLOCK_ID } from "./dispatch.js";
import type { ApprovalSummary, ApproverName, RequestFacts } from "./facts.js";
import { escapeAndTruncate, escapeMrkdwn, firstLine, linkOrText, truncate } from "./mrkdwn.js";
import {
  ACTION_IDS,
  BLOCK_IDS,
  encodeReference,
  type RequestReference,
  referenceToMetadata,
} from "./reference.js";

/** Slack's limits (https://docs.slack.dev/reference/block-kit). */
export const SLACK_LIMITS = {
  blocksPerMessage: 50,
  headerText: 150,
  sectionText: 3000,
  sectionFields: 10,
  fieldText: 2000,
  confirmTitle: 100,
  confirmText: 300,
  confirmButton: 30,
  buttonText: 75,
  /** `text` beyond this is truncated by Slack; keep the fallback far below it. */
  fallbackText: 4000,
} as const;

/** The custom message has a section of its own, so it may use all of it. */
const MAX_CUSTOM_MESSAGE = SLACK_LIMITS.sectionText;
const MAX_COMMIT_TITLE = 200;
const MAX_INLINE = 300;

export const MESSAGE_BLOCK_IDS = {
  header: "sdg_header",
  fields: "sdg_fields",
  /** Who may approve, how many, and when it expires (the App's policy). */
  approval: "sdg_approval",
  /** What changed since the last successful deployment. */
  changes: "sdg_changes",
  message: "sdg_message",
  mentions: "sdg_mentions",
} as const;

/** Shown above the workflow's own text: the only words in the message that are not checked. */
export const WORKFLOW_TEXT_LABEL = "_Message from the workflow:_";

export interface RequestDetails extends RequestFacts {
  reference: RequestReference;
  /** The workflow author's text; shown escaped (formatting such as *bold* still works). */
  message?: string;
  /** Validated Slack user IDs (`U…`/`W…`) and user group IDs (`S…`) to ping. */
  mentions: string[];
  /** Who posted it: `app` when the environment's policy names a channel and the App asked itself. */
  origin?: "action" | "app";
}

/** How the App shows a request after the first contact: its own header and footer line. */
export interface MessageView {
  /** Replaces the question in the header once something happened (`Approved: acme/api to production`). */
  title?: string;
  /** Appended to the footer (already mrkdwn, escaped by the caller), e.g. how the run ended. */
  footerNote?: string;
  /**
   * The workflow's text as mrkdwn, when it comes from a message already posted (the App keeps it;
   * see `workflowParts`) rather than from `message`.
   */
  workflowText?: string;
}

export interface RequestMessage {
  /** Notification fallback. */
  text: string;
  blocks: KnownBlock[];
  metadata: ReturnType<typeof referenceToMetadata>;
}

const USER_ID = /^[UW][A-Z0-9]{2,20}$/;
const GROUP_ID = /^S[A-Z0-9]{2,20}$/;

/** `<@U…>` for a user, `<!subteam^S…>` for a user group. Throws on anything else. */
export function mentionFor(id: string): string {
  if (USER_ID.test(id)) return `<@${id}>`;
  if (GROUP_ID.test(id)) return `<!subteam^${id}>`;
  throw new TypeError(`not a Slack user or user group ID: "${id.slice(0, 40)}"`);
}

/** `https://github.com/owner/repo/actions/runs/1` (and `/attempts/N` after a re-run). */
export function runUrl(serverUrl: string, ref: RequestReference): string {
  const base = `${trimSlash(serverUrl)}/${ref.repository}/actions/runs/${ref.runId}`;
  return ref.runAttempt > 1 ? `${base}/attempts/${ref.runAttempt}` : base;
}

/** `refs/heads/main` → `main`, `refs/tags/v1` → `tag v1`, anything else unchanged. */
export function describeRef(ref: string): string {
  if (ref.startsWith("refs/heads/")) return ref.slice("refs/heads/".length);
  if (ref.startsWith("refs/tags/")) return `tag ${ref.slice("refs/tags/".length)}`;
  const pull = /^refs\/pull\/(\d+)\/(?:merge|head)$/.exec(ref);
  if (pull) return `pull request #${pull[1]}`;
  return ref;
}

/** The Environment field's text, as the builder writes it. */
export function environmentField(environment: string): string {
  return escapeAndTruncate(environment, MAX_INLINE);
}

/** The header a pending request shows: the question the buttons answer. */
export function requestQuestion(reference: Pick<RequestReference, "repository" | "environment">): string {
  return truncate(`Deploy ${reference.repository} to ${reference.environment}?`, SLACK_LIMITS.headerText);
}

export function buildRequestMessage(details: RequestDetails, view: MessageView = {}): RequestMessage {
  const { reference } = details;
  const value = encodeReference(reference);
  const server = trimSlash(details.serverUrl);
  const repoUrl = `${server}/${reference.repository}`;

  const header: HeaderBlock = {
    type: "header",
    block_id: MESSAGE_BLOCK_IDS.header,
    text: {
      type: "plain_text",
      text: view.title ? truncate(view.title, SLACK_LIMITS.headerText) : requestQuestion(reference),
    },
  };

  const attempt = reference.runAttempt > 1 ? ` (attempt ${reference.runAttempt})` : "";
  const shortSha = details.sha.slice(0, 7);
  const title = details.commitTitle ? firstLine(details.commitTitle) : "";
  const commit =
    linkOrText(`${repoUrl}/commit/${details.sha}`, shortSha || "unknown") +
    (title ? ` ${escapeAndTruncate(title, MAX_COMMIT_TITLE)}` : "");
  const fieldTexts: Array<[string, string]> = [
    ["Repository", linkOrText(repoUrl, reference.repository)],
    ["Environment", environmentField(reference.environment)],
    [
      "Workflow",
      linkOrText(runUrl(server, reference), truncate(details.workflow || "workflow", MAX_INLINE)) + attempt,
    ],
    ["Ref", escapeAndTruncate(describeRef(details.ref), MAX_INLINE)],
    ["Commit", commit],
    ["Triggered by", linkOrText(`${server}/${encodeURIComponent(details.actor)}`, details.actor)],
    ["Event", escapeAndTruncate(details.eventName, MAX_INLINE)],
  ];
  const fields: SectionBlock = {
    type: "section",
    block_id: MESSAGE_BLOCK_IDS.fields,
    fields: fieldTexts.slice(0, SLACK_LIMITS.sectionFields).map(([label, text]) => ({
      type: "mrkdwn",
      text: truncate(`*${label}*\n${text}`, SLACK_LIMITS.fieldText),
    })),
  };

  const blocks: KnownBlock[] = [header, fields];

  if (details.approval) {
    blocks.push({
      type: "context",
      block_id: MESSAGE_BLOCK_IDS.approval,
      elements: [{ type: "mrkdwn", text: approvalLine(details.approval) }],
    });
  }
  if (details.changes) {
    blocks.push({
      type: "section",
      block_id: MESSAGE_BLOCK_IDS.changes,
      text: {
        type: "mrkdwn",
        text: truncate(changesText(details.changes, reference.environment), SLACK_LIMITS.sectionText),
      },
    });
  }

  const custom =
    view.workflowText !== undefined
      ? view.workflowText
      : details.message?.trim()
        ? escapeAndTruncate(details.message.trim(), MAX_CUSTOM_MESSAGE - WORKFLOW_TEXT_LABEL.length - 1)
        : "";
  if (custom) {
    blocks.push({
      type: "section",
      block_id: MESSAGE_BLOCK_IDS.message,
      text: { type: "mrkdwn", text: truncate(`${WORKFLOW_TEXT_LABEL}\n${custom}`, MAX_CUSTOM_MESSAGE) },
    });
  }

  const mentions = mentionLine([...new Set(details.mentions)].map(mentionFor));
  if (mentions) {
    blocks.push({
      type: "section",
      block_id: MESSAGE_BLOCK_IDS.mentions,
      text: { type: "mrkdwn", text: mentions },
    });
  }

  const target = truncate(`${reference.repository} to ${reference.environment}`, 200);
  const actions: ActionsBlock = {
    type: "actions",
    block_id: BLOCK_IDS.actions,
    elements: [
      {
        type: "button",
        action_id: ACTION_IDS.approve,
        style: "primary",
        text: { type: "plain_text", text: "Approve" },
        value,
        confirm: {
          title: { type: "plain_text", text: "Approve this deployment?" },
          text: {
            type: "plain_text",
            text: truncate(
              `Deploy ${target}. Your approval is recorded with your name.`,
              SLACK_LIMITS.confirmText,
            ),
          },
          confirm: { type: "plain_text", text: "Approve" },
          deny: { type: "plain_text", text: "Cancel" },
        },
      },
      {
        type: "button",
        action_id: ACTION_IDS.reject,
        style: "danger",
        text: { type: "plain_text", text: "Reject" },
        value,
        confirm: {
          title: { type: "plain_text", text: "Reject this deployment?" },
          text: {
            type: "plain_text",
            text: truncate(
              `Stop the deployment of ${target}. You will be asked for a reason.`,
              SLACK_LIMITS.confirmText,
            ),
          },
          confirm: { type: "plain_text", text: "Reject" },
          deny: { type: "plain_text", text: "Cancel" },
        },
      },
    ],
  };
  blocks.push(actions);

  const poster = details.origin === "app" ? "posted by slack-deploy-gate for the environment's policy" : "";
  const footerText = [
    `Request \`${reference.requestId}\` · ${reference.mode} mode · slack-deploy-gate`,
    poster,
    view.footerNote ?? "",
  ]
    .filter(Boolean)
    .join(" · ");
  const footer: ContextBlock = {
    type: "context",
    block_id: BLOCK_IDS.footer,
    elements: [{ type: "mrkdwn", text: truncate(footerText, SLACK_LIMITS.sectionText) }],
  };
  blocks.push(footer);

  const text = truncate(
    `Deployment approval requested: ${escapeMrkdwn(reference.repository)} to ${escapeAndTruncate(
      reference.environment,
      MAX_INLINE,
    )} (${escapeAndTruncate(details.workflow || "workflow", MAX_INLINE)}, ${escapeAndTruncate(
      describeRef(details.ref),
      MAX_INLINE,
    )})`,
    SLACK_LIMITS.fallbackText,
  );

  return { text, blocks, metadata: referenceToMetadata(reference) };
}

/** Block ids the App's status blocks get: `sdg_status`, then `sdg_status_2`, `sdg_status_3`, … */
export function statusBlockId(index: number): string {
  return index === 0 ? BLOCK_IDS.status : `${BLOCK_IDS.status}_${index + 1}`;
}

const NUMBERED_STATUS_ID = new RegExp(`^${BLOCK_IDS.status}_\\d+$`);

function isStatusBlockId(id: unknown): boolean {
  return typeof id === "string" && (id === BLOCK_IDS.status || NUMBERED_STATUS_ID.test(id));
}

/**
 * Replaces the buttons (and any status shown earlier) with `statusBlocks`, in the place where the
 * buttons were (or before the footer, or at the end). Status blocks without a `block_id` are given
 * `statusBlockId(n)` so that a later call finds and replaces them again; a status block may itself
 * be an actions block with `block_id: BLOCK_IDS.actions` to keep the buttons under partial progress.
 * Status blocks that would take the message past Slack's 50 blocks are dropped from the end.
 */
export function replaceActionsBlock(
  blocks: readonly KnownBlock[],
  statusBlocks: readonly KnownBlock[],
): KnownBlock[] {
  const isReplaced = (b: KnownBlock) => b.block_id === BLOCK_IDS.actions || isStatusBlockId(b.block_id);
  const firstReplaced = blocks.findIndex(isReplaced);
  const kept = blocks.filter((b) => !isReplaced(b));

  let insertAt: number;
  if (firstReplaced !== -1) {
    insertAt = blocks.slice(0, firstReplaced).filter((b) => !isReplaced(b)).length;
  } else {
    const footer = kept.findIndex((b) => b.block_id === BLOCK_IDS.footer);
    insertAt = footer === -1 ? kept.length : footer;
  }

  const room = Math.max(0, SLACK_LIMITS.blocksPerMessage - kept.length);
  let n = 0;
  const inserted = statusBlocks.slice(0, room).map((b) => {
    if (b.block_id !== undefined) return b;
    const withId = { ...b, block_id: statusBlockId(n) } as KnownBlock;
    n += 1;
    return withId;
  });
  return [...kept.slice(0, insertAt), ...inserted, ...kept.slice(insertAt)];
}

/** Whole mentions only: a mention cut in half would show as broken markup. */
function mentionLine(mentions: string[]): string {
  if (mentions.length === 0) return "";
  let line = "Approval requested from";
  for (const [i, mention] of mentions.entries()) {
    const more = ` … and ${mentions.length - i} more`;
    if (line.length + 1 + mention.length + more.length > SLACK_LIMITS.sectionText) return line + more;
    line += ` ${mention}`;
  }
  return line;
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, "");
}

// ---- What an approver sees before clicking: who may approve, by when, and what changed ----

/** A date each reader sees in their own time zone; the ISO text where Slack cannot format it. */
export function slackDate(at: Date, format = "{date_short_pretty} at {time}"): string {
  const seconds = Math.floor(at.getTime() / 1000);
  return `<!date^${seconds}^${format}|${at.toISOString()}>`;
}

/** `24 h`, `30 min`, `7 days`: a duration as the policy's `expire-after` gives it. */
export function describeDuration(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (minutes % 60) return `${hours} h ${minutes % 60} min`;
  if (hours < 48 || hours % 24) return `${hours} h`;
  return `${hours / 24} days`;
}

/** Shown approvers; the rest are counted. */
const SHOWN_APPROVERS = 10;

/** `Needs 2 approvals from @release-managers, @jane · Expires today at 17:00 (24 h after it was asked)` */
export function approvalLine(approval: ApprovalSummary): string {
  const names = approval.approvers.slice(0, SHOWN_APPROVERS).map(approverMention);
  const more = approval.approvers.length - names.length;
  const who = names.length
    ? ` from ${names.join(", ")}${more > 0 ? ` and ${more} more` : ""}`
    : " (the policy names nobody, so nobody can approve)";
  const count = approval.required === 1 ? "1 approval" : `${approval.required} approvals`;
  let line = `:busts_in_silhouette: Needs ${count}${who}`;
  if (approval.expiresAt) {
    const after = approval.expireAfterMs
      ? ` (${describeDuration(approval.expireAfterMs)} after it was asked)`
      : "";
    line += ` · :alarm_clock: Expires ${slackDate(new Date(approval.expiresAt))}${after}`;
  }
  return truncate(line, SLACK_LIMITS.sectionText);
}

/** An approver as mrkdwn: Slack users and groups ping; GitHub names are shown (escaped), never linked. */
export function approverMention(name: ApproverName): string {
  switch (name.kind) {
    case "user":
      return USER_ID.test(name.id) ? `<@${name.id}>` : escapeMrkdwn(name.id);
    case "group":
      return GROUP_ID.test(name.id) ? `<!subteam^${name.id}>` : escapeMrkdwn(name.id);
    case "github_user":
      return escapeMrkdwn(`@${name.login}`);
    case "github_team":
      return escapeMrkdwn(`@${name.org}/${name.slug}`);
  }
}

/** The "what changed" section, from what GitHub said (every name escaped, links only to GitHub's URLs). */
export function changesText(changes: Changes, environment: string): string {
  const env = escapeAndTruncate(environment, MAX_INLINE);
  const short = (sha: string) => `\`${sha.slice(0, 7)}\``;
  const compare = (url: string | null) => (url ? ` · ${linkOrText(url, "compare")}` : "");
  switch (changes.kind) {
    case "first":
      return `:new: *First deployment to ${env}*: there is no earlier successful deployment to compare with.`;
    case "same":
      return `:repeat: *Already deployed*: this commit has been running in ${env} since ${slackDate(new Date(changes.since.at))}.`;
    case "ahead": {
      const plural = changes.count === 1 ? "commit" : "commits";
      const head = `:package: *${changes.count} ${plural} since the last deployment* to ${env} (${short(changes.since.sha)}, ${slackDate(new Date(changes.since.at))})${compare(changes.compareUrl)}`;
      return `${head}${commitList(changes.commits, changes.count)}`;
    }
    case "behind": {
      const plural = changes.count === 1 ? "commit" : "commits";
      return `:rewind: *Rolls back ${changes.count} ${plural}*: ${env} runs ${short(changes.since.sha)} (since ${slackDate(new Date(changes.since.at))}), which is newer than this commit${compare(changes.compareUrl)}.`;
    }
    case "rewritten": {
      const deployed = `the deployed commit ${short(changes.since.sha)}`;
      if (changes.ahead === null) {
        return `:warning: *History rewritten*: GitHub no longer has ${deployed} (a force-push removed it), so what changed cannot be listed.`;
      }
      const head = `:warning: *History rewritten*: ${deployed} is not in this commit's history (a force-push, or another branch): ${changes.ahead} new, ${changes.behind} deployed ${changes.behind === 1 ? "commit" : "commits"} dropped${compare(changes.compareUrl)}`;
      return `${head}${commitList(changes.commits, changes.ahead)}`;
    }
    case "unknown":
      return `:grey_question: What changed since the last deployment is unknown: ${escapeAndTruncate(changes.reason, MAX_INLINE)}.`;
  }
}

function commitList(
  commits: readonly { sha: string; title: string; author: string | null }[],
  total: number,
): string {
  const lines = commits.slice(0, SHOWN_COMMITS).map((c) => {
    const by = c.author ? ` — ${escapeAndTruncate(c.author, 100)}` : "";
    return `\n• \`${c.sha.slice(0, 7)}\` ${escapeAndTruncate(c.title || "(no title)", MAX_COMMIT_TITLE)}${by}`;
  });
  const more = total - lines.length;
  return lines.join("") + (more > 0 ? `\n… and ${more} more` : "");
}

// ---- Reading a posted message back: what it states, and the workflow's own words ----

/** What a posted request message states in the places the shared builder writes them. */
export interface StatedFacts {
  header: string | undefined;
  /** The repository link's label. */
  repository: string | undefined;
  /** The Environment field's text as posted (escaped mrkdwn): compare with `environmentField`. */
  environment: string | undefined;
  runId: number | undefined;
  runAttempt: number | undefined;
  sha: string | undefined;
  /** Block ids the builder never writes (content someone else added). */
  foreign: string[];
}

const KNOWN_BLOCK_IDS = new Set<string>([
  ...Object.values(MESSAGE_BLOCK_IDS),
  BLOCK_IDS.actions,
  BLOCK_IDS.footer,
  DISPATCH_BLOCK_ID,
]);

/** Reads a posted message's header and fields (as `buildRequestMessage` lays them out). */
export function readStatedFacts(blocks: readonly unknown[]): StatedFacts {
  const stated: StatedFacts = {
    header: undefined,
    repository: undefined,
    environment: undefined,
    runId: undefined,
    runAttempt: undefined,
    sha: undefined,
    foreign: [],
  };
  for (const raw of blocks) {
    const block = raw as { type?: unknown; block_id?: unknown; text?: { text?: unknown }; fields?: unknown };
    const id = typeof block.block_id === "string" ? block.block_id : "";
    if (!KNOWN_BLOCK_IDS.has(id) && !isStatusId(id)) {
      stated.foreign.push(id || String(block.type ?? "?"));
      continue;
    }
    if (id === MESSAGE_BLOCK_IDS.header && typeof block.text?.text === "string")
      stated.header = block.text.text;
    if (id !== MESSAGE_BLOCK_IDS.fields || !Array.isArray(block.fields)) continue;
    for (const field of block.fields as { text?: unknown }[]) {
      if (typeof field?.text !== "string") continue;
      const match = /^\*([^*\n]+)\*\n([\s\S]*)$/.exec(field.text);
      if (!match) continue;
      const [, label, value = ""] = match;
      switch (label) {
        case "Repository":
          stated.repository = unescapeMrkdwn(linkLabel(value));
          break;
        case "Environment":
          stated.environment = value;
          break;
        case "Workflow": {
          const run = /\/actions\/runs\/(\d{1,19})(?:\/attempts\/(\d{1,6}))?\|/.exec(value);
          if (run) {
            stated.runId = Number(run[1]);
            stated.runAttempt = run[2] ? Number(run[2]) : 1;
          }
          break;
        }
        case "Commit": {
          const commit = /\/commit\/([0-9a-f]{40})\|/.exec(value);
          if (commit) stated.sha = commit[1];
          break;
        }
      }
    }
  }
  return stated;
}

/** The parts of a posted message that are the workflow's: its text (made safe again) and its pings. */
export function workflowParts(blocks: readonly unknown[]): { text: string | undefined; mentions: string[] } {
  let text: string | undefined;
  const mentions: string[] = [];
  for (const raw of blocks) {
    const block = raw as { block_id?: unknown; text?: { text?: unknown } };
    const body = typeof block.text?.text === "string" ? block.text.text : undefined;
    if (body === undefined) continue;
    if (block.block_id === MESSAGE_BLOCK_IDS.message) {
      const bare = body.startsWith(`${WORKFLOW_TEXT_LABEL}\n`)
        ? body.slice(WORKFLOW_TEXT_LABEL.length + 1)
        : body;
      // The builder escapes every `<` and `>`; any left are someone else's links or pings.
      text = bare.replace(/</g, "&lt;").replace(/>/g, "&gt;");
    }
    if (block.block_id === MESSAGE_BLOCK_IDS.mentions) {
      for (const match of body.matchAll(/<@([UW][A-Z0-9]{2,20})>|<!subteam\^(S[A-Z0-9]{2,20})>/g)) {
        const id = match[1] ?? match[2];
        if (id && !mentions.includes(id)) mentions.push(id);
      }
    }
  }
  return { text, mentions };
}

function linkLabel(value: string): string {
  const link = /^<[^|<>]+\|([^<>]*)>$/.exec(value.trim());
  return link ? (link[1] ?? "") : value.trim();
}

function unescapeMrkdwn(text: string): string {
  return text.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
}

function isStatusId(id: string): boolean {
  return id === BLOCK_IDS.status || NUMBERED_STATUS_ID.test(id);
}
