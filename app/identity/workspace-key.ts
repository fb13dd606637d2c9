// Which Slack workspace a link belongs to: the Enterprise Grid org when there is one (its user ids
// span all of its workspaces), else the workspace (team). Taken from the App's workspace pin, never
// from a request, so a link is only ever read or written for the workspace the App serves.
import type { SlackIdentity } from "../slack/workspace.js";

export function workspaceKeyOf(identity: SlackIdentity | undefined): string | undefined {
  if (!identity) return undefined;
  return identity.enterpriseId ?? identity.teamId ?? undefined;
}
