// Loads a repository's policy through Probot's config plugin (`octokit.config.get`), which gives the
// semantics Probot users know: the file on the default branch, else the org's `.github` repository,
// with `_extends` resolved. We validate the plugin's parsed data rather than fetching the text a
// second time: one read per repository, one source of truth for the fallback rules. Syntax errors
// still carry line and column (the plugin passes the YAML error on as `cause`); other problems name
// their key path, which pins them down as well. parsePolicy() adds line numbers when given raw text.
//
// Results are cached per repository: good ones for `ttlMs`, missing or invalid ones briefly (a push
// that fixes the file invalidates the entry anyway), GitHub failures not at all. Concurrent loads of
// one repository share a single read.
import { PolicyError, type PolicyProblem } from "./errors.js";
import { yamlSyntaxProblem } from "./parse.js";
import { POLICY_PATH, type Policy } from "./types.js";
import { validatePolicyData } from "./validate.js";

export type PolicyResult =
  | { ok: true; policy: Policy; source: string }
  | { ok: false; kind: "missing" | "invalid" | "error"; message: string };

/** One file the plugin looked at; `config` is null when it does not exist. */
export interface ConfigFileInfo {
  owner: string;
  repo: string;
  path: string;
  url: string;
  config: Record<string, unknown> | null;
}

/** The part of Probot's octokit (with @probot/octokit-plugin-config) that the loader uses. */
export interface ConfigReader {
  config: {
    get(options: { owner: string; repo: string; path: string }): Promise<{
      config: Record<string, unknown>;
      files: ConfigFileInfo[];
    }>;
  };
}

export interface PolicyLoaderOptions {
  /** How long a valid policy is reused. */
  ttlMs: number;
  /** How long "missing" and "invalid" are reused; defaults to the smaller of ttlMs and 30 s. */
  missTtlMs?: number;
  /** Bounds memory across many repositories; the oldest entries go first. */
  maxEntries?: number;
  now?: () => number;
}

export interface PolicyLoader {
  load(octokit: ConfigReader, owner: string, repo: string): Promise<PolicyResult>;
  /** Drops one repository's entry, or every entry of the owner when repo is omitted or `.github`. */
  invalidate(owner: string, repo?: string): void;
}

const ORG_CONFIG_REPO = ".github";
const PLUGIN_PREFIX = "[@probot/octokit-plugin-config] ";

export function createPolicyLoader(options: PolicyLoaderOptions): PolicyLoader {
  const now = options.now ?? Date.now;
  const missTtlMs = options.missTtlMs ?? Math.min(options.ttlMs, 30_000);
  const maxEntries = options.maxEntries ?? 10_000;
  const cache = new Map<string, { result: PolicyResult; expires: number }>();
  const inflight = new Map<string, Promise<PolicyResult>>();

  const remember = (key: string, result: PolicyResult) => {
    const ttl = result.ok ? options.ttlMs : result.kind === "error" ? 0 : missTtlMs;
    if (ttl <= 0) return;
    cache.delete(key);
    cache.set(key, { result, expires: now() + ttl });
    while (cache.size > maxEntries) {
      const oldest = cache.keys().next().value;
      if (oldest === undefined) break;
      cache.delete(oldest);
    }
  };

  return {
    load(octokit, owner, repo) {
      const key = cacheKey(owner, repo);
      const hit = cache.get(key);
      if (hit && hit.expires > now()) return Promise.resolve(hit.result);
      const pending = inflight.get(key);
      if (pending) return pending;

      const promise: Promise<PolicyResult> = readPolicy(octokit, owner, repo).then((result) => {
        // An invalidation while reading means the file changed under us: answer, but do not keep it.
        if (inflight.get(key) === promise) {
          inflight.delete(key);
          remember(key, result);
        }
        return result;
      });
      inflight.set(key, promise);
      return promise;
    },

    invalidate(owner, repo) {
      if (repo !== undefined && repo.toLowerCase() !== ORG_CONFIG_REPO) {
        const key = cacheKey(owner, repo);
        cache.delete(key);
        inflight.delete(key);
        return;
      }
      // The org's `.github` repository is every repository's fallback.
      const prefix = `${owner.toLowerCase()}/`;
      for (const key of [...cache.keys()]) if (key.startsWith(prefix)) cache.delete(key);
      for (const key of [...inflight.keys()]) if (key.startsWith(prefix)) inflight.delete(key);
    },
  };
}

/** Reads and validates; never throws. */
export async function readPolicy(octokit: ConfigReader, owner: string, repo: string): Promise<PolicyResult> {
  let result: Awaited<ReturnType<ConfigReader["config"]["get"]>>;
  try {
    result = await octokit.config.get({ owner, repo, path: POLICY_PATH });
  } catch (error) {
    return fromReadError(error, owner, repo);
  }

  const found = result.files.filter((file) => file.config !== null && file.config !== undefined);
  const effective = found[0];
  if (!effective) return { ok: false, kind: "missing", message: missingMessage(owner, repo) };

  const source =
    found.length === 1
      ? describeFile(effective)
      : `${describeFile(effective)} (extending ${found.slice(1).map(describeFile).join(", ")})`;
  // The plugin merges with Object.assign, which would turn a list or a number into an empty object.
  const raw: unknown = effective.config;
  const data = typeof raw === "object" && raw !== null && !Array.isArray(raw) ? result.config : raw;
  try {
    const policy = validatePolicyData(data, source);
    return { ok: true, policy, source };
  } catch (error) {
    if (error instanceof PolicyError) return { ok: false, kind: "invalid", message: error.message };
    return { ok: false, kind: "error", message: `Could not check the policy ${source}: ${firstLine(error)}` };
  }
}

function fromReadError(error: unknown, owner: string, repo: string): PolicyResult {
  const status = (error as { status?: unknown })?.status;
  if (typeof status === "number") {
    return {
      ok: false,
      kind: "error",
      message: `Could not read the policy for ${owner}/${repo} from GitHub (HTTP ${status}); approvals wait until it can be read.`,
    };
  }
  const message = firstLine(error);
  if (message.startsWith(PLUGIN_PREFIX)) {
    // The plugin found a file but could not use it: that is the file's fault, so "invalid".
    const source = sourceFromMessage(message) ?? `${owner}/${repo}:${POLICY_PATH}`;
    const problem: PolicyProblem = message.includes("(invalid YAML)")
      ? yamlSyntaxProblem((error as { cause?: unknown }).cause ?? error)
      : { path: "", message: pluginProblem(message) };
    return { ok: false, kind: "invalid", message: new PolicyError(source, [problem]).message };
  }
  return {
    ok: false,
    kind: "error",
    message: `Could not read the policy for ${owner}/${repo}: ${message}; approvals wait until it can be read.`,
  };
}

function pluginProblem(message: string): string {
  const text = message.slice(PLUGIN_PREFIX.length);
  if (text.includes("(YAML is not an object)"))
    return "the policy must be a mapping with an environments key";
  if (text.includes("is either a directory or a submodule")) return "the path is a directory, not a file";
  return text;
}

/** `https://api.github.com/repos/acme/api/contents/.github%2Fx.yml` → `acme/api:.github/x.yml`. */
function sourceFromMessage(message: string): string | undefined {
  const match = /\/repos\/([^/\s]+)\/([^/\s]+)\/contents\/([^\s?]+)/.exec(message);
  if (!match) return undefined;
  try {
    return `${match[1]}/${match[2]}:${decodeURIComponent(match[3] as string)}`;
  } catch {
    return undefined;
  }
}

function missingMessage(owner: string, repo: string): string {
  const where =
    repo.toLowerCase() === ORG_CONFIG_REPO
      ? `${owner}/${repo} has no ${POLICY_PATH}`
      : `neither ${owner}/${repo} nor ${owner}/${ORG_CONFIG_REPO} has ${POLICY_PATH}`;
  return `No slack-deploy-gate policy: ${where} on its default branch, so nobody may approve deployments from Slack.`;
}

function describeFile(file: ConfigFileInfo): string {
  return `${file.owner}/${file.repo}:${file.path}`;
}

function cacheKey(owner: string, repo: string): string {
  return `${owner.toLowerCase()}/${repo.toLowerCase()}`;
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return (message.split("\n")[0] ?? "").trim().slice(0, 300);
}
