// GET /healthz: up only when the database answers, so a load balancer stops sending clicks to a
// replica that could not record them.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Store } from "./store/types.js";

export function healthHandler(store: Store) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    if ((req.url ?? "").split("?")[0] !== "/healthz") return false;
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD" }).end();
      return true;
    }
    try {
      await store.ping();
      res
        .writeHead(200, { "content-type": "application/json" })
        .end(JSON.stringify({ ok: true, database: store.kind }));
    } catch {
      res
        .writeHead(503, { "content-type": "application/json" })
        .end(JSON.stringify({ ok: false, database: store.kind, error: "database unavailable" }));
    }
    return true;
  };
}
