// The Octokit class the App uses: Probot's, with its Bottleneck-based throttling and retry plugins
// replaced by app/github/pacing.ts (the same rules: writes spaced 50 ms apart, at most ten calls at
// once, rate limits never retried in line for a call marked `request: { retryInline: false }`, 5xx
// retried as before), which sends a call at once when nothing holds it back; and its answers parsed
// with JSON.parse (app/github/json-body.ts).
import { ProbotOctokit } from "probot";
import { activityOctokitPlugin } from "../activity/github-calls.js";
import { jsonBodyOctokitPlugin } from "./json-body.js";
import { pacingOctokitPlugin } from "./pacing.js";

type Options = NonNullable<ConstructorParameters<typeof ProbotOctokit>[0]>;

// Innermost first: the body is read with each attempt, pacing wraps the attempts, and the activity
// record sees one call with its retries. A function, not an object: Probot passes its own `throttle`
// options, which would replace ours.
export const AppOctokit = ProbotOctokit.plugin(
  jsonBodyOctokitPlugin,
  pacingOctokitPlugin,
  activityOctokitPlugin,
).defaults((options: Options = {}) => ({
  ...options,
  throttle: { ...options.throttle, enabled: false } as NonNullable<Options["throttle"]>,
  // plugin-retry off; its `retries` and `retryAfterBaseValue` are read by the pacing plugin.
  retry: { ...(options as { retry?: object }).retry, enabled: false },
}));
