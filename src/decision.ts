// Which check run is the App's decision, and which are not to be believed. Only a check run whose
// `app.id` is the `app-id` input AND whose `external_id` is this request's ID counts; one of the right
// name written by anything else (a workflow step with `checks: write` on GITHUB_TOKEN, another App) is
// ignored, and named so the log shows the attempt.
import {
  type DecisionName,
  type DecisionRecord,
  decisionForConclusion,
  decodeDecisionRecord,
} from "../common/check-run.js";
import type { CheckRunView } from "./check-runs.js";

export interface Decision {
  decision: DecisionName;
  checkRun: CheckRunView;
  /** The App's record in the check run: who decided and why (undefined if it could not be read). */
  record: DecisionRecord | undefined;
}

export type Reading =
  | { kind: "decided"; decision: Decision }
  /** The App's check run for this request concluded something no decision maps to: fail closed. */
  | { kind: "unexpected"; checkRun: CheckRunView }
  | { kind: "pending" };

export interface Expected {
  requestId: string;
  appId: number;
}

/** Check runs of the right name that the App did not write. */
export function untrusted(runs: readonly CheckRunView[], appId: number): CheckRunView[] {
  return runs.filter((run) => run.appId !== appId);
}

/** The App's decision for this request among `runs` (newest first), if it has made one. */
export function readDecision(runs: readonly CheckRunView[], expected: Expected): Reading {
  const mine = runs.filter((run) => run.appId === expected.appId && run.externalId === expected.requestId);
  const completed = mine.find((run) => run.status === "completed");
  if (!completed) return { kind: "pending" };
  const decision = decisionForConclusion(completed.conclusion);
  if (!decision) return { kind: "unexpected", checkRun: completed };
  const record = decodeDecisionRecord(completed.text);
  return {
    kind: "decided",
    decision: {
      decision,
      checkRun: completed,
      record: record && record.requestId === expected.requestId ? record : undefined,
    },
  };
}

/** "check run 12 by github-actions (app 15368)" for the log. */
export function describeCheckRun(run: CheckRunView): string {
  const author = run.appSlug ? `${run.appSlug} (app ${run.appId ?? "?"})` : `app ${run.appId ?? "unknown"}`;
  const request = run.externalId ? `, external_id ${JSON.stringify(run.externalId.slice(0, 80))}` : "";
  return `check run ${run.id} by ${author}${request}${run.htmlUrl ? ` ${run.htmlUrl}` : ""}`;
}
