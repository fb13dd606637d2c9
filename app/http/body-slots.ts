// A cap on request bodies being read before anything is authenticated. Each route reads a body whole
// before it can check a signature, so slow or large unauthenticated bodies are what an attacker can make
// the App hold; past the cap, new ones are refused (503) before a byte is read.
import type { IncomingMessage, ServerResponse } from "node:http";
import { BodyTooLargeError, readBody } from "../slack/read-body.js";
import { answer } from "./respond.js";

export interface BodySlots {
  /** A release function, or null when every slot is taken. */
  tryAcquire(): (() => void) | null;
  inUse(): number;
  readonly max: number;
}

export function createBodySlots(max: number): BodySlots {
  let used = 0;
  return {
    max,
    inUse: () => used,
    tryAcquire() {
      if (used >= max) return null;
      used += 1;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        used -= 1;
      };
    },
  };
}

export type BodyRefusal = "busy" | "too_large" | "aborted";

export type ReadOutcome = { ok: true; body: Buffer } | { ok: false; refusal: BodyRefusal };

/**
 * Reads a body within a slot and a byte cap. On refusal the answer has been sent already (503 busy,
 * 413 too large, both closing the connection; nothing for a client that went away).
 */
export async function readWithinLimits(
  req: IncomingMessage,
  res: ServerResponse,
  limits: { slots: BodySlots; maxBytes: number },
): Promise<ReadOutcome> {
  const declared = Number(req.headers["content-length"]);
  // Refused before taking a slot: a declared size over the cap needs no reading at all.
  if (Number.isFinite(declared) && declared > limits.maxBytes) {
    answer(res, 413, { text: "request body too large", close: true });
    return { ok: false, refusal: "too_large" };
  }
  const release = limits.slots.tryAcquire();
  if (!release) {
    answer(res, 503, { text: "busy", headers: { "retry-after": "1" }, close: true });
    return { ok: false, refusal: "busy" };
  }
  try {
    return { ok: true, body: await readBody(req, limits.maxBytes) };
  } catch (error) {
    if (error instanceof BodyTooLargeError) {
      answer(res, 413, { text: "request body too large", close: true });
      return { ok: false, refusal: "too_large" };
    }
    // The client went away (or the server's request timeout cut it): nobody is left to answer.
    if (!res.headersSent) res.destroy();
    return { ok: false, refusal: "aborted" };
  } finally {
    release();
  }
}
