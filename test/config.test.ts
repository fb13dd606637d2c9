// Start-up settings: each problem stops the App with one line that names the setting, and no line
// ever shows a secret's value.
import { spawnSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../app/config.js";

const { privateKey } = generateKeyPairSync("rsa", {
  modulusLength: 2048,
  privateKeyEncoding: { type: "pkcs1", format: "pem" },
  publicKeyEncoding: { type: "spki", format: "pem" },
});

const valid = {
  APP_ID: "123",
  PRIVATE_KEY: privateKey,
  WEBHOOK_SECRET: "whsec-value",
  SLACK_SIGNING_SECRET: "signing-secret-value",
  SLACK_BOT_TOKEN: "xoxb-1-2-secretvalue",
};

function problem(env: Record<string, string | undefined>): string {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error("expected a ConfigError");
}

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
