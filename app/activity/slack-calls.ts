// The Slack calls made for a request (an ephemeral reply, the reason form, a message update, a thread
// reply), on that request's timeline: the Web API method, ok or Slack's error code, and latency. The
// SlackApi is wrapped as it is handed out; calls made for no request are only counted (metrics).
import { metrics } from "../metrics.js";
import { classifySlackError, type SlackApi } from "../slack/api.js";
import { currentActivity } from "./context.js";

/**
 * SlackApi method → the Web API method it calls. Group members, names and permalinks are left out:
 * they are answered from a cache (no call to record) or never fail.
 */
const METHODS: Partial<Record<keyof SlackApi, string>> = {
  postMessage: "chat.postMessage",
  readMessage: "conversations.history",
  updateMessage: "chat.update",
  postThreadReply: "chat.postMessage",
  postEphemeral: "chat.postEphemeral",
  openModal: "views.open",
  updateModal: "views.update",
};

export function recordSlackCalls(slack: SlackApi): SlackApi {
  const wrapped = { ...slack };
  for (const [name, method] of Object.entries(METHODS) as Array<[keyof SlackApi, string]>) {
    const original = slack[name] as (...args: unknown[]) => Promise<unknown>;
    (wrapped as Record<string, unknown>)[name] = async (...args: unknown[]) => {
      const context = currentActivity();
      const about = context?.request;
      if (!context || !about) {
        return (original.apply(slack, args) as Promise<unknown>).catch((error: unknown) => {
          metrics.slackApiError(method, classifySlackError(error).code);
          throw error;
        });
      }
      const started = performance.now();
      const record = (ok: boolean, code?: string) => {
        try {
          context.sink.record(about, {
            kind: "slack",
            method,
            ok,
            ...(code ? { code: code.slice(0, 80) } : {}),
            ms: Math.round(performance.now() - started),
            ...(context.effect ? { effect: context.effect } : {}),
          });
        } catch {
          // Recording must never break the call it records.
        }
      };
      try {
        const result = await original.apply(slack, args);
        record(true);
        return result;
      } catch (error) {
        const { code } = classifySlackError(error);
        record(false, code);
        metrics.slackApiError(method, code);
        throw error;
      }
    };
  }
  return wrapped;
}
