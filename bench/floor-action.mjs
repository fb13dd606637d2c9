// The floor for figure 1: the Action's three HTTP calls and nothing else, with plain fetch. The
// commit title from GitHub, then chat.postMessage with the same message body the Action would send,
// then chat.getPermalink. No SDKs, no input parsing, no outputs.
import { readFileSync } from "node:fs";

const env = process.env;
const slack = env.FLOOR_SLACK_URL;
const auth = {
  authorization: `Bearer ${env.FLOOR_SLACK_TOKEN}`,
  "content-type": "application/json; charset=utf-8",
};

const commit = await fetch(
  `${env.FLOOR_GITHUB_API_URL}/repos/${env.FLOOR_REPOSITORY}/commits/${env.FLOOR_SHA}?per_page=1`,
  {
    headers: { authorization: `token ${env.FLOOR_GITHUB_TOKEN}`, accept: "application/vnd.github+json" },
  },
);
await commit.json();
const posted = await (
  await fetch(`${slack}chat.postMessage`, {
    method: "POST",
    headers: auth,
    body: readFileSync(env.FLOOR_BODY_FILE),
  })
).json();
if (!posted.ok) throw new Error(`chat.postMessage: ${posted.error}`);
const link = await (
  await fetch(`${slack}chat.getPermalink`, {
    method: "POST",
    headers: auth,
    body: JSON.stringify({ channel: posted.channel, message_ts: posted.ts }),
  })
).json();
if (!link.ok) throw new Error(`chat.getPermalink: ${link.error}`);
