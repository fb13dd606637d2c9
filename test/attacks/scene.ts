// What every attack file starts with: the build check, then the scene (testkit/helpers/attack-scene.ts).
import { APP_ROOT, type AttackScene, startAttackScene } from "../../testkit/helpers/attack-scene.js";
import { PROJECT_ROOT } from "../../testkit/helpers/processes.js";
import { requireBuild } from "../../testkit/require-build.js";

export async function openScene(options: { policy?: string } = {}): Promise<AttackScene> {
  // Another checkout's build (SDG_APP_ROOT) is that checkout's business.
  if (APP_ROOT === PROJECT_ROOT) requireBuild("app");
  return startAttackScene(options);
}

/** Resolves after `ms`: only where waiting out a stated duration is the behaviour under test. */
export const elapse = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
