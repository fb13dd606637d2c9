// The moves of a request's life that are not a Slack decision: closing it (GitHub moved on, or its
// message cannot be trusted) atomically against any decision, and showing news on the message (an
// approval given in GitHub, how the run ended) without losing the progress it shows.
import { recordAbout } from "../activity/context.js";
import { closureNote } from "../activity/summary.js";
import { type MessageUpdatePayload, messageUpdate, threadReply } from "../effects/message-state.js";
import { effectId } from "../effects/modes.js";
import type { EffectRunner } from "../effects/runner.js";
import { closureReply } from "../sentences.js";
import type { Closure, NewEffect, RequestRow, Store } from "../store/types.js";

export interface LifeDeps {
  store: Store;
  runner: EffectRunner;
  now: () => Date;
}

/**
 * Whether a request holds its gate (repository, run, attempt, environment): one does at a time, the
 * first the App knows of; one closed as superseded or as not matching its run does not.
 */
export function holdsGate(request: RequestRow): boolean {
  return request.closed?.kind !== "superseded" && request.closed?.kind !== "mismatch";
}

/**
 * Closes an undecided request: its buttons go, its thread says why, and a later click is told. False
 * when a decision (or another closure) came first: exactly one of them wins.
 */
export async function closeRequest(
  deps: LifeDeps,
  request: RequestRow,
  closure: Closure,
  options: { reply?: boolean } = {},
): Promise<boolean> {
  const at = deps.now();
  const effects: NewEffect[] = [messageUpdate(request.requestId, await currentPayload(deps.store, request))];
  if (options.reply !== false)
    effects.unshift(threadReply(request, `closed:${closure.kind}`, closureReply(closure)));
  if (!(await deps.store.closeRequest(request.requestId, closure, at, effects))) return false;
  recordAbout(request, { kind: "closed", closure: closure.kind, note: closureNote(closure) });
  await deps.runner.run(
    effects.map((e) => e.id),
    { ...request, closed: closure, closedAt: at },
  );
  return true;
}

/** Shows the request as it stands now, keeping the Slack progress the message shows, plus `extra` effects. */
export async function refreshMessage(
  deps: LifeDeps,
  request: RequestRow,
  extra: NewEffect[] = [],
): Promise<void> {
  const update = messageUpdate(request.requestId, await currentPayload(deps.store, request));
  await deps.runner.record([...extra, update], request);
}

/** What the message update shows now (progress stays progress); `decision` once decided. */
async function currentPayload(store: Store, request: RequestRow): Promise<MessageUpdatePayload> {
  if (request.decision) return { show: "decision" };
  const current = (await store.listEffects(request.requestId)).find(
    (e) => e.id === effectId(request.requestId, "slack.update"),
  );
  const payload = current?.payload as MessageUpdatePayload | undefined;
  return payload?.show === "progress" ? payload : { show: "pending" };
}
