// POST /slack/commands: the `/deploy-gate` slash command. The same gatekeeping as the interactivity
// route, in the same order: read within the shared cap on unauthenticated bodies → verify Slack's
// signature → refuse other workspaces and apps (the workspace pin) → spend the body's digest (a replayed
// body, still within Slack's 5-minute window, is answered but not acted on again) → act. The answer is
// the HTTP response itself (`response_type: ephemeral`): only the person who typed the command sees it,
// and it comes well within Slack's 3 seconds (a database read or write, no call to GitHub).
import { createHash } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "pino";
import { type BodySlots, readWithinLimits } from "../http/body-slots.js";
import { answer } from "../http/respond.js";
import { throttledLog } from "../log-throttle.js";
import type { Origin } from "../slack/payload.js";
import { verifySlackSignature } from "../slack/verify.js";
import type { WorkspacePin } from "../slack/workspace.js";
import { COMMAND, type Commands } from "./commands.js";
import type { LinkStore } from "./links.js";
import { workspaceKeyOf } from "./workspace-key.js";

export const COMMANDS_ROUTE = "/slack/commands";
/** A slash command's form is a few hundred bytes; its text is at most a few thousand characters. */
export const COMMAND_MAX_BODY_BYTES = 16 * 1024;
/** Longer than Slack's 5-minute signature window, so a replay always finds the spent digest. */
const REPLAY_GUARD_MS = 10 * 60_000;

const USER_ID = /^[UW][A-Z0-9]{1,30}$/;
const SLACK_ID = /^[A-Z][A-Z0-9]{1,30}$/;

export interface CommandRouteOptions {
  signingSecret: string;
  workspace: Pick<WorkspacePin, "check" | "identity">;
  bodies: BodySlots;
  links: Pick<LinkStore, "spend">;
  commands: Commands;
  log: Logger;
  now?: () => Date;
}

export function commandRoute(options: CommandRouteOptions) {
  const { signingSecret, workspace, bodies, links, commands, log } = options;
  const now = options.now ?? (() => new Date());
  const warn = {
    signature: throttledLog(log, "refused Slack commands with a bad signature"),
    malformed: throttledLog(log, "refused malformed Slack commands"),
    workspace: throttledLog(log, "refused Slack commands from outside the pinned workspace"),
    replay: throttledLog(log, "answered replayed Slack commands without acting", { level: "info" }),
  };

  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    if ((req.url ?? "").split("?")[0] !== COMMANDS_ROUTE) return false;
    if (req.method !== "POST") {
      answer(res, 405, { headers: { allow: "POST" } });
      return true;
    }
    const read = await readWithinLimits(req, res, { slots: bodies, maxBytes: COMMAND_MAX_BODY_BYTES });
    if (!read.ok) return true;
    const verified = verifySlackSignature({
      signingSecret,
      timestamp: req.headers["x-slack-request-timestamp"],
      signature: req.headers["x-slack-signature"],
      rawBody: read.body,
    });
    if (!verified.ok) {
      warn.signature({ reason: verified.reason });
      answer(res, 401, { text: "invalid signature" });
      return true;
    }

    const form = new URLSearchParams(read.body.toString("utf8"));
    const field = (name: string) => form.get(name) ?? "";
    const user = field("user_id");
    const origin: Origin = {
      teamId: SLACK_ID.test(field("team_id")) ? field("team_id") : null,
      enterpriseId: SLACK_ID.test(field("enterprise_id")) ? field("enterprise_id") : null,
      appId: SLACK_ID.test(field("api_app_id")) ? field("api_app_id") : null,
    };
    if (!USER_ID.test(user) || field("command") !== COMMAND) {
      warn.malformed({ command: field("command").slice(0, 40) });
      answer(res, 400, { text: "malformed command" });
      return true;
    }
    const pin = workspace.check(origin);
    if (!pin.ok) {
      warn.workspace({ reason: pin.reason });
      if (pin.status === 503) answer(res, 503, { text: "not ready", headers: { "retry-after": "5" } });
      else answer(res, 403, { text: "this App does not serve that workspace" });
      return true;
    }
    const key = workspaceKeyOf(workspace.identity());
    if (!key) {
      answer(res, 503, { text: "not ready", headers: { "retry-after": "5" } });
      return true;
    }

    const digest = createHash("sha256").update(read.body).digest("hex");
    const at = now();
    if (!(await links.spend(`command:${digest}`, new Date(at.getTime() + REPLAY_GUARD_MS), at))) {
      warn.replay({});
      answer(res, 200, { json: { response_type: "ephemeral", text: "This command was handled already." } });
      return true;
    }
    const reply = await commands.run(field("text"), { workspace: key, slackUserId: user });
    answer(res, 200, { json: { response_type: "ephemeral", ...reply } });
    return true;
  };
}
