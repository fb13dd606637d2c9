// The action, start to finish: the post step, or inputs → run context → the mode's work (modes.ts).
// Every failure ends in core.setFailed with a message that says what to fix.
import * as core from "@actions/core";
import { readInputs } from "./inputs.js";
import { MODES } from "./modes.js";
import { runPost } from "./post.js";
import { readRunContext } from "./run-context.js";
import { isPostStep } from "./state.js";

export async function run(): Promise<void> {
  if (isPostStep()) {
    await runPost();
    return;
  }
  try {
    const inputs = readInputs();
    if (inputs.ignored.length > 0) {
      core.warning(
        `${inputs.ignored.map((name) => `\`${name}\``).join(", ")} ${inputs.ignored.length === 1 ? "is" : "are"} not used in \`${inputs.mode}\` mode and ${inputs.ignored.length === 1 ? "was" : "were"} ignored.`,
      );
    }
    await MODES[inputs.mode](inputs, readRunContext());
  } catch (error) {
    core.setFailed(error instanceof Error ? error.message : String(error));
  }
}
