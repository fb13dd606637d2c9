// Loads a repository's policy: `.github/slack-deploy-gate.yml` on its default branch, else the same
// path in the organization's `.github` repository. The file is read through the contents API, whose
// `size` is checked before anything is decoded, and the decoded text is checked again before it is
// parsed (parse.ts bounds aliases, validate.ts counts): a policy file cannot make the App do more
// work than a large legal one. On GitHub a file over 1 MB comes without its content at all.
//
// Results are cached per repository (lru-cache): good ones for `ttlMs`, missing or invalid ones
// briefly (a push that fixes the file invalidates the entry anyway), GitHub failures not at all.
// Concurrent loads of one repository share one read (the cache's fetchMethod).
import { LRUCache } from "lru-cache";
import { PolicyError, type PolicyProblem } from "./errors.js";
import { parsePolicy, tooLargeProblem } from "./parse.js";
import { POLICY_LIMITS, POLICY_PATH, type Policy } from "./types.js";

export type PolicyResult =
  | { ok: true; policy: Policy; source: string }
  | { ok: false; kind: "missing" | "invalid" | "error"; message: string };

const CONTENTS = "GET /repos/{owner}/{repo}/contents/{path}";

/** The part of an installation's Octokit (Probot's) that the loader uses. */
export interface ContentsReader {
  request(
    route: typeof CONTENTS,
    parameters: { owner: string; repo: string; path: string },
  ): Promise<{ data: unknown }>;
}

export interface PolicyLoaderOptions {
  /** How long a valid policy is reused. */
  ttlMs: number;
  /** How long "missing" and "invalid" are reused; defaults to the smaller of ttlMs and 30 s. */
  missTtlMs?: number;
  /** Bounds memory across many repositories; the least recently used go first. */
  maxEntries?: number;
  /** A clock in milliseconds, for tests; the cache's own otherwise. */
  now?: () => number;
}

export interface PolicyLoader {
  load(octokit: ContentsReader, owner: string, repo: string): Promise<PolicyResult>;
  /** Drops one repository's entry, or every entry of the owner when repo is omitted or `.github`. */
  invalidate(owner: string, repo?: string): void;
}

const ORG_CONFIG_REPO = ".github";
/** A read that an invalidation overtook is done again, at most this many times in all. */
const READ_ATTEMPTS = 3;

interface ReadContext {
  octokit: ContentsReader;
  owner: string;
  repo: string;
}

/** Carries a result that must reach the waiting callers but not stay in the cache. */
class Uncached extends Error {
  constructor(readonly result: PolicyResult) {
    super("not cached");
  }
}

export function createPolicyLoader(options: PolicyLoaderOptions): PolicyLoader {
  const missTtlMs = options.missTtlMs ?? Math.min(options.ttlMs, 30_000);
  // Keys being read right now: the cache does not list them, and an owner-wide invalidation must
  // reach them too (deleting a key aborts its read, and its callers read again).
  const reading = new Map<string, number>();
  const cache = new LRUCache<string, PolicyResult, ReadContext>({
    max: options.maxEntries ?? 10_000,
    ttl: options.ttlMs,
    ttlResolution: 0,
    ...(options.now ? { perf: { now: options.now } } : {}),
    fetchMethod: async (key, _stale, { options: entry, context }) => {
      reading.set(key, (reading.get(key) ?? 0) + 1);
      try {
        const result = await readPolicy(context.octokit, context.owner, context.repo);
        if (!result.ok && result.kind === "error") throw new Uncached(result);
        if (!result.ok) entry.ttl = missTtlMs;
        return result;
      } finally {
        const left = (reading.get(key) ?? 1) - 1;
        if (left > 0) reading.set(key, left);
        else reading.delete(key);
      }
    },
  });

  return {
    async load(octokit, owner, repo) {
      const key = cacheKey(owner, repo);
      for (let attempt = 1; ; attempt++) {
        try {
          const result = await cache.fetch(key, { context: { octokit, owner, repo } });
          if (result) return result;
        } catch (error) {
          if (error instanceof Uncached) return error.result;
          // Otherwise the read was aborted: the file changed under it (invalidate), so read again.
        }
        if (attempt >= READ_ATTEMPTS) {
          return {
            ok: false,
            kind: "error",
            message: `The policy for ${owner}/${repo} kept changing while it was read; approvals wait until it can be read.`,
          };
        }
      }
    },

    invalidate(owner, repo) {
      if (repo !== undefined && repo.toLowerCase() !== ORG_CONFIG_REPO) {
        cache.delete(cacheKey(owner, repo));
        return;
      }
      // The org's `.github` repository is every repository's fallback.
      const prefix = `${owner.toLowerCase()}/`;
      for (const key of [...cache.keys(), ...reading.keys()]) if (key.startsWith(prefix)) cache.delete(key);
    },
  };
}

type FileRead =
  | { kind: "text"; text: string; source: string }
  | { kind: "absent" }
  | { kind: "failed"; result: PolicyResult };

/** Reads and validates; never throws. */
export async function readPolicy(
  octokit: ContentsReader,
  owner: string,
  repo: string,
): Promise<PolicyResult> {
  let file = await readFile(octokit, owner, repo);
  if (file.kind === "absent" && repo.toLowerCase() !== ORG_CONFIG_REPO) {
    file = await readFile(octokit, owner, ORG_CONFIG_REPO);
  }
  if (file.kind === "absent") return { ok: false, kind: "missing", message: missingMessage(owner, repo) };
  if (file.kind === "failed") return file.result;
  try {
    return { ok: true, policy: await parsePolicy(file.text, file.source), source: file.source };
  } catch (error) {
    if (error instanceof PolicyError) return { ok: false, kind: "invalid", message: error.message };
    return {
      ok: false,
      kind: "error",
      message: `Could not check the policy ${file.source}: ${firstLine(error)}`,
    };
  }
}

async function readFile(octokit: ContentsReader, owner: string, repo: string): Promise<FileRead> {
  const source = `${owner}/${repo}:${POLICY_PATH}`;
  const invalid = (problem: PolicyProblem): FileRead => ({
    kind: "failed",
    result: { ok: false, kind: "invalid", message: new PolicyError(source, [problem]).message },
  });
  const failed = (message: string): FileRead => ({
    kind: "failed",
    result: { ok: false, kind: "error", message },
  });
  let data: unknown;
  try {
    ({ data } = await octokit.request(CONTENTS, { owner, repo, path: POLICY_PATH }));
  } catch (error) {
    const status = (error as { status?: unknown })?.status;
    if (status === 404) return { kind: "absent" };
    const reason = typeof status === "number" ? `HTTP ${status}` : firstLine(error);
    return failed(
      `Could not read the policy for ${owner}/${repo} from GitHub (${reason}); approvals wait until it can be read.`,
    );
  }

  // Octokit's JSON parser (json-with-bigint) gives up on bodies of several MB on Node 20 and hands
  // back the text; GitHub itself sends no content past 1 MB, but a proxy or server might.
  if (typeof data === "string") {
    try {
      data = JSON.parse(data);
    } catch {
      return failed(`Could not read the policy ${source}: GitHub's answer was not JSON.`);
    }
  }
  if (Array.isArray(data)) return invalid({ path: "", message: "the path is a directory, not a file" });
  const entry = (typeof data === "object" && data !== null ? data : {}) as {
    type?: unknown;
    size?: unknown;
    encoding?: unknown;
    content?: unknown;
  };
  if (entry.type !== "file") {
    return invalid({ path: "", message: `the path is a ${String(entry.type)}, not a file` });
  }
  // Before anything is decoded: GitHub states the size, and sends no content at all past 1 MB.
  if (typeof entry.size === "number" && entry.size > POLICY_LIMITS.maxFileBytes) {
    return invalid(tooLargeProblem(entry.size));
  }
  if (entry.encoding !== "base64" || typeof entry.content !== "string") {
    return failed(
      `Could not read the policy ${source}: GitHub sent it without its content (encoding ${String(entry.encoding)}).`,
    );
  }
  const bytes = Buffer.from(entry.content, "base64");
  if (bytes.length > POLICY_LIMITS.maxFileBytes) return invalid(tooLargeProblem(bytes.length));
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return invalid({ path: "", message: "the file is not UTF-8 text" });
  }
  return { kind: "text", text, source };
}

function missingMessage(owner: string, repo: string): string {
  const where =
    repo.toLowerCase() === ORG_CONFIG_REPO
      ? `${owner}/${repo} has no ${POLICY_PATH}`
      : `neither ${owner}/${repo} nor ${owner}/${ORG_CONFIG_REPO} has ${POLICY_PATH}`;
  return `No slack-deploy-gate policy: ${where} on its default branch, so nobody may approve deployments from Slack.`;
}

function cacheKey(owner: string, repo: string): string {
  return `${owner.toLowerCase()}/${repo.toLowerCase()}`;
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return (message.split("\n")[0] ?? "").trim().slice(0, 300);
}
