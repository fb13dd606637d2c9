// The request message: every piece of run data shows literally (no pings, no forged links), every
// limit Slack enforces holds for hostile and huge inputs, and the App can swap the buttons for status.
import type { KnownBlock } from "@slack/web-api";
import { describe, expect, it } from "vitest";
import {
  buildRequestMessage,
  describeRef,
  MESSAGE_BLOCK_IDS,
  mentionFor,
  type RequestDetails,
  replaceActionsBlock,
  runUrl,
  statusBlockId,
} from "../common/message.js";
import {
  escapeAndTruncate,
  escapeMrkdwn,
  firstLine,
  isSafeLinkUrl,
  link,
  truncate,
} from "../common/mrkdwn.js";
import { ACTION_IDS, BLOCK_IDS, decodeReference, metadataToReference } from "../common/reference.js";
import { checkBlocks } from "../testkit/fakes/slack-blocks.js";
import { requestDetails } from "../testkit/helpers/request-message.js";

const HOSTILE = "<!channel> <!here> <@U123> <https://evil.example|click me> &<> <!subteam^S999> <#C123>";

/** The sample request, its commit message with a body (the title is its first line). */
const details = (overrides: Partial<RequestDetails> = {}): RequestDetails =>
  requestDetails({ commitTitle: "Fix the thing\n\nLong body", ...overrides });

/** Every mrkdwn string in the blocks (the ones Slack parses for `<…>` sequences). */
function mrkdwnTexts(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(mrkdwnTexts);
  if (typeof value !== "object" || value === null) return [];
  const o = value as Record<string, unknown>;
  const own = o.type === "mrkdwn" && typeof o.text === "string" ? [o.text] : [];
  return [...own, ...Object.values(o).flatMap(mrkdwnTexts)];
}

/** `<…>` control sequences Slack would act on. */
function controlSequences(text: string): string[] {
  return text.match(/<[^>]*>/g) ?? [];
}

function byId(blocks: KnownBlock[], id: string): KnownBlock | undefined {
  return blocks.find((b) => b.block_id === id);
}

describe("escapeMrkdwn and friends", () => {
  it("escapes exactly &, < and >", () => {
    expect(escapeMrkdwn("a & b < c > d *bold* _it_ `code` ~s~")).toBe(
      "a &amp; b &lt; c &gt; d *bold* _it_ `code` ~s~",
    );
    expect(controlSequences(escapeMrkdwn(HOSTILE))).toEqual([]);
  });

  it("truncates with a visible ellipsis and never splits a surrogate pair", () => {
    expect(truncate("abcdef", 6)).toBe("abcdef");
    expect(truncate("abcdefg", 6)).toBe("abcde…");
    expect(truncate("abcd\u{1F680}xyz", 6)).toBe("abcd…");
    expect(() => truncate("x", 0)).toThrow(RangeError);
  });

  it("cuts escaped text without leaving half an entity", () => {
    const cut = escapeAndTruncate("ab<<<<<<", 8);
    expect(cut.length).toBeLessThanOrEqual(8);
    expect(cut.endsWith("…")).toBe(true);
    expect(cut).not.toMatch(/&[a-z]*…$/);
    expect(cut).toBe("ab&lt;…");
  });

  it("takes a commit message's first line", () => {
    expect(firstLine("  title  \r\nbody")).toBe("title");
    expect(firstLine("")).toBe("");
  });

  it("links only http(s) URLs that cannot break out of the link, and escapes the label", () => {
    expect(link("https://github.com/o/r?a=1&b=2", "<!channel>")).toBe(
      "<https://github.com/o/r?a=1&amp;b=2|&lt;!channel&gt;>",
    );
    for (const bad of [
      "javascript:alert(1)",
      "ftp://x",
      "https://a|b",
      "https://a>b",
      "https://a<b",
      "https://a b",
      "/relative",
    ]) {
      expect(isSafeLinkUrl(bad)).toBe(false);
      expect(() => link(bad, "x")).toThrow(TypeError);
    }
  });
});

describe("buildRequestMessage", () => {
  it("lays out header, fields, actions and footer with the reference in both buttons and the metadata", () => {
    const message = buildRequestMessage(details());
    expect(message.blocks.map((b) => b.type)).toEqual(["header", "section", "actions", "context"]);
    const header = message.blocks[0] as { text: { type: string; text: string } };
    expect(header.text).toEqual({ type: "plain_text", text: "Deploy octo/app to production?" });

    const fields = (byId(message.blocks, MESSAGE_BLOCK_IDS.fields) as { fields: { text: string }[] }).fields;
    const text = fields.map((f) => f.text).join("\n");
    expect(text).toContain("*Repository*\n<https://github.com/octo/app|octo/app>");
    expect(text).toContain("*Workflow*\n<https://github.com/octo/app/actions/runs/1234|Deploy>");
    expect(text).toContain("*Ref*\nmain");
    expect(text).toContain(
      "*Commit*\n<https://github.com/octo/app/commit/0123456789abcdef0123456789abcdef01234567|0123456> Fix the thing",
    );
    expect(text).not.toContain("Long body");
    expect(text).toContain("*Triggered by*\n<https://github.com/octocat|octocat>");
    expect(text).toContain("*Event*\npush");
    expect(text).toContain("*Environment*\nproduction");

    const actions = byId(message.blocks, BLOCK_IDS.actions) as unknown as {
      elements: {
        action_id: string;
        style: string;
        value: string;
        confirm: Record<string, { text: string }>;
      }[];
    };
    expect(actions.elements.map((e) => [e.action_id, e.style])).toEqual([
      [ACTION_IDS.approve, "primary"],
      [ACTION_IDS.reject, "danger"],
    ]);
    for (const button of actions.elements) {
      expect(decodeReference(button.value)).toEqual(details().reference);
      expect(Object.keys(button.confirm).sort()).toEqual(["confirm", "deny", "text", "title"]);
    }
    expect(metadataToReference(message.metadata)).toEqual(details().reference);

    const footer = byId(message.blocks, BLOCK_IDS.footer);
    expect(JSON.stringify(footer)).toContain("req_ABCDEFGH");
    expect(message.text).toBe("Deployment approval requested: octo/app to production (Deploy, main)");
  });

  it("links the run attempt after a re-run and describes refs readably", () => {
    const message = buildRequestMessage(details({ reference: { ...details().reference, runAttempt: 3 } }));
    expect(mrkdwnTexts(message.blocks).join("\n")).toContain(
      "<https://github.com/octo/app/actions/runs/1234/attempts/3|Deploy> (attempt 3)",
    );
    expect(runUrl("https://ghe.example.com/", details().reference)).toBe(
      "https://ghe.example.com/octo/app/actions/runs/1234",
    );
    expect(describeRef("refs/tags/v1.2.3")).toBe("tag v1.2.3");
    expect(describeRef("refs/pull/17/merge")).toBe("pull request #17");
    expect(describeRef("weird")).toBe("weird");
  });

  it("shows hostile run data literally: nothing pings, nothing links anywhere but GitHub", () => {
    const message = buildRequestMessage(
      details({
        reference: { ...details().reference, environment: `prod ${HOSTILE}` },
        workflow: `Deploy ${HOSTILE}`,
        ref: `refs/heads/${HOSTILE}`,
        commitTitle: `Fix ${HOSTILE}`,
        actor: "<!channel>",
        eventName: HOSTILE,
        message: `Please check ${HOSTILE}`,
      }),
    );
    const texts = [...mrkdwnTexts(message.blocks), message.text];
    for (const seq of texts.flatMap(controlSequences)) {
      // The only control sequences left are our own links to GitHub.
      expect(seq).toMatch(/^<https:\/\/github\.com\/[^|<>\s]+\|[^<>]*>$/);
    }
    const all = texts.join("\n");
    expect(all).toContain("&lt;!channel&gt;");
    expect(all).toContain("&lt;https://evil.example|click me&gt;");
    expect(all).not.toMatch(/<!(channel|here|subteam)/);
    expect(all).not.toContain("<@U123>");
    expect(all).not.toContain("<https://evil");
    expect(checkBlocks(JSON.parse(JSON.stringify(message.blocks)), "message")).toEqual([]);
  });

  it("renders mentions as pings, users and groups, once each", () => {
    const message = buildRequestMessage(details({ mentions: ["U0JANE", "S0SRE", "W0ENT", "U0JANE"] }));
    const mentions = byId(message.blocks, MESSAGE_BLOCK_IDS.mentions) as { text: { text: string } };
    expect(mentions.text.text).toBe("Approval requested from <@U0JANE> <!subteam^S0SRE> <@W0ENT>");
    expect(() => mentionFor("<!channel>")).toThrow(TypeError);
    expect(() => buildRequestMessage(details({ mentions: ["here"] }))).toThrow(TypeError);
  });

  it("keeps huge inputs inside Slack's limits with a visible ellipsis", () => {
    const huge = "&".repeat(50_000);
    const message = buildRequestMessage(
      details({
        reference: {
          ...details().reference,
          environment: "e".repeat(255),
          repository: `${"o".repeat(39)}/${"r".repeat(100)}`,
        },
        workflow: huge,
        ref: `refs/heads/${huge}`,
        commitTitle: huge,
        actor: "a".repeat(39),
        eventName: huge,
        message: huge,
        mentions: Array.from({ length: 300 }, (_, i) => `U${String(i).padStart(8, "0")}`),
      }),
    );
    expect(checkBlocks(JSON.parse(JSON.stringify(message.blocks)), "message")).toEqual([]);
    const header = message.blocks[0] as { text: { text: string } };
    expect(header.text.text.length).toBe(150);
    expect(header.text.text.endsWith("…")).toBe(true);
    const custom = byId(message.blocks, MESSAGE_BLOCK_IDS.message) as { text: { text: string } };
    expect(custom.text.text.length).toBeLessThanOrEqual(3000);
    expect(custom.text.text).toMatch(/(&amp;)+…$/);
    const mentions = byId(message.blocks, MESSAGE_BLOCK_IDS.mentions) as { text: { text: string } };
    expect(mentions.text.text.length).toBeLessThanOrEqual(3000);
    expect(mentions.text.text).toMatch(/> … and \d+ more$/);
    expect(message.text.length).toBeLessThanOrEqual(4000);
  });

  it("leaves out the custom message and mentions when there are none", () => {
    const message = buildRequestMessage(details({ message: "   ", commitTitle: undefined }));
    expect(byId(message.blocks, MESSAGE_BLOCK_IDS.message)).toBeUndefined();
    expect(byId(message.blocks, MESSAGE_BLOCK_IDS.mentions)).toBeUndefined();
    expect(mrkdwnTexts(message.blocks).join("\n")).toContain("|0123456>");
  });
});

describe("replaceActionsBlock", () => {
  const status = (text: string): KnownBlock => ({ type: "section", text: { type: "mrkdwn", text } });

  it("puts status blocks where the buttons were and keeps the rest", () => {
    const original = buildRequestMessage(details({ message: "hello" })).blocks;
    const updated = replaceActionsBlock(original, [status("Approved by <@U0JANE>"), status("Delivered")]);
    expect(updated.map((b) => b.block_id)).toEqual([
      MESSAGE_BLOCK_IDS.header,
      MESSAGE_BLOCK_IDS.fields,
      MESSAGE_BLOCK_IDS.message,
      statusBlockId(0),
      statusBlockId(1),
      BLOCK_IDS.footer,
    ]);
    expect(statusBlockId(0)).toBe(BLOCK_IDS.status);
    expect(byId(updated, BLOCK_IDS.actions)).toBeUndefined();
    expect(checkBlocks(JSON.parse(JSON.stringify(updated)), "message")).toEqual([]);
    expect(original.some((b) => b.block_id === BLOCK_IDS.actions)).toBe(true);
  });

  it("replaces earlier status on the next update, buttons included when the App keeps them", () => {
    const original = buildRequestMessage(details()).blocks;
    const buttons = byId(original, BLOCK_IDS.actions) as KnownBlock;
    const partial = replaceActionsBlock(original, [status("1 of 2 approvals"), buttons]);
    expect(partial.map((b) => b.block_id)).toEqual([
      MESSAGE_BLOCK_IDS.header,
      MESSAGE_BLOCK_IDS.fields,
      BLOCK_IDS.status,
      BLOCK_IDS.actions,
      BLOCK_IDS.footer,
    ]);
    const final = replaceActionsBlock(partial, [status("Approved")]);
    expect(final.map((b) => b.block_id)).toEqual([
      MESSAGE_BLOCK_IDS.header,
      MESSAGE_BLOCK_IDS.fields,
      BLOCK_IDS.status,
      BLOCK_IDS.footer,
    ]);
    expect(JSON.stringify(final)).toContain("Approved");
    expect(JSON.stringify(final)).not.toContain("1 of 2");
  });

  it("inserts before the footer when there is nothing to replace, and never passes 50 blocks", () => {
    const noButtons = buildRequestMessage(details()).blocks.filter((b) => b.block_id !== BLOCK_IDS.actions);
    const updated = replaceActionsBlock(noButtons, [status("Rejected")]);
    expect(updated.at(-2)?.block_id).toBe(BLOCK_IDS.status);
    const many = replaceActionsBlock(
      buildRequestMessage(details()).blocks,
      Array.from({ length: 80 }, (_, i) => status(`line ${i}`)),
    );
    expect(many).toHaveLength(50);
    expect(many.at(-1)?.block_id).toBe(BLOCK_IDS.footer);
    expect(checkBlocks(JSON.parse(JSON.stringify(many)), "message")).toEqual([]);
  });
});
