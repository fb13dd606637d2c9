// Start-up settings: each problem stops the App with one line that names the setting, and no line
// ever shows a secret's value.
import { spawnSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { parseEnv } from "node:util";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../app/config.js";
import { loadEnvFile } from "../app/ops/env-file.js";
import { PROJECT_ROOT } from "../testkit/helpers/processes.js";
import { configProblem, validEnv } from "../testkit/helpers/refusals.js";

const valid = validEnv();
const privateKey = valid.PRIVATE_KEY as string;
const problem = configProblem;

describe("loadConfig", () => {
  it("reads a complete environment with the documented defaults", () => {
    const config = loadConfig(valid);
    expect(config).toMatchObject({
      appId: 123,
      slackApiUrl: "https://slack.com/api/",
      databaseUrl: undefined,
      port: 3000,
      host: "localhost",
      logLevel: "info",
      githubApiUrl: "https://api.github.com",
      sweepIntervalMs: 30_000,
    });
  });

  it("names each missing required setting", () => {
    for (const name of ["APP_ID", "WEBHOOK_SECRET", "SLACK_SIGNING_SECRET", "SLACK_BOT_TOKEN"]) {
      expect(problem({ ...valid, [name]: undefined })).toContain(`${name} is not set`);
      expect(problem({ ...valid, [name]: "   " })).toContain(`${name} is not set`);
    }
    expect(problem({ ...valid, PRIVATE_KEY: undefined })).toContain("PRIVATE_KEY or PRIVATE_KEY_PATH");
  });

  it("rejects malformed values without echoing them", () => {
    expect(problem({ ...valid, APP_ID: "12ab" })).toContain("APP_ID");
    expect(problem({ ...valid, PRIVATE_KEY: "not a key" })).toContain("PRIVATE_KEY is not a PEM private key");
    const token = problem({ ...valid, SLACK_BOT_TOKEN: "hunter2-token" });
    expect(token).toContain("SLACK_BOT_TOKEN");
    expect(token).not.toContain("hunter2");
    expect(problem({ ...valid, SLACK_API_URL: "ftp://slack.example" })).toContain(
      "SLACK_API_URL must be an http(s) URL",
    );
    expect(problem({ ...valid, PORT: "70000" })).toContain("PORT");
    expect(problem({ ...valid, LOG_LEVEL: "loud" })).toContain("LOG_LEVEL must be one of");
    expect(problem({ ...valid, GHE_HOST: "https://ghe.example/api" })).toContain("GHE_HOST");
    expect(problem({ ...valid, GHE_PROTOCOL: "ftp" })).toContain("GHE_PROTOCOL");
    expect(problem({ ...valid, SWEEP_INTERVAL_MS: "5" })).toContain("SWEEP_INTERVAL_MS");
    expect(problem({ ...valid, SHUTDOWN_TIMEOUT_MS: "10s" })).toContain("SHUTDOWN_TIMEOUT_MS");
    expect(problem({ ...valid, SHUTDOWN_TIMEOUT_MS: "999999999" })).toContain("SHUTDOWN_TIMEOUT_MS");
    const metricsToken = problem({ ...valid, METRICS_TOKEN: "short-secret" });
    expect(metricsToken).toContain("METRICS_TOKEN must be at least 16 characters");
    expect(metricsToken).not.toContain("short-secret");
  });

  it("refuses a PEM-shaped key that is damaged or not RSA, before any GitHub call", () => {
    const damaged = privateKey.replace(/\n[A-Za-z0-9+/]{20}/, "\nAAAAAAAAAAAAAAAAAAAA");
    expect(problem({ ...valid, PRIVATE_KEY: damaged })).toBe(
      "PRIVATE_KEY is not a usable RSA private key (download a new one from the App's settings)",
    );
    const ec = generateKeyPairSync("ec", {
      namedCurve: "P-256",
      privateKeyEncoding: { type: "pkcs8", format: "pem" },
      publicKeyEncoding: { type: "spki", format: "pem" },
    }).privateKey;
    expect(problem({ ...valid, PRIVATE_KEY: ec })).toContain("not a usable RSA private key");
  });

  it("reads the Slack app ID and the Enterprise Grid workspaces whose clicks count", () => {
    expect(loadConfig(valid)).toMatchObject({ slackAppId: undefined, allowedTeamIds: [] });
    expect(
      loadConfig({ ...valid, SLACK_APP_ID: "A0APP123", SLACK_ALLOWED_TEAM_IDS: "T0ONE, T0TWO,T0ONE" }),
    ).toMatchObject({ slackAppId: "A0APP123", allowedTeamIds: ["T0ONE", "T0TWO"] });
    expect(problem({ ...valid, SLACK_APP_ID: "app-1" })).toContain("SLACK_APP_ID");
    expect(problem({ ...valid, SLACK_ALLOWED_TEAM_IDS: "T0ONE,,E0GRID" })).toContain(
      "SLACK_ALLOWED_TEAM_IDS",
    );
  });

  it("defaults the shutdown bound to 10 s and leaves /metrics open without METRICS_TOKEN", () => {
    expect(loadConfig(valid)).toMatchObject({ shutdownTimeoutMs: 10_000, metricsToken: undefined });
    expect(
      loadConfig({ ...valid, SHUTDOWN_TIMEOUT_MS: "25000", METRICS_TOKEN: "a-long-enough-token" }),
    ).toMatchObject({ shutdownTimeoutMs: 25_000, metricsToken: "a-long-enough-token" });
  });

  it("reads the key from PRIVATE_KEY_PATH, and accepts an inline key with escaped newlines", () => {
    const dir = mkdtempSync(join(tmpdir(), "sdg-config-"));
    const path = join(dir, "key.pem");
    writeFileSync(path, privateKey);
    expect(loadConfig({ ...valid, PRIVATE_KEY: undefined, PRIVATE_KEY_PATH: path }).privateKey).toBe(
      privateKey,
    );
    expect(
      problem({ ...valid, PRIVATE_KEY: undefined, PRIVATE_KEY_PATH: join(dir, "missing.pem") }),
    ).toContain("PRIVATE_KEY_PATH cannot be read: ENOENT");
    const oneLine = privateKey.replace(/\n/g, "\\n");
    expect(loadConfig({ ...valid, PRIVATE_KEY: oneLine }).privateKey).toBe(privateKey);
  });

  it("points at GitHub Enterprise Server (or a local fake) with GHE_HOST", () => {
    expect(loadConfig({ ...valid, GHE_HOST: "ghe.example.com" }).githubApiUrl).toBe(
      "https://ghe.example.com/api/v3",
    );
    expect(loadConfig({ ...valid, GHE_HOST: "127.0.0.1:8080", GHE_PROTOCOL: "http" }).githubApiUrl).toBe(
      "http://127.0.0.1:8080/api/v3",
    );
  });
});

describe("npm start with a bad setting", () => {
  it("exits 1 with one line naming the setting, and never prints a secret", () => {
    const result = spawnSync(process.execPath, ["--import", "tsx", "app/main.ts"], {
      env: {
        PATH: process.env.PATH,
        ...valid,
        SLACK_BOT_TOKEN: undefined,
        SLACK_SIGNING_SECRET: "shh-its-secret",
      },
      encoding: "utf8",
      timeout: 30_000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr.trim().split("\n")).toEqual([
      "slack-deploy-gate: SLACK_BOT_TOKEN is not set (see .env.example)",
    ]);
    expect(result.stdout + result.stderr).not.toContain("shh-its-secret");
  });
});

describe(".env", () => {
  const dir = mkdtempSync(join(tmpdir(), "sdg-envfile-"));

  it("adds the file's settings and never replaces one the environment already sets", () => {
    const path = join(dir, "plain.env");
    writeFileSync(
      path,
      [
        "# a comment line",
        "APP_ID=123",
        "LOG_LEVEL=debug",
        "EMPTY_IN_ENV=from-file",
        'PRIVATE_KEY="-----BEGIN RSA PRIVATE KEY-----\nabc\n-----END RSA PRIVATE KEY-----"',
        "",
      ].join("\n"),
    );
    const env: Record<string, string | undefined> = { LOG_LEVEL: "warn", EMPTY_IN_ENV: "" };
    const result = loadEnvFile(path, env);
    expect(result).toEqual({ path, loaded: ["APP_ID", "PRIVATE_KEY"], kept: ["EMPTY_IN_ENV", "LOG_LEVEL"] });
    expect(env).toEqual({
      APP_ID: "123",
      LOG_LEVEL: "warn",
      EMPTY_IN_ENV: "",
      PRIVATE_KEY: "-----BEGIN RSA PRIVATE KEY-----\nabc\n-----END RSA PRIVATE KEY-----",
    });
  });

  it("is optional, but one that cannot be read stops start-up naming the file", () => {
    expect(loadEnvFile(join(dir, "missing.env"), {})).toBeUndefined();
    const directory = join(dir, "a-directory.env");
    mkdirSync(directory);
    expect(() => loadEnvFile(directory, {})).toThrow(new ConfigError(`${directory} cannot be read: EISDIR`));
  });

  it(".env.example reads the same in Node and in `docker run --env-file`, and names only real settings", () => {
    const text = readFileSync(join(PROJECT_ROOT, ".env.example"), "utf8");
    // Docker's --env-file: `NAME=VALUE` taken literally to the end of the line; `#` lines are comments.
    const docker: Record<string, string> = {};
    for (const line of text.split("\n")) {
      if (line.trim() === "" || line.startsWith("#")) continue;
      const at = line.indexOf("=");
      expect(at, `not NAME=VALUE: ${line}`).toBeGreaterThan(0);
      docker[line.slice(0, at)] = line.slice(at + 1);
    }
    expect(parseEnv(text)).toEqual(docker);
    for (const value of Object.values(docker)) expect(value).not.toMatch(/#|^["']|\s$/);
    // Every setting it names, commented out or not, is one the App reads.
    const named = [...text.matchAll(/^#? ?([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]);
    const readme = readFileSync(join(PROJECT_ROOT, "README.md"), "utf8");
    for (const name of named)
      expect(readme, `${name} is not documented in the README`).toContain(`\`${name}\``);
    expect(named).toEqual(
      expect.arrayContaining(["APP_ID", "WEBHOOK_SECRET", "SLACK_SIGNING_SECRET", "SLACK_BOT_TOKEN"]),
    );
  });
});

const TSX_LOADER = join(PROJECT_ROOT, "node_modules", "tsx", "dist", "loader.mjs");

describe("npm start with .env", () => {
  const keyDir = mkdtempSync(join(tmpdir(), "sdg-start-"));
  const start = (cwd: string, env: Record<string, string | undefined>) =>
    // tsx by path: the working directory is elsewhere, so `--import tsx` would not resolve.
    spawnSync(
      process.execPath,
      ["--import", pathToFileURL(TSX_LOADER).href, join(PROJECT_ROOT, "app", "main.ts")],
      {
        cwd,
        env: { PATH: process.env.PATH, ...env },
        encoding: "utf8",
        timeout: 30_000,
      },
    );

  it("reads the settings from .env in its working directory, the environment winning", () => {
    const cwd = mkdtempSync(join(keyDir, "app-"));
    writeFileSync(join(cwd, "key.pem"), privateKey);
    writeFileSync(
      join(cwd, ".env"),
      [
        "APP_ID=123",
        `PRIVATE_KEY_PATH=${join(cwd, "key.pem")}`,
        "WEBHOOK_SECRET=whsec-from-file",
        "SLACK_SIGNING_SECRET=signing-from-file",
        "SLACK_BOT_TOKEN=xoxb-1-2-fromfile",
        "PORT=3001",
        "",
      ].join("\n"),
    );
    // The settings checked before PORT all come from the file; PORT comes from the environment.
    const fromFile = start(cwd, { PORT: "70000" });
    expect(fromFile.status).toBe(1);
    expect(fromFile.stderr.trim()).toBe("slack-deploy-gate: PORT must be a number from 0 to 65535");
    expect(fromFile.stdout + fromFile.stderr).not.toContain("fromfile");
    // The environment's token replaces the file's, and is refused for what it is.
    const token = start(cwd, { SLACK_BOT_TOKEN: "not-a-slack-token" });
    expect(token.stderr.trim()).toBe(
      "slack-deploy-gate: SLACK_BOT_TOKEN is not a Slack token (expected it to start with xoxb-)",
    );
  });
});
