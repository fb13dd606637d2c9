// The pieces the modes rest on, where a process test cannot reach every case: durations, the
// decision record the App writes and the Action reads, the dispatch line in a request, what a workflow
// file declares, and how a failed poll is answered.
import { describe, expect, it } from "vitest";
import { parseWorkflow } from "../app/github/dispatch.js";
import {
  checkRunName,
  decisionForConclusion,
  decodeDecisionRecord,
  encodeDecisionRecord,
} from "../common/check-run.js";
import {
  dispatchBlock,
  dispatchTargetFromBlocks,
  parseDispatchRef,
  parseWorkflowFile,
} from "../common/dispatch.js";
import { formatDuration, parseDuration } from "../src/duration.js";
import { readInputs } from "../src/inputs.js";
import { classifyPollError } from "../src/rate-limit.js";

const reader = (values: Record<string, string>) => (name: string) => values[name] ?? "";

describe("durations", () => {
  it("reads what people write and refuses the rest", () => {
    expect(parseDuration("30m")).toBe(30 * 60_000);
    expect(parseDuration(" 1h 30m ")).toBe(90 * 60_000);
    expect(parseDuration("6H")).toBe(6 * 3_600_000);
    expect(parseDuration("2d")).toBe(2 * 86_400_000);
    for (const bad of ["", "30", "m", "1.5h", "1h-5m", "soon", "10 minutes"])
      expect(parseDuration(bad)).toBeUndefined();
    expect(formatDuration(90 * 60_000)).toBe("1h 30m");
    expect(formatDuration(5 * 86_400_000)).toBe("5d");
  });
});

describe("inputs by mode", () => {
  const base = { "slack-bot-token": "xoxb-1", channel: "C0DEPLOYS", environment: "production" };

  it("wait mode: app-id required, timeout and poll interval defaulted and bounded by the runner's job limit", () => {
    const inputs = readInputs(reader({ ...base, mode: "wait", "app-id": "123", "github-token": "t" }), {});
    expect(inputs.wait).toEqual({ appId: 123, timeoutMs: 3_600_000, pollIntervalMs: 10_000 });
    expect(() => readInputs(reader({ ...base, mode: "wait", "github-token": "t" }), {})).toThrow(
      /`app-id` is required/,
    );
    expect(() =>
      readInputs(reader({ ...base, mode: "wait", "app-id": "1", timeout: "6h1m", "github-token": "t" }), {}),
    ).toThrow(/longer than a job may run on a GitHub-hosted runner \(6h\)/);
    expect(
      readInputs(reader({ ...base, mode: "wait", "app-id": "1", timeout: "4d", "github-token": "t" }), {
        RUNNER_ENVIRONMENT: "self-hosted",
      }).wait?.timeoutMs,
    ).toBe(4 * 86_400_000);
    expect(() =>
      readInputs(reader({ ...base, mode: "wait", "app-id": "1", timeout: "6d", "github-token": "t" }), {
        RUNNER_ENVIRONMENT: "self-hosted",
      }),
    ).toThrow(/on a self-hosted runner \(5d\)/);
    expect(() => readInputs(reader({ ...base, mode: "wait", "app-id": "1" }), {})).toThrow(
      /`github-token` is empty, and `wait` mode reads the App's check run with it/,
    );
  });

  it("checks a mode's own inputs before the Slack token", () => {
    expect(() => readInputs(reader({ environment: "production", mode: "dispatch" }), {})).toThrow(
      /`dispatch-workflow` is required/,
    );
    expect(() =>
      readInputs(reader({ environment: "production", mode: "dispatch", "dispatch-workflow": "d.yml" }), {}),
    ).toThrow(/`slack-bot-token` is required/);
  });

  it("verify mode needs no Slack input, and names the ones it ignores", () => {
    const inputs = readInputs(
      reader({
        environment: "production",
        mode: "verify",
        "app-id": "7",
        "request-id": "abcdefgh",
        "github-token": "t",
        channel: "C1",
      }),
      {},
    );
    expect(inputs).toMatchObject({
      mode: "verify",
      post: undefined,
      verify: { appId: 7, requestId: "abcdefgh" },
      ignored: ["channel"],
    });
    expect(() =>
      readInputs(
        reader({ environment: "production", mode: "verify", "app-id": "7", "request-id": "x y" }),
        {},
      ),
    ).toThrow(/not a slack-deploy-gate request ID/);
  });
});

describe("the decision record in the App's check run", () => {
  const record = {
    v: 1 as const,
    requestId: "Req_12345678",
    decision: "rejected" as const,
    decidedBy: ["U0JANE"],
    reason: "no --> <b>way</b>",
    decidedAt: "2026-01-01T00:00:00.000Z",
  };

  it("round-trips, and a reason cannot close the comment it travels in", () => {
    const encoded = encodeDecisionRecord(record);
    expect(encoded.indexOf("-->")).toBe(encoded.length - 3);
    expect(encoded).not.toContain("<b>");
    expect(decodeDecisionRecord(`Some text\n${encoded}\nmore`)).toEqual(record);
  });

  it("refuses a record of the wrong shape rather than trusting part of it", () => {
    const wrong = (patch: object) => encodeDecisionRecord({ ...record, ...patch } as never);
    expect(decodeDecisionRecord(wrong({ v: 2 }))).toBeUndefined();
    expect(decodeDecisionRecord(wrong({ decision: "maybe" }))).toBeUndefined();
    expect(decodeDecisionRecord(wrong({ decidedBy: ["<!channel>"] }))).toBeUndefined();
    expect(decodeDecisionRecord("<!-- slack-deploy-gate:decision {not json} -->")).toBeUndefined();
    expect(decodeDecisionRecord(null)).toBeUndefined();
  });

  it("maps conclusions to decisions, and nothing else to one", () => {
    expect(checkRunName("production")).toBe("slack-deploy-gate / production");
    expect(decisionForConclusion("success")).toBe("approved");
    expect(decisionForConclusion("failure")).toBe("rejected");
    expect(decisionForConclusion("timed_out")).toBe("expired");
    for (const other of ["neutral", "cancelled", "action_required", "skipped", null]) {
      expect(decisionForConclusion(other)).toBeUndefined();
    }
  });
});

describe("the dispatch line of a request", () => {
  it("is read back exactly as written, and anything else is not a target", () => {
    const block = dispatchBlock({ workflow: ".github/workflows/deploy.yml", ref: "release/2.0" });
    expect(dispatchTargetFromBlocks([{ type: "header" }, block])).toEqual({
      workflow: "deploy.yml",
      ref: "release/2.0",
    });
    expect(dispatchTargetFromBlocks([block, block])).toBeUndefined();
    const tampered = structuredClone(block);
    (tampered.elements[0] as { text: string }).text =
      ":arrow_forward: On approval, slack-deploy-gate starts `../x.yml` on `main`.";
    expect(dispatchTargetFromBlocks([tampered])).toBeUndefined();
  });

  it("accepts workflow file names and branch or tag names only", () => {
    expect(parseWorkflowFile("deploy.yaml")).toBe("deploy.yaml");
    for (const bad of ["deploy", "sub/deploy.yml", "../deploy.yml", ".hidden.yml", "deploy.yml`"]) {
      expect(() => parseWorkflowFile(bad)).toThrow(/not a workflow file name/);
    }
    expect(parseDispatchRef("refs/tags/v1.2")).toBe("refs/tags/v1.2");
    for (const bad of ["main..x", "-x", "a b", "x.lock", "refs/pull/1/merge", "x`y"]) {
      expect(() => parseDispatchRef(bad)).toThrow(/not a branch or tag name/);
    }
  });
});

describe("what a workflow file declares", () => {
  it("reads workflow_dispatch inputs in every form `on` takes, and whether run-name carries the request id", () => {
    const full = parseWorkflow(`
run-name: Deploy \${{ inputs.request-id }}
on:
  push:
  workflow_dispatch:
    inputs:
      request-id: { required: true }
      target: { required: true, default: web }
`);
    expect(full).toMatchObject({ kind: "ok", runNameCarriesRequestId: true });
    if (full.kind === "ok") {
      expect([...full.inputs.keys()]).toEqual(["request-id", "target"]);
      expect(full.inputs.get("target")).toMatchObject({ required: true, hasDefault: true });
    }
    expect(parseWorkflow("on: workflow_dispatch\n")).toMatchObject({
      kind: "ok",
      runNameCarriesRequestId: false,
    });
    expect(parseWorkflow("on: [push, workflow_dispatch]\n")).toMatchObject({ kind: "ok" });
    expect(parseWorkflow("on: [push]\n")).toEqual({ kind: "not_dispatchable" });
    expect(parseWorkflow("on: {push: {}}\n")).toEqual({ kind: "not_dispatchable" });
    expect(parseWorkflow("on: [\n")).toMatchObject({ kind: "unreadable" });
    // A run-name that mentions the id without the input declared cannot carry it.
    expect(parseWorkflow(`run-name: \${{ inputs.request-id }}\non: workflow_dispatch\n`)).toMatchObject({
      runNameCarriesRequestId: false,
    });
  });
});

describe("a failed poll", () => {
  const failure = (status: number, headers: Record<string, string> = {}, message = "x") => ({
    status,
    response: { headers, data: { message } },
  });
  const now = Date.parse("2026-01-01T00:00:00Z");

  it("waits as long as GitHub asks", () => {
    expect(classifyPollError(failure(403, { "retry-after": "30" }), 0, 10_000, now)).toMatchObject({
      kind: "wait",
      ms: 30_000,
    });
    expect(
      classifyPollError(
        failure(403, { "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(now / 1000 + 120) }),
        0,
        10_000,
        now,
      ),
    ).toMatchObject({ kind: "wait", ms: 121_000 });
    expect(
      classifyPollError(failure(403, {}, "You have exceeded a secondary rate limit"), 0, 10_000, now),
    ).toMatchObject({
      kind: "wait",
      ms: 60_000,
    });
    expect(classifyPollError(failure(429), 1, 10_000, now)).toMatchObject({ kind: "wait", ms: 120_000 });
  });

  it("backs off on server and network errors, and gives up on what waiting cannot fix", () => {
    expect(classifyPollError(failure(502), 0, 10_000, now)).toMatchObject({ kind: "wait", ms: 10_000 });
    expect(classifyPollError(failure(502), 3, 10_000, now)).toMatchObject({ kind: "wait", ms: 80_000 });
    expect(classifyPollError(failure(502), 20, 10_000, now)).toMatchObject({ kind: "wait", ms: 600_000 });
    expect(classifyPollError(new Error("socket hang up"), 0, 10_000, now)).toMatchObject({ kind: "wait" });
    expect(classifyPollError(failure(401), 0, 10_000, now)).toMatchObject({ kind: "fatal" });
    expect(
      classifyPollError(failure(403, {}, "Resource not accessible by integration"), 0, 10_000, now),
    ).toMatchObject({
      kind: "fatal",
      message: expect.stringContaining("checks: read"),
    });
    expect(classifyPollError(failure(404), 0, 10_000, now)).toMatchObject({ kind: "fatal" });
  });
});
