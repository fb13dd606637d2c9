// What happens to a request with time, on the App's sweep (a timer on every replica, and once at
// start-up, so a request that came due while the App was down is handled when it is back):
// - expiry: an undecided request past its `expiresAt` (the policy's expire-after from when it was
//   posted) is decided `expired` by the same atomic `decide` as a click, so of several replicas exactly
//   one records it and its effects: gate mode rejects the deployment in GitHub with a comment saying it
//   expired, the check run says timed out, the message says so and its buttons go;
// - reminders (`remind-after`): a thread reply mentioning the approvers who have not voted, once per
//   interval and at most three times; each one is claimed first, so one replica sends it.
import { approverMention } from "../../common/message.js";
import { recordAbout } from "../activity/context.js";
import { messageUpdate, threadReply } from "../effects/message-state.js";
import { effectId, MODE_EFFECTS } from "../effects/modes.js";
import type { EffectRunner } from "../effects/runner.js";
import { metrics } from "../metrics.js";
import { reminder } from "../sentences.js";
import type { GateRow, NewEffect, RequestRow, Store } from "../store/types.js";
import type { RequestPoster } from "./post.js";

/** Reminders per request, whatever the interval. */
export const MAX_REMINDERS = 3;
const BATCH = 50;
/** A failed first contact at a gate is tried again after this, doubling, for at most a day. */
export const GATE_CONTACT_RETRY_MS = 30_000;
const GATE_CONTACT_MAX_MS = 10 * 60_000;
const GATE_CONTACT_GIVE_UP_MS = 24 * 60 * 60_000;
/** Long enough for one try (GitHub's and Slack's calls time out well before). */
const GATE_CONTACT_LEASE_MS = 2 * 60_000;

export interface RequestTimers {
  /** Expires what is due and sends due reminders; returns how many requests it acted on. */
  tick(): Promise<number>;
}

export function createRequestTimers(deps: {
  store: Store;
  runner: EffectRunner;
  now: () => Date;
  /** First contact at gates where it failed (app/requests/post.ts). */
  poster?: RequestPoster;
  log?: { warn(details: object, message: string): void };
}): RequestTimers {
  const { store, runner, now } = deps;

  async function expire(request: RequestRow): Promise<boolean> {
    let gate =
      request.mode === "gate"
        ? await store.getGate(request.repository, request.runId, request.environment)
        : undefined;
    const github: NewEffect[] = MODE_EFFECTS[request.mode]("expired").map(({ kind, state }) => ({
      id: effectId(request.requestId, kind),
      requestId: request.requestId,
      kind,
      payload:
        kind === "github.review"
          ? { gate: gate ? { environment: gate.environment, installationId: gate.installationId } : null }
          : request.facts
            ? { headSha: request.facts.sha }
            : {},
      state: kind === "github.review" && gate ? "due" : state,
      onConflict: "ignore",
    }));
    const effects = [...github, messageUpdate(request.requestId, { show: "decision" })];
    const at = now();
    if (
      !(await store.decide(
        request.requestId,
        { decision: "expired", decidedBy: [], reason: null, at },
        effects,
      ))
    ) {
      return false;
    }
    recordAbout(request, { kind: "decision", decision: "expired", by: [], reason: null });
    metrics.decision("expired", request.mode);
    const due = effects.filter((e) => e.state === "due").map((e) => e.id);
    if (request.mode === "gate" && !gate) {
      // As a deciding click does: the gate may have arrived meanwhile, its webhook finding nothing to wake.
      gate = await store.getGate(request.repository, request.runId, request.environment);
      if (gate) {
        await store.wakeEffects(request.requestId, ["github.review"], now());
        due.unshift(effectId(request.requestId, "github.review"));
      }
    }
    await runner.run(due, { ...request, decision: "expired", decidedAt: at, decidedBy: [], reason: null });
    return true;
  }

  async function remind(request: RequestRow): Promise<boolean> {
    const number = request.remindersSent + 1;
    if (number > MAX_REMINDERS || !request.remindEveryMs) return false;
    const nextAt = new Date(now().getTime() + request.remindEveryMs);
    const next = number < MAX_REMINDERS && (!request.expiresAt || nextAt < request.expiresAt) ? nextAt : null;
    if (!(await store.claimReminder(request.requestId, request.remindersSent, next))) return false;
    const voters = new Set((await store.listVotes(request.requestId)).map((v) => v.slackUserId));
    // People who voted are left out; a Slack group or a GitHub name is mentioned as such.
    const people = (request.facts?.approval?.approvers ?? [])
      .filter((a) => a.kind !== "user" || !voters.has(a.id))
      .map(approverMention);
    await runner.record(
      [threadReply(request, `remind:${number}`, reminder(people, number, request.expiresAt))],
      request,
    );
    return true;
  }

  /** A gate whose first contact failed: try again; reschedule with a longer wait, or give up after a day. */
  async function contact(gate: GateRow & { attempts: number }): Promise<boolean> {
    const poster = deps.poster;
    if (!poster) return false;
    try {
      await poster.onGate({
        name: "gate_requested",
        deliveryId: "sweep",
        repository: gate.repository,
        runId: gate.runId,
        environment: gate.environment,
        installationId: gate.installationId,
        sha: null,
      });
      await store.scheduleGateContact(gate.repository, gate.runId, gate.environment, null);
      return true;
    } catch (error) {
      const given = now().getTime() - gate.receivedAt.getTime() > GATE_CONTACT_GIVE_UP_MS;
      const wait = Math.min(GATE_CONTACT_RETRY_MS * 2 ** gate.attempts, GATE_CONTACT_MAX_MS);
      deps.log?.warn(
        {
          err: error,
          repository: gate.repository,
          runId: gate.runId,
          attempts: gate.attempts,
          givenUp: given,
        },
        "first contact at the gate failed again",
      );
      await store.scheduleGateContact(
        gate.repository,
        gate.runId,
        gate.environment,
        given ? null : new Date(now().getTime() + wait),
      );
      return false;
    }
  }

  return {
    async tick() {
      let acted = 0;
      if (deps.poster) {
        const at = now();
        const gates = await store.claimGateContacts(
          at,
          new Date(at.getTime() + GATE_CONTACT_LEASE_MS),
          BATCH,
        );
        for (const gate of gates) if (await contact(gate)) acted += 1;
      }
      const expired = await store.listExpired(now(), BATCH);
      for (const request of expired) if (await expire(request)) acted += 1;
      const reminders = await store.listDueReminders(now(), BATCH);
      for (const request of reminders) if (await remind(request)) acted += 1;
      return acted;
    },
  };
}
