// An Octokit plugin that times every GitHub REST call the App makes (app and installation tokens
// alike) and counts it by route template and status: the view of GitHub an operator alerts on.
import type { ProbotOctokit } from "probot";
import { metrics } from "../metrics.js";

type OctokitPlugin = Parameters<typeof ProbotOctokit.plugin>[0];

export const githubMetricsPlugin: OctokitPlugin = (octokit) => {
  octokit.hook.wrap("request", async (request, options) => {
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;
    try {
      const response = await request(options);
      metrics.githubRequest(options.method, options.url, response.status, seconds());
      return response;
    } catch (error) {
      const status = (error as { status?: unknown }).status;
      metrics.githubRequest(
        options.method,
        options.url,
        typeof status === "number" ? status : "error",
        seconds(),
      );
      throw error;
    }
  });
};
