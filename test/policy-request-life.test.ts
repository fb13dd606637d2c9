// The policy keys of a request's life, through the same parser and validator as every other key
// (YAML with line numbers, every problem counted): `remind-after` (a duration shorter than
// `expire-after`) and `channel` (a Slack channel ID: the App then posts the request itself).
import { describe, expect, it } from "vitest";
import { parsePolicy } from "../app/policy/index.js";
import { POLICY_SOURCE, policyProblem } from "../testkit/helpers/refusals.js";

const SOURCE = POLICY_SOURCE;

async function rules(environment: string) {
  const policy = await parsePolicy(environment, SOURCE);
  return policy.environments.get("production");
}

const problem = policyProblem;

const production = (extra: string) =>
  `environments:\n  production:\n    approvers: { users: [U0AAA] }\n${extra}`;

describe("remind-after and channel", () => {
  it("reads them, and leaves them off when absent or empty", async () => {
    expect(await rules(production("    remind-after: 4h\n    channel: C0DEPLOYS\n"))).toMatchObject({
      remindAfterMs: 4 * 3_600_000,
      channel: "C0DEPLOYS",
    });
    expect(
      await rules(production("    expire-after: 2d\n    remind-after: 1d\n    channel: G0PRIVATE\n")),
    ).toMatchObject({
      remindAfterMs: 86_400_000,
      channel: "G0PRIVATE",
    });
    expect(await rules(production(""))).toMatchObject({ remindAfterMs: null, channel: null });
    expect(await rules(production("    remind-after:\n    channel:\n"))).toMatchObject({
      remindAfterMs: null,
      channel: null,
    });
  });

  it("refuses a reminder that could never come before the request expires, naming both", async () => {
    expect(await problem(production("    remind-after: 24h\n"))).toBe(
      `Invalid policy ${SOURCE}: environments.production.remind-after (line 4): 24h is not shorter than expire-after (24h, the default): the request would expire before the first reminder`,
    );
    expect(await problem(production("    expire-after: 30m\n    remind-after: 2h\n"))).toBe(
      `Invalid policy ${SOURCE}: environments.production.remind-after (line 5): 2h is not shorter than expire-after (30m): the request would expire before the first reminder`,
    );
  });

  it("says what a duration looks like, and the shortest allowed", async () => {
    expect(await problem(production("    remind-after: soon\n"))).toBe(
      `Invalid policy ${SOURCE}: environments.production.remind-after (line 4): must be a duration such as 30m, 4h or 1d (minutes, hours or days), found text "soon"`,
    );
    expect(await problem(production("    remind-after: 0m\n"))).toBe(
      `Invalid policy ${SOURCE}: environments.production.remind-after (line 4): must be at least 1m, found 0m`,
    );
  });

  it("asks for a channel's ID, not its name, a person or lower case", async () => {
    expect(await problem(production('    channel: "#deploys"\n'))).toBe(
      `Invalid policy ${SOURCE}: environments.production.channel (line 4): "#deploys" is a channel name; use the channel's ID (C…), shown at the bottom of the channel's details: a name can change, an ID cannot`,
    );
    expect(await problem(production("    channel: c0deploys\n"))).toBe(
      `Invalid policy ${SOURCE}: environments.production.channel (line 4): Slack IDs are upper case: write C0DEPLOYS`,
    );
    expect(await problem(production("    channel: U0AAA\n"))).toBe(
      `Invalid policy ${SOURCE}: environments.production.channel (line 4): "U0AAA" is a person or a user group, not a channel; give a channel ID (C…)`,
    );
    expect(await problem(production("    channel: [C0DEPLOYS]\n"))).toBe(
      `Invalid policy ${SOURCE}: environments.production.channel (line 4): must be a Slack channel ID such as C0123ABCD, found a list`,
    );
  });

  it("suggests the key when it is misspelt", async () => {
    expect(await problem(production("    remind-afer: 4h\n"))).toContain(
      'environments.production.remind-afer (line 4): unknown key; did you mean "remind-after"?',
    );
  });
});
