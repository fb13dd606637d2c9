// Reads a request body into memory with a hard size cap. The signature covers the exact bytes
// Slack sent, so the body is kept as a Buffer and never decoded here.
import type { IncomingMessage } from "node:http";

export class BodyTooLargeError extends Error {
  override name = "BodyTooLargeError";
  constructor(readonly limitBytes: number) {
    super(`request body exceeds ${limitBytes} bytes`);
  }
}

export class RequestAbortedError extends Error {
  override name = "RequestAbortedError";
  constructor(cause?: unknown) {
    super("request aborted before its body was complete", cause === undefined ? undefined : { cause });
  }
}

/**
 * Resolves with the whole body, or rejects with BodyTooLargeError (checked against Content-Length
 * before reading, then while streaming) or RequestAbortedError. After a BodyTooLargeError the rest of
 * the body is left unread: answer 413 with `Connection: close` so the socket is not reused.
 */
export function readBody(req: IncomingMessage, limitBytes: number): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const declared = req.headers["content-length"];
    if (declared !== undefined && Number(declared) > limitBytes) {
      req.pause();
      reject(new BodyTooLargeError(limitBytes));
      return;
    }
    if (req.readableEnded) {
      reject(new Error("request body was already read"));
      return;
    }
    if (req.destroyed) {
      reject(new RequestAbortedError());
      return;
    }

    const chunks: Buffer[] = [];
    let received = 0;
    let settled = false;

    const cleanup = () => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
      req.off("close", onClose);
    };
    const settle = (error: Error | undefined, body?: Buffer) => {
      if (settled) return;
      settled = true;
      cleanup();
      if (error) reject(error);
      else resolve(body as Buffer);
    };
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > limitBytes) {
        // Stop buffering at once; what is already held is dropped with the closure.
        req.pause();
        chunks.length = 0;
        settle(new BodyTooLargeError(limitBytes));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => settle(undefined, Buffer.concat(chunks, received));
    const onError = (error: Error) => settle(new RequestAbortedError(error));
    // `close` before `end` means the client went away mid-body.
    const onClose = () => {
      if (!req.complete) settle(new RequestAbortedError());
    };

    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
    req.on("close", onClose);
  });
}
