// POST /slack/interactions: verify, parse, acknowledge at once, then do the work. Nothing before the
// signature check touches the database or an API, so a forged request costs one HMAC.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "probot";
import type { Interactions } from "../interactions.js";
import type { SlackApi } from "./api.js";
import { PayloadError, parseInteraction } from "./payload.js";
import { BodyTooLargeError, readBody } from "./read-body.js";
import { reasonErrors } from "./reject-modal.js";
import { verifySlackSignature } from "./verify.js";

export const SLACK_ROUTE = "/slack/interactions";
const MAX_BODY_BYTES = 1024 * 1024;

export interface BackgroundWork {
  run(task: () => Promise<void>): void;
  /** Resolves when every task started so far has finished. */
  idle(): Promise<void>;
}

export function createBackgroundWork(log: Logger): BackgroundWork {
  const tasks = new Set<Promise<void>>();
  return {
    run(task) {
      const promise = task()
        .catch((error: unknown) =>
          log.error({ err: error }, "Slack interaction failed after acknowledgement"),
        )
        .finally(() => tasks.delete(promise));
      tasks.add(promise);
    },
    async idle() {
      while (tasks.size > 0) await Promise.allSettled([...tasks]);
    },
  };
}

export function slackInteractionsHandler(deps: {
  signingSecret: string;
  interactions: Interactions;
  slack: SlackApi;
  background: BackgroundWork;
  log: Logger;
}) {
  const { signingSecret, interactions, slack, background, log } = deps;

  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const path = (req.url ?? "").split("?")[0];
    if (path !== SLACK_ROUTE) return false;
    if (req.method !== "POST") {
      res.writeHead(405, { allow: "POST" }).end();
      return true;
    }

    let body: Buffer;
    try {
      body = await readBody(req, MAX_BODY_BYTES);
    } catch (error) {
      // The rest of an oversized body stays unread, so the connection cannot be reused.
      res.writeHead(error instanceof BodyTooLargeError ? 413 : 400, { connection: "close" }).end();
      return true;
    }

    const verified = verifySlackSignature({
      signingSecret,
      timestamp: req.headers["x-slack-request-timestamp"],
      signature: req.headers["x-slack-signature"],
      rawBody: body,
    });
    if (!verified.ok) {
      log.warn({ reason: verified.reason }, "rejected a Slack request with a bad signature");
      res.writeHead(401, { "content-type": "text/plain" }).end("invalid signature");
      return true;
    }

    let interaction: ReturnType<typeof parseInteraction>;
    try {
      interaction = parseInteraction(body);
    } catch (error) {
      if (!(error instanceof PayloadError)) throw error;
      if (error.kind === "bad_reference" && error.context?.channelId) {
        // A well-formed click on a button we cannot read: tell the clicker, change nothing.
        const { channelId, userId } = error.context;
        res.writeHead(200).end();
        background.run(() =>
          slack.postEphemeral(
            channelId,
            userId,
            `This approval button is not valid (${error.message}); nothing was changed.`,
          ),
        );
        return true;
      }
      log.warn({ problem: error.message }, "malformed Slack interaction");
      res.writeHead(400, { "content-type": "text/plain" }).end("malformed payload");
      return true;
    }

    switch (interaction.type) {
      case "block_actions": {
        res.writeHead(200).end();
        const click = {
          user: interaction.user.id,
          channelId: interaction.channel.id,
          messageTs: interaction.message.ts,
          messageBlocks: interaction.message.blocks,
          reference: interaction.reference,
        };
        const triggerId = interaction.trigger_id;
        background.run(() =>
          interaction.action === "approve"
            ? interactions.approve(click)
            : interactions.rejectClicked(click, triggerId),
        );
        return true;
      }
      case "view_submission": {
        const errors = reasonErrors(interaction.reason);
        if (errors) {
          res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(errors));
          return true;
        }
        res.writeHead(200).end();
        const { modal, reason, user } = interaction;
        background.run(() =>
          interactions.rejectSubmitted({
            user: user.id,
            channelId: modal.channel,
            messageTs: modal.ts,
            reference: modal.reference,
            reason,
          }),
        );
        return true;
      }
      default:
        res.writeHead(200).end();
        return true;
    }
  };
}
