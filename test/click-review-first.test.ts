// A deciding click's review reaches GitHub first: before the check run the decision also writes,
// which would otherwise hold it back by the App's write spacing (app/github/pacing.ts), and whatever
// database or Slack work the decision causes (app/effects/runner.ts lets it lead).
import { expect, it } from "vitest";
import { USERS } from "../testkit/helpers/app-harness.js";
import { describeOnBackends } from "../testkit/helpers/harness-suite.js";

describeOnBackends("the decision's review on %s", (h) => {
  it("goes to GitHub before the check run, every time", async () => {
    for (let i = 0; i < 5; i += 1) {
      const { run, message } = await h.newRequest();
      h.github.requests.length = 0;
      await h.click(message, "approve", USERS.alice);
      await h.settle();
      const writes = h.github.requests
        .filter((r) => r.method === "POST")
        .map((r) => (r.path.endsWith(`/runs/${run}/deployment_protection_rule`) ? "review" : r.operationId));
      expect(writes).toEqual(["review", "checks/create"]);
      expect(h.github.reviews.filter((r) => r.runId === run).map((r) => r.state)).toEqual(["approved"]);
    }
  });
});
