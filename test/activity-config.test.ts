// ACTIVITY_RETENTION_DAYS: how long the activity record keeps a request; a bad value stops start-up
// with one line naming it.
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../app/config.js";
import { newPrivateKey } from "../testkit/helpers/keys.js";

const valid = {
  APP_ID: "123",
  PRIVATE_KEY: newPrivateKey(),
  WEBHOOK_SECRET: "whsec-value",
  SLACK_SIGNING_SECRET: "signing-secret-value",
  SLACK_BOT_TOKEN: "xoxb-1-2-secretvalue",
};

describe("ACTIVITY_RETENTION_DAYS", () => {
  it("defaults to 90 days and takes 1 to 3650", () => {
    expect(loadConfig(valid).activityRetentionDays).toBe(90);
    expect(loadConfig({ ...valid, ACTIVITY_RETENTION_DAYS: "365" }).activityRetentionDays).toBe(365);
    expect(loadConfig({ ...valid, ACTIVITY_RETENTION_DAYS: " 1 " }).activityRetentionDays).toBe(1);
  });

  it("refuses anything else, naming the setting", () => {
    for (const value of ["0", "3651", "-5", "90d", "1.5", "ninety"]) {
      expect(() => loadConfig({ ...valid, ACTIVITY_RETENTION_DAYS: value }), value).toThrow(
        new ConfigError("ACTIVITY_RETENTION_DAYS must be a number of days from 1 to 3650"),
      );
    }
  });
});
