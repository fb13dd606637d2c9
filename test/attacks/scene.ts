// What every attack file starts with: the build check, then the scene (testkit/helpers/attack-scene.ts),
// opened once for the file's tests and left clean between them.
import { afterAll, afterEach, beforeAll, expect } from "vitest";
import type { FakeMessage } from "../../testkit/fakes/slack.js";
import {
  APP_ROOT,
  type AppProcess,
  type AttackScene,
  DEFAULT_POLICY,
  hasButtons,
  startAttackScene,
} from "../../testkit/helpers/attack-scene.js";
import { PROJECT_ROOT } from "../../testkit/helpers/processes.js";
import { requireBuild } from "../../testkit/require-build.js";

export async function openScene(options: { policy?: string } = {}): Promise<AttackScene> {
  // Another checkout's build (SDG_APP_ROOT) is that checkout's business.
  if (APP_ROOT === PROJECT_ROOT) requireBuild("app");
  return startAttackScene(options);
}

/**
 * One scene for the tests of the file (or block) this is called in: opened before them, closed after
 * them. After each test the faults a test injected are cleared and Slack's rate limits lifted, and,
 * with `restorePolicy`, the default policy is put back, so that no test leaves the next a broken
 * world. What it returns stands for the scene once it is open: use it inside hooks and tests.
 */
export function useScene(options: { policy?: string; restorePolicy?: boolean } = {}): AttackScene {
  let opened: AttackScene | undefined;
  beforeAll(async () => {
    opened = await openScene({ policy: options.policy });
  }, 120_000);
  afterAll(async () => {
    await opened?.close();
  }, 60_000);
  afterEach(async () => {
    if (!opened) return;
    opened.githubProxy.clearRules();
    opened.slackProxy.clearRules();
    opened.slack.clearRateLimits();
    if (options.restorePolicy) await opened.setPolicy(DEFAULT_POLICY);
  });
  return new Proxy({} as AttackScene, {
    get(_target, name) {
      if (!opened)
        throw new Error(`the scene is not open yet (scene.${String(name)} read outside a hook or test)`);
      return Reflect.get(opened, name);
    },
  });
}

/**
 * A click the App could not check counts for nothing, and its clicker learns so: Slack is answered
 * with a failure (Slack shows it to the clicker), or the click is acknowledged and the clicker is told
 * privately. Either way no review reaches GitHub and the buttons stay.
 */
export async function expectClickNotCounted(
  scene: AttackScene,
  request: { run: number; message: FakeMessage },
  clicker: string,
  options: { app?: AppProcess; timeoutMs?: number } = {},
): Promise<void> {
  const told = scene.ephemerals(clicker).length;
  const answer = await scene.click(request.message, "approve", clicker, { app: options.app });
  if (answer.status === 200) {
    await scene.until(
      `${clicker} to be told the click did not count`,
      () => scene.ephemerals(clicker).length > told,
      options.timeoutMs ?? 30_000,
    );
  } else {
    expect(answer.status).toBeGreaterThanOrEqual(500);
  }
  expect(scene.reviews(request.run)).toEqual([]);
  expect(hasButtons(scene.message(request.message.ts))).toBe(true);
}

/** Resolves after `ms`: only where waiting out a stated duration is the behaviour under test. */
export const elapse = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
