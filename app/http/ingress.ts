// Everything that receives a request from outside, up to a typed event, wired in one place: the Slack
// route (with its workspace pin, its record of each interaction and the recovery of unfinished ones),
// the GitHub webhook route, the work queue between the Slack acknowledgement and the click path, and the
// shared cap on unauthenticated bodies. The App hands it the two handlers and adds its routes.
import type { Logger } from "pino";
import type { GitHubEventHandler } from "../github/events.js";
import { createInboundWork, type InboundStore, type InboundWork } from "../slack/inbound.js";
import type { Interaction, InteractionHandler } from "../slack/interaction.js";
import { slackRoute } from "../slack/route.js";
import {
  createWorkspacePin,
  type IdentitySource,
  slackIdentitySource,
  type WorkspacePin,
} from "../slack/workspace.js";
import { createWorkQueue, type WorkQueue, type WorkQueueOptions } from "../work-queue.js";
import { type BodySlots, createBodySlots } from "./body-slots.js";
import type { RequestHandler } from "./server.js";
import { webhookRoute } from "./webhook-route.js";

/**
 * Unauthenticated bodies read at once, Slack and GitHub together. With the 1 MiB (Slack) and 2 MiB
 * (GitHub) caps, that bounds what unverified senders can make the App hold to 64 MiB.
 */
export const MAX_CONCURRENT_BODIES = 32;

export interface IngressOptions {
  store: InboundStore;
  interactions: InteractionHandler;
  events: GitHubEventHandler;
  slack: {
    signingSecret: string;
    botToken: string;
    apiUrl: string;
    /** `SLACK_APP_ID`: the app's id when the bot token cannot look it up (see slack/workspace.ts). */
    appId?: string;
    /** `SLACK_ALLOWED_TEAM_IDS`. */
    allowedTeamIds?: readonly string[];
  };
  webhookSecret: string;
  log: Logger;
  /** A click shed because the work queue was full (the activity record keeps it, for its request). */
  onShed?: (interaction: Interaction) => void;
  /** Production defaults unless given (tests shorten them). */
  tuning?: {
    queue?: WorkQueueOptions;
    maxConcurrentBodies?: number;
    /** See createInboundWork (default 15 s). */
    inboundStaleAfterMs?: number;
    /** First retry of the workspace look-up (default 1 s). */
    workspaceRetryMs?: number;
    /** Where the workspace pin comes from (default: the bot token's auth.test and bots.info). */
    identity?: IdentitySource;
  };
}

export interface Ingress {
  /** The Slack route and the webhook route, for Probot's `addHandler`. */
  handlers: RequestHandler[];
  queue: WorkQueue;
  workspace: WorkspacePin;
  inbound: InboundWork;
  bodies: BodySlots;
  /** Looks up the workspace pin (retrying until known) and starts recovering unfinished interactions. */
  start(): void;
  /** Resolves when every acknowledged interaction has been handled. */
  idle(): Promise<void>;
  /** Stops taking clicks (503 from now on) and timers, then waits for what was acknowledged. */
  stop(): Promise<void>;
}

export function createIngress(options: IngressOptions): Ingress {
  const { store, log, tuning = {} } = options;
  const queue = createWorkQueue(log, tuning.queue);
  const bodies = createBodySlots(tuning.maxConcurrentBodies ?? MAX_CONCURRENT_BODIES);
  const workspace = createWorkspacePin({
    source:
      tuning.identity ??
      slackIdentitySource({
        token: options.slack.botToken,
        apiUrl: options.slack.apiUrl,
        appId: options.slack.appId,
      }),
    allowedTeamIds: options.slack.allowedTeamIds,
    log,
    retryMs: tuning.workspaceRetryMs,
  });
  const inbound = createInboundWork({
    store,
    queue,
    handler: options.interactions,
    log,
    staleAfterMs: tuning.inboundStaleAfterMs,
  });

  return {
    handlers: [
      slackRoute({
        signingSecret: options.slack.signingSecret,
        workspace,
        store,
        queue,
        inbound,
        bodies,
        log,
        onShed: options.onShed,
      }),
      webhookRoute({ secret: options.webhookSecret, events: options.events, bodies, log }),
    ],
    queue,
    workspace,
    inbound,
    bodies,
    start() {
      void workspace.start();
      inbound.start();
    },
    idle: () => queue.idle(),
    async stop() {
      queue.stop();
      workspace.stop();
      inbound.stop();
      await queue.idle();
    },
  };
}
