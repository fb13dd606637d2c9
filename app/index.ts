// Wires the App's pieces into a Probot application function, in the order data flows:
//   Slack route (read, verify, record, acknowledge) → work queue → click path (app/clicks) → effects
//   GitHub webhook route (read, verify, validate) → webhook handlers (app/webhooks) → effects
// and the effect sweep that catches up on every due effect (a timer, and once at start-up).
import type { ApplicationFunction } from "probot";
import { createActivity } from "./activity/index.js";
import { createAuthorizer } from "./clicks/authorize.js";
import { createClickHandler } from "./clicks/handle.js";
import { effectHandlers } from "./effects/handlers.js";
import { createEffectRunner } from "./effects/runner.js";
import { createInstallations } from "./github/installations.js";
import { createRuns } from "./github/runs.js";
import { createIngress, type IngressOptions } from "./http/ingress.js";
import { createIdentity } from "./identity/index.js";
import { metrics } from "./metrics.js";
import { createPolicyLoader } from "./policy/index.js";
import { createRequestPoster } from "./requests/post.js";
import { createRequestTimers } from "./requests/timers.js";
import { createSlackApi } from "./slack/api.js";
import type { Store } from "./store/types.js";
import { createWeb } from "./web/index.js";
import { createGitHubEventHandler } from "./webhooks/handle.js";

export interface AppOptions {
  store: Store;
  webhookSecret: string;
  slackSigningSecret: string;
  slackBotToken: string;
  slackApiUrl: string;
  /** `SLACK_APP_ID`, when set: the app whose clicks count (else read from the bot token). */
  slackAppId?: string;
  /** `SLACK_ALLOWED_TEAM_IDS`: Enterprise Grid workspaces whose clicks count. */
  allowedTeamIds?: readonly string[];
  /** How often to run due effects; 0 turns the timer off (tests call sweep themselves). */
  sweepIntervalMs?: number;
  policyTtlMs?: number;
  /** False leaves every effect retry to the sweep (tests that move the clock drive it themselves). */
  retryTimers?: boolean;
  /** The clock decisions, expiry and effect retries go by (tests move it). */
  now?: () => Date;
  /** The ingress's limits and timers (tests shorten them). */
  ingress?: IngressOptions["tuning"];
  /** GITHUB_CLIENT_ID / GITHUB_CLIENT_SECRET: with publicUrl, people can link their GitHub accounts. */
  githubClient?: { id: string; secret: string };
  /** PUBLIC_URL: where browsers reach the App (link buttons, GitHub's callback). */
  publicUrl?: string;
  /** GitHub's REST base, for the sign-in's calls (default https://api.github.com). */
  githubApiUrl?: string;
  /** ACTIVITY_RETENTION_DAYS (default 90). */
  activityRetentionDays?: number;
  /** How often the activity record is pruned; 0 turns the timer off (tests prune through the handle). */
  activityPruneIntervalMs?: number;
}

export interface AppHandle {
  /** Resolves once the App takes clicks (the Slack workspace it answers for is known). */
  ready(): Promise<void>;
  /** Waits for acknowledged Slack work, and the effects it started, to finish (and be on the activity record). */
  idle(): Promise<void>;
  /** Prunes the activity record now (what the retention timer does); returns the requests deleted. */
  pruneActivity(): Promise<number>;
  /** Runs every due effect; returns how many it claimed. */
  sweep(): Promise<number>;
  /** Stops taking work and waits for what is in flight. */
  stop(): Promise<void>;
}

export function slackDeployGate(
  options: AppOptions,
  onReady?: (handle: AppHandle) => void,
): ApplicationFunction {
  return (app, { addHandler }) => {
    const { store } = options;
    const log = app.log;
    const now = options.now ?? (() => new Date());
    const slackApi = createSlackApi({ token: options.slackBotToken, apiUrl: options.slackApiUrl });
    // What came in and went out per request, for /activity (app/activity/).
    const activity = createActivity({
      driver: store.driver,
      log,
      now,
      retentionDays: options.activityRetentionDays,
      pruneIntervalMs: options.activityPruneIntervalMs,
      nameOf: (user) => slackApi.userName(user, 1_500),
    });
    const slack = activity.slack(slackApi);
    const installations = createInstallations(app);
    const runs = createRuns();
    const policies = createPolicyLoader({ ttlMs: options.policyTtlMs ?? 60_000 });
    const handlers = effectHandlers({ slack, installations, runs });
    const runner = createEffectRunner({
      store,
      handlers,
      log,
      now,
      retryTimersWithinMs: options.retryTimers === false ? 0 : undefined,
      activity: activity.recorder,
    });
    let ingress: ReturnType<typeof createIngress> | undefined;
    const identity = createIdentity({
      store,
      linking:
        options.githubClient && options.publicUrl
          ? {
              clientId: options.githubClient.id,
              clientSecret: options.githubClient.secret,
              publicUrl: options.publicUrl,
              githubApiUrl: options.githubApiUrl ?? "https://api.github.com",
            }
          : undefined,
      pinnedWorkspace: () => ingress?.workspace.identity(),
      slackName: (user) => slack.userName(user, 1_500),
      log,
      now,
    });
    const authorizer = createAuthorizer({ store, installations, runs, policies, slack, identity, now });
    const clicks = activity.clicks(
      createClickHandler({
        store,
        authorizer,
        runner,
        slack,
        log,
        now,
        linkUrl: (user) => identity.linkUrl(user),
      }),
    );
    // A request's life beyond the click: the App's own requests at a gate, expiry and reminders.
    const poster = createRequestPoster({ store, runner, installations, runs, policies, slack, log, now });
    const timers = createRequestTimers({ store, runner, now, poster, log });
    const events = activity.events(createGitHubEventHandler({ store, runner, policies, poster, log, now }));

    ingress = createIngress({
      store,
      interactions: clicks,
      events,
      slack: {
        signingSecret: options.slackSigningSecret,
        botToken: options.slackBotToken,
        apiUrl: options.slackApiUrl,
        appId: options.slackAppId,
        allowedTeamIds: options.allowedTeamIds,
      },
      webhookSecret: options.webhookSecret,
      log,
      onShed: (interaction) => activity.shed(interaction),
      tuning: options.ingress,
    });
    // Counts requests the routes below refuse (forged, malformed): first, so it sees every one.
    addHandler(activity.observer);
    for (const handler of ingress.handlers) addHandler(handler);
    // `/slack/commands` and the link flow, behind the same signature check, pin and body cap.
    for (const handler of identity.routes({
      signingSecret: options.slackSigningSecret,
      workspace: ingress.workspace,
      bodies: ingress.bodies,
    })) {
      addHandler(handler);
    }
    // GitHub sign-in and sessions for the App's pages; /activity behind them.
    const web =
      options.githubClient && options.publicUrl
        ? createWeb({
            settings: {
              clientId: options.githubClient.id,
              clientSecret: options.githubClient.secret,
              publicUrl: options.publicUrl,
              githubApiUrl: options.githubApiUrl ?? "https://api.github.com",
            },
            installationClient: (id) => installations.client(id),
            bodies: ingress.bodies,
            log,
            now: () => now().getTime(),
          })
        : undefined;
    if (web) addHandler(web.routes);
    addHandler(activity.routes(web));
    ingress.start();
    activity.start();
    const unwatchQueue = metrics.watchWorkQueue(() => {
      const { waiting, running } = ingress.queue.stats();
      return { queued: waiting, running };
    });

    let sweeping: Promise<number> | undefined;
    const sweep = () => {
      // One sweep at a time per process; the store's leases keep replicas apart.
      // Due effects first, then requests that expire or are due a reminder (app/requests/timers.ts).
      sweeping ??= (async () =>
        (await runner.sweep()) + (await activity.recorder.around(() => timers.tick())))().finally(() => {
        sweeping = undefined;
      });
      return sweeping;
    };
    const interval = options.sweepIntervalMs ?? 30_000;
    const timer =
      interval > 0
        ? setInterval(() => {
            sweep().catch((error: unknown) => log.error({ err: error }, "effect sweep failed"));
          }, interval)
        : undefined;
    timer?.unref();

    const idle = async () => {
      await ingress.idle();
      await runner.idle();
      await activity.recorder.flush();
    };
    onReady?.({
      ready: () => ingress.workspace.start(),
      idle,
      sweep,
      pruneActivity: () => activity.retention.prune(),
      async stop() {
        if (timer) clearInterval(timer);
        unwatchQueue();
        await ingress.stop();
        runner.stop();
        await runner.idle();
        await sweeping;
        await activity.stop();
      },
    });
  };
}
