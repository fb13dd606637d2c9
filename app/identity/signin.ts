// Who signed in: the GitHub App's user authorization (OAuth web flow). The App sends the browser to
// GitHub's authorize page with its client ID, its callback URL and a signed `state`; GitHub sends it back
// with a code; the App exchanges the code for a user access token, reads `GET /user` with it once, and
// revokes the token at once (DELETE /applications/{client_id}/token): linking needs to know who the
// person is, nothing more, so no user token is kept anywhere.
import { oauthAuthorizationUrl } from "@octokit/oauth-authorization-url";
import { deleteToken, exchangeWebFlowCode } from "@octokit/oauth-methods";
import { request } from "@octokit/request";

export interface SignedIn {
  id: number;
  login: string;
  /** GitHub Enterprise Server reports suspended accounts (`suspended_at`); they cannot be linked. */
  suspended: boolean;
}

export interface SignInOptions {
  clientId: string;
  clientSecret: string;
  /** This App's callback, e.g. `https://gate.example.com/github/link/callback`; one of the App's callback URLs. */
  redirectUrl: string;
  /** GitHub's REST base (`https://api.github.com`, or `…/api/v3`); the OAuth endpoints are on its web host. */
  githubApiUrl: string;
  /** GitHub's web host (`https://github.com`, or the GitHub Enterprise Server host). */
  githubWebUrl: string;
  /** Each call to GitHub gives up after this long (default 10 s). */
  timeoutMs?: number;
}

export interface SignIn {
  readonly githubWebUrl: string;
  /** Where to send the browser: GitHub's authorize page for this App, carrying `state`. */
  authorizeUrl(state: string): string;
  /**
   * Exchanges the code and reads who signed in. The token is revoked before this returns; when revoking
   * fails, `revokeFailed` says so (the token then lapses on its own, after at most 8 hours).
   */
  whoSignedIn(code: string): Promise<SignedIn & { revokeFailed: boolean }>;
}

export function createSignIn(options: SignInOptions): SignIn {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const client = () =>
    request.defaults({
      baseUrl: options.githubApiUrl,
      headers: { "user-agent": "slack-deploy-gate" },
      request: { signal: AbortSignal.timeout(timeoutMs) },
    });

  return {
    githubWebUrl: options.githubWebUrl,
    authorizeUrl(state) {
      return oauthAuthorizationUrl({
        clientType: "github-app",
        clientId: options.clientId,
        redirectUrl: options.redirectUrl,
        state,
        // Linking names an existing account; nobody signs up to GitHub halfway through it.
        allowSignup: false,
        baseUrl: options.githubWebUrl,
      }).url;
    },

    async whoSignedIn(code) {
      const { authentication } = await exchangeWebFlowCode({
        clientType: "github-app",
        clientId: options.clientId,
        clientSecret: options.clientSecret,
        code,
        redirectUrl: options.redirectUrl,
        request: client(),
      });
      const token = authentication.token;
      let user: { id: number; login: string; suspended_at?: string | null } | undefined;
      let failure: unknown;
      try {
        const { data } = await client()("GET /user", { headers: { authorization: `token ${token}` } });
        user = {
          id: Number(data.id),
          login: data.login,
          suspended_at: (data as { suspended_at?: string | null }).suspended_at,
        };
      } catch (error) {
        failure = error;
      }
      // The token has done its one job; it is revoked whether or not reading the user worked.
      const revoked = await deleteToken({
        clientType: "github-app",
        clientId: options.clientId,
        clientSecret: options.clientSecret,
        token,
        request: client(),
      }).then(
        () => true,
        () => false,
      );
      if (!user) throw failure;
      return {
        id: user.id,
        login: user.login,
        suspended: Boolean(user.suspended_at),
        revokeFailed: !revoked,
      };
    },
  };
}

/** GitHub's web host for a REST base: `https://api.github.com` → `https://github.com`; GHES drops `/api/v3`. */
export function githubWebUrlFor(githubApiUrl: string): string {
  if (/^https:\/\/api\.github\.com\/?$/.test(githubApiUrl)) return "https://github.com";
  return githubApiUrl.replace(/\/api\/v3\/?$/, "");
}
