// The policy module's public face.
export { formatProblem, PolicyError, type PolicyProblem } from "./errors.js";
export {
  type ContentsReader,
  createPolicyLoader,
  type PolicyLoader,
  type PolicyLoaderOptions,
  type PolicyResult,
  readPolicy,
} from "./load.js";
export { parsePolicy } from "./parse.js";
export { githubLoginFor, resolveEnvironment, slackUsersForGithubLogin } from "./resolve.js";
export {
  DEFAULT_ENVIRONMENT_KEY,
  type EnvironmentRules,
  type GithubTeam,
  POLICY_DEFAULTS,
  POLICY_LIMITS,
  POLICY_PATH,
  type Policy,
} from "./types.js";
export { parseDuration, validatePolicyData } from "./validate.js";
