// Rows as the store holds them, for tests that build one or compare with one.
import type { RequestRow } from "../../app/store/types.js";

/** What a request's life columns (migration 5) hold until something happens to it. */
export const NO_LIFE: Pick<
  RequestRow,
  | "origin"
  | "facts"
  | "expiresAt"
  | "remindEveryMs"
  | "remindersSent"
  | "nextReminderAt"
  | "closed"
  | "closedAt"
  | "githubApprovals"
  | "outcome"
> = {
  origin: "action",
  facts: null,
  expiresAt: null,
  remindEveryMs: null,
  remindersSent: 0,
  nextReminderAt: null,
  closed: null,
  closedAt: null,
  githubApprovals: [],
  outcome: null,
};
