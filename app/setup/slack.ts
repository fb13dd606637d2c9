// The Slack calls setup makes: create the Slack app from its manifest with an app configuration token
// (`apps.manifest.create`), install it through OAuth (`oauth.v2.access`), and check a hand-pasted bot
// token (`auth.test`). Slack answers HTTP 200 with `ok: false` and an error name; each is explained.
const TIMEOUT_MS = 15_000;

export class SlackSetupError extends Error {
  override name = "SlackSetupError";
}

const EXPLAINED: Record<string, string> = {
  not_authed: "no configuration token was sent",
  invalid_auth: "Slack does not accept this configuration token (copy it again from api.slack.com/apps)",
  token_expired:
    "this configuration token has expired (they last 12 hours): generate a new one at api.slack.com/apps",
  token_revoked: "this token was revoked",
  not_allowed_token_type:
    "this is not an app configuration token (those start with xoxe.xoxp-; generate one at api.slack.com/apps)",
  invalid_manifest: "Slack refused the manifest",
  ratelimited: "Slack is rate-limiting these calls: wait a minute and try again",
  invalid_code: "Slack did not accept the install code (it works once, for 10 minutes): install again",
  code_already_used: "this install code was already used: install again",
  bad_redirect_uri: "the install came back to a different address than it started from: install again",
  invalid_client_id: "Slack does not know the app's client ID (was the Slack app deleted?)",
  bad_client_secret: "Slack did not accept the app's client secret",
  access_denied: "the install was cancelled in Slack",
  account_inactive: "the token belongs to a deactivated account or a removed app",
};

export function explainSlackError(error: string): string {
  return EXPLAINED[error] ?? `Slack answered ${error}`;
}

async function call(
  apiUrl: string,
  method: string,
  form: Record<string, string>,
  authorization: string | undefined,
): Promise<Record<string, unknown>> {
  let response: Response;
  try {
    response = await fetch(`${apiUrl}${method}`, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        ...(authorization ? { authorization } : {}),
      },
      body: new URLSearchParams(form).toString(),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (error) {
    throw new SlackSetupError(
      `Slack could not be reached at ${new URL(apiUrl).origin} (${(error as Error).message})`,
    );
  }
  if (response.status === 429) throw new SlackSetupError(explainSlackError("ratelimited"));
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    throw new SlackSetupError(`Slack answered ${method} with HTTP ${response.status} and no JSON`);
  }
  if (typeof body !== "object" || body === null)
    throw new SlackSetupError(`Slack's answer to ${method} is not an object`);
  const result = body as Record<string, unknown>;
  if (result.ok !== true) {
    const error = typeof result.error === "string" ? result.error : "unknown_error";
    const details = Array.isArray(result.errors)
      ? result.errors
          .map((e) => {
            const item = e as { message?: unknown; pointer?: unknown };
            return typeof item.message === "string"
              ? `${item.message}${typeof item.pointer === "string" ? ` (${item.pointer})` : ""}`
              : undefined;
          })
          .filter((m): m is string => m !== undefined)
          .slice(0, 10)
      : [];
    throw new SlackSetupError(
      `${explainSlackError(error)}${details.length ? `: ${details.join("; ")}` : ""}`.slice(0, 1500),
    );
  }
  return result;
}

export interface CreatedSlackApp {
  appId: string;
  clientId: string;
  clientSecret: string;
  signingSecret: string;
  /** Slack's install address for the app (`…/oauth/v2/authorize?client_id=…&scope=…`). */
  authorizeUrl: string | undefined;
}

export async function createSlackApp(
  apiUrl: string,
  configToken: string,
  manifest: Record<string, unknown>,
): Promise<CreatedSlackApp> {
  const result = await call(
    apiUrl,
    "apps.manifest.create",
    { manifest: JSON.stringify(manifest) },
    `Bearer ${configToken}`,
  );
  const credentials = (result.credentials ?? {}) as Record<string, unknown>;
  const text = (value: unknown) => (typeof value === "string" && value ? value : undefined);
  const appId = text(result.app_id);
  const clientId = text(credentials.client_id);
  const clientSecret = text(credentials.client_secret);
  const signingSecret = text(credentials.signing_secret);
  if (!appId || !clientId || !clientSecret || !signingSecret)
    throw new SlackSetupError("Slack created the app but its answer lacks the app's credentials");
  return { appId, clientId, clientSecret, signingSecret, authorizeUrl: text(result.oauth_authorize_url) };
}

export interface SlackInstall {
  botToken: string;
  appId: string | undefined;
  teamName: string | undefined;
  scopes: string[];
}

export async function exchangeOAuthCode(
  apiUrl: string,
  request: { clientId: string; clientSecret: string; code: string; redirectUri: string },
): Promise<SlackInstall> {
  // Slack prefers the client credentials in HTTP Basic rather than in the form.
  const basic = Buffer.from(`${request.clientId}:${request.clientSecret}`).toString("base64");
  const result = await call(
    apiUrl,
    "oauth.v2.access",
    { code: request.code, redirect_uri: request.redirectUri },
    `Basic ${basic}`,
  );
  const token = result.access_token;
  if (result.token_type !== "bot" || typeof token !== "string" || !token.startsWith("xoxb-"))
    throw new SlackSetupError(
      "Slack's install answer holds no bot token (does the manifest define a bot user?)",
    );
  const team = result.team as { name?: unknown } | null | undefined;
  return {
    botToken: token,
    appId: typeof result.app_id === "string" ? result.app_id : undefined,
    teamName: typeof team?.name === "string" ? team.name : undefined,
    scopes: typeof result.scope === "string" ? result.scope.split(",").filter(Boolean) : [],
  };
}

/** `auth.test` with a pasted bot token: proves it works before it is stored. */
export async function checkBotToken(apiUrl: string, token: string): Promise<{ team: string | undefined }> {
  const result = await call(apiUrl, "auth.test", {}, `Bearer ${token}`);
  return { team: typeof result.team === "string" ? result.team : undefined };
}

/**
 * Slack's install address: the one `apps.manifest.create` returned, or `oauth/v2/authorize` beside the
 * Web API (`https://slack.com/api/` → `https://slack.com/oauth/v2/authorize`), with this flow's
 * redirect and state.
 */
export function authorizeUrl(
  apiUrl: string,
  base: string | undefined,
  request: { clientId: string; scopes: string[]; redirectUri: string; state: string },
): string {
  let url: URL;
  try {
    url = new URL(base ?? new URL("../oauth/v2/authorize", apiUrl).toString());
  } catch {
    url = new URL("../oauth/v2/authorize", apiUrl);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") url = new URL("../oauth/v2/authorize", apiUrl);
  url.searchParams.set("client_id", request.clientId);
  if (!url.searchParams.get("scope") && request.scopes.length)
    url.searchParams.set("scope", request.scopes.join(","));
  url.searchParams.set("redirect_uri", request.redirectUri);
  url.searchParams.set("state", request.state);
  return url.toString();
}
