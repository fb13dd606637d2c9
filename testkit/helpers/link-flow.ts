// A person linking their GitHub account, the way a browser does it: `/deploy-gate link` (a signed slash
// command, as Slack sends it) → the link button's URL → the App's confirm page (its cookie kept) → its
// form → GitHub's authorize page (the fake's, signing in as someone) → the App's callback. Each step is
// exposed, so tests can also go off the path: replay a callback, forge a state, switch browsers.
import { randomBytes } from "node:crypto";
import type { FakeGitHub } from "../fakes/github.js";
import { FAKE_APP_ID, FAKE_TEAM_ID } from "../fakes/slack.js";
import { postSignedBody, type RouteResponse } from "./slack-sign.js";

export interface CommandOptions {
  teamId?: string;
  enterpriseId?: string;
  appId?: string;
  channelId?: string;
  /** Sign as of this Unix time (seconds). */
  timestampSeconds?: number;
  /** The same body again (a replay) needs the same trigger id. */
  triggerId?: string;
}

/** The form Slack posts for `/deploy-gate <text>`, field for field. */
export function commandBody(user: string, text: string, options: CommandOptions = {}): string {
  return new URLSearchParams({
    token: "deprecated-verification-token",
    team_id: options.teamId ?? FAKE_TEAM_ID,
    team_domain: "fake-workspace",
    ...(options.enterpriseId ? { enterprise_id: options.enterpriseId, enterprise_name: "Fake Grid" } : {}),
    channel_id: options.channelId ?? "C0DEPLOYS",
    channel_name: "deploys",
    user_id: user,
    user_name: user.toLowerCase(),
    command: "/deploy-gate",
    text,
    api_app_id: options.appId ?? FAKE_APP_ID,
    is_enterprise_install: "false",
    response_url: "https://hooks.slack.com/commands/T0FAKETEAM/1/abc",
    // Unique per command, as Slack's are: two identical commands are two different bodies.
    trigger_id: options.triggerId ?? `${Date.now()}.${randomBytes(6).toString("hex")}`,
  }).toString();
}

export interface CommandReply {
  status: number;
  response_type?: string;
  text?: string;
  blocks?: Array<{ type: string; elements?: Array<{ url?: string; action_id?: string }> }>;
  raw: RouteResponse;
}

export async function slashCommand(
  appUrl: string,
  secret: string,
  user: string,
  text: string,
  options: CommandOptions = {},
): Promise<CommandReply> {
  const raw = await postSignedBody(`${appUrl}/slack/commands`, commandBody(user, text, options), secret, {
    ...(options.timestampSeconds ? { timestampSeconds: options.timestampSeconds } : {}),
  });
  const json = raw.status === 200 && raw.body ? (JSON.parse(raw.body) as Partial<CommandReply>) : {};
  return { ...json, status: raw.status, raw };
}

/** The URL of the first link button in a reply's blocks (an ephemeral or a command's answer). */
export function linkButtonUrl(blocks: unknown[] | undefined): string | undefined {
  for (const block of (blocks ?? []) as CommandReply["blocks"] & object[]) {
    for (const element of block.elements ?? []) if (element.url) return element.url;
  }
  return undefined;
}

export interface Browser {
  /** Cookies this browser holds, by name. */
  cookies: Map<string, string>;
}

export function newBrowser(): Browser {
  return { cookies: new Map() };
}

function cookieHeader(browser: Browser): string {
  return [...browser.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
}

function keepCookies(browser: Browser, response: Response): void {
  for (const line of response.headers.getSetCookie()) {
    const [pair, ...attributes] = line.split(";");
    const [name, ...rest] = (pair ?? "").trim().split("=");
    if (!name) continue;
    const expired = attributes.some((a) => /^\s*max-age=0\s*$/i.test(a));
    if (expired) browser.cookies.delete(name);
    else browser.cookies.set(name, rest.join("="));
  }
}

export interface Page {
  status: number;
  html: string;
  headers: Headers;
}

/** Opens a page as the browser (its cookies sent and kept), without following redirects. */
export async function visit(
  browser: Browser,
  url: string,
  init: RequestInit = {},
): Promise<Page & { location?: string }> {
  const response = await fetch(url, {
    ...init,
    redirect: "manual",
    headers: { ...(init.headers as Record<string, string>), cookie: cookieHeader(browser) },
  });
  keepCookies(browser, response);
  return {
    status: response.status,
    html: await response.text(),
    headers: response.headers,
    location: response.headers.get("location") ?? undefined,
  };
}

function hidden(html: string, name: string): string {
  const match = new RegExp(`name="${name}" value="([^"]*)"`).exec(html);
  if (!match) throw new Error(`no hidden field ${name} on the page`);
  return (match[1] as string)
    .replace(/&amp;/g, "&")
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'");
}

/** Opens the link button's URL and presses Continue: returns GitHub's authorize URL. */
export async function startLink(browser: Browser, linkUrl: string): Promise<string> {
  const page = await visit(browser, linkUrl);
  if (page.status !== 200)
    throw new Error(`the link page answered ${page.status}: ${page.html.slice(0, 300)}`);
  const origin = new URL(linkUrl).origin;
  const form = new URLSearchParams({
    ticket: hidden(page.html, "ticket"),
    confirm: hidden(page.html, "confirm"),
  });
  const posted = await visit(browser, `${origin}/github/link`, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      origin,
      "sec-fetch-site": "same-origin",
    },
    body: form.toString(),
  });
  if (posted.status !== 303 || !posted.location) {
    throw new Error(`continuing answered ${posted.status}: ${posted.html.slice(0, 300)}`);
  }
  return posted.location;
}

/** The whole flow: the App's pages, GitHub's sign-in as `login`, the callback. Returns the last page. */
export async function linkAs(
  github: FakeGitHub,
  linkUrl: string,
  login: string,
  browser: Browser = newBrowser(),
): Promise<Page & { callbackUrl: string }> {
  const authorizeUrl = await startLink(browser, linkUrl);
  const callbackUrl = github.oauth.authorize(authorizeUrl, login);
  return { ...(await visit(browser, callbackUrl)), callbackUrl };
}

/** The text of the page's outcome paragraph (`#outcome`), tags removed. */
export function outcomeOf(html: string): string {
  const match = /id="outcome">([\s\S]*?)<\/p>/.exec(html);
  return (match?.[1] ?? "")
    .replace(/<[^>]+>/g, "")
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, "&")
    .trim();
}
