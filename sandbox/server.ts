// `npm run sandbox`: the whole product on one machine with no credentials. It starts the fake Slack
// and fake GitHub in this process, the real App (build/app/main.js) as a child process on SQLite in a
// temporary directory, runs the real Action (dist/index.js) for each simulated deployment, and serves
// a page on http://localhost:8080 (SANDBOX_PORT) that shows Slack and GitHub side by side.
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureBuilt } from "../testkit/build.js";
import { startFakes } from "../testkit/fakes/serve.js";
import { freePort, PROJECT_ROOT, startApp, stopAll } from "../testkit/helpers/processes.js";
import { createSandboxApi } from "./api.js";
import { listenSandbox, PortInUseError, type SandboxServer } from "./http.js";
import {
  BOT_TOKEN,
  CHANNEL_ID,
  CHANNEL_NAME,
  DEFAULT_POLICY,
  DISPATCH_WORKFLOW,
  DISPATCH_WORKFLOW_PATH,
  GITHUB_ACCOUNTS,
  GITHUB_TEAM,
  INSTALLATION_ID,
  PEOPLE,
  POLICY_PATH,
  RELEASE_GROUP,
  REPOSITORY,
  WORKFLOW_TOKEN,
} from "./world.js";

const APP_ID = 100_001;

/** What has been started so far, stopped in reverse on the way out. */
const cleanups: Array<() => Promise<unknown> | unknown> = [];
let stopping = false;

async function stop(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    for (const cleanup of cleanups.reverse())
      await Promise.resolve()
        .then(cleanup)
        .catch(() => {});
  }
  process.exit(code);
}

/** One line on stderr, everything started so far stopped, exit 1: no stack trace, no orphan App. */
async function failStart(message: string): Promise<never> {
  process.stderr.write(`slack-deploy-gate sandbox: ${message}\n`);
  return stop(1);
}

async function main(): Promise<void> {
  const port = sandboxPort(process.env.SANDBOX_PORT);
  process.once("SIGINT", () => void stop(0));
  process.once("SIGTERM", () => void stop(0));

  // The page's port first: if it is taken, nothing else has started yet.
  let server: SandboxServer;
  try {
    server = await listenSandbox({ port, publicDir: join(PROJECT_ROOT, "sandbox", "public") });
  } catch (error) {
    if (error instanceof PortInUseError) {
      return failStart(
        `port ${port} is in use (another sandbox?). Pick another with SANDBOX_PORT, e.g. SANDBOX_PORT=${port === 8080 ? 8081 : port + 1} npm run sandbox`,
      );
    }
    return failStart(`cannot listen on 127.0.0.1:${port}: ${(error as Error).message}`);
  }
  cleanups.push(() => server.close());

  const dataDir = mkdtempSync(join(tmpdir(), "slack-deploy-gate-sandbox-"));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
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
  cleanups.push(() => fakes.close());
  fakes.github.addRepository({
    fullName: REPOSITORY,
    files: { [POLICY_PATH]: DEFAULT_POLICY, [DISPATCH_WORKFLOW_PATH]: DISPATCH_WORKFLOW },
  });
  fakes.github.addInstallation({
    id: INSTALLATION_ID,
    account: REPOSITORY.split("/")[0] as string,
    repositories: [REPOSITORY],
  });
  // People on GitHub, a team the policy names, and GitHub sign-in coming back to the App (linking).
  for (const login of GITHUB_ACCOUNTS) fakes.github.people.setOrgMember(GITHUB_TEAM.org, login);
  fakes.github.people.addTeam(GITHUB_TEAM.org, GITHUB_TEAM.slug, GITHUB_TEAM.members);
  fakes.github.oauth.callbackUrls = [`${appUrl}/github/link/callback`];

  try {
    await ensureBuilt(["app", "action"], { log: (line) => process.stdout.write(`Building: ${line}…\n`) });
  } catch (error) {
    return failStart(`the build failed:\n${(error as Error).message}`);
  }
  // Every child process (the App, a running Action step) ends with the sandbox, however it ends.
  cleanups.push(() => stopAll());
  let app: Awaited<ReturnType<typeof startApp>>;
  try {
    app = await startApp({
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
      env: {
        GITHUB_CLIENT_ID: fakes.github.oauth.clientId,
        GITHUB_CLIENT_SECRET: fakes.github.oauth.clientSecret,
        PUBLIC_URL: appUrl,
      },
    });
  } catch (error) {
    return failStart(`the App did not start: ${(error as Error).message}`);
  }
  void app.child.exited.then((exit) => {
    if (stopping) return;
    process.stderr.write(`The App stopped (${exit}). Its last output:\n${app.child.output()}\n`);
    void stop(1);
  });

  const api = createSandboxApi({
    fakes,
    appUrl,
    signingSecret,
    workDir: join(dataDir, "runs"),
    root: PROJECT_ROOT,
    appId: APP_ID,
    databasePath: join(dataDir, "app.db"),
  });
  // The labels on the page follow the policy: read it the App's way before the page opens.
  await api.ready();
  server.serve(api);

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

await main().catch((error: unknown) => failStart(error instanceof Error ? error.message : String(error)));
