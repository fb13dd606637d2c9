// The largest legal policy: as much work as POLICY_LIMITS allow in one file. A 1,000-user approver
// list anchored once and aliased into 50 environments (the most aliases allowed), then environments
// of 1,000 literal users each until the file is just under 256 KiB: about 100,000 Slack IDs to check.
import { POLICY_LIMITS } from "../../app/policy/types.js";

/** `count` distinct four-character Slack user IDs from `offset` (`U000`, `U001`, …). */
function userIds(count: number, offset: number): string[] {
  return Array.from(
    { length: count },
    (_, i) => `U${((i + offset) % 46_656).toString(36).toUpperCase().padStart(3, "0")}`,
  );
}

export interface SizedPolicy {
  text: string;
  bytes: number;
  environments: number;
  /** Slack IDs the validator checks, counting each alias's list again. */
  idsChecked: number;
  aliases: number;
}

export function largestLegalPolicy(): SizedPolicy {
  const perEnvironment = POLICY_LIMITS.maxUsersPerEnvironment;
  const lines = [
    "environments:",
    "  production:",
    `    approvers: &everyone { users: [${userIds(perEnvironment, 0).join(",")}] }`,
    "    required-approvals: 2",
  ];
  for (let i = 0; i < POLICY_LIMITS.maxAliases; i += 1) lines.push(`  shard-${i}: { approvers: *everyone }`);
  let environments = 1 + POLICY_LIMITS.maxAliases;
  const limit = POLICY_LIMITS.maxFileBytes - 64;
  let bytes = Buffer.byteLength(`${lines.join("\n")}\n`);
  for (let e = 1; environments < POLICY_LIMITS.maxEnvironments; e += 1) {
    const next = `  region-${e}:\n    approvers: { users: [${userIds(perEnvironment, e * perEnvironment).join(",")}] }`;
    const size = Buffer.byteLength(`${next}\n`);
    if (bytes + size > limit) break;
    lines.push(next);
    bytes += size;
    environments += 1;
  }
  const text = `${lines.join("\n")}\n`;
  return {
    text,
    bytes: Buffer.byteLength(text),
    environments,
    idsChecked: environments * perEnvironment,
    aliases: POLICY_LIMITS.maxAliases,
  };
}
