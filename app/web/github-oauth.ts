// GitHub sign-in for the App's web pages: the GitHub App's user authorization (OAuth web flow). The
// browser goes to GitHub's authorize page with the App's client ID, this App's callback URL and a
// `state`; GitHub sends it back with a code, which the App exchanges for a user access token. Unlike
// account linking (app/identity/signin.ts, which revokes the token at once), a web session keeps the
// token for its lifetime: the activity page asks GitHub with it which repositories the person can read.
import { oauthAuthorizationUrl } from "@octokit/oauth-authorization-url";
import { deleteToken, exchangeWebFlowCode } from "@octokit/oauth-methods";
import { request } from "@octokit/request";

export interface GitHubOAuthOptions {
  clientId: string;
  clientSecret: string;
  /** This App's callback (`https://gate.example.com/signin/github/callback`), one of the App's callback URLs. */
  redirectUrl: string;
  /** GitHub's REST base (`https://api.github.com`, or `https://ghe.example.com/api/v3`). */
  githubApiUrl: string;
  /** Each call gives up after this long (default 10 s). */
  timeoutMs?: number;
}

export interface GitHubOAuth {
  /** GitHub's web address (`https://github.com`, or the GitHub Enterprise Server host). */
  readonly githubWebUrl: string;
  authorizeUrl(state: string): string;
  /** The user token for a code, and when it expires (undefined when GitHub says it does not). */
  exchange(code: string): Promise<{ token: string; expiresAt: number | undefined }>;
  /** Who the token belongs to. */
  user(token: string): Promise<{ id: number; login: string }>;
  /** Revokes a token (sign-out); false when GitHub did not confirm it. */
  revoke(token: string): Promise<boolean>;
}

export function createGitHubOAuth(options: GitHubOAuthOptions): GitHubOAuth {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const githubWebUrl = githubWebUrlFor(options.githubApiUrl);
  const client = () =>
    request.defaults({
      baseUrl: options.githubApiUrl,
      headers: { "user-agent": "slack-deploy-gate" },
      request: { signal: AbortSignal.timeout(timeoutMs) },
    });

  return {
    githubWebUrl,
    authorizeUrl(state) {
      return oauthAuthorizationUrl({
        clientType: "github-app",
        clientId: options.clientId,
        redirectUrl: options.redirectUrl,
        state,
        allowSignup: false,
        baseUrl: githubWebUrl,
      }).url;
    },
    async exchange(code) {
      const { authentication } = await exchangeWebFlowCode({
        clientType: "github-app",
        clientId: options.clientId,
        clientSecret: options.clientSecret,
        code,
        redirectUrl: options.redirectUrl,
        request: client(),
      });
      const expiresAt = "expiresAt" in authentication ? Date.parse(authentication.expiresAt) : Number.NaN;
      return { token: authentication.token, expiresAt: Number.isFinite(expiresAt) ? expiresAt : undefined };
    },
    async user(token) {
      const { data } = await client()("GET /user", { headers: { authorization: `token ${token}` } });
      return { id: Number(data.id), login: data.login };
    },
    async revoke(token) {
      return deleteToken({
        clientType: "github-app",
        clientId: options.clientId,
        clientSecret: options.clientSecret,
        token,
        request: client(),
      }).then(
        () => true,
        () => false,
      );
    },
  };
}

/** GitHub's web host for a REST base: `https://api.github.com` → `https://github.com`; GHES drops `/api/v3`. */
export function githubWebUrlFor(githubApiUrl: string): string {
  if (/^https:\/\/api\.github\.com\/?$/.test(githubApiUrl)) return "https://github.com";
  return githubApiUrl.replace(/\/api\/v3\/?$/, "").replace(/\/+$/, "");
}
