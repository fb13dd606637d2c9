// Signs requests the way Slack does (v0: HMAC-SHA256 over `v0:{timestamp}:{body}`) and posts them
// to the App's interactivity route as Slack would: a form with one `payload` field holding JSON.
import { createHmac } from "node:crypto";

export interface SlackSignatureHeaders {
  "x-slack-signature": string;
  "x-slack-request-timestamp": string;
}

export function signSlackRequest(
  body: string,
  secret: string,
  timestampSeconds: number = Math.floor(Date.now() / 1000),
): SlackSignatureHeaders {
  const timestamp = String(timestampSeconds);
  const digest = createHmac("sha256", secret).update(`v0:${timestamp}:${body}`).digest("hex");
  return { "x-slack-signature": `v0=${digest}`, "x-slack-request-timestamp": timestamp };
}

/** `payload=<url-encoded JSON>`, byte for byte what Slack sends. */
export function formEncodePayload(payload: unknown): string {
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

export interface PostOptions {
  /** Sign as of this Unix time (seconds); defaults to now. */
  timestampSeconds?: number;
  /** Sign this body but send `sendBody` instead (a body tampered with in transit). */
  sendBody?: string;
  /** Headers to add or override (e.g. a forged signature). */
  headers?: Record<string, string>;
  /** Signature headers to leave out. */
  omit?: Array<keyof SlackSignatureHeaders>;
}

export interface RouteResponse {
  status: number;
  body: string;
  headers: Headers;
}

export async function postSignedToSlackRoute(
  url: string,
  payload: unknown,
  secret: string,
  opts: PostOptions = {},
): Promise<RouteResponse> {
  const body = formEncodePayload(payload);
  return postSignedBody(url, body, secret, opts);
}

/** Posts any body (not necessarily a payload form) signed with `secret`. */
export async function postSignedBody(
  url: string,
  body: string,
  secret: string,
  opts: PostOptions = {},
): Promise<RouteResponse> {
  const signature: Partial<SlackSignatureHeaders> = signSlackRequest(body, secret, opts.timestampSeconds);
  for (const name of opts.omit ?? []) delete signature[name];
  const response = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      "user-agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
      ...signature,
      ...opts.headers,
    },
    body: opts.sendBody ?? body,
  });
  return { status: response.status, body: await response.text(), headers: response.headers };
}
