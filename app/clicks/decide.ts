// Vote → decide: records a vote, counts the votes that still count under the policy in force, and
// takes the decision once enough agree. The decision and everything it causes (the mode's GitHub
// effects, the message update, the deciding votes' thread replies) are recorded in one transaction;
// only then does anything reach Slack, so the losing side of a race is never announced: it is told,
// privately, that its vote came after the decision.

import { noteClick, noteDecision } from "../activity/context.js";
import { messageUpdate } from "../effects/message-state.js";
import { effectId, MODE_EFFECTS } from "../effects/modes.js";
import type { EffectRunner } from "../effects/runner.js";
import { deciderLogin } from "../identity/approval.js";
import { metrics } from "../metrics.js";
import * as say from "../sentences.js";
import type { SlackApi } from "../slack/api.js";
import type { Actor } from "../slack/interaction.js";
import type { Decider, Decision, GateRow, NewEffect, RequestRow, Store, Vote } from "../store/types.js";
import { type PolicyInForce, stillApprovers } from "./approvers.js";

/** Names are looked up when the decision is taken, briefly: a slow Slack leaves the ID alone. */
const NAME_TIMEOUT_MS = 1_000;

export interface Decisions {
  /**
   * Starts, at the click, the look-up a decision by this person would need whatever the vote: their
   * display name, so that it is not a Slack round trip between the vote and the decision. The name is
   * still the one Slack gives when the decision is taken (cached, or the same look-up still running).
   */
  prepare(actor: Actor): void;
  /** `recovered`: the click is being handled again after a crash, so its vote may be stored already. */
  vote(input: {
    row: RequestRow;
    actor: Actor;
    vote: Vote;
    reason: string | null;
    force: PolicyInForce;
    recovered: boolean;
  }): Promise<void>;
}

export function createDecisions(deps: {
  store: Store;
  runner: EffectRunner;
  slack: SlackApi;
  tell: (actor: Actor, text: string) => Promise<void>;
  now?: () => Date;
}): Decisions {
  const { store, runner, slack, tell } = deps;
  const now = deps.now ?? (() => new Date());

  async function deciders(users: string[], force: PolicyInForce): Promise<Decider[]> {
    return Promise.all(
      users.map(async (user) => {
        const [name, githubLogin] = await Promise.all([
          slack.userName(user, NAME_TIMEOUT_MS),
          deciderLogin(force, user),
        ]);
        return { slackUserId: user, name: name ?? null, githubLogin };
      }),
    );
  }

  function reply(row: RequestRow, user: string, text: string): NewEffect {
    return {
      id: effectId(row.requestId, "slack.reply", `vote:${user}`),
      requestId: row.requestId,
      kind: "slack.reply",
      payload: { text },
      state: "due",
      onConflict: "ignore",
    };
  }

  /** A vote that did not count is answered privately: the request had been decided by others. */
  function lateNotice(
    row: RequestRow,
    actor: Actor,
    vote: Vote,
    decision: Decision,
    by: Decider[],
  ): NewEffect {
    return {
      id: effectId(row.requestId, "slack.ephemeral", `late:${actor.user}`),
      requestId: row.requestId,
      kind: "slack.ephemeral",
      payload: {
        channel: actor.channelId,
        user: actor.user,
        text: say.voteCameAfterDecision(vote, decision, by),
      },
      state: "due",
      onConflict: "ignore",
    };
  }

  /** The loser of a race hears it privately; someone whose vote is among the deciders hears nothing. */
  async function lost(
    row: RequestRow,
    actor: Actor,
    vote: Vote,
    current: RequestRow | undefined,
  ): Promise<void> {
    noteClick({ outcome: "late" });
    if (!current?.decision || current.decidedBy.some((d) => d.slackUserId === actor.user)) return;
    await runner.record([lateNotice(row, actor, vote, current.decision, current.decidedBy)], current);
  }

  async function decide(
    row: RequestRow,
    actor: Actor,
    vote: Vote,
    decision: Decision,
    users: string[],
    reason: string | null,
    replies: NewEffect[],
    force: PolicyInForce,
  ): Promise<void> {
    // Gate mode: the review can go at once when GitHub has reported the gate; else it waits for it.
    // The gate is read while the deciders' names are looked up: neither needs the other.
    const [decidedBy, gateNow] = await Promise.all([
      deciders(users, force),
      row.mode === "gate" ? store.getGate(row.repository, row.runId, row.environment) : undefined,
    ]);
    let gate: GateRow | undefined = gateNow;
    const github: NewEffect[] = MODE_EFFECTS[row.mode](decision).map(({ kind, state }) => ({
      id: effectId(row.requestId, kind),
      requestId: row.requestId,
      kind,
      payload:
        kind === "github.review"
          ? { gate: gate ? { environment: gate.environment, installationId: gate.installationId } : null }
          : { headSha: force.run.headSha, runUrl: force.run.htmlUrl },
      state: kind === "github.review" && gate ? "due" : state,
      onConflict: "ignore",
    }));
    const effects = [...github, messageUpdate(row.requestId, { show: "decision" }), ...replies];
    // The earliest votes decide: a clicker whose vote came after enough others is told it did not count.
    if (!users.includes(actor.user)) effects.push(lateNotice(row, actor, vote, decision, decidedBy));
    const at = now();
    if (!(await store.decide(row.requestId, { decision, decidedBy, reason, at }, effects))) {
      await lost(row, actor, vote, await store.getRequest(row.requestId));
      return;
    }
    noteDecision(decision, decidedBy, reason);
    noteClick({ outcome: "decided" });
    metrics.decision(decision, row.mode);
    const decided: RequestRow = { ...row, decision, decidedAt: at, decidedBy, reason };
    const due = effects.filter((e) => e.state === "due").map((e) => e.id);
    if (row.mode === "gate" && !gate) {
      // The gate may have arrived while deciding: its webhook found no decision to wake, so wake it here.
      gate = await store.getGate(row.repository, row.runId, row.environment);
      if (gate) {
        await store.wakeEffects(row.requestId, ["github.review"], now());
        due.unshift(effectId(row.requestId, "github.review"));
      }
    }
    await runner.run(due, decided);
  }

  return {
    prepare(actor) {
      // After the click's own reads have gone out (they come first); the look-up outlives this call
      // and its answer is cached for the decision (slack/api.ts).
      setImmediate(() => void slack.userName(actor.user, NAME_TIMEOUT_MS));
    },
    async vote({ row, actor, vote, reason, force, recovered }) {
      const added = await store.addVote({
        requestId: row.requestId,
        slackUserId: actor.user,
        vote,
        reason,
        at: now(),
      });
      const votes = added || recovered ? await store.listVotes(row.requestId) : [];
      const mine = votes.find((v) => v.slackUserId === actor.user);
      if (!added && (!recovered || mine?.vote !== vote)) {
        noteClick({ outcome: "duplicate" });
        return tell(actor, say.alreadyVoted());
      }

      if (vote === "reject") {
        const text = say.rejectionVote(actor.user, reason ?? "");
        return decide(
          row,
          actor,
          vote,
          "rejected",
          [actor.user],
          reason,
          [reply(row, actor.user, text)],
          force,
        );
      }

      const voters = votes.filter((v) => v.vote === "approve").map((v) => v.slackUserId);
      const counted = await stillApprovers(slack, force, voters);
      const required = force.rules.requiredApprovals;
      if (counted.length < required) {
        // Not deciding: still, a decision may have been taken since this click read the request.
        const current = await store.getRequest(row.requestId);
        if (current?.decision) return lost(row, actor, vote, current);
        noteClick({ outcome: "counted", counted: counted.length, required });
        await runner.record(
          [
            messageUpdate(row.requestId, { show: "progress", approvers: counted, required }),
            reply(row, actor.user, say.approvalVote(actor.user, counted.length, required)),
          ],
          current,
        );
        return;
      }
      const chosen = counted.slice(0, required);
      const replies = chosen.map((user, i) => reply(row, user, say.approvalVote(user, i + 1, required)));
      return decide(row, actor, vote, "approved", chosen, null, replies, force);
    },
  };
}
