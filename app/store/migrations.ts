// The schema as ordered migrations. Each backend records the versions it has applied in
// `schema_migrations` and applies the missing ones in order, inside one locked transaction, so a
// database is never left half-upgraded and two replicas starting together apply each step once.
// Once a migration has shipped it never changes: a schema change is a new migration at the end.

export interface Migration {
  version: number;
  name: string;
  /** SQLite dialect: dates are epoch milliseconds (INTEGER), JSON is TEXT. */
  sqlite: string;
  /** PostgreSQL dialect: dates are timestamptz, JSON is jsonb, GitHub ids are bigint. */
  postgres: string;
}

export const MIGRATIONS_TABLE_SQLITE = `
CREATE TABLE IF NOT EXISTS schema_migrations (
  version INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  applied_at INTEGER NOT NULL
)`;

export const MIGRATIONS_TABLE_POSTGRES = `
CREATE TABLE IF NOT EXISTS schema_migrations (
  version integer PRIMARY KEY,
  name text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
)`;

const DECISIONS = "'approved', 'rejected'";
const DELIVERY_STATES = "'none', 'due', 'delivered', 'obsolete'";
const VOTES = "'approve', 'reject'";

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "requests, votes, gates",
    sqlite: `
CREATE TABLE requests (
  request_id TEXT PRIMARY KEY,
  repository TEXT NOT NULL,
  run_id INTEGER NOT NULL,
  run_attempt INTEGER NOT NULL,
  environment TEXT NOT NULL,
  mode TEXT NOT NULL,
  channel_id TEXT NOT NULL,
  message_ts TEXT NOT NULL,
  message_blocks TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  decision TEXT CHECK (decision IN (${DECISIONS})),
  decided_at INTEGER,
  decided_by TEXT NOT NULL DEFAULT '[]',
  reason TEXT,
  delivery TEXT NOT NULL DEFAULT 'none' CHECK (delivery IN (${DELIVERY_STATES})),
  delivery_attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER,
  lease_until INTEGER,
  last_error TEXT,
  delivery_note TEXT
);
CREATE INDEX requests_by_run ON requests (repository, run_id, environment);
CREATE INDEX requests_by_delivery ON requests (delivery, next_attempt_at);

CREATE TABLE votes (
  id INTEGER PRIMARY KEY,
  request_id TEXT NOT NULL REFERENCES requests (request_id) ON DELETE CASCADE,
  slack_user_id TEXT NOT NULL,
  vote TEXT NOT NULL CHECK (vote IN (${VOTES})),
  reason TEXT,
  at INTEGER NOT NULL,
  UNIQUE (request_id, slack_user_id)
);

CREATE TABLE gates (
  repository TEXT NOT NULL,
  run_id INTEGER NOT NULL,
  environment TEXT NOT NULL,
  installation_id INTEGER NOT NULL,
  callback_url TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  PRIMARY KEY (repository, run_id, environment)
);`,
    postgres: `
CREATE TABLE requests (
  request_id text PRIMARY KEY,
  repository text NOT NULL,
  run_id bigint NOT NULL,
  run_attempt integer NOT NULL,
  environment text NOT NULL,
  mode text NOT NULL,
  channel_id text NOT NULL,
  message_ts text NOT NULL,
  message_blocks jsonb NOT NULL,
  created_at timestamptz NOT NULL,
  decision text CHECK (decision IN (${DECISIONS})),
  decided_at timestamptz,
  decided_by jsonb NOT NULL DEFAULT '[]'::jsonb,
  reason text,
  delivery text NOT NULL DEFAULT 'none' CHECK (delivery IN (${DELIVERY_STATES})),
  delivery_attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz,
  lease_until timestamptz,
  last_error text,
  delivery_note text
);
CREATE INDEX requests_by_run ON requests (repository, run_id, environment);
CREATE INDEX requests_by_delivery ON requests (delivery, next_attempt_at);

CREATE TABLE votes (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  request_id text NOT NULL REFERENCES requests (request_id) ON DELETE CASCADE,
  slack_user_id text NOT NULL,
  vote text NOT NULL CHECK (vote IN (${VOTES})),
  reason text,
  at timestamptz NOT NULL,
  UNIQUE (request_id, slack_user_id)
);

CREATE TABLE gates (
  repository text NOT NULL,
  run_id bigint NOT NULL,
  environment text NOT NULL,
  installation_id bigint NOT NULL,
  callback_url text NOT NULL,
  received_at timestamptz NOT NULL,
  PRIMARY KEY (repository, run_id, environment)
);`,
  },
];

/** The newest schema version this build knows. */
export const LATEST_SCHEMA_VERSION = MIGRATIONS.reduce((max, m) => Math.max(max, m.version), 0);

/** Migrations not yet in `applied`, in order. Throws if the database is newer than this build. */
export function pendingMigrations(applied: Iterable<number>): Migration[] {
  const done = new Set(applied);
  const newest = Math.max(0, ...done);
  if (newest > LATEST_SCHEMA_VERSION) {
    throw new Error(
      `database schema version ${newest} is newer than this build knows (${LATEST_SCHEMA_VERSION}): upgrade the App`,
    );
  }
  return [...MIGRATIONS].sort((a, b) => a.version - b.version).filter((m) => !done.has(m.version));
}
