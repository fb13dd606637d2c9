// Self-hosted runners behind a proxy: the Action's Slack calls go through HTTPS_PROXY / HTTP_PROXY
// like the rest of the toolkit. The Slack host here does not resolve at all, so only a request sent
// through the proxy (which tunnels to the fake Slack) can succeed.
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeGitHub, startFakeGitHub } from "../testkit/fakes/github.js";
import {
  DEFAULT_BOT_TOKEN,
  DEFAULT_CHANNEL_ID,
  type FakeSlack,
  startFakeSlack,
} from "../testkit/fakes/slack.js";
import { newPrivateKey } from "../testkit/helpers/keys.js";
import { type ActionStep, runActionStep } from "../testkit/helpers/processes.js";

const REPO = "acme/api";
const SHA = "c".repeat(40);
const WORKFLOW_TOKEN = "ghs_workflowtokenforproxytest";
const UNRESOLVABLE_HOST = "slack.proxied.invalid";

describe("the Action behind a proxy", () => {
  let slack: FakeSlack;
  let github: FakeGitHub;
  let proxy: Server;
  let proxyUrl: string;
  const tunnels: string[] = [];
  let workDir: string;

  beforeAll(async () => {
    workDir = mkdtempSync(join(tmpdir(), "sdg-proxy-"));
    slack = await startFakeSlack();
    const privateKey = newPrivateKey();
    github = await startFakeGitHub({
      appId: 1,
      privateKey,
      webhookSecret: "unused",
      staticTokens: { [WORKFLOW_TOKEN]: { repository: REPO } },
    });
    github.addRepository({ fullName: REPO, defaultBranch: "main" });
    github.addCommit(REPO, { sha: SHA, message: "Behind the proxy" });

    // A CONNECT proxy that tunnels every host to the fake Slack on loopback.
    proxy = createServer((_req, res) => res.writeHead(405).end());
    proxy.on("connect", (req, client, head) => {
      tunnels.push(req.url ?? "");
      const port = Number((req.url ?? "").split(":").pop());
      const upstream = connect(port, "127.0.0.1", () => {
        client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
        upstream.write(head);
        upstream.pipe(client);
        client.pipe(upstream);
      });
      upstream.on("error", () => client.destroy());
      client.on("error", () => upstream.destroy());
    });
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    proxy?.closeAllConnections();
    await new Promise((resolve) => proxy?.close(resolve));
    await slack?.close();
    await github?.close();
    rmSync(workDir, { recursive: true, force: true });
  });

  function step(env: Record<string, string>): ActionStep {
    return {
      repository: REPO,
      runId: 77,
      sha: SHA,
      actor: "dana",
      environment: "production",
      channel: DEFAULT_CHANNEL_ID,
      slackBotToken: DEFAULT_BOT_TOKEN,
      slackApiUrl: `http://${UNRESOLVABLE_HOST}:${slack.port}/api/`,
      githubToken: WORKFLOW_TOKEN,
      githubServerUrl: github.url,
      githubApiUrl: github.apiUrl,
      workDir,
      env,
    };
  }

  it("posts the request through HTTPS_PROXY / HTTP_PROXY", async () => {
    const result = await runActionStep(step({ HTTPS_PROXY: proxyUrl, HTTP_PROXY: proxyUrl }));
    expect(result.log).not.toContain("::error::");
    expect(result.code).toBe(0);
    expect(tunnels).toContain(`${UNRESOLVABLE_HOST}:${slack.port}`);
    expect(result.outputs["message-ts"]).toBe(slack.messages.at(-1)?.ts);
    expect(slack.messages.at(-1)?.text).toContain("acme/api");
  });

  it("cannot reach that host without the proxy (the control)", async () => {
    const before = tunnels.length;
    const result = await runActionStep(step({}));
    expect(result.code).not.toBe(0);
    expect(result.log).toContain("Could not reach Slack");
    expect(tunnels.length).toBe(before);
  });

  it("leaves hosts in NO_PROXY alone", async () => {
    const before = tunnels.length;
    const result = await runActionStep(
      step({ HTTPS_PROXY: proxyUrl, HTTP_PROXY: proxyUrl, NO_PROXY: UNRESOLVABLE_HOST }),
    );
    expect(result.code).not.toBe(0);
    expect(tunnels.length).toBe(before);
  });
});
