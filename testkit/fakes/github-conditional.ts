// Conditional requests and the primary rate limit, as GitHub applies them: a successful GET answers
// with an ETag (it differs per credential, as GitHub's do); the same GET with `If-None-Match` set to
// it answers 304 Not Modified while the body would be the same, and a 304 does not count against the
// credential's rate limit. Every other answer counts. Each answer carries the x-ratelimit-* headers
// of its credential (a workflow's GITHUB_TOKEN: 1,000 an hour per repository; an installation: 5,000).
import { createHash } from "node:crypto";
import type { Credential } from "./github-auth.js";
import type { Reply } from "./github-routes.js";

export interface RateLimitUse {
  limit: number;
  /** Requests that counted against the limit. */
  used: number;
  /** Conditional requests answered 304 (free). */
  notModified: number;
}

const HOUR_MS = 3_600_000;

/** Who GitHub counts a request against: one bucket per token holder. */
export function credentialKey(credential: Credential): string | undefined {
  switch (credential.kind) {
    case "static":
      return `GITHUB_TOKEN ${credential.repository.toLowerCase()}`;
    case "installation":
      return `installation ${credential.installationId}`;
    case "app":
      return "app";
    default:
      return undefined;
  }
}

export class ConditionalRequests {
  /** By `credentialKey`. */
  readonly usage = new Map<string, RateLimitUse>();
  private readonly resetAt = Math.floor((Date.now() + HOUR_MS) / 1000);

  /**
   * The answer to send for a handled request: 304 when `If-None-Match` names the ETag the reply would
   * carry, the reply itself (with its ETag) otherwise; both with the rate-limit headers.
   */
  answer(method: string, ifNoneMatch: string | undefined, credential: Credential, reply: Reply): Reply {
    const key = credentialKey(credential);
    if (!key) return reply;
    const use = this.bucket(key, credential);
    let etag: string | undefined;
    if (method === "GET" && reply.status === 200 && reply.body !== undefined && !reply.text) {
      etag = `W/"${createHash("sha256").update(key).update("\0").update(JSON.stringify(reply.body)).digest("hex").slice(0, 40)}"`;
      if (ifNoneMatch && matches(ifNoneMatch, etag)) {
        use.notModified += 1;
        return { status: 304, headers: { etag, ...this.headers(use) } };
      }
    }
    use.used += 1;
    return { ...reply, headers: { ...reply.headers, ...(etag ? { etag } : {}), ...this.headers(use) } };
  }

  private bucket(key: string, credential: Credential): RateLimitUse {
    let use = this.usage.get(key);
    if (!use) {
      use = { limit: credential.kind === "static" ? 1000 : 5000, used: 0, notModified: 0 };
      this.usage.set(key, use);
    }
    return use;
  }

  private headers(use: RateLimitUse): Record<string, string> {
    return {
      "x-ratelimit-limit": String(use.limit),
      "x-ratelimit-remaining": String(Math.max(0, use.limit - use.used)),
      "x-ratelimit-used": String(use.used),
      "x-ratelimit-reset": String(this.resetAt),
      "x-ratelimit-resource": "core",
    };
  }
}

/** `If-None-Match` may list several tags, or `*`; weak comparison, as for GET. */
function matches(header: string, etag: string): boolean {
  const bare = (tag: string) => tag.trim().replace(/^W\//, "");
  return header.split(",").some((tag) => tag.trim() === "*" || bare(tag) === bare(etag));
}
