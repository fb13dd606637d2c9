// Input validation and error explanations, for the cases the process-level tests do not reach.
import { describe, expect, it } from "vitest";
import { explainSlackError } from "../src/errors.js";
import {
  InputError,
  parseChannel,
  parseEnvironment,
  parseMentions,
  parseMode,
  parseSlackApiUrl,
} from "../src/inputs.js";

const ctx = { channel: "#deploys", slackApiUrl: "https://slack.com/api/", attempts: 3 };
const platform = (error: string, extra: Record<string, unknown> = {}) => ({
  code: "slack_webapi_platform_error",
  data: { ok: false, error, ...extra },
});

describe("inputs", () => {
  it("accepts channel IDs and #names, and nothing else", () => {
    for (const ok of ["C0123ABCD", "G0PRIVATE1", "D0DIRECT", "#deploys", "#team-ops_2.prod", "#日本語"]) {
      expect(parseChannel(` ${ok} `)).toBe(ok);
    }
    for (const bad of [
      "#",
      "#Deploys",
      "#two words",
      "<#C0123|x>",
      "c0123abcd",
      "https://x.slack.com/archives/C1",
    ]) {
      expect(() => parseChannel(bad)).toThrow(InputError);
    }
  });

  it("parses mentions: trims, drops empties, dedupes, refuses anything but IDs", () => {
    expect(parseMentions(" U0JANE, S0SRE ,,W0ENT\nU0JANE ")).toEqual(["U0JANE", "S0SRE", "W0ENT"]);
    expect(parseMentions("")).toEqual([]);
    for (const bad of ["@jane", "<@U0JANE>", "<!channel>", "here", "C0123ABCD", "u0jane"]) {
      expect(() => parseMentions(bad)).toThrow(/Input `mention` has/);
    }
    const many = Array.from({ length: 51 }, (_, i) => `U${String(i).padStart(6, "0")}`).join(",");
    expect(() => parseMentions(many)).toThrow(/at most 50/);
  });

  it("defaults mode to gate and names the modes that exist", () => {
    expect(parseMode("")).toBe("gate");
    expect(parseMode(" gate ")).toBe("gate");
    for (const mode of ["wait", "dispatch", "verify"]) expect(parseMode(mode)).toBe(mode);
    expect(() => parseMode("GATE")).toThrow(
      /not a mode\. Available: `gate`, `wait`, `dispatch`, `verify` \(`gate` is the default\)/,
    );
  });

  it("checks environment names as GitHub does", () => {
    expect(parseEnvironment(" production ")).toBe("production");
    expect(() => parseEnvironment("x".repeat(256))).toThrow(/at most 255/);
    expect(() => parseEnvironment("prod\u0007")).toThrow(/on one line/);
  });

  it("normalises slack-api-url to end in a slash and refuses other schemes or credentials", () => {
    expect(parseSlackApiUrl("")).toBe("https://slack.com/api/");
    expect(parseSlackApiUrl("https://slack-gov.com/api")).toBe("https://slack-gov.com/api/");
    expect(() => parseSlackApiUrl("ftp://slack.com/api/")).toThrow(/http\(s\)/);
    expect(() => parseSlackApiUrl("https://user:pw@slack.com/api/")).toThrow(/without credentials/);
  });
});

describe("explainSlackError", () => {
  it.each(["invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired"])(
    "%s: points at the slack-bot-token secret",
    (code) => {
      expect(explainSlackError(platform(code), ctx)).toMatch(
        new RegExp(`^Slack rejected the bot token \\(${code}\\)\\. Set the \`slack-bot-token\` input`),
      );
    },
  );

  it.each(["msg_too_long", "invalid_blocks", "invalid_blocks_format"])(
    "%s: says to shorten the message",
    (code) => {
      expect(
        explainSlackError(platform(code, { errors: ["must be less than 3001 characters"] }), ctx),
      ).toMatch(new RegExp(`^Slack refused the message \\(${code}\\)\\. .*Shorten the \`message\` input`));
    },
  );

  it("explains channel problems with the channel named", () => {
    expect(explainSlackError(platform("channel_not_found"), ctx)).toContain(
      'channel "#deploys" (channel_not_found)',
    );
    expect(explainSlackError(platform("not_in_channel"), ctx)).toContain("chat:write.public");
    expect(explainSlackError(platform("is_archived"), ctx)).toContain("archived");
  });

  it("explains rate limits, HTTP errors and unreachable servers", () => {
    expect(explainSlackError(platform("ratelimited"), ctx)).toMatch(
      /^Slack rate-limited the request \(ratelimited\)\./,
    );
    expect(explainSlackError({ code: "slack_webapi_rate_limited_error", retryAfter: 30 }, ctx)).toContain(
      "wait 30 s",
    );
    expect(explainSlackError({ code: "slack_webapi_http_error", statusCode: 503 }, ctx)).toMatch(
      /^Slack answered HTTP 503 3 times in a row/,
    );
    expect(explainSlackError({ code: "slack_webapi_http_error", statusCode: 404 }, ctx)).toMatch(
      /answered HTTP 404\. Check the `slack-api-url` input/,
    );
    expect(
      explainSlackError(
        { code: "slack_webapi_request_error", original: new Error("connect ECONNREFUSED") },
        ctx,
      ),
    ).toMatch(
      /^Could not reach Slack at https:\/\/slack\.com\/api\/ after 3 attempts \(connect ECONNREFUSED\)/,
    );
  });

  it("names unknown Slack errors and other failures instead of hiding them", () => {
    expect(explainSlackError(platform("something_new"), ctx)).toContain("(something_new)");
    expect(explainSlackError(new Error("boom\nline two"), ctx)).toBe(
      "Posting to Slack failed: boom line two",
    );
  });
});
