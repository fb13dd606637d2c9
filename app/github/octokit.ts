// The Octokit class the App uses: Probot's, with a write throttle fit for an App that makes about one
// write per decision. Probot's default spaces every POST a second apart per process, so five
// decisions taken together would reach GitHub over five seconds. Answers that say a rate limit was
// hit are still retried after GitHub's Retry-After by the same plugin.
import Bottleneck from "bottleneck";
import { ProbotOctokit } from "probot";

export const AppOctokit = ProbotOctokit.defaults({
  throttle: { write: new Bottleneck.Group({ maxConcurrent: 8, minTime: 50 }) },
});
