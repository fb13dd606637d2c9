// Linked accounts: which GitHub account each Slack user proved, by signing in to GitHub, to be theirs.
// One GitHub account per Slack user and one Slack user per GitHub account, within a workspace (the Slack
// enterprise id on Enterprise Grid, where user ids span the org's workspaces; else the team id). Kept
// in the App's database (migration 3) through the store's driver, on SQLite and PostgreSQL alike.
// Also the single-use ids the link flow spends (an OAuth `state`, a slash command's body), kept until
// they expire: spending one twice is how a replay is recognised.
import type { Driver } from "../store/driver.js";
import { all, get, run } from "../store/sql.js";

export interface Link {
  workspace: string;
  slackUserId: string;
  githubUserId: number;
  /** As GitHub spelled it when it was linked or last seen (logins can be renamed; the id cannot). */
  githubLogin: string;
  linkedAt: Date;
}

export type SaveResult =
  | { ok: true; replaced: Link | undefined }
  /** The GitHub account is linked to another Slack user of this workspace. */
  | { ok: false; holder: string };

export interface LinkStore {
  get(workspace: string, slackUserId: string): Promise<Link | undefined>;
  /** The link of a GitHub account in a workspace, if any. */
  forGitHubUser(workspace: string, githubUserId: number): Promise<Link | undefined>;
  /**
   * Links a Slack user to a GitHub account, replacing the Slack user's previous link; refused when the
   * account is linked to another Slack user of the workspace (that person, or an admin, unlinks first).
   */
  save(link: Link): Promise<SaveResult>;
  /** Removes a Slack user's link; returns it, or undefined when there was none. */
  remove(workspace: string, slackUserId: string): Promise<Link | undefined>;
  /** Every link, or those of one workspace; by workspace, then Slack user. */
  list(workspace?: string): Promise<Link[]>;
  /** GitHub says the account now has another login: the link follows it. */
  renamed(workspace: string, slackUserId: string, githubUserId: number, login: string): Promise<void>;
  /**
   * Spends a single-use id: true the first time, false ever after (until it expires and is pruned,
   * which is after anything carrying it has stopped being accepted). Expired ids are pruned here.
   */
  spend(id: string, expiresAt: Date, now: Date): Promise<boolean>;
}

interface LinkRecord {
  workspace: string;
  slack_user_id: string;
  github_user_id: number;
  github_login: string;
  linked_at: number;
}

const COLUMNS = "workspace, slack_user_id, github_user_id, github_login, linked_at";
const SQL = {
  get: `SELECT ${COLUMNS} FROM identity_links WHERE workspace = ? AND slack_user_id = ?`,
  byGitHub: `SELECT ${COLUMNS} FROM identity_links WHERE workspace = ? AND github_user_id = ?`,
  insert: `INSERT INTO identity_links (${COLUMNS}) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
  delete: "DELETE FROM identity_links WHERE workspace = ? AND slack_user_id = ?",
  listAll: `SELECT ${COLUMNS} FROM identity_links ORDER BY workspace, slack_user_id`,
  listOne: `SELECT ${COLUMNS} FROM identity_links WHERE workspace = ? ORDER BY slack_user_id`,
  rename:
    "UPDATE identity_links SET github_login = ? WHERE workspace = ? AND slack_user_id = ? AND github_user_id = ?",
  spend: "INSERT INTO identity_nonces (id, expires_at) VALUES (?, ?) ON CONFLICT (id) DO NOTHING",
  prune: "DELETE FROM identity_nonces WHERE expires_at < ?",
} as const;

/** Thrown inside a save to roll it back: a concurrent link took the GitHub account first. */
class Taken extends Error {
  constructor(readonly holder: string) {
    super("taken");
  }
}

export function createLinkStore(driver: Driver): LinkStore {
  const one = async (sql: string, params: (string | number)[]) => {
    const row = await driver.run(get<LinkRecord>(sql, params));
    return row && toLink(row);
  };

  return {
    get: (workspace, slackUserId) => one(SQL.get, [workspace, slackUserId]),
    forGitHubUser: (workspace, githubUserId) => one(SQL.byGitHub, [workspace, githubUserId]),

    async save(link) {
      try {
        return await driver.transaction(
          (function* () {
            const holder = yield* get<LinkRecord>(SQL.byGitHub, [link.workspace, link.githubUserId]);
            if (holder && holder.slack_user_id !== link.slackUserId) throw new Taken(holder.slack_user_id);
            const previous = yield* get<LinkRecord>(SQL.get, [link.workspace, link.slackUserId]);
            if (previous) yield* run(SQL.delete, [link.workspace, link.slackUserId]);
            const inserted = yield* run(SQL.insert, [
              link.workspace,
              link.slackUserId,
              link.githubUserId,
              link.githubLogin,
              link.linkedAt.getTime(),
            ]);
            if (inserted !== 1) {
              // Another Slack user's link to this account committed between the check and the insert.
              const winner = yield* get<LinkRecord>(SQL.byGitHub, [link.workspace, link.githubUserId]);
              throw new Taken(winner?.slack_user_id ?? "another Slack user");
            }
            return { ok: true as const, replaced: previous && toLink(previous) };
          })(),
        );
      } catch (error) {
        if (error instanceof Taken) return { ok: false, holder: error.holder };
        throw error;
      }
    },

    async remove(workspace, slackUserId) {
      return driver.transaction(
        (function* () {
          const row = yield* get<LinkRecord>(SQL.get, [workspace, slackUserId]);
          if (row) yield* run(SQL.delete, [workspace, slackUserId]);
          return row && toLink(row);
        })(),
      );
    },

    async list(workspace) {
      const rows = await driver.run(
        workspace === undefined ? all<LinkRecord>(SQL.listAll) : all<LinkRecord>(SQL.listOne, [workspace]),
      );
      return rows.map(toLink);
    },

    async renamed(workspace, slackUserId, githubUserId, login) {
      await driver.run(run(SQL.rename, [login, workspace, slackUserId, githubUserId]));
    },

    async spend(id, expiresAt, now) {
      return driver.run(
        (function* () {
          yield* run(SQL.prune, [now.getTime()]);
          return (yield* run(SQL.spend, [id, expiresAt.getTime()])) === 1;
        })(),
      );
    },
  };
}

function toLink(row: LinkRecord): Link {
  return {
    workspace: row.workspace,
    slackUserId: row.slack_user_id,
    githubUserId: Number(row.github_user_id),
    githubLogin: row.github_login,
    linkedAt: new Date(Number(row.linked_at)),
  };
}
