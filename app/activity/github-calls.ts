// An Octokit plugin that puts every GitHub REST call made for a request (a click's checks, an effect's
// review or check run) on that request's timeline: method, route template, status, latency, and the
// retries Octokit made. Calls made for no request (token refreshes at start-up, the sweep's look-ups
// outside an effect) are not recorded. Nothing of the request or the answer is kept beyond that.
import type { ProbotOctokit } from "probot";
import { currentActivity } from "./context.js";

type OctokitPlugin = Parameters<typeof ProbotOctokit.plugin>[0];

export const activityOctokitPlugin: OctokitPlugin = (octokit) => {
  octokit.hook.wrap("request", async (request, options) => {
    const context = currentActivity();
    const about = context?.request;
    if (!context || !about) return request(options);
    const started = performance.now();
    const record = (status: number | null, error?: string) => {
      const retries = (options.request as { retryCount?: unknown } | undefined)?.retryCount;
      try {
        context.sink.record(about, {
          kind: "github",
          method: String(options.method ?? "GET").toUpperCase(),
          route: String(options.url ?? "").slice(0, 200),
          status,
          ms: Math.round(performance.now() - started),
          ...(typeof retries === "number" && retries > 0 ? { retry: retries } : {}),
          ...(context.effect ? { effect: context.effect } : {}),
          ...(error ? { error: error.slice(0, 200) } : {}),
        });
      } catch {
        // Recording must never break the call it records.
      }
    };
    try {
      const response = await request(options);
      record(response.status);
      return response;
    } catch (error) {
      const status = (error as { status?: unknown }).status;
      record(
        typeof status === "number" ? status : null,
        typeof status === "number" ? undefined : (error as Error).message,
      );
      throw error;
    }
  });
};
