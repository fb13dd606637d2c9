// The activity record's tables, one migration (app/store/migrations.ts lists it). Dates are epoch
// milliseconds and details JSON text, as everywhere in the App's schema; only the event id differs
// between the two databases. Every list query walks one of the (…, seen_at, request_id) indexes in
// order, so a page costs the rows it shows, whatever the history holds.

const tables = (eventId: string) => `
CREATE TABLE activity_requests (
  request_id text PRIMARY KEY,
  placeholder integer NOT NULL DEFAULT 0 CHECK (placeholder IN (0, 1)),
  repository text NOT NULL,
  repository_key text NOT NULL,
  owner_key text NOT NULL,
  environment text NOT NULL,
  environment_key text NOT NULL,
  run_id bigint NOT NULL,
  run_attempt integer,
  mode text,
  seen_via text NOT NULL,
  state text NOT NULL CHECK (state IN ('pending', 'approved', 'rejected', 'expired', 'cancelled', 'failed')),
  state_at bigint NOT NULL,
  seen_at bigint NOT NULL,
  updated_at bigint NOT NULL,
  people text NOT NULL DEFAULT '[]',
  summary text,
  events integer NOT NULL DEFAULT 0,
  gated integer NOT NULL DEFAULT 0 CHECK (gated IN (0, 1))
);
CREATE INDEX activity_requests_recent ON activity_requests (seen_at, request_id);
CREATE INDEX activity_requests_by_repository ON activity_requests (repository_key, seen_at, request_id);
CREATE INDEX activity_requests_by_owner ON activity_requests (owner_key, seen_at, request_id);
CREATE INDEX activity_requests_by_state ON activity_requests (state, seen_at, request_id);
CREATE INDEX activity_requests_by_run ON activity_requests (repository_key, run_id, environment_key);
CREATE INDEX activity_requests_by_update ON activity_requests (updated_at);

CREATE TABLE activity_events (
  id ${eventId},
  request_id text NOT NULL REFERENCES activity_requests (request_id) ON DELETE CASCADE,
  at bigint NOT NULL,
  kind text NOT NULL,
  detail text NOT NULL
);
CREATE INDEX activity_events_by_request ON activity_events (request_id, at, id);

CREATE TABLE activity_people (
  request_id text NOT NULL REFERENCES activity_requests (request_id) ON DELETE CASCADE,
  person text NOT NULL,
  seen_at bigint NOT NULL,
  PRIMARY KEY (request_id, person)
);
CREATE INDEX activity_people_by_person ON activity_people (person, seen_at, request_id);

CREATE TABLE activity_refused (
  minute bigint NOT NULL,
  source text NOT NULL,
  reason text NOT NULL,
  count integer NOT NULL,
  PRIMARY KEY (minute, source, reason)
);`;

export const ACTIVITY_SCHEMA = {
  name: "activity record: requests, their timelines, the people in them, refused requests per minute",
  sqlite: tables("INTEGER PRIMARY KEY"),
  postgres: tables("bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY"),
};
