// Chromium for the browser suites, driven by playwright-core (which downloads no browser): Debian's
// chromium here and in CI, or whatever `chromium` is on PATH (GitHub's runners link Chrome there), or
// CHROMIUM_PATH. Screenshots go to test-output/.
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { type Browser, chromium } from "playwright-core";
import { expect } from "vitest";
import { PROJECT_ROOT } from "./processes.js";

export const CHROMIUM =
  process.env.CHROMIUM_PATH ??
  [...(process.env.PATH ?? "").split(":").map((dir) => join(dir, "chromium")), "/usr/bin/chromium"].find(
    (path) => existsSync(path),
  ) ??
  "/usr/bin/chromium";

/** Where the browser suites leave their screenshots (and downloads) for a person to look at. */
export const SCREENSHOTS = join(PROJECT_ROOT, "test-output");

/** How long a page may take to show what a step expects. */
export const UI_TIMEOUT = 20_000;

/** Waits for the page to catch up (a page that polls its server shows a change within a poll). */
export const poll = <T>(probe: () => Promise<T>, timeout = UI_TIMEOUT) =>
  expect.poll(probe, { timeout, interval: 100 });

/**
 * Chromium, headless, with nothing of its own going to the network (no component updates, sync or
 * first-run pages), so that every request a page makes is the page's. Fails at once, saying how to
 * install it, where there is none.
 */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)`);
  mkdirSync(SCREENSHOTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--no-sandbox",
      "--disable-background-networking",
      "--disable-gpu",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
}
