// The request reference travels through Slack and comes back untrusted: it must round-trip exactly,
// stay well under Slack's 2000-character button value, and its decoders must refuse anything else.
import { describe, expect, it } from "vitest";
import {
  decodeReference,
  encodeReference,
  MAX_REFERENCE_LENGTH,
  METADATA_EVENT_TYPE,
  metadataToReference,
  newRequestId,
  ReferenceFormatError as ReferenceDecodeError,
  type RequestReference,
  referenceToMetadata,
  sameReference,
  validateReference,
} from "../common/reference.js";

const ref: RequestReference = {
  repository: "octo-org/deploy.app_1",
  runId: 9_876_543_210,
  runAttempt: 3,
  environment: "production",
  mode: "gate",
  requestId: "AbCdEfGh_-123456",
};

describe("request reference", () => {
  it("round-trips through the button value and through message metadata", () => {
    const value = encodeReference(ref);
    expect(value.startsWith("sdg1:")).toBe(true);
    expect(decodeReference(value)).toEqual(ref);
    expect(metadataToReference(referenceToMetadata(ref))).toEqual(ref);
    expect(referenceToMetadata(ref).event_type).toBe(METADATA_EVENT_TYPE);
  });

  it("keeps even the largest valid reference under its limit and far under Slack's 2000", () => {
    const largest: RequestReference = {
      repository: `${"a".repeat(39)}/${"b".repeat(100)}`,
      runId: Number.MAX_SAFE_INTEGER,
      runAttempt: 10_000,
      environment: "\u{1F680}".repeat(127),
      mode: "dispatch",
      requestId: "r".repeat(64),
    };
    const value = encodeReference(largest);
    expect(value.length).toBeLessThanOrEqual(MAX_REFERENCE_LENGTH);
    expect(MAX_REFERENCE_LENGTH).toBeLessThan(2000);
    expect(decodeReference(value)).toEqual(largest);
  });

  it("carries hostile environment names verbatim, as data", () => {
    const hostile = { ...ref, environment: 'prod <!channel> "],[1' };
    expect(decodeReference(encodeReference(hostile))).toEqual(hostile);
  });

  it("makes unique, URL-safe request ids that pass validation", () => {
    const ids = new Set(Array.from({ length: 500 }, () => newRequestId()));
    expect(ids.size).toBe(500);
    for (const id of ids) expect(() => validateReference({ ...ref, requestId: id })).not.toThrow();
  });

  it.each([
    ["a number", 42],
    ["null", null],
    ["an empty string", ""],
    ["another prefix", `xyz1:${JSON.stringify(["o/r", 1, 1, "p", "gate", "abcdefgh"])}`],
    ["a future version", `sdg2:${JSON.stringify(["o/r", 1, 1, "p", "gate", "abcdefgh"])}`],
    ["broken JSON", 'sdg1:["o/r",1,1,"p","gate"'],
    ["an object instead of an array", 'sdg1:{"repository":"o/r"}'],
    ["too few fields", 'sdg1:["o/r",1,1,"p","gate"]'],
    ["too many fields", 'sdg1:["o/r",1,1,"p","gate","abcdefgh","extra"]'],
    ["a string run id", 'sdg1:["o/r","1",1,"p","gate","abcdefgh"]'],
    ["a fractional run id", 'sdg1:["o/r",1.5,1,"p","gate","abcdefgh"]'],
    ["a negative run attempt", 'sdg1:["o/r",1,-1,"p","gate","abcdefgh"]'],
    ["an absurd run attempt", 'sdg1:["o/r",1,10001,"p","gate","abcdefgh"]'],
    ["a run id beyond safe integers", 'sdg1:["o/r",9007199254740993,1,"p","gate","abcdefgh"]'],
    ["an unknown mode", 'sdg1:["o/r",1,1,"p","yolo","abcdefgh"]'],
    ["a repository without owner", 'sdg1:["repo",1,1,"p","gate","abcdefgh"]'],
    ["a repository with a path", 'sdg1:["o/r/../x",1,1,"p","gate","abcdefgh"]'],
    ["a repository URL", 'sdg1:["https://evil/o/r",1,1,"p","gate","abcdefgh"]'],
    ["an empty environment", 'sdg1:["o/r",1,1,"","gate","abcdefgh"]'],
    ["an environment with a newline", 'sdg1:["o/r",1,1,"prod\\nx","gate","abcdefgh"]'],
    ["an environment with padding", 'sdg1:["o/r",1,1," prod","gate","abcdefgh"]'],
    ["a short request id", 'sdg1:["o/r",1,1,"p","gate","abc"]'],
    ["a request id with markup", 'sdg1:["o/r",1,1,"p","gate","<!channel>x"]'],
    ["an oversized value", `sdg1:["o/r",1,1,"${"p".repeat(5000)}","gate","abcdefgh"]`],
  ])("refuses %s with a ReferenceFormatError", (_name, value) => {
    expect(() => decodeReference(value)).toThrow(ReferenceDecodeError);
  });

  it("names what is wrong", () => {
    expect(() => decodeReference('sdg2:["o/r",1,1,"p","gate","abcdefgh"]')).toThrow(
      /unsupported reference version 2/,
    );
    expect(() => decodeReference("x".repeat(MAX_REFERENCE_LENGTH + 1))).toThrow(/too long/);
    expect(() => decodeReference('sdg1:["o/r",1,1,"p","gate","abc"]')).toThrow(/request id/);
  });

  it("refuses to encode an invalid reference rather than send it", () => {
    expect(() => encodeReference({ ...ref, repository: "not a repo" })).toThrow(ReferenceDecodeError);
    expect(() => encodeReference({ ...ref, runId: 0 })).toThrow(ReferenceDecodeError);
    expect(() => encodeReference({ ...ref, environment: "x".repeat(256) })).toThrow(ReferenceDecodeError);
  });

  it.each([
    ["no metadata", undefined],
    ["another event type", { event_type: "something_else", event_payload: {} }],
    ["no payload", { event_type: METADATA_EVENT_TYPE }],
    [
      "another version",
      { event_type: METADATA_EVENT_TYPE, event_payload: { ...referenceToMetadata(ref).event_payload, v: 2 } },
    ],
    [
      "a malformed run id",
      {
        event_type: METADATA_EVENT_TYPE,
        event_payload: { ...referenceToMetadata(ref).event_payload, run_id: "1e400" },
      },
    ],
    [
      "a missing environment",
      {
        event_type: METADATA_EVENT_TYPE,
        event_payload: { ...referenceToMetadata(ref).event_payload, environment: undefined },
      },
    ],
    [
      "a missing request id",
      {
        event_type: METADATA_EVENT_TYPE,
        event_payload: { ...referenceToMetadata(ref).event_payload, request_id: undefined },
      },
    ],
  ])("refuses metadata with %s", (_name, metadata) => {
    expect(() => metadataToReference(metadata)).toThrow(ReferenceDecodeError);
  });

  it("compares references ignoring repository case only", () => {
    expect(sameReference(ref, { ...ref, repository: ref.repository.toUpperCase() })).toBe(true);
    expect(sameReference(ref, { ...ref, runAttempt: 4 })).toBe(false);
    expect(sameReference(ref, { ...ref, environment: "Production" })).toBe(false);
    expect(sameReference(ref, { ...ref, requestId: "AbCdEfGh_-123457" })).toBe(false);
  });
});
