// Which request the code running now works for. A click and an effect run inside `runFor`; the calls
// to GitHub and Slack they make (github-calls.ts, slack-calls.ts) and the outcomes noted deep in the
// click path (`noteClick`, `noteDecision`) land on that request's timeline without the request being
// passed down through every function. Outside any request (timers, the recorder's own writes) nothing
// is recorded.
import { AsyncLocalStorage } from "node:async_hooks";
import type { ActivityEvent, ClickOutcome, Person, RequestFacts } from "./types.js";

/** The part of the recorder a context needs (recorder.ts implements it). */
export interface RecordSink {
  record(request: RequestFacts, event: ActivityEvent): void;
}

/** What the click path learnt about the click being handled; recorded once, when it ends. */
export interface ClickNote {
  outcome: ClickOutcome;
  refusal?: string;
  text?: string;
  counted?: number;
  required?: number;
}

export interface ActivityContext {
  sink: RecordSink;
  /** The request the work is for; undefined while handling what may touch several (a webhook, the sweep). */
  request?: RequestFacts;
  /** The effect being run, when one is. */
  effect?: string;
  /** The click being handled, when one is. */
  click?: { note?: ClickNote };
}

const storage = new AsyncLocalStorage<ActivityContext>();

export function currentActivity(): ActivityContext | undefined {
  return storage.getStore();
}

export function runFor<T>(context: ActivityContext, fn: () => T): T {
  return storage.run(context, fn);
}

/** Runs `fn` outside any request: what it does is nobody's timeline. */
export function outsideActivity<T>(fn: () => T): T {
  return storage.exit(fn);
}

/** Records an event on the current request's timeline, if there is one. Never throws. */
export function recordHere(event: ActivityEvent): void {
  const request = storage.getStore()?.request;
  if (request) recordAbout(request, event);
}

/**
 * Records an event on a request's timeline, when the code runs for the activity record at all (a click,
 * an effect, a webhook, the sweep). Never throws.
 */
export function recordAbout(request: RequestFacts, event: ActivityEvent): void {
  const context = storage.getStore();
  if (!context) return;
  try {
    context.sink.record(request, event);
  } catch {
    // Recording must never break what is being recorded.
  }
}

/** How the click being handled ended (the last note wins; the click is recorded when it ends). */
export function noteClick(note: ClickNote): void {
  const click = storage.getStore()?.click;
  if (click) click.note = note;
}

/** The decision this click took, on its request's timeline. */
export function noteDecision(
  decision: "approved" | "rejected" | "expired",
  by: Person[],
  reason: string | null,
): void {
  recordHere({ kind: "decision", decision, by, reason });
}
