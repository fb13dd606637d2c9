// POST /slack/interactions, the receiver: read (capped) → verify the signature → refuse other
// workspaces → parse into a typed Interaction → record it → acknowledge → queue it for the click path.
// It only reads, verifies, records and acknowledges; nothing after it sees Slack's raw payload. Nothing
// before the signature check touches the database or an API, so a forged request costs one HMAC. When
// the work queue is full, a request is refused before its body is read (a flood costs what a bare
// server's 503 costs), except a few a second that are read, verified and refused, so that a shed click
// still appears on its request's timeline.
import { createHash } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "pino";
import { type BodySlots, readWithinLimits } from "../http/body-slots.js";
import { answer } from "../http/respond.js";
import { throttledLog } from "../log-throttle.js";
import type { Reservation, WorkQueue } from "../work-queue.js";
import type { InboundStore, InboundWork } from "./inbound.js";
import type { Interaction } from "./interaction.js";
import { decodeEnvelope, type Envelope, PayloadError, parseInteraction } from "./payload.js";
import { reasonErrors, unreadableFormErrors } from "./reject-modal.js";
import { verifySlackSignature } from "./verify.js";
import type { WorkspacePin } from "./workspace.js";

export const SLACK_ROUTE = "/slack/interactions";
/** Slack's interactivity payloads are a few KiB; a message's worth of blocks stays far below this. */
export const SLACK_MAX_BODY_BYTES = 1024 * 1024;
/** While the work queue is full, how many requests a second are still read to say which click was shed. */
export const SHED_READS_PER_SECOND = 20;
/**
 * A request refused unread keeps its connection when its declared body is at most this long (Node
 * reads the body and drops it, and the client's next request comes on the same connection); a longer
 * or chunked body closes it, so that nobody makes the App read a large body it has refused.
 */
const SHED_DRAIN_MAX_BYTES = 64 * 1024;

export interface SlackRouteOptions {
  signingSecret: string;
  workspace: Pick<WorkspacePin, "check">;
  store: Pick<InboundStore, "saveInbound">;
  queue: Pick<WorkQueue, "reserve">;
  inbound: Pick<InboundWork, "run">;
  bodies: BodySlots;
  log: Logger;
  /** A verified interaction answered 503 because the work queue was full (the activity record keeps it). */
  onShed?: (interaction: Interaction) => void;
}

export function slackRoute(options: SlackRouteOptions) {
  const { signingSecret, workspace, store, queue, inbound, bodies, log } = options;
  // What unauthenticated or overloading traffic can trigger is logged at most once per interval.
  const warn = {
    body: throttledLog(log, "refused Slack request bodies"),
    signature: throttledLog(log, "refused Slack requests with a bad signature"),
    malformed: throttledLog(log, "refused malformed Slack interactions"),
    workspace: throttledLog(log, "refused Slack interactions from outside the pinned workspace"),
    shed: throttledLog(log, "shed Slack interactions: the work queue is full"),
    replay: throttledLog(log, "dropped replayed Slack interactions", { level: "info" }),
    store: throttledLog(log, "could not record Slack interactions: refused them (503)", { level: "error" }),
  };

  const shedReads = perSecond(SHED_READS_PER_SECOND);

  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    if ((req.url ?? "").split("?")[0] !== SLACK_ROUTE) return false;
    if (req.method !== "POST") {
      answer(res, 405, { headers: { allow: "POST" } });
      return true;
    }

    // A place in the queue first: once recorded, an interaction must be handled, so none is recorded
    // that could not be queued; and one that could not be queued is not worth reading.
    const reservation = queue.reserve();
    if (!reservation && !shedReads()) {
      warn.shed({ read: false });
      const declared = Number(req.headers["content-length"] ?? Number.NaN);
      const drainable = req.headers["transfer-encoding"] === undefined && declared <= SHED_DRAIN_MAX_BYTES;
      answer(res, 503, { text: "busy", headers: { "retry-after": "5" }, close: !drainable });
      return true;
    }
    let queued = false;
    try {
      queued = await receive(req, res, reservation);
    } finally {
      if (!queued) reservation?.release();
    }
    return true;
  };

  /** Reads, verifies, records and acknowledges; true once the interaction is queued in `reservation`. */
  async function receive(
    req: IncomingMessage,
    res: ServerResponse,
    reservation: Reservation | null,
  ): Promise<boolean> {
    const read = await readWithinLimits(req, res, { slots: bodies, maxBytes: SLACK_MAX_BODY_BYTES });
    if (!read.ok) {
      warn.body({ refusal: read.refusal });
      return false;
    }
    const body = read.body;

    const verified = verifySlackSignature({
      signingSecret,
      timestamp: req.headers["x-slack-request-timestamp"],
      signature: req.headers["x-slack-signature"],
      rawBody: body,
    });
    if (!verified.ok) {
      warn.signature({ reason: verified.reason });
      answer(res, 401, { text: "invalid signature" });
      return false;
    }

    let envelope: Envelope;
    try {
      envelope = decodeEnvelope(body);
    } catch (error) {
      return malformed(error);
    }
    const pin = workspace.check(envelope.origin);
    if (!pin.ok) {
      if (pin.status === 503) {
        warn.workspace({ reason: pin.reason });
        answer(res, 503, { text: "not ready", headers: { "retry-after": "5" } });
      } else {
        warn.workspace({ reason: pin.reason, ...envelope.origin });
        answer(res, 403, { text: "this App does not serve that workspace" });
      }
      return false;
    }

    let parsed: ReturnType<typeof parseInteraction>;
    try {
      parsed = parseInteraction(envelope);
    } catch (error) {
      return malformed(error);
    }
    if (parsed.kind === "ignored") {
      answer(res, 200);
      return false;
    }
    // Answered in the form itself, synchronously: nothing to record.
    if (parsed.kind === "blank_reason") {
      answer(res, 200, { json: reasonErrors("") });
      return false;
    }
    if (parsed.kind === "unreadable_form") {
      answer(res, 200, { json: unreadableFormErrors(parsed.problem) });
      return false;
    }
    const { interaction } = parsed;

    if (!reservation) {
      warn.shed({ kind: interaction.kind });
      options.onShed?.(interaction);
      answer(res, 503, { text: "busy", headers: { "retry-after": "5" } });
      return false;
    }
    const inboundId = createHash("sha256").update(body).digest("hex");
    let fresh: boolean;
    try {
      fresh = await store.saveInbound({ id: inboundId, receivedAt: new Date(), body: body.toString("utf8") });
    } catch (error) {
      // Not recorded, so not acknowledged: Slack shows the clicker that it failed.
      warn.store({ err: error });
      answer(res, 503, { text: "cannot record the interaction", headers: { "retry-after": "5" } });
      return false;
    }
    if (!fresh) {
      // The same signed body again (a replay within Slack's 5-minute window): acknowledged, dropped.
      warn.replay({ kind: interaction.kind });
      answer(res, 200);
      return false;
    }
    answer(res, 200);
    inbound.run(reservation, interaction, inboundId, interaction.kind === "reject_clicked");
    return true;

    function malformed(error: unknown): false {
      if (!(error instanceof PayloadError)) throw error;
      warn.malformed({ problem: error.message });
      answer(res, 400, { text: "malformed payload" });
      return false;
    }
  }
}

/** True at most `limit` times in each second. */
function perSecond(limit: number): () => boolean {
  let windowStart = 0;
  let used = 0;
  return () => {
    const now = Date.now();
    if (now - windowStart >= 1000) {
      windowStart = now;
      used = 0;
    }
    used += 1;
    return used <= limit;
  };
}
