// Who an approver is on GitHub. A Slack user proves it once by signing in to GitHub (the link flow:
// link-routes.ts, started from a button or `/deploy-gate link`); the App keeps the link (links.ts) and,
// at every click where it matters, asks GitHub through the installation whether that account still
// exists and which teams it is in (directory.ts). This module wires those pieces and answers the click
// path's two questions: who is this clicker on GitHub, and may I offer them a link button.
import type { Logger } from "pino";
import type { Octokit } from "../github/installations.js";
import type { BodySlots } from "../http/body-slots.js";
import type { RequestHandler } from "../http/server.js";
import type { WorkspacePin } from "../slack/workspace.js";
import type { Store } from "../store/types.js";
import { commandRoute } from "./command-route.js";
import { createCommands } from "./commands.js";
import { createDirectory, type Directory, type DirectoryOptions } from "./directory.js";
import { CALLBACK_PATH, LINK_PATH, linkRoutes } from "./link-routes.js";
import { createLinkStore, type LinkStore } from "./links.js";
import { createSignIn, type SignIn } from "./signin.js";
import { createTickets, type Tickets } from "./tickets.js";
import { workspaceKeyOf } from "./workspace-key.js";

export { LINK_ACTION_ID, linkBlocks } from "./link-button.js";
export type { Link, LinkStore } from "./links.js";

export interface LinkingSettings {
  clientId: string;
  clientSecret: string;
  /** The App's public address, without a trailing slash. */
  publicUrl: string;
  githubApiUrl: string;
}

/** What GitHub says of a clicker's linked account right now. */
export type LinkedAccount =
  | { kind: "none" }
  | { kind: "linked"; login: string; githubUserId: number }
  /** Linked, but GitHub says the account is deleted or suspended: it vouches for nobody. */
  /** `missing`: GitHub no longer finds it (deleted; github.com also hides suspended accounts). */
  | { kind: "gone"; login: string; why: "missing" | "suspended" };

export interface Identity {
  readonly links: LinkStore;
  readonly directory: Directory;
  /** Whether people can link (GitHub sign-in configured). */
  readonly linking: boolean;
  /** The Slack workspace the App serves, once the pin knows it. */
  workspaceKey(): string | undefined;
  /** The clicker's link, checked against GitHub now (a renamed login is followed and stored). */
  linkedAccount(octokit: Octokit, slackUserId: string): Promise<LinkedAccount>;
  /** A fresh link button URL for this person, or undefined when linking is not possible. */
  linkUrl(slackUserId: string): string | undefined;
  /** The link routes and `/slack/commands`, once the ingress (its pin and body cap) exists. */
  routes(deps: { signingSecret: string; workspace: WorkspacePin; bodies: BodySlots }): RequestHandler[];
}

export interface IdentityOptions {
  store: Pick<Store, "driver">;
  /** Undefined: GitHub sign-in is not configured, so nobody can link (the rest still works). */
  linking: LinkingSettings | undefined;
  /** The workspace pin's identity (set once the ingress exists). */
  pinnedWorkspace: () => ReturnType<WorkspacePin["identity"]>;
  slackName: (slackUserId: string) => Promise<string | undefined>;
  log: Logger;
  now?: () => Date;
  directory?: DirectoryOptions;
}

export function createIdentity(options: IdentityOptions): Identity {
  const { linking, log } = options;
  const now = options.now ?? (() => new Date());
  const links = createLinkStore(options.store.driver);
  const directory = createDirectory({ now: () => now().getTime(), ...options.directory });
  const tickets: Tickets | undefined = linking ? createTickets(linking.clientSecret) : undefined;
  const signIn: SignIn | undefined = linking
    ? createSignIn({
        clientId: linking.clientId,
        clientSecret: linking.clientSecret,
        redirectUrl: `${linking.publicUrl}${CALLBACK_PATH}`,
        githubApiUrl: linking.githubApiUrl,
      })
    : undefined;
  const workspaceKey = () => workspaceKeyOf(options.pinnedWorkspace());

  const linkUrlFor = (workspace: string, slackUserId: string): string | undefined => {
    if (!tickets || !linking) return undefined;
    const { token } = tickets.issue("link", { workspace, slackUserId }, now());
    return `${linking.publicUrl}${LINK_PATH}?ticket=${encodeURIComponent(token)}`;
  };

  return {
    links,
    directory,
    linking: Boolean(linking),
    workspaceKey,

    async linkedAccount(octokit, slackUserId) {
      const workspace = workspaceKey();
      if (!workspace) return { kind: "none" };
      const link = await links.get(workspace, slackUserId);
      if (!link) return { kind: "none" };
      const account = await directory.account(octokit, link.githubUserId);
      if (account.kind === "gone") return { kind: "gone", login: link.githubLogin, why: "missing" };
      if (account.kind === "suspended") return { kind: "gone", login: account.login, why: "suspended" };
      if (account.login !== link.githubLogin) {
        // Renamed on GitHub: the id is the account; the stored login follows it.
        await links
          .renamed(workspace, slackUserId, link.githubUserId, account.login)
          .catch((error: unknown) => log.warn({ err: error }, "could not store a renamed GitHub login"));
      }
      return { kind: "linked", login: account.login, githubUserId: link.githubUserId };
    },

    linkUrl(slackUserId) {
      const workspace = workspaceKey();
      return workspace ? linkUrlFor(workspace, slackUserId) : undefined;
    },

    routes({ signingSecret, workspace, bodies }) {
      const commands = createCommands({ links, linkUrl: linkUrlFor });
      const handlers: RequestHandler[] = [
        commandRoute({ signingSecret, workspace, bodies, links, commands, log, now }),
      ];
      if (tickets && signIn && linking) {
        handlers.push(
          linkRoutes({
            tickets,
            signIn,
            links,
            workspaceKey,
            slackName: options.slackName,
            publicUrl: linking.publicUrl,
            bodies,
            log,
            now,
          }),
        );
      }
      return handlers;
    },
  };
}
