// The operations layer as one Probot application function, for `npm start` (app/main.ts) and for any
// harness that serves the App: load it before the App itself, so its routes answer first and it sees
// every request on its way in.
//
//   const ops = operations({ store, appId, privateKey, log });
//   await serveApp({ Probot, appFn: [ops.app, slackDeployGate(...)], port, host, log });
//   void ops.verifyCredentials();
import type { ApplicationFunction, Logger } from "probot";
import type { Store } from "../store/types.js";
import { createReadiness, type Readiness } from "./readiness.js";
import { opsRoutes } from "./routes.js";

/** How often GitHub is asked again whether it accepts the App's JWT, until it has answered. */
const CREDENTIALS_RETRY_MS = 30_000;

export interface Operations {
  app: ApplicationFunction;
  readiness: Readiness;
  /**
   * Asks GitHub (GET /app with the App's JWT) whether it accepts the credentials, once the App is
   * loaded; asks again every 30 s while GitHub gives no answer. Never throws.
   */
  verifyCredentials(): Promise<void>;
}

export function operations(options: {
  store: Store;
  appId: number;
  privateKey: string;
  metricsToken?: string;
  log: Logger;
}): Operations {
  const { log } = options;
  const readiness = createReadiness(options);
  let auth: (() => Promise<{ request: (route: "GET /app") => Promise<{ data: unknown }> }>) | undefined;

  const verifyCredentials = async (): Promise<void> => {
    if (!auth) throw new Error("verifyCredentials() before the operations app was loaded");
    const appAuth = auth;
    const result = await readiness.verifyCredentials({
      getAuthenticatedApp: async () => (await (await appAuth()).request("GET /app")).data as { id: number },
    });
    if (result === "rejected") log.error("GitHub rejects the App's JWT: check APP_ID and the private key");
    else if (result === "unverified")
      setTimeout(() => void verifyCredentials(), CREDENTIALS_RETRY_MS).unref();
  };

  return {
    readiness,
    app: async (app, helpers) => {
      auth = () => app.auth();
      await opsRoutes({ readiness, metricsToken: options.metricsToken, log })(app, helpers);
    },
    verifyCredentials: () =>
      verifyCredentials().catch((error: unknown) =>
        log.warn({ err: error }, "could not ask GitHub about the App"),
      ),
  };
}
