// The floor for figure 2: the least a Node HTTP server can do for a Slack interaction, which is to
// read the body and answer 200. Same runtime and same process model as the App, nothing else.
import { createServer } from "node:http";

const server = createServer((req, res) => {
  req.on("data", () => {});
  req.on("end", () => {
    res.writeHead(200);
    res.end();
  });
});
server.listen(Number(process.env.PORT), "127.0.0.1");
process.once("SIGTERM", () => server.close(() => process.exit(0)));
