// The GitHub calls setup makes: turn the manifest flow's code into the App's credentials, then, with
// those, read the App and its installations (to tick "installed" on the checklist). Plain fetch: a
// handful of calls, and the App JWT is a few lines of node:crypto.
import { createSign } from "node:crypto";

const TIMEOUT_MS = 15_000;

export class GitHubSetupError extends Error {
  override name = "GitHubSetupError";
}

export interface RegisteredApp {
  id: number;
  slug: string;
  name: string;
  htmlUrl: string;
  owner: string | undefined;
  pem: string;
  webhookSecret: string;
  clientId: string;
  clientSecret: string;
}

export interface AppSummary {
  slug: string;
  name: string;
  htmlUrl: string;
  owner: string | undefined;
}

function headers(extra: Record<string, string> = {}): Record<string, string> {
  return {
    accept: "application/vnd.github+json",
    "x-github-api-version": "2022-11-28",
    "user-agent": "slack-deploy-gate-setup",
    ...extra,
  };
}

async function call(url: string, init: RequestInit): Promise<{ status: number; body: unknown }> {
  let response: Response;
  try {
    response = await fetch(url, { ...init, signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch (error) {
    throw new GitHubSetupError(
      `GitHub could not be reached at ${new URL(url).origin} (${(error as Error).message})`,
    );
  }
  const text = await response.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  return { status: response.status, body };
}

function message(body: unknown): string {
  const m = (body as { message?: unknown } | undefined)?.message;
  return typeof m === "string" ? m.slice(0, 300) : "no message";
}

/** `POST /app-manifests/{code}/conversions`: the code is the credential; it works once, for an hour. */
export async function convertManifestCode(apiUrl: string, code: string): Promise<RegisteredApp> {
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(code)) throw new GitHubSetupError("GitHub's code is malformed");
  const { status, body } = await call(`${apiUrl}/app-manifests/${code}/conversions`, {
    method: "POST",
    headers: headers(),
  });
  if (status === 404)
    throw new GitHubSetupError(
      "GitHub does not know this code any more (a code works once, within an hour): register again",
    );
  if (status !== 201)
    throw new GitHubSetupError(`GitHub refused the registration (${status}: ${message(body)})`);
  const app = body as Record<string, unknown>;
  const text = (key: string) => (typeof app[key] === "string" ? (app[key] as string) : undefined);
  const id = app.id;
  const pem = text("pem");
  const webhookSecret = text("webhook_secret");
  const clientId = text("client_id");
  const clientSecret = text("client_secret");
  if (typeof id !== "number" || !pem || !webhookSecret || !clientId || !clientSecret)
    throw new GitHubSetupError(
      "GitHub's answer lacks the App's ID, key, webhook secret or client credentials",
    );
  return {
    id,
    slug: text("slug") ?? String(id),
    name: text("name") ?? text("slug") ?? String(id),
    htmlUrl: text("html_url") ?? "",
    owner: ((app.owner as { login?: unknown } | undefined)?.login as string | undefined) ?? undefined,
    pem,
    webhookSecret,
    clientId,
    clientSecret,
  };
}

/** The App's JWT (RS256, 9 minutes, backdated 30 s for clock drift), as GitHub documents it. */
export function appJwt(appId: string | number, privateKey: string, now = Date.now()): string {
  const seconds = Math.floor(now / 1000);
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const unsigned = `${encode({ alg: "RS256", typ: "JWT" })}.${encode({ iat: seconds - 30, exp: seconds + 540, iss: String(appId) })}`;
  const signature = createSign("RSA-SHA256").update(unsigned).sign(privateKey.replace(/\\n/g, "\n"));
  return `${unsigned}.${signature.toString("base64url")}`;
}

function asApp(apiUrl: string, appId: string, privateKey: string) {
  let jwt: string;
  try {
    jwt = appJwt(appId, privateKey);
  } catch {
    throw new GitHubSetupError("the App's private key cannot sign (is it the PEM GitHub gave?)");
  }
  return (path: string) => call(`${apiUrl}${path}`, { headers: headers({ authorization: `Bearer ${jwt}` }) });
}

/** `GET /app`: proves the ID and key work, and names the App. */
export async function getApp(apiUrl: string, appId: string, privateKey: string): Promise<AppSummary> {
  const { status, body } = await asApp(apiUrl, appId, privateKey)("/app");
  if (status !== 200)
    throw new GitHubSetupError(`GitHub refused the App's ID and key (${status}: ${message(body)})`);
  const app = body as { slug?: string; name?: string; html_url?: string; owner?: { login?: string } | null };
  return {
    slug: app.slug ?? appId,
    name: app.name ?? app.slug ?? appId,
    htmlUrl: app.html_url ?? "",
    owner: app.owner?.login,
  };
}

/** How many accounts the App is installed on (first page is enough: the checklist needs one). */
export async function countInstallations(apiUrl: string, appId: string, privateKey: string): Promise<number> {
  const { status, body } = await asApp(apiUrl, appId, privateKey)("/app/installations?per_page=100");
  if (status !== 200)
    throw new GitHubSetupError(
      `GitHub refused to list the App's installations (${status}: ${message(body)})`,
    );
  return Array.isArray(body) ? body.length : 0;
}

/** The webhook URL GitHub has for the App: the public address it was registered with. */
export async function getWebhookUrl(
  apiUrl: string,
  appId: string,
  privateKey: string,
): Promise<string | undefined> {
  const { status, body } = await asApp(apiUrl, appId, privateKey)("/app/hook/config");
  if (status !== 200) return undefined;
  const url = (body as { url?: unknown } | undefined)?.url;
  return typeof url === "string" ? url : undefined;
}
