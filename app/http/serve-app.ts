// Runs a Probot application function behind the App's own HTTP server (server.ts): Probot provides
// the GitHub App's authentication and the application function; the server provides the routes the
// function adds, with the App's limits. Used by `npm start` and by tests that serve the App for real.
import type { Server } from "node:http";
import type { Logger } from "pino";
import type { ApplicationFunction, Probot } from "probot";
import { close, createAppServer, listen, type RequestHandler, type ServerLimits } from "./server.js";

export interface ServeAppOptions {
  /** `Probot.defaults({ appId, privateKey, … })`. */
  Probot: typeof Probot;
  /** One application function, or several loaded in order (their routes are tried in that order). */
  appFn: ApplicationFunction | ApplicationFunction[];
  port: number;
  host: string;
  log: Logger;
  limits?: Partial<ServerLimits>;
}

export interface ServedApp {
  server: Server;
  port: number;
  /** `http://host:port` */
  url: string;
  /** Stops taking requests and waits for those in flight. */
  stop(): Promise<void>;
}

export async function serveApp(options: ServeAppOptions): Promise<ServedApp> {
  const probot = new options.Probot();
  const handlers: RequestHandler[] = [];
  await probot.load(options.appFn, { cwd: process.cwd(), addHandler: (handler) => handlers.push(handler) });
  const server = createAppServer({ handlers, log: options.log, limits: options.limits });
  const port = await listen(server, options.port, options.host);
  const host = options.host.includes(":") ? `[${options.host}]` : options.host;
  options.log.info({ port, host: options.host }, "listening");
  return { server, port, url: `http://${host}:${port}`, stop: () => close(server) };
}
