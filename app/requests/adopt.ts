// Adopting a request the workflow posted, when GitHub reports its gate: the Action announced where its
// message is (app/requests/announced.ts); the App reads that message from Slack and, only if its
// metadata and its buttons carry the announced reference, makes first contact with it as a click would
// (app/requests/first-contact.ts): a message that disagrees with its run is closed as such, a second
// request for a gate another holds is superseded, and a true one is kept with GitHub's facts and shown
// rebuilt at once (who may approve, by when, what changed). From then on it follows GitHub, expires on
// the timer and gets its reminders, whether or not anyone clicks.
import type { Logger } from "probot";
import type { Announcement } from "../../common/announce.js";
import {
  ACTION_IDS,
  BLOCK_IDS,
  decodeReference,
  metadataToReference,
  sameReference,
} from "../../common/reference.js";
import type { Octokit } from "../github/installations.js";
import type { RunInfo } from "../github/runs.js";
import type { EnvironmentRules } from "../policy/index.js";
import { type SlackApi, slackErrorCode } from "../slack/api.js";
import { withoutStatus } from "../slack/status-blocks.js";
import type { Closure } from "../store/types.js";
import { readFirstContact, runFacts } from "./facts.js";
import { closeRequest, holdsGate, type LifeDeps, refreshMessage } from "./life.js";
import { messageProblems } from "./truth.js";

export async function adoptAnnounced(
  deps: LifeDeps & { slack: SlackApi; log: Logger },
  input: { octokit: Octokit; run: RunInfo; rules: EnvironmentRules | undefined; announcement: Announcement },
): Promise<void> {
  const { store, slack, log } = deps;
  const { reference, channel, ts } = input.announcement;
  if (await store.getRequest(reference.requestId)) return;
  let posted: Awaited<ReturnType<SlackApi["readMessage"]>>;
  try {
    posted = await slack.readMessage(channel, ts);
  } catch (error) {
    // Without the history scope (or outside the channel) the first click makes first contact instead.
    log.warn(
      { slackError: slackErrorCode(error), requestId: reference.requestId },
      "could not read the announced request",
    );
    return;
  }
  if (!posted || !carries(posted, reference)) {
    log.warn(
      { requestId: reference.requestId, channel, ts },
      "the announced message does not carry its reference",
    );
    return;
  }

  const problems = messageProblems(posted.blocks, reference, input.run);
  const holder = (
    await store.findRequests(reference.repository, reference.runId, reference.environment)
  ).find((r) => r.runAttempt === reference.runAttempt && r.requestId !== reference.requestId && holdsGate(r));
  // A message's ts is when Slack posted it: expiry counts from there.
  const createdAt = new Date(Math.floor(Number.parseFloat(ts) * 1000));
  const contact =
    problems.length === 0 && !holder
      ? await readFirstContact(input.octokit, {
          repository: reference.repository,
          environment: reference.environment,
          run: input.run,
          rules: input.rules,
          createdAt,
        })
      : { facts: runFacts(reference.repository, input.run), expiresAt: null, remindEveryMs: null };
  const row = await store.saveRequest({
    ...reference,
    channelId: channel,
    messageTs: ts,
    messageBlocks: withoutStatus(posted.blocks),
    createdAt,
    origin: "action",
    facts: contact.facts,
    expiresAt: contact.expiresAt,
    remindEveryMs: contact.remindEveryMs,
  });
  // A click that got there first has decided or closed it already.
  if (row.decision || row.closed) return;
  const closure: Closure | undefined =
    problems.length > 0
      ? { kind: "mismatch", problems }
      : holder
        ? { kind: "superseded", channelId: holder.channelId, messageTs: holder.messageTs }
        : undefined;
  if (closure) await closeRequest(deps, row, closure);
  else await refreshMessage(deps, row);
}

/** The message's metadata and both its buttons name exactly this reference. */
function carries(
  posted: { blocks: unknown[]; metadata: { event_type?: unknown; event_payload?: unknown } | undefined },
  reference: Announcement["reference"],
): boolean {
  try {
    if (!sameReference(metadataToReference(posted.metadata), reference)) return false;
  } catch {
    return false;
  }
  const actions = posted.blocks.find((b) => (b as { block_id?: unknown }).block_id === BLOCK_IDS.actions) as
    | { elements?: Array<{ action_id?: unknown; value?: unknown }> }
    | undefined;
  const buttons = (actions?.elements ?? []).filter(
    (e) => e.action_id === ACTION_IDS.approve || e.action_id === ACTION_IDS.reject,
  );
  if (buttons.length !== 2) return false;
  return buttons.every((b) => {
    try {
      return sameReference(decodeReference(b.value), reference);
    } catch {
      return false;
    }
  });
}
