// Unauthenticated traffic of the kinds that exhaust a server: one huge body streamed as fast as the
// server reads it, and senders that stall in the middle of their headers or their body. Raw sockets,
// so nothing on this side buffers or times out on the server's behalf.
import { connect, type Socket } from "node:net";

export interface HugeBodyResult {
  /** The status the server answered, if it answered before the connection ended. */
  status: number | undefined;
  /** Bytes of body written before the server answered or closed the connection. */
  sentBytes: number;
  /** True when the server stopped the upload before all of it was sent. */
  cutShort: boolean;
}

/**
 * POSTs `totalBytes` of chunked body to `url` + `path` (1 MiB chunks of `fill`), honouring the
 * socket's back-pressure, and stops as soon as the server answers or closes.
 */
export function streamHugeBody(
  url: string,
  path: string,
  totalBytes: number,
  headers: Record<string, string>,
  fill = "a",
): Promise<HugeBodyResult> {
  const { hostname, port } = new URL(url);
  const chunk = Buffer.alloc(1024 * 1024, fill);
  const chunkHead = Buffer.from(`${chunk.length.toString(16)}\r\n`);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    let sentBytes = 0;
    let answer = "";
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      socket.destroy();
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(answer)?.[1];
      resolve({ status: status ? Number(status) : undefined, sentBytes, cutShort: sentBytes < totalBytes });
    };
    socket.on("data", (data: Buffer) => {
      answer += data.toString("latin1");
      // The status line is enough: the server has decided.
      if (answer.includes("\r\n")) finish();
    });
    socket.on("error", finish);
    socket.on("close", finish);
    socket.on("connect", () => {
      const head = Object.entries({
        host: `${hostname}:${port}`,
        "content-type": "application/json",
        "transfer-encoding": "chunked",
        ...headers,
      })
        .map(([name, value]) => `${name}: ${value}\r\n`)
        .join("");
      socket.write(`POST ${path} HTTP/1.1\r\n${head}\r\n`);
      const pump = () => {
        while (!finished && sentBytes < totalBytes) {
          sentBytes += chunk.length;
          const more = socket.write(Buffer.concat([chunkHead, chunk, Buffer.from("\r\n")]));
          if (!more) {
            socket.once("drain", pump);
            return;
          }
        }
        if (!finished) socket.write("0\r\n\r\n");
      };
      pump();
    });
  });
}

export interface StalledSender {
  /** Resolves when the server closes the connection (with how long after the stall began). */
  closed: Promise<{ afterMs: number }>;
  /** Whether the server has closed it yet. */
  isClosed(): boolean;
  /** What the server sent back, if anything. */
  answer(): string;
  destroy(): void;
}

/**
 * Opens a connection and stalls: `stage: "headers"` sends part of a request's headers; `stage: "body"`
 * sends full headers announcing `contentLength` bytes, then `sendBytes` of them.
 */
export function stallSender(
  url: string,
  path: string,
  options:
    | { stage: "headers" }
    | { stage: "body"; contentLength: number; sendBytes: number; headers?: Record<string, string> },
): Promise<StalledSender> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket: Socket = connect(Number(port), hostname);
    let answer = "";
    let isClosed = false;
    let stalledAt = Date.now();
    const closed = new Promise<{ afterMs: number }>((done) => {
      socket.once("close", () => {
        isClosed = true;
        done({ afterMs: Date.now() - stalledAt });
      });
    });
    const sender: StalledSender = {
      closed,
      isClosed: () => isClosed,
      answer: () => answer,
      destroy: () => socket.destroy(),
    };
    let settled = false;
    // Stalled once what was to be sent is sent; a server that refuses sooner has closed it by then.
    const stalled = () => {
      if (settled) return;
      settled = true;
      stalledAt = Date.now();
      resolve(sender);
    };
    socket.on("data", (data: Buffer) => {
      answer += data.toString("latin1");
    });
    socket.on("error", () => {
      // A reset counts as closed; "close" follows.
    });
    socket.once("close", stalled);
    socket.once("connect", () => {
      if (options.stage === "headers") {
        socket.write(
          `POST ${path} HTTP/1.1\r\nhost: ${hostname}:${port}\r\ncontent-type: application/x-www`,
          stalled,
        );
        return;
      }
      const head = Object.entries({
        host: `${hostname}:${port}`,
        "content-type": "application/json",
        "content-length": String(options.contentLength),
        ...options.headers,
      })
        .map(([name, value]) => `${name}: ${value}\r\n`)
        .join("");
      socket.write(`POST ${path} HTTP/1.1\r\n${head}\r\n`);
      socket.write(Buffer.alloc(options.sendBytes, "b"), stalled);
    });
  });
}
