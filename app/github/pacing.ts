// How the App's GitHub calls are paced and retried, as an Octokit plugin in place of Probot's two
// (@octokit/plugin-throttling and @octokit/plugin-retry), with their rules kept but not their cost:
// both queue every call through Bottleneck, whose local store yields to the event loop with a
// setTimeout(0) at each of its steps, so each call waited about 10 ms before it was sent and 5 ms
// after its answer came (measured: bench/click-path.ts), ten times what the call itself takes on a
// fast network, and a deciding click makes two. Here a call that nothing holds back goes out at once.
// - Writes (anything but GET and HEAD) start at least WRITE_SPACING_MS apart, process-wide, oldest
//   first. GitHub asks integrations to space writes; Probot's default spaces them a second apart, so
//   five decisions would reach GitHub over five seconds.
// - At most MAX_IN_FLIGHT calls at once, process-wide, as plugin-throttling's global group.
// - A rate limit (app/github/errors.ts) is retried once in line when GitHub's wait is at most
//   MAX_INLINE_WAIT_MS, never for a call marked `request: { retryInline: false }`: such calls are
//   effects, whose runner schedules the next attempt at the time GitHub names (a secondary limit's
//   `retry-after: 70` slept on here would hold the effect's lease). A longer or unstated wait is the
//   caller's to handle: asking again before it would only prolong the limit.
// - Other failures with a status (5xx, no answer) are retried as plugin-retry did: up to
//   `request.retries` times (`retry.retries`, default 3), after 1, 4, 9 × `retry.retryAfterBaseValue`
//   ms (default 1000); statuses that asking again cannot change (400, 401, 403, 404, 410, 422, 451)
//   never. A call cut by its own `signal` is not retried.
// `request.retryCount` tells how many retries a call took (the activity record shows it).
import type { ProbotOctokit } from "probot";
import { classifyGitHubError, httpStatus } from "./errors.js";

type OctokitPlugin = Parameters<typeof ProbotOctokit.plugin>[0];

export const WRITE_SPACING_MS = 50;
export const MAX_IN_FLIGHT = 10;
export const MAX_INLINE_WAIT_MS = 2_000;
const DO_NOT_RETRY = new Set([400, 401, 403, 404, 410, 422, 451]);

/** plugin-retry's options, which the App's tests and callers already set. */
export interface RetryOptions {
  retries?: number;
  retryAfterBaseValue?: number;
}

type RequestOptions = {
  method?: string;
  url?: string;
  request?: { retries?: number; retryInline?: boolean; retryCount?: number };
};

/** FIFO turns, each at least `spacingMs` after the previous one; a turn that is due is taken at once. */
export function createSpacing(spacingMs: number, clock: () => number = () => performance.now()) {
  let next = Number.NEGATIVE_INFINITY;
  const waiting: Array<() => void> = [];
  let scheduled = false;
  function pump(): void {
    while (waiting.length > 0) {
      const now = clock();
      if (now < next) {
        if (!scheduled) {
          scheduled = true;
          setTimeout(() => {
            scheduled = false;
            pump();
          }, next - now);
        }
        return;
      }
      next = now + spacingMs;
      (waiting.shift() as () => void)();
    }
  }
  return {
    turn(): Promise<void> | undefined {
      const now = clock();
      if (waiting.length === 0 && now >= next) {
        next = now + spacingMs;
        return undefined;
      }
      return new Promise<void>((resolve) => {
        waiting.push(resolve);
        pump();
      });
    },
  };
}

/** At most `max` holders at once, FIFO; a free place is taken at once. */
export function createSlots(max: number) {
  let used = 0;
  const waiting: Array<() => void> = [];
  const release = () => {
    const nextInLine = waiting.shift();
    if (nextInLine) nextInLine();
    else used -= 1;
  };
  return {
    take(): Promise<void> | undefined {
      if (used < max && waiting.length === 0) {
        used += 1;
        return undefined;
      }
      return new Promise<void>((resolve) => waiting.push(resolve));
    },
    release,
    inUse: () => used,
  };
}

// Process-wide, as Probot's Bottleneck groups were: every installation's client shares them.
const writes = createSpacing(WRITE_SPACING_MS);
const inFlight = createSlots(MAX_IN_FLIGHT);

const isWrite = (options: RequestOptions) => {
  const method = String(options.method ?? "GET").toUpperCase();
  return method !== "GET" && method !== "HEAD";
};

/**
 * The App's own token requests (an installation token, an OAuth token), which its auth strategy makes
 * from inside another call's turn: they take no place and wait for no turn, or a call holding a place
 * while its token is renewed could wait on itself (plugin-throttling kept them apart the same way).
 */
const isTokenRequest = (options: RequestOptions) => {
  const method = String(options.method ?? "GET").toUpperCase();
  const path = new URL(String(options.url ?? ""), "http://github.test").pathname;
  return (
    (method === "POST" &&
      (/\/app\/installations\/[^/]+\/access_tokens$/.test(path) ||
        /\/applications\/[^/]+\/token$/.test(path) ||
        path.endsWith("/login/oauth/access_token"))) ||
    (method === "PATCH" && /\/applications\/[^/]+\/token\/scoped$/.test(path))
  );
};

export const pacingOctokitPlugin: OctokitPlugin = (octokit, octokitOptions) => {
  const retry = ((octokitOptions as { retry?: RetryOptions }).retry ?? {}) as RetryOptions;
  const defaultRetries = retry.retries ?? 3;
  const baseMs = retry.retryAfterBaseValue ?? 1000;

  octokit.hook.wrap("request", async (request, options) => {
    const opts = options as RequestOptions;
    if (isTokenRequest(opts)) return request(options);
    let retries = 0;
    let limitRetries = 0;
    for (;;) {
      if (isWrite(opts)) await writes.turn();
      await inFlight.take();
      let wait: number | undefined;
      try {
        return await request(options);
      } catch (error) {
        wait = retryDelay(error);
        if (wait === undefined) throw error;
      } finally {
        inFlight.release();
      }
      opts.request = { ...opts.request, retryCount: retries + limitRetries };
      await new Promise((resolve) => setTimeout(resolve, wait));
    }

    /** How long to wait before asking again, or undefined when the error stands. */
    function retryDelay(error: unknown): number | undefined {
      // No request on the error: it was cut by its signal (or is not an HTTP failure at all).
      if ((error as { request?: unknown } | null)?.request === undefined) return undefined;
      const status = httpStatus(error);
      if (status === undefined || status < 400) return undefined;
      const now = Date.now();
      const failure = classifyGitHubError(error, new Date(now));
      if (failure.kind === "rate_limited") {
        if (opts.request?.retryInline === false || limitRetries >= 1 || !failure.retryAt) return undefined;
        const ms = Math.max(0, failure.retryAt.getTime() - now);
        if (ms > MAX_INLINE_WAIT_MS) return undefined;
        limitRetries += 1;
        return ms;
      }
      if (DO_NOT_RETRY.has(status) || retries >= (opts.request?.retries ?? defaultRetries)) return undefined;
      retries += 1;
      return retries ** 2 * baseMs;
    }
  });
};
