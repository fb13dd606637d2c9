// Self-hosted runners often reach the internet only through a proxy (HTTPS_PROXY, HTTP_PROXY,
// NO_PROXY). @actions/github already honours it for the commit look-up; the Slack client uses plain
// fetch, which does not, so it gets the same proxy-aware dispatcher from @actions/http-client.
import { HttpClient } from "@actions/http-client";
import type { FetchFunction } from "@slack/web-api";
import { fetch as undiciFetch } from "undici";

/** A fetch that goes through the runner's proxy for `url`, or undefined when no proxy applies. */
export function proxyFetchFor(url: string): FetchFunction | undefined {
  const dispatcher = new HttpClient("slack-deploy-gate").getAgentDispatcher(url);
  if (!dispatcher) return undefined;
  return ((input, init) =>
    undiciFetch(input, { ...(init as Parameters<typeof undiciFetch>[1]), dispatcher })) as FetchFunction;
}
