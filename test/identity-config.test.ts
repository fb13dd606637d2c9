// The settings account linking needs: the GitHub App's OAuth client (both halves or neither) and the
// App's public address (https, or http on this machine only); a wrong one stops start-up with one line.
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { loadConfig } from "../app/config.js";
import { githubManifest, slackManifest, slackManifestYaml } from "../app/setup/manifests.js";
import { PROJECT_ROOT } from "../testkit/helpers/processes.js";
import { configProblem, validEnv } from "../testkit/helpers/refusals.js";

const valid = validEnv();
const problem = configProblem;

describe("linking settings", () => {
  it("leaves linking off without them, and reads them when given", () => {
    expect(loadConfig(valid)).toMatchObject({ githubClient: undefined, publicUrl: undefined });
    expect(
      loadConfig({
        ...valid,
        GITHUB_CLIENT_ID: "Iv1.0123456789abcdef",
        GITHUB_CLIENT_SECRET: "s3cret",
        PUBLIC_URL: "https://gate.example.com/",
      }),
    ).toMatchObject({
      githubClient: { id: "Iv1.0123456789abcdef", secret: "s3cret" },
      publicUrl: "https://gate.example.com",
    });
    expect(loadConfig({ ...valid, PUBLIC_URL: "http://127.0.0.1:3000" }).publicUrl).toBe(
      "http://127.0.0.1:3000",
    );
  });

  it("names what is wrong, never echoing the secret", () => {
    expect(problem({ ...valid, GITHUB_CLIENT_ID: "Iv1.0123456789abcdef" })).toMatch(
      /^GITHUB_CLIENT_SECRET is not set: set both/,
    );
    const noId = problem({ ...valid, GITHUB_CLIENT_SECRET: "very-secret-value" });
    expect(noId).toMatch(/^GITHUB_CLIENT_ID is not set/);
    expect(noId).not.toContain("very-secret-value");
    expect(problem({ ...valid, PUBLIC_URL: "http://gate.example.com" })).toBe(
      "PUBLIC_URL must start with https:// (http only for localhost)",
    );
    expect(problem({ ...valid, PUBLIC_URL: "https://user:pw@gate.example.com" })).toMatch(/plain address/);
    expect(problem({ ...valid, PUBLIC_URL: "not a url" })).toMatch(/not a URL/);
  });
});

describe("manifests for linking", () => {
  const PUBLIC = "https://gate.example.com";

  it("registers the link flow's callback with GitHub, and asks for Members read only for teams", () => {
    const manifest = githubManifest(PROJECT_ROOT, { publicUrl: PUBLIC, origin: "http://localhost:3000" });
    expect(manifest.callback_urls).toEqual([
      `${PUBLIC}/github/link/callback`,
      `${PUBLIC}/signin/github/callback`,
    ]);
    expect(manifest.default_permissions).toMatchObject({ members: "read" });
  });

  it("sends /deploy-gate to the App's command route, in both Slack manifests setup makes", () => {
    const api = slackManifest(PROJECT_ROOT, { publicUrl: PUBLIC });
    expect((api.features as { slash_commands: unknown[] }).slash_commands).toEqual([
      expect.objectContaining({ command: "/deploy-gate", url: `${PUBLIC}/slack/commands` }),
    ]);
    expect((api.oauth_config as { scopes: { bot: string[] } }).scopes.bot).toContain("commands");
    const yaml = parse(slackManifestYaml(PROJECT_ROOT, PUBLIC)) as typeof api;
    expect(yaml.features).toEqual(api.features);
  });
});
