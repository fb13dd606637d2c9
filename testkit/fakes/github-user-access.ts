// What a person can read on the fake GitHub, and the two operations a GitHub App's user token asks it
// with, answered as GitHub documents them (validated against @octokit/openapi by the server):
// - `GET /user/installations`: this App's installations the person has explicit access to;
// - `GET /user/installations/{installation_id}/repositories`: the repositories of one of them that the
//   person has explicit access to.
// "Explicit access", as GitHub defines it: repositories they own, where they are a collaborator, and
// those an organization membership gives (an organization's admins see all of its repositories; members
// see them through the organization's base permission, `read` unless a test sets `none`). Public
// repositories are not listed to everyone: only to people with such access.
import type { Credential } from "./github-auth.js";
import * as objects from "./github-objects.js";
import type { GitHubPeople, UserState } from "./github-people.js";
import { error, type Handler, type Reply, type RouteContext } from "./github-routes.js";
import type { InstallationState, RepositoryState } from "./github-state.js";

export type RepositoryPermission = "read" | "triage" | "write" | "maintain" | "admin";
export type BasePermission = "none" | "read" | "write" | "admin";

export class RepositoryAccess {
  /** repository (lower-cased) → user id → permission */
  private readonly collaborators = new Map<string, Map<number, RepositoryPermission>>();
  /** organization (lower-cased) → its members' base permission */
  private readonly base = new Map<string, BasePermission>();

  constructor(private readonly people: GitHubPeople) {}

  /** Makes the person a collaborator on the repository. */
  grant(repository: string, login: string, permission: RepositoryPermission = "read"): void {
    const user = this.people.addUser({ login });
    const key = repository.toLowerCase();
    const map = this.collaborators.get(key) ?? new Map<number, RepositoryPermission>();
    map.set(user.id, permission);
    this.collaborators.set(key, map);
  }

  revoke(repository: string, login: string): void {
    const user = this.people.find(login);
    if (user) this.collaborators.get(repository.toLowerCase())?.delete(user.id);
  }

  /** What members of the organization can do in all of its repositories (GitHub's default: read). */
  setBasePermission(org: string, permission: BasePermission): void {
    this.base.set(org.toLowerCase(), permission);
  }

  canRead(user: UserState, repository: RepositoryState): boolean {
    if (repository.owner.toLowerCase() === user.login.toLowerCase()) return true;
    if (this.collaborators.get(repository.fullName.toLowerCase())?.has(user.id)) return true;
    const membership = this.people.org(repository.owner)?.members.get(user.id);
    if (membership?.state !== "active") return false;
    if (membership.role === "admin") return true;
    return (this.base.get(repository.owner.toLowerCase()) ?? "read") !== "none";
  }
}

function userOf(people: GitHubPeople, credential: Credential): { user: UserState } | { refused: Reply } {
  if (credential.kind !== "user") {
    return {
      refused: {
        ...error(403, "Resource not accessible by integration"),
        violation: "the /user/installations operations need a user access token",
      },
    };
  }
  const user = people.byId(credential.userId);
  if (!user || user.suspendedAt) {
    return { refused: { ...error(401, "Bad credentials"), violation: "a gone user's token" } };
  }
  return { user };
}

function page<T>(items: T[], query: URLSearchParams): T[] {
  const perPage = Math.min(100, Math.max(1, Number(query.get("per_page") ?? 30) || 30));
  const number = Math.max(1, Number(query.get("page") ?? 1) || 1);
  return items.slice((number - 1) * perPage, number * perPage);
}

export function userAccessHandlers(people: GitHubPeople, access: RepositoryAccess): Record<string, Handler> {
  const readable = (ctx: RouteContext, user: UserState, installation: InstallationState) =>
    installation.repositories
      .map((name) => ctx.state.repository(name))
      .filter((repo): repo is RepositoryState => repo !== undefined && access.canRead(user, repo));

  const installationObject = (ctx: RouteContext, installation: InstallationState) => {
    const body = objects.installation(ctx.urls, ctx.app, installation);
    // An installation on a person's own account, not an organization's.
    if (!people.org(installation.account) && people.find(installation.account)) {
      return {
        ...body,
        account: objects.simpleUser(ctx.urls, installation.account, "User"),
        target_type: "User",
      };
    }
    return body;
  };

  const accessible = (ctx: RouteContext, user: UserState, installation: InstallationState) =>
    readable(ctx, user, installation).length > 0 ||
    installation.account.toLowerCase() === user.login.toLowerCase() ||
    people.org(installation.account)?.members.get(user.id)?.state === "active";

  return {
    "apps/list-installations-for-authenticated-user": {
      needs: "none",
      handle(ctx, call) {
        const who = userOf(people, call.credential);
        if ("refused" in who) return who.refused;
        const installations = [...ctx.state.installations.values()].filter((i) =>
          accessible(ctx, who.user, i),
        );
        return {
          status: 200,
          body: {
            total_count: installations.length,
            installations: page(installations, call.query).map((i) => installationObject(ctx, i)),
          },
        };
      },
    },

    "apps/list-installation-repos-for-authenticated-user": {
      needs: "none",
      handle(ctx, call) {
        const who = userOf(people, call.credential);
        if ("refused" in who) return who.refused;
        const installation = ctx.state.installations.get(Number(call.params.installation_id));
        if (!installation || !accessible(ctx, who.user, installation)) return error(404, "Not Found");
        const repositories = readable(ctx, who.user, installation);
        return {
          status: 200,
          body: {
            total_count: repositories.length,
            repository_selection: "selected",
            repositories: page(repositories, call.query).map((repo) => {
              const admin = people.org(repo.owner)?.members.get(who.user.id)?.role === "admin";
              return {
                ...objects.fullRepository(ctx.urls, repo, repo.commits.at(-1)?.date ?? repo.createdAt),
                permissions: { admin, maintain: admin, push: admin, triage: admin, pull: true },
              };
            }),
          },
        };
      },
    },
  };
}
