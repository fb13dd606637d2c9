// Each recorded event as the page, and the CSV export, put it into words: which way it went (in to the
// App, out to GitHub or Slack, or a note of the App's own), a label, one line, and the details.
import { clickPhrase, displayName, refusalLabel } from "./summary.js";
import type { ActivityEvent, ActivityRequest } from "./types.js";

export interface Described {
  direction: "in" | "out" | "note" | "bad";
  label: string;
  text: string;
  detail: string;
}

const ACTION_WORDS = {
  approve: "pressed Approve",
  reject: "pressed Reject",
  reject_submitted: "sent a rejection reason",
} as const;

export function describe(event: ActivityEvent): Described {
  switch (event.kind) {
    case "posted":
      return {
        direction: "out",
        label: "Posted",
        text: "the App posted the request message",
        detail: `channel ${event.channel}, message ${event.ts}`,
      };
    case "click": {
      const who = displayName(event.user);
      const bad = event.outcome === "refused" || event.outcome === "error" || event.outcome === "shed";
      const details = [
        event.user.name ? `Slack ${event.user.slackUserId}` : "",
        event.text ? `told: “${event.text}”` : "",
        event.refusal ? `refusal: ${event.refusal} (${refusalLabel(event.refusal)})` : "",
        event.recovered ? "handled after a restart (a stopped process had acknowledged it)" : "",
      ].filter(Boolean);
      return {
        direction: bad ? "bad" : "in",
        label: "Click",
        text: `${who} ${ACTION_WORDS[event.action]}: ${clickPhrase(event.outcome, event)}`,
        detail: details.join(" · "),
      };
    }
    case "webhook": {
      const parts = [
        event.environment ? `environment ${event.environment}` : "",
        event.runAttempt !== undefined ? `attempt ${event.runAttempt}` : "",
        event.conclusion !== undefined ? `conclusion ${event.conclusion ?? "none"}` : "",
        event.delivery ? `delivery ${event.delivery}` : "",
      ].filter(Boolean);
      return {
        direction: "in",
        label: "Webhook",
        text: `GitHub sent ${event.event}${event.action ? ` ${event.action}` : ""}`,
        detail: parts.join(" · "),
      };
    }
    case "github": {
      const status =
        event.status === null ? `no answer${event.error ? ` (${event.error})` : ""}` : `${event.status}`;
      const parts = [
        `${event.ms} ms`,
        event.retry ? `${event.retry} ${event.retry === 1 ? "retry" : "retries"} by Octokit` : "",
        event.effect ? `for ${effectName(event.effect)}` : "",
      ].filter(Boolean);
      return {
        direction: event.status === null || event.status >= 400 ? "bad" : "out",
        label: "GitHub",
        text: `${event.method} ${event.route} → ${status}`,
        detail: parts.join(" · "),
      };
    }
    case "slack": {
      const parts = [`${event.ms} ms`, event.effect ? `for ${effectName(event.effect)}` : ""].filter(Boolean);
      return {
        direction: event.ok ? "out" : "bad",
        label: "Slack",
        text: `${event.method} → ${event.ok ? "ok" : (event.code ?? "error")}`,
        detail: parts.join(" · "),
      };
    }
    case "decision": {
      const by = event.by.map((p) =>
        p.githubLogin ? `${displayName(p)} (@${p.githubLogin})` : displayName(p),
      );
      return {
        direction: "note",
        label: "Decision",
        text:
          event.decision === "expired"
            ? "expired without a decision"
            : `${event.decision} by ${by.join(", ")}`,
        detail: event.reason ? `reason: ${event.reason}` : "",
      };
    }
    case "delivery": {
      const outcome = {
        done: "done",
        retry: "failed, will retry",
        waiting: "waiting for GitHub's gate",
        obsolete: "not applied",
        failed: "given up",
      }[event.outcome];
      const parts = [
        event.note ?? "",
        event.nextAttemptAt ? `next attempt ${event.nextAttemptAt}` : "",
        `${event.ms} ms`,
        event.primary ? "says whether GitHub took the decision" : "",
      ].filter(Boolean);
      return {
        direction: event.outcome === "obsolete" || event.outcome === "failed" ? "bad" : "out",
        label: "Delivery",
        text: `${event.effectKind}, attempt ${event.attempt}: ${outcome}`,
        detail: parts.join(" · "),
      };
    }
    case "closed":
      return { direction: "note", label: "Closed", text: event.note, detail: "" };
  }
}

/** The first line of every timeline: how the App first heard of the request. */
export function describeSeen(request: ActivityRequest): Described {
  const how = {
    click: "a click on its message",
    gate: "GitHub's deployment_protection_rule webhook",
    app: "the App posting it",
    webhook: "a GitHub webhook",
  }[request.seenVia];
  const detail = request.placeholder
    ? "no request message seen yet: GitHub holds the run, but nobody has clicked a message for it"
    : "";
  return { direction: "in", label: "Seen", text: `first seen through ${how}`, detail };
}

/** `<requestId>:github.review` → `github.review`. */
function effectName(effect: string): string {
  const parts = effect.split(":");
  return parts.slice(1).join(":") || effect;
}
