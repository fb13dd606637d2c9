// `npm start`: read the settings, open the database, serve. A bad setting stops start-up with one line.
import { pino } from "pino";
import { Probot, Server } from "probot";
import { ConfigError, loadConfig } from "./config.js";
import { AppOctokit } from "./github/octokit.js";
import { type AppHandle, slackDeployGate } from "./index.js";
import { openStore, redactDatabaseUrl } from "./store/index.js";

async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`slack-deploy-gate: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }

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

  let store: Awaited<ReturnType<typeof openStore>>;
  try {
    store = await openStore(config.databaseUrl);
  } catch (error) {
    process.stderr.write(`slack-deploy-gate: DATABASE_URL: ${(error as Error).message}\n`);
    process.exit(1);
  }
  log.info({ database: redactDatabaseUrl(config.databaseUrl ?? "") || "sqlite (default)" }, "database ready");

  const server = new Server({
    Probot: Probot.defaults({
      appId: config.appId,
      privateKey: config.privateKey,
      secret: config.webhookSecret,
      baseUrl: config.githubApiUrl,
      Octokit: AppOctokit,
      log,
    }),
    port: config.port,
    host: config.host,
    log,
    // Probot's static files and default landing page are not part of this App.
    enableStaticFiles: false,
  });

  let handle: AppHandle | undefined;
  await server.load(
    slackDeployGate(
      {
        store,
        slackSigningSecret: config.slackSigningSecret,
        slackBotToken: config.slackBotToken,
        slackApiUrl: config.slackApiUrl,
        sweepIntervalMs: config.sweepIntervalMs,
      },
      (h) => {
        handle = h;
      },
    ),
  );
  await server.start();
  // Deliver anything a previous process decided but could not tell GitHub.
  void handle?.sweep().catch((error: unknown) => log.error({ err: error }, "start-up sweep failed"));

  const shutdown = async (signal: string) => {
    log.info({ signal }, "shutting down");
    await server.stop();
    await handle?.stop();
    await store.close();
    process.exit(0);
  };
  process.once("SIGTERM", () => void shutdown("SIGTERM"));
  process.once("SIGINT", () => void shutdown("SIGINT"));
}

await main();
