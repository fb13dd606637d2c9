// dispatch mode, before posting: which ref the App will start the workflow on, and whether that
// workflow exists there and can be dispatched at all. A request whose approval could start nothing
// is refused here, before anyone is asked. (The App checks again on approval: files change.)
import type { DispatchTarget } from "../common/dispatch.js";
import { type GitHubClient, githubMessage, statusOf, timeoutOption } from "./github.js";
import { InputError } from "./inputs.js";

/** The run's own branch (`main`) or tag (`refs/tags/v1`); anything else cannot be dispatched on. */
export function defaultDispatchRef(runRef: string): string {
  if (runRef.startsWith("refs/heads/")) return runRef.slice("refs/heads/".length);
  if (runRef.startsWith("refs/tags/")) return runRef;
  throw new InputError(
    `Input \`dispatch-ref\` is needed: this run's ref (${runRef || "none"}) is not a branch or tag, and workflow_dispatch starts workflows only on those. Name the branch, e.g. \`dispatch-ref: main\`.`,
  );
}

export type TargetCheck = { ok: true } | { ok: false; warning: string };

/**
 * Reads `.github/workflows/<file>` at the ref with the job's token. Missing, or without a
 * `workflow_dispatch` trigger: InputError. Not readable (no `contents: read`, GitHub down): a warning,
 * and the request is posted anyway.
 */
export async function checkDispatchTarget(
  client: GitHubClient | undefined,
  repository: { owner: string; repo: string },
  target: DispatchTarget,
): Promise<TargetCheck> {
  if (!client) return { ok: false, warning: "no `github-token` to check the workflow with" };
  const path = `.github/workflows/${target.workflow}`;
  let content: string;
  try {
    const { data } = await client.rest.repos.getContent({
      ...repository,
      path,
      ref: target.ref,
      ...timeoutOption(),
    });
    if (Array.isArray(data) || data.type !== "file" || typeof data.content !== "string") {
      throw new InputError(`Input \`dispatch-workflow\`: ${path} on ${target.ref} is not a file.`);
    }
    content = Buffer.from(data.content, "base64").toString("utf8");
  } catch (error) {
    if (error instanceof InputError) throw error;
    if (statusOf(error) === 404) {
      throw new InputError(
        `Input \`dispatch-workflow\` names ${path}, which does not exist on ${target.ref} in ${repository.owner}/${repository.repo}. ` +
          "Give the file name of a workflow in .github/workflows/ (and `dispatch-ref` if it lives on another branch).",
      );
    }
    return { ok: false, warning: `could not read ${path} on ${target.ref} (${githubMessage(error)})` };
  }
  // Without the word, the file cannot have the trigger; with it, the App reads the declared inputs.
  if (!/\bworkflow_dispatch\b/.test(content)) {
    throw new InputError(
      `Input \`dispatch-workflow\` names ${path}, which has no \`on: workflow_dispatch\` trigger, so the App could not start it. Add the trigger (see the README's dispatch mode example).`,
    );
  }
  return { ok: true };
}
