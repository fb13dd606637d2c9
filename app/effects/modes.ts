// The one place where the modes differ after the shared click path: which GitHub effects a decision
// creates, and which of them tells whether GitHub took the decision.
import type { Mode } from "../../common/reference.js";
import type { Decision, EffectKind } from "../store/types.js";
import type { ModeEffects } from "./types.js";

export const MODE_EFFECTS: ModeEffects = {
  // The review waits until GitHub reports the gate (the deployment_protection_rule webhook).
  gate: () => [
    { kind: "github.review", state: "waiting" },
    { kind: "github.check_run", state: "due" },
  ],
  wait: () => [{ kind: "github.check_run", state: "due" }],
  dispatch: (decision) =>
    decision === "approved"
      ? [
          { kind: "github.check_run", state: "due" },
          { kind: "github.dispatch", state: "due" },
        ]
      : [{ kind: "github.check_run", state: "due" }],
};

/** The effect whose end says whether GitHub took the decision (what Slack may then claim). */
export function primaryEffect(mode: Mode, decision: Decision): EffectKind {
  if (mode === "gate") return "github.review";
  if (mode === "dispatch" && decision === "approved") return "github.dispatch";
  return "github.check_run";
}

/** Effect ids are their idempotency keys: one of each GitHub kind per request. */
export function effectId(requestId: string, kind: EffectKind, suffix?: string): string {
  return suffix ? `${requestId}:${kind}:${suffix}` : `${requestId}:${kind}`;
}

export const isGitHubEffect = (kind: EffectKind): boolean => kind.startsWith("github.");
