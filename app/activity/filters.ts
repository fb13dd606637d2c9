// The page's query string: filters (repository, environment, state, person, a date to look back from)
// and the keyset cursor of the next page. Everything is bounded and checked; a value that does not fit
// is dropped with a note, never passed on.
import { ACTIVITY_STATES, type ActivityCursor, type ActivityFilter, type ActivityState } from "./types.js";

export interface ParsedQuery {
  filter: ActivityFilter;
  cursor: ActivityCursor | undefined;
  /** The filter values as typed (for the form), only those that were accepted. */
  values: { repo: string; env: string; state: string; person: string; before: string };
  problems: string[];
}

const REPOSITORY = /^[A-Za-z0-9][A-Za-z0-9-]{0,38}\/[A-Za-z0-9._-]{1,100}$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

export function parseQuery(params: URLSearchParams): ParsedQuery {
  const problems: string[] = [];
  const filter: ActivityFilter = {};
  const values = { repo: "", env: "", state: "", person: "", before: "" };
  const text = (name: string, max: number) => (params.get(name) ?? "").trim().slice(0, max + 1);

  const repo = text("repo", 140);
  if (repo) {
    if (REPOSITORY.test(repo)) {
      filter.repository = repo;
      values.repo = repo;
    } else problems.push("The repository filter must be owner/name.");
  }
  const env = text("env", 255);
  if (env) {
    if (env.length <= 255) {
      filter.environment = env;
      values.env = env;
    } else problems.push("The environment filter is too long.");
  }
  const state = text("state", 20);
  if (state) {
    if ((ACTIVITY_STATES as readonly string[]).includes(state)) {
      filter.state = state as ActivityState;
      values.state = state;
    } else problems.push("Unknown state.");
  }
  const person = text("person", 100);
  if (person) {
    if (person.length <= 100) {
      filter.person = person.replace(/^@/, "");
      values.person = person;
    } else problems.push("The person filter is too long.");
  }
  const before = text("before", 10);
  if (before) {
    const match = DATE.exec(before);
    const time = match ? Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])) : Number.NaN;
    if (Number.isFinite(time)) {
      // The whole day named is included: requests seen before the next midnight (UTC).
      filter.before = new Date(time + 24 * 60 * 60_000);
      values.before = before;
    } else problems.push("The date must be YYYY-MM-DD.");
  }
  return { filter, cursor: decodeCursor(params.get("after")), values, problems };
}

export function encodeCursor(cursor: ActivityCursor): string {
  return Buffer.from(JSON.stringify([cursor.seenAt, cursor.requestId])).toString("base64url");
}

export function decodeCursor(value: string | null): ActivityCursor | undefined {
  if (!value || value.length > 600) return undefined;
  try {
    const parsed = JSON.parse(Buffer.from(value, "base64url").toString("utf8")) as unknown;
    if (
      Array.isArray(parsed) &&
      parsed.length === 2 &&
      Number.isSafeInteger(parsed[0]) &&
      typeof parsed[1] === "string" &&
      parsed[1].length <= 300
    ) {
      return { seenAt: parsed[0] as number, requestId: parsed[1] };
    }
  } catch {
    // Not a cursor this page made: start from the newest.
  }
  return undefined;
}

/** The query string for these filter values (and extra parameters), for links and exports. */
export function queryString(values: ParsedQuery["values"], extra: Record<string, string> = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(values)) if (value) params.set(key, value);
  for (const [key, value] of Object.entries(extra)) params.set(key, value);
  const text = params.toString();
  return text ? `?${text}` : "";
}
