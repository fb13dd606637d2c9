// The people of the test scenes (the App harness, the attack scene): their Slack user IDs, the names
// Slack shows for them, which are also their GitHub logins where a policy maps them, and a crowd of
// approvers in one Slack user group, for concurrent clicks.
import type { FakeSlackOptions } from "../fakes/slack.js";

export const USERS = {
  alice: "U0ALICE",
  bob: "U0BOB",
  carol: "U0CAROL",
  mallory: "U0MALLORY", // nobody's approver
  dave: "U0DAVE", // triggers the runs
} as const;

/** The Slack user group the crowd is in. */
export const CROWD_GROUP = "S0CROWD";

/** `size` approvers (U0CROWD00, U0CROWD01, …), named crowd0, crowd1, … */
export function crowdOf(size: number): string[] {
  return Array.from({ length: size }, (_, i) => `U0CROWD${String(i).padStart(2, "0")}`);
}

/** Slack user ID → the name Slack shows: alice for U0ALICE, crowd3 for the crowd's fourth. */
export function namesOf(crowd: readonly string[]): Record<string, string> {
  return {
    [USERS.alice]: "alice",
    [USERS.bob]: "bob",
    [USERS.carol]: "carol",
    [USERS.mallory]: "mallory",
    [USERS.dave]: "dave",
    ...Object.fromEntries(crowd.map((id, i) => [id, `crowd${i}`])),
  };
}

/** The fake Slack's users: everyone by name, the five with the full names given. */
export function slackUsers(
  crowd: readonly string[],
  realNames: Record<keyof typeof USERS, string>,
): NonNullable<FakeSlackOptions["users"]> {
  const names = namesOf(crowd);
  return Object.fromEntries(
    Object.entries(names).map(([id, name]) => {
      const person = (Object.keys(USERS) as (keyof typeof USERS)[]).find((key) => USERS[key] === id);
      return [id, person ? { name, realName: realNames[person] } : { name }];
    }),
  );
}

/**
 * A policy file: `environments` (YAML, as it stands under the key) and `github-users` mapping alice,
 * bob, carol, dave and the crowd to GitHub logins of the same names. Mallory has none.
 */
export function policyFor(environments: string, crowd: readonly string[]): string {
  const names = namesOf(crowd);
  const mapped = Object.entries(names).filter(([id]) => id !== USERS.mallory);
  return `environments:\n${environments}github-users:\n${mapped.map(([id, name]) => `  ${id}: ${name}\n`).join("")}`;
}
