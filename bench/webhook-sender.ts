// The webhook sender of bench/webhook-noise.ts, run as a child process (fork) so that it shares an event
// loop with neither the target nor the fakes: `count` signed deliveries cycling through a few prepared
// bodies (each with a fresh X-GitHub-Delivery), `concurrency` in flight on keep-alive connections, as
// fast as the target answers.
import { randomUUID } from "node:crypto";
import { Agent, request } from "node:http";

export interface Delivery {
  event: string;
  body: string;
  signature: string;
}

export interface SendCommand {
  url: string;
  deliveries: Delivery[];
  count: number;
  concurrency: number;
}

export interface SendResult {
  sent: number;
  statuses: Record<string, number>;
  errors: Record<string, number>;
  elapsedMs: number;
}

const agent = new Agent({ keepAlive: true, maxSockets: 64 });

function send(url: URL, delivery: Delivery): Promise<number> {
  const body = Buffer.from(delivery.body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: "POST",
        headers: {
          "content-type": "application/json",
          "content-length": body.length,
          "user-agent": "GitHub-Hookshot/bench",
          "x-github-event": delivery.event,
          "x-github-delivery": randomUUID(),
          "x-hub-signature-256": delivery.signature,
        },
        timeout: 10_000,
      },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      },
    );
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
    req.end(body);
  });
}

async function run(command: SendCommand): Promise<SendResult> {
  const url = new URL(command.url);
  const statuses: Record<string, number> = {};
  const errors: Record<string, number> = {};
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: command.concurrency }, async () => {
      while (next < command.count) {
        const i = next++;
        const delivery = command.deliveries[i % command.deliveries.length] as Delivery;
        try {
          const status = await send(url, delivery);
          statuses[status] = (statuses[status] ?? 0) + 1;
        } catch (error) {
          const name = error instanceof Error ? error.message : String(error);
          errors[name] = (errors[name] ?? 0) + 1;
        }
      }
    }),
  );
  return { sent: command.count, statuses, errors, elapsedMs: performance.now() - started };
}

process.on("message", (command: SendCommand) => {
  void run(command).then((result) => process.send?.(result));
});
process.send?.("ready");
