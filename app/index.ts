// Wires the App's pieces into a Probot application function: webhooks, the Slack route, /healthz,
// and the sweep that retries undelivered decisions.
import type { ApplicationFunction } from "probot";
import { createAuthorizer } from "./authorize.js";
import { createDelivery } from "./delivery.js";
import { createRunLookup } from "./github/runs.js";
import { healthHandler } from "./health.js";
import { createInteractions } from "./interactions.js";
import { createMessageUpdater } from "./message-updater.js";
import { createPolicyLoader } from "./policy/index.js";
import { createSlackApi } from "./slack/api.js";
import { createBackgroundWork, slackInteractionsHandler } from "./slack/route.js";
import type { Store } from "./store/types.js";
import { registerWebhooks } from "./webhooks.js";

export interface AppOptions {
  store: Store;
  slackSigningSecret: string;
  slackBotToken: string;
  slackApiUrl: string;
  /** How often to retry undelivered decisions; 0 turns the timer off (tests call sweep themselves). */
  sweepIntervalMs?: number;
  policyTtlMs?: number;
}

export interface AppHandle {
  /** Waits for acknowledged Slack work still running. */
  idle(): Promise<void>;
  sweep(): Promise<number>;
  stop(): Promise<void>;
}

export function slackDeployGate(
  options: AppOptions,
  onReady?: (handle: AppHandle) => void,
): ApplicationFunction {
  return (app, { addHandler }) => {
    const { store } = options;
    const slack = createSlackApi({ token: options.slackBotToken, apiUrl: options.slackApiUrl });
    const runs = createRunLookup(app);
    const policies = createPolicyLoader({ ttlMs: options.policyTtlMs ?? 60_000 });
    const messages = createMessageUpdater(slack, app.log);
    const delivery = createDelivery({ store, runs, messages, log: app.log });
    const authorizer = createAuthorizer({ store, runs, policies, slack });
    const interactions = createInteractions({ store, authorizer, delivery, messages, slack, log: app.log });
    const background = createBackgroundWork(app.log);

    registerWebhooks(app, { store, delivery, policies, messages });
    addHandler(
      slackInteractionsHandler({
        signingSecret: options.slackSigningSecret,
        interactions,
        slack,
        background,
        log: app.log,
      }),
    );
    addHandler(healthHandler(store));

    let sweeping: Promise<number> | undefined;
    const sweep = () => {
      // One sweep at a time per process; the store's leases keep replicas apart.
      sweeping ??= delivery.sweep().finally(() => {
        sweeping = undefined;
      });
      return sweeping;
    };
    const interval = options.sweepIntervalMs ?? 30_000;
    const timer =
      interval > 0
        ? setInterval(() => {
            sweep().catch((error: unknown) => app.log.error({ err: error }, "delivery sweep failed"));
          }, interval)
        : undefined;
    timer?.unref();

    onReady?.({
      idle: () => background.idle(),
      sweep,
      async stop() {
        if (timer) clearInterval(timer);
        await background.idle();
        await sweeping;
      },
    });
  };
}
