// The floor for figure 3: the least an App can do to turn a click into a review at GitHub. A bare
// node:http server that acknowledges at once, as the App does, then makes the App's two GitHub calls
// with plain fetch: read the run, post the review. No verification, no database, no Slack.
import { createServer } from "node:http";

const api = process.env.FLOOR_GITHUB_API_URL;
const repository = process.env.FLOOR_REPOSITORY;
const headers = {
  authorization: `token ${process.env.FLOOR_GITHUB_TOKEN}`,
  accept: "application/vnd.github+json",
};

async function decide({ runId, environment }) {
  const runs = `${api}/repos/${repository}/actions/runs/${runId}`;
  const run = await (await fetch(runs, { headers })).json();
  const review = await fetch(`${runs}/deployment_protection_rule`, {
    method: "POST",
    headers: { ...headers, "content-type": "application/json" },
    body: JSON.stringify({
      environment_name: environment,
      state: "approved",
      comment: `Approved in Slack by ${run.actor?.login ?? "an approver"}`,
    }),
  });
  await review.arrayBuffer();
  if (review.status !== 204) process.stderr.write(`review answered ${review.status}\n`);
}

const server = createServer((req, res) => {
  const chunks = [];
  req.on("data", (chunk) => chunks.push(chunk));
  req.on("end", () => {
    res.writeHead(200);
    res.end();
    if (req.method !== "POST") return;
    decide(JSON.parse(Buffer.concat(chunks).toString("utf8"))).catch((error) =>
      process.stderr.write(`${error}\n`),
    );
  });
});
server.listen(Number(process.env.PORT), "127.0.0.1");
process.once("SIGTERM", () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
