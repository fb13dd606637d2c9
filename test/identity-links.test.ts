// The link store on both databases: one GitHub account per Slack user and one Slack user per GitHub
// account in a workspace (also when two people link the same account at the same moment, on two
// connections), replacing and removing links, following renames, and single-use ids.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLinkStore, type Link, type LinkStore } from "../app/identity/links.js";
import { openStore } from "../app/store/index.js";
import type { Store } from "../app/store/types.js";
import { createTestDatabase, type TestDatabase } from "../testkit/helpers/postgres.js";

const at = new Date("2026-11-01T10:00:00Z");
const link = (
  slackUserId: string,
  githubUserId: number,
  githubLogin: string,
  workspace = "T0ACME",
): Link => ({
  workspace,
  slackUserId,
  githubUserId,
  githubLogin,
  linkedAt: at,
});

describe.each(["sqlite", "postgres"] as const)("link store (%s)", (backend) => {
  let stores: Store[];
  let links: LinkStore;
  let other: LinkStore;
  let dir: string;
  let database: TestDatabase | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "sdg-links-"));
    let url = `sqlite://${join(dir, "app.db")}`;
    if (backend === "postgres") {
      database = await createTestDatabase();
      url = database.url;
    }
    // Two stores on one database: two processes (or replicas) of the App.
    stores = [await openStore(url), await openStore(url)];
    links = createLinkStore((stores[0] as Store).driver);
    other = createLinkStore((stores[1] as Store).driver);
  });
  afterAll(async () => {
    for (const store of stores ?? []) await store.close();
    await database?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("saves, reads back, replaces and removes a person's link", async () => {
    expect(await links.save(link("U1", 101, "octocat"))).toEqual({ ok: true, replaced: undefined });
    expect(await other.get("T0ACME", "U1")).toEqual(link("U1", 101, "octocat"));
    expect(await links.forGitHubUser("T0ACME", 101)).toMatchObject({ slackUserId: "U1" });
    const replaced = await links.save(link("U1", 102, "hubot"));
    expect(replaced).toEqual({ ok: true, replaced: link("U1", 101, "octocat") });
    expect(await links.forGitHubUser("T0ACME", 101)).toBeUndefined();
    expect(await links.remove("T0ACME", "U1")).toEqual(link("U1", 102, "hubot"));
    expect(await links.remove("T0ACME", "U1")).toBeUndefined();
  });

  it("keeps a GitHub account to one Slack user per workspace, and workspaces apart", async () => {
    await links.save(link("U2", 201, "mona"));
    expect(await links.save(link("U3", 201, "mona"))).toEqual({ ok: false, holder: "U2" });
    expect(await links.get("T0ACME", "U3")).toBeUndefined();
    // Another workspace is another namespace.
    expect((await links.save(link("U3", 201, "mona", "E0GRID"))).ok).toBe(true);
    expect((await links.list("E0GRID")).map((l) => l.slackUserId)).toEqual(["U3"]);
  });

  it("lets exactly one of two people link the same account at the same moment", async () => {
    const results = await Promise.all([
      links.save(link("U10", 1000, "contested")),
      other.save(link("U11", 1000, "contested")),
      links.save(link("U12", 1000, "contested")),
      other.save(link("U13", 1000, "contested")),
    ]);
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    const holder = await links.forGitHubUser("T0ACME", 1000);
    for (const result of results) if (!result.ok) expect(result.holder).toBe(holder?.slackUserId);
  });

  it("keeps a person's old link when their new account turns out to be taken", async () => {
    await links.save(link("U20", 2000, "first"));
    await links.save(link("U21", 2001, "second"));
    expect(await links.save(link("U20", 2001, "second"))).toEqual({ ok: false, holder: "U21" });
    expect(await links.get("T0ACME", "U20")).toEqual(link("U20", 2000, "first"));
  });

  it("follows a rename of the linked account, and only of that account", async () => {
    await links.save(link("U30", 3000, "old-login"));
    await links.renamed("T0ACME", "U30", 3999, "not-this-one");
    await links.renamed("T0ACME", "U30", 3000, "new-login");
    expect((await links.get("T0ACME", "U30"))?.githubLogin).toBe("new-login");
  });

  it("spends an id once, across processes, until it expires", async () => {
    const now = new Date();
    const expires = new Date(now.getTime() + 60_000);
    const spent = await Promise.all([
      links.spend("state:abc", expires, now),
      other.spend("state:abc", expires, now),
    ]);
    expect(spent.sort()).toEqual([false, true]);
    expect(await links.spend("state:abc", expires, now)).toBe(false);
    // Expired ids are pruned on the next spend; by then nothing carrying them is accepted anyway.
    const later = new Date(expires.getTime() + 1);
    expect(await links.spend("state:abc", new Date(later.getTime() + 60_000), later)).toBe(true);
  });
});
