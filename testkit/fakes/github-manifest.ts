// GitHub's "register a GitHub App from a manifest" flow, for the fake GitHub:
// - the web side: `POST /settings/apps/new?state=…` (or `/organizations/{org}/settings/apps/new`) with a
//   `manifest` form field shows the registration page; its "Create GitHub App" button sends the browser
//   to the manifest's `redirect_url` with `code` and `state`, as GitHub does;
// - the API side: `POST /app-manifests/{code}/conversions` (no credentials: the code is one) answers
//   the App with its `pem`, `webhook_secret`, `client_id` and `client_secret`; a code works once, for an
//   hour. `GET /app/installations` and `GET /app/hook/config` let the new App look itself up.
// The App that the flow "creates" is the fake's own App (its ID, key and webhook secret), so the App
// set up this way authenticates against the fake and verifies its webhooks like any other test App.
import { randomBytes } from "node:crypto";
import type { ServerResponse } from "node:http";
import { createRequire } from "node:module";
import type { AppIdentity } from "./github-objects.js";
import * as objects from "./github-objects.js";
import type { OpenApi } from "./github-openapi.js";
import type { Handler, Reply } from "./github-routes.js";
import { error } from "./github-routes.js";
import { escapeHtml, sendPage } from "./html.js";

const CODE_TTL_MS = 60 * 60 * 1000;
const MAX_APP_NAME = 34;
/** Top-level keys GitHub documents for a manifest. */
const MANIFEST_KEYS = new Set([
  "name",
  "url",
  "hook_attributes",
  "redirect_url",
  "callback_urls",
  "setup_url",
  "description",
  "public",
  "default_events",
  "default_permissions",
  "request_oauth_on_install",
  "setup_on_update",
]);
/**
 * Events whose subscription needs a permission (GitHub's webhook docs: "to subscribe to this event, a
 * GitHub App must have at least read-level access for the … permission"); GitHub refuses the rest.
 */
const EVENT_PERMISSION: Record<string, string> = {
  push: "contents",
  workflow_run: "actions",
  workflow_job: "actions",
  deployment_protection_rule: "deployments",
  deployment: "deployments",
  deployment_status: "deployments",
  check_run: "checks",
  check_suite: "checks",
  pull_request: "pull_requests",
  issues: "issues",
};

export interface ManifestRegistration {
  /** Login of the account the App was registered on (the organization, or the signed-in user). */
  account: string;
  manifest: Record<string, unknown>;
  state: string | null;
  code: string;
  createdAt: number;
  converted: boolean;
}

export interface ManifestFlowOptions {
  openapi: OpenApi;
  app: AppIdentity;
  /** The web host, e.g. `http://127.0.0.1:PORT`. */
  webUrl: () => string;
  privateKey: string;
  webhookSecret: string;
  /** Who is signed in on the fake's web pages (default `octocat`). */
  user?: string;
  violations: string[];
  clock?: () => number;
}

export interface ManifestFlow {
  registrations: ManifestRegistration[];
  handlers: Record<string, Handler>;
  /** Serves the web pages of the flow; false when the request is not one of them. */
  page(method: string, url: URL, body: Buffer, res: ServerResponse): boolean;
}

let webhookEvents: Set<string> | undefined;
/** Event names from @octokit/webhooks-schemas (`push_event` → `push`, `create$event` → `create`). */
function knownEvents(): Set<string> {
  if (webhookEvents) return webhookEvents;
  const require = createRequire(import.meta.url);
  const schema = require("@octokit/webhooks-schemas") as { definitions: Record<string, unknown> };
  webhookEvents = new Set(
    Object.keys(schema.definitions)
      .filter((name) => /(_|\$)event$/.test(name))
      .map((name) => name.replace(/(_|\$)event$/, "")),
  );
  return webhookEvents;
}

function isHttpUrl(value: unknown): boolean {
  if (typeof value !== "string") return false;
  try {
    const url = new URL(value);
    return url.protocol === "https:" || url.protocol === "http:";
  } catch {
    return false;
  }
}

/** What GitHub's registration page would refuse in this manifest; empty when it is acceptable. */
export function manifestProblems(openapi: OpenApi, manifest: unknown, takenNames: string[]): string[] {
  if (typeof manifest !== "object" || manifest === null || Array.isArray(manifest))
    return ["the manifest is not a JSON object"];
  const m = manifest as Record<string, unknown>;
  const problems: string[] = [];
  for (const key of Object.keys(m)) if (!MANIFEST_KEYS.has(key)) problems.push(`unknown manifest key ${key}`);
  if (typeof m.name !== "string" || !m.name.trim()) problems.push("Name can't be blank");
  else {
    if (m.name.length > MAX_APP_NAME)
      problems.push(`Name is too long (maximum is ${MAX_APP_NAME} characters)`);
    if (takenNames.some((n) => n.toLowerCase() === (m.name as string).toLowerCase()))
      problems.push("Name is already in use");
  }
  if (!isHttpUrl(m.url)) problems.push("Homepage URL must be a valid URL");
  const hook = m.hook_attributes as { url?: unknown; active?: unknown } | undefined;
  if (hook !== undefined) {
    if (typeof hook !== "object" || hook === null) problems.push("hook_attributes must be an object");
    else if (hook.active !== false && !isHttpUrl(hook.url)) problems.push("Webhook URL must be a valid URL");
  }
  if (!isHttpUrl(m.redirect_url)) problems.push("redirect_url must be a valid URL");
  if (m.public !== undefined && typeof m.public !== "boolean") problems.push("public must be a boolean");
  const permissions = (m.default_permissions ?? {}) as Record<string, unknown>;
  const wrong = openapi.checkComponent("app-permissions", permissions);
  if (wrong) problems.push(`default_permissions: ${wrong}`);
  const events = m.default_events ?? [];
  if (!Array.isArray(events)) problems.push("default_events must be an array");
  else {
    const known = knownEvents();
    for (const event of events) {
      if (typeof event !== "string" || !known.has(event)) {
        problems.push(`Default events unsupported: ${String(event)}`);
        continue;
      }
      const needed = EVENT_PERMISSION[event];
      if (needed && !permissions[needed])
        problems.push(`Default events unsupported: ${event} (needs the ${needed} permission)`);
    }
  }
  return problems;
}

export function createManifestFlow(options: ManifestFlowOptions): ManifestFlow {
  const clock = options.clock ?? Date.now;
  const registrations: ManifestRegistration[] = [];
  /** Registration pages shown but not yet confirmed, by a one-off id. */
  const pending = new Map<string, Omit<ManifestRegistration, "code" | "createdAt" | "converted">>();
  const user = options.user ?? "octocat";

  function page(method: string, url: URL, body: Buffer, res: ServerResponse): boolean {
    const register = /^\/(?:organizations\/([A-Za-z0-9-]+)\/)?settings\/apps\/new$/.exec(url.pathname);
    if (register && method === "POST") {
      const form = new URLSearchParams(body.toString("utf8"));
      const raw = form.get("manifest");
      let manifest: unknown;
      try {
        manifest = raw ? JSON.parse(raw) : undefined;
      } catch {
        manifest = undefined;
      }
      const taken = registrations.filter((r) => r.converted).map((r) => String(r.manifest.name));
      const problems =
        manifest === undefined
          ? ["no manifest, or not JSON"]
          : manifestProblems(options.openapi, manifest, taken);
      if (problems.length) {
        options.violations.push(`POST ${url.pathname} → 422: manifest refused: ${problems.join("; ")}`);
        sendPage(
          res,
          422,
          "The manifest could not be used",
          `<ul>${problems.map((p) => `<li>${escapeHtml(p)}</li>`).join("")}</ul>`,
        );
        return true;
      }
      const m = manifest as Record<string, unknown>;
      const id = randomBytes(8).toString("hex");
      pending.set(id, { account: register[1] ?? user, manifest: m, state: url.searchParams.get("state") });
      const permissions = Object.entries((m.default_permissions ?? {}) as Record<string, string>)
        .map(([k, v]) => `<li>${escapeHtml(k)}: ${escapeHtml(v)}</li>`)
        .join("");
      sendPage(
        res,
        200,
        `Create GitHub App for ${register[1] ?? user}`,
        `<form method="post" action="/settings/apps/new/confirm">
<input type="hidden" name="pending" value="${id}">
<p>GitHub App name: <b id="app-name">${escapeHtml(String(m.name))}</b></p>
<p>Webhook URL: <code id="hook-url">${escapeHtml(String((m.hook_attributes as { url?: unknown } | undefined)?.url ?? ""))}</code></p>
<ul id="permissions">${permissions}</ul>
<button type="submit" id="create-app">Create GitHub App for ${escapeHtml(register[1] ?? user)}</button>
</form>`,
      );
      return true;
    }
    if (url.pathname === "/settings/apps/new/confirm" && method === "POST") {
      const id = new URLSearchParams(body.toString("utf8")).get("pending") ?? "";
      const shown = pending.get(id);
      if (!shown) {
        sendPage(res, 404, "Not Found", "<p>This registration page has expired.</p>");
        return true;
      }
      pending.delete(id);
      const code = randomBytes(10).toString("hex");
      registrations.push({ ...shown, code, createdAt: clock(), converted: false });
      const redirect = new URL(String(shown.manifest.redirect_url));
      redirect.searchParams.set("code", code);
      if (shown.state !== null) redirect.searchParams.set("state", shown.state);
      res.writeHead(302, { location: redirect.toString() }).end();
      return true;
    }
    return false;
  }

  const handlers: Record<string, Handler> = {
    "apps/create-from-manifest": {
      needs: "none",
      handle(ctx, call): Reply {
        const registration = registrations.find((r) => r.code === call.params.code);
        if (!registration || registration.converted || clock() - registration.createdAt > CODE_TTL_MS)
          return error(404, "Not Found");
        registration.converted = true;
        const m = registration.manifest;
        const name = String(m.name);
        // The registered App is the fake's own App, under the manifest's name.
        ctx.app.name = name;
        ctx.app.slug = name
          .toLowerCase()
          .replace(/[^a-z0-9]+/g, "-")
          .replace(/^-|-$/g, "");
        ctx.app.owner = registration.account;
        ctx.app.createdAt = new Date(clock()).toISOString().replace(/\.\d{3}Z$/, "Z");
        const base = objects.integration(ctx.urls, ctx.app);
        return {
          status: 201,
          body: {
            ...base,
            owner: objects.simpleUser(
              ctx.urls,
              registration.account,
              registration.account === user ? "User" : "Organization",
            ),
            description: typeof m.description === "string" ? m.description : null,
            external_url: String(m.url),
            permissions: m.default_permissions ?? {},
            events: m.default_events ?? [],
            client_secret: randomBytes(20).toString("hex"),
            webhook_secret: options.webhookSecret,
            pem: options.privateKey.replace(/\\n/g, "\n"),
          },
        };
      },
    },
    "apps/list-installations": {
      needs: "app",
      handle: (ctx) => ({
        status: 200,
        body: [...ctx.state.installations.values()].map((i) => {
          const installation = objects.installation(ctx.urls, ctx.app, i);
          // GitHub's description types this list's `account` as simple-user AND enterprise (allOf, unlike
          // the single-installation route's anyOf); the enterprise fields make the answer valid for both.
          return {
            ...installation,
            account: {
              ...installation.account,
              name: i.account,
              slug: i.account.toLowerCase(),
              created_at: i.createdAt,
              updated_at: i.createdAt,
            },
          };
        }),
      }),
    },
    "apps/get-webhook-config-for-app": {
      needs: "app",
      handle() {
        const converted = registrations.filter((r) => r.converted).at(-1);
        const hook = converted?.manifest.hook_attributes as { url?: unknown } | undefined;
        return {
          status: 200,
          body: {
            url: typeof hook?.url === "string" ? hook.url : `${options.webUrl()}/webhook`,
            content_type: "json",
            insecure_ssl: "0",
          },
        };
      },
    },
  };

  return { registrations, handlers, page };
}
