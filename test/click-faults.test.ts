// When the App cannot check a click at all (GitHub failing, a private key GitHub does not accept, the
// database gone), the clicker is told privately that nothing was recorded, and nothing is.
import { expect, it } from "vitest";
import { USERS } from "../testkit/helpers/app-harness.js";
import { describeOnBackends } from "../testkit/helpers/harness-suite.js";
import { newPrivateKey } from "../testkit/helpers/keys.js";

const COULD_NOT_CHECK =
  "slack-deploy-gate could not check this click right now (GitHub or its database did not answer), so nothing was recorded. Please try again in a minute.";

describeOnBackends("faults during a click on %s", (h, backend) => {
  it("says nothing was recorded when GitHub answers 500 to the run look-up", async () => {
    const { run, message } = await h.newRequest();
    // The look-up is tried twice.
    h.github.failNext({ method: "GET", path: new RegExp(`/actions/runs/${run}$`) }, 500, 2);
    await h.click(message, "approve", USERS.alice);
    await h.settle();
    expect(h.ephemeralsFor(USERS.alice).at(-1)).toBe(COULD_NOT_CHECK);
    const requestId = h.requestIdOf(message);
    expect(await h.store.getRequest(requestId)).toBeUndefined();
    expect(await h.store.listVotes(requestId)).toEqual([]);
    expect(h.reviews(run)).toEqual([]);

    // Once GitHub answers again, the same click counts.
    await h.click(message, "approve", USERS.alice);
    await h.settle();
    expect(h.reviews(run)).toHaveLength(1);
  });

  it("says nothing was recorded when the database is gone, and is not ready", async () => {
    const { message } = await h.newRequest();
    await h.exec(backend === "postgres" ? "DROP TABLE requests CASCADE" : "DROP TABLE requests");
    await h.click(message, "approve", USERS.bob);
    await h.settle();
    expect(h.ephemeralsFor(USERS.bob).at(-1)).toBe(COULD_NOT_CHECK);
    const ready = await fetch(`${h.appUrl}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ ready: false, database: "failing" });
    expect((await fetch(`${h.appUrl}/healthz`)).status).toBe(200);
  });
});

const refusedKey = { privateKey: newPrivateKey(), refusalsExpected: true };

describeOnBackends("a private key GitHub does not accept, on %s", refusedKey, (h) => {
  it("tells the clicker that nothing was recorded", async () => {
    const { run, message } = await h.newRequest();
    await h.click(message, "approve", USERS.alice);
    await h.settle();
    expect(h.ephemeralsFor(USERS.alice).at(-1)).toBe(COULD_NOT_CHECK);
    expect(await h.store.getRequest(h.requestIdOf(message))).toBeUndefined();
    expect(h.reviews(run)).toEqual([]);
  });
});

const unusableKey = {
  privateKey: "-----BEGIN RSA PRIVATE KEY-----\nbm90IGEga2V5\n-----END RSA PRIVATE KEY-----\n",
  refusalsExpected: true,
};

describeOnBackends("a private key that cannot sign, on %s", unusableKey, (h) => {
  it("is not ready, and tells the clicker that nothing was recorded", async () => {
    const ready = await fetch(`${h.appUrl}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ ready: false, githubKey: "failing" });
    const { message } = await h.newRequest();
    await h.click(message, "approve", USERS.alice);
    await h.settle();
    expect(h.ephemeralsFor(USERS.alice).at(-1)).toBe(COULD_NOT_CHECK);
  });
});
