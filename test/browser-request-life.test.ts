// A request's life in the sandbox, in a real browser (Debian's Chromium through playwright-core): what
// an approver sees before clicking, and the message following what happens in GitHub itself — a
// required reviewer approving or rejecting there, an admin bypassing the rules, the run cancelled, the
// request expiring, the deploy finishing. Every control sends what GitHub would send (signed webhooks);
// screenshots of each end state go to test-output/request-life-*.png.
import { join } from "node:path";
import type { Browser, Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium, SCREENSHOTS } from "../testkit/helpers/chromium.js";
import {
  type Child,
  freePort,
  PROJECT_ROOT,
  startProcess,
  stopAll,
  waitForJsonLine,
} from "../testkit/helpers/processes.js";
import { requireBuild } from "../testkit/require-build.js";

const UI_TIMEOUT = 20_000;
const poll = <T>(probe: () => Promise<T>, timeout = UI_TIMEOUT) =>
  expect.poll(probe, { timeout, interval: 100 });

let sandbox: Child;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  requireBuild("app", "action");
  browser = await launchChromium();
  const port = await freePort();
  sandbox = startProcess({
    name: "sandbox",
    command: process.execPath,
    args: ["--import", "tsx", join(PROJECT_ROOT, "sandbox", "server.ts")],
    cwd: PROJECT_ROOT,
    env: { ...process.env, SANDBOX_PORT: String(port), LOG_LEVEL: "warn" },
  });
  const { sandboxUrl } = await waitForJsonLine<{ sandboxUrl: string }>(sandbox, 240_000);
  page = await browser.newPage({ viewport: { width: 1440, height: 1100 } });
  page.setDefaultTimeout(UI_TIMEOUT);
  page.on("dialog", (dialog) => {
    throw new Error(`the page raised a dialog: ${dialog.message()}`);
  });
  await page.goto(sandboxUrl);
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await stopAll();
}, 30_000);

async function startDeployment(environment: "production" | "staging"): Promise<string> {
  await page.selectOption("#environment", environment);
  await page.selectOption("#mode", "gate");
  await page.click("#start");
  const status = page.locator("#start-status");
  await poll(() => status.textContent(), 60_000).toMatch(/Run #\d+ is waiting/);
  const runId = /Run #(\d+)/.exec((await status.textContent()) ?? "")?.[1];
  if (!runId) throw new Error("no run id in the start status");
  return runId;
}

function messageFor(runId: string): Locator {
  return page.locator("#feed article.msg:not(.ephemeral)", {
    has: page.locator(`a[href$="/actions/runs/${runId}"]`),
  });
}

const runCard = (runId: string) => page.locator(`article.run[data-run-id="${runId}"]`);
const header = (runId: string) => messageFor(runId).locator(".bk-header").first();
const status = (runId: string) => messageFor(runId).locator('[data-block-id="sdg_status"]');
const buttons = (runId: string) => messageFor(runId).locator("button.bk-button");

async function control(runId: string, label: string): Promise<void> {
  await runCard(runId).locator("button[data-control]", { hasText: label }).click();
}

async function actAs(name: string): Promise<void> {
  await page.locator(".who-option", { hasText: name }).click();
  await poll(() => page.locator(".who-option.selected").textContent()).toContain(name);
}

async function screenshot(name: string, show: Locator): Promise<void> {
  await show.scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(SCREENSHOTS, `request-life-${name}.png`), fullPage: true });
}

describe("a request's life in the sandbox", () => {
  it("shows who may approve, by when, and what changed, before anyone clicks", async () => {
    const runId = await startDeployment("production");
    const message = messageFor(runId);
    await message.waitFor();
    // Adopted when GitHub reported the gate: rebuilt from GitHub and the policy, no click needed.
    await poll(() => message.locator('[data-block-id="sdg_approval"]').textContent()).toMatch(
      /Needs 2 approvals from @release-managers · .*Expires .+ \(24 h after it was asked\)/,
    );
    expect(await message.locator('[data-block-id="sdg_changes"]').textContent()).toMatch(
      /First deployment to production/,
    );
    expect(await message.locator('[data-block-id="sdg_message"]').textContent()).toMatch(
      /^Message from the workflow:\s*Weekly release/,
    );
    expect(await header(runId).textContent()).toBe("Deploy acme/webshop to production?");
    await screenshot("before-clicking", message);

    // A required reviewer approves in GitHub's own UI: progress, the buttons stay.
    await control(runId, "Approve in GitHub");
    await poll(() => status(runId).textContent()).toContain(
      "Approved in GitHub by @rita-reviewer; waiting for Slack approval.",
    );
    expect(await buttons(runId).count()).toBe(2);
    await screenshot("approved-in-github", message);

    // Then rejects: the request closes, the run fails.
    await control(runId, "Reject in GitHub");
    await poll(() => header(runId).textContent()).toBe("Rejected in GitHub: acme/webshop to production");
    await poll(() => buttons(runId).count()).toBe(0);
    expect(await status(runId).textContent()).toMatch(/Rejected in GitHub by @rita-reviewer/);
    await poll(() => runCard(runId).locator(".run-status").textContent()).toMatch(/Rejected/);
    await screenshot("rejected-in-github", message);
  });

  it("closes a request whose run is cancelled", async () => {
    const runId = await startDeployment("production");
    await poll(() => messageFor(runId).locator('[data-block-id="sdg_approval"]').count()).toBe(1);
    await control(runId, "Cancel run");
    await poll(() => header(runId).textContent()).toBe("Cancelled: acme/webshop to production");
    await poll(() => buttons(runId).count()).toBe(0);
    await poll(() => messageFor(runId).locator(".thread").textContent()).toMatch(/The run was cancelled/);
    await screenshot("cancelled", messageFor(runId));
  });

  it("lets a request expire: GitHub is told, the message says so", async () => {
    const runId = await startDeployment("production");
    await poll(() => messageFor(runId).locator('[data-block-id="sdg_approval"]').count()).toBe(1);
    await control(runId, "Let it expire");
    await poll(() => header(runId).textContent(), 30_000).toBe("Expired: acme/webshop to production");
    await poll(() => runCard(runId).locator(".review").textContent()).toMatch(
      /Expired in Slack: nobody decided in time/,
    );
    expect(await buttons(runId).count()).toBe(0);
    await screenshot("expired", messageFor(runId));
  });

  it("says when a deployment went ahead without Slack approval", async () => {
    const runId = await startDeployment("production");
    await poll(() => messageFor(runId).locator('[data-block-id="sdg_approval"]').count()).toBe(1);
    await control(runId, "Bypass protection");
    await poll(() => header(runId).textContent()).toBe(
      "Deployed without Slack approval: acme/webshop to production",
    );
    expect(await status(runId).textContent()).toMatch(
      /Went ahead without Slack approval.*started by @ada-admin/,
    );
    await screenshot("bypassed", messageFor(runId));
  });

  it("after approval the header says so, and once the deploy finishes, that it was deployed", async () => {
    const runId = await startDeployment("staging");
    await poll(() => messageFor(runId).locator('[data-block-id="sdg_approval"]').count()).toBe(1);
    await actAs("Alice");
    await messageFor(runId).locator("button.bk-button", { hasText: "Approve" }).click();
    await page.click("#confirm-ok");
    await poll(() => header(runId).textContent()).toBe("Approved: acme/webshop to staging");
    await poll(() =>
      runCard(runId).locator("button[data-control]", { hasText: "Deploy finishes" }).count(),
    ).toBe(1);
    await control(runId, "Deploy finishes");
    await poll(() => header(runId).textContent()).toBe("Deployed: acme/webshop to staging");
    await poll(() => messageFor(runId).locator('[data-block-id="sdg_footer"]').textContent()).toMatch(
      /Run succeeded .* after approval/,
    );
    await poll(() => messageFor(runId).locator(".thread").textContent()).toMatch(/The run succeeded/);
    await screenshot("deployed", messageFor(runId));
  });
});
