// Who signed in: the GitHub App's user authorization (OAuth web flow). The App sends the browser to
// GitHub's authorize page with its client ID, its callback URL and a signed `state`; GitHub sends it back
// with a code; the App exchanges the code for a user access token, reads `GET /user` with it once, and
// revokes the token at once (DELETE /applications/{client_id}/token): linking needs to know who the
// person is, nothing more, so no user token is kept anywhere.
import { request } from "@octokit/request";
import { createGitHubOAuth } from "../web/github-oauth.js";

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
  /** Each call to GitHub gives up after this long (default 10 s). */
  timeoutMs?: number;
}

export interface SignIn {
  /** GitHub's web host (`https://github.com`, or the GitHub Enterprise Server host). */
  readonly githubWebUrl: string;
  /** Where to send the browser: GitHub's authorize page for this App, carrying `state`. */
  authorizeUrl(state: string): string;
  /**
   * Exchanges the code and reads who signed in. The token is revoked before this returns; when revoking
   * fails, `revokeFailed` says so (the token then lapses on its own, after at most 8 hours).
   */
  whoSignedIn(code: string): Promise<SignedIn & { revokeFailed: boolean }>;
}

/** The web flow is the one the App's web pages sign in with (app/web/github-oauth.ts); only the token's fate differs. */
export function createSignIn(options: SignInOptions): SignIn {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const oauth = createGitHubOAuth({ ...options, timeoutMs });

  return {
    githubWebUrl: oauth.githubWebUrl,
    // Linking names an existing account; nobody signs up to GitHub halfway through it (allow_signup=false).
    authorizeUrl: (state) => oauth.authorizeUrl(state),

    async whoSignedIn(code) {
      const { token } = await oauth.exchange(code);
      let user: SignedIn | undefined;
      let failure: unknown;
      try {
        user = await signedIn(options.githubApiUrl, token, timeoutMs);
      } catch (error) {
        failure = error;
      }
      // The token has done its one job; it is revoked whether or not reading the user worked.
      const revoked = await oauth.revoke(token);
      if (!user) throw failure;
      return { ...user, revokeFailed: !revoked };
    },
  };
}

/** `GET /user` with the person's token, with GitHub Enterprise Server's `suspended_at` (not in the web flow's user). */
async function signedIn(githubApiUrl: string, token: string, timeoutMs: number): Promise<SignedIn> {
  const { data } = await request("GET /user", {
    baseUrl: githubApiUrl,
    headers: { authorization: `token ${token}`, "user-agent": "slack-deploy-gate" },
    request: { signal: AbortSignal.timeout(timeoutMs) },
  });
  return {
    id: Number(data.id),
    login: data.login,
    suspended: Boolean((data as { suspended_at?: string | null }).suspended_at),
  };
}
