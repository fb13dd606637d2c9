// GET /readyz answers "can this process do its job?": the database answers a query over the App's
// tables, the private key signs a GitHub App JWT, GitHub has not rejected the App's credentials, and
// the process is not shutting down. GitHub being slow or down does not make the App unready: clicks
// are recorded and delivered when it returns, so a load balancer should keep sending them here.
import { createPrivateKey, createSign } from "node:crypto";
import type { Store } from "../store/types.js";

export type CheckState = "ok" | "failing";
/** What GitHub said about the App's credentials: `unverified` until it has answered. */
export type GitHubCredentials = "verified" | "unverified" | "rejected";

export interface ReadinessReport {
  ready: boolean;
  database: CheckState;
  githubKey: CheckState;
  githubCredentials: GitHubCredentials;
  shuttingDown: boolean;
  /** Start-up steps not finished yet (e.g. learning which Slack workspace the bot token belongs to). */
  waitingFor: string[];
  /** Why it is not ready, in words an operator can act on (safe to show to anyone). */
  problems: string[];
  /** The underlying errors, for the log only: they may name internal hosts. */
  details: string[];
}

/** The smallest App client readiness needs: GET /app with the App's JWT. */
export interface AppClient {
  getAuthenticatedApp(): Promise<{ id: number }>;
}

export interface Readiness {
  check(): Promise<ReadinessReport>;
  /** Asks GitHub whether it accepts the App's JWT; retried by the caller until it gets an answer. */
  verifyCredentials(client: AppClient): Promise<GitHubCredentials>;
  /** Not ready until `done` resolves: `what` names the step in the report. */
  waitFor(what: string, done: Promise<unknown>): void;
  markShuttingDown(): void;
  isShuttingDown(): boolean;
}

const DATABASE_TIMEOUT_MS = 2000;

export function createReadiness(deps: { store: Store; appId: number; privateKey: string }): Readiness {
  const { store } = deps;
  // The key does not change while the process runs, so signing once tells the whole story.
  const keyProblem = signTestJwt(deps.appId, deps.privateKey);
  let credentials: GitHubCredentials = "unverified";
  let shuttingDown = false;
  const waiting = new Set<string>();

  return {
    async check() {
      const problems: string[] = [];
      const details: string[] = [];
      if (shuttingDown) problems.push("shutting down");
      for (const what of waiting) problems.push(`waiting for ${what}`);
      let database: CheckState = "ok";
      try {
        await withTimeout(store.ping(), DATABASE_TIMEOUT_MS);
      } catch (error) {
        database = "failing";
        problems.push(`the database (${store.kind}) does not answer`);
        details.push(`database: ${firstLine(error)}`);
      }
      if (keyProblem) {
        problems.push("the private key cannot sign a GitHub App JWT");
        details.push(keyProblem);
      }
      if (credentials === "rejected") {
        problems.push("GitHub rejects the App's JWT: APP_ID and the private key do not belong together");
      }
      return {
        ready: problems.length === 0,
        database,
        githubKey: keyProblem ? "failing" : "ok",
        githubCredentials: credentials,
        shuttingDown,
        waitingFor: [...waiting],
        problems,
        details,
      };
    },

    async verifyCredentials(client) {
      try {
        const app = await client.getAuthenticatedApp();
        credentials = app.id === deps.appId ? "verified" : "rejected";
      } catch (error) {
        const status = (error as { status?: unknown }).status;
        // 401: the JWT's signature or issuer is wrong. Anything else says nothing about the credentials.
        if (status === 401) credentials = "rejected";
      }
      return credentials;
    },

    waitFor(what, done) {
      waiting.add(what);
      // A step that fails keeps the process unready; the step itself logs why.
      done.then(
        () => waiting.delete(what),
        () => {},
      );
    },

    markShuttingDown() {
      shuttingDown = true;
    },

    isShuttingDown: () => shuttingDown,
  };
}

/** Signs a JWT the way GitHub Apps do (RS256, issuer = App ID); returns a problem, or undefined. */
export function signTestJwt(appId: number, privateKey: string): string | undefined {
  try {
    const now = Math.floor(Date.now() / 1000);
    const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
    const unsigned = `${encode({ alg: "RS256", typ: "JWT" })}.${encode({ iat: now - 60, exp: now + 540, iss: appId })}`;
    const signature = createSign("RSA-SHA256").update(unsigned).sign(createPrivateKey(privateKey));
    return signature.length > 0 ? undefined : "the private key produced an empty signature";
  } catch (error) {
    return `the private key cannot sign a GitHub App JWT: ${firstLine(error)}`;
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split("\n")[0] ?? "";
}
