// Picks the storage backend from DATABASE_URL, opens it and brings its schema up to date.
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { PostgresDriver } from "./postgres.js";
import { SqliteDriver } from "./sqlite.js";
import { SqlStore } from "./store.js";
import type { Store } from "./types.js";

export type * from "./types.js";

export const DEFAULT_SQLITE_PATH = "./data/slack-deploy-gate.db";

const ACCEPTED_FORMS =
  "leave it unset for a SQLite file at ./data/slack-deploy-gate.db, or use sqlite:///absolute/path.db, " +
  "sqlite:relative/path.db, file:path.db, or postgres://user:password@host:5432/database (postgresql:// also works)";

export type DatabaseTarget = { kind: "sqlite"; path: string } | { kind: "postgres"; url: string };

export interface OpenStoreOptions {
  log?: (msg: string) => void;
}

/** Opens the store DATABASE_URL names (SQLite by default) and runs its migrations before returning it. */
export async function openStore(
  databaseUrl: string | undefined,
  options: OpenStoreOptions = {},
): Promise<Store> {
  const target = parseDatabaseUrl(databaseUrl);
  const log = options.log ?? (() => {});
  const store = new SqlStore(
    target.kind === "sqlite" ? new SqliteDriver(target.path) : new PostgresDriver(target.url, { log }),
  );
  try {
    await store.migrate();
  } catch (error) {
    await store.close().catch(() => {});
    throw error;
  }
  log(
    target.kind === "sqlite"
      ? `store: SQLite at ${target.path}`
      : `store: PostgreSQL at ${redactDatabaseUrl(target.url)}`,
  );
  return store;
}

/** Which backend a DATABASE_URL names; throws an Error naming the accepted forms (never echoing the URL). */
export function parseDatabaseUrl(databaseUrl: string | undefined): DatabaseTarget {
  const url = databaseUrl?.trim() ?? "";
  if (url === "") return { kind: "sqlite", path: resolve(DEFAULT_SQLITE_PATH) };
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
  if (scheme === "postgres" || scheme === "postgresql") {
    if (!url.slice(scheme.length + 1).startsWith("//")) throw unsupported("a postgres URL needs //host");
    return { kind: "postgres", url };
  }
  if (scheme === "sqlite" || scheme === "file") {
    return { kind: "sqlite", path: resolve(sqlitePath(url, scheme)) };
  }
  // Name the scheme only when it looks like one: the rest of the value may hold a password.
  const shown =
    scheme && /^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? ` (scheme "${scheme}:" is not supported)` : "";
  throw unsupported(`not a database URL this App understands${shown}`);
}

function sqlitePath(url: string, scheme: string): string {
  const rest = url.slice(scheme.length + 1);
  let path: string;
  if (rest.startsWith("//")) {
    // URL form: only an empty (or localhost) authority makes sense for a local file.
    const normalised = `file:${rest}`;
    try {
      path = fileURLToPath(normalised);
    } catch {
      throw unsupported(`a ${scheme}:// URL must name a local file, as ${scheme}:///absolute/path.db`);
    }
  } else {
    path = rest;
  }
  if (path === "" || path.endsWith("/")) throw unsupported(`the ${scheme}: URL names no file`);
  return path;
}

function unsupported(problem: string): Error {
  return new Error(`DATABASE_URL: ${problem}; ${ACCEPTED_FORMS}`);
}

/** The URL with any password (in the user info or the query) replaced by ***, for logs. */
export function redactDatabaseUrl(databaseUrl: string | undefined): string {
  const url = databaseUrl?.trim() ?? "";
  if (url === "") return `(default SQLite file ${DEFAULT_SQLITE_PATH})`;
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    for (const key of [...parsed.searchParams.keys()]) {
      if (SECRET_PARAM.test(key)) parsed.searchParams.set(key, "***");
    }
    return parsed.href;
  } catch {
    // Not parseable as a URL: blank everything from the user name's ":" to the last "@" (a password may
    // hold "@" itself), and any secret-looking parameter.
    return url
      .replace(/^([^:/?#]+:\/\/[^/?#@:]*):.*@/, "$1:***@")
      .replace(new RegExp(`([?&](?:[^=&]*${SECRET_PARAM.source}[^=&]*)=)[^&]*`, "gi"), "$1***");
  }
}

const SECRET_PARAM = /pass|secret|token/i;
