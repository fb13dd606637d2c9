// The sandbox page as the browser suites drive it: the sandbox and Chromium started for a suite, and
// on the page: act as a person, start a deployment, find a run's request message and its run card,
// take a screenshot.
import { join } from "node:path";
import type { Browser, Locator, Page } from "playwright-core";
import { afterAll, beforeAll } from "vitest";
import { requireBuild } from "../require-build.js";
import { launchChromium, poll, SCREENSHOTS, UI_TIMEOUT } from "./chromium.js";
import { type RunningSandbox, startSandbox } from "./sandbox.js";

export interface SandboxPage {
  /** Picks who the page acts as, and waits until the picker shows it. */
  actAs(name: string): Promise<void>;
  /** Starts a deployment (in `mode`, when given) and resolves with its run id once it waits. */
  startDeployment(
    environment: "production" | "staging",
    mode?: "gate" | "wait" | "dispatch",
  ): Promise<string>;
  /** The run's request message in the feed (not an ephemeral). */
  messageFor(runId: string): Locator;
  /** The run's card (its state as GitHub has it, and the controls acting as GitHub). */
  runCard(runId: string): Locator;
  /** A full-page screenshot at test-output/`prefix`-`name`.png, `show` scrolled into view first. */
  screenshot(name: string, show?: Locator): Promise<void>;
}

/** `page()` is the page the suite opened (read at each call, so it may be opened in a hook). */
export function sandboxPage(page: () => Page, prefix: string): SandboxPage {
  const ui: SandboxPage = {
    async actAs(name) {
      await page().locator(".who-option", { hasText: name }).click();
      await poll(() => page().locator(".who-option.selected").textContent()).toContain(name);
    },
    async startDeployment(environment, mode) {
      await page().selectOption("#environment", environment);
      if (mode) await page().selectOption("#mode", mode);
      await page().click("#start");
      const status = page().locator("#start-status");
      await poll(() => status.textContent(), 60_000).toMatch(/Run #\d+ is waiting/);
      const runId = /Run #(\d+)/.exec((await status.textContent()) ?? "")?.[1];
      if (!runId) throw new Error("no run id in the start status");
      return runId;
    },
    messageFor(runId) {
      return page().locator("#feed article.msg:not(.ephemeral)", {
        has: page().locator(`a[href$="/actions/runs/${runId}"]`),
      });
    },
    runCard(runId) {
      return page().locator(`article.run[data-run-id="${runId}"]`);
    },
    async screenshot(name, show) {
      await show?.scrollIntoViewIfNeeded();
      await page().screenshot({ path: join(SCREENSHOTS, `${prefix}-${name}.png`), fullPage: true });
    },
  };
  return ui;
}

export interface SandboxSuite extends SandboxPage {
  readonly page: Page;
  readonly sandbox: RunningSandbox;
}

/**
 * For the tests of the file (or block) this is called in: the App and Action builds checked, Chromium
 * and the sandbox started, and a page of `viewport` open at the sandbox (`watch` sees the page first,
 * to record what it must never do); all stopped after them. Screenshots are named `screenshots`-….
 */
export function useSandboxPage(options: {
  viewport: { width: number; height: number };
  screenshots: string;
  watch?: (page: Page) => void;
}): SandboxSuite {
  let browser: Browser | undefined;
  let opened: { page: Page; sandbox: RunningSandbox } | undefined;
  const started = () => {
    if (!opened) throw new Error("the sandbox page is not open yet (read outside a hook or test)");
    return opened;
  };
  beforeAll(async () => {
    requireBuild("app", "action");
    browser = await launchChromium();
    const sandbox = await startSandbox();
    const page = await browser.newPage({ viewport: options.viewport });
    page.setDefaultTimeout(UI_TIMEOUT);
    options.watch?.(page);
    await page.goto(sandbox.sandboxUrl);
    opened = { page, sandbox };
  }, 300_000);
  afterAll(async () => {
    await browser?.close();
    await opened?.sandbox.child.stop();
  }, 30_000);
  return {
    ...sandboxPage(() => started().page, options.screenshots),
    get page() {
      return started().page;
    },
    get sandbox() {
      return started().sandbox;
    },
  };
}
