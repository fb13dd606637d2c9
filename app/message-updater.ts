// Keeps the Slack request message and its thread telling the same story as the database. Slack
// failures are logged, never thrown: by the time we update Slack the decision is already recorded.
import type { Logger } from "probot";
import { type SlackApi, slackErrorCode } from "./slack/api.js";
import { type Delivery, type RequestStatus, renderStatus } from "./slack/status-blocks.js";
import type { RequestRow } from "./store/types.js";

export interface MessageUpdater {
  showProgress(row: RequestRow, approvers: string[], required: number): Promise<void>;
  showDecision(row: RequestRow, delivery: Delivery, note?: string): Promise<void>;
  showStatus(target: MessageTarget, status: RequestStatus): Promise<void>;
  threadReply(target: MessageTarget, text: string): Promise<void>;
  /** "Jane Doe (U0123ABCD)", or the bare ID when Slack cannot say. */
  describeUser(userId: string): Promise<string>;
}

export interface MessageTarget {
  channelId: string;
  messageTs: string;
  messageBlocks: unknown[];
}

export function createMessageUpdater(
  slack: SlackApi,
  log: Logger,
  now: () => Date = () => new Date(),
): MessageUpdater {
  async function safely(what: string, call: () => Promise<void>): Promise<void> {
    try {
      await call();
    } catch (error) {
      log.warn({ slackError: slackErrorCode(error) }, `Slack ${what} failed`);
    }
  }

  async function showStatus(target: MessageTarget, status: RequestStatus): Promise<void> {
    const { text, blocks } = renderStatus(target.messageBlocks, status);
    await safely("message update", () =>
      slack.updateMessage(target.channelId, target.messageTs, text, blocks),
    );
  }

  async function threadReply(target: MessageTarget, text: string): Promise<void> {
    await safely("thread reply", () => slack.postThreadReply(target.channelId, target.messageTs, text));
  }

  return {
    showStatus,
    threadReply,
    async showProgress(row, approvers, required) {
      await showStatus(row, { kind: "progress", approvers, required });
    },
    async showDecision(row, delivery, note) {
      const at = row.decidedAt ?? now();
      const status: RequestStatus =
        row.decision === "rejected"
          ? {
              kind: "rejected",
              by: row.decidedBy[0] ?? "unknown",
              reason: row.reason ?? "",
              at,
              delivery,
              note,
            }
          : { kind: "approved", approvers: row.decidedBy, at, delivery, note };
      await showStatus(row, status);
      if (delivery === "delivered") {
        const verb =
          row.decision === "approved"
            ? "approved; the deployment resumed"
            : "rejected; the deployment was stopped";
        await threadReply(row, `:memo: GitHub accepted the decision: ${row.environment} ${verb}.`);
      } else if (delivery === "obsolete") {
        await threadReply(
          row,
          `:white_circle: The decision was not applied: ${note ?? "the run no longer waits"}.`,
        );
      }
    },
    async describeUser(userId) {
      const name = await slack.userName(userId);
      return name ? `${name} (${userId})` : userId;
    },
  };
}
