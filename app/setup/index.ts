// Setup mode: what `npm start` does while no APP_ID is set. It serves the setup page until every
// credential is in `.env` and the page hands over; then it returns, with the stored settings in the
// environment, and start-up carries on into the App in the same process.

import { githubAppName, ManifestError, slackManifestYaml } from "./manifests.js";
import { SetupOptionsError, setupOptions } from "./options.js";
import { startSetupServer } from "./server.js";

export interface RunSetupOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  print?: (line: string) => void;
}

/** True when start-up should run setup instead of the App: no APP_ID at all. */
export function needsSetup(env: NodeJS.ProcessEnv = process.env): boolean {
  return !env.APP_ID?.trim();
}

export async function runSetup(options: RunSetupOptions = {}): Promise<void> {
  const env = options.env ?? process.env;
  const print = options.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  let settings: ReturnType<typeof setupOptions>;
  try {
    settings = setupOptions(env, options.cwd);
  } catch (error) {
    if (!(error instanceof SetupOptionsError)) throw error;
    process.stderr.write(`slack-deploy-gate: ${error.message}\n`);
    process.exit(1);
  }

  try {
    // Both manifests must be there before anyone opens the page.
    githubAppName(settings.projectDir);
    slackManifestYaml(settings.projectDir, undefined);
  } catch (error) {
    if (!(error instanceof ManifestError)) throw error;
    process.stderr.write(`slack-deploy-gate: setup cannot start: ${error.message}\n`);
    process.exit(1);
  }

  let server: Awaited<ReturnType<typeof startSetupServer>>;
  try {
    server = await startSetupServer({ ...settings, env, print });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE" || code === "EACCES" || code === "EADDRNOTAVAIL") {
      process.stderr.write(
        `slack-deploy-gate: cannot listen on ${settings.host}:${settings.port} (${code}); set PORT (and SETUP_HOST) to a free address\n`,
      );
      process.exit(1);
    }
    throw error;
  }

  print("slack-deploy-gate: no APP_ID is set, so this is setup mode.");
  print(`  Open ${server.accessUrl}`);
  print(`  to register the GitHub App and the Slack app; their credentials go to ${settings.envPath}.`);
  if (settings.narrowedFrom)
    print(
      `  Setup listens on localhost only, although HOST is ${settings.narrowedFrom}; SETUP_HOST=${settings.narrowedFrom} serves it there too.`,
    );
  else if (!["localhost", "127.0.0.1", "::1"].includes(settings.host))
    print(`  SETUP_HOST is ${settings.host}: other machines reach the page, but only with the link above.`);

  const stop = (signal: NodeJS.Signals) => {
    void server.close().then(() => process.exit(signal === "SIGINT" ? 130 : 0));
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  await server.finished;
  process.off("SIGINT", stop);
  process.off("SIGTERM", stop);
  await server.close();
  print("slack-deploy-gate: setup is complete; starting the App.");
}
