// A request's whole life, with the App served for real against the fake Slack and fake GitHub: what an
// approver sees before clicking, the header after the decision, a message that lies about its run,
// GitHub's own reviews, a deployment that went ahead without the App, the run's end, expiry on a
// controllable clock and reminders. Every GitHub event arrives as a signed webhook whose payload the
// fake checks against @octokit/webhooks-schemas.
import type { KnownBlock } from "@slack/web-api";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { buildRequestMessage, type RequestDetails } from "../common/message.js";
import {
  ACTION_IDS,
  BLOCK_IDS,
  encodeReference,
  newRequestId,
  type RequestReference,
} from "../common/reference.js";
import { createSlackClient, postRequestMessage } from "../src/slack.js";
import type { FakeMessage } from "../testkit/fakes/slack.js";
import { DEFAULT_BOT_TOKEN, DEFAULT_CHANNEL_ID } from "../testkit/fakes/slack.js";
import {
  DEFAULT_POLICY,
  type Harness,
  hasButtons,
  REPO,
  SIGNING_SECRET,
  startHarness,
  statusText,
  USERS,
} from "../testkit/helpers/app-harness.js";
import { blockActionsPayload } from "../testkit/helpers/slack-clicks.js";
import { postSignedToSlackRoute } from "../testkit/helpers/slack-sign.js";

const SHA = "a".repeat(40);
const HOUR = 3_600_000;

let h: Harness;
let nextRun = 300_000;

beforeAll(async () => {
  h = await startHarness("sqlite");
}, 60_000);
afterAll(async () => {
  await h?.close();
});
afterEach(async () => {
  await h.settle();
  expect(h.github.violations).toEqual([]);
  // Each test starts on the machine's clock, as the fake Slack's message timestamps do.
  h.advanceClock(-advanced);
  advanced = 0;
});

let advanced = 0;
/** Moves the App's clock forward (expiry, reminders, how long things took). */
function advance(ms: number): void {
  advanced += ms;
  h.advanceClock(ms);
}

const blocksOf = (m: FakeMessage) => m.blocks as KnownBlock[];
const byId = (m: FakeMessage, id: string) =>
  blocksOf(m).find((b) => b.block_id === id) as
    | { text?: { text: string }; elements?: Array<{ text: string }>; fields?: Array<{ text: string }> }
    | undefined;
const header = (m: FakeMessage) => byId(m, "sdg_header")?.text?.text;
const approval = (m: FakeMessage) => byId(m, "sdg_approval")?.elements?.[0]?.text ?? "";
const changes = (m: FakeMessage) => byId(m, "sdg_changes")?.text?.text ?? "";
const footer = (m: FakeMessage) => byId(m, BLOCK_IDS.footer)?.elements?.[0]?.text ?? "";
const fields = (m: FakeMessage) => (byId(m, "sdg_fields")?.fields ?? []).map((f) => f.text).join("\n");
const current = (m: FakeMessage) => h.message(m.ts);
const lastEphemeral = (user: string) => h.ephemeralsFor(user).at(-1) ?? "";

/** A run waiting at `environment`, without its request posted. */
function newRun(environment = "production"): number {
  nextRun += 1;
  h.addRun(nextRun, { environment });
  return nextRun;
}

/** Posts a request message as the Action does (or with `edit` applied to what it would post). */
async function post(
  run: number,
  options: {
    environment?: string;
    mode?: RequestReference["mode"];
    details?: Partial<RequestDetails>;
    edit?: (blocks: KnownBlock[], reference: RequestReference) => KnownBlock[];
  } = {},
): Promise<FakeMessage> {
  const reference: RequestReference = {
    repository: REPO,
    runId: run,
    runAttempt: 1,
    environment: options.environment ?? "production",
    mode: options.mode ?? "gate",
    requestId: newRequestId(),
  };
  const message = buildRequestMessage({
    reference,
    serverUrl: "https://github.com",
    workflow: "Deploy",
    ref: "refs/heads/main",
    sha: SHA,
    commitTitle: "Ship the thing",
    actor: "dave",
    eventName: "push",
    mentions: [],
    ...options.details,
  });
  const blocks = options.edit ? options.edit(message.blocks, reference) : message.blocks;
  const posted = await postRequestMessage(
    createSlackClient(DEFAULT_BOT_TOKEN, h.slack.url),
    DEFAULT_CHANNEL_ID,
    {
      ...message,
      blocks,
    },
  );
  // A copy as posted (the fake Slack updates its own in place): what a click already on its way carries.
  return structuredClone(h.message(posted.ts));
}

async function webhook(event: string, payload: object): Promise<void> {
  const answer = await h.github.sendWebhook(event, payload);
  expect(answer.status, answer.body).toBe(200);
  await h.settle();
}

/** A click on the message as it was when `message` was read (a click already on its way). */
async function staleClick(message: FakeMessage, action: "approve" | "reject", user: string): Promise<void> {
  const payload = blockActionsPayload({
    message,
    actionId: action === "approve" ? ACTION_IDS.approve : ACTION_IDS.reject,
    user: { id: user },
    triggerId: h.slack.issueTriggerId(user),
  });
  const answer = await postSignedToSlackRoute(`${h.appUrl}/slack/interactions`, payload, SIGNING_SECRET);
  expect(answer.status).toBe(200);
  await h.settle();
}

async function click(message: FakeMessage, action: "approve" | "reject", user: string): Promise<void> {
  const answer = await h.click(message, action, user);
  expect(answer.status).toBe(200);
  await h.settle();
}

describe("what an approver sees", () => {
  it("after first contact: who may approve and how many, expiry as a Slack date, what changed, the workflow's own words", async () => {
    const run = newRun("staging");
    const message = await post(run, {
      environment: "staging",
      details: { message: "Ship *v2* <!channel> <https://evil.example|docs>", mentions: ["U0BOB"] },
    });
    await h.gate(run, "staging");
    await click(message, "approve", USERS.alice);

    const shown = current(message);
    expect(header(shown)).toBe("Deploy acme/api to staging?");
    expect(approval(shown)).toContain(
      "Needs 2 approvals from <!subteam^S0CROWD>, <@U0ALICE>, <@U0BOB>, <@U0CAROL>",
    );
    expect(approval(shown)).toMatch(
      /Expires <!date\^\d+\^\{date_short_pretty\} at \{time\}\|[^>]+> \(24 h after it was asked\)/,
    );
    expect(changes(shown)).toContain("*First deployment to staging*");
    const text = byId(shown, "sdg_message")?.text?.text ?? "";
    expect(text).toMatch(/^_Message from the workflow:_\n/);
    expect(text).toContain("Ship *v2* &lt;!channel&gt; &lt;https://evil.example|docs&gt;");
    expect(byId(shown, "sdg_mentions")?.text?.text).toBe("Approval requested from <@U0BOB>");
    expect(statusText(shown)).toContain("1 of 2 approvals");
    expect(hasButtons(shown)).toBe(true);
  });

  it("counts the commits since the last successful deployment to the environment", async () => {
    const run = newRun();
    const older = `${"0".repeat(39)}1`;
    h.github.deployments.commit(REPO, { sha: older, message: "Older change", author: "erin", parent: null });
    // The run's commit (the harness's, by acme) now has that one as its parent.
    h.github.deployments.commit(REPO, { sha: SHA, message: "Ship the thing", parent: older });
    h.github.deployments.deploy(REPO, { sha: older, environment: "production", states: ["success"] });
    const message = await post(run);
    await h.gate(run);
    await click(message, "reject", USERS.mallory); // nobody's approver: refused, nothing saved
    expect(changes(current(message))).toBe("");
    h.github.reviews.length = 0;
    await click(message, "approve", USERS.alice);
    const text = changes(current(message));
    expect(text).toContain("*1 commit since the last deployment* to production (`0000000`");
    expect(text).toContain("• `aaaaaaa` Ship the thing — acme");
  });
});

describe("after the decision the header says what happened", () => {
  it("approved, then deployed, with the run's outcome and how long the deploy took in the footer and the thread", async () => {
    const run = newRun();
    const message = await post(run);
    await h.gate(run);
    await click(message, "approve", USERS.alice);
    expect(header(current(message))).toBe("Approved: acme/api to production");
    expect(hasButtons(current(message))).toBe(false);

    advance(4 * 60_000);
    h.github.finishRun(REPO, run, "success");
    await webhook("workflow_run", h.github.workflowRunCompletedPayload(REPO, run));
    const shown = current(message);
    expect(header(shown)).toBe("Deployed: acme/api to production");
    expect(footer(shown)).toMatch(/:white_check_mark: Run succeeded <!date\^\d+\^/);
    expect(h.threadOf(message.ts).at(-1)).toMatch(
      new RegExp(`^:rocket: The run succeeded \\(<${h.github.url}/${REPO}/actions/runs/${run}\\|run>\\); `),
    );
  });

  it("rejected", async () => {
    const run = newRun();
    const message = await post(run);
    await h.gate(run);
    await click(message, "reject", USERS.alice);
    await h.submitReason(USERS.alice, "Not on a Friday");
    await h.settle();
    expect(header(current(message))).toBe("Rejected: acme/api to production");
  });
});

describe("a message whose words disagree with its buttons cannot be approved", () => {
  /** A message that says it deploys acme/docs to staging, with buttons for acme/api's production run. */
  const docsToStaging = (_blocks: KnownBlock[], reference: RequestReference) => {
    const lie = buildRequestMessage({
      reference: { ...reference, repository: "acme/docs", environment: "staging" },
      serverUrl: "https://github.com",
      workflow: "Docs",
      ref: "refs/heads/main",
      sha: SHA,
      actor: "dave",
      eventName: "push",
      mentions: [],
    }).blocks;
    const value = encodeReference(reference);
    return lie.map((b) =>
      b.block_id === BLOCK_IDS.actions
        ? ({
            ...b,
            elements: (b as unknown as { elements: Array<Record<string, unknown>> }).elements.map((e) => ({
              ...e,
              value,
            })),
          } as KnownBlock)
        : b,
    );
  };

  it("refuses the click, says why, and rebuilds the message to show what its buttons named", async () => {
    const run = newRun();
    const message = await post(run, { edit: docsToStaging });
    await h.gate(run);
    await click(message, "approve", USERS.alice);

    expect(h.github.reviews.filter((r) => r.runId === run)).toEqual([]);
    const told = lastEphemeral(USERS.alice);
    expect(told).toContain("This message does not match the run its buttons name");
    expect(told).toContain(
      'its header says "Deploy acme/docs to staging?", but its buttons ask "Deploy acme/api to production?"',
    );
    expect(told).toContain("it names repository acme/docs, but its buttons are for acme/api");
    const shown = current(message);
    expect(header(shown)).toBe("Does not match its run: acme/api to production");
    expect(fields(shown)).toContain("acme/api");
    expect(fields(shown)).not.toContain("acme/docs");
    expect(statusText(shown)).toContain("*Does not match its run*");
    expect(hasButtons(shown)).toBe(false);

    // A click that was already on its way is told the request is closed.
    await staleClick(message, "approve", USERS.bob);
    expect(lastEphemeral(USERS.bob)).toBe(
      "This request is closed: its message does not match the run its buttons name. Nothing was recorded.",
    );
    expect(h.github.reviews.filter((r) => r.runId === run)).toEqual([]);
  });

  it("refuses a message that names another commit, or carries content the builder never writes", async () => {
    const run = newRun();
    const otherCommit = await post(run, { details: { sha: "c".repeat(40) } });
    await h.gate(run);
    await click(otherCommit, "approve", USERS.alice);
    expect(lastEphemeral(USERS.alice)).toContain("it shows commit ccccccc, but the run is for aaaaaaa");

    const run2 = newRun();
    const extra = await post(run2, {
      edit: (blocks) => [
        { type: "section", block_id: "lure", text: { type: "mrkdwn", text: "*Deploy docs to staging*" } },
        ...blocks,
      ],
    });
    await h.gate(run2);
    await click(extra, "approve", USERS.alice);
    expect(lastEphemeral(USERS.alice)).toContain("it carries content slack-deploy-gate never writes (lure)");
    expect(h.github.reviews.filter((r) => r.runId === run || r.runId === run2)).toEqual([]);
  });
});

describe("following GitHub", () => {
  /** A request first contacted by a click (one vote of two, in staging), its gate reported. */
  async function pending(): Promise<{ run: number; message: FakeMessage }> {
    const run = newRun("staging");
    const message = await post(run, { environment: "staging" });
    await h.gate(run, "staging");
    await click(message, "approve", USERS.carol);
    return { run, message };
  }

  it("a rejection in GitHub closes the request; a later click is told so", async () => {
    const { run, message } = await pending();
    await webhook(
      "deployment_review",
      h.github.deployments.deploymentReviewPayload(REPO, run, {
        state: "rejected",
        environment: "staging",
        reviewer: "octocat",
        comment: "Freeze <!here>",
      }),
    );
    const shown = current(message);
    expect(header(shown)).toBe("Rejected in GitHub: acme/api to staging");
    expect(statusText(shown)).toMatch(/^:x: \*Rejected in GitHub\* by @octocat <!date/);
    expect(statusText(shown)).toContain(">Freeze &lt;!here&gt;");
    expect(hasButtons(shown)).toBe(false);
    expect(h.threadOf(message.ts).at(-1)).toBe(
      ":information_source: This request is closed: it was rejected in GitHub by @octocat.",
    );
    await staleClick(message, "approve", USERS.alice);
    expect(lastEphemeral(USERS.alice)).toBe(
      "This request is closed: it was rejected in GitHub by @octocat. Nothing was recorded.",
    );
    expect(h.github.reviews.filter((r) => r.runId === run)).toEqual([]);
  });

  it("an approval in GitHub shows as progress and keeps the buttons", async () => {
    const { run, message } = await pending();
    const payload = h.github.deployments.deploymentReviewPayload(REPO, run, {
      state: "approved",
      environment: "staging",
      reviewer: "octocat",
    });
    await webhook("deployment_review", payload);
    await webhook("deployment_review", payload); // redelivered: one note
    const shown = current(message);
    expect(statusText(shown)).toContain("1 of 2 approvals: <@U0CAROL>");
    expect(statusText(shown)).toContain("Approved in GitHub by @octocat; waiting for Slack approval.");
    expect(hasButtons(shown)).toBe(true);
    expect(h.threadOf(message.ts).filter((t) => t.includes("approved in GitHub"))).toEqual([
      ":ballot_box_with_check: @octocat approved in GitHub; this environment also waits for approval in Slack.",
    ]);
    // The Slack rule still decides.
    await click(message, "approve", USERS.alice);
    expect(h.github.reviews.filter((r) => r.runId === run)).toMatchObject([{ state: "approved" }]);
  });

  it("a deploy job that starts without the App's review closes the request as gone ahead", async () => {
    const { run, message } = await pending();
    const job = h.github.deployments.addJob(REPO, run, { name: "deploy", environment: "staging" });
    await webhook("workflow_job", h.github.deployments.workflowJobPayload(job, "in_progress", "admin-octo"));
    const shown = current(message);
    expect(header(shown)).toBe("Deployed without Slack approval: acme/api to staging");
    expect(statusText(shown)).toContain(
      "*Went ahead without Slack approval* (protection bypassed): the `deploy` job started",
    );
    expect(statusText(shown)).toContain("(started by @admin-octo)");
    expect(hasButtons(shown)).toBe(false);
  });

  it("in wait mode, the job that holds the waiting step may deploy to the environment: its start closes nothing", async () => {
    nextRun += 1;
    const run = nextRun;
    h.github.addRun({ repository: REPO, runId: run, headSha: SHA, actor: "dave", waitingEnvironments: [] });
    const message = await post(run, { environment: "staging", mode: "wait" });
    await click(message, "approve", USERS.carol);
    const job = h.github.deployments.addJob(REPO, run, { name: "deploy", environment: "staging" });
    await webhook("workflow_job", h.github.deployments.workflowJobPayload(job, "in_progress"));
    expect(statusText(current(message))).toContain("1 of 2 approvals");
    expect(hasButtons(current(message))).toBe(true);
  });

  it("in dispatch mode, the requesting run ending (it asked, its job is done) closes nothing", async () => {
    nextRun += 1;
    const run = nextRun;
    h.github.addRun({ repository: REPO, runId: run, headSha: SHA, actor: "dave", waitingEnvironments: [] });
    const message = await post(run, { environment: "staging", mode: "dispatch" });
    await click(message, "approve", USERS.carol);
    h.github.finishRun(REPO, run, "success");
    await webhook("workflow_run", h.github.workflowRunCompletedPayload(REPO, run));
    expect(statusText(current(message))).toContain("1 of 2 approvals");
    expect(hasButtons(current(message))).toBe(true);
    expect(h.threadOf(message.ts).join("\n")).not.toContain("The run succeeded");
  });

  it("a deploy job that starts after the App's approval changes nothing", async () => {
    const run = newRun();
    const message = await post(run);
    await h.gate(run);
    await click(message, "approve", USERS.alice);
    const job = h.github.deployments.addJob(REPO, run, { name: "deploy", environment: "production" });
    await webhook("workflow_job", h.github.deployments.workflowJobPayload(job, "in_progress"));
    expect(header(current(message))).toBe("Approved: acme/api to production");
  });

  it("a cancelled run closes a pending request as cancelled, and the thread hears it", async () => {
    const { run, message } = await pending();
    h.github.cancelRun(REPO, run);
    await webhook("workflow_run", h.github.workflowRunCompletedPayload(REPO, run));
    const shown = current(message);
    expect(header(shown)).toBe("Cancelled: acme/api to staging");
    expect(statusText(shown)).toMatch(
      /^:white_circle: \*Cancelled\* <!date[^>]+>: the run finished \(cancelled\) before anyone decided in Slack\.$/,
    );
    expect(footer(shown)).toContain(":white_circle: Run was cancelled");
    expect(h.threadOf(message.ts).at(-1)).toContain(":white_circle: The run was cancelled (<");
  });
});

describe("expiry on the App's clock", () => {
  it("rejects in GitHub with a comment saying it expired, says so in the message, and takes the buttons", async () => {
    const run = newRun("staging");
    const message = await post(run, { environment: "staging" });
    await h.gate(run, "staging");
    await click(message, "approve", USERS.carol);
    advance(23 * HOUR);
    await h.handle.sweep();
    await h.settle();
    expect(h.github.reviews.filter((r) => r.runId === run)).toEqual([]);

    advance(2 * HOUR);
    await h.handle.sweep();
    await h.settle();
    const reviews = h.github.reviews.filter((r) => r.runId === run);
    expect(reviews).toHaveLength(1);
    expect(reviews[0]).toMatchObject({ state: "rejected", environment: "staging" });
    expect(reviews[0]?.comment).toMatch(/^Expired in Slack: nobody decided in time \(request /);
    const shown = current(message);
    expect(header(shown)).toBe("Expired: acme/api to staging");
    expect(statusText(shown)).toContain("*Expired*");
    expect(hasButtons(shown)).toBe(false);
    // A click already on its way changes nothing: GitHub has ended the run.
    await staleClick(message, "approve", USERS.alice);
    expect(lastEphemeral(USERS.alice)).toBe(
      "The run has already finished (failure); there is nothing left to approve.",
    );
    // Swept again: nothing more.
    await h.handle.sweep();
    await h.settle();
    expect(h.github.reviews.filter((r) => r.runId === run)).toHaveLength(1);
  });
});

describe("reminders", () => {
  it("mention the approvers who have not voted, once per interval, at most three times", async () => {
    await h.setPolicy(
      DEFAULT_POLICY.replace(
        "    required-approvals: 2\n",
        "    required-approvals: 2\n    remind-after: 2h\n",
      ),
    );
    try {
      const run = newRun("staging");
      const message = await post(run, { environment: "staging" });
      await h.gate(run, "staging");
      await click(message, "approve", USERS.carol);
      const reminders = () => h.threadOf(message.ts).filter((t) => t.startsWith(":bell:"));

      await h.handle.sweep();
      expect(reminders()).toEqual([]);
      for (const expected of [1, 2, 3]) {
        advance(2 * HOUR);
        await h.handle.sweep();
        await h.settle();
        await h.handle.sweep(); // at most one per interval
        await h.settle();
        expect(reminders()).toHaveLength(expected);
      }
      expect(reminders()[0]).toBe(
        `:bell: <!subteam^S0CROWD> <@U0ALICE> <@U0BOB>: this deployment still waits for approval (reminder 1 of 3). It expires ${
          /It expires (<!date[^>]+>)/.exec(reminders()[0] ?? "")?.[1]
        }.`,
      );
      expect(reminders()[0]).not.toContain("U0CAROL");
      advance(6 * HOUR);
      await h.handle.sweep();
      await h.settle();
      expect(reminders()).toHaveLength(3);
    } finally {
      await h.setPolicy(DEFAULT_POLICY);
    }
  });
});
