import { createHmac } from "node:crypto";
import { once } from "node:events";
import { createServer, type IncomingMessage, request, type Server } from "node:http";
import { type AddressInfo, connect } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { BodyTooLargeError, RequestAbortedError, readBody } from "../app/slack/read-body.js";
import { MAX_CLOCK_SKEW_SECONDS, verifySlackSignature } from "../app/slack/verify.js";
import { signSlackRequest } from "../testkit/helpers/slack-sign.js";

// Slack's worked example from "Verifying requests from Slack" (docs.slack.dev/authentication/
// verifying-requests-from-slack): a slash-command body, its timestamp, the secret and the signature.
const DOC_SECRET = "8f742231b10e8888abcd99yyyzzz85a5";
const DOC_TIMESTAMP = "1531420618";
const DOC_BODY =
  "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
const DOC_SIGNATURE = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";
const DOC_NOW = Number(DOC_TIMESTAMP);

function verifyDoc(overrides: Partial<Parameters<typeof verifySlackSignature>[0]> = {}) {
  return verifySlackSignature({
    signingSecret: DOC_SECRET,
    timestamp: DOC_TIMESTAMP,
    signature: DOC_SIGNATURE,
    rawBody: Buffer.from(DOC_BODY),
    now: DOC_NOW,
    ...overrides,
  });
}

describe("verifySlackSignature", () => {
  it("accepts Slack's documented example", () => {
    expect(verifyDoc()).toEqual({ ok: true });
  });

  it("accepts the edges of the five-minute window, both ways", () => {
    expect(verifyDoc({ now: DOC_NOW + MAX_CLOCK_SKEW_SECONDS })).toEqual({ ok: true });
    expect(verifyDoc({ now: DOC_NOW - MAX_CLOCK_SKEW_SECONDS })).toEqual({ ok: true });
  });

  it("refuses a stale request (301 s old)", () => {
    expect(verifyDoc({ now: DOC_NOW + 301 })).toEqual({ ok: false, reason: "stale timestamp (301s old)" });
  });

  it("refuses a request from the future (301 s ahead)", () => {
    expect(verifyDoc({ now: DOC_NOW - 301 })).toEqual({
      ok: false,
      reason: "timestamp in the future (301s ahead)",
    });
  });

  it("refuses a tampered body, even by one byte", () => {
    const tampered = DOC_BODY.replace("user_name=roadrunner", "user_name=roadrunnes");
    expect(verifyDoc({ rawBody: Buffer.from(tampered) })).toEqual({
      ok: false,
      reason: "signature mismatch",
    });
    expect(verifyDoc({ rawBody: Buffer.from(`${DOC_BODY}&`) })).toEqual({
      ok: false,
      reason: "signature mismatch",
    });
  });

  it("refuses a signature made with another secret", () => {
    expect(verifyDoc({ signingSecret: "another-secret" })).toEqual({
      ok: false,
      reason: "signature mismatch",
    });
  });

  it("refuses a replayed signature under a fresh timestamp", () => {
    // The timestamp is part of what is signed: moving it forward breaks the signature.
    expect(verifyDoc({ timestamp: String(DOC_NOW + 10), now: DOC_NOW + 10 })).toEqual({
      ok: false,
      reason: "signature mismatch",
    });
  });

  it("refuses missing headers", () => {
    expect(verifyDoc({ timestamp: undefined })).toEqual({
      ok: false,
      reason: "missing X-Slack-Request-Timestamp header",
    });
    expect(verifyDoc({ signature: undefined })).toEqual({
      ok: false,
      reason: "missing X-Slack-Signature header",
    });
    expect(verifyDoc({ signature: "" })).toEqual({ ok: false, reason: "missing X-Slack-Signature header" });
  });

  it("refuses repeated headers", () => {
    expect(verifyDoc({ signature: [DOC_SIGNATURE, DOC_SIGNATURE] })).toEqual({
      ok: false,
      reason: "repeated X-Slack-Signature header",
    });
  });

  it("refuses malformed signatures without throwing", () => {
    const cases = [
      "v0=abc", // too short: timingSafeEqual would throw on unequal lengths
      `${DOC_SIGNATURE}00`, // too long
      DOC_SIGNATURE.replace("v0=", "v0:"),
      DOC_SIGNATURE.replace("a2114d", "z2114d"), // not hex
      DOC_SIGNATURE.slice(3), // no version prefix
    ];
    for (const signature of cases) {
      const result = verifyDoc({ signature });
      expect(result.ok, signature).toBe(false);
    }
    expect(verifyDoc({ signature: "v1=00" })).toEqual({
      ok: false,
      reason: "unsupported X-Slack-Signature version",
    });
    expect(verifyDoc({ signature: "v0=abc" })).toEqual({
      ok: false,
      reason: "malformed X-Slack-Signature header",
    });
  });

  it("refuses non-numeric timestamps", () => {
    for (const timestamp of ["abc", "1531420618.5", "-1531420618", " 1531420618", "1e9", "0x5b47f44a"]) {
      expect(verifyDoc({ timestamp }), timestamp).toEqual({
        ok: false,
        reason: "malformed X-Slack-Request-Timestamp header",
      });
    }
  });

  it("refuses everything when no secret is configured", () => {
    expect(verifyDoc({ signingSecret: "" })).toEqual({ ok: false, reason: "no signing secret configured" });
  });

  it("never puts the secret or the expected signature in a reason", () => {
    const results = [verifyDoc({ signingSecret: "s3cret-value" }), verifyDoc({ now: DOC_NOW + 1000 })];
    for (const result of results) {
      expect(result.ok).toBe(false);
      const reason = result.ok ? "" : result.reason;
      expect(reason).not.toContain("s3cret");
      expect(reason).not.toMatch(/[0-9a-f]{16}/);
    }
  });

  it("agrees with the test signer on the system clock", () => {
    const body = "payload=%7B%22type%22%3A%22block_actions%22%7D";
    const headers = signSlackRequest(body, "test-secret");
    expect(
      verifySlackSignature({
        signingSecret: "test-secret",
        timestamp: headers["x-slack-request-timestamp"],
        signature: headers["x-slack-signature"],
        rawBody: Buffer.from(body),
      }),
    ).toEqual({ ok: true });
    const doc = signSlackRequest(DOC_BODY, DOC_SECRET, DOC_NOW);
    expect(doc["x-slack-signature"]).toBe(DOC_SIGNATURE);
  });

  it("verifies the raw bytes, not a re-encoding of them", () => {
    // Latin-1 bytes that are not valid UTF-8 must be signed and checked as they are.
    const raw = Buffer.from([0x70, 0x3d, 0xe9, 0xff, 0x00, 0x41]);
    const signature = `v0=${createHmac("sha256", "k")
      .update(Buffer.concat([Buffer.from("v0:100:"), raw]))
      .digest("hex")}`;
    expect(
      verifySlackSignature({ signingSecret: "k", timestamp: "100", signature, rawBody: raw, now: 100 }),
    ).toEqual({
      ok: true,
    });
    expect(
      verifySlackSignature({
        signingSecret: "k",
        timestamp: "100",
        signature,
        rawBody: Buffer.from(raw.toString("utf8")),
        now: 100,
      }).ok,
    ).toBe(false);
  });
});

// ---- readBody, against a real server on loopback ----

type Outcome = { body: Buffer } | { error: unknown };

let server: Server | undefined;
afterEach(async () => {
  if (server) {
    server.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    server = undefined;
  }
});

/** A server whose handler reads the body with `limit` and reports what readBody did. */
async function startReader(
  limit: number,
  onRequest: () => void = () => {},
): Promise<{ port: number; outcomes: AsyncIterator<Outcome> }> {
  const queue: Outcome[] = [];
  const waiters: Array<(o: Outcome) => void> = [];
  const push = (outcome: Outcome) => {
    const waiter = waiters.shift();
    if (waiter) waiter(outcome);
    else queue.push(outcome);
  };
  server = createServer((req: IncomingMessage, res) => {
    onRequest();
    readBody(req, limit).then(
      (body) => {
        push({ body });
        res.end(`read ${body.length}`);
      },
      (error) => {
        push({ error });
        if (error instanceof BodyTooLargeError) {
          res.writeHead(413, { connection: "close" }).end("too large");
        } else {
          res.destroy();
        }
      },
    );
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const port = (server.address() as AddressInfo).port;
  const outcomes: AsyncIterator<Outcome> = {
    next: () =>
      new Promise((resolve) => {
        const queued = queue.shift();
        if (queued) resolve({ value: queued, done: false });
        else waiters.push((value) => resolve({ value, done: false }));
      }),
  };
  return { port, outcomes };
}

function send(
  port: number,
  body: Buffer | Buffer[],
  headers: Record<string, string | number> = {},
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, method: "POST", path: "/", headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
    });
    // The server may answer 413 and close before the rest is written; that is expected.
    req.on("error", reject);
    for (const chunk of Array.isArray(body) ? body : [body]) req.write(chunk);
    req.end();
  });
}

describe("readBody", () => {
  it("returns the exact bytes, up to and including the limit", async () => {
    const { port, outcomes } = await startReader(16);
    const bytes = Buffer.from([0, 1, 2, 0xff, 0xfe, 0x80, 10, 13, 65, 66, 67, 68, 69, 70, 71, 72]);
    const response = await send(port, bytes, { "content-length": bytes.length });
    expect(response).toEqual({ status: 200, text: "read 16" });
    const outcome = (await outcomes.next()).value as { body: Buffer };
    expect(outcome.body.equals(bytes)).toBe(true);
  });

  it("reads a chunked body sent in pieces", async () => {
    const { port, outcomes } = await startReader(1024);
    const response = await send(port, [Buffer.from("payload="), Buffer.from("%7B%7D")], {
      "transfer-encoding": "chunked",
    });
    expect(response.status).toBe(200);
    expect(((await outcomes.next()).value as { body: Buffer }).body.toString()).toBe("payload=%7B%7D");
  });

  it("reads an empty body", async () => {
    const { port, outcomes } = await startReader(1024);
    await send(port, Buffer.alloc(0), { "content-length": 0 });
    expect(((await outcomes.next()).value as { body: Buffer }).body.length).toBe(0);
  });

  it("refuses by Content-Length before reading anything", async () => {
    const { port, outcomes } = await startReader(1024);
    // Declare a large body but send none of it: only the up-front check can answer.
    const socket = connect(port, "127.0.0.1");
    await once(socket, "connect");
    socket.write("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5000000\r\n\r\n");
    const outcome = (await outcomes.next()).value as { error: unknown };
    expect(outcome.error).toBeInstanceOf(BodyTooLargeError);
    expect((outcome.error as BodyTooLargeError).limitBytes).toBe(1024);
    const [reply] = (await once(socket, "data")) as [Buffer];
    expect(reply.toString()).toMatch(/^HTTP\/1\.1 413 /);
    socket.destroy();
  });

  it("refuses a chunked body that grows past the limit while streaming", async () => {
    const { port, outcomes } = await startReader(1024);
    const response = await send(port, [Buffer.alloc(600, 97), Buffer.alloc(600, 98)], {
      "transfer-encoding": "chunked",
    }).catch((error: unknown) => ({ status: -1, text: String(error) }));
    const outcome = (await outcomes.next()).value as { error: unknown };
    expect(outcome.error).toBeInstanceOf(BodyTooLargeError);
    // The client may see the 413 or a reset, depending on how much it had written; never a 200.
    expect(response.status).not.toBe(200);
  });

  it("rejects with RequestAbortedError when the client goes away mid-body", async () => {
    let started: () => void = () => {};
    const handlerStarted = new Promise<void>((resolve) => {
      started = resolve;
    });
    const { port, outcomes } = await startReader(1024, () => started());
    const socket = connect(port, "127.0.0.1");
    await once(socket, "connect");
    socket.write("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly-part");
    // Once the server is reading this request, vanish with 91 bytes still owed.
    await handlerStarted;
    socket.destroy();
    const outcome = (await outcomes.next()).value as { error: unknown };
    expect(outcome.error).toBeInstanceOf(RequestAbortedError);
  });
});
