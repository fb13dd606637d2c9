// GitHub's answers as the App's Octokit reads them (app/github/json-body.ts): the same data Octokit
// would give for every kind of body, parsed with JSON.parse; retried calls read their own answer.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AppOctokit } from "../app/github/octokit.js";

let server: Server;
let octokit: InstanceType<typeof AppOctokit>;
let failuresLeft = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = req.url ?? "";
    const send = (status: number, type: string | undefined, body: string | Buffer) =>
      res.writeHead(status, type ? { "content-type": type } : {}).end(body);
    if (path === "/json")
      return send(200, "application/json; charset=utf-8", '{"id":42,"name":"run","n":[1,2]}');
    if (path === "/scim") return send(200, "application/scim+json", '{"id":7}');
    if (path === "/not-json") return send(200, "application/json", "not json at all");
    if (path === "/text") return send(200, "text/plain", "plain words");
    if (path === "/utf8") return send(200, "application/x-thing; charset=utf-8", "some text");
    if (path === "/binary")
      return send(200, "application/octet-stream; charset=utf-8", Buffer.from([0, 1, 2, 255]));
    if (path === "/untyped") return send(200, undefined, "no type");
    if (path === "/empty") return send(204, undefined, "");
    if (path === "/flaky") {
      if (failuresLeft > 0) {
        failuresLeft -= 1;
        return send(502, "application/json", '{"message":"bad gateway"}');
      }
      return send(200, "application/json", '{"ok":true}');
    }
    if (path === "/missing") return send(404, "application/json", '{"message":"Not Found"}');
    return send(500, "text/plain", "unexpected");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  octokit = new AppOctokit({
    baseUrl: `http://127.0.0.1:${port}`,
    auth: { token: "test-token" },
    retry: { retryAfterBaseValue: 1 },
  } as ConstructorParameters<typeof AppOctokit>[0]);
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const get = (path: string) => octokit.request(`GET ${path}`);

describe("the bodies of GitHub's answers", () => {
  it("parses JSON into plain values", async () => {
    expect((await get("/json")).data).toEqual({ id: 42, name: "run", n: [1, 2] });
    expect((await get("/scim")).data).toEqual({ id: 7 });
  });

  it("gives the text of JSON that does not parse, and of text", async () => {
    expect((await get("/not-json")).data).toBe("not json at all");
    expect((await get("/text")).data).toBe("plain words");
    expect((await get("/utf8")).data).toBe("some text");
    expect((await get("/untyped")).data).toBe("no type");
  });

  it("gives binary bodies as bytes, whatever charset they claim", async () => {
    const { data } = await get("/binary");
    expect(data).toBeInstanceOf(ArrayBuffer);
    expect([...new Uint8Array(data as ArrayBuffer)]).toEqual([0, 1, 2, 255]);
  });

  it("leaves empty answers and errors as Octokit gives them", async () => {
    const empty = await get("/empty");
    expect([empty.status, empty.data]).toEqual([204, ""]);
    await expect(get("/missing")).rejects.toMatchObject({
      status: 404,
      response: { data: { message: "Not Found" } },
    });
  });

  it("reads the answer of the attempt that succeeded when a call is retried", async () => {
    failuresLeft = 2;
    const { data } = await octokit.request("GET /flaky", { request: { retries: 2 } });
    expect(data).toEqual({ ok: true });
  });

  it("hands the raw body to a caller that asks for it", async () => {
    const { data } = await octokit.request("GET /json", { request: { parseSuccessResponseBody: false } });
    expect(await new Response(data as ReadableStream).text()).toBe('{"id":42,"name":"run","n":[1,2]}');
  });
});
