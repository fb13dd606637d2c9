// `npm run links`: the administrator's view of linked accounts, run as the program it is (the built
// build/app/identity/links-cli.js, as `npm run links` runs it) over a real SQLite file.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLinkStore, type LinkStore } from "../app/identity/links.js";
import { openStore } from "../app/store/index.js";
import type { Store } from "../app/store/types.js";
import { PROJECT_ROOT, runToCompletion } from "../testkit/helpers/processes.js";
import { requireBuild } from "../testkit/require-build.js";

describe("npm run links", () => {
  let dir: string;
  let url: string;
  let store: Store;
  let links: LinkStore;

  beforeAll(async () => {
    requireBuild("app");
    dir = mkdtempSync(join(tmpdir(), "sdg-links-cli-"));
    url = `sqlite://${join(dir, "app.db")}`;
    store = await openStore(url);
    links = createLinkStore(store.driver);
    const at = new Date("2026-11-02T09:30:00Z");
    await links.save({
      workspace: "T0ACME",
      slackUserId: "U0ALICE",
      githubUserId: 11,
      githubLogin: "alice",
      linkedAt: at,
    });
    await links.save({
      workspace: "T0ACME",
      slackUserId: "U0BOB",
      githubUserId: 12,
      githubLogin: "Bob-GH",
      linkedAt: at,
    });
  });
  afterAll(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const cli = (...args: string[]) =>
    runToCompletion({
      name: "links-cli",
      command: process.execPath,
      args: [join(PROJECT_ROOT, "build", "app", "identity", "links-cli.js"), ...args],
      // No .env here: the database comes from the environment alone.
      cwd: dir,
      env: { PATH: process.env.PATH, DATABASE_URL: url },
      timeoutMs: 30_000,
    });

  it("lists every link, as a table and as JSON", async () => {
    const table = await cli("list");
    expect(table.code).toBe(0);
    expect(table.output.split("\n").filter(Boolean)).toEqual([
      "workspace  slack user  github login  github id  linked at",
      "T0ACME     U0ALICE     @alice        11         2026-11-02T09:30:00.000Z",
      "T0ACME     U0BOB       @Bob-GH       12         2026-11-02T09:30:00.000Z",
    ]);
    const json = JSON.parse((await cli("list", "--json")).output) as Array<{ githubLogin: string }>;
    expect(json.map((l) => l.githubLogin)).toEqual(["alice", "Bob-GH"]);
  });

  it("removes a link by Slack user and by GitHub login, and says when there is none", async () => {
    expect((await cli("remove", "U0ALICE")).output.trim()).toBe(
      "Removed: U0ALICE is no longer linked to @alice (workspace T0ACME).",
    );
    expect(await links.get("T0ACME", "U0ALICE")).toBeUndefined();
    expect((await cli("remove-github", "@bob-gh")).output.trim()).toBe(
      "Removed: @Bob-GH is no longer linked to U0BOB (workspace T0ACME).",
    );
    const none = await cli("remove", "U0NOBODY", "--workspace", "T0ACME");
    expect(none.code).toBe(1);
    expect(none.output.trim()).toBe("U0NOBODY has no link in workspace T0ACME.");
  });

  it("asks which workspace when links span several, and explains its usage", async () => {
    const at = new Date();
    await links.save({
      workspace: "T0ONE",
      slackUserId: "U1",
      githubUserId: 21,
      githubLogin: "one",
      linkedAt: at,
    });
    await links.save({
      workspace: "E0GRID",
      slackUserId: "W2",
      githubUserId: 22,
      githubLogin: "two",
      linkedAt: at,
    });
    const ambiguous = await cli("remove", "U1");
    expect(ambiguous.code).toBe(1);
    expect(ambiguous.output).toContain(
      "Links exist in several workspaces (E0GRID, T0ONE): name one with --workspace.",
    );
    expect((await cli("remove", "U1", "--workspace", "T0ONE")).code).toBe(0);
    const usage = await cli("frobnicate");
    expect(usage.code).toBe(2);
    expect(usage.output).toContain("usage: npm run links -- <command>");
  });
});
