// The schema as ordered migrations. Each backend records the versions it has applied in
// `schema_migrations` and applies the missing ones in order, inside one locked transaction, so a
// database is never left half-upgraded and two replicas starting together apply each step once.
// Once a migration has shipped it never changes: a schema change is a new migration at the end.
// From version 2 on, both databases hold the same schema: dates as epoch milliseconds (bigint), JSON
// as text, so that the store's SQL (app/store/statements.ts) is one text for both.
import { ACTIVITY_SCHEMA } from "../activity/schema.js";
import { environmentKey } from "./records.js";
import { all, exec, type Program, run } from "./sql.js";

export interface Migration {
  version: number;
  name: string;
  /** SQLite dialect. */
  sqlite: string;
  /** PostgreSQL dialect. */
  postgres: string;
  /** A step in JavaScript after the SQL, in the same transaction. */
  after?: () => Program<void>;
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

// ---- Version 2: effects and inbound interactions; one schema for both databases ----

const DECISIONS_V2 = "'approved', 'rejected', 'expired'";
const EFFECT_STATES = "'waiting', 'due', 'done', 'obsolete', 'failed'";

/** The same text on both databases (SQLite reads bigint as INTEGER). */
const EFFECTS_AND_INBOUND = `
CREATE TABLE effects (
  id text PRIMARY KEY,
  request_id text NOT NULL REFERENCES requests (request_id) ON DELETE CASCADE,
  kind text NOT NULL,
  payload text NOT NULL,
  state text NOT NULL CHECK (state IN (${EFFECT_STATES})),
  generation integer NOT NULL DEFAULT 1,
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at bigint,
  lease_until bigint,
  last_error text,
  note text,
  result text,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL
);
CREATE INDEX effects_by_request ON effects (request_id, created_at);
CREATE INDEX effects_due ON effects (next_attempt_at) WHERE state = 'due';

CREATE TABLE inbound (
  id text PRIMARY KEY,
  received_at bigint NOT NULL,
  body text NOT NULL,
  attempts integer NOT NULL DEFAULT 0,
  lease_until bigint,
  finished integer NOT NULL DEFAULT 0 CHECK (finished IN (0, 1))
);
CREATE INDEX inbound_by_state ON inbound (finished, received_at);`;

/**
 * Version 1 delivered one thing, gate mode's review, as columns on the request: each delivery state
 * becomes a `github.review` effect. Due and known to GitHub as a gate: due (retried as before); due
 * with no gate yet: waiting for it; delivered: done; obsolete (decided or not): obsolete, with its note.
 * The payload names no gate (app/effects/review.ts then reads it). Runs once dates are epoch
 * milliseconds on both databases, so it is one text.
 */
const EFFECTS_FROM_DELIVERY = `
INSERT INTO effects (id, request_id, kind, payload, state, attempts, next_attempt_at, last_error, note,
    created_at, updated_at)
  SELECT r.request_id || ':github.review', r.request_id, 'github.review', '{"gate":null}',
    CASE
      WHEN r.delivery = 'delivered' THEN 'done'
      WHEN r.delivery = 'obsolete' THEN 'obsolete'
      WHEN g.run_id IS NOT NULL THEN 'due'
      ELSE 'waiting'
    END,
    r.delivery_attempts,
    CASE WHEN r.delivery = 'due' AND g.run_id IS NOT NULL THEN COALESCE(r.next_attempt_at, r.decided_at) END,
    r.last_error, r.delivery_note,
    COALESCE(r.decided_at, r.created_at), COALESCE(r.decided_at, r.created_at)
  FROM requests r
  LEFT JOIN (SELECT DISTINCT repository, run_id, lower(environment) AS environment_key FROM gates) g
    ON g.repository = r.repository AND g.run_id = r.run_id AND g.environment_key = lower(r.environment)
  WHERE r.delivery <> 'none';`;

/** Version 1 kept approvers' Slack ids; version 2 keeps deciders (names unknown for old decisions). */
const SQLITE_DECIDERS = `(SELECT json_group_array(
    json_object('slackUserId', value, 'name', NULL, 'githubLogin', NULL) ORDER BY key)
  FROM json_each(requests.decided_by))`;

const POSTGRES_DECIDERS = `(SELECT coalesce(
    jsonb_agg(jsonb_build_object('slackUserId', u, 'name', NULL, 'githubLogin', NULL) ORDER BY n),
    '[]'::jsonb)::text
  FROM jsonb_array_elements_text(decided_by::jsonb) WITH ORDINALITY AS e(u, n))`;

/** timestamptz → epoch milliseconds. */
const ms = (column: string) => `(round(extract(epoch FROM ${column}) * 1000))::bigint`;

const V2_SQLITE = `${EFFECTS_AND_INBOUND}
${EFFECTS_FROM_DELIVERY}

-- SQLite cannot drop columns in a CHECK or an index, nor change a CHECK: rebuild the tables.
CREATE TABLE requests_v2 (
  request_id TEXT PRIMARY KEY,
  repository TEXT NOT NULL,
  run_id INTEGER NOT NULL,
  run_attempt INTEGER NOT NULL,
  environment TEXT NOT NULL,
  environment_key TEXT NOT NULL,
  mode TEXT NOT NULL,
  channel_id TEXT NOT NULL,
  message_ts TEXT NOT NULL,
  message_blocks TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  decision TEXT CHECK (decision IN (${DECISIONS_V2})),
  decided_at INTEGER,
  decided_by TEXT NOT NULL DEFAULT '[]',
  reason TEXT
);
INSERT INTO requests_v2 (request_id, repository, run_id, run_attempt, environment, environment_key, mode,
    channel_id, message_ts, message_blocks, created_at, decision, decided_at, decided_by, reason)
  SELECT request_id, repository, run_id, run_attempt, environment, lower(environment), mode,
    channel_id, message_ts, message_blocks, created_at, decision, decided_at, ${SQLITE_DECIDERS}, reason
  FROM requests;
DROP TABLE requests;
ALTER TABLE requests_v2 RENAME TO requests;
CREATE INDEX requests_by_run ON requests (repository, run_id, environment_key);

CREATE TABLE gates_v2 (
  repository TEXT NOT NULL,
  run_id INTEGER NOT NULL,
  environment TEXT NOT NULL,
  environment_key TEXT NOT NULL,
  installation_id INTEGER NOT NULL,
  received_at INTEGER NOT NULL,
  PRIMARY KEY (repository, run_id, environment_key)
);
-- Two spellings of one environment for one run: the gate GitHub sent last is the one kept.
INSERT INTO gates_v2 (repository, run_id, environment, environment_key, installation_id, received_at)
  SELECT repository, run_id, environment, lower(environment), installation_id, received_at
  FROM gates WHERE true
  ORDER BY received_at DESC, environment DESC
  ON CONFLICT DO NOTHING;
DROP TABLE gates;
ALTER TABLE gates_v2 RENAME TO gates;`;

const V2_POSTGRES = `
ALTER TABLE requests
  ALTER COLUMN message_blocks TYPE text USING message_blocks::text,
  ALTER COLUMN created_at TYPE bigint USING ${ms("created_at")},
  ALTER COLUMN decided_at TYPE bigint USING ${ms("decided_at")},
  ALTER COLUMN decided_by DROP DEFAULT,
  ALTER COLUMN decided_by TYPE text USING decided_by::text,
  ALTER COLUMN decided_by SET DEFAULT '[]',
  ALTER COLUMN next_attempt_at TYPE bigint USING ${ms("next_attempt_at")},
  ALTER COLUMN lease_until TYPE bigint USING ${ms("lease_until")};
ALTER TABLE votes ALTER COLUMN at TYPE bigint USING ${ms("at")};
ALTER TABLE gates ALTER COLUMN received_at TYPE bigint USING ${ms("received_at")};
${EFFECTS_AND_INBOUND}
${EFFECTS_FROM_DELIVERY}

UPDATE requests SET decided_by = ${POSTGRES_DECIDERS};
ALTER TABLE requests
  DROP COLUMN delivery,
  DROP COLUMN delivery_attempts,
  DROP COLUMN next_attempt_at,
  DROP COLUMN lease_until,
  DROP COLUMN last_error,
  DROP COLUMN delivery_note,
  DROP CONSTRAINT requests_decision_check,
  ADD CONSTRAINT requests_decision_check CHECK (decision IN (${DECISIONS_V2})),
  ADD COLUMN environment_key text;
UPDATE requests SET environment_key = lower(environment);
ALTER TABLE requests ALTER COLUMN environment_key SET NOT NULL;
DROP INDEX requests_by_run;
CREATE INDEX requests_by_run ON requests (repository, run_id, environment_key);

ALTER TABLE gates DROP COLUMN callback_url, ADD COLUMN environment_key text;
UPDATE gates SET environment_key = lower(environment);
-- Two spellings of one environment for one run: the gate GitHub sent last is the one kept.
DELETE FROM gates a USING gates b
  WHERE a.repository = b.repository AND a.run_id = b.run_id AND a.environment_key = b.environment_key
    AND (a.received_at, a.environment) < (b.received_at, b.environment);
ALTER TABLE gates
  ALTER COLUMN environment_key SET NOT NULL,
  DROP CONSTRAINT gates_pkey,
  ADD PRIMARY KEY (repository, run_id, environment_key);`;

/**
 * SQL's lower() folds ASCII only (SQLite) or by the server's locale (PostgreSQL); the App folds with
 * JavaScript's toLowerCase (environmentKey). Re-key the names where the two disagree.
 */
function* foldEnvironmentKeys(): Program<void> {
  for (const table of ["requests", "gates"] as const) {
    const names = yield* all<{ environment: string; environment_key: string }>(
      `SELECT DISTINCT environment, environment_key FROM ${table}`,
    );
    for (const { environment, environment_key } of names) {
      const key = environmentKey(environment);
      if (key === environment_key) continue;
      if (table === "gates") {
        // The run already has a gate under the right key in another spelling: keep the re-keyed one.
        yield* run(
          `DELETE FROM gates WHERE environment_key = ? AND environment <> ? AND EXISTS (
             SELECT 1 FROM gates g
             WHERE g.environment = ? AND g.repository = gates.repository AND g.run_id = gates.run_id)`,
          [key, environment, environment],
        );
      }
      yield* run(`UPDATE ${table} SET environment_key = ? WHERE environment = ?`, [key, environment]);
    }
  }
}

/**
 * Linked accounts (app/identity/): which GitHub account a Slack user proved to be theirs, one per Slack
 * user and one Slack user per GitHub account in a workspace (Slack enterprise or team id); and the
 * single-use ids of the link flow (OAuth `state`, slash commands), kept until they expire.
 */
const IDENTITY = `
CREATE TABLE identity_links (
  workspace text NOT NULL,
  slack_user_id text NOT NULL,
  github_user_id bigint NOT NULL,
  github_login text NOT NULL,
  linked_at bigint NOT NULL,
  PRIMARY KEY (workspace, slack_user_id),
  UNIQUE (workspace, github_user_id)
);
CREATE TABLE identity_nonces (
  id text PRIMARY KEY,
  expires_at bigint NOT NULL
);
CREATE INDEX identity_nonces_by_expiry ON identity_nonces (expires_at);`;

// ---- Version 5: a request's life beyond the decision (app/requests/) ----

/**
 * The same text on both databases. `closed` is a JSON closure (no decision, buttons gone); the two
 * partial indexes keep the expiry and reminder timers' scans to the open requests.
 */
const REQUEST_LIFE = `
ALTER TABLE requests ADD COLUMN origin text NOT NULL DEFAULT 'action';
ALTER TABLE requests ADD COLUMN facts text;
ALTER TABLE requests ADD COLUMN expires_at bigint;
ALTER TABLE requests ADD COLUMN remind_every_ms bigint;
ALTER TABLE requests ADD COLUMN reminders_sent integer NOT NULL DEFAULT 0;
ALTER TABLE requests ADD COLUMN next_reminder_at bigint;
ALTER TABLE requests ADD COLUMN closed text;
ALTER TABLE requests ADD COLUMN closed_at bigint;
ALTER TABLE requests ADD COLUMN github_approvals text NOT NULL DEFAULT '[]';
ALTER TABLE requests ADD COLUMN outcome text;
CREATE INDEX requests_expiring ON requests (expires_at) WHERE decision IS NULL AND closed IS NULL;
CREATE INDEX requests_reminding ON requests (next_reminder_at) WHERE decision IS NULL AND closed IS NULL;`;

// ---- Version 6: first contact at a gate, retried when GitHub or Slack failed (app/requests/) ----

const GATE_CONTACT = `
ALTER TABLE gates ADD COLUMN contact_due_at bigint;
ALTER TABLE gates ADD COLUMN contact_attempts integer NOT NULL DEFAULT 0;
CREATE INDEX gates_contact_due ON gates (contact_due_at) WHERE contact_due_at IS NOT NULL;`;

// ---- Version 7: when a request's latest line was written (app/activity/summary.ts) ----

// The line's own time, apart from the last event's: a click is recorded (at the time it started) after
// the GitHub and Slack calls it made, which move the last event's time but not the line.
const ACTIVITY_SUMMARY_AT = `
ALTER TABLE activity_requests ADD COLUMN summary_at bigint;
UPDATE activity_requests SET summary_at = updated_at WHERE summary IS NOT NULL;`;

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
  {
    version: 2,
    name: "effects, inbound, deciders, environment keys; epoch-millisecond dates and JSON text on both",
    sqlite: V2_SQLITE,
    postgres: V2_POSTGRES,
    after: foldEnvironmentKeys,
  },
  {
    version: 3,
    name: "linked accounts (Slack user to GitHub user) and single-use ids of the link flow",
    sqlite: IDENTITY,
    postgres: IDENTITY,
  },
  {
    version: 4,
    // The tables are defined beside the code that reads them (app/activity/schema.ts).
    ...ACTIVITY_SCHEMA,
  },
  {
    version: 5,
    name: "request life: origin, facts, expiry and reminders, closures, GitHub approvals, run outcome",
    sqlite: REQUEST_LIFE,
    postgres: REQUEST_LIFE,
  },
  {
    version: 6,
    name: "gate contacts to retry: when, and how often tried",
    sqlite: GATE_CONTACT,
    postgres: GATE_CONTACT,
  },
  {
    version: 7,
    name: "activity: the time of a request's latest line",
    sqlite: ACTIVITY_SUMMARY_AT,
    postgres: ACTIVITY_SUMMARY_AT,
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

/** Brings the schema up to date: one program, run by the driver under its migration lock. */
export function* migrationProgram(
  kind: "sqlite" | "postgres",
  dialect: { migrationsTable: string; recordMigration: string },
): Program<void> {
  yield* exec(dialect.migrationsTable);
  const applied = yield* all<{ version: number }>("SELECT version FROM schema_migrations");
  for (const migration of pendingMigrations(applied.map((r) => r.version))) {
    yield* exec(migration[kind]);
    if (migration.after) yield* migration.after();
    yield* run(dialect.recordMigration, [migration.version, migration.name, Date.now()]);
  }
}
