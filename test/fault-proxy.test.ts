// The fault proxy (testkit/fault-proxy.ts) in front of a small recording server: each fault does to
// the request and its answer what the attack suite relies on, and everything that passes is recorded.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type FaultProxy, startFaultProxy } from "../testkit/fault-proxy.js";

interface Seen {
  method: string;
  path: string;
  authorization: string | undefined;
  body: string;
}

let upstream: Server;
let seen: Seen[];
let proxy: FaultProxy;
let slackProxy: FaultProxy;

beforeAll(async () => {
  seen = [];
  upstream = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      seen.push({
        method: req.method ?? "",
        path: req.url ?? "",
        authorization: req.headers.authorization,
        body: Buffer.concat(chunks).toString("utf8"),
      });
      if (req.url?.endsWith("/no-content")) {
        res.writeHead(204).end();
        return;
      }
      const body = JSON.stringify({ answered: req.url, filler: "x".repeat(200) });
      res.writeHead(201, { "content-type": "application/json", "x-upstream": "yes" }).end(body);
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
  const target = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  proxy = await startFaultProxy({ target });
  slackProxy = await startFaultProxy({ target, flavor: "slack" });
});

afterAll(async () => {
  await proxy?.close();
  await slackProxy?.close();
  await new Promise<void>((resolve) => upstream.close(() => resolve()));
});

afterEach(() => {
  proxy.clearRules();
  slackProxy.clearRules();
  seen.length = 0;
  proxy.requests.length = 0;
});

const post = (path: string, body = '{"a":1}', init: RequestInit = {}) =>
  fetch(`${proxy.url}${path}`, {
    method: "POST",
    headers: { authorization: "token abc", "content-type": "application/json" },
    body,
    ...init,
  });

describe("the fault proxy", () => {
  it("passes requests through untouched and records them", async () => {
    const answer = await post("/api/v3/repos/a/b?x=1", '{"hello":"world"}');
    expect(answer.status).toBe(201);
    expect(answer.headers.get("x-upstream")).toBe("yes");
    expect(await answer.json()).toMatchObject({ answered: "/api/v3/repos/a/b?x=1" });
    expect(seen).toEqual([
      {
        method: "POST",
        path: "/api/v3/repos/a/b?x=1",
        authorization: "token abc",
        body: '{"hello":"world"}',
      },
    ]);
    expect(proxy.requests).toMatchObject([
      {
        method: "POST",
        path: "/api/v3/repos/a/b?x=1",
        body: '{"hello":"world"}',
        fault: undefined,
        forwarded: true,
        upstreamStatus: 201,
        status: 201,
      },
    ]);
  });

  it("answers an error in the upstream's place for as many requests as the rule says, then passes", async () => {
    const rule = proxy.inject({
      method: "POST",
      path: /\/deployment_protection_rule$/,
      times: 2,
      fault: { kind: "respond", status: 500 },
    });
    const path = "/api/v3/repos/a/b/actions/runs/1/deployment_protection_rule";
    const statuses = [];
    for (let i = 0; i < 3; i += 1) statuses.push((await post(path)).status);
    expect(statuses).toEqual([500, 500, 201]);
    expect(rule.hits).toBe(2);
    expect(seen).toHaveLength(1);
    expect(proxy.requests.map((r) => [r.fault, r.forwarded])).toEqual([
      ["respond", false],
      ["respond", false],
      [undefined, true],
    ]);
  });

  it("matches the method and the path: other requests pass", async () => {
    proxy.inject({
      method: "POST",
      path: "/api/chat.update",
      times: Number.POSITIVE_INFINITY,
      fault: { kind: "respond", status: 503 },
    });
    expect((await post("/api/chat.update")).status).toBe(503);
    expect((await post("/api/chat.update?x=1")).status).toBe(503);
    expect((await post("/api/chat.postMessage")).status).toBe(201);
    expect((await fetch(`${proxy.url}/api/chat.update`)).status).toBe(201);
    expect((await post("/api/chat.update")).status).toBe(503);
    expect(proxy.matching("POST", "/api/chat.update")).toHaveLength(3);
  });

  it("stops applying a removed rule", async () => {
    const rule = proxy.inject({
      path: /./,
      times: Number.POSITIVE_INFINITY,
      fault: { kind: "respond", status: 500 },
    });
    expect((await post("/one")).status).toBe(500);
    rule.remove();
    expect((await post("/two")).status).toBe(201);
  });

  it("loses the answer after the upstream applied the request (a gateway's 502)", async () => {
    proxy.inject({ path: /runs\/7\/deployment_protection_rule/, fault: { kind: "lose-answer" } });
    const answer = await post(
      "/api/v3/repos/a/b/actions/runs/7/deployment_protection_rule",
      '{"state":"approved"}',
    );
    expect(answer.status).toBe(502);
    expect(await answer.text()).not.toContain("answered");
    expect(seen.map((s) => s.body)).toEqual(['{"state":"approved"}']);
    expect(proxy.requests[0]).toMatchObject({
      fault: "lose-answer",
      forwarded: true,
      upstreamStatus: 201,
      status: 502,
    });
  });

  it("sends Slack's 429 with Retry-After without forwarding", async () => {
    slackProxy.inject({ path: "/api/chat.update", fault: { kind: "rate-limit", retryAfterSeconds: 20 } });
    const limited = await fetch(`${slackProxy.url}/api/chat.update`, { method: "POST", body: "ts=1" });
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("20");
    expect(await limited.json()).toEqual({ ok: false, error: "ratelimited" });
    expect(seen).toEqual([]);
    const next = await fetch(`${slackProxy.url}/api/chat.update`, { method: "POST", body: "ts=1" });
    expect(next.status).toBe(201);
  });

  it("sends GitHub's secondary rate limit: 403, its message, Retry-After and the reset time", async () => {
    proxy.inject({
      path: /./,
      fault: { kind: "secondary-rate-limit", retryAfterSeconds: 70, resetAfterSeconds: 120 },
    });
    const before = Math.floor(Date.now() / 1000);
    const answer = await post("/api/v3/x");
    expect(answer.status).toBe(403);
    expect(answer.headers.get("retry-after")).toBe("70");
    expect(answer.headers.get("x-ratelimit-remaining")).toBe("0");
    const reset = Number(answer.headers.get("x-ratelimit-reset"));
    expect(reset).toBeGreaterThanOrEqual(before + 120);
    expect(((await answer.json()) as { message: string }).message).toMatch(/secondary rate limit/);
    expect(seen).toEqual([]);

    proxy.inject({ path: /./, fault: { kind: "secondary-rate-limit", retryAfterSeconds: 5 } });
    const bare = await post("/api/v3/x");
    expect(bare.headers.get("retry-after")).toBe("5");
    expect(bare.headers.get("x-ratelimit-remaining")).toBeNull();
  });

  it("sends GitHub's primary rate limit: 403 with no requests remaining until the reset", async () => {
    proxy.inject({ path: /./, fault: { kind: "primary-rate-limit", resetAfterSeconds: 30 } });
    const answer = await post("/api/v3/x");
    expect(answer.status).toBe(403);
    expect(answer.headers.get("x-ratelimit-remaining")).toBe("0");
    expect(Number(answer.headers.get("x-ratelimit-reset"))).toBeGreaterThan(Date.now() / 1000);
    expect(((await answer.json()) as { message: string }).message).toMatch(/rate limit exceeded/);
  });

  it("delays a request: one sent after it reaches the upstream first", async () => {
    proxy.inject({ path: "/slow", fault: { kind: "delay", ms: 400 } });
    const slow = post("/slow");
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await post("/fast")).status).toBe(201);
    expect((await slow).status).toBe(201);
    expect(seen.map((s) => s.path)).toEqual(["/fast", "/slow"]);
  });

  it("holds requests until the test releases them, then forwards them in order", async () => {
    const rule = proxy.inject({ path: "/ordered", times: 2, fault: { kind: "hold" } });
    const first = post("/ordered", '{"n":1}');
    await expect.poll(() => rule.held).toBe(1);
    expect((await post("/other")).status).toBe(201);
    expect(seen.map((s) => s.path)).toEqual(["/other"]);
    rule.release();
    expect((await first).status).toBe(201);
    // Released: what the rule takes from now on passes at once.
    expect((await post("/ordered", '{"n":2}')).status).toBe(201);
    expect(seen.map((s) => s.body)).toEqual(['{"a":1}', '{"n":1}', '{"n":2}']);
    expect(rule.hits).toBe(2);
  });

  it("holds a request unanswered and unforwarded until the client gives up", async () => {
    proxy.inject({ path: "/held", fault: { kind: "hang" } });
    await expect(post("/held", "{}", { signal: AbortSignal.timeout(300) })).rejects.toThrow();
    expect(seen).toEqual([]);
    expect(proxy.requests[0]).toMatchObject({ fault: "hang", forwarded: false });
    expect(proxy.requests[0]?.status).toBeUndefined();
  });

  it("applies a request and never answers it", async () => {
    proxy.inject({ path: "/applied", fault: { kind: "hang-after-forward" } });
    await expect(post("/applied", "{}", { signal: AbortSignal.timeout(500) })).rejects.toThrow();
    expect(seen.map((s) => s.path)).toEqual(["/applied"]);
    expect(proxy.requests[0]).toMatchObject({ forwarded: true, upstreamStatus: 201 });
    expect(proxy.requests[0]?.status).toBeUndefined();
  });

  it("drops the connection before forwarding", async () => {
    proxy.inject({ path: "/dropped", fault: { kind: "drop", when: "before-forward" } });
    await expect(post("/dropped")).rejects.toThrow(/fetch failed/);
    expect(seen).toEqual([]);
  });

  it("drops the connection in the middle of the answer, after the upstream applied it", async () => {
    proxy.inject({ path: "/cut", fault: { kind: "drop", when: "mid-response" } });
    const answer = await post("/cut");
    expect(answer.status).toBe(201);
    await expect(answer.text()).rejects.toThrow();
    expect(seen.map((s) => s.path)).toEqual(["/cut"]);

    // An answer without a body (GitHub's 204) is lost whole.
    proxy.inject({ path: "/no-content", fault: { kind: "drop", when: "mid-response" } });
    await expect(post("/no-content")).rejects.toThrow(/fetch failed/);
    expect(seen.map((s) => s.path)).toEqual(["/cut", "/no-content"]);
  });
});
