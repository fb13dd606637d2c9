// `npm run links`: what an administrator sees and removes of the linked accounts, over the App's own
// database (DATABASE_URL, from the environment or `.env`, as `npm start` reads it). A person sees and
// removes their own link in Slack (`/deploy-gate whoami | unlink`); this is for everyone else's:
//   npm run links -- list [--workspace T0123] [--json]
//   npm run links -- remove <Slack user id> [--workspace T0123]
//   npm run links -- remove-github <GitHub login or account id> [--workspace T0123]
// Removing a link takes effect at the next click (links are read per click, never cached).
import { pathToFileURL } from "node:url";
import { loadEnvFile } from "../ops/env-file.js";
import { openStore, redactDatabaseUrl } from "../store/index.js";
import { createLinkStore, type Link, type LinkStore } from "./links.js";

const USAGE = `usage: npm run links -- <command>
  list [--workspace <id>] [--json]          every linked account (Slack user, GitHub login and id, since when)
  remove <Slack user id> [--workspace <id>]  remove one person's link
  remove-github <login or id> [--workspace <id>]  remove the link of a GitHub account
The database is DATABASE_URL (environment, then .env), as npm start uses it.`;

class UsageError extends Error {}

interface Args {
  command: string;
  target: string | undefined;
  workspace: string | undefined;
  json: boolean;
}

function parseArgs(argv: string[]): Args {
  const rest: string[] = [];
  let workspace: string | undefined;
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--workspace") {
      workspace = argv[++i];
      if (!workspace || !/^[TE][A-Z0-9]{2,30}$/.test(workspace))
        throw new UsageError("--workspace needs a Slack workspace or Enterprise Grid id (T… or E…)");
    } else if (arg === "--json") json = true;
    else if (arg === "--help" || arg === "-h") throw new UsageError("");
    else rest.push(arg);
  }
  const [command, target, ...extra] = rest;
  if (!command || extra.length > 0) throw new UsageError("");
  return { command, target, workspace, json };
}

function table(links: Link[]): string {
  if (links.length === 0) return "No linked accounts.";
  const rows = links.map((l) => [
    l.workspace,
    l.slackUserId,
    `@${l.githubLogin}`,
    String(l.githubUserId),
    l.linkedAt.toISOString(),
  ]);
  const head = ["workspace", "slack user", "github login", "github id", "linked at"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] as number))
      .join("  ")
      .trimEnd();
  return [line(head), ...rows.map(line)].join("\n");
}

/** The one workspace meant: the one given, or the only one that has links. */
async function workspaceOf(links: LinkStore, given: string | undefined): Promise<string> {
  if (given) return given;
  const workspaces = [...new Set((await links.list()).map((l) => l.workspace))];
  if (workspaces.length === 1) return workspaces[0] as string;
  if (workspaces.length === 0) throw new UsageError("No linked accounts.");
  throw new UsageError(
    `Links exist in several workspaces (${workspaces.join(", ")}): name one with --workspace.`,
  );
}

export async function runLinksCli(
  argv: string[],
  env: Record<string, string | undefined>,
  out: (line: string) => void,
): Promise<number> {
  let args: Args;
  try {
    args = parseArgs(argv);
  } catch (error) {
    out(error instanceof UsageError && error.message ? `${error.message}\n${USAGE}` : USAGE);
    return 2;
  }
  const store = await openStore(env.DATABASE_URL);
  try {
    const links = createLinkStore(store.driver);
    switch (args.command) {
      case "list": {
        const all = await links.list(args.workspace);
        out(args.json ? JSON.stringify(all, null, 2) : table(all));
        return 0;
      }
      case "remove": {
        if (!args.target || !/^[UW][A-Z0-9]{1,30}$/.test(args.target)) {
          out(`remove needs a Slack user id (U… or W…)\n${USAGE}`);
          return 2;
        }
        const workspace = await workspaceOf(links, args.workspace);
        const removed = await links.remove(workspace, args.target);
        out(
          removed
            ? `Removed: ${removed.slackUserId} is no longer linked to @${removed.githubLogin} (workspace ${workspace}).`
            : `${args.target} has no link in workspace ${workspace}.`,
        );
        return removed ? 0 : 1;
      }
      case "remove-github": {
        if (!args.target) {
          out(`remove-github needs a GitHub login or account id\n${USAGE}`);
          return 2;
        }
        const workspace = await workspaceOf(links, args.workspace);
        const target = args.target.replace(/^@/, "").toLowerCase();
        const found = (await links.list(workspace)).find(
          (l) => String(l.githubUserId) === target || l.githubLogin.toLowerCase() === target,
        );
        const removed = found && (await links.remove(workspace, found.slackUserId));
        out(
          removed
            ? `Removed: @${removed.githubLogin} is no longer linked to ${removed.slackUserId} (workspace ${workspace}).`
            : `No link to GitHub ${args.target} in workspace ${workspace}.`,
        );
        return removed ? 0 : 1;
      }
      default:
        out(`unknown command "${args.command}"\n${USAGE}`);
        return 2;
    }
  } catch (error) {
    if (error instanceof UsageError) {
      out(error.message);
      return 1;
    }
    throw error;
  } finally {
    await store.close();
  }
}

// Run as a program (`node build/app/identity/links-cli.js`), not when imported.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    loadEnvFile(".env");
  } catch (error) {
    process.stderr.write(`links: ${(error as Error).message}\n`);
    process.exit(1);
  }
  runLinksCli(process.argv.slice(2), process.env, (line) => process.stdout.write(`${line}\n`)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(
        `links: ${(error as Error).message} (database: ${redactDatabaseUrl(process.env.DATABASE_URL)})\n`,
      );
      process.exit(1);
    },
  );
}
