// The activity record and its page. The App records what came in and went out per request through the
// recorder (recorder.ts; the click path notes outcomes through context.ts, GitHub and Slack calls are
// recorded by github-calls.ts and slack-calls.ts), keeps it for ACTIVITY_RETENTION_DAYS (retention.ts),
// and shows it at /activity to people signed in with GitHub (routes.ts, app/web/).
import type { Logger } from "pino";
import type { GitHubEventHandler } from "../github/events.js";
import type { RequestHandler } from "../http/server.js";
import type { SlackApi } from "../slack/api.js";
import type { Interaction, InteractionHandler } from "../slack/interaction.js";
import type { Driver } from "../store/driver.js";
import type { Web } from "../web/index.js";
import { recordedClicks, recordedEvents, recordShed, refusedRequests } from "./observe.js";
import { type ActivityRecorder, createRecorder } from "./recorder.js";
import { createRetention, type Retention } from "./retention.js";
import { activityRoutes } from "./routes.js";
import { recordSlackCalls } from "./slack-calls.js";
import { type ActivityStore, createActivityStore } from "./store.js";

export { noteClick, noteDecision, recordAbout, recordHere } from "./context.js";
export { activityOctokitPlugin } from "./github-calls.js";
export type { ActivityRecorder } from "./recorder.js";
export { DEFAULT_RETENTION_DAYS } from "./retention.js";
export { ACTIVITY_SCHEMA } from "./schema.js";
export { closureNote } from "./summary.js";
export type { ActivityEvent, RequestFacts } from "./types.js";

export interface ActivityOptions {
  driver: Driver;
  log: Logger;
  now?: () => Date;
  /** ACTIVITY_RETENTION_DAYS (default 90). */
  retentionDays?: number;
  /** How often to prune; 0 turns the timer off (tests prune themselves). */
  pruneIntervalMs?: number;
  /** How often gathered events are written (default 250 ms). */
  flushIntervalMs?: number;
  /** Display names for clickers, looked up off the click's path. */
  nameOf?: (slackUserId: string) => Promise<string | undefined>;
}

export interface Activity {
  readonly recorder: ActivityRecorder;
  readonly store: ActivityStore;
  readonly retention: Retention;
  /** The click handler, each click recorded for its request. */
  clicks(handler: InteractionHandler): InteractionHandler;
  /** The GitHub event handler, each event that names a run recorded. */
  events(handler: GitHubEventHandler): GitHubEventHandler;
  /** A click shed under load (the Slack route's `onShed`). */
  shed(interaction: Interaction): void;
  /** The Slack API, each call made for a request recorded. */
  slack(api: SlackApi): SlackApi;
  /** A route observer counting refused requests per minute; add it before the routes it watches. */
  readonly observer: RequestHandler;
  /** /activity and its exports, behind `web`'s sign-in. */
  routes(web: Web | undefined): RequestHandler;
  start(): void;
  /** Stops the timers and writes what is gathered. */
  stop(): Promise<void>;
}

export function createActivity(options: ActivityOptions): Activity {
  const now = options.now ?? (() => new Date());
  const store = createActivityStore(options.driver);
  const recorder = createRecorder({
    store,
    log: options.log,
    now,
    flushIntervalMs: options.flushIntervalMs,
    nameOf: options.nameOf,
  });
  const retention = createRetention({
    store,
    log: options.log,
    now,
    days: options.retentionDays,
    intervalMs: options.pruneIntervalMs,
  });
  return {
    recorder,
    store,
    retention,
    clicks: (handler) => recordedClicks(handler, recorder),
    events: (handler) => recordedEvents(handler, recorder),
    shed: (interaction) => recordShed(recorder, interaction),
    slack: (api) => recordSlackCalls(api),
    observer: refusedRequests(recorder),
    routes: (web) => activityRoutes({ store, web, log: options.log, now }),
    start: () => retention.start(),
    async stop() {
      retention.stop();
      await recorder.stop();
    },
  };
}
