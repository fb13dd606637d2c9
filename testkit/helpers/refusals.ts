// What the App says when it refuses its settings or a policy file: the message of the error it stops
// with, for the tests of that wording. Anything other than that error fails the test.
import { expect } from "vitest";
import { ConfigError, loadConfig } from "../../app/config.js";
import { PolicyError, parsePolicy } from "../../app/policy/index.js";
import { newPrivateKey } from "./keys.js";

let complete: Record<string, string> | undefined;

/**
 * The five settings the App cannot start without, all valid (one key per test process). The secrets'
 * values are easy to look for in a message that must not show them.
 */
export function validEnv(): Record<string, string> {
  complete ??= {
    APP_ID: "123",
    PRIVATE_KEY: newPrivateKey(),
    WEBHOOK_SECRET: "whsec-value",
    SLACK_SIGNING_SECRET: "signing-secret-value",
    SLACK_BOT_TOKEN: "xoxb-1-2-secretvalue",
  };
  return complete;
}

/** The one line the App stops with for these settings. */
export function configProblem(env: Record<string, string | undefined>): string {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error("expected a ConfigError");
}

/** Where the policies of these tests live, as their messages name it. */
export const POLICY_SOURCE = "acme/api:.github/slack-deploy-gate.yml";

/** What the loader says of a policy file it refuses. */
export async function policyProblem(text: string, source = POLICY_SOURCE): Promise<string> {
  try {
    await parsePolicy(text, source);
  } catch (error) {
    expect(error).toBeInstanceOf(PolicyError);
    return (error as Error).message;
  }
  throw new Error("expected the policy to be refused");
}
