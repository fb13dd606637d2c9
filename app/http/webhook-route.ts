// POST /api/github/webhooks, the App's own webhook ingress (Probot's middleware reads any body whole
// before checking anything, so it is never mounted): cheap header checks → read (capped, within the
// shared cap on unauthenticated bodies) → verify X-Hub-Signature-256 over the raw bytes → drop events
// the App does not use before parsing them → parse and validate into a typed GitHubEvent → handler.
// Logs carry a bounded summary, never the body; refusals are throttled like the Slack route's.
import type { IncomingMessage, ServerResponse } from "node:http";
import { verify } from "@octokit/webhooks-methods";
import type { Logger } from "pino";
import type { GitHubEventHandler } from "../github/events.js";
import { throttledLog } from "../log-throttle.js";
import { type BodySlots, readWithinLimits } from "./body-slots.js";
import { answer } from "./respond.js";
import { parseWebhook, skipUnparsed, USED_EVENTS, WebhookPayloadError } from "./webhook-events.js";

export const WEBHOOK_PATH = "/api/github/webhooks";
/**
 * GitHub sends up to 25 MB, but the events this App uses are far smaller: a protection-rule request or a
 * completed run is tens of KiB, and a push grows with its commits but rarely nears 1 MiB. A push too
 * large for this is refused with 413; the policy it may have changed is re-read when its cache entry
 * expires.
 */
export const WEBHOOK_MAX_BODY_BYTES = 2 * 1024 * 1024;

const EVENT_NAME = /^[a-z_]{1,64}$/;
const DELIVERY_ID = /^[A-Za-z0-9-]{1,64}$/;
const SIGNATURE = /^sha256=[0-9a-f]{64}$/;

export interface WebhookRouteOptions {
  secret: string;
  events: GitHubEventHandler;
  bodies: BodySlots;
  log: Logger;
}

export function webhookRoute(options: WebhookRouteOptions) {
  const { secret, events, bodies, log } = options;
  const refused = throttledLog(log, "refused GitHub webhook deliveries");

  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    if ((req.url ?? "").split("?")[0] !== WEBHOOK_PATH) return false;
    if (req.method !== "POST") {
      answer(res, 405, { headers: { allow: "POST" } });
      return true;
    }
    const event = single(req.headers["x-github-event"]);
    const delivery = single(req.headers["x-github-delivery"]);
    const signature = single(req.headers["x-hub-signature-256"]);
    // A bounded summary: header values only after they passed their format check.
    const summary = {
      event: event && EVENT_NAME.test(event) ? event : "(invalid)",
      delivery: delivery && DELIVERY_ID.test(delivery) ? delivery : "(invalid)",
    };
    const refuse = (status: number, reason: string, close: boolean, bytes?: number) => {
      refused({ ...summary, status, reason, ...(bytes === undefined ? {} : { bytes }) });
      answer(res, status, { text: reason, close });
      return true;
    };

    // Checks that need no body come first; the body is then left unread, so the connection closes.
    if (!signature || !SIGNATURE.test(signature)) return refuse(401, "missing or malformed signature", true);
    if (summary.event === "(invalid)" || summary.delivery === "(invalid)") {
      return refuse(400, "missing or malformed X-GitHub-Event or X-GitHub-Delivery", true);
    }
    const contentType = (single(req.headers["content-type"]) ?? "").split(";")[0]?.trim().toLowerCase();
    if (contentType !== "application/json")
      return refuse(415, "the webhook content type must be application/json", true);

    const read = await readWithinLimits(req, res, { slots: bodies, maxBytes: WEBHOOK_MAX_BODY_BYTES });
    if (!read.ok) {
      refused({ ...summary, refusal: read.refusal });
      return true;
    }
    const text = read.body.toString("utf8");
    if (!(await verify(secret, text, signature)))
      return refuse(401, "signature mismatch", false, read.body.length);

    const name = summary.event;
    if (!USED_EVENTS.has(name)) {
      answer(res, 200, { text: "ignored" });
      return true;
    }
    const skipped = skipUnparsed(name, text);
    if (skipped !== undefined) {
      answer(res, 200, { text: "ignored" });
      return true;
    }
    let payload: unknown;
    try {
      payload = JSON.parse(text);
    } catch {
      return refuse(400, "the payload is not valid JSON", false, read.body.length);
    }
    let parsed: ReturnType<typeof parseWebhook>;
    try {
      parsed = parseWebhook(name, summary.delivery, payload);
    } catch (error) {
      if (!(error instanceof WebhookPayloadError)) throw error;
      return refuse(400, `invalid ${name} payload: ${error.message}`, false, read.body.length);
    }
    if (parsed.kind === "ignored") {
      log.debug({ ...summary, reason: parsed.reason }, "webhook ignored");
      answer(res, 200, { text: "ignored" });
      return true;
    }
    try {
      await events.handle(parsed.event);
    } catch (error) {
      // GitHub shows the failed delivery (it can be redelivered); the details stay in the App's log.
      log.error({ ...summary, err: error }, "webhook handler failed");
      answer(res, 500, { text: "the App could not process this delivery" });
      return true;
    }
    log.info({ ...summary, as: parsed.event.name }, "webhook handled");
    answer(res, 200, { text: "ok" });
    return true;
  };
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? (value.length === 1 ? value[0] : undefined) : value;
}
