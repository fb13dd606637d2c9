// Every Prometheus metric the App exports, in one registry, behind a small API that the rest of the App
// calls (`metrics.click("approve", "counted")`). Served at GET /metrics (app/ops/routes.ts).
//
// One registry per process: counters add up across App instances in one process (tests read deltas).
// Label values come from fixed unions where the code knows them; values that come from outside (Slack
// error codes, GitHub routes) are normalised and capped, so no caller can grow the series without bound.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { Mode } from "../common/reference.js";
import type { ClickOutcome } from "./activity/types.js";
import type { Decision, EffectKind, EffectOutcome } from "./store/types.js";

const PREFIX = "slack_deploy_gate_";

/** What a Slack interaction was (the kinds of app/slack/interaction.ts). */
export type ClickKind = "approve" | "reject_clicked" | "reject_submitted" | "unreadable_button";

/** How a click ended: the activity record's word for it (app/activity/types.ts), one word per idea. */
export type { ClickOutcome };

export type EffectResult = EffectOutcome["state"];

/** Why a Slack request was answered 503 instead of being taken. */
export type ShedReason = "queue_full" | "shutting_down";

export interface WorkQueueSnapshot {
  /** Accepted, waiting for a worker. */
  queued: number;
  /** Being worked on now. */
  running: number;
}

const MAX_LABEL_VALUES = 200;
const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export const registry = new Registry();
collectDefaultMetrics({ register: registry });

const clicks = new Counter({
  name: `${PREFIX}clicks_total`,
  help: "Slack interactions handled, by kind and outcome.",
  labelNames: ["kind", "outcome"] as const,
  registers: [registry],
});

const decisions = new Counter({
  name: `${PREFIX}decisions_total`,
  help: "Decisions taken (each request is decided once across all replicas), by decision and mode.",
  labelNames: ["decision", "mode"] as const,
  registers: [registry],
});

const githubDeliveries = new Counter({
  name: `${PREFIX}github_deliveries_total`,
  help: "Attempts to tell GitHub a decision (review, check run, dispatch), by effect and result.",
  labelNames: ["effect", "result"] as const,
  registers: [registry],
});

const githubDeliverySeconds = new Histogram({
  name: `${PREFIX}github_delivery_duration_seconds`,
  help: "How long one attempt to tell GitHub a decision took, by effect and result.",
  labelNames: ["effect", "result"] as const,
  buckets: SECONDS,
  registers: [registry],
});

const slackEffects = new Counter({
  name: `${PREFIX}slack_effects_total`,
  help: "Attempts to update Slack after a click (message update, thread reply, ephemeral), by effect and result.",
  labelNames: ["effect", "result"] as const,
  registers: [registry],
});

const slackApiErrors = new Counter({
  name: `${PREFIX}slack_api_errors_total`,
  help: "Slack Web API calls that failed, by method and Slack's error code.",
  labelNames: ["method", "code"] as const,
  registers: [registry],
});

const slackRequests = new Counter({
  name: `${PREFIX}slack_requests_total`,
  help: "Requests to POST /slack/interactions, by HTTP status the App answered.",
  labelNames: ["status"] as const,
  registers: [registry],
});

const slackAckSeconds = new Histogram({
  name: `${PREFIX}slack_ack_duration_seconds`,
  help: "Time from receiving a Slack request to answering it (Slack gives up after 3 s).",
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3],
  registers: [registry],
});

const shed = new Counter({
  name: `${PREFIX}work_shed_total`,
  help: "Slack requests answered 503 instead of being taken, by reason.",
  labelNames: ["reason"] as const,
  registers: [registry],
});

const queueSources = new Set<() => WorkQueueSnapshot>();
const sum = (pick: (s: WorkQueueSnapshot) => number) =>
  [...queueSources].reduce((total, source) => total + pick(source()), 0);

new Gauge({
  name: `${PREFIX}work_queue_depth`,
  help: "Acknowledged Slack interactions waiting for a worker.",
  registers: [registry],
  collect() {
    this.set(sum((s) => s.queued));
  },
});

new Gauge({
  name: `${PREFIX}work_in_flight`,
  help: "Acknowledged Slack interactions being worked on now.",
  registers: [registry],
  collect() {
    this.set(sum((s) => s.running));
  },
});

const recovered = new Counter({
  name: `${PREFIX}interactions_recovered_total`,
  help: "Acknowledged interactions that an earlier process left unfinished and this one took over.",
  registers: [registry],
});

const webhooks = new Counter({
  name: `${PREFIX}webhooks_total`,
  help: "GitHub webhook deliveries, by event and the HTTP status the App answered (event `refused` for 4xx: unverified or malformed).",
  labelNames: ["event", "status"] as const,
  registers: [registry],
});

const githubRequests = new Counter({
  name: `${PREFIX}github_requests_total`,
  help: "GitHub REST API calls, by method, route and HTTP status (`error` when no answer came).",
  labelNames: ["method", "route", "status"] as const,
  registers: [registry],
});

const githubRequestSeconds = new Histogram({
  name: `${PREFIX}github_request_duration_seconds`,
  help: "GitHub REST API call latency, by method and route.",
  labelNames: ["method", "route"] as const,
  buckets: SECONDS,
  registers: [registry],
});

const activityEvents = new Counter({
  name: `${PREFIX}activity_events_total`,
  help: "Events of the activity record (app/activity/), by result: written, or dropped (buffer full or writes failing).",
  labelNames: ["result"] as const,
  registers: [registry],
});

const draining = new Gauge({
  name: `${PREFIX}shutting_down`,
  help: "1 while this process drains after SIGTERM (it takes no new Slack requests).",
  registers: [registry],
});

/** Keeps a label's distinct values bounded: past the cap (or for a malformed value) it reads `other`. */
function boundedLabel(pattern: RegExp) {
  const seen = new Set<string>();
  return (value: string): string => {
    if (!pattern.test(value)) return "other";
    if (seen.has(value)) return value;
    if (seen.size >= MAX_LABEL_VALUES) return "other";
    seen.add(value);
    return value;
  };
}

const slackMethodLabel = boundedLabel(/^[a-z][A-Za-z.]{0,60}$/);
const slackCodeLabel = boundedLabel(/^[a-z0-9_]{1,60}$/);
const eventLabel = boundedLabel(/^[a-z_]{1,60}$/);
const routeLabel = boundedLabel(/^\/[A-Za-z0-9_{}/.-]{0,200}$/);

export const metrics = {
  /** One Slack interaction, once its outcome is known. */
  click(kind: ClickKind, outcome: ClickOutcome): void {
    clicks.inc({ kind, outcome });
  },

  /** The process that took a decision (store.decide returned true) counts it. */
  decision(decision: Decision, mode: Mode): void {
    decisions.inc({ decision, mode });
  },

  /** One attempt at an effect (app/effects), with how long it took. */
  effect(kind: EffectKind, result: EffectResult, seconds: number): void {
    const [system, name] = kind.split(".") as [string, string];
    if (system === "github") {
      githubDeliveries.inc({ effect: name, result });
      githubDeliverySeconds.observe({ effect: name, result }, seconds);
    } else {
      slackEffects.inc({ effect: name, result });
    }
  },

  /** A Slack Web API call answered `ok: false` (code = Slack's `error`), or failed (`http_5xx`, `timeout`, …). */
  slackApiError(method: string, code: string): void {
    slackApiErrors.inc({ method: slackMethodLabel(method), code: slackCodeLabel(code) });
  },

  /** Interactions a crashed or stopped process had acknowledged and this one picked up. */
  interactionsRecovered(count = 1): void {
    recovered.inc(count);
  },

  /**
   * Reports the work queue's size at every scrape. Returns a function that stops reporting it (when
   * the App that owns the queue stops).
   */
  watchWorkQueue(source: () => WorkQueueSnapshot): () => void {
    queueSources.add(source);
    return () => {
      queueSources.delete(source);
    };
  },

  // ---- Wired by app/ops: HTTP, webhooks, GitHub requests, shutdown ----

  slackRequest(status: number, seconds: number): void {
    slackRequests.inc({ status: String(status) });
    slackAckSeconds.observe(seconds);
  },

  shed(reason: ShedReason): void {
    shed.inc({ reason });
  },

  /** The event name is GitHub's only once the signature checked out (200 or 500), else `refused`. */
  webhook(event: string, status: number): void {
    const verified = status < 400 || status >= 500;
    webhooks.inc({ event: verified ? eventLabel(event) : "refused", status: String(status) });
  },

  githubRequest(method: string, route: string, status: number | "error", seconds: number): void {
    const labels = { method: method.toUpperCase(), route: routeLabel(route) };
    githubRequests.inc({ ...labels, status: String(status) });
    githubRequestSeconds.observe(labels, seconds);
  },

  shuttingDown(): void {
    draining.set(1);
  },

  /** Events the activity record wrote, or had to drop. */
  activityEvents(result: "written" | "dropped", count: number): void {
    if (count > 0) activityEvents.inc({ result }, count);
  },
};

/** The Prometheus text exposition of every metric above. */
export async function renderMetrics(): Promise<{ contentType: string; body: string }> {
  return { contentType: registry.contentType, body: await registry.metrics() };
}
