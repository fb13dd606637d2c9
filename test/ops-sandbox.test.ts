// The sandbox as a newcomer meets it (issue 12's walk): a busy port is one line, not a stack trace,
// and leaves nothing running; in Chromium the page loads without a console error, draws every symbol
// without a font, keeps the person picker in view, labels approval counts from the saved policy, and
// refuses an invalid policy on save with the very sentence a click would get from the App.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ControlClient } from "../testkit/fakes/control-client.js";
import { poll } from "../testkit/helpers/chromium.js";
import { freePort, PROJECT_ROOT, runToCompletion } from "../testkit/helpers/processes.js";
import { SANDBOX_SERVER } from "../testkit/helpers/sandbox.js";
import { useSandboxPage } from "../testkit/helpers/sandbox-page.js";

/** Processes whose environment mentions `marker` (the sandbox's App carries its data directory in DATABASE_URL). */
function processesMentioning(marker: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`, "utf8").includes(marker)) found.push(Number(entry));
    } catch {
      // Gone, or not ours to read.
    }
  }
  return found;
}

describe("npm run sandbox on a busy port", () => {
  let busy: Server;
  let port: number;

  beforeAll(async () => {
    port = await freePort();
    busy = createServer((_, res) => res.end("someone else"));
    await new Promise<void>((resolve) => busy.listen(port, "127.0.0.1", resolve));
  });

  afterAll(async () => {
    await new Promise((resolve) => busy?.close(resolve));
  });

  it("says so in one line, names SANDBOX_PORT, and starts nothing", async () => {
    const scratch = mkdtempSync(join(tmpdir(), "sdg-sandbox-busy-"));
    try {
      const { code, output } = await runToCompletion({
        name: "sandbox",
        command: process.execPath,
        args: ["--import", "tsx", SANDBOX_SERVER],
        cwd: PROJECT_ROOT,
        // Its scratch directory (and the App's database in it) would be made under this TMPDIR.
        env: { ...process.env, SANDBOX_PORT: String(port), TMPDIR: scratch },
        timeoutMs: 60_000,
      });
      expect(code).toBe(1);
      expect(output.trim().split("\n")).toEqual([
        `slack-deploy-gate sandbox: port ${port} is in use (another sandbox?). Pick another with SANDBOX_PORT, e.g. SANDBOX_PORT=${port + 1} npm run sandbox`,
      ]);
      // tsx keeps its cache there; the sandbox's own data directory was never made.
      expect(readdirSync(scratch).filter((name) => name.startsWith("slack-deploy-gate-sandbox-"))).toEqual(
        [],
      );
      expect(processesMentioning(scratch)).toEqual([]);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});

describe("the sandbox page", () => {
  const consoleErrors: string[] = [];
  const ui = useSandboxPage({
    // Short enough that the page scrolls once a few runs are listed.
    viewport: { width: 1280, height: 640 },
    screenshots: "ops-sandbox",
    watch(page) {
      page.on("console", (message) => {
        if (message.type() === "error") consoleErrors.push(message.text());
      });
      page.on("pageerror", (error) => consoleErrors.push(error.message));
      page.on("requestfailed", (request) => consoleErrors.push(`request failed: ${request.url()}`));
    },
  });
  let sandboxUrl: string;
  let control: ControlClient;
  let page: Page;

  beforeAll(async () => {
    ({ page } = ui);
    sandboxUrl = ui.sandbox.sandboxUrl;
    control = new ControlClient(ui.sandbox.controlUrl);
    await page.locator(".who-option").nth(3).waitFor();
  });

  async function savePolicy(text: string): Promise<string> {
    await page.fill("#policy", text);
    await page.click("#save-policy");
    await poll(() => page.locator("#policy-status").textContent()).toMatch(/^(Saved|Not saved)/);
    return (await page.locator("#policy-status").textContent()) ?? "";
  }

  async function policyText(): Promise<string> {
    const state = (await (await fetch(`${sandboxUrl}/api/state`)).json()) as { policy: string };
    return state.policy;
  }

  it("has an icon of its own, so the browser logs no error for /favicon.ico", async () => {
    expect(await page.locator('link[rel="icon"]').getAttribute("href")).toBe("favicon.svg");
    for (const path of ["/favicon.svg", "/favicon.ico"]) {
      const answer = await fetch(`${sandboxUrl}${path}`);
      expect(answer.status, path).toBe(200);
      expect(answer.headers.get("content-type")).toContain("image/svg+xml");
    }
  });

  it("labels approval counts and roles from the saved policy", async () => {
    const production = page.locator('#environment option[value="production"]');
    await poll(() => production.textContent()).toBe("production (needs 2 approvals)");
    await page.locator(".who-option", { hasText: "Bob" }).click();
    await poll(() => page.locator("#who-hint").textContent()).toBe(
      "Bob is an approver for production and staging.",
    );

    const original = await policyText();
    const changed = original
      .replace("required-approvals: 2", "required-approvals: 3")
      .replace("users: [U0ALICE, U0BOB, U0DANA]", "users: [U0ALICE, U0DANA]");
    expect(await savePolicy(changed)).toMatch(/^Saved to main/);
    await poll(() => production.textContent()).toBe("production (needs 3 approvals)");
    await poll(() => page.locator("#who-hint").textContent()).toBe("Bob is an approver for production.");
    expect(await page.locator(".who-option", { hasText: "Olivia" }).locator("small").textContent()).toBe(
      "not an approver",
    );

    await page.click("#reset-policy");
    await poll(() => production.textContent()).toBe("production (needs 2 approvals)");
  });

  it("refuses an invalid policy on save with the sentence a click gets from the App", async () => {
    const saved = await policyText();
    const invalid = saved.replace("    approvers:\n      groups:", "    aprovers:\n      groups:");
    expect(invalid).not.toBe(saved);
    const status = await savePolicy(invalid);
    const sentence = /^Not saved: the App would refuse every click with "(.*)"$/s.exec(status)?.[1];
    expect(sentence, status).toMatch(
      /^The approval policy is invalid, so nobody can approve until it is fixed: Invalid policy acme\/webshop:\.github\/slack-deploy-gate\.yml: environments\.production\.aprovers \(line \d+\): unknown key; did you mean "approvers"\?/,
    );
    expect(await policyText()).toBe(saved);
    expect(await page.inputValue("#policy")).toBe(invalid);

    // The same file on the default branch, as if committed past the sandbox: a click meets the same words.
    await control.setFile("acme/webshop", ".github/slack-deploy-gate.yml", invalid);
    await control.sendPush("acme/webshop", [".github/slack-deploy-gate.yml"]);
    await page.selectOption("#environment", "production");
    await page.click("#start");
    await poll(() => page.locator("#start-status").textContent(), 60_000).toMatch(/^Run #\d+/);
    await page.locator(".who-option", { hasText: "Alice" }).click();
    const message = page.locator("#feed article.msg:not(.ephemeral)").last();
    await message.locator("button.bk-button", { hasText: "Approve" }).click();
    await page.click("#confirm-ok");
    const ephemeral = page.locator("#feed article.ephemeral").last();
    await poll(() => ephemeral.locator(".blocks").textContent()).toBe(sentence);

    await control.setFile("acme/webshop", ".github/slack-deploy-gate.yml", saved);
    await control.sendPush("acme/webshop", [".github/slack-deploy-gate.yml"]);
    await page.click("#reset-policy");
    await poll(() => page.locator("#policy-status").textContent()).toMatch(/^Saved/);
  });

  it("draws every symbol without relying on a font, and keeps the person picker in view", async () => {
    // A decided request: status line, thread replies and ephemerals all carry Slack emoji codes.
    await page.selectOption("#environment", "staging");
    await page.click("#start");
    await poll(() => page.locator("#start-status").textContent(), 60_000).toMatch(/^Run #\d+ is waiting/);
    await page.locator(".who-option", { hasText: "Alice" }).click();
    const message = page.locator("#feed article.msg:not(.ephemeral)").last();
    await message.locator("button.bk-button", { hasText: "Approve" }).click();
    await page.click("#confirm-ok");
    await poll(() => page.locator(".run-status").first().textContent(), 30_000).toMatch(/^Approved/);
    await poll(() => page.locator("#feed .emoji").count()).toBeGreaterThan(0);

    expect(await page.locator("#feed .emoji:not(:has(svg))").count()).toBe(0);
    const text = await page.evaluate<string>("document.body.innerText");
    // Basic Latin, Latin-1 and general punctuation (·, …, “ ”, –): in every font a browser falls back to.
    const unusual = [...new Set(text)].filter((char) => !/[\t\n\r\u0020-\u00ff\u2000-\u206f]/.test(char));
    expect(unusual).toEqual([]);

    await page.evaluate("window.scrollTo(0, document.body.scrollHeight)");
    await poll(() => page.evaluate<number>("window.scrollY")).toBeGreaterThan(0);
    const box = await page.locator(".who").boundingBox();
    expect(box?.y).toBe(0);
    await page.locator(".who-option", { hasText: "Olivia" }).click();
    await poll(() => page.locator(".who-option.selected").textContent()).toContain("Olivia");

    expect(consoleErrors).toEqual([]);
  });
});
