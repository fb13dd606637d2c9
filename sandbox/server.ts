// `npm run sandbox`: the whole product on one machine with no credentials. It starts the fake Slack
// and fake GitHub in this process, the real App (build/app/main.js) as a child process on SQLite in a
// temporary directory, runs the real Action (dist/index.js) for each simulated deployment, and serves
// a page on http://localhost:8080 (SANDBOX_PORT) that shows Slack and GitHub side by side.
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startFakes } from "../testkit/fakes/serve.js";
import { ensureBuilt } from "../testkit/build.js";
import { freePort, PROJECT_ROOT, startApp } from "../testkit/helpers/processes.js";
import { createSandboxApi } from "./api.js";
import { serveSandbox } from "./http.js";
import {
  BOT_TOKEN,
  CHANNEL_ID,
  CHANNEL_NAME,
  DEFAULT_POLICY,
  DISPATCH_WORKFLOW,
  DISPATCH_WORKFLOW_PATH,
  INSTALLATION_ID,
  PEOPLE,
  POLICY_PATH,
  RELEASE_GROUP,
  REPOSITORY,
  WORKFLOW_TOKEN,
} from "./world.js";

const APP_ID = 100_001;

async function main(): Promise<void> {
  const port = sandboxPort(process.env.SANDBOX_PORT);
  const dataDir = mkdtempSync(join(tmpdir(), "slack-deploy-gate-sandbox-"));
  // Made up on every start: nothing here is a real credential.
  const { privateKey } = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    privateKeyEncoding: { type: "pkcs1", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  });
  const webhookSecret = randomBytes(16).toString("hex");
  const signingSecret = randomBytes(16).toString("hex");
  const appPort = await freePort();
  const appUrl = `http://127.0.0.1:${appPort}`;

  const fakes = await startFakes({
    slack: {
      tokens: [BOT_TOKEN],
      users: Object.fromEntries(PEOPLE.map((p) => [p.id, p.user])),
      usergroups: { [RELEASE_GROUP.id]: PEOPLE.filter((p) => p.id !== "U0OLIVIA").map((p) => p.id) },
      channels: { [CHANNEL_ID]: { name: CHANNEL_NAME, memberOfBot: true } },
    },
    github: {
      appId: APP_ID,
      privateKey,
      webhookSecret,
      webhookUrl: `${appUrl}/api/github/webhooks`,
      staticTokens: { [WORKFLOW_TOKEN]: { repository: REPOSITORY } },
    },
  });
  fakes.github.addRepository({
    fullName: REPOSITORY,
    files: { [POLICY_PATH]: DEFAULT_POLICY, [DISPATCH_WORKFLOW_PATH]: DISPATCH_WORKFLOW },
  });
  fakes.github.addInstallation({
    id: INSTALLATION_ID,
    account: REPOSITORY.split("/")[0] as string,
    repositories: [REPOSITORY],
  });

  await ensureBuilt(["app", "action"], { log: (line) => process.stdout.write(`Building: ${line}…\n`) });
  const app = await startApp({
    appId: APP_ID,
    privateKey,
    webhookSecret,
    slackSigningSecret: signingSecret,
    slackBotToken: BOT_TOKEN,
    slackApiUrl: fakes.slackUrl,
    githubHost: fakes.githubHost,
    databaseUrl: `sqlite://${join(dataDir, "app.db")}`,
    port: appPort,
    logLevel: process.env.LOG_LEVEL ?? "warn",
    sweepIntervalMs: 2000,
    echo: process.env.SANDBOX_ECHO_APP === "1",
  });

  const api = createSandboxApi({
    fakes,
    appUrl,
    signingSecret,
    workDir: join(dataDir, "runs"),
    root: PROJECT_ROOT,
    appId: APP_ID,
  });
  const server = await serveSandbox({ port, api, publicDir: join(PROJECT_ROOT, "sandbox", "public") });

  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    await Promise.allSettled([server.close(), app.child.stop(), fakes.close()]);
    rmSync(dataDir, { recursive: true, force: true });
    process.exit(code);
  };
  void app.child.exited.then((exit) => {
    if (stopping) return;
    process.stderr.write(`The App stopped (${exit}). Its last output:\n${app.child.output()}\n`);
    void stop(1);
  });
  process.once("SIGINT", () => void stop(0));
  process.once("SIGTERM", () => void stop(0));

  process.stdout.write(
    [
      "",
      "slack-deploy-gate sandbox is running (fake Slack, fake GitHub, the real App and Action; nothing leaves this machine).",
      `  Open http://localhost:${server.port}`,
      "  Press Ctrl+C to stop.",
      "",
    ].join("\n"),
  );
  process.stdout.write(
    `${JSON.stringify({ sandboxUrl: `http://localhost:${server.port}`, appUrl, controlUrl: fakes.controlUrl })}\n`,
  );
}

function sandboxPort(value: string | undefined): number {
  if (value === undefined || value === "") return 8080;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write("SANDBOX_PORT must be a port number (0 to 65535)\n");
    process.exit(2);
  }
  return port;
}

await main();
