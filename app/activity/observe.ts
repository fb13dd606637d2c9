// Wrappers that record what comes in, around the handlers the App already has, so the click path and
// the webhook handlers need no knowledge of the activity record beyond the outcomes they note:
// - `recordedClicks`: each click runs for its request (its GitHub and Slack calls land on the request's
//   timeline) and is recorded once, at the time it started, with the outcome the click path noted;
// - `recordedEvents`: each GitHub event that names a run is recorded before it is handled;
// - `refusedRequests`: a route observer that counts, per minute, requests to the App's public routes
//   that were refused before they reached a request (bad signature, malformed, another workspace).
import type { IncomingMessage, ServerResponse } from "node:http";
import type { GitHubEvent, GitHubEventHandler } from "../github/events.js";
import { metrics } from "../metrics.js";
import type { Interaction, InteractionHandler } from "../slack/interaction.js";
import type { ClickNote } from "./context.js";
import type { ActivityRecorder } from "./recorder.js";
import type { ActivityEvent, ClickAction, RefusedSource, RequestFacts, RunSubject } from "./types.js";

type Referenced = Extract<Interaction, { reference: unknown }>;

export function factsOf(interaction: Referenced): RequestFacts {
  const { reference } = interaction;
  return {
    requestId: reference.requestId,
    repository: reference.repository,
    runId: reference.runId,
    runAttempt: reference.runAttempt,
    environment: reference.environment,
    mode: reference.mode,
  };
}

const ACTIONS: Record<Referenced["kind"], ClickAction> = {
  approve: "approve",
  reject_clicked: "reject",
  reject_submitted: "reject_submitted",
};

/** A click as the timeline shows it. */
export function clickEvent(interaction: Referenced, note: ClickNote, recovered: boolean): ActivityEvent {
  return {
    kind: "click",
    action: ACTIONS[interaction.kind],
    user: { slackUserId: interaction.user },
    outcome: note.outcome,
    ...(note.refusal ? { refusal: note.refusal } : {}),
    ...(note.text ? { text: note.text.slice(0, 1000) } : {}),
    ...(note.counted !== undefined ? { counted: note.counted, required: note.required } : {}),
    ...(recovered ? { recovered: true } : {}),
  };
}

export function recordedClicks(handler: InteractionHandler, recorder: ActivityRecorder): InteractionHandler {
  return {
    async handle(interaction, context) {
      if (interaction.kind === "unreadable_button") {
        // A signed click on a button whose reference cannot be read names no request.
        recorder.refused("slack", "unreadable button");
        metrics.click(interaction.kind, "refused");
        return handler.handle(interaction, context);
      }
      const facts = factsOf(interaction);
      const click: { note?: ClickNote } = {};
      const started = recorder.now();
      let threw = false;
      try {
        return await recorder.runFor(facts, () => handler.handle(interaction, context), { click });
      } catch (error) {
        threw = true;
        throw error;
      } finally {
        const note: ClickNote = click.note ?? {
          outcome: "error",
          text: threw ? "the click could not be handled" : "the App noted no outcome for this click",
        };
        recorder.record(facts, clickEvent(interaction, note, context.recovered), started);
        metrics.click(interaction.kind, note.outcome);
      }
    },
  };
}

/** A verified click answered 503 (the work queue was full): on its request's timeline. */
export function recordShed(recorder: ActivityRecorder, interaction: Interaction): void {
  metrics.click(interaction.kind, "shed");
  if (interaction.kind === "unreadable_button") {
    recorder.refused("slack", "shed: the App was at capacity");
    return;
  }
  recorder.record(factsOf(interaction), clickEvent(interaction, { outcome: "shed" }, false));
}

/** GitHub's event name for each typed event. */
const GITHUB_NAMES: Record<string, { event: string; action: string }> = {
  gate_requested: { event: "deployment_protection_rule", action: "requested" },
  run_completed: { event: "workflow_run", action: "completed" },
  deploy_job_started: { event: "workflow_job", action: "in_progress" },
};

export function recordedEvents(handler: GitHubEventHandler, recorder: ActivityRecorder): GitHubEventHandler {
  return {
    async handle(event) {
      const subject = runSubject(event);
      if (subject) {
        const named =
          event.name === "deployment_reviewed"
            ? { event: "deployment_review", action: event.state }
            : (GITHUB_NAMES[event.name] ?? { event: event.name, action: "" });
        const fields = event as unknown as Record<string, unknown>;
        recorder.recordRun(subject, {
          kind: "webhook",
          event: named.event,
          action: named.action,
          delivery: String(fields.deliveryId ?? "").slice(0, 64),
          ...(typeof fields.environment === "string" ? { environment: fields.environment } : {}),
          ...(typeof fields.runAttempt === "number" ? { runAttempt: fields.runAttempt } : {}),
          ...("conclusion" in fields ? { conclusion: (fields.conclusion as string | null) ?? null } : {}),
        });
      }
      // Closures and wake-ups it causes name their requests (context.ts recordAbout).
      return recorder.around(() => handler.handle(event));
    },
  };
}

/** The run (and environment) an event names, if it names one. */
function runSubject(event: GitHubEvent): RunSubject | undefined {
  const fields = event as unknown as Record<string, unknown>;
  if (typeof fields.repository !== "string" || typeof fields.runId !== "number") return undefined;
  // A gate is for one environment; a finished run touches every request of its attempt.
  return {
    repository: fields.repository,
    runId: fields.runId,
    ...(event.name === "gate_requested" || event.name === "deploy_job_started"
      ? { environment: event.environment }
      : {}),
    ...("runAttempt" in event ? { runAttempt: event.runAttempt } : {}),
  };
}

/** Routes whose refusals are counted, and the source they are counted under. */
const OBSERVED: Record<string, RefusedSource> = {
  "/slack/interactions": "slack",
  "/slack/commands": "slack",
  "/api/github/webhooks": "github",
};

const REASONS: Record<number, string> = {
  400: "malformed (400)",
  401: "signature not verified (401)",
  403: "another workspace or app (403)",
  405: "wrong method (405)",
  413: "body too large (413)",
  415: "wrong content type (415)",
};

/** A route observer: never answers, counts refusals when the answer is sent. */
export function refusedRequests(recorder: ActivityRecorder) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const source = OBSERVED[(req.url ?? "").split("?")[0] ?? ""];
    if (source) {
      res.once("finish", () => {
        const reason = REASONS[res.statusCode];
        if (reason) recorder.refused(source, reason);
      });
    }
    return false;
  };
}
