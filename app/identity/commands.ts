// `/deploy-gate link | unlink | whoami | help`: what each answers, privately, to the person who typed it.
// `link` answers with a link button for that person; `unlink` removes their link at once; `whoami`
// says which GitHub account (if any) they are linked to.
import { escapeMrkdwn } from "../../common/mrkdwn.js";
import { linkBlocks } from "./link-button.js";
import type { LinkStore } from "./links.js";

export const COMMAND = "/deploy-gate";

export interface CommandReply {
  text: string;
  blocks?: unknown[];
}

export interface Commands {
  run(text: string, who: { workspace: string; slackUserId: string }): Promise<CommandReply>;
}

export function createCommands(deps: {
  links: LinkStore;
  /** A link button URL for this person, or undefined when GitHub sign-in is not configured. */
  linkUrl: (workspace: string, slackUserId: string) => string | undefined;
}): Commands {
  const { links } = deps;
  const esc = escapeMrkdwn;

  async function link(workspace: string, slackUserId: string): Promise<CommandReply> {
    const url = deps.linkUrl(workspace, slackUserId);
    if (!url) return { text: notConfigured() };
    const current = await links.get(workspace, slackUserId);
    const text = current
      ? `You are linked to GitHub *@${esc(current.githubLogin)}*. To link another GitHub account instead, sign in with it:`
      : "Sign in to GitHub to link your GitHub account to your Slack account:";
    return {
      text,
      blocks: linkBlocks(text, url, current ? "Link another GitHub account" : undefined),
    };
  }

  return {
    async run(text, { workspace, slackUserId }) {
      const words = text.trim().split(/\s+/).filter(Boolean);
      const verb = (words[0] ?? "help").toLowerCase();
      if (words.length > 1) return { text: usage(`\`${esc(clip(text.trim()))}\` is not a command I know.`) };
      switch (verb) {
        case "link":
          return link(workspace, slackUserId);
        case "unlink": {
          const removed = await links.remove(workspace, slackUserId);
          return {
            text: removed
              ? `Unlinked: your Slack account is no longer linked to GitHub *@${esc(removed.githubLogin)}*. Policies that need a linked account will ask you to link again.`
              : "Your Slack account is not linked to a GitHub account; nothing to unlink.",
          };
        }
        case "whoami": {
          const current = await links.get(workspace, slackUserId);
          if (!current) {
            return {
              text: `Your Slack account is not linked to a GitHub account. Link it with \`${COMMAND} link\`.`,
            };
          }
          const since = Math.floor(current.linkedAt.getTime() / 1000);
          return {
            text: `You are linked to GitHub *@${esc(current.githubLogin)}* (account id ${current.githubUserId}) since <!date^${since}^{date_short_pretty}|${current.linkedAt.toISOString()}>. GitHub is asked at each approval whether the account still exists and which teams it is in. \`${COMMAND} unlink\` removes the link.`,
          };
        }
        case "help":
          return { text: usage() };
        default:
          return { text: usage(`\`${esc(clip(verb))}\` is not a command I know.`) };
      }
    },
  };
}

function usage(first?: string): string {
  return [
    first,
    `\`${COMMAND} link\`: link your GitHub account (you sign in to GitHub; approvals then name you there)`,
    `\`${COMMAND} whoami\`: which GitHub account you are linked to`,
    `\`${COMMAND} unlink\`: remove the link`,
  ]
    .filter(Boolean)
    .join("\n");
}

function notConfigured(): string {
  return "Linking GitHub accounts is not set up on this slack-deploy-gate: its operator has to give it the GitHub App's client ID and secret (GITHUB_CLIENT_ID, GITHUB_CLIENT_SECRET) and its public address (PUBLIC_URL).";
}

function clip(text: string): string {
  return text.length > 40 ? `${text.slice(0, 39)}…` : text;
}
