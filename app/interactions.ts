// What a verified Slack interaction does: record a vote, take the decision once enough allowed people
// agree, and hand the decision to delivery. Runs after Slack has been acknowledged.
import type { Logger } from "probot";
import { escapeMrkdwn } from "../common/mrkdwn.js";
import { BLOCK_IDS, type RequestReference } from "../common/reference.js";
import { type Actor, type Authorizer, slackTsToDate } from "./authorize.js";
import type { Delivery } from "./delivery.js";
import type { MessageUpdater } from "./message-updater.js";
import { type SlackApi, slackErrorCode } from "./slack/api.js";
import { MAX_REASON_LENGTH, refusalModal, rejectModal } from "./slack/reject-modal.js";
import type { RequestRow, Store } from "./store/types.js";

export interface Click extends Actor {
  reference: RequestReference;
  messageBlocks: unknown[];
}

export interface Interactions {
  approve(click: Click): Promise<void>;
  /** Opens the reason modal at once (the trigger id lasts 3 s), then checks the clicker. */
  rejectClicked(click: Click, triggerId: string): Promise<void>;
  rejectSubmitted(submission: Actor & { reference: RequestReference; reason: string }): Promise<void>;
}

export function createInteractions(deps: {
  store: Store;
  authorizer: Authorizer;
  delivery: Delivery;
  messages: MessageUpdater;
  slack: SlackApi;
  log: Logger;
  now?: () => Date;
}): Interactions {
  const { store, authorizer, delivery, messages, slack, log } = deps;
  const now = deps.now ?? (() => new Date());

  async function tell(actor: Actor, text: string): Promise<void> {
    try {
      await slack.postEphemeral(actor.channelId, actor.user, text);
    } catch (error) {
      log.warn({ slackError: slackErrorCode(error) }, "ephemeral reply failed");
    }
  }

  async function requestFor(click: Click, existing: RequestRow | undefined): Promise<RequestRow> {
    if (existing) return existing;
    return store.saveRequest({
      requestId: click.reference.requestId,
      repository: click.reference.repository,
      runId: click.reference.runId,
      runAttempt: click.reference.runAttempt,
      environment: click.reference.environment,
      mode: click.reference.mode,
      channelId: click.channelId,
      messageTs: click.messageTs,
      // Keep the request as the Action posted it; our own status blocks are rebuilt on every update.
      messageBlocks: click.messageBlocks.filter(
        (b) => (b as { block_id?: string }).block_id !== BLOCK_IDS.status,
      ),
      createdAt: slackTsToDate(click.messageTs),
    });
  }

  async function refuse(
    actor: Actor,
    message: string,
    expired: boolean | undefined,
    click?: Click,
  ): Promise<void> {
    await tell(actor, message);
    if (expired && click) {
      const target = (await store.getRequest(click.reference.requestId)) ?? {
        channelId: click.channelId,
        messageTs: click.messageTs,
        messageBlocks: click.messageBlocks,
      };
      await messages.showStatus(target, { kind: "expired", at: now() });
    }
  }

  async function alreadyDecided(actor: Actor, row: RequestRow): Promise<void> {
    const who = row.decidedBy.map((u) => `<@${u}>`).join(", ");
    await tell(actor, `This request was already ${row.decision} by ${who}.`);
  }

  return {
    async approve(click) {
      const auth = await authorizer.authorize(click.reference, click, "approve");
      if (!auth.ok) return refuse(click, auth.message, auth.expired, click);
      const row = await requestFor(click, auth.existing);
      if (row.decision) return alreadyDecided(click, row);

      if (
        !(await store.addVote({
          requestId: row.requestId,
          slackUserId: click.user,
          vote: "approve",
          reason: null,
          at: now(),
        }))
      ) {
        return tell(click, "You have already voted on this request; one vote per person.");
      }
      const votes = await store.listVotes(row.requestId);
      const approvers = votes.filter((v) => v.vote === "approve").map((v) => v.slackUserId);
      const required = auth.rules.requiredApprovals;
      const reply = `:white_check_mark: <@${click.user}> approved (${Math.min(approvers.length, required)} of ${required}).`;

      if (approvers.length < required) {
        await Promise.all([
          messages.showProgress(row, approvers, required),
          messages.threadReply(row, reply),
        ]);
        return;
      }
      await store.decide(row.requestId, {
        decision: "approved",
        decidedBy: approvers.slice(0, required),
        reason: null,
        at: now(),
      });
      // The vote's thread reply goes alongside, so the deployment does not wait on Slack. Whoever took
      // the decision, delivery is claimed once, so calling it from every click is harmless.
      await Promise.all([delivery.deliver(row.requestId, auth.run), messages.threadReply(row, reply)]);
    },

    async rejectClicked(click, triggerId) {
      let viewId: string | undefined;
      try {
        viewId = await slack.openModal(
          triggerId,
          rejectModal(click.reference, click.channelId, click.messageTs),
        );
      } catch (error) {
        log.warn({ slackError: slackErrorCode(error) }, "could not open the reject modal");
        await tell(click, "Slack would not open the reason form; please click Reject again.");
        return;
      }
      const auth = await authorizer.authorize(click.reference, click, "reject");
      if (!auth.ok) {
        // The form is already on screen: put the refusal there too, so nobody types a reason in vain.
        if (viewId) await slack.updateModal(viewId, refusalModal(auth.message)).catch(() => undefined);
        return refuse(click, auth.message, auth.expired, click);
      }
      // Saved now so that the submission, on whichever replica it lands, finds the message to update.
      const row = await requestFor(click, auth.existing);
      if (row.decision) await alreadyDecided(click, row);
    },

    async rejectSubmitted(submission) {
      const auth = await authorizer.authorize(submission.reference, submission, "reject");
      if (!auth.ok) return refuse(submission, auth.message, auth.expired);
      const row = auth.existing ?? (await store.getRequest(submission.reference.requestId));
      if (!row)
        return tell(
          submission,
          "Slack-deploy-gate lost track of this request's message; please click Reject again.",
        );
      if (row.decision) return alreadyDecided(submission, row);

      const reason = submission.reason.trim().slice(0, MAX_REASON_LENGTH);
      if (
        !(await store.addVote({
          requestId: row.requestId,
          slackUserId: submission.user,
          vote: "reject",
          reason,
          at: now(),
        }))
      ) {
        return tell(submission, "You have already voted on this request; one vote per person.");
      }
      await messages.threadReply(row, `:x: <@${submission.user}> rejected: ${escapeMrkdwn(reason)}`);
      await store.decide(row.requestId, {
        decision: "rejected",
        decidedBy: [submission.user],
        reason,
        at: now(),
      });
      await delivery.deliver(row.requestId);
    },
  };
}
