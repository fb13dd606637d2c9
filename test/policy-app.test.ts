// The policy's bounds as a clicker meets them: the App served for real (testkit's harness) reads the
// policy from the fake GitHub when someone clicks, and tells the clicker, and only the clicker, what
// is wrong with it. The loader's own cases are in policy.test.ts.
import { describe, expect, it } from "vitest";
import { DEFAULT_POLICY, USERS } from "../testkit/helpers/app-harness.js";
import { useHarness } from "../testkit/helpers/harness-suite.js";

const SOURCE = "acme/api:.github/slack-deploy-gate.yml";
const REFUSED = "The approval policy is invalid, so nobody can approve until it is fixed: ";

describe("policy bounds, through the App", () => {
  const h = useHarness("sqlite");

  async function clickUnder(policy: string): Promise<{ told: string | undefined; run: number }> {
    await h.setPolicy(policy);
    const { run, message } = await h.newRequest();
    const ack = await h.click(message, "approve", USERS.alice);
    expect(ack.status).toBe(200);
    await h.settle();
    return { told: h.ephemeralsFor(USERS.alice).at(-1), run };
  }

  it("tells the clicker that a 6 MB policy is too large, and approves nothing", async () => {
    const { told, run } = await clickUnder(`${DEFAULT_POLICY}# ${"x".repeat(6 * 1024 * 1024)}\n`);
    expect(told).toBe(
      `${REFUSED}Invalid policy ${SOURCE}: the file is 6.0 MiB; a policy may be at most 256 KiB`,
    );
    expect(h.github.reviews.filter((r) => r.runId === run)).toEqual([]);
  });

  it("tells the clicker that environments under __proto__ do not count", async () => {
    const hidden = `__proto__:\n${DEFAULT_POLICY.replace(/^/gm, "  ")}\ngithub-users: {}\n`;
    const { told, run } = await clickUnder(hidden);
    expect(told).toBe(
      `${REFUSED}Invalid policy ${SOURCE} (2 problems):\n- __proto__ (line 1): unknown key; expected one of: environments, github-users\n- environments: required: list the environments and who may approve them`,
    );
    expect(h.github.reviews.filter((r) => r.runId === run)).toEqual([]);
  });

  it("approves again once a push fixes the file", async () => {
    await h.setPolicy(`${DEFAULT_POLICY}# ${"x".repeat(300 * 1024)}\n`);
    await h.setPolicy(DEFAULT_POLICY);
    const { run, message } = await h.newRequest();
    await h.click(message, "approve", USERS.alice);
    await h.settle();
    expect(h.github.reviews.filter((r) => r.runId === run).map((r) => r.state)).toEqual(["approved"]);
  });
});
