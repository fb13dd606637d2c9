// The approval-request message: built by the Action, rebuilt by the App when it shows an outcome.
// Layout (in this order, so the App can find its way around a stored copy):
//   header · fields section · [custom message section] · [mentions section] · actions · footer context
// Everything that comes from the run (names, refs, commit titles, the custom message) is escaped,
// so nothing in it can ping a channel or forge a link; only the validated `mentions` become pings.
import type { ActionsBlock, ContextBlock, HeaderBlock, KnownBlock, SectionBlock } from "@slack/web-api";
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
  message: "sdg_message",
  mentions: "sdg_mentions",
} as const;

export interface RequestDetails {
  reference: RequestReference;
  /** e.g. `https://github.com` */
  serverUrl: string;
  /** The workflow's name. */
  workflow: string;
  /** e.g. `refs/heads/main` */
  ref: string;
  sha: string;
  commitTitle?: string;
  /** GitHub login of whoever triggered the run. */
  actor: string;
  /** e.g. `push`, `workflow_dispatch` */
  eventName: string;
  /** The workflow author's text; shown escaped (formatting such as *bold* still works). */
  message?: string;
  /** Validated Slack user IDs (`U…`/`W…`) and user group IDs (`S…`) to ping. */
  mentions: string[];
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

export function buildRequestMessage(details: RequestDetails): RequestMessage {
  const { reference } = details;
  const value = encodeReference(reference);
  const server = trimSlash(details.serverUrl);
  const repoUrl = `${server}/${reference.repository}`;

  const header: HeaderBlock = {
    type: "header",
    block_id: MESSAGE_BLOCK_IDS.header,
    text: {
      type: "plain_text",
      text: truncate(`Deploy ${reference.repository} to ${reference.environment}?`, SLACK_LIMITS.headerText),
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
    ["Environment", escapeAndTruncate(reference.environment, MAX_INLINE)],
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

  const custom = details.message?.trim();
  if (custom) {
    blocks.push({
      type: "section",
      block_id: MESSAGE_BLOCK_IDS.message,
      text: { type: "mrkdwn", text: escapeAndTruncate(custom, MAX_CUSTOM_MESSAGE) },
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

  const footer: ContextBlock = {
    type: "context",
    block_id: BLOCK_IDS.footer,
    elements: [
      {
        type: "mrkdwn",
        text: `Request \`${reference.requestId}\` · ${reference.mode} mode · slack-deploy-gate`,
      },
    ],
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
