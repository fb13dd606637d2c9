// GitHub's successful answers read and parsed by the App instead of by @octokit/request, which parses
// JSON with a JavaScript parser (json-with-bigint) that turns integers past 2^53 into BigInt: several
// times slower than JSON.parse (0.26 vs 0.04 ms for a workflow run, warm; the run is read on every
// click, before the decision), and of no use here, where every id is typed and compared as a number.
// Everything else is as Octokit does it: JSON (application/json, application/scim+json) parsed, or
// the text when it does not parse; text/* and charset=utf-8 as text (never application/octet-stream);
// the rest as an ArrayBuffer. Errors, 204s, HEAD and 304 answers are left to Octokit.
import type { ProbotOctokit } from "probot";

type OctokitPlugin = Parameters<typeof ProbotOctokit.plugin>[0];
type Options = { request?: { parseSuccessResponseBody?: boolean } };

export const jsonBodyOctokitPlugin: OctokitPlugin = (octokit) => {
  octokit.hook.wrap("request", async (request, options) => {
    const opts = options as Options;
    // A caller that asked for the raw body gets it.
    if (opts.request?.parseSuccessResponseBody === false) return request(options);
    // A copy: the caller's options go round again unchanged when a call is retried (pacing.ts).
    const response = await request({
      ...options,
      request: { ...opts.request, parseSuccessResponseBody: false },
    } as typeof options);
    const body = response.data as unknown;
    if (!isStream(body)) return response;
    const contentType = response.headers["content-type"];
    (response as { data: unknown }).data = await readBody(
      new Response(body),
      typeof contentType === "string" ? contentType : undefined,
    );
    return response;
  });
};

function isStream(body: unknown): body is ReadableStream {
  return typeof (body as ReadableStream | null)?.getReader === "function";
}

async function readBody(response: Response, contentType: string | undefined): Promise<unknown> {
  if (!contentType) return response.text().catch(() => "");
  const [type = "", ...parameters] = contentType.split(";").map((part) => part.trim().toLowerCase());
  if (type === "application/json" || type === "application/scim+json") {
    let text = "";
    try {
      text = await response.text();
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  const charset = parameters.find((p) => p.startsWith("charset="))?.slice("charset=".length);
  const utf8 = charset?.replace(/"/g, "") === "utf-8";
  if (type.startsWith("text/") || (utf8 && type !== "application/octet-stream")) {
    return response.text().catch(() => "");
  }
  return response.arrayBuffer().catch(() => new ArrayBuffer(0));
}
