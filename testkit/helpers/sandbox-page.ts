// The sandbox page as the browser suites drive it: act as a person, start a deployment through the
// page, find a run's request message and its run card, and take a screenshot.
import { join } from "node:path";
import type { Locator, Page } from "playwright-core";
import { poll, SCREENSHOTS } from "./chromium.js";

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
