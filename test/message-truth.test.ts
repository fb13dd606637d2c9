// Reading a posted request message back, and judging it: what it states where the shared builder writes
// it, what it carries that the builder never writes, the workflow's own words made safe again, and the
// truth check against the reference and GitHub's run (app/requests/truth.ts).
import type { KnownBlock } from "@slack/web-api";
import { describe, expect, it } from "vitest";
import type { RunInfo } from "../app/github/runs.js";
import { messageProblems } from "../app/requests/truth.js";
import {
  approvalLine,
  buildRequestMessage,
  type RequestDetails,
  readStatedFacts,
  workflowParts,
} from "../common/message.js";
import type { RequestReference } from "../common/reference.js";
import { checkBlocks } from "../testkit/fakes/slack-blocks.js";

const SHA = "0123456789abcdef0123456789abcdef01234567";
const reference: RequestReference = {
  repository: "octo/app",
  runId: 1234,
  runAttempt: 2,
  environment: "prod & <eu>",
  mode: "gate",
  requestId: "req_ABCDEFGH",
};
const details = (overrides: Partial<RequestDetails> = {}): RequestDetails => ({
  reference,
  serverUrl: "https://ghe.example.com",
  workflow: "Deploy",
  ref: "refs/heads/main",
  sha: SHA,
  commitTitle: "Fix",
  actor: "octocat",
  eventName: "push",
  message: "Ship <!channel> *now*",
  mentions: ["U0JANE", "S0SRE"],
  ...overrides,
});
const run: RunInfo = {
  id: 1234,
  attempt: 2,
  status: "waiting",
  conclusion: null,
  actor: "octocat",
  triggeringActor: "octocat",
  htmlUrl: "https://ghe.example.com/octo/app/actions/runs/1234",
  headSha: SHA,
  name: "Deploy",
  headBranch: "main",
  event: "push",
  startedAt: null,
  readAt: new Date(),
};

describe("reading a posted message back", () => {
  it("finds what the builder states, through escaping and links", () => {
    const { blocks } = buildRequestMessage(details());
    expect(readStatedFacts(blocks)).toEqual({
      header: "Deploy octo/app to prod & <eu>?",
      repository: "octo/app",
      environment: "prod &amp; &lt;eu&gt;",
      runId: 1234,
      runAttempt: 2,
      sha: SHA,
      foreign: [],
    });
    expect(messageProblems(blocks, reference, run)).toEqual([]);
  });

  it("keeps the workflow's words and pings, and makes any markup in them literal again", () => {
    const { blocks } = buildRequestMessage(details());
    expect(workflowParts(blocks)).toEqual({
      text: "Ship &lt;!channel&gt; *now*",
      mentions: ["U0JANE", "S0SRE"],
    });
    const tampered = blocks.map((b) =>
      b.block_id === "sdg_message"
        ? ({
            ...b,
            text: { type: "mrkdwn", text: "_Message from the workflow:_\nClick <https://evil|here> <!here>" },
          } as KnownBlock)
        : b.block_id === "sdg_mentions"
          ? ({
              ...b,
              text: { type: "mrkdwn", text: "Approval requested from <@U0JANE> <!channel> <@evil>" },
            } as KnownBlock)
          : b,
    );
    expect(workflowParts(tampered)).toEqual({
      text: "Click &lt;https://evil|here&gt; &lt;!here&gt;",
      mentions: ["U0JANE"],
    });
  });

  it("names each statement its run contradicts, and content the builder never writes", () => {
    const lie = buildRequestMessage(
      details({
        reference: {
          ...reference,
          repository: "octo/docs",
          environment: "staging",
          runId: 99,
          runAttempt: 1,
        },
        sha: "f".repeat(40),
      }),
    ).blocks;
    const withLure: KnownBlock[] = [{ type: "divider", block_id: "x" }, ...lie];
    expect(messageProblems(withLure, reference, { ...run, attempt: 3 })).toEqual([
      'its header says "Deploy octo/docs to staging?", but its buttons ask "Deploy octo/app to prod & <eu>?"',
      "it names repository octo/docs, but its buttons are for octo/app",
      "its Environment field does not say prod & <eu>, which its buttons are for",
      "it links run 99 (attempt 1), but its buttons are for run 1234 (attempt 2)",
      "its buttons are for attempt 2, but GitHub's run is on attempt 3",
      "it shows commit fffffff, but the run is for 0123456",
      "it carries content slack-deploy-gate never writes (x)",
    ]);
    // A pull request's deployment may be for the merge commit GitHub reported with the gate.
    const merge = buildRequestMessage(details({ sha: "e".repeat(40) })).blocks;
    expect(messageProblems(merge, reference, run, "e".repeat(40))).toEqual([]);
  });
});

describe("who may approve, by when", () => {
  it("pings Slack people and groups, names GitHub people and teams, counts the rest, and gives the expiry as a Slack date", () => {
    const approvers = [
      { kind: "group", id: "S0SRE" },
      { kind: "github_team", org: "acme", slug: "release" },
      ...Array.from({ length: 11 }, (_, i) => ({
        kind: "user" as const,
        id: `U0P${String(i).padStart(3, "0")}`,
      })),
      { kind: "github_user", login: "<!channel>" },
    ] as const;
    const line = approvalLine({
      required: 2,
      approvers: [...approvers],
      expiresAt: "2026-01-02T03:04:05.000Z",
      expireAfterMs: 90 * 60_000,
    });
    expect(line).toBe(
      `:busts_in_silhouette: Needs 2 approvals from <!subteam^S0SRE>, @acme/release, ${Array.from({ length: 8 }, (_, i) => `<@U0P${String(i).padStart(3, "0")}>`).join(", ")} and 4 more · :alarm_clock: Expires <!date^1767323045^{date_short_pretty} at {time}|2026-01-02T03:04:05.000Z> (1 h 30 min after it was asked)`,
    );
    expect(
      approvalLine({
        required: 1,
        approvers: [],
        expiresAt: "2026-01-02T03:04:05.000Z",
        expireAfterMs: 7 * 86_400_000,
      }),
    ).toContain("(7 days after it was asked)");
    expect(approvalLine({ required: 1, approvers: [] })).toBe(
      ":busts_in_silhouette: Needs 1 approval (the policy names nobody, so nobody can approve)",
    );
  });

  it("stays within Slack's limits with every part at its largest", () => {
    const { blocks } = buildRequestMessage(
      details({
        approval: {
          required: 20,
          approvers: Array.from({ length: 1000 }, (_, i) => ({
            kind: "user" as const,
            id: `U${String(i).padStart(8, "0")}`,
          })),
          expiresAt: new Date().toISOString(),
          expireAfterMs: 30 * 86_400_000,
        },
        changes: {
          kind: "ahead",
          since: { sha: SHA, at: new Date().toISOString() },
          count: 5000,
          commits: Array.from({ length: 5 }, () => ({
            sha: SHA,
            title: "&".repeat(5000),
            author: "<".repeat(500),
          })),
          compareUrl: "https://ghe.example.com/octo/app/compare/a...b",
        },
        message: "&".repeat(10_000),
      }),
      { title: "T".repeat(500), footerNote: "n".repeat(5000) },
    );
    expect(checkBlocks(JSON.parse(JSON.stringify(blocks)), "message")).toEqual([]);
  });
});
