// The App as its own process (`node build/app/main.js` with the node flags of `npm start`, as operators
// run it), so that neither the load generator nor the fakes share its event loop. Logs go to a file at
// LOG_LEVEL=warn.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pino } from "pino";
import { Probot } from "probot";
import { freePort, PROJECT_ROOT } from "../../testkit/helpers/processes.js";
import { type BenchChild, spawnLogged, waitHealthy } from "./process.js";
import {
  APP_ID,
  INSTALLATION_ID,
  REPO,
  type Scene,
  SIGNING_SECRET,
  SLACK_TOKEN,
  WEBHOOK_SECRET,
} from "./scene.js";

export interface RunningApp {
  child: BenchChild;
  url: string;
  interactionsUrl: string;
  webhooksUrl: string;
  databaseUrl: string;
}

/** The node flags `npm start` gives the App (package.json), e.g. its V8 heap limits. */
export function startFlags(): string[] {
  const scripts = JSON.parse(readFileSync(join(PROJECT_ROOT, "package.json"), "utf8")).scripts ?? {};
  const match = /^node\s+(.*?)\s*build\/app\/main\.js\s*$/.exec(String(scripts.start ?? ""));
  if (!match) throw new Error(`package.json's start script no longer reads "node … build/app/main.js"`);
  return (match[1] ?? "").split(/\s+/).filter(Boolean);
}

export async function startAppProcess(
  scene: Scene,
  options: {
    name: string;
    databaseUrl: string;
    logDir: string;
    nodeArgs?: string[];
    env?: Record<string, string>;
  },
): Promise<RunningApp> {
  const port = await freePort();
  const child = spawnLogged({
    name: options.name,
    command: process.execPath,
    // BENCH_PROFILE=<dir>: each App writes a V8 CPU profile there when it stops (see README). Node
    // refuses --cpu-prof in NODE_OPTIONS, so it goes on the command line.
    // `nodeArgs` come after the start flags, so that they can override them (bench/heap.ts).
    args: [
      ...startFlags(),
      ...(options.nodeArgs ?? []),
      ...(process.env.BENCH_PROFILE
        ? [
            "--cpu-prof",
            `--cpu-prof-dir=${process.env.BENCH_PROFILE}`,
            `--cpu-prof-name=${options.name}.cpuprofile`,
          ]
        : []),
      join(PROJECT_ROOT, "build", "app", "main.js"),
    ],
    cwd: PROJECT_ROOT,
    logPath: join(options.logDir, `${options.name}.log`),
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: "production",
      APP_ID: String(APP_ID),
      PRIVATE_KEY: scene.privateKey,
      WEBHOOK_SECRET,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_BOT_TOKEN: SLACK_TOKEN,
      SLACK_API_URL: scene.slack.url,
      DATABASE_URL: options.databaseUrl,
      PORT: String(port),
      HOST: "127.0.0.1",
      LOG_LEVEL: "warn",
      GHE_HOST: scene.github.host,
      GHE_PROTOCOL: "http",
      ...options.env,
    },
  });
  const url = `http://127.0.0.1:${port}`;
  await waitHealthy(`${url}/healthz`, child, 60_000);
  return {
    child,
    url,
    interactionsUrl: `${url}/slack/interactions`,
    webhooksUrl: `${url}/api/github/webhooks`,
    databaseUrl: options.databaseUrl,
  };
}

/** A token of the bench's installation, as the App would get it from GitHub. */
export async function installationToken(scene: Scene): Promise<string> {
  const probot = new Probot({
    appId: APP_ID,
    privateKey: scene.privateKey,
    baseUrl: scene.github.apiUrl,
    log: pino({ level: "silent" }),
  });
  const octokit = await probot.auth();
  const { data } = await octokit.rest.apps.createInstallationAccessToken({
    installation_id: INSTALLATION_ID,
  });
  return data.token;
}

/** floor-review.mjs: acknowledges, then reads the run and posts the review with plain fetch. */
export async function startReviewFloor(
  scene: Scene,
  logDir: string,
  token: string,
): Promise<{ child: BenchChild; url: string }> {
  const port = await freePort();
  const child = spawnLogged({
    name: "floor-review",
    command: process.execPath,
    args: [join(PROJECT_ROOT, "bench", "floor-review.mjs")],
    cwd: PROJECT_ROOT,
    logPath: join(logDir, "floor-review.log"),
    env: {
      PATH: process.env.PATH,
      PORT: String(port),
      FLOOR_GITHUB_API_URL: scene.github.apiUrl,
      FLOOR_GITHUB_TOKEN: token,
      FLOOR_REPOSITORY: REPO,
    },
  });
  const url = `http://127.0.0.1:${port}`;
  await waitHealthy(`${url}/healthz`, child);
  return { child, url };
}

/** A bare node:http server answering 200 to anything: the floor for the App's acknowledgement. */
export async function startFloorServer(logDir: string): Promise<{ child: BenchChild; url: string }> {
  const port = await freePort();
  const child = spawnLogged({
    name: "floor-server",
    command: process.execPath,
    args: [join(PROJECT_ROOT, "bench", "floor-server.mjs")],
    cwd: PROJECT_ROOT,
    logPath: join(logDir, "floor-server.log"),
    env: { PATH: process.env.PATH, PORT: String(port) },
  });
  const url = `http://127.0.0.1:${port}`;
  await waitHealthy(`${url}/healthz`, child);
  return { child, url };
}
