// The sandbox in a real browser (Debian's Chromium through playwright-core): a newcomer's path through
// the page, from starting a deployment to seeing GitHub resume or stop it. Screenshots of each end
// state go to test-output/. This suite proves the page (rendering, confirm dialogs, who sees which
// ephemeral, the reason form, the policy editor); the rules behind it are proven in-process.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { poll, SCREENSHOTS } from "../testkit/helpers/chromium.js";
import { useSandboxPage } from "../testkit/helpers/sandbox-page.js";

const ui = useSandboxPage({
  viewport: { width: 1440, height: 1000 },
  screenshots: "sandbox",
  // No request may leave the machine: the page must be self-contained.
  watch(page) {
    page.on("request", (request) => {
      const url = new URL(request.url());
      if (!["localhost", "127.0.0.1"].includes(url.hostname) && url.protocol !== "data:") {
        throw new Error(`the sandbox page requested ${request.url()}`);
      }
    });
  },
});
const { actAs, startDeployment, messageFor, runCard, screenshot } = ui;

async function clickButton(runId: string, label: "Approve" | "Reject", confirmTitle: RegExp): Promise<void> {
  await messageFor(runId).locator("button.bk-button", { hasText: label }).click();
  const dialog = ui.page.locator("#confirm");
  await dialog.waitFor({ state: "visible" });
  expect(await ui.page.locator("#confirm-title").textContent()).toMatch(confirmTitle);
  await ui.page.click("#confirm-ok");
  await dialog.waitFor({ state: "hidden" });
}

describe("the sandbox in a browser", () => {
  it("explains itself and renders the Action's request as Slack would", async () => {
    await poll(() => ui.page.locator(".intro").textContent()).toContain("Start a deployment");
    expect(await ui.page.locator(".who-option").count()).toBe(4);
    const runId = await startDeployment("staging");
    const message = messageFor(runId);
    await message.waitFor();
    expect(await message.locator(".bk-header").textContent()).toBe("Deploy acme/webshop to staging?");
    // The commit title holds `<dark mode> &`: shown literally, never as markup.
    await poll(() => ui.page.locator("#feed").textContent()).toBeTruthy();
    expect(await message.locator(".bk-field", { hasText: "Environment" }).textContent()).toContain("staging");
    expect(await message.locator("button.bk-primary").textContent()).toBe("Approve");
    expect(await message.locator("button.bk-danger").textContent()).toBe("Reject");
    expect(await runCard(runId).locator(".run-status").textContent()).toMatch(/Waiting for approval/);

    await actAs("Alice");
    await clickButton(runId, "Approve", /Approve this deployment\?/);
    await poll(() => runCard(runId).locator(".run-status").textContent()).toMatch(/Approved/);
    await poll(() => message.locator('[data-block-id="sdg_status"]').textContent()).toMatch(
      /Approved by @Alice/,
    );
    expect(await message.locator("button.bk-primary").count()).toBe(0);
    // GitHub's side: the review the App sent, naming who approved.
    expect(await runCard(runId).locator(".review").textContent()).toMatch(/approved[\s\S]*alice/i);
    await poll(() => message.locator(".thread").textContent()).toMatch(/GitHub accepted the decision/);
    await screenshot("approved", message);
  });

  it("an outsider's refusal shows only to them; progress shows until the second approval", async () => {
    const runId = await startDeployment("production");
    const message = messageFor(runId);
    await message.waitFor();
    expect(await message.textContent()).toContain("@release-managers");

    await actAs("Olivia");
    await clickButton(runId, "Approve", /Approve this deployment\?/);
    const refusal = ui.page.locator("#feed article.ephemeral", { hasText: "not an approver" });
    await refusal.waitFor();
    expect(await refusal.textContent()).toContain("Only visible to you");
    expect(await runCard(runId).locator(".run-status").textContent()).toMatch(/Waiting for approval/);
    await screenshot("outsider-refused", refusal);

    // Alice does not see Olivia's ephemeral.
    await actAs("Alice");
    await poll(() => ui.page.locator("#feed article.ephemeral", { hasText: "not an approver" }).count()).toBe(
      0,
    );

    await clickButton(runId, "Approve", /Approve this deployment\?/);
    await poll(() => message.locator('[data-block-id="sdg_status"]').textContent()).toMatch(
      /1 of 2 approvals/,
    );
    expect(await runCard(runId).locator(".run-status").textContent()).toMatch(/Waiting for approval/);

    await actAs("Bob");
    await clickButton(runId, "Approve", /Approve this deployment\?/);
    await poll(() => runCard(runId).locator(".run-status").textContent()).toMatch(/Approved/);
    await poll(() => message.locator('[data-block-id="sdg_status"]').textContent()).toMatch(
      /Approved by @Alice, @Bob/,
    );
    await screenshot("production-two-approvals", message);
  });

  it("a rejection asks for a reason, refuses a blank one, and stops the run", async () => {
    const runId = await startDeployment("staging");
    await messageFor(runId).waitFor();
    await actAs("Bob");
    await clickButton(runId, "Reject", /Reject this deployment\?/);

    const modal = ui.page.locator("#modal");
    await modal.waitFor({ state: "visible" });
    expect(await ui.page.locator("#modal-title").textContent()).toBe("Reject deployment");
    expect(await ui.page.locator("#modal-submit").textContent()).toBe("Reject");
    expect(await ui.page.locator("#modal-close").textContent()).toBe("Cancel");

    // Blank (whitespace) reason: Slack submits it and the App answers with an error in the modal.
    await modal.locator("textarea").fill("   ");
    await ui.page.click("#modal-submit");
    const error = modal.locator(".input-error");
    await error.waitFor({ state: "visible" });
    expect(await error.textContent()).toMatch(/say why/i);
    await screenshot("reject-blank-reason");

    await modal.locator("textarea").fill("The payment SDK upgrade breaks refunds");
    await ui.page.click("#modal-submit");
    await modal.waitFor({ state: "hidden" });
    await poll(() => runCard(runId).locator(".run-status").textContent()).toMatch(/Rejected/);
    expect(await runCard(runId).locator(".review").textContent()).toContain(
      "The payment SDK upgrade breaks refunds",
    );
    await poll(() => messageFor(runId).locator('[data-block-id="sdg_status"]').textContent()).toMatch(
      /Rejected by @Bob[\s\S]*breaks refunds/,
    );
    await screenshot("rejected", messageFor(runId));
  });

  it("an edited policy takes effect at the next click, and resetting it restores the default", async () => {
    // (A policy the App would refuse is not saved at all: test/ops-sandbox.test.ts shows that.)
    await ui.page
      .locator("#policy")
      .fill("environments:\n  staging:\n    approvers:\n      users: [U0BOB]\n");
    await ui.page.click("#save-policy");
    await poll(() => ui.page.locator("#policy-status").textContent()).toMatch(/Saved/);
    const runId = await startDeployment("staging");
    await messageFor(runId).waitFor();
    await actAs("Alice");
    await clickButton(runId, "Approve", /Approve this deployment\?/);
    const refusal = ui.page.locator("#feed article.ephemeral", { hasText: "not an approver" });
    await refusal.waitFor();
    expect(await runCard(runId).locator(".run-status").textContent()).toMatch(/Waiting for approval/);
    await screenshot("edited-policy", refusal);

    await ui.page.click("#reset-policy");
    await poll(() => ui.page.locator("#policy").inputValue()).toContain("required-approvals: 2");
    await clickButton(runId, "Approve", /Approve this deployment\?/);
    await poll(() => runCard(runId).locator(".run-status").textContent()).toMatch(/Approved/);
  });

  it("links Olivia's GitHub account through GitHub's sign-in, and the team the policy names lets her approve staging", async () => {
    const runId = await startDeployment("staging");
    await messageFor(runId).waitFor();
    await actAs("Olivia");
    await clickButton(runId, "Approve", /Approve this deployment\?/);
    // Unknown on GitHub, and staging names a GitHub team: refused, with a link button only she sees.
    const refusal = ui.page
      .locator("#feed article.ephemeral", { hasText: "not linked to a GitHub account" })
      .last();
    await refusal.waitFor();
    await screenshot("link-offered", refusal);

    const [signIn] = await Promise.all([
      ui.page.context().waitForEvent("page"),
      refusal.locator("a.bk-button", { hasText: "Link your GitHub account" }).click(),
    ]);
    await signIn.locator("#continue").click();
    // GitHub's sign-in page: "link as…" the account that is in the team.
    await signIn.locator("#login").selectOption("olivia-gh");
    await signIn.screenshot({ path: join(SCREENSHOTS, "sandbox-link-as.png"), fullPage: true });
    await signIn.locator("#authorize").click();
    await signIn.locator("#outcome").waitFor();
    expect(await signIn.locator("#outcome").textContent()).toContain("linked to GitHub @olivia-gh");
    await signIn.close();

    await clickButton(runId, "Approve", /Approve this deployment\?/);
    await poll(() => runCard(runId).locator(".run-status").textContent()).toMatch(/Approved/);
    expect(await runCard(runId).locator(".review").textContent()).toMatch(/Approved by @olivia-gh via Slack/);
    await screenshot("team-member-approved", messageFor(runId));

    // "Link GitHub account…" types /deploy-gate link: the App's answer shows her current link.
    await ui.page.click("#link-github");
    const answer = ui.page.locator("#feed article.ephemeral", { hasText: "To link another GitHub account" });
    await answer.waitFor();
    expect(await answer.textContent()).toContain("@olivia-gh");
  });
});
