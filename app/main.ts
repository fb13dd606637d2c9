// `npm start`: read `.env` and the settings (or run setup when there is no APP_ID yet), open the
// database, serve the App behind its own HTTP server (app/http/), and drain on SIGTERM. A bad setting
// stops start-up with one line.
import { pino } from "pino";
import { Probot } from "probot";
import { type AppConfig, ConfigError, loadConfig } from "./config.js";
import { AppOctokit } from "./github/octokit.js";
import { type ServedApp, serveApp } from "./http/serve-app.js";
import { type AppHandle, slackDeployGate } from "./index.js";
import { loadEnvFile } from "./ops/env-file.js";
import { githubMetricsPlugin } from "./ops/github-metrics.js";
import { operations } from "./ops/index.js";
import { createShutdown } from "./ops/shutdown.js";
import { needsSetup, runSetup } from "./setup/index.js";
import { openStore, redactDatabaseUrl } from "./store/index.js";

/** Where `npm start` looks for the settings file; the environment always wins over it. */
const ENV_FILE = ".env";

function fail(message: string): never {
  process.stderr.write(`slack-deploy-gate: ${message}\n`);
  process.exit(1);
}

async function readSettings(): Promise<{ config: AppConfig; envFile: ReturnType<typeof loadEnvFile> }> {
  try {
    const envFile = loadEnvFile(ENV_FILE);
    // No APP_ID yet: serve the setup page (app/setup/) until every credential is in `.env`.
    if (needsSetup(process.env)) await runSetup();
    return { config: loadConfig(process.env), envFile };
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message);
    throw error;
  }
}

async function main(): Promise<void> {
  const { config, envFile } = await readSettings();

  const log = pino({
    name: "slack-deploy-gate",
    level: config.logLevel,
    // Probot's request logger prints headers; signatures and credentials stay out of the logs.
    redact: [
      "req.headers.authorization",
      "req.headers.cookie",
      'req.headers["x-slack-signature"]',
      'req.headers["x-hub-signature"]',
      'req.headers["x-hub-signature-256"]',
    ],
  });
  if (envFile) {
    // Names only: which settings came from the file, and which the environment overrode.
    log.info({ file: envFile.path, loaded: envFile.loaded, keptFromEnvironment: envFile.kept }, "read .env");
  }

  let store: Awaited<ReturnType<typeof openStore>>;
  try {
    store = await openStore(config.databaseUrl);
  } catch (error) {
    fail(`DATABASE_URL: ${(error as Error).message}`);
  }
  log.info({ database: redactDatabaseUrl(config.databaseUrl ?? "") || "sqlite (default)" }, "database ready");

  if (config.githubClient && !config.publicUrl) {
    log.warn(
      "GITHUB_CLIENT_ID is set but PUBLIC_URL is not: people cannot link their GitHub accounts until it is",
    );
  }

  const ops = operations({
    store,
    appId: config.appId,
    privateKey: config.privateKey,
    metricsToken: config.metricsToken,
    log,
  });
  let handle: AppHandle | undefined;
  let served: ServedApp;
  try {
    served = await serveApp({
      Probot: Probot.defaults({
        appId: config.appId,
        privateKey: config.privateKey,
        secret: config.webhookSecret,
        baseUrl: config.githubApiUrl,
        Octokit: AppOctokit.plugin(githubMetricsPlugin),
        log,
      }),
      appFn: [
        // First, so its routes answer before the App's and it sees every request on its way in.
        ops.app,
        slackDeployGate(
          {
            store,
            webhookSecret: config.webhookSecret,
            slackSigningSecret: config.slackSigningSecret,
            slackBotToken: config.slackBotToken,
            slackApiUrl: config.slackApiUrl,
            slackAppId: config.slackAppId,
            allowedTeamIds: config.allowedTeamIds,
            sweepIntervalMs: config.sweepIntervalMs,
            githubClient: config.githubClient,
            publicUrl: config.publicUrl,
            githubApiUrl: config.githubApiUrl,
            activityRetentionDays: config.activityRetentionDays,
          },
          (h) => {
            handle = h;
          },
        ),
      ],
      port: config.port,
      host: config.host,
      log,
    });
  } catch (error) {
    await store.close().catch(() => {});
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE" || code === "EACCES" || code === "EADDRNOTAVAIL") {
      fail(`cannot listen on ${config.host}:${config.port} (${code}); set PORT (and HOST) to a free address`);
    }
    throw error;
  }
  // Deliver anything a previous process decided but could not tell GitHub.
  void handle?.sweep().catch((error: unknown) => log.error({ err: error }, "start-up sweep failed"));
  void ops.verifyCredentials();
  // Clicks are refused (503) until the App knows which Slack workspace its bot token belongs to.
  if (handle) ops.readiness.waitFor("the Slack workspace (auth.test)", handle.ready());

  const shutdown = createShutdown({
    server: served.server,
    readiness: ops.readiness,
    finishWork: async () => {
      await handle?.stop();
    },
    closeStore: () => store.close(),
    timeoutMs: config.shutdownTimeoutMs,
    log,
    exit: (code) => process.exit(code),
  });
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
}

await main();
