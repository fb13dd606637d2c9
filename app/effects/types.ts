// The contract between a decision and what it causes. A decision (or a vote, or an update from GitHub)
// records effects in the store in the same transaction; the effect runner executes each one, at once
// and again from the sweep until it is done, obsolete or failed for good. One handler per effect kind.
import type { Mode } from "../../common/reference.js";
import type { EffectKind, EffectOutcome, EffectRow, NewEffect, RequestRow, Store } from "../store/types.js";

export interface EffectContext {
  /** For reading; effects a handler causes go through `record`, so that they run at once. */
  store: Store;
  now: () => Date;
  /**
   * Records effects this run causes (a thread reply, a private note): stored now, and the due ones
   * run as soon as this effect is finished, on this replica, rather than at the next sweep.
   */
  record(effects: NewEffect[]): Promise<void>;
}

export interface EffectHandler {
  readonly kind: EffectKind;
  /**
   * Performs the effect once. Returns how it ended; throws only for bugs (a thrown error is recorded as
   * a retry). Must be idempotent: a lost answer means it can run again after it took effect.
   */
  run(effect: EffectRow, request: RequestRow, context: EffectContext): Promise<EffectOutcome>;
}

/**
 * Which GitHub effects a decision creates, by mode: the one place where the modes differ after the
 * shared path (verify, authorize, vote, decide). `waiting` effects wait for something GitHub has not
 * reported yet (gate mode's review waits for the deployment_protection_rule webhook).
 */
export type ModeEffects = Record<
  Mode,
  (decision: RequestRow["decision"]) => Array<{ kind: EffectKind; state: "waiting" | "due" }>
>;
