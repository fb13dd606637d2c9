// The activity page's routes, all behind GitHub sign-in (app/web/); none of them changes anything:
//   GET /activity                                  requests newest first, filtered, a page at a time
//   GET /activity/export.csv | export.json         every page of what the filter shows
//   GET /activity/requests/<id>                    one request's timeline
//   GET /activity/requests/<id>/export.csv | .json that timeline
// Signed out: sent to sign in, no data. A person sees the requests of repositories they can read on
// GitHub and every request of the organizations they administer; a request outside that is answered
// exactly as one that does not exist, so the page never tells a repository's name to someone who
// cannot read it.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "pino";
import { answer } from "../http/respond.js";
import {
  PRIVATE_HEADERS,
  redirect,
  type Scope,
  type Session,
  SessionEndedError,
  SIGNIN_PATH,
  sendHtml,
  type Web,
} from "../web/index.js";
import { exportList, exportTimeline } from "./export.js";
import { encodeCursor, parseQuery } from "./filters.js";
import { listPage, messagePage, timelinePage } from "./pages.js";
import { type ActivityStore, ownerKey, repositoryKey } from "./store.js";
import type { ActivityRequest } from "./types.js";

export const ACTIVITY_PATH = "/activity";
const PAGE_SIZE = 50;
/** Exports run at once per process, at most: each walks the whole filter. */
const MAX_EXPORTS = 2;
const REQUEST_PATH = /^\/activity\/requests\/([^/]{1,400})(?:\/export\.(csv|json))?$/;

export interface ActivityRoutesOptions {
  store: ActivityStore;
  /** GitHub sign-in; undefined when it is not configured (the page then says so, and shows nothing). */
  web: Web | undefined;
  log: Logger;
  now: () => Date;
}

export function activityRoutes(options: ActivityRoutesOptions) {
  const { store, web, log } = options;
  let exporting = 0;

  async function scopeFor(
    req: IncomingMessage,
    res: ServerResponse,
    session: Session,
  ): Promise<Scope | undefined> {
    if (!web) return undefined;
    try {
      return await web.access.scope(session);
    } catch (error) {
      if (error instanceof SessionEndedError) {
        redirect(res, `${SIGNIN_PATH}?return_to=${encodeURIComponent(req.url ?? ACTIVITY_PATH)}`, {
          "set-cookie": web.sessions.clear(),
        });
        return undefined;
      }
      log.warn({ err: error, githubLogin: session.login }, "GitHub did not say what a person can read");
      sendHtml(
        res,
        503,
        messagePage(
          "GitHub did not answer",
          "GitHub did not say which repositories you can read, so nothing is shown. Try again in a minute.",
          session,
        ),
        { "retry-after": "30" },
      );
      return undefined;
    }
  }

  const visible = (scope: Scope, request: ActivityRequest) =>
    scope.repositories.includes(repositoryKey(request.repository)) ||
    scope.owners.includes(ownerKey(request.repository));

  async function list(res: ServerResponse, url: URL, session: Session, scope: Scope) {
    const query = parseQuery(url.searchParams);
    const rows = await store.list(scope, query.filter, query.cursor, PAGE_SIZE + 1);
    const shown = rows.slice(0, PAGE_SIZE);
    const last = shown[shown.length - 1];
    const next =
      rows.length > PAGE_SIZE && last
        ? encodeCursor({ seenAt: last.seenAt.getTime(), requestId: last.requestId })
        : undefined;
    const refused =
      scope.owners.length > 0
        ? await store.refusedSince(new Date(options.now().getTime() - 24 * 60 * 60_000))
        : undefined;
    sendHtml(
      res,
      200,
      listPage({
        session,
        query,
        rows: shown,
        next,
        repositories: scope.repositories,
        refused,
        githubWebUrl: web?.oauth.githubWebUrl ?? "https://github.com",
      }),
    );
  }

  async function exportAll(res: ServerResponse, url: URL, format: "csv" | "json", scope: Scope) {
    if (exporting >= MAX_EXPORTS) {
      answer(res, 429, {
        text: "an export is already running; try again when it has finished",
        headers: { "retry-after": "10" },
      });
      return;
    }
    exporting += 1;
    try {
      const query = parseQuery(url.searchParams);
      await exportList(res, format, store, scope, query.filter, PRIVATE_HEADERS, options.now());
    } catch (error) {
      log.error({ err: error }, "activity export failed");
      if (!res.headersSent) answer(res, 500, { text: "the export failed" });
      else res.destroy();
    } finally {
      exporting -= 1;
    }
  }

  async function timeline(
    res: ServerResponse,
    requestId: string,
    format: "csv" | "json" | undefined,
    session: Session,
    scope: Scope,
  ) {
    const request = await store.get(requestId);
    if (!request || !visible(scope, request)) {
      sendHtml(
        res,
        404,
        messagePage("Not found", "There is no request with this id that you can see.", session),
      );
      return;
    }
    const events = await store.timeline(request.requestId);
    if (format) {
      exportTimeline(res, format, request, events, PRIVATE_HEADERS);
      return;
    }
    sendHtml(
      res,
      200,
      timelinePage({
        session,
        request,
        events,
        githubWebUrl: web?.oauth.githubWebUrl ?? "https://github.com",
      }),
    );
  }

  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const path = (req.url ?? "").split("?")[0] ?? "";
    if (path !== ACTIVITY_PATH && !path.startsWith(`${ACTIVITY_PATH}/`)) return false;
    if (req.method !== "GET" && req.method !== "HEAD") {
      answer(res, 405, { headers: { allow: "GET" }, close: true });
      return true;
    }
    if (!web) {
      sendHtml(
        res,
        503,
        messagePage(
          "Sign-in is not configured",
          "The activity page needs GitHub sign-in: set GITHUB_CLIENT_ID, GITHUB_CLIENT_SECRET and PUBLIC_URL, and add this App's /signin/github/callback to the GitHub App's callback URLs.",
        ),
      );
      return true;
    }
    const session = web.requireSession(req, res);
    if (!session) return true;
    const url = new URL(req.url ?? "/", "http://app.invalid");

    let route: (scope: Scope) => Promise<void>;
    if (path === ACTIVITY_PATH) route = (scope) => list(res, url, session, scope);
    else if (path === `${ACTIVITY_PATH}/export.csv`) route = (scope) => exportAll(res, url, "csv", scope);
    else if (path === `${ACTIVITY_PATH}/export.json`) route = (scope) => exportAll(res, url, "json", scope);
    else {
      const match = REQUEST_PATH.exec(path);
      let requestId: string | undefined;
      try {
        requestId = match ? decodeURIComponent(match[1] as string) : undefined;
      } catch {
        requestId = undefined;
      }
      if (!match || !requestId) {
        sendHtml(res, 404, messagePage("Not found", "There is no such page.", session));
        return true;
      }
      const format = match[2] as "csv" | "json" | undefined;
      route = (scope) => timeline(res, requestId as string, format, session, scope);
    }
    const scope = await scopeFor(req, res, session);
    if (!scope) return true;
    await route(scope);
    return true;
  };
}
