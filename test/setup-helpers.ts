// Shared by the setup suites: `npm start` before setup, a cookie-keeping visitor of the setup page,
// and the clicks a person makes on the fake GitHub's registration page and the fake Slack's install
// page.
import { join } from "node:path";
import type { FakeGitHub } from "../testkit/fakes/github.js";
import type { FakeSlack } from "../testkit/fakes/slack.js";
import { type Child, startAppProcess } from "../testkit/helpers/processes.js";

/**
 * `npm start`'s process in `dir` with only the settings that are not secrets: where GitHub and Slack
 * are, where to listen and the database. The rest is what setup writes to `dir/.env`.
 */
export function startBeforeSetup(options: {
  dir: string;
  port: number;
  github: FakeGitHub;
  slack: FakeSlack;
  env?: Record<string, string>;
}): Child {
  return startAppProcess({
    name: "npm start",
    cwd: options.dir,
    env: {
      NODE_ENV: "production",
      PORT: String(options.port),
      HOST: "127.0.0.1",
      GHE_HOST: options.github.host,
      GHE_PROTOCOL: "http",
      SLACK_API_URL: options.slack.url,
      DATABASE_URL: `sqlite://${join(options.dir, "app.db")}`,
      ...options.env,
    },
  });
}

/** What a browser keeps between requests to the setup page: its session cookie, and every page seen. */
export class Visitor {
  cookie: string | undefined;
  readonly pages: string[] = [];
  constructor(private readonly base: string) {}

  async get(path: string): Promise<Response> {
    const response = await fetch(new URL(path, this.base), {
      redirect: "manual",
      headers: this.cookie ? { cookie: this.cookie } : {},
    });
    const setCookie = response.headers.get("set-cookie");
    if (setCookie) this.cookie = setCookie.split(";")[0];
    return response;
  }

  async text(path: string): Promise<{ status: number; html: string; location: string | null }> {
    const response = await this.get(path);
    const html = await response.text();
    this.pages.push(html);
    return { status: response.status, html, location: response.headers.get("location") };
  }

  async post(
    path: string,
    form: Record<string, string>,
  ): Promise<{ status: number; html: string; location: string | null }> {
    const response = await fetch(new URL(path, this.base), {
      method: "POST",
      redirect: "manual",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        ...(this.cookie ? { cookie: this.cookie } : {}),
      },
      body: new URLSearchParams(form).toString(),
    });
    const html = await response.text();
    this.pages.push(html);
    return { status: response.status, html, location: response.headers.get("location") };
  }

  /** Opens the access address printed by `npm start`; the answer sets the session cookie. */
  async enter(accessUrl: string): Promise<Response> {
    const url = new URL(accessUrl);
    return this.get(url.pathname + url.search);
  }

  async csrf(): Promise<string> {
    const { html } = await this.text("/setup");
    return /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? "";
  }

  async flash(): Promise<string> {
    const { html } = await this.text("/setup");
    return /<p class="flash (?:ok|error)"[^>]*>([^<]*)</.exec(html)?.[1] ?? "";
  }

  /** Follows an absolute callback address (from GitHub or Slack) on this visitor's origin. */
  follow(location: string): Promise<{ status: number; html: string; location: string | null }> {
    const url = new URL(location);
    return this.text(url.pathname + url.search);
  }
}

function unescapeHtml(text: string): string {
  return text
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");
}

/**
 * From the page that carries the manifest to GitHub: posts it as the browser would, presses "Create
 * GitHub App" on the fake GitHub, and returns where GitHub sends the browser back (with code and state).
 */
export async function createOnGitHub(githubUrl: string, toGitHubPage: string): Promise<string> {
  const action = unescapeHtml(
    /<form method="post" action="([^"]+)" id="to-github">/.exec(toGitHubPage)?.[1] ?? "",
  );
  const manifest = unescapeHtml(/name="manifest" value="([^"]+)"/.exec(toGitHubPage)?.[1] ?? "");
  const page = await fetch(action, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ manifest }).toString(),
  }).then((r) => r.text());
  const pending = /name="pending" value="([0-9a-f]+)"/.exec(page)?.[1];
  if (!pending) throw new Error(`the fake GitHub did not show the registration page:\n${page}`);
  const confirm = await fetch(`${githubUrl}/settings/apps/new/confirm`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ pending }).toString(),
    redirect: "manual",
  });
  return confirm.headers.get("location") ?? "";
}

/** On the fake Slack's install page: Allow (or Cancel); returns where Slack sends the browser. */
export async function decideInSlack(
  authorizeUrl: string,
  decision: "allow" | "cancel" = "allow",
): Promise<string> {
  const page = await fetch(authorizeUrl).then((r) => r.text());
  const request = /name="request" value="([0-9a-f]+)"/.exec(page)?.[1];
  if (!request) throw new Error(`the fake Slack did not show the install page:\n${page}`);
  const answer = await fetch(new URL("/oauth/v2/authorize", authorizeUrl), {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ request, decision }).toString(),
    redirect: "manual",
  });
  return answer.headers.get("location") ?? "";
}
