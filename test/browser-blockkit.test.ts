// The sandbox page's Block Kit renderer, on the exact blocks the Action builds: what Slack shows as
// text must never become markup, and Slack's control sequences must show as Slack shows them.
import { describe, expect, it } from "vitest";
import { buildRequestMessage } from "../common/message.js";
import { findElement, mrkdwn, renderBlocks } from "../sandbox/public/blockkit.js";

const ctx = { users: { U0ALICE: "Alice" }, groups: { S0RELEASE: "release-managers" } };

describe("sandbox Block Kit renderer", () => {
  it("renders styles, code, links, mentions and quotes", () => {
    expect(mrkdwn("*bold* _it_ ~gone~ `a *b*`", ctx)).toBe(
      "<b>bold</b> <i>it</i> <s>gone</s> <code>a *b*</code>",
    );
    expect(mrkdwn("<https://example.com/a?b=1&amp;c=2|the *site*>", ctx)).toBe(
      '<a href="https://example.com/a?b=1&amp;c=2" target="_blank" rel="noopener noreferrer">the *site*</a>',
    );
    expect(mrkdwn("<@U0ALICE> and <!subteam^S0RELEASE>", ctx)).toBe(
      '<span class="mention" title="U0ALICE">@Alice</span> and <span class="mention" title="S0RELEASE">@release-managers</span>',
    );
    expect(mrkdwn("first\n>quoted\n>more", ctx)).toBe("first<br><blockquote>quoted<br>more</blockquote>");
  });

  it("shows escaped text literally and never links a non-http URL", () => {
    expect(mrkdwn("&lt;!channel&gt; &amp; &lt;script&gt;alert(1)&lt;/script&gt;", ctx)).toBe(
      "&lt;!channel&gt; &amp; &lt;script&gt;alert(1)&lt;/script&gt;",
    );
    expect(mrkdwn("<javascript:alert(1)|click me>", ctx)).toBe("click me");
    expect(mrkdwn('<https://x.test/"onmouseover="x|a>', ctx)).toContain(
      'href="https://x.test/&quot;onmouseover=&quot;x"',
    );
  });

  it("renders a date with its format and keeps the fallback as a title", () => {
    const html = mrkdwn("<!date^0^{date_num} {time}|1970-01-01T00:00:00Z>", ctx);
    expect(html).toMatch(/^<time title="1970-01-01T00:00:00Z">19(69|70)-\d\d-\d\d \d\d:\d\d<\/time>$/);
  });

  it("renders the Action's request message with its buttons and confirm dialogs", () => {
    const { blocks } = buildRequestMessage({
      reference: {
        repository: "acme/webshop",
        runId: 5,
        runAttempt: 2,
        environment: "production",
        mode: "gate",
        requestId: "abcdefgh1234",
      },
      serverUrl: "https://github.com",
      workflow: "Deploy",
      ref: "refs/heads/main",
      sha: "0123456789abcdef0123456789abcdef01234567",
      commitTitle: "Fix <@U0ALICE> & <!here> *now*",
      actor: "dana-dev",
      eventName: "push",
      mentions: ["S0RELEASE"],
    });
    const html = renderBlocks(blocks, ctx);
    expect(html).toContain(
      '<div class="bk-header" data-block-id="sdg_header">Deploy acme/webshop to production?</div>',
    );
    // The commit title arrives escaped: shown as text, with no mention and no @here.
    expect(html).toContain("Fix &lt;@U0ALICE&gt; &amp; &lt;!here&gt; <b>now</b>");
    expect(html).toContain("(attempt 2)");
    expect(html).toContain(
      'class="bk-button bk-primary" data-action-id="sdg_approve" data-block-id="sdg_actions">Approve</button>',
    );
    expect(html).toContain(
      'class="bk-button bk-danger" data-action-id="sdg_reject" data-block-id="sdg_actions">Reject</button>',
    );
    expect(html).toContain("@release-managers");
    const approve = findElement(blocks, "sdg_actions", "sdg_approve") as {
      confirm?: { title?: { text?: string } };
    };
    expect(approve?.confirm?.title?.text).toBe("Approve this deployment?");
  });
});
