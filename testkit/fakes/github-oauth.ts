// The GitHub App's user authorization (OAuth web flow) on the fake GitHub, as GitHub documents it in
// "Generating a user access token for a GitHub App" (these endpoints are web endpoints, not in the
// REST description; `DELETE /applications/{client_id}/token` is, and is validated like any operation):
// - `GET /login/oauth/authorize?client_id&redirect_uri&state[&login]`: the sign-in and authorize page.
//   `redirect_uri` must be one of the App's callback URLs (the first is used when it is left out). The
//   page lets the person choose which account signs in (a test's "sign in as"); Authorize sends the
//   browser to `redirect_uri?code&state`, Cancel to `redirect_uri?error=access_denied&…&state`.
// - `POST /login/oauth/access_token` (`client_id`, `client_secret`, `code`, optional `redirect_uri`, as a
//   form, JSON or query): a code works once, for 10 minutes, for the client it was issued to, and only
//   with the redirect_uri it was issued with. Errors are HTTP 200 with `error`, as GitHub answers.
//   Answers JSON when asked (`Accept: application/json`), a form otherwise.
// - `DELETE /applications/{client_id}/token` with Basic client credentials revokes a user token.
import { randomBytes } from "node:crypto";
import type { ServerResponse } from "node:http";
import type { GitHubAuth } from "./github-auth.js";
import type { AppIdentity } from "./github-objects.js";
import type { GitHubPeople, UserState } from "./github-people.js";
import { error, type Handler } from "./github-routes.js";
import { escapeHtml, sendPage } from "./html.js";

const CODE_TTL_MS = 10 * 60 * 1000;
const TROUBLESHOOTING =
  "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors";

export interface IssuedCode {
  code: string;
  clientId: string;
  /** As given to the authorize page; null when it was left out (the first callback URL was used). */
  redirectUri: string | null;
  userId: number;
  createdAt: number;
  used: boolean;
}

export interface TokenExchange {
  code: string;
  /** The error GitHub answered, or null when a token was issued. */
  error: string | null;
  at: number;
}

export interface OAuthFlowOptions {
  app: AppIdentity;
  clientId: string;
  clientSecret: string;
  auth: GitHubAuth;
  people: GitHubPeople;
  violations: string[];
  clock?: () => number;
}

export interface OAuthFlow {
  readonly clientId: string;
  readonly clientSecret: string;
  /** The App's callback URLs (its settings page); set them before a flow starts. */
  callbackUrls: string[];
  codes: IssuedCode[];
  exchanges: TokenExchange[];
  handlers: Record<string, Handler>;
  /** Serves the flow's web endpoints; false when the request is not one of them. */
  page(method: string, url: URL, body: Buffer, headers: { accept?: string }, res: ServerResponse): boolean;
  /**
   * What a browser does on the authorize page: signs in as `login` and presses Authorize (or Cancel).
   * Returns where GitHub sends the browser next (the callback URL with `code` or `error`, and `state`).
   */
  authorize(authorizeUrl: string, login: string, decision?: "authorize" | "cancel"): string;
}

interface PendingAuthorization {
  clientId: string;
  redirectUri: string | null;
  target: string;
  state: string | null;
}

/** GitHub's sign-in pages: small, and never cached (each carries a one-time request). */
const PAGE_STYLE =
  "body{font:15px/1.5 system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem;color:#1f2328}form{border:1px solid #d1d9e0;border-radius:6px;padding:1rem}button{font:inherit;padding:.4rem 1rem;margin-right:.5rem}.primary{background:#1f883d;color:#fff;border:1px solid #1a7f37;border-radius:6px}";

function html(res: ServerResponse, status: number, title: string, body: string): void {
  sendPage(res, status, title, body, { style: PAGE_STYLE, noStore: true });
}

export function createOAuthFlow(options: OAuthFlowOptions): OAuthFlow {
  const clock = options.clock ?? Date.now;
  const { auth, people, violations } = options;
  auth.clientSecret = options.clientSecret;
  const pending = new Map<string, PendingAuthorization>();
  const codes: IssuedCode[] = [];
  const exchanges: TokenExchange[] = [];

  const flow: OAuthFlow = {
    clientId: options.clientId,
    clientSecret: options.clientSecret,
    callbackUrls: [],
    codes,
    exchanges,
    handlers: {
      "apps/delete-token": {
        needs: "none",
        handle(_ctx, call) {
          if (call.credential.kind !== "client" || call.params.client_id !== options.clientId) {
            return {
              ...error(404, "Not Found"),
              violation:
                "DELETE /applications/{client_id}/token needs the App's client ID and secret (Basic)",
            };
          }
          const token = (call.body as { access_token?: unknown } | undefined)?.access_token;
          if (typeof token !== "string" || !auth.revokeUserToken(token)) {
            return error(422, "Validation Failed", {
              errors: [{ resource: "OauthAccess", field: "access_token", code: "invalid" }],
            });
          }
          return { status: 204 };
        },
      },
    },

    page(method, url, body, headers, res) {
      if (url.pathname === "/login/oauth/authorize" && method === "GET") {
        showAuthorize(url, res);
        return true;
      }
      if (url.pathname === "/login/oauth/authorize" && method === "POST") {
        const form = new URLSearchParams(body.toString("utf8"));
        const result = decide(form.get("request") ?? "", form.get("login") ?? "", form.get("decision"));
        if (result.ok) res.writeHead(302, { location: result.location }).end();
        else html(res, result.status, "Sign-in failed", `<p id="problem">${escapeHtml(result.problem)}</p>`);
        return true;
      }
      if (url.pathname === "/login/oauth/access_token" && method === "POST") {
        exchangeCode(url, body, headers.accept ?? "", res);
        return true;
      }
      return false;
    },

    authorize(authorizeUrl, login, decision = "authorize") {
      const url = new URL(authorizeUrl);
      const request = open(url);
      if (!request.ok) throw new Error(`the authorize page refused: ${request.problem}`);
      const result = decide(request.id, login, decision);
      if (!result.ok) throw new Error(`signing in as ${login} failed: ${result.problem}`);
      return result.location;
    },
  };

  function open(url: URL): { ok: true; id: string } | { ok: false; status: number; problem: string } {
    const clientId = url.searchParams.get("client_id");
    if (clientId !== options.clientId) {
      violations.push(`GET /login/oauth/authorize → 404: unknown client_id ${String(clientId)}`);
      return { ok: false, status: 404, problem: "Not Found" };
    }
    const redirectUri = url.searchParams.get("redirect_uri");
    const target = redirectUri ?? flow.callbackUrls[0];
    if (!target || !flow.callbackUrls.includes(target)) {
      violations.push(
        `GET /login/oauth/authorize: redirect_uri ${String(redirectUri)} is not one of the App's callback URLs`,
      );
      return { ok: false, status: 400, problem: "The redirect_uri is not associated with this application." };
    }
    const id = randomBytes(12).toString("hex");
    pending.set(id, { clientId, redirectUri, target, state: url.searchParams.get("state") });
    return { ok: true, id };
  }

  function showAuthorize(url: URL, res: ServerResponse): void {
    const request = open(url);
    if (!request.ok) {
      html(res, request.status, "Something went wrong", `<p id="problem">${escapeHtml(request.problem)}</p>`);
      return;
    }
    const suggested = url.searchParams.get("login") ?? "";
    const choices = people
      .list()
      .map(
        (u) =>
          `<option value="${escapeHtml(u.login)}"${u.login.toLowerCase() === suggested.toLowerCase() ? " selected" : ""}>${escapeHtml(u.login)}${u.name ? ` (${escapeHtml(u.name)})` : ""}</option>`,
      )
      .join("");
    html(
      res,
      200,
      `Authorize ${options.app.name}`,
      `<form method="post" action="/login/oauth/authorize">
<input type="hidden" name="request" value="${request.id}">
<p><label>Signed in to GitHub as <select name="login" id="login">${choices}</select></label></p>
<p>${escapeHtml(options.app.name)} wants to know who you are on GitHub. It will be able to read your public profile.</p>
<p>Authorizing will redirect to <code id="redirect">${escapeHtml(new URL(pendingTarget(request.id)).origin)}</code></p>
<button type="submit" name="decision" value="cancel" id="cancel">Cancel</button>
<button type="submit" name="decision" value="authorize" id="authorize" class="primary">Authorize ${escapeHtml(options.app.name)}</button>
</form>`,
    );
  }

  function pendingTarget(id: string): string {
    return pending.get(id)?.target ?? "about:blank";
  }

  function decide(
    id: string,
    login: string,
    decision: string | null,
  ): { ok: true; location: string } | { ok: false; status: number; problem: string } {
    const request = pending.get(id);
    if (!request) return { ok: false, status: 404, problem: "This authorization page has expired." };
    const back = new URL(request.target);
    if (decision !== "authorize") {
      pending.delete(id);
      back.searchParams.set("error", "access_denied");
      back.searchParams.set("error_description", "The user has denied your application access.");
      back.searchParams.set(
        "error_uri",
        "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-authorization-request-errors/#access-denied",
      );
      if (request.state !== null) back.searchParams.set("state", request.state);
      return { ok: true, location: back.toString() };
    }
    const user: UserState | undefined = people.find(login);
    if (!user) return { ok: false, status: 401, problem: "Incorrect username or password." };
    if (user.suspendedAt) return { ok: false, status: 403, problem: "Your account has been suspended." };
    pending.delete(id);
    const code = randomBytes(10).toString("hex");
    codes.push({
      code,
      clientId: request.clientId,
      redirectUri: request.redirectUri,
      userId: user.id,
      createdAt: clock(),
      used: false,
    });
    back.searchParams.set("code", code);
    if (request.state !== null) back.searchParams.set("state", request.state);
    return { ok: true, location: back.toString() };
  }

  function exchangeCode(url: URL, body: Buffer, accept: string, res: ServerResponse): void {
    const fields = new URLSearchParams(url.search);
    const text = body.toString("utf8");
    if (text.trim().startsWith("{")) {
      try {
        for (const [k, v] of Object.entries(JSON.parse(text) as Record<string, unknown>)) {
          if (typeof v === "string") fields.set(k, v);
        }
      } catch {
        // An unreadable body carries no fields; the checks below answer for the missing ones.
      }
    } else {
      for (const [k, v] of new URLSearchParams(text)) fields.set(k, v);
    }
    const json = /application\/json/i.test(accept);
    const answer = (payload: Record<string, string | number>) => {
      if (json) {
        res
          .writeHead(200, { "content-type": "application/json; charset=utf-8" })
          .end(JSON.stringify(payload));
      } else {
        const form = new URLSearchParams(
          Object.entries(payload).map(([k, v]): [string, string] => [k, String(v)]),
        );
        res.writeHead(200, { "content-type": "application/x-www-form-urlencoded" }).end(form.toString());
      }
    };
    const code = fields.get("code") ?? "";
    const fail = (name: string, description: string, anchor: string, violation: boolean) => {
      exchanges.push({ code, error: name, at: clock() });
      if (violation) violations.push(`POST /login/oauth/access_token → ${name}: ${description}`);
      answer({ error: name, error_description: description, error_uri: `${TROUBLESHOOTING}#${anchor}` });
    };
    if (
      fields.get("client_id") !== options.clientId ||
      fields.get("client_secret") !== options.clientSecret
    ) {
      fail(
        "incorrect_client_credentials",
        "The client_id and/or client_secret passed are incorrect.",
        "incorrect-client-credentials",
        true,
      );
      return;
    }
    const issued = codes.find((c) => c.code === code);
    if (
      !issued ||
      issued.used ||
      clock() - issued.createdAt > CODE_TTL_MS ||
      issued.clientId !== options.clientId
    ) {
      fail(
        "bad_verification_code",
        "The code passed is incorrect or expired.",
        "bad-verification-code",
        false,
      );
      return;
    }
    const redirectUri = fields.get("redirect_uri");
    if (redirectUri !== null && redirectUri !== (issued.redirectUri ?? flow.callbackUrls[0])) {
      fail(
        "redirect_uri_mismatch",
        "The redirect_uri MUST match the registered callback URL for this application.",
        "redirect-uri-mismatch",
        true,
      );
      return;
    }
    issued.used = true;
    const token = auth.issueUserToken(issued.userId);
    exchanges.push({ code, error: null, at: clock() });
    answer({
      access_token: token.token,
      expires_in: token.expiresInSeconds,
      refresh_token: `ghr_${randomBytes(36).toString("base64url")}`,
      refresh_token_expires_in: 15_811_200,
      scope: "",
      token_type: "bearer",
    });
  }

  return flow;
}
