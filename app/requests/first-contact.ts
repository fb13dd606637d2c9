// The first time the App meets an Action-posted request is a click on it. Before anything is
// counted, the message must tell the truth about the run its buttons name (app/requests/truth.ts),
// and no other request may already hold the same gate (an App-posted one, or an earlier message for
// the same run): otherwise nobody can approve it, the clicker is told why, and the message is rebuilt
// from GitHub's facts with the reason in place of its buttons (app/clicks/refuse.ts closes it).
import type { RequestReference } from "../../common/reference.js";
import type { RunInfo } from "../github/runs.js";
import type { Refusal } from "../sentences.js";
import type { SlackApi } from "../slack/api.js";
import type { Actor } from "../slack/interaction.js";
import type { Store } from "../store/types.js";
import { holdsGate } from "./life.js";
import { messageProblems } from "./truth.js";

export async function firstContactRefusal(
  deps: { store: Store; slack: SlackApi },
  reference: RequestReference,
  actor: Actor,
  run: RunInfo,
): Promise<Refusal | undefined> {
  const blocks = (actor as { messageBlocks?: unknown }).messageBlocks;
  if (!Array.isArray(blocks)) return undefined;
  const problems = messageProblems(blocks, reference, run);
  if (problems.length > 0) return { kind: "message_mismatch", problems };
  const holder = (
    await deps.store.findRequests(reference.repository, reference.runId, reference.environment)
  ).find((r) => r.runAttempt === reference.runAttempt && r.requestId !== reference.requestId && holdsGate(r));
  if (!holder) return undefined;
  const url = holder.messageTs ? await deps.slack.permalink(holder.channelId, holder.messageTs) : undefined;
  return { kind: "superseded", channelId: holder.channelId, messageTs: holder.messageTs, url };
}
