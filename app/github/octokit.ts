// The Octokit class the App uses: Probot's, with
// - a write throttle fit for an App that makes about one write per decision (Probot's default spaces
//   every POST a second apart per process, so five decisions would reach GitHub over five seconds);
// - rate-limit handlers that never retry a call marked `request: { retryInline: false }`: such calls
//   are effects, whose runner schedules the next attempt at the time GitHub names instead of sleeping
//   on it here (a secondary limit's `retry-after: 70` would otherwise hold the effect's lease). Other
//   calls (reads during a click) retry once when the wait is short.
import Bottleneck from "bottleneck";
import { ProbotOctokit } from "probot";
import { activityOctokitPlugin } from "../activity/github-calls.js";

const writes = new Bottleneck.Group({ maxConcurrent: 8, minTime: 50 });
const MAX_INLINE_WAIT_SECONDS = 2;

type LimitOptions = { method?: string; url?: string; request?: { retryInline?: boolean } };
type LimitHandler = (
  retryAfter: number,
  options: LimitOptions,
  octokit: unknown,
  retryCount: number,
) => boolean;

const onLimit: LimitHandler = (retryAfter, options, _octokit, retryCount) =>
  options.request?.retryInline !== false && retryCount < 1 && retryAfter <= MAX_INLINE_WAIT_SECONDS;

// A function, not an object: Probot passes its own `throttle` options, which would replace ours.
// Every call made for a request is also on that request's activity timeline (app/activity/).
export const AppOctokit = ProbotOctokit.plugin(activityOctokitPlugin).defaults(
  (options: ConstructorParameters<typeof ProbotOctokit>[0] = {}) => ({
    ...options,
    throttle: {
      ...options.throttle,
      write: writes,
      onRateLimit: onLimit,
      onSecondaryRateLimit: onLimit,
    } as NonNullable<typeof options.throttle>,
  }),
);
