// The Octokit class the App uses: Probot's, with a write throttle fit for an App that makes about one
// write per decision. Probot's default spaces every POST a second apart per process, so five
// decisions taken together would reach GitHub over five seconds. A rate-limit answer is still
// handled: Probot's handler retries the primary limit, and delivery's backoff covers the rest.
import Bottleneck from "bottleneck";
import { ProbotOctokit } from "probot";

const writes = new Bottleneck.Group({ maxConcurrent: 8, minTime: 50 });

// A function, not an object: Probot passes its own `throttle` options, which would replace ours.
export const AppOctokit = ProbotOctokit.defaults(
  (options: ConstructorParameters<typeof ProbotOctokit>[0] = {}) => ({
    ...options,
    throttle: { ...options.throttle, write: writes } as NonNullable<typeof options.throttle>,
  }),
);
