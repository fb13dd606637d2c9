// The built action (dist/index.js) run as a runner runs it: a child process with INPUT_* variables,
// GITHUB_* context, GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files, against the fake Slack and the fake
// GitHub (which checks every request against GitHub's REST description and the token it was given).
// Asserts what a workflow sees: exit code, outputs, summary, log.
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { decodeReference, encodeReference, METADATA_EVENT_TYPE } from "../common/reference.js";
import { type FakeGitHub, startFakeGitHub } from "../testkit/fakes/github.js";
import { DEFAULT_BOT_TOKEN, type FakeSlack, startFakeSlack } from "../testkit/fakes/slack.js";
import { newPrivateKey } from "../testkit/helpers/keys.js";
import { requireBuild } from "../testkit/require-build.js";

const ROOT = resolve(fileURLToPath(import.meta.url), "../..");
const DIST = join(ROOT, "dist/index.js");
const GITHUB_TOKEN = "ghs_fakeGitHubToken123";
const SHA = "c0ffee0123456789abcdef0123456789abcdef01";
const COMMIT_MESSAGE = "Ship the <!channel> fix & more\n\nDetails nobody reads";

interface ActionRun {
  code: number | null;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
}

/** GITHUB_OUTPUT lines: `name<<delimiter`, value lines, `delimiter`. */
function parseOutputs(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const re = /^(.+?)<<(.+)\n([\s\S]*?)\n?\2$/gm;
  for (const m of text.matchAll(re)) outputs[m[1] as string] = m[3] ?? "";
  return outputs;
}

describe("the action, run from dist/index.js", () => {
  let slack: FakeSlack;
  let github: FakeGitHub;
  let work: string;

  beforeAll(async () => {
    requireBuild("action");
    work = mkdtempSync(join(tmpdir(), "sdg-action-"));
    slack = await startFakeSlack({
      channels: {
        C0DEPLOYS: { name: "deploys", memberOfBot: true },
        C0OUTSIDE: { name: "outside", memberOfBot: false },
      },
    });
    const privateKey = newPrivateKey();
    github = await startFakeGitHub({
      appId: 1,
      privateKey,
      webhookSecret: "unused",
      staticTokens: { [GITHUB_TOKEN]: { repository: "octo/app" } },
    });
    github.addRepository({ fullName: "octo/app" });
    github.addCommit("octo/app", { sha: SHA, message: COMMIT_MESSAGE, author: "octocat" });
  }, 180_000);

  afterEach(() => {
    slack.reset();
    expect(github.violations).toEqual([]);
    github.requests.length = 0;
  });

  afterAll(async () => {
    await slack?.close();
    await github?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  let runCounter = 0;
  async function runAction(
    inputs: Record<string, string>,
    env: Record<string, string> = {},
  ): Promise<ActionRun> {
    runCounter += 1;
    const dir = join(work, String(runCounter));
    execFileSync("mkdir", ["-p", dir]);
    const outputFile = join(dir, "output");
    const summaryFile = join(dir, "summary");
    const eventFile = join(dir, "event.json");
    writeFileSync(outputFile, "");
    writeFileSync(summaryFile, "");
    writeFileSync(
      eventFile,
      JSON.stringify({ ref: "refs/heads/main", repository: { name: "app", owner: { login: "octo" } } }),
    );
    const inputEnv = Object.fromEntries(
      Object.entries({
        "slack-bot-token": DEFAULT_BOT_TOKEN,
        channel: "C0DEPLOYS",
        environment: "production",
        mode: "gate",
        "slack-api-url": slack.url,
        "github-token": GITHUB_TOKEN,
        ...inputs,
      }).map(([name, value]) => [`INPUT_${name.replace(/ /g, "_").toUpperCase()}`, value]),
    );
    // A clean environment: only what a runner would give this step (not this machine's GITHUB_* vars).
    const childEnv: Record<string, string> = {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? work,
      GITHUB_ACTIONS: "true",
      GITHUB_REPOSITORY: "octo/app",
      GITHUB_RUN_ID: "4242",
      GITHUB_RUN_ATTEMPT: "1",
      GITHUB_SHA: SHA,
      GITHUB_REF: "refs/heads/main",
      GITHUB_ACTOR: "octocat",
      GITHUB_WORKFLOW: "Deploy",
      GITHUB_SERVER_URL: "https://github.com",
      GITHUB_API_URL: github.apiUrl,
      GITHUB_EVENT_NAME: "push",
      GITHUB_EVENT_PATH: eventFile,
      GITHUB_OUTPUT: outputFile,
      GITHUB_STEP_SUMMARY: summaryFile,
      RUNNER_TEMP: dir,
      ...inputEnv,
      ...env,
    };
    const child = spawn(process.execPath, [DIST], { cwd: dir, env: childEnv });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    const code = await new Promise<number | null>((done) => child.on("close", done));
    return {
      code,
      stdout,
      stderr,
      outputs: parseOutputs(readFileSync(outputFile, "utf8")),
      summary: readFileSync(summaryFile, "utf8"),
    };
  }

  /** The runner masks a secret once `::add-mask::` announces it; nothing else may print it. */
  function expectTokenNeverLogged(run: ActionRun, token = DEFAULT_BOT_TOKEN): void {
    const masks = new Set([`::add-mask::${token}`, `::add-mask::${GITHUB_TOKEN}`]);
    const log = `${run.stdout}\n${run.stderr}`.split("\n").filter((line) => !masks.has(line));
    expect(log.join("\n")).not.toContain(token);
    expect(log.join("\n")).not.toContain(GITHUB_TOKEN);
  }

  function errorLine(run: ActionRun): string {
    return run.stdout.split("\n").find((l) => l.startsWith("::error::")) ?? "";
  }

  it("posts the request, sets all four outputs and writes the job summary", async () => {
    const run = await runAction({
      message: "Release *2.0* <!here>",
      mention: "U0JANE, S0SRE",
    });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`::add-mask::${DEFAULT_BOT_TOKEN}`);
    expectTokenNeverLogged(run);

    expect(slack.messages).toHaveLength(1);
    const message = slack.messages[0]!;
    expect(run.outputs).toEqual({
      "request-id": expect.stringMatching(/^[A-Za-z0-9_-]{16}$/),
      "channel-id": "C0DEPLOYS",
      "message-ts": message.ts,
      "message-url": `https://fake-workspace.slack.com/archives/C0DEPLOYS/p${message.ts.replace(".", "")}`,
    });
    const requestId = run.outputs["request-id"];

    const reference = {
      repository: "octo/app",
      runId: 4242,
      runAttempt: 1,
      environment: "production",
      mode: "gate",
      requestId,
    };
    expect(message.metadata).toEqual({
      event_type: METADATA_EVENT_TYPE,
      event_payload: {
        v: 1,
        repository: "octo/app",
        run_id: 4242,
        run_attempt: 1,
        environment: "production",
        mode: "gate",
        request_id: requestId,
      },
    });
    const blocks = JSON.stringify(message.blocks);
    const values = [...blocks.matchAll(/"value":"((?:[^"\\]|\\.)*)"/g)].map(
      (m) => JSON.parse(`"${m[1]}"`) as string,
    );
    expect(values).toHaveLength(2);
    for (const value of values) expect(decodeReference(value)).toEqual(reference);

    expect(blocks).toContain("Deploy octo/app to production?");
    expect(blocks).toContain("<https://github.com/octo/app/actions/runs/4242|Deploy>");
    expect(blocks).toContain(
      `<https://github.com/octo/app/commit/${SHA}|c0ffee0> Ship the &lt;!channel&gt; fix &amp; more`,
    );
    expect(blocks).not.toContain("Details nobody reads");
    expect(blocks).toContain("Release *2.0* &lt;!here&gt;");
    expect(blocks).toContain("<@U0JANE> <!subteam^S0SRE>");
    expect(blocks).toContain("<https://github.com/octocat|octocat>");
    expect(message.text).toContain("octo/app to production");

    expect(slack.calls.map((c) => [c.method, c.token])).toEqual([
      ["chat.postMessage", DEFAULT_BOT_TOKEN],
      ["chat.getPermalink", DEFAULT_BOT_TOKEN],
    ]);
    expect(slack.calls[0]?.body).toMatchObject({ channel: "C0DEPLOYS", unfurl_links: "false" });
    // With the job's token (the fake answers 401 to any other): the commit, asking for no file list,
    // and the environment's deployments (none yet: a first deployment, said so in the message).
    // And, before and after posting, whether the App asked itself already (check runs: none here).
    expect(github.requests.filter((r) => r.operationId === "checks/list-for-ref")).toHaveLength(2);
    expect(github.requests).toHaveLength(4);
    expect(github.requests).toEqual(
      expect.arrayContaining([
        {
          method: "GET",
          path: `/repos/octo/app/commits/${SHA}`,
          query: "?per_page=1",
          operationId: "repos/get-commit",
          status: 200,
        },
        {
          method: "GET",
          path: "/repos/octo/app/deployments",
          query: "?environment=production&per_page=20",
          operationId: "repos/list-deployments",
          status: 200,
        },
      ]),
    );
    expect(blocks).toContain("*First deployment to production*");
    // Where the request is, for the App to find when GitHub reaches the gate (common/announce.ts).
    expect(run.stdout).toContain(
      `::notice title=slack-deploy-gate request::${encodeReference({ ...reference, mode: "gate", requestId: String(requestId) })} C0DEPLOYS ${run.outputs["message-ts"]}`,
    );

    expect(run.summary).toContain("Deployment approval requested");
    expect(run.summary).toContain("<code>production</code>");
    expect(run.summary).toContain(`<code>${requestId}</code>`);
    expect(run.summary).toContain(`<a href="${run.outputs["message-url"]}">`);
  });

  it("names inputs the mode does not use, and goes on", async () => {
    const run = await runAction({ timeout: "30m", "dispatch-workflow": "deploy.yml" });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      "::warning::`timeout`, `dispatch-workflow` are not used in `gate` mode and were ignored.",
    );
    expect(slack.messages).toHaveLength(1);
  });

  it("posts to a #name and reports the channel's ID", async () => {
    const run = await runAction({ channel: "#deploys" });
    expect(run.code).toBe(0);
    expect(run.outputs["channel-id"]).toBe("C0DEPLOYS");
    expect(slack.calls[0]?.body.channel).toBe("#deploys");
  });

  it("links the attempt of a re-run and carries it in the reference", async () => {
    const run = await runAction({}, { GITHUB_RUN_ATTEMPT: "3" });
    expect(run.code).toBe(0);
    const blocks = JSON.stringify(slack.messages[0]?.blocks);
    expect(blocks).toContain("<https://github.com/octo/app/actions/runs/4242/attempts/3|Deploy> (attempt 3)");
    expect(slack.messages[0]?.metadata?.event_payload.run_attempt).toBe(3);
  });

  it("posts without the commit title, with a warning, when GitHub cannot give it", async () => {
    const run = await runAction({}, { GITHUB_SHA: "d".repeat(40) });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /^::warning::Could not read the commit title from GitHub \(HTTP 422\); posting the request without it\.$/m,
    );
    expect(slack.messages).toHaveLength(1);
    expect(JSON.stringify(slack.messages[0]?.blocks)).toContain("|ddddddd>");
    expectTokenNeverLogged(run);
  });

  it("posts without the commit title when the GitHub API is unreachable", async () => {
    const run = await runAction({}, { GITHUB_API_URL: "http://127.0.0.1:1" });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("::warning::Could not read the commit title from GitHub");
    expect(run.outputs["message-ts"]).toBe(slack.messages[0]?.ts);
  });

  it("leaves message-url empty, with a warning, when Slack gives no permalink", async () => {
    slack.failNext("chat.getPermalink", "invalid_auth");
    const run = await runAction({});
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      "::warning::The request was posted, but Slack gave no link to it (invalid_auth)",
    );
    expect(run.outputs["message-url"]).toBe("");
    expect(run.outputs["message-ts"]).toBe(slack.messages[0]?.ts);
    expect(run.summary).toContain(`message <code>${slack.messages[0]?.ts}</code>`);
  });

  describe("fails the step with the fix", () => {
    it.each([
      [
        "a missing token",
        { "slack-bot-token": "" },
        /Input `slack-bot-token` is required: .*secrets\.SLACK_BOT_TOKEN/,
      ],
      [
        "a missing channel",
        { channel: "" },
        /Input `channel` is required: a Slack channel ID such as `C0123ABCD`/,
      ],
      [
        "a channel name without #",
        { channel: "deploys" },
        /write a channel name with its `#`, as `#deploys`/,
      ],
      ["a missing environment", { environment: "" }, /Input `environment` is required/],
      [
        "an unknown mode",
        { mode: "yolo" },
        /`mode` is "yolo", which is not a mode\. Available: `gate`, `wait`/,
      ],
      [
        "a mention that is not an ID",
        { mention: "U0JANE, @bob" },
        /Input `mention` has "@bob": list Slack user IDs/,
      ],
      [
        "a slack-api-url that is not a URL",
        { "slack-api-url": "slack" },
        /Input `slack-api-url` is "slack", which is not a URL/,
      ],
    ])("%s", async (_name, inputs, fix) => {
      const run = await runAction(inputs);
      expect(run.code).toBe(1);
      expect(errorLine(run)).toMatch(fix);
      expect(slack.calls).toHaveLength(0);
      expect(run.outputs).toEqual({});
      expectTokenNeverLogged(run);
    });

    it("invalid_auth: a token Slack does not know", async () => {
      const token = "xoxb-not-a-real-token";
      const run = await runAction({ "slack-bot-token": token });
      expect(run.code).toBe(1);
      expect(errorLine(run)).toMatch(
        /Slack rejected the bot token \(invalid_auth\)\. Set the `slack-bot-token` input .*xoxb-/,
      );
      expectTokenNeverLogged(run, token);
      expect(run.outputs).toEqual({});
    });

    it("channel_not_found", async () => {
      const run = await runAction({ channel: "C0MISSING" });
      expect(run.code).toBe(1);
      expect(errorLine(run)).toMatch(
        /Slack cannot find the channel "C0MISSING" \(channel_not_found\)\. Use the channel ID/,
      );
    });

    it("not_in_channel", async () => {
      const run = await runAction({ channel: "C0OUTSIDE" });
      expect(run.code).toBe(1);
      expect(errorLine(run)).toMatch(
        /\(not_in_channel\)\. Invite it with `\/invite @your-app`.*`chat:write\.public`/,
      );
      expect(slack.messages).toHaveLength(0);
    });

    it("ratelimited: fails at once instead of waiting inside the step", async () => {
      slack.failNext("chat.postMessage", "ratelimited");
      const run = await runAction({});
      expect(run.code).toBe(1);
      expect(errorLine(run)).toMatch(
        /Slack rate-limited the request \(ratelimited\) and asked to wait 1 s\. Re-run the job shortly/,
      );
      expect(slack.callsTo("chat.postMessage")).toHaveLength(1);
    });

    it("HTTP 5xx: three attempts, then a clear failure", async () => {
      slack.failNext("chat.postMessage", "server_error", 3);
      const run = await runAction({});
      expect(run.code).toBe(1);
      expect(errorLine(run)).toMatch(
        /Slack answered HTTP 500 3 times in a row, so the request was not posted\..*re-run the job/,
      );
      expect(slack.callsTo("chat.postMessage")).toHaveLength(3);
      expect(slack.messages).toHaveLength(0);
    });

    it("HTTP 5xx once: the retry posts the request", async () => {
      slack.failNext("chat.postMessage", "server_error", 1);
      const run = await runAction({});
      expect(run.code).toBe(0);
      expect(slack.callsTo("chat.postMessage")).toHaveLength(2);
      expect(slack.messages).toHaveLength(1);
    });

    it("missing_scope names the scope to add", async () => {
      const narrow = await startFakeSlack({ scopes: [] });
      try {
        const run = await runAction({ "slack-api-url": narrow.url });
        expect(run.code).toBe(1);
        expect(errorLine(run)).toMatch(
          /missing the `chat:write` scope \(missing_scope\)\. Add it under OAuth & Permissions/,
        );
      } finally {
        await narrow.close();
      }
    });

    it("an unreachable Slack API", async () => {
      const run = await runAction({ "slack-api-url": "http://127.0.0.1:1/api/" });
      expect(run.code).toBe(1);
      expect(errorLine(run)).toMatch(
        /Could not reach Slack at http:\/\/127\.0\.0\.1:1\/api\/ after 3 attempts .*Check the `slack-api-url` input/,
      );
    });

    it("outside a workflow run", async () => {
      const run = await runAction({}, { GITHUB_REPOSITORY: "", GITHUB_EVENT_PATH: "" });
      expect(run.code).toBe(1);
      expect(errorLine(run)).toMatch(
        /GITHUB_REPOSITORY is not set: this action must run as a step of a GitHub Actions workflow/,
      );
    });
  });
});
