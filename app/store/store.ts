// The Store, once, over either driver: each method is a program of statements from statements.ts,
// run on its own or in one transaction. Values cross here: dates to epoch milliseconds, JSON to text,
// repository and environment names to their look-up keys.

import type { RequestFacts } from "../../common/facts.js";
import type { Driver } from "./driver.js";
import { migrationProgram } from "./migrations.js";
import {
  byDueTime,
  byReceivedTime,
  type EffectRecord,
  environmentKey,
  type GateRecord,
  type InboundRecord,
  json,
  type RequestRecord,
  repositoryKey,
  toEffectRow,
  toGateRow,
  toInboundRow,
  toRequestRow,
  toVoteRow,
  type VoteRecord,
} from "./records.js";
import { all, get, type Param, type Program, run } from "./sql.js";
import { insertEffects, type Statements, statements } from "./statements.js";
import type {
  Closure,
  Decider,
  Decision,
  EffectKind,
  EffectOutcome,
  EffectRow,
  GateRow,
  GitHubApproval,
  InboundRow,
  NewEffect,
  NewInbound,
  NewRequest,
  NewVote,
  RequestRow,
  RunOutcome,
  Store,
  VoteRow,
} from "./types.js";

export class SqlStore implements Store {
  readonly kind: "sqlite" | "postgres";
  private readonly sql: Statements;

  constructor(readonly driver: Driver) {
    this.kind = driver.kind;
    this.sql = statements(driver.dialect);
  }

  migrate(): Promise<void> {
    return this.driver.migration(migrationProgram(this.driver.kind, this.driver.dialect));
  }

  async ping(): Promise<void> {
    await this.driver.run(get(this.sql.ping));
  }

  close(): Promise<void> {
    return this.driver.close();
  }

  // ---- requests ----

  saveRequest(request: NewRequest): Promise<RequestRow> {
    const { sql } = this;
    return this.driver.run(
      (function* () {
        const inserted = yield* get<RequestRecord>(sql.insertRequest, [
          request.requestId,
          repositoryKey(request.repository),
          request.runId,
          request.runAttempt,
          request.environment,
          environmentKey(request.environment),
          request.mode,
          request.channelId,
          request.messageTs,
          json(request.messageBlocks),
          request.createdAt.getTime(),
          request.origin ?? "action",
          request.facts ? json(request.facts) : null,
          request.expiresAt?.getTime() ?? null,
          request.remindEveryMs ?? null,
          firstReminder(request.createdAt, request.remindEveryMs ?? null, request.expiresAt ?? null),
        ]);
        // The id was taken: the conflicting insert has committed by now, so this sees it.
        const row = inserted ?? (yield* get<RequestRecord>(sql.getRequest, [request.requestId]));
        if (!row) throw new Error(`request ${request.requestId} vanished right after it was saved`);
        return toRequestRow(row);
      })(),
    );
  }

  async getRequest(requestId: string): Promise<RequestRow | undefined> {
    const row = await this.driver.run(get<RequestRecord>(this.sql.getRequest, [requestId]));
    return row && toRequestRow(row);
  }

  async findRequests(repository: string, runId: number, environment: string): Promise<RequestRow[]> {
    const rows = await this.driver.run(
      all<RequestRecord>(this.sql.findRequests, [
        repositoryKey(repository),
        runId,
        environmentKey(environment),
      ]),
    );
    return rows.map(toRequestRow);
  }

  async findRequestsForRun(repository: string, runId: number): Promise<RequestRow[]> {
    const rows = await this.driver.run(
      all<RequestRecord>(this.sql.findRequestsForRun, [repositoryKey(repository), runId]),
    );
    return rows.map(toRequestRow);
  }

  async setFacts(
    requestId: string,
    facts: RequestFacts,
    timing: { expiresAt: Date | null; remindEveryMs: number | null },
  ): Promise<boolean> {
    const row = await this.getRequest(requestId);
    if (!row) return false;
    const changed = await this.driver.run(
      run(this.sql.setFacts, [
        json(facts),
        timing.expiresAt?.getTime() ?? null,
        timing.remindEveryMs,
        firstReminder(row.createdAt, timing.remindEveryMs, timing.expiresAt),
        requestId,
      ]),
    );
    return changed === 1;
  }

  async setMessage(
    requestId: string,
    channelId: string,
    messageTs: string,
    blocks: unknown[],
  ): Promise<void> {
    await this.driver.run(run(this.sql.setMessage, [channelId, messageTs, json(blocks), requestId]));
  }

  closeRequest(requestId: string, closure: Closure, at: Date, effects: NewEffect[]): Promise<boolean> {
    const { sql } = this;
    const when = at.getTime();
    return this.driver.transaction(
      (function* () {
        const changed = yield* run(sql.closeRequest, [json(closure), when, requestId]);
        if (changed !== 1) return false;
        yield* effectInserts(effects, when);
        return true;
      })(),
    );
  }

  addGitHubApproval(requestId: string, approval: GitHubApproval): Promise<boolean> {
    const { sql } = this;
    return this.driver.transaction(
      (function* () {
        // Compare-and-set on the list: a concurrent delivery makes this one read it again.
        for (let attempt = 0; attempt < 5; attempt++) {
          const row = yield* get<{ github_approvals: string }>(sql.getGitHubApprovals, [requestId]);
          if (!row) return false;
          const list = JSON.parse(row.github_approvals) as GitHubApproval[];
          if (list.some((a) => a.login.toLowerCase() === approval.login.toLowerCase())) return false;
          const next = json([...list, approval]);
          if ((yield* run(sql.setGitHubApprovals, [next, requestId, row.github_approvals])) === 1)
            return true;
        }
        return false;
      })(),
    );
  }

  async setOutcome(requestId: string, outcome: RunOutcome): Promise<void> {
    await this.driver.run(run(this.sql.setOutcome, [json(outcome), requestId]));
  }

  async listExpired(now: Date, limit: number): Promise<RequestRow[]> {
    const rows = await this.driver.run(all<RequestRecord>(this.sql.listExpired, [now.getTime(), limit]));
    return rows.map(toRequestRow);
  }

  async listDueReminders(now: Date, limit: number): Promise<RequestRow[]> {
    const rows = await this.driver.run(all<RequestRecord>(this.sql.listDueReminders, [now.getTime(), limit]));
    return rows.map(toRequestRow);
  }

  async claimReminder(requestId: string, sent: number, next: Date | null): Promise<boolean> {
    const changed = await this.driver.run(
      run(this.sql.claimReminder, [next?.getTime() ?? null, requestId, sent]),
    );
    return changed === 1;
  }

  // ---- votes ----

  async addVote(vote: NewVote): Promise<boolean> {
    const changed = await this.driver.run(
      run(this.sql.insertVote, [vote.requestId, vote.slackUserId, vote.vote, vote.reason, vote.at.getTime()]),
    );
    return changed === 1;
  }

  async listVotes(requestId: string): Promise<VoteRow[]> {
    const rows = await this.driver.run(all<VoteRecord>(this.sql.listVotes, [requestId]));
    return rows.map(toVoteRow);
  }

  decide(
    requestId: string,
    decision: { decision: Decision; decidedBy: Decider[]; reason: string | null; at: Date },
    effects: NewEffect[],
  ): Promise<boolean> {
    const { sql } = this;
    const at = decision.at.getTime();
    return this.driver.transaction(
      (function* () {
        const changed = yield* run(sql.decide, [
          decision.decision,
          at,
          json(decision.decidedBy),
          decision.reason,
          requestId,
        ]);
        if (changed !== 1) return false;
        yield* effectInserts(effects, at);
        return true;
      })(),
    );
  }

  // ---- gates ----

  async saveGate(gate: GateRow): Promise<void> {
    await this.driver.run(
      run(this.sql.upsertGate, [
        repositoryKey(gate.repository),
        gate.runId,
        gate.environment,
        environmentKey(gate.environment),
        gate.installationId,
        gate.receivedAt.getTime(),
      ]),
    );
  }

  async getGate(repository: string, runId: number, environment: string): Promise<GateRow | undefined> {
    const row = await this.driver.run(
      get<GateRecord>(this.sql.getGate, [repositoryKey(repository), runId, environmentKey(environment)]),
    );
    return row && toGateRow(row);
  }

  async scheduleGateContact(
    repository: string,
    runId: number,
    environment: string,
    dueAt: Date | null,
  ): Promise<void> {
    const at = dueAt?.getTime() ?? null;
    await this.driver.run(
      run(this.sql.scheduleGateContact, [
        at,
        at === null ? 0 : 1,
        repositoryKey(repository),
        runId,
        environmentKey(environment),
      ]),
    );
  }

  async claimGateContacts(
    now: Date,
    leaseUntil: Date,
    limit: number,
  ): Promise<Array<GateRow & { attempts: number }>> {
    const rows = await this.driver.run(
      all<GateRecord & { contact_attempts: number }>(this.sql.claimGateContacts, [
        now.getTime(),
        limit,
        leaseUntil.getTime(),
      ]),
    );
    return rows.map((r) => ({ ...toGateRow(r), attempts: r.contact_attempts }));
  }

  // ---- effects ----

  async addEffects(effects: NewEffect[], now: Date): Promise<void> {
    if (effects.length === 0) return;
    await this.driver.transaction(effectInserts(effects, now.getTime()));
  }

  async listEffects(requestId: string): Promise<EffectRow[]> {
    const rows = await this.driver.run(all<EffectRecord>(this.sql.listEffects, [requestId]));
    return rows.map(toEffectRow);
  }

  async wakeEffects(requestId: string, kinds: EffectKind[], now: Date): Promise<void> {
    if (kinds.length === 0) return;
    const at = now.getTime();
    await this.driver.run(run(this.sql.wakeEffects, [at, at, requestId, JSON.stringify(kinds), at]));
  }

  async claimEffect(id: string, now: Date, leaseMs: number): Promise<EffectRow | undefined> {
    const at = now.getTime();
    const row = await this.driver.run(
      get<EffectRecord>(this.sql.claimEffect, [at + leaseMs, at, id, at, at]),
    );
    return row && toEffectRow(row);
  }

  async claimDueEffects(now: Date, leaseMs: number, limit: number): Promise<EffectRow[]> {
    const at = now.getTime();
    const rows = await this.driver.run(
      all<EffectRecord>(this.sql.claimDueEffects, [at, at, limit, at + leaseMs, at]),
    );
    return rows.sort(byDueTime).map(toEffectRow);
  }

  async finishEffect(id: string, generation: number, outcome: EffectOutcome, now: Date): Promise<void> {
    const at = now.getTime();
    const { sql } = this;
    let statement: string;
    let params: Param[];
    switch (outcome.state) {
      case "done":
        statement = sql.finishDone;
        params = [generation, outcome.result === undefined ? null : json(outcome.result), at, id];
        break;
      case "retry":
        statement = sql.finishRetry;
        params = [generation, generation, outcome.nextAttemptAt.getTime(), outcome.error, at, id];
        break;
      case "failed":
        statement = sql.finishFailed;
        params = [generation, generation, outcome.note, at, id];
        break;
      case "waiting":
        statement = sql.finishWaiting;
        params = [generation, generation, outcome.note, at, id];
        break;
      case "obsolete":
        statement = sql.finishObsolete;
        params = [outcome.note, at, id];
        break;
    }
    await this.driver.run(run(statement, params));
  }

  // ---- inbound ----

  async saveInbound(inbound: NewInbound): Promise<boolean> {
    const changed = await this.driver.run(
      run(this.sql.insertInbound, [inbound.id, inbound.receivedAt.getTime(), inbound.body]),
    );
    return changed === 1;
  }

  async claimStaleInbound(olderThan: Date, now: Date, leaseMs: number, limit: number): Promise<InboundRow[]> {
    const at = now.getTime();
    const rows = await this.driver.run(
      all<InboundRecord>(this.sql.claimStaleInbound, [olderThan.getTime(), at, limit, at + leaseMs]),
    );
    return rows.sort(byReceivedTime).map(toInboundRow);
  }

  async finishInbound(id: string): Promise<void> {
    await this.driver.run(run(this.sql.finishInbound, [id]));
  }

  pruneInbound(before: Date): Promise<number> {
    return this.driver.run(run(this.sql.pruneInbound, [before.getTime()]));
  }
}

/**
 * Inserts effects in at most two statements (one per conflict rule). An id given twice counts once:
 * the last one given. Rows go in id order, so that two transactions writing the same effects take
 * their row locks in the same order (PostgreSQL would otherwise abort one of them as a deadlock).
 */
function* effectInserts(effects: NewEffect[], now: number): Program<void> {
  const byId = new Map<string, NewEffect>();
  for (const effect of effects) byId.set(effect.id, effect);
  const sorted = [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  for (const onConflict of ["ignore", "refresh"] as const) {
    const batch = sorted.filter((e) => e.onConflict === onConflict);
    if (batch.length === 0) continue;
    const params = batch.flatMap((e): Param[] => [
      e.id,
      e.requestId,
      e.kind,
      json(e.payload),
      e.state,
      e.state === "due" ? now : null,
      now,
      now,
    ]);
    yield* run(insertEffects(onConflict, batch.length), params);
  }
}

/** The first reminder is due one interval after the request was posted, if that is before it expires. */
function firstReminder(createdAt: Date, everyMs: number | null, expiresAt: Date | null): number | null {
  if (!everyMs) return null;
  const at = createdAt.getTime() + everyMs;
  return expiresAt && at >= expiresAt.getTime() ? null : at;
}
