// Secret hygiene: the App at its most talkative (LOG_LEVEL=trace) taken through success and through
// every kind of failure that logs (forged requests, GitHub and Slack errors, a bad policy), then its
// whole output searched for every secret it holds and every credential it was issued.
import { beforeAll, describe, expect, it } from "vitest";
import {
  type AppProcess,
  DEFAULT_POLICY,
  runPath,
  SECRETS,
  USERS,
} from "../../testkit/helpers/attack-scene.js";
import { useScene } from "./scene.js";

const scene = useScene();
let app: AppProcess;

beforeAll(async () => {
  app = await scene.startApp({ name: "talkative", logLevel: "trace" });
}, 120_000);

describe("secret hygiene (held)", { timeout: 90_000 }, () => {
  it("never writes a secret, a token or a signature to its output, whatever happens", async () => {
    // Success: a decision delivered.
    const approved = await scene.newRequest();
    await scene.click(approved.message, "approve", USERS.alice, { app });
    await scene.until("the approval to reach GitHub", () => scene.reviews(approved.run).length > 0);

    // Forged requests on both routes.
    const forged = await scene.newRequest();
    await scene.click(forged.message, "approve", USERS.bob, { app, signing: { secret: "wrong-secret" } });
    await scene.webhook("push", JSON.stringify({ zen: "forged" }), {
      app,
      signature: `sha256=${"1".repeat(64)}`,
    });

    // GitHub failing, and Slack refusing the token.
    const failing = await scene.newRequest();
    scene.githubProxy.inject({
      method: "GET",
      path: runPath(failing.run),
      times: 4,
      fault: { kind: "respond", status: 500 },
    });
    scene.slack.failNext("chat.postEphemeral", "invalid_auth", 4);
    await scene.click(failing.message, "approve", USERS.carol, { app });

    // An invalid policy, read with the installation token.
    await scene.setPolicy("environments:\n  production: [unclosed\n");
    const invalid = await scene.newRequest();
    await scene.click(invalid.message, "approve", USERS.alice, { app });
    await scene.quiet(1000);
    scene.githubProxy.clearRules();
    await scene.setPolicy(DEFAULT_POLICY);

    const output = app.child.output();
    expect(output.length).toBeGreaterThan(0);
    const found: string[] = [];
    for (const [name, value] of Object.entries(SECRETS)) if (output.includes(value)) found.push(name);
    // Any line of the private key's body (the PEM header names no secret).
    const keyLines = scene.privateKey
      .split("\n")
      .filter((line) => line.length >= 40 && !line.startsWith("-----"));
    if (keyLines.some((line) => output.includes(line))) found.push("privateKey");
    if (/ghs_[A-Za-z0-9_-]{20,}/.test(output)) found.push("an installation token");
    if (/eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}/.test(output)) found.push("a JWT");
    if (/v0=[0-9a-f]{64}/.test(output)) found.push("a Slack request signature");
    if (/sha256=(?!0{64}|1{64})[0-9a-f]{64}/.test(output)) found.push("a webhook signature");
    expect(found, "secrets in the App's output").toEqual([]);
  }, 90_000);
});
