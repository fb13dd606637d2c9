// What GitHub says about people, read at click time through the repository's installation (so it needs
// only the App's own permissions: Members read for teams) and cached briefly, like Slack's user groups:
// - an account by its id: its login now (logins can be renamed; the id cannot), or that it is gone
//   (404: deleted, or suspended on github.com, which hides suspended accounts), or suspended (an
//   answer carrying `suspended_at`, as GitHub Enterprise Server's can);
// - whether a login is an active member of an organization's team (a pending invitation is not).
// Every answer that is not a clear yes is a no, or an error the caller must treat as "cannot tell":
// nothing here ever lets a person through because GitHub did not answer.
import { LRUCache } from "lru-cache";
import { httpStatus } from "../github/errors.js";
import type { Octokit } from "../github/installations.js";

export type AccountState =
  | { kind: "active"; login: string }
  | { kind: "suspended"; login: string }
  | { kind: "gone" };

/** GitHub refused to say (403: the App lacks Members read, or the organization hides it). */
export class DirectoryRefusedError extends Error {
  override name = "DirectoryRefusedError";
  constructor(
    readonly status: number,
    readonly what: string,
  ) {
    super(`GitHub refused to show ${what} (HTTP ${status})`);
  }
}

export interface Directory {
  account(octokit: Octokit, githubUserId: number): Promise<AccountState>;
  /** True only for an active member of `org/team`. Throws DirectoryRefusedError on 403, others as thrown. */
  inTeam(octokit: Octokit, org: string, team: string, login: string): Promise<boolean>;
}

export interface DirectoryOptions {
  /** How long an answer is reused (default 60 s: a removal takes effect within a minute). */
  ttlMs?: number;
  max?: number;
  /** The clock answers age by, in milliseconds (the App's clock, so tests can move it). */
  now?: () => number;
}

interface Context {
  octokit: Octokit;
}

export function createDirectory(options: DirectoryOptions = {}): Directory {
  const ttl = options.ttlMs ?? 60_000;
  const max = options.max ?? 10_000;
  const clock = options.now ? { ttlResolution: 0, perf: { now: options.now } } : {};
  // Concurrent look-ups of one key share one request; failures are not kept.
  const accounts = new LRUCache<string, AccountState, Context>({
    max,
    ttl,
    ...clock,
    fetchMethod: async (key, _stale, { context }) => {
      try {
        const { data } = await context.octokit.request("GET /user/{account_id}", { account_id: Number(key) });
        const user = data as { login: string; suspended_at?: string | null };
        return user.suspended_at
          ? { kind: "suspended", login: user.login }
          : { kind: "active", login: user.login };
      } catch (error) {
        if (httpStatus(error) === 404) return { kind: "gone" };
        throw error;
      }
    },
  });
  const teams = new LRUCache<string, { member: boolean }, Context>({
    max,
    ttl,
    ...clock,
    fetchMethod: async (key, _stale, { context }) => {
      const [org, team, login] = JSON.parse(key) as [string, string, string];
      try {
        const { data } = await context.octokit.rest.teams.getMembershipForUserInOrg({
          org,
          team_slug: team,
          username: login,
        });
        return { member: data.state === "active" };
      } catch (error) {
        const status = httpStatus(error);
        if (status === 404) return { member: false };
        if (status === 403) throw new DirectoryRefusedError(status, `the members of ${org}/${team}`);
        throw error;
      }
    },
  });

  return {
    async account(octokit, githubUserId) {
      const state = await accounts.fetch(String(githubUserId), { context: { octokit } });
      if (!state) throw new Error(`no answer for GitHub account ${githubUserId}`);
      return state;
    },
    async inTeam(octokit, org, team, login) {
      const key = JSON.stringify([org.toLowerCase(), team.toLowerCase(), login.toLowerCase()]);
      const answer = await teams.fetch(key, { context: { octokit } });
      return answer?.member === true;
    },
  };
}
