// The check run that records a decision: the App writes it on the run's head commit in every mode,
// and the Action reads it back in `wait` and `verify` modes. Both sides must agree on its name, on
// what each conclusion means and on the machine-readable record in its output, so those live here.
// The Action trusts a check run only when the App whose ID it was given wrote it; the record inside
// is read only from such a check run.

export const CHECK_RUN_PREFIX = "slack-deploy-gate / ";

export type DecisionName = "approved" | "rejected" | "expired";

/** The conclusion the App writes for each decision. */
export const CONCLUSIONS: Record<DecisionName, "success" | "failure" | "timed_out"> = {
  approved: "success",
  rejected: "failure",
  expired: "timed_out",
};

export function checkRunName(environment: string): string {
  return `${CHECK_RUN_PREFIX}${environment}`;
}

/** The decision a completed check run's conclusion stands for; undefined for any other conclusion. */
export function decisionForConclusion(conclusion: string | null | undefined): DecisionName | undefined {
  for (const [decision, value] of Object.entries(CONCLUSIONS)) {
    if (value === conclusion) return decision as DecisionName;
  }
  return undefined;
}

/** What the App states about a decision, for the Action's outputs. */
export interface DecisionRecord {
  v: 1;
  requestId: string;
  decision: DecisionName;
  /** Slack user IDs: the approvers, the one who rejected; empty for an expiry. */
  decidedBy: string[];
  reason: string | null;
  /** ISO 8601. */
  decidedAt: string;
}

const MARKER = "slack-deploy-gate:decision";
const RECORD = new RegExp(`<!-- ${MARKER} (\\{.*?\\}) -->`, "s");
const SLACK_USER = /^[UW][A-Z0-9]{1,30}$/;
const REQUEST_ID = /^[A-Za-z0-9_-]{8,64}$/;
const MAX_REASON = 3000;

/**
 * The record as an HTML comment (invisible where GitHub renders the output). `<` and `>` are escaped
 * inside the JSON so a reason cannot close the comment early.
 */
export function encodeDecisionRecord(record: DecisionRecord): string {
  const json = JSON.stringify(record).replace(/</g, "\\u003c").replace(/>/g, "\\u003e");
  return `<!-- ${MARKER} ${json} -->`;
}

/** The record in a check run's output text, or undefined when there is none or it is malformed. */
export function decodeDecisionRecord(text: string | null | undefined): DecisionRecord | undefined {
  if (!text) return undefined;
  const match = RECORD.exec(text);
  if (!match) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(match[1] as string);
  } catch {
    return undefined;
  }
  if (!value || typeof value !== "object") return undefined;
  const r = value as Record<string, unknown>;
  if (r.v !== 1) return undefined;
  if (typeof r.requestId !== "string" || !REQUEST_ID.test(r.requestId)) return undefined;
  if (r.decision !== "approved" && r.decision !== "rejected" && r.decision !== "expired") return undefined;
  if (!Array.isArray(r.decidedBy) || r.decidedBy.length > 50) return undefined;
  if (!r.decidedBy.every((u) => typeof u === "string" && SLACK_USER.test(u))) return undefined;
  if (r.reason !== null && (typeof r.reason !== "string" || r.reason.length > MAX_REASON)) return undefined;
  if (typeof r.decidedAt !== "string" || Number.isNaN(Date.parse(r.decidedAt))) return undefined;
  return {
    v: 1,
    requestId: r.requestId,
    decision: r.decision,
    decidedBy: r.decidedBy as string[],
    reason: r.reason as string | null,
    decidedAt: r.decidedAt,
  };
}
