// What reaches Slack from a button is inert (escaped like the Action's message), and environment names
// follow GitHub's one rule: case-insensitive, with the review using the gate's own spelling.
import { expect, it } from "vitest";
import { REPO, statusText, USERS } from "../testkit/helpers/app-harness.js";
import { describeOnBackends } from "../testkit/helpers/harness-suite.js";

const PHISHING = "<https://evil.example/login|Session expired, sign in again>";
const PING = "<!channel> staging";

describeOnBackends("what the App writes to Slack on %s", { restorePolicy: true }, (h) => {
  let nextRun = 7000;

  /** A run waiting on `environment`, and a request whose buttons name `buttonEnvironment`. */
  async function crafted(environment: string, buttonEnvironment = environment) {
    const run = ++nextRun;
    h.addRun(run, { environment });
    const message = await h.postRequest(run, { environment: buttonEnvironment });
    return { run, message };
  }

  /**
   * Every text the App sent that Slack renders as mrkdwn: `text` of chat calls and every mrkdwn text
   * object in blocks and views. (Plain-text objects, button values and private metadata are inert.)
   */
  function renderedBySlack(): string[] {
    const texts: string[] = [];
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) {
        for (const item of node) walk(item);
        return;
      }
      if (!node || typeof node !== "object") return;
      const record = node as Record<string, unknown>;
      if (record.type === "mrkdwn" && typeof record.text === "string") texts.push(record.text);
      for (const value of Object.values(record)) walk(value);
    };
    for (const call of h.slack.calls) {
      const body = call.body as Record<string, unknown>;
      if (call.method.startsWith("chat.") && typeof body.text === "string") texts.push(body.text);
      walk(body.blocks);
      walk(body.view);
    }
    return texts;
  }

  it("escapes an environment name from a crafted button in the private reply", async () => {
    const { message } = await crafted(PHISHING);
    h.slack.calls.length = 0;
    await h.click(message, "approve", USERS.alice);
    await h.settle();
    const told = h.ephemeralsFor(USERS.alice).at(-1)!;
    expect(told).toContain("&lt;https://evil.example/login|Session expired, sign in again&gt;");
    expect(renderedBySlack().filter((t) => t.includes("<https://evil.example"))).toEqual([]);
  });

  it("escapes it in the reject form's refusal too", async () => {
    const { message } = await crafted(PHISHING);
    h.slack.calls.length = 0;
    await h.click(message, "reject", USERS.mallory);
    await h.settle();
    expect(renderedBySlack().filter((t) => t.includes("<https://evil.example"))).toEqual([]);
    expect(JSON.stringify(h.slack.views.at(-1)?.view)).toContain("&lt;https://evil.example/login");
  });

  it("keeps <!channel> in an environment name inert in thread replies and the status line", async () => {
    await h.setPolicy(
      `environments:\n  default:\n    approvers:\n      users: [${USERS.alice}]\ngithub-users:\n  ${USERS.alice}: alice\n`,
    );
    const { run, message } = await crafted(PING);
    await h.gate(run, PING);
    h.slack.calls.length = 0;
    await h.click(message, "approve", USERS.alice);
    await h.settle();
    expect(h.reviews(run).map((r) => [r.environment, r.state])).toEqual([[PING, "approved"]]);
    const thread = h.threadOf(message.ts).join("\n");
    expect(thread).toContain("GitHub accepted the decision: &lt;!channel&gt; staging approved");
    expect(renderedBySlack().filter((t) => t.includes("<!channel>"))).toEqual([]);
    expect(statusText(h.message(message.ts))).toContain("deployment resumed");
  });

  it("approves a `Production` button on a `production` gate, reviewing with the gate's spelling", async () => {
    const { run, message } = await crafted("production", "Production");
    await h.gate(run, "production");
    await h.click(message, "approve", USERS.alice);
    await h.settle();
    expect(h.reviews(run)).toEqual([
      expect.objectContaining({ repository: REPO, environment: "production", state: "approved" }),
    ]);
    expect(statusText(h.message(message.ts))).toContain("deployment resumed");
  });

  it("applies a `Production` decision when a `production` gate arrives later", async () => {
    const { run, message } = await crafted("production", "Production");
    await h.click(message, "approve", USERS.alice);
    await h.settle();
    expect(statusText(h.message(message.ts))).toContain("waiting for GitHub to reach");
    await h.gate(run, "production");
    await h.settle();
    expect(h.reviews(run).map((r) => [r.environment, r.state])).toEqual([["production", "approved"]]);
  });
});
