// What a signed-in person may see, asked of GitHub and cached briefly:
// - the repositories they can read among those the App is installed on: with their own user token,
//   `GET /user/installations` and `GET /user/installations/{id}/repositories` (GitHub answers with the
//   repositories the person has explicit access to: owned, as a collaborator, through a team or an
//   organization's base permission);
// - the accounts whose whole history they see: organizations they administer (their membership's role,
//   read through that organization's installation: the App's Members permission) and their own account.
// Anything GitHub does not clearly grant is not granted; a token GitHub no longer accepts ends the
// session (SessionEndedError).
import { createHash } from "node:crypto";
import { request } from "@octokit/request";
import { LRUCache } from "lru-cache";
import type { Octokit } from "../github/installations.js";
import type { Session } from "./session.js";

export interface Scope {
  /** `owner/name`, lower-cased. */
  repositories: string[];
  /** Accounts (organizations, or the person's own) whose every request they see, lower-cased. */
  owners: string[];
}

export class SessionEndedError extends Error {
  override name = "SessionEndedError";
}

export interface Access {
  scope(session: Session): Promise<Scope>;
  /** Whether the person administers this organization (or it is their own account). */
  administers(session: Session, owner: string): Promise<boolean>;
  /** Drops what is cached for this session (sign-out). */
  forget(session: Session): void;
}

export interface AccessOptions {
  githubApiUrl: string;
  /** An installation's client (app/github/installations.ts), for organization memberships. */
  installationClient: (installationId: number) => Promise<Octokit>;
  /** How long an answer is reused (default 2 minutes: a removed person loses access within that). */
  ttlMs?: number;
  timeoutMs?: number;
  now?: () => number;
}

const PER_PAGE = 100;
/** At most this many pages per list (10,000 installations or repositories): beyond, nothing more is granted. */
const MAX_PAGES = 100;

interface Installation {
  id: number;
  account: { login: string; type?: string } | null;
}

export function createAccess(options: AccessOptions): Access {
  const ttl = options.ttlMs ?? 2 * 60_000;
  const clock = options.now ? { ttlResolution: 0, perf: { now: options.now } } : {};
  const timeoutMs = options.timeoutMs ?? 10_000;
  const asUser = (token: string) =>
    request.defaults({
      baseUrl: options.githubApiUrl,
      headers: { authorization: `token ${token}`, "user-agent": "slack-deploy-gate" },
      request: { signal: AbortSignal.timeout(timeoutMs) },
    });

  async function pages<T>(
    token: string,
    route: string,
    params: Record<string, unknown>,
    pick: (data: unknown) => T[],
  ) {
    const items: T[] = [];
    for (let page = 1; page <= MAX_PAGES; page++) {
      let data: unknown;
      try {
        ({ data } = await asUser(token)(route, { ...params, per_page: PER_PAGE, page }));
      } catch (error) {
        if ((error as { status?: number }).status === 401)
          throw new SessionEndedError("GitHub no longer accepts the token");
        throw error;
      }
      const batch = pick(data);
      items.push(...batch);
      if (batch.length < PER_PAGE) break;
    }
    return items;
  }

  async function isAdmin(installation: Installation, login: string): Promise<boolean> {
    const account = installation.account;
    if (!account) return false;
    if (account.type === "User") return account.login.toLowerCase() === login.toLowerCase();
    try {
      const octokit = await options.installationClient(installation.id);
      const { data } = await octokit.request("GET /orgs/{org}/memberships/{username}", {
        org: account.login,
        username: login,
      });
      return data.state === "active" && data.role === "admin";
    } catch {
      // Not a member, or GitHub will not say (no Members permission): not an administrator.
      return false;
    }
  }

  const scopes = new LRUCache<string, Scope, Session>({
    max: 5_000,
    ttl,
    ...clock,
    fetchMethod: async (_key, _stale, { context: session }) => {
      const installations = await pages<Installation>(session.token, "GET /user/installations", {}, (data) =>
        ((data as { installations?: Installation[] }).installations ?? []).filter((i) =>
          Number.isSafeInteger(i.id),
        ),
      );
      const repositories = new Set<string>();
      const owners = new Set<string>();
      await Promise.all(
        installations.map(async (installation) => {
          const [repos, admin] = await Promise.all([
            pages<{ full_name: string }>(
              session.token,
              "GET /user/installations/{installation_id}/repositories",
              { installation_id: installation.id },
              (data) => (data as { repositories?: Array<{ full_name: string }> }).repositories ?? [],
            ),
            isAdmin(installation, session.login),
          ]);
          for (const repo of repos) repositories.add(repo.full_name.toLowerCase());
          if (admin && installation.account) owners.add(installation.account.login.toLowerCase());
        }),
      );
      return { repositories: [...repositories].sort(), owners: [...owners].sort() };
    },
  });

  const keyOf = (session: Session) =>
    `${session.userId}:${createHash("sha256").update(session.token).digest("base64url")}`;

  return {
    async scope(session) {
      const scope = await scopes.fetch(keyOf(session), { context: session });
      if (!scope) throw new Error("GitHub did not say what this person can read");
      return scope;
    },
    async administers(session, owner) {
      return (await this.scope(session)).owners.includes(owner.toLowerCase());
    },
    forget(session) {
      scopes.delete(keyOf(session));
    },
  };
}
