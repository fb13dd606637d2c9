// People on the fake GitHub: user accounts (which can be renamed, suspended or deleted), organization
// members with their roles, and teams with their members. The REST operations that read them are at the
// end, answered as GitHub documents them (validated against @octokit/openapi by the server):
// - `GET /user` (the user a user token belongs to), `GET /user/{account_id}`;
// - `GET /orgs/{org}/teams/{team_slug}/memberships/{username}`;
// - `GET /orgs/{org}/members/{username}` and `GET /orgs/{org}/memberships/{username}`.
// An installation token reads an organization's people only when the App is installed on that
// organization (and, as on GitHub, with the Members permission, which the fake App has).
import type { Credential } from "./github-auth.js";
import { organizationSimple, simpleUser, type Urls } from "./github-objects.js";
import { type Call, error, type Handler, type Reply, type RouteContext } from "./github-routes.js";
import { stableId } from "./github-state.js";

export interface UserState {
  id: number;
  login: string;
  name: string | null;
  /** Suspended accounts cannot sign in, and the API does not show them to others (as on github.com). */
  suspendedAt: string | null;
  createdAt: string;
}

export type OrgRole = "admin" | "member";
export type TeamRole = "member" | "maintainer";

interface TeamState {
  id: number;
  slug: string;
  /** user id → role and whether the invitation is still pending */
  members: Map<number, { role: TeamRole; state: "active" | "pending" }>;
}

interface OrgState {
  login: string;
  /** user id → role and state */
  members: Map<number, { role: OrgRole; state: "active" | "pending" }>;
  teams: Map<string, TeamState>;
}

export class GitHubPeople {
  private readonly users = new Map<number, UserState>();
  private readonly orgs = new Map<string, OrgState>();

  /** Adds an account (or returns the one with that login). Its id stays when it is renamed. */
  addUser(user: { login: string; name?: string; id?: number }): UserState {
    const existing = this.find(user.login);
    if (existing) return existing;
    const id = user.id ?? stableId(user.login);
    if (this.users.has(id)) throw new Error(`user id ${id} is taken`);
    const state: UserState = {
      id,
      login: user.login,
      name: user.name ?? null,
      suspendedAt: null,
      createdAt: "2020-01-01T00:00:00Z",
    };
    this.users.set(id, state);
    return state;
  }

  /** The account with this login (ignoring case), if it exists. */
  find(login: string): UserState | undefined {
    const folded = login.toLowerCase();
    for (const user of this.users.values()) if (user.login.toLowerCase() === folded) return user;
    return undefined;
  }

  byId(id: number): UserState | undefined {
    return this.users.get(id);
  }

  list(): UserState[] {
    return [...this.users.values()];
  }

  must(login: string): UserState {
    const user = this.find(login);
    if (!user) throw new Error(`unknown GitHub user ${login}: addUser first`);
    return user;
  }

  rename(login: string, newLogin: string): void {
    if (this.find(newLogin)) throw new Error(`login ${newLogin} is taken`);
    this.must(login).login = newLogin;
  }

  suspend(login: string, suspended = true): void {
    this.must(login).suspendedAt = suspended ? new Date().toISOString().replace(/\.\d{3}Z$/, "Z") : null;
  }

  /** Deletes the account: it leaves every organization and team, and GitHub no longer finds it. */
  deleteUser(login: string): void {
    const user = this.must(login);
    for (const org of this.orgs.values()) {
      org.members.delete(user.id);
      for (const team of org.teams.values()) team.members.delete(user.id);
    }
    this.users.delete(user.id);
  }

  addOrg(login: string): void {
    if (!this.orgs.has(login.toLowerCase()))
      this.orgs.set(login.toLowerCase(), { login, members: new Map(), teams: new Map() });
  }

  setOrgMember(org: string, login: string, role: OrgRole = "member", state: "active" | "pending" = "active") {
    this.addOrg(org);
    const user = this.addUser({ login });
    this.mustOrg(org).members.set(user.id, { role, state });
  }

  /** Removes the person from the organization and, as GitHub does, from all of its teams. */
  removeOrgMember(org: string, login: string): void {
    const o = this.mustOrg(org);
    const user = this.must(login);
    o.members.delete(user.id);
    for (const team of o.teams.values()) team.members.delete(user.id);
  }

  addTeam(org: string, slug: string, members: string[] = []): void {
    this.addOrg(org);
    const o = this.mustOrg(org);
    if (!o.teams.has(slug.toLowerCase())) {
      o.teams.set(slug.toLowerCase(), { id: stableId(`${org}/${slug}`), slug, members: new Map() });
    }
    for (const login of members) this.setTeamMember(org, slug, login);
  }

  /** Adds the person to the team (and to the organization, as a member, if they are not in it). */
  setTeamMember(
    org: string,
    slug: string,
    login: string,
    options: { role?: TeamRole; state?: "active" | "pending" } = {},
  ): void {
    const o = this.mustOrg(org);
    const team = o.teams.get(slug.toLowerCase());
    if (!team) throw new Error(`unknown team ${org}/${slug}: addTeam first`);
    const user = this.addUser({ login });
    if (!o.members.has(user.id)) o.members.set(user.id, { role: "member", state: "active" });
    team.members.set(user.id, { role: options.role ?? "member", state: options.state ?? "active" });
  }

  removeTeamMember(org: string, slug: string, login: string): void {
    this.mustOrg(org).teams.get(slug.toLowerCase())?.members.delete(this.must(login).id);
  }

  org(login: string): OrgState | undefined {
    return this.orgs.get(login.toLowerCase());
  }

  private mustOrg(login: string): OrgState {
    const org = this.org(login);
    if (!org) throw new Error(`unknown organization ${login}: addOrg first`);
    return org;
  }
}

/** A user as `GET /user` and `GET /user/{account_id}` show it (public-user, plus GHES's suspended_at). */
export function publicUser(urls: Urls, user: UserState) {
  return {
    ...simpleUser(urls, user.login, "User", user.id),
    name: user.name,
    company: null,
    blog: "",
    location: null,
    email: null,
    hireable: null,
    bio: null,
    public_repos: 0,
    public_gists: 0,
    followers: 0,
    following: 0,
    created_at: user.createdAt,
    updated_at: user.createdAt,
  };
}

/** Who a credential is, for the people operations: a user, an installation's account, or nobody. */
type Reader =
  | { kind: "user"; user: UserState }
  | { kind: "installation"; account: string }
  | { kind: "refused"; reply: Reply };

function reader(ctx: RouteContext, people: GitHubPeople, credential: Credential): Reader {
  if (credential.kind === "user") {
    const user = people.byId(credential.userId);
    if (user && !user.suspendedAt) return { kind: "user", user };
    return { kind: "refused", reply: { ...error(401, "Bad credentials"), violation: "a gone user's token" } };
  }
  if (credential.kind === "installation") {
    const installation = ctx.state.installations.get(credential.installationId);
    if (installation) return { kind: "installation", account: installation.account };
  }
  if (credential.kind === "app") {
    return {
      kind: "refused",
      reply: {
        ...error(403, "Resource not accessible by integration"),
        violation: "people operations need an installation or user token, not the App's JWT",
      },
    };
  }
  return {
    kind: "refused",
    reply: { ...error(401, "Requires authentication"), violation: "no credentials" },
  };
}

/** Whether the reader may see this organization's members (its own org, or a member of it). */
function canReadOrg(people: GitHubPeople, who: Reader, org: string): boolean {
  if (who.kind === "installation") return who.account.toLowerCase() === org.toLowerCase();
  if (who.kind === "user") return people.org(org)?.members.get(who.user.id)?.state === "active";
  return false;
}

export function peopleHandlers(people: GitHubPeople): Record<string, Handler> {
  const notFound = () => error(404, "Not Found");
  // GitHub describes these two 404s without a body.
  const noMember = (): Reply => ({ status: 404 });
  /**
   * The organization and person a membership call names, where the caller may read that
   * organization's members (`hidden` where it may not, or there is no such organization).
   */
  const membershipCall = (
    ctx: RouteContext,
    call: Call,
  ):
    | { kind: "refused"; reply: Reply }
    | { kind: "hidden" }
    | { kind: "found"; org: OrgState; user: UserState | undefined } => {
    const who = reader(ctx, people, call.credential);
    if (who.kind === "refused") return who;
    const org = people.org(call.params.org ?? "");
    if (!org || !canReadOrg(people, who, org.login)) return { kind: "hidden" };
    return { kind: "found", org, user: people.find(call.params.username ?? "") };
  };
  return {
    "users/get-authenticated": {
      needs: "none",
      handle(ctx, call) {
        if (call.credential.kind !== "user") {
          return {
            ...error(403, "Resource not accessible by integration"),
            violation: "GET /user needs a user access token",
          };
        }
        const who = reader(ctx, people, call.credential);
        if (who.kind === "refused") return who.reply;
        if (who.kind !== "user") return notFound();
        return { status: 200, body: publicUser(ctx.urls, who.user) };
      },
    },

    "users/get-by-id": {
      needs: "none",
      handle(ctx, call) {
        const who = reader(ctx, people, call.credential);
        if (who.kind === "refused") return who.reply;
        const user = people.byId(Number(call.params.account_id));
        // As on github.com, a suspended account is not shown to others.
        return user && !user.suspendedAt ? { status: 200, body: publicUser(ctx.urls, user) } : notFound();
      },
    },

    "teams/get-membership-for-user-in-org": {
      needs: "none",
      handle(ctx, call) {
        const found = membershipCall(ctx, call);
        if (found.kind === "refused") return found.reply;
        if (found.kind === "hidden") return noMember();
        const { org, user } = found;
        const team = org.teams.get((call.params.team_slug ?? "").toLowerCase());
        const membership = team && user ? team.members.get(user.id) : undefined;
        if (!team || !user || !membership) return noMember();
        return {
          status: 200,
          body: {
            url: `${ctx.urls.api}/organizations/${stableId(org.login)}/team/${team.id}/memberships/${encodeURIComponent(user.login)}`,
            role: membership.role,
            state: membership.state,
          },
        };
      },
    },

    "orgs/check-membership-for-user": {
      needs: "none",
      handle(ctx, call) {
        const found = membershipCall(ctx, call);
        if (found.kind === "refused") return found.reply;
        if (found.kind === "hidden") return noMember();
        const membership = found.user ? found.org.members.get(found.user.id) : undefined;
        return membership?.state === "active" ? { status: 204 } : noMember();
      },
    },

    "orgs/get-membership-for-user": {
      needs: "none",
      handle(ctx, call) {
        const found = membershipCall(ctx, call);
        if (found.kind === "refused") return found.reply;
        if (found.kind === "hidden") return notFound();
        const { org, user } = found;
        const membership = user ? org.members.get(user.id) : undefined;
        if (!user || !membership) return notFound();
        const orgUrl = `${ctx.urls.api}/orgs/${encodeURIComponent(org.login)}`;
        return {
          status: 200,
          body: {
            url: `${orgUrl}/memberships/${encodeURIComponent(user.login)}`,
            state: membership.state,
            role: membership.role,
            organization_url: orgUrl,
            organization: organizationSimple(ctx.urls, org.login),
            user: { ...publicUserSimple(ctx.urls, user) },
          },
        };
      },
    },
  };
}

function publicUserSimple(urls: Urls, user: UserState) {
  const full = publicUser(urls, user);
  return {
    login: full.login,
    id: full.id,
    node_id: full.node_id,
    avatar_url: full.avatar_url,
    gravatar_id: full.gravatar_id,
    url: full.url,
    html_url: full.html_url,
    followers_url: full.followers_url,
    following_url: full.following_url,
    gists_url: full.gists_url,
    starred_url: full.starred_url,
    subscriptions_url: full.subscriptions_url,
    organizations_url: full.organizations_url,
    repos_url: full.repos_url,
    events_url: full.events_url,
    received_events_url: full.received_events_url,
    type: full.type,
    site_admin: false,
  };
}
