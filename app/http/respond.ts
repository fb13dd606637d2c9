// Answers the App's routes give, in one shape. A refusal sent before the body was read closes the
// connection: the unread rest of the body must not be parsed as a next request, nor hold the socket.
import type { ServerResponse } from "node:http";

/** How long a refused client has to read the answer before its socket is closed. */
const LINGER_MS = 1000;

export interface Answer {
  text?: string;
  json?: unknown;
  headers?: Record<string, string>;
  /** `Connection: close`, and the socket is destroyed shortly after the answer is sent. */
  close?: boolean;
}

export function answer(res: ServerResponse, status: number, options: Answer = {}): void {
  const headers: Record<string, string> = { ...options.headers };
  let body: string | undefined;
  if (options.json !== undefined) {
    body = JSON.stringify(options.json);
    headers["content-type"] = "application/json; charset=utf-8";
  } else if (options.text !== undefined) {
    body = options.text;
    headers["content-type"] = "text/plain; charset=utf-8";
  }
  if (options.close) {
    headers.connection = "close";
    const socket = res.socket;
    res.once("finish", () => {
      // Closing at once could reset the connection before the client has read the answer; waiting for
      // the client to close could let it hold the socket by never reading.
      setTimeout(() => socket?.destroy(), LINGER_MS).unref();
    });
  }
  res.writeHead(status, headers).end(body);
}
