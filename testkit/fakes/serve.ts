// Runs the fake Slack and the fake GitHub as one process, driven through the control API
// (`control.ts`). Usage:
//   npx tsx testkit/fakes/serve.ts --config fakes.json [--slack-port N] [--github-port M] [--control-port K]
//   npx tsx testkit/fakes/serve.ts '{"github":{…}}'
// When ready it prints one JSON line: {"slackUrl","githubUrl","githubApiUrl","githubHost","controlUrl"}.
// SIGTERM or SIGINT closes the servers and exits.
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { type ControlServer, startControlServer } from "./control.js";
import { type FakeGitHub, startFakeGitHub } from "./github.js";
import { type FakeSlack, type FakeSlackOptions, startFakeSlack } from "./slack.js";

export interface ServeConfig {
  slackPort?: number;
  githubPort?: number;
  controlPort?: number;
  slack?: Pick<
    FakeSlackOptions,
    | "tokens"
    | "users"
    | "usergroups"
    | "channels"
    | "scopes"
    | "workspaceUrl"
    | "teamId"
    | "enterpriseId"
    | "appId"
  >;
  github: {
    appId: number;
    /** PEM; or give privateKeyPath. Only its public half is used, to check the App's JWTs. */
    privateKey?: string;
    privateKeyPath?: string;
    webhookSecret: string;
    /** Where webhooks go; can also be set later through the control API. */
    webhookUrl?: string;
    /** Workflow tokens (GITHUB_TOKEN), each able to read one repository. */
    staticTokens?: Record<string, { repository: string }>;
  };
}

export interface ServeReady {
  slackUrl: string;
  githubUrl: string;
  githubApiUrl: string;
  githubHost: string;
  controlUrl: string;
}

export interface RunningFakes extends ServeReady {
  slack: FakeSlack;
  github: FakeGitHub;
  control: ControlServer;
  close(): Promise<void>;
}

export async function startFakes(config: ServeConfig): Promise<RunningFakes> {
  const privateKey =
    config.github.privateKey ??
    (config.github.privateKeyPath ? readFileSync(config.github.privateKeyPath, "utf8") : undefined);
  if (!privateKey) throw new Error("github.privateKey or github.privateKeyPath is required");
  const slack = await startFakeSlack({ ...config.slack, port: config.slackPort });
  const github = await startFakeGitHub({
    appId: config.github.appId,
    privateKey,
    webhookSecret: config.github.webhookSecret,
    webhookUrl: config.github.webhookUrl,
    staticTokens: config.github.staticTokens,
    port: config.githubPort,
  });
  const control = await startControlServer({ slack, github }, { port: config.controlPort });
  return {
    slack,
    github,
    control,
    slackUrl: slack.url,
    githubUrl: github.url,
    githubApiUrl: github.apiUrl,
    githubHost: github.host,
    controlUrl: control.url,
    async close() {
      await Promise.allSettled([control.close(), github.close(), slack.close()]);
    },
  };
}

export function parseServeArgs(argv: string[]): ServeConfig {
  let config: Partial<ServeConfig> = {};
  const ports: Partial<Pick<ServeConfig, "slackPort" | "githubPort" | "controlPort">> = {};
  const portFlags: Record<string, keyof typeof ports> = {
    "--slack-port": "slackPort",
    "--github-port": "githubPort",
    "--control-port": "controlPort",
  };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] as string;
    const [flag, inline] = arg.includes("=")
      ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)]
      : [arg, undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    if (flag === "--config") {
      config = JSON.parse(readFileSync(value(), "utf8")) as ServeConfig;
    } else if (flag in portFlags) {
      const port = Number(value());
      if (!Number.isInteger(port) || port < 0 || port > 65535)
        throw new Error(`${flag} must be a port number`);
      ports[portFlags[flag] as keyof typeof ports] = port;
    } else if (arg.trim().startsWith("{")) {
      config = JSON.parse(arg) as ServeConfig;
    } else {
      throw new Error(`unknown argument ${arg}`);
    }
  }
  if (!config.github)
    throw new Error("a config with a `github` section is required (--config file.json or inline JSON)");
  return { ...config, ...ports } as ServeConfig;
}

async function main(): Promise<void> {
  let config: ServeConfig;
  try {
    config = parseServeArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`serve: ${(error as Error).message}\n`);
    process.exit(2);
  }
  const fakes = await startFakes(config);
  const ready: ServeReady = {
    slackUrl: fakes.slackUrl,
    githubUrl: fakes.githubUrl,
    githubApiUrl: fakes.githubApiUrl,
    githubHost: fakes.githubHost,
    controlUrl: fakes.controlUrl,
  };
  process.stdout.write(`${JSON.stringify(ready)}\n`);
  const stop = () => {
    void fakes.close().then(() => process.exit(0));
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
