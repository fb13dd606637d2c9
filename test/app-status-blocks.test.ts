// The App's status on the request message: buttons kept under progress and gone once decided, what
// is still unconfirmed said so, notes escaped, and the App's own blocks dropped from what it keeps.
import type { KnownBlock } from "@slack/web-api";
import { describe, expect, it } from "vitest";
import { renderStatus, withoutStatus } from "../app/slack/status-blocks.js";
import { buildRequestMessage } from "../common/message.js";
import { BLOCK_IDS } from "../common/reference.js";
import { checkBlocks } from "../testkit/fakes/slack-blocks.js";
import { requestDetails } from "../testkit/helpers/request-message.js";

const details = requestDetails;

const byId = (blocks: KnownBlock[], id: string) => blocks.find((b) => b.block_id === id);

describe("renderStatus", () => {
  const blocks = buildRequestMessage(details()).blocks;

  it("keeps the buttons under progress, and drops them once decided", () => {
    const progress = renderStatus(blocks, { kind: "progress", approvers: ["U0ALICE"], required: 2 });
    expect(byId(progress.blocks, BLOCK_IDS.actions)).toBeDefined();
    expect(progress.text).toBe("1 of 2 approvals");
    const decided = renderStatus(progress.blocks, {
      kind: "decided",
      decision: "approved",
      mode: "gate",
      deciders: [{ slackUserId: "U0ALICE", name: "alice", githubLogin: null }],
      reason: null,
      at: new Date("2026-01-02T03:04:05Z"),
      applied: "retrying",
      note: "GitHub answered 502 <!channel>",
    });
    expect(byId(decided.blocks, BLOCK_IDS.actions)).toBeUndefined();
    const line = (byId(decided.blocks, BLOCK_IDS.status) as { text: { text: string } }).text.text;
    expect(line).toContain("*Approved* by <@U0ALICE>");
    expect(line).toContain("GitHub has not accepted it yet (GitHub answered 502 &lt;!channel&gt;)");
    expect(decided.text).toBe("Deployment approved, not yet applied in GitHub");
    expect(checkBlocks(JSON.parse(JSON.stringify(decided.blocks)), "message")).toEqual([]);
  });

  it("forgets its own status when the request keeps the message to rebuild from", () => {
    const shown = renderStatus(blocks, { kind: "closed", note: "the run finished" }).blocks;
    expect(withoutStatus(shown).some((b) => (b as KnownBlock).block_id === BLOCK_IDS.status)).toBe(false);
  });
});
