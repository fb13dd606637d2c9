// May this person act on this request? Everything comes from GitHub and the target repository's
// policy on its default branch, never from the message or the workflow. A refusal is data (worded in
// app/sentences.ts); a failure to check at all (GitHub 5xx, a bad private key, the database gone) is
// thrown, so the caller can say that nothing was recorded.
import { type RequestReference, sameReference } from "../../common/reference.js";
import { splitRepository } from "../github/errors.js";
import type { Installations, Octokit } from "../github/installations.js";
import type { Runs } from "../github/runs.js";
import { clickerLookup } from "../identity/clicker.js";
import type { Identity } from "../identity/index.js";
import { type PolicyLoader, resolveEnvironment } from "../policy/index.js";
import { type FirstContact, readFirstContact, runFacts } from "../requests/facts.js";
import { firstContactRefusal } from "../requests/first-contact.js";
import type { Refusal } from "../sentences.js";
import type { SlackApi } from "../slack/api.js";
import type { Actor } from "../slack/interaction.js";
import type { RequestRow, Store } from "../store/types.js";
import { approverRefusal, type PolicyInForce } from "./approvers.js";
import { runRefusal } from "./run-state.js";

export type Authorization =
  | (PolicyInForce & {
      ok: true;
      installationId: number;
      octokit: Octokit;
      /** The stored request, read once here for the whole click. */
      existing: RequestRow | undefined;
      /** What the App read from GitHub on first contact (no stored request yet), to save with it. */
      firstContact?: FirstContact;
    })
  | { ok: false; refusal: Refusal; existing: RequestRow | undefined; firstContact?: FirstContact };

export interface Authorizer {
  authorize(reference: RequestReference, actor: Actor, action: "approve" | "reject"): Promise<Authorization>;
}

export function createAuthorizer(deps: {
  store: Store;
  installations: Installations;
  runs: Runs;
  policies: PolicyLoader;
  slack: SlackApi;
  identity: Identity;
  now?: () => Date;
}): Authorizer {
  const { store, installations, runs, policies, slack } = deps;
  const now = deps.now ?? (() => new Date());

  /** The installation, its client, and the run and the policy, both read at once. */
  async function readGitHub(reference: RequestReference) {
    const installationId = await installations.forRepository(reference.repository);
    if (installationId === undefined) return undefined;
    const octokit = await installations.client(installationId);
    const [owner, repo] = splitRepository(reference.repository);
    const policy = policies.load(octokit, owner, repo);
    policy.catch(() => undefined);
    const run = await runs.get(octokit, reference.repository, reference.runId);
    return { installationId, octokit, run, policy };
  }

  return {
    async authorize(reference, actor, action) {
      // What the App keeps and what GitHub says are read at once: neither needs the other.
      const fromGitHub = readGitHub(reference);
      fromGitHub.catch(() => undefined);
      const existing = await store.getRequest(reference.requestId);
      const refuse = (refusal: Refusal): Authorization => ({ ok: false, refusal, existing });
      if (existing && !matches(existing, reference, actor)) return refuse({ kind: "mismatch" });
      // A run that ended is told as such by the run's state, below.
      if (existing?.closed && existing.closed.kind !== "run_finished") {
        return refuse({ kind: "closed", closure: existing.closed });
      }

      const github = await fromGitHub;
      if (!github) return refuse({ kind: "not_installed", repository: reference.repository });
      const { installationId, octokit, run, policy } = github;
      if (!run)
        return refuse({ kind: "run_missing", repository: reference.repository, runId: reference.runId });
      if (run.attempt !== reference.runAttempt) {
        return refuse({ kind: "wrong_attempt", requested: reference.runAttempt, current: run.attempt });
      }
      const notWaiting = runRefusal(reference.mode, run);
      if (notWaiting) return refuse(notWaiting);
      // First contact (app/requests/first-contact.ts): a message that disagrees with its run, or a gate
      // another request holds, is refused; the request is then kept with GitHub's facts and closed.
      const contact = existing
        ? undefined
        : await firstContactRefusal({ store, slack }, reference, actor, run);
      if (contact) {
        const facts = runFacts(reference.repository, run);
        return { ...refuse(contact), firstContact: { facts, expiresAt: null, remindEveryMs: null } };
      }

      const loaded = await policy;
      if (!loaded.ok) {
        if (loaded.kind === "missing")
          return refuse({ kind: "policy_missing", repository: reference.repository });
        if (loaded.kind === "invalid") return refuse({ kind: "policy_invalid", message: loaded.message });
        return refuse({ kind: "policy_unreadable", message: loaded.message });
      }
      const rules = resolveEnvironment(loaded.policy, reference.environment);
      const named =
        rules &&
        rules.users.length + rules.groups.length + rules.githubLogins.length + rules.githubTeams.length > 0;
      if (!rules || !named) {
        return refuse({ kind: "no_approvers", source: loaded.source, environment: reference.environment });
      }

      const force: PolicyInForce = {
        policy: loaded.policy,
        rules,
        source: loaded.source,
        run,
        repository: reference.repository,
        environment: reference.environment,
        people: clickerLookup(deps.identity, octokit),
      };
      const refusal = await approverRefusal(slack, force, actor.user, action);
      if (refusal) return refuse(refusal);

      const createdAt = existing?.createdAt ?? slackTsToDate(actor.messageTs);
      if (now().getTime() > createdAt.getTime() + rules.expireAfterMs) return refuse({ kind: "expired" });

      const firstContact =
        existing || !("messageBlocks" in actor)
          ? undefined
          : await readFirstContact(octokit, {
              repository: reference.repository,
              environment: reference.environment,
              run,
              rules,
              createdAt,
            });
      return { ok: true, ...force, installationId, octokit, existing, firstContact };
    },
  };
}

function matches(row: RequestRow, reference: RequestReference, actor: Actor): boolean {
  return (
    sameReference(
      {
        repository: row.repository,
        runId: row.runId,
        runAttempt: row.runAttempt,
        environment: row.environment,
        mode: row.mode,
        requestId: row.requestId,
      },
      reference,
    ) &&
    row.channelId === actor.channelId &&
    row.messageTs === actor.messageTs
  );
}

/** A Slack message ts is "<epoch seconds>.<sequence>": when the message was posted. */
export function slackTsToDate(ts: string): Date {
  const seconds = Number.parseFloat(ts);
  return Number.isFinite(seconds) ? new Date(Math.floor(seconds * 1000)) : new Date(0);
}
