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
  /** False when the queue is full: the caller should shed the request instead of acknowledging it. */
  hasRoom(): boolean;
  /** Queues a task; `urgent` tasks skip the queue (opening a modal must beat the 3 s trigger id). */
  run(task: () => Promise<void>, options?: { urgent?: boolean }): void;
  /** Resolves when every task started or queued so far has finished. */
  idle(): Promise<void>;
}

/**
 * Work after the acknowledgement runs a bounded number at a time, so a burst of clicks cannot take
 * the event loop (and the acknowledgements with it) or memory without limit.
 */
export function createBackgroundWork(
  log: Logger,
  limits: { concurrency?: number; maxQueued?: number } = {},
): BackgroundWork {
  const concurrency = limits.concurrency ?? 16;
  const maxQueued = limits.maxQueued ?? 1000;
  const queue: Array<() => Promise<void>> = [];
  const running = new Set<Promise<void>>();

  function start(task: () => Promise<void>): void {
    const promise: Promise<void> = task()
      .catch((error: unknown) => log.error({ err: error }, "Slack interaction failed after acknowledgement"))
      .finally(() => {
        running.delete(promise);
        pump();
      });
    running.add(promise);
  }

  function pump(): void {
    while (running.size < concurrency && queue.length > 0) start(queue.shift()!);
  }

  return {
    hasRoom: () => queue.length < maxQueued,
    run(task, options) {
      if (options?.urgent) start(task);
      else {
        queue.push(task);
        pump();
      }
    },
    async idle() {
      while (running.size > 0 || queue.length > 0) await Promise.allSettled([...running]);
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
  // Forged or overloading traffic must not turn into a log flood: one line per kind per interval.
  const warnRejected = everyInterval(log, "rejected Slack requests with a bad signature");
  const warnShed = everyInterval(log, "shed Slack interactions: the work queue is full");

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
      warnRejected({ reason: verified.reason });
      res.writeHead(401, { "content-type": "text/plain" }).end("invalid signature");
      return true;
    }

    if (!background.hasRoom()) {
      // Overloaded: say so now rather than acknowledge work that would wait past any use.
      warnShed({});
      res.writeHead(503, { "retry-after": "5" }).end();
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
        if (interaction.action === "approve") background.run(() => interactions.approve(click));
        else background.run(() => interactions.rejectClicked(click, triggerId), { urgent: true });
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

/** A warning logged at most once per interval, with how many occurrences it stands for. */
export function everyInterval(
  log: Logger,
  message: string,
  intervalMs = 10_000,
  now: () => number = Date.now,
) {
  let last = Number.NEGATIVE_INFINITY;
  let count = 0;
  return (fields: Record<string, unknown>): void => {
    count += 1;
    if (now() - last < intervalMs) return;
    log.warn({ ...fields, count }, message);
    last = now();
    count = 0;
  };
}
