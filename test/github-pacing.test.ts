// How the App's Octokit paces and retries its GitHub calls (app/github/pacing.ts), through the App's
// own Octokit class against the fake GitHub behind the fault proxy: what reaches GitHub, how often,
// in which order, and how many at once.
import { generateKeyPairSync } from "node:crypto";
import { pino } from "pino";
import { Probot } from "probot";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { AppOctokit } from "../app/github/octokit.js";
import { MAX_IN_FLIGHT, WRITE_SPACING_MS } from "../app/github/pacing.js";
import { type FakeGitHub, startFakeGitHub } from "../testkit/fakes/github.js";
import { fakeSha } from "../testkit/fakes/github-state.js";
import { type FaultProxy, startFaultProxy } from "../testkit/fault-proxy.js";

const APP_ID = 3131;
const INSTALLATION_ID = 31;
const REPO = "acme/api";
const RUN_ID = 4711;
const RUN_PATH = `/api/v3/repos/${REPO}/actions/runs/${RUN_ID}`;
const REVIEW_PATH = `${RUN_PATH}/deployment_protection_rule`;

let github: FakeGitHub;
let proxy: FaultProxy;
let octokit: InstanceType<typeof AppOctokit>;
/** `request.retryCount` of each call as it ended, seen from outside every other hook. */
let retryCounts: Array<number | undefined> = [];

beforeAll(async () => {
  const { privateKey } = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    privateKeyEncoding: { type: "pkcs1", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  });
  github = await startFakeGitHub({ appId: APP_ID, privateKey, webhookSecret: "unused" });
  github.addRepository({ fullName: REPO });
  github.addInstallation({ id: INSTALLATION_ID, account: "acme", repositories: [REPO] });
  const headSha = fakeSha("pacing");
  github.addCommit(REPO, { sha: headSha, message: "Ship it", author: "octocat" });
  github.addRun({
    repository: REPO,
    runId: RUN_ID,
    headSha,
    actor: "octocat",
    workflowName: "Deploy",
    waitingEnvironments: ["production"],
  });
  proxy = await startFaultProxy({ target: github.url });
  const probot = new Probot({
    appId: APP_ID,
    privateKey,
    baseUrl: `${proxy.url}/api/v3`,
    // The App's Octokit, with its in-line retries kept short as in the App's tests.
    Octokit: AppOctokit.defaults({ retry: { retryAfterBaseValue: 10 } }),
    log: pino({ level: "silent" }),
  });
  octokit = (await probot.auth(INSTALLATION_ID)) as InstanceType<typeof AppOctokit>;
  octokit.hook.after("request", (_response, options) => {
    // The installation token is fetched through the same hooks on the first call: left out.
    if (String(options.url).includes("/access_tokens")) return;
    retryCounts.push((options.request as { retryCount?: number } | undefined)?.retryCount);
  });
});

afterAll(async () => {
  await proxy?.close();
  await github?.close();
});

afterEach(() => {
  proxy.clearRules();
  proxy.requests.length = 0;
  retryCounts = [];
  expect(github.violations).toEqual([]);
});

const readRun = (retries?: number) =>
  octokit.rest.actions.getWorkflowRun({
    owner: "acme",
    repo: "api",
    run_id: RUN_ID,
    ...(retries === undefined ? {} : { request: { retries } }),
  });

/** The review as app/github/review.ts sends it: no retries, never in line. */
const review = (comment: string) =>
  octokit.request("POST /repos/{owner}/{repo}/actions/runs/{run_id}/deployment_protection_rule", {
    owner: "acme",
    repo: "api",
    run_id: RUN_ID,
    environment_name: "production",
    state: "approved",
    comment,
    request: { retries: 0, retryInline: false },
  });

const reached = (path: string) => proxy.matching(undefined, path).length;

describe("retries", () => {
  it("retries a 5xx as many times as the call allows, and says so", async () => {
    proxy.inject({ method: "GET", path: RUN_PATH, times: 1, fault: { kind: "respond", status: 502 } });
    const { data } = await readRun(1);
    expect(data.id).toBe(RUN_ID);
    expect(reached(RUN_PATH)).toBe(2);
    expect(retryCounts).toEqual([1]);
  });

  it("lets the last 5xx stand once the retries are spent (three by default)", async () => {
    proxy.inject({ method: "GET", path: RUN_PATH, times: 4, fault: { kind: "respond", status: 503 } });
    await expect(readRun()).rejects.toMatchObject({ status: 503 });
    expect(reached(RUN_PATH)).toBe(4);
  });

  it("never asks again after a 4xx", async () => {
    for (const status of [404, 422]) {
      proxy.inject({ method: "GET", path: RUN_PATH, times: 1, fault: { kind: "respond", status } });
      await expect(readRun(3)).rejects.toMatchObject({ status });
    }
    expect(reached(RUN_PATH)).toBe(2);
  });

  it("retries a read once when a rate limit's wait is short", async () => {
    proxy.inject({
      method: "GET",
      path: RUN_PATH,
      times: 1,
      fault: { kind: "secondary-rate-limit", retryAfterSeconds: 1 },
    });
    const { data } = await readRun(0);
    expect(data.id).toBe(RUN_ID);
    expect(reached(RUN_PATH)).toBe(2);
  });

  it("leaves a long rate limit to the caller, asking nothing before it ends", async () => {
    proxy.inject({
      method: "GET",
      path: RUN_PATH,
      times: 1,
      fault: { kind: "secondary-rate-limit", retryAfterSeconds: 70 },
    });
    await expect(readRun()).rejects.toMatchObject({ status: 403 });
    proxy.inject({
      method: "GET",
      path: RUN_PATH,
      times: 1,
      fault: { kind: "rate-limit", retryAfterSeconds: 70 },
    });
    await expect(readRun()).rejects.toMatchObject({ status: 429 });
    expect(reached(RUN_PATH)).toBe(2);
  });

  it("sends a review once, whatever GitHub answers", async () => {
    proxy.inject({
      method: "POST",
      path: REVIEW_PATH,
      times: 1,
      fault: { kind: "secondary-rate-limit", retryAfterSeconds: 1 },
    });
    await expect(review("first")).rejects.toMatchObject({ status: 403 });
    proxy.inject({ method: "POST", path: REVIEW_PATH, times: 1, fault: { kind: "respond", status: 502 } });
    await expect(review("second")).rejects.toMatchObject({ status: 502 });
    expect(reached(REVIEW_PATH)).toBe(2);
  });
});

describe("pacing", () => {
  it(`starts writes at least ${WRITE_SPACING_MS} ms apart, in the order they were made`, async () => {
    await Promise.allSettled(["one", "two", "three"].map((comment) => review(comment)));
    const sent = proxy.matching("POST", REVIEW_PATH);
    expect(sent.map((r) => JSON.parse(r.body).comment)).toEqual(["one", "two", "three"]);
    for (let i = 1; i < sent.length; i += 1) {
      // Arrival times are whole milliseconds: one of rounding either way.
      expect((sent[i]?.at ?? 0) - (sent[i - 1]?.at ?? 0)).toBeGreaterThanOrEqual(WRITE_SPACING_MS - 2);
    }
  });

  it("does not hold reads back behind writes", async () => {
    const held = proxy.inject({ method: "POST", path: REVIEW_PATH, times: 1, fault: { kind: "hold" } });
    const pending = review("held");
    await until(() => held.held === 1);
    await readRun();
    expect(reached(RUN_PATH)).toBe(1);
    held.release();
    await pending.catch(() => undefined);
  });

  it(`has at most ${MAX_IN_FLIGHT} calls in flight, and sends the rest as places free up`, async () => {
    const held = proxy.inject({
      method: "GET",
      path: RUN_PATH,
      times: Number.POSITIVE_INFINITY,
      fault: { kind: "hold" },
    });
    const calls = Array.from({ length: MAX_IN_FLIGHT + 4 }, () => readRun());
    await until(() => held.held === MAX_IN_FLIGHT);
    // Given every chance to send more, it does not.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(reached(RUN_PATH)).toBe(MAX_IN_FLIGHT);
    held.release();
    const answers = await Promise.all(calls);
    expect(answers.map((a) => a.status)).toEqual(Array(MAX_IN_FLIGHT + 4).fill(200));
    expect(reached(RUN_PATH)).toBe(MAX_IN_FLIGHT + 4);
  });
});

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i += 1) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(condition()).toBe(true);
}
