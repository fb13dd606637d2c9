// A policy file is read by the App from whatever the default branch holds, and any click, by anyone,
// makes the App read it before it knows who clicked. What must hold: a file the App cannot safely use
// is refused on the real loading path (size, aliases, keys it does not know), the clicker is told
// why, nothing is approved, and no file can keep the App from answering GitHub and Slack.
import { describe, expect, it } from "vitest";
import { DEFAULT_POLICY, REPO, USERS } from "../../testkit/helpers/attack-scene.js";
import { useScene } from "./scene.js";

const GITHUB_DELIVERY_TIMEOUT_MS = 10_000;

const scene = useScene({ restorePolicy: true });

/** A click on a fresh production request, and what came of it: Slack's answer to the clicker, or a review. */
async function clickUnder(policy: string, user: string = USERS.alice) {
  await scene.setPolicy(policy);
  const { run, message } = await scene.newRequest();
  const before = scene.ephemerals(user).length;
  expect((await scene.click(message, "approve", user)).status).toBe(200);
  await scene.until(
    "the click to be answered (a private reply or a review)",
    () => scene.ephemerals(user).length > before || scene.reviews(run).length > 0,
  );
  return { run, replies: scene.ephemerals(user).slice(before) };
}

describe("policies an attacker (or a mistake) can put on the default branch", { timeout: 90_000 }, () => {
  it("refuses a policy file over the size limit on the real loading path", async () => {
    // Valid YAML that would approve Alice, padded past 256 KiB with comments.
    const padding = Array.from(
      { length: 3000 },
      (_, i) => `# ${String(i).padStart(6, "0")} ${"x".repeat(90)}`,
    ).join("\n");
    const policy = `${DEFAULT_POLICY}${padding}\n`;
    expect(Buffer.byteLength(policy)).toBeGreaterThan(256 * 1024);

    const { run, replies } = await clickUnder(policy);
    expect(scene.reviews(run)).toEqual([]);
    expect(replies.join("\n")).toMatch(/polic/i);
  });

  it("refuses a policy whose environments hide under a top-level __proto__ key", async () => {
    const policy = `__proto__:
  environments:
    production:
      approvers:
        users: [${USERS.mallory}]
environments:
  staging:
    approvers:
      users: [${USERS.alice}]
`;
    const { run, replies } = await clickUnder(policy, USERS.mallory);
    expect(scene.reviews(run)).toEqual([]);
    expect(replies.join("\n")).toMatch(/__proto__/);
  });

  it.each([
    ["YAML that does not parse", "environments:\n  production: [unclosed\n"],
    [
      "a count that is not a number",
      `environments:\n  production:\n    approvers: { users: [${USERS.alice}] }\n    required-approvals: many\n`,
    ],
    ["a misspelt key", `environments:\n  production:\n    aprovers: { users: [${USERS.alice}] }\n`],
    [
      "approvers that are not a list",
      `environments:\n  production:\n    approvers: { users: ${USERS.alice} }\n`,
    ],
    ["an empty file", ""],
    [
      "nested aliases (a billion laughs)",
      `a: &a [${USERS.alice}, ${USERS.alice}, ${USERS.alice}, ${USERS.alice}, ${USERS.alice}]\n${Array.from(
        { length: 9 },
        (_, i) =>
          `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(8)
            .fill(`*${String.fromCharCode(97 + i)}`)
            .join(", ")}]`,
      ).join("\n")}\nenvironments:\n  production:\n    approvers: { users: *j }\n`,
    ],
  ])("refuses %s, tells the clicker, and approves nothing (held)", async (_kind, policy) => {
    const { run, replies } = await clickUnder(policy);
    expect(scene.reviews(run)).toEqual([]);
    expect(replies.join("\n")).toMatch(/polic/i);
  });

  it("stays responsive under a policy whose aliases fan thousands of IDs into many environments", async () => {
    // Its own App process: one that fails this stays busy long after.
    const app = await scene.startApp({ name: "alias-fan-out" });
    try {
      const ids = Array.from({ length: 18_000 }, (_, i) => `U${String(i).padStart(8, "0")}`);
      const environments = Array.from(
        { length: 60 },
        (_, i) => `  env${i}:\n    approvers:\n      users: ${i === 0 ? `&ids [${ids.join(",")}]` : "*ids"}`,
      );
      const policy = `environments:\n${environments.join("\n")}\n  production:\n    approvers:\n      users: [${USERS.alice}]\n`;
      expect(Buffer.byteLength(policy)).toBeLessThan(256 * 1024);
      await scene.setPolicy(policy);
      const { message } = await scene.newRequest();

      // Anyone's click makes the App read the policy: Mallory is nobody's approver.
      const before = scene.ephemerals(USERS.mallory).length;
      const requestsBefore = scene.githubProxy.requests.length;
      expect((await scene.click(message, "approve", USERS.mallory, { app })).status).toBe(200);

      // Once the App has the file, GitHub delivers a webhook and gives up after 10 seconds, and a
      // load balancer probes.
      await scene.until("the App to fetch the policy", () =>
        scene.githubProxy.requests.slice(requestsBefore).some((r) => r.path.includes("/contents/.github")),
      );
      const gateRun = (await scene.newRequest({ gate: false })).run;
      const body = JSON.stringify(scene.github.deploymentProtectionRulePayload(REPO, gateRun, "production"));
      const delivered = await scene
        .webhook("deployment_protection_rule", body, { app, timeoutMs: GITHUB_DELIVERY_TIMEOUT_MS })
        .then(
          (response) => response.status,
          (error: unknown) => `no answer within GitHub's 10 s (${(error as Error).name})`,
        );
      expect(delivered).toBe(200);
      const health = await fetch(`${app.url}/healthz`, {
        signal: AbortSignal.timeout(GITHUB_DELIVERY_TIMEOUT_MS),
      }).then(
        (response) => response.status,
        () => "no answer within 10 s",
      );
      expect(health).toBe(200);

      // And Mallory is told something: refused, whatever the App made of the file.
      await scene.until(
        "Mallory to be answered",
        () => scene.ephemerals(USERS.mallory).length > before,
        30_000,
      );
    } finally {
      await app.kill();
    }
  }, 90_000);
});
