// The GitHub side of one click: the clicker's linked account and team memberships, read through the
// installation that covers the request's repository. One per click (authorize.ts makes it), so a
// person's link is read from the database and checked against GitHub once however often the click
// path asks.
import type { Octokit } from "../github/installations.js";
import type { GithubTeam } from "../policy/index.js";
import type { Identity, LinkedAccount } from "./index.js";

export interface ClickerLookup {
  /** Whether a "Link your GitHub account" button can be offered (GitHub sign-in is configured). */
  readonly canLink: boolean;
  /** The person's link, as GitHub sees its account now. */
  linked(slackUserId: string): Promise<LinkedAccount>;
  /** Whether the login is an active member of the team. Throws DirectoryRefusedError when GitHub will not say. */
  inTeam(team: GithubTeam, login: string): Promise<boolean>;
}

export function clickerLookup(identity: Identity, octokit: Octokit): ClickerLookup {
  const links = new Map<string, Promise<LinkedAccount>>();
  return {
    canLink: identity.linking,
    linked(slackUserId) {
      let found = links.get(slackUserId);
      if (!found) {
        found = identity.linkedAccount(octokit, slackUserId);
        links.set(slackUserId, found);
        // A failed read is not kept: asking again asks again.
        found.catch(() => links.delete(slackUserId));
      }
      return found;
    },
    inTeam: (team, login) => identity.directory.inTeam(octokit, team.org, team.slug, login),
  };
}
