// A browser without a window, for the App's web pages: it keeps cookies per name (as a browser does
// for one site), follows nothing on its own, and signs in with GitHub through the fake GitHub's OAuth
// web flow (its authorize page, as a person choosing an account and pressing Authorize).
import type { FakeGitHub } from "../fakes/github.js";

export interface WebAnswer {
  status: number;
  location: string | null;
  body: string;
  headers: Headers;
  setCookies: string[];
}

export interface WebClient {
  readonly cookies: Map<string, string>;
  get(path: string, headers?: Record<string, string>): Promise<WebAnswer>;
  post(path: string, form: Record<string, string>, headers?: Record<string, string>): Promise<WebAnswer>;
  /** Signs in as `login` through GitHub; returns the answer that ended the sign-in (a redirect, or a problem). */
  signIn(login: string, returnTo?: string): Promise<WebAnswer>;
  /** The session's CSRF value, read from a page's sign-out form. */
  csrf(): Promise<string>;
}

export function webClient(appUrl: string, github: FakeGitHub): WebClient {
  const cookies = new Map<string, string>();

  async function send(url: string, init: RequestInit = {}): Promise<WebAnswer> {
    const cookie = [...cookies].map(([name, value]) => `${name}=${value}`).join("; ");
    const response = await fetch(url, {
      ...init,
      redirect: "manual",
      headers: { ...(cookie ? { cookie } : {}), ...(init.headers as Record<string, string> | undefined) },
    });
    const setCookies = response.headers.getSetCookie();
    for (const header of setCookies) {
      const [pair, ...attributes] = header.split(";");
      const eq = (pair ?? "").indexOf("=");
      const name = (pair ?? "").slice(0, eq).trim();
      const value = (pair ?? "").slice(eq + 1).trim();
      const gone = attributes.some((a) => /^\s*max-age=0\s*$/i.test(a)) || value === "";
      if (gone) cookies.delete(name);
      else cookies.set(name, value);
    }
    return {
      status: response.status,
      location: response.headers.get("location"),
      body: await response.text(),
      headers: response.headers,
      setCookies,
    };
  }

  const client: WebClient = {
    cookies,
    get: (path, headers) => send(new URL(path, appUrl).toString(), { headers }),
    post: (path, form, headers) =>
      send(new URL(path, appUrl).toString(), {
        method: "POST",
        body: new URLSearchParams(form).toString(),
        headers: {
          "content-type": "application/x-www-form-urlencoded",
          origin: new URL(appUrl).origin,
          ...headers,
        },
      }),
    async signIn(login, returnTo = "/activity") {
      const start = await client.get(`/signin/github?return_to=${encodeURIComponent(returnTo)}`);
      if (start.status !== 303 || !start.location) throw new Error(`sign-in did not start: ${start.status}`);
      const back = github.oauth.authorize(start.location, login);
      return send(back);
    },
    async csrf() {
      const page = await client.get("/activity");
      const match = /name="csrf" value="([^"]+)"/.exec(page.body);
      if (!match) throw new Error(`no sign-out form on the page (status ${page.status})`);
      return match[1] as string;
    },
  };
  return client;
}
