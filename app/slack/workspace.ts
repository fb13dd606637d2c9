// Which Slack workspace and app may click. A signed click proves only that Slack sent it for an app
// holding this signing secret; an app installed in several workspaces (or a leaked secret) would let
// clicks from elsewhere count. So the App pins, at start-up, the workspace (or Enterprise Grid org) and
// the app its bot token belongs to, and refuses every click from anywhere else.
//
// Where each part comes from:
// - team and enterprise: `auth.test` with the bot token (no scope needed);
// - app id: `auth.test` does not document one, so `bots.info` for the token's bot (scope `users:read`,
//   which the App's manifest already asks for to show approvers' names), or the `SLACK_APP_ID` setting
//   when the token cannot call it. When both are known they must agree.
// Until the pin is known (Slack unreachable at start-up), clicks are refused with 503 and the look-up is
// retried with backoff: the App never serves clicks as if pinned.
import { LogLevel, WebClient } from "@slack/web-api";
import type { Logger } from "pino";
import { throttledLog } from "../log-throttle.js";
import type { Origin } from "./payload.js";

export interface SlackIdentity {
  /** The workspace of a workspace install; null for an org-wide install. */
  teamId: string | null;
  /** The Enterprise Grid org, when the workspace belongs to one. */
  enterpriseId: string | null;
  /** Installed on a whole Enterprise Grid org (`is_enterprise_install`). */
  orgWide: boolean;
  appId: string;
}

export type PinVerdict =
  | { ok: true }
  /** Not from the pinned workspace or app: 403, nothing recorded. */
  | { ok: false; status: 403; reason: string }
  /** The pin is not known yet: 503, try again. */
  | { ok: false; status: 503; reason: string };

export interface WorkspacePin {
  check(origin: Origin): PinVerdict;
  /** The pinned identity, once known. */
  identity(): SlackIdentity | undefined;
  /** Looks the identity up, retrying with backoff until it is known or stop() is called. */
  start(): Promise<void>;
  stop(): void;
}

export interface IdentitySource {
  /** Throws IdentityError (or a network error) when Slack cannot say. */
  lookUp(): Promise<SlackIdentity>;
}

export class IdentityError extends Error {
  override name = "IdentityError";
}

export interface WorkspacePinOptions {
  source: IdentitySource;
  /** `SLACK_ALLOWED_TEAM_IDS`: workspaces of the Enterprise Grid org whose clicks count. */
  allowedTeamIds?: readonly string[];
  log: Logger;
  /** First retry delay (default 1 s), doubling up to `maxRetryMs` (default 60 s). */
  retryMs?: number;
  maxRetryMs?: number;
}

export function createWorkspacePin(options: WorkspacePinOptions): WorkspacePin {
  const allowed = new Set(options.allowedTeamIds ?? []);
  const firstDelay = options.retryMs ?? 1000;
  const maxDelay = options.maxRetryMs ?? 60_000;
  const lookUpFailed = throttledLog(options.log, "Slack workspace unknown: clicks are refused until it is", {
    level: "error",
    intervalMs: 60_000,
  });
  let pinned: SlackIdentity | undefined;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let wake: (() => void) | undefined;
  let running: Promise<void> | undefined;

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      wake = resolve;
      timer = setTimeout(resolve, ms);
      timer.unref();
    });

  async function lookUpUntilKnown(): Promise<void> {
    let delay = firstDelay;
    while (!stopped && !pinned) {
      try {
        pinned = await options.source.lookUp();
        options.log.info(
          {
            teamId: pinned.teamId,
            enterpriseId: pinned.enterpriseId,
            orgWide: pinned.orgWide,
            appId: pinned.appId,
            allowedTeamIds: [...allowed],
          },
          "Slack workspace pinned: clicks from anywhere else are refused",
        );
        return;
      } catch (error) {
        lookUpFailed({ problem: describe(error), retryInMs: delay });
      }
      if (stopped) return;
      await sleep(delay);
      delay = Math.min(delay * 2, maxDelay);
    }
  }

  return {
    identity: () => pinned,
    check(origin) {
      if (!pinned) return { ok: false, status: 503, reason: "the Slack workspace is not known yet" };
      return checkOrigin(pinned, allowed, origin);
    },
    start() {
      running ??= lookUpUntilKnown();
      return running;
    },
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      wake?.();
    },
  };
}

/** The rules, in one place (README "Trust model" says the same). */
export function checkOrigin(
  pinned: SlackIdentity,
  allowedTeamIds: ReadonlySet<string>,
  origin: Origin,
): PinVerdict {
  if (origin.appId !== pinned.appId) return refuse("another Slack app");
  if (origin.enterpriseId !== pinned.enterpriseId) return refuse("another Enterprise Grid org");
  if (allowedTeamIds.size > 0) {
    // Grid: the org's workspaces that may click, and the token's own.
    if (origin.teamId !== null && (allowedTeamIds.has(origin.teamId) || origin.teamId === pinned.teamId)) {
      return { ok: true };
    }
    if (origin.teamId === null && pinned.orgWide) return { ok: true };
    return refuse("a workspace not in SLACK_ALLOWED_TEAM_IDS");
  }
  // An org-wide install serves every workspace of its org (checked above); some of its payloads
  // carry no team at all.
  if (pinned.orgWide) return { ok: true };
  if (origin.teamId !== pinned.teamId) return refuse("another workspace");
  return { ok: true };
}

function refuse(reason: string): PinVerdict {
  return { ok: false, status: 403, reason: `the click comes from ${reason}` };
}

/** `auth.test`, then the app id from SLACK_APP_ID and/or `bots.info`. */
export function slackIdentitySource(options: {
  token: string;
  apiUrl: string;
  /** `SLACK_APP_ID`, when set. */
  appId?: string;
}): IdentitySource {
  const client = new WebClient(options.token, {
    slackApiUrl: options.apiUrl,
    // The pin retries on its own schedule; one attempt per look-up.
    retryConfig: { retries: 0 },
    timeout: 10_000,
    logLevel: LogLevel.ERROR,
  });
  return {
    async lookUp() {
      const auth = await client.auth.test();
      const orgWide = auth.is_enterprise_install === true;
      const teamId = orgWide ? null : nonEmpty(auth.team_id);
      const enterpriseId = nonEmpty(auth.enterprise_id);
      if (!orgWide && !teamId) throw new IdentityError("auth.test named no team");
      if (orgWide && !enterpriseId)
        throw new IdentityError("auth.test named no enterprise for an org-wide install");

      let fromSlack = nonEmpty((auth as { app_id?: string }).app_id);
      let botsInfoProblem: string | undefined;
      if (!fromSlack) {
        const botId = nonEmpty(auth.bot_id);
        if (!botId) throw new IdentityError("SLACK_BOT_TOKEN is not a bot token (auth.test named no bot)");
        try {
          const info = await client.bots.info({
            bot: botId,
            ...(orgWide && enterpriseId ? { team_id: enterpriseId } : {}),
          });
          fromSlack = nonEmpty(info.bot?.app_id);
        } catch (error) {
          botsInfoProblem = describe(error);
        }
      }
      if (options.appId && fromSlack && options.appId !== fromSlack) {
        throw new IdentityError(
          `SLACK_APP_ID is ${options.appId} but the bot token belongs to app ${fromSlack}`,
        );
      }
      const appId = options.appId ?? fromSlack;
      if (!appId) {
        throw new IdentityError(
          `bots.info could not name the bot token's app (${botsInfoProblem ?? "no app_id"}): give the token the users:read scope or set SLACK_APP_ID`,
        );
      }
      return { teamId, enterpriseId, orgWide, appId };
    },
  };
}

function nonEmpty(value: string | undefined | null): string | null {
  return typeof value === "string" && value !== "" ? value : null;
}

/** Slack's error code or a short description; never a token. */
function describe(error: unknown): string {
  const data = (error as { data?: { error?: string } }).data;
  if (data?.error) return data.error;
  if (error instanceof IdentityError) return error.message;
  const code = (error as { code?: string }).code;
  return code ?? (error instanceof Error ? error.message.slice(0, 200) : "unknown error");
}
