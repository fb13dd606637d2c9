// The Slack app asks for exactly the bot scopes its code needs: every Slack Web API method the App and
// the Action call is listed here with the bot scope Slack requires for it (from each method's page at
// docs.slack.dev/reference/methods), and the manifest's scopes must be that set. A new method call
// fails this test until its scope is decided here and in slack-app-manifest.yml.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { PROJECT_ROOT } from "../testkit/helpers/processes.js";

/** Method → the bot scope it needs (null: none, or a token that is not the bot's). */
const METHOD_SCOPES: Record<string, string | null> = {
  "chat.postMessage": "chat:write",
  "chat.update": "chat:write",
  "chat.postEphemeral": "chat:write",
  "chat.getPermalink": null,
  "views.open": null,
  "views.update": null,
  "usergroups.users.list": "usergroups:read",
  // Approvers' display names in the message and the GitHub comment.
  "users.info": "users:read",
  // The workspace pin: which Slack app the bot token belongs to (unless SLACK_APP_ID says).
  "bots.info": "users:read",
  "auth.test": null,
  // A request the workflow announced, read at its ts when GitHub reaches the gate (private channels:
  // groups:history, below).
  "conversations.history": "channels:history",
  // Setup: an app configuration token, and the OAuth client credentials; not bot scopes.
  "apps.manifest.create": null,
  "oauth.v2.access": null,
};

/**
 * Asked for beside a method's own scope: chat:write.public lets chat.postMessage post in public channels
 * the bot has not joined; groups:history lets conversations.history read private channels.
 */
const OPTIONAL_SCOPES = ["chat:write.public", "groups:history"];
/** Asked for by a manifest feature, not a method: the `/deploy-gate` slash command needs `commands`. */
const FEATURE_SCOPES = ["commands"];

const FAMILIES =
  "chat|users|usergroups|views|bots|auth|conversations|reactions|files|team|apps|oauth|pins|emoji";
const ARRAY_OR_STRING = new Set([
  "map",
  "push",
  "includes",
  "filter",
  "some",
  "every",
  "find",
  "forEach",
  "join",
]);

function sources(dir: string): string[] {
  return readdirSync(join(PROJECT_ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith(".ts") ? [path] : [];
  });
}

/** Slack methods called as `client.chat.postMessage(…)` or named as `"auth.test"`, outside comments. */
function calledMethods(): Map<string, string[]> {
  const found = new Map<string, string[]>();
  // `octokit.rest.apps.…(` is GitHub's API, not Slack's.
  const calls = new RegExp(`(?<!\\brest)\\.((?:${FAMILIES})(?:\\.[a-z][A-Za-z0-9]*)+)\\(`, "g");
  const named = new RegExp(`["'\`]((?:${FAMILIES})(?:\\.[a-z][A-Za-z0-9]*)+)["'\`]`, "g");
  for (const file of [...sources("app"), ...sources("src")]) {
    const code = readFileSync(join(PROJECT_ROOT, file), "utf8")
      .split("\n")
      .filter((line) => !/^\s*(\/\/|\*|\/\*)/.test(line))
      .join("\n");
    for (const match of [...code.matchAll(calls), ...code.matchAll(named)]) {
      const method = match[1] as string;
      if (ARRAY_OR_STRING.has(method.split(".").at(-1) as string)) continue;
      found.set(method, [...(found.get(method) ?? []), file]);
    }
  }
  return found;
}

describe("slack-app-manifest.yml scopes", () => {
  const manifest = parse(readFileSync(join(PROJECT_ROOT, "slack-app-manifest.yml"), "utf8")) as {
    oauth_config: { scopes: { bot: string[]; user?: string[] } };
  };

  it("knows the scope of every Slack method the App and the Action call", () => {
    const unknown = [...calledMethods()].filter(([method]) => !(method in METHOD_SCOPES));
    expect(unknown, "add these to METHOD_SCOPES with the scope Slack documents").toEqual([]);
  });

  it("asks for the scopes those methods need, and nothing else", () => {
    const called = calledMethods();
    const needed = new Set(
      [...called.keys()].map((method) => METHOD_SCOPES[method]).filter((scope): scope is string => !!scope),
    );
    expect([...manifest.oauth_config.scopes.bot].sort()).toEqual(
      [...needed, ...OPTIONAL_SCOPES, ...FEATURE_SCOPES].sort(),
    );
    expect(manifest.oauth_config.scopes.user ?? []).toEqual([]);
    // users:read is needed twice over, so it stays (issue 12 asked whether it could go).
    expect(called.has("users.info") && called.has("bots.info")).toBe(true);
  });

  it("is a manifest Slack's apps.manifest.create takes: interactivity on, no socket mode, no events", () => {
    const full = parse(readFileSync(join(PROJECT_ROOT, "slack-app-manifest.yml"), "utf8")) as {
      settings: { interactivity: { request_url: string }; event_subscriptions?: unknown };
      features: { bot_user?: unknown };
    };
    expect(full.settings).toMatchObject({
      interactivity: { is_enabled: true },
      socket_mode_enabled: false,
      org_deploy_enabled: false,
    });
    expect(full.settings.interactivity.request_url).toMatch(/^https:\/\/.+\/slack\/interactions$/);
    expect(full.settings.event_subscriptions).toBeUndefined();
    expect(full.features.bot_user).toBeDefined();
  });
});
