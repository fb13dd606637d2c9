// workflow_dispatch as data: what a workflow file at a ref declares (its `workflow_dispatch` inputs and
// whether its `run-name` carries the request id), starting it, and finding the run a dispatch created.
// Nothing here decides or words anything; app/effects/dispatch.ts does.
import { parse } from "yaml";
import { httpStatus, splitRepository } from "./errors.js";
import type { Octokit } from "./installations.js";

/** The inputs slack-deploy-gate can pass; only those the workflow declares are sent. */
export const OFFERED_INPUTS = ["request-id", "environment", "sha", "approved-by"] as const;
export type OfferedInput = (typeof OFFERED_INPUTS)[number];

/** A workflow file is small; anything larger is not read (GitHub's own limit on a workflow is 512 KB). */
const MAX_WORKFLOW_BYTES = 512 * 1024;

export interface DeclaredInput {
  required: boolean;
  hasDefault: boolean;
  type: string | undefined;
  /** For `type: choice`. */
  options: string[] | undefined;
}

export type WorkflowDefinition =
  | { kind: "missing" }
  | { kind: "not_dispatchable" }
  | { kind: "unreadable"; message: string }
  | {
      kind: "ok";
      inputs: Map<string, DeclaredInput>;
      /** The `run-name` uses the `request-id` input, so the run a dispatch created can be found by it. */
      runNameCarriesRequestId: boolean;
    };

export async function readWorkflow(
  octokit: Octokit,
  target: { repository: string; workflow: string; ref: string },
): Promise<WorkflowDefinition> {
  const [owner, repo] = splitRepository(target.repository);
  let text: string;
  try {
    const { data } = await octokit.rest.repos.getContent({
      owner,
      repo,
      path: `.github/workflows/${target.workflow}`,
      ref: target.ref,
    });
    if (Array.isArray(data) || data.type !== "file" || typeof data.content !== "string")
      return { kind: "missing" };
    if (data.size > MAX_WORKFLOW_BYTES)
      return { kind: "unreadable", message: "the workflow file is over 512 KB" };
    text = Buffer.from(data.content, "base64").toString("utf8");
  } catch (error) {
    if (httpStatus(error) === 404) return { kind: "missing" };
    throw error;
  }
  return parseWorkflow(text);
}

/** `on.workflow_dispatch.inputs` and `run-name` of a workflow file's text. */
export function parseWorkflow(text: string): WorkflowDefinition {
  let doc: unknown;
  try {
    // YAML 1.2 (the library's default) keeps `on` a string key, as GitHub reads it.
    doc = parse(text, { maxAliasCount: 100 });
  } catch (error) {
    return {
      kind: "unreadable",
      message: `the workflow file is not valid YAML (${(error as Error).message.split("\n")[0]})`,
    };
  }
  if (!doc || typeof doc !== "object") return { kind: "unreadable", message: "the workflow file is empty" };
  const on = (doc as Record<string, unknown>).on;
  let dispatch: unknown;
  if (on === "workflow_dispatch") dispatch = null;
  else if (Array.isArray(on)) {
    if (!on.includes("workflow_dispatch")) return { kind: "not_dispatchable" };
    dispatch = null;
  } else if (on && typeof on === "object" && "workflow_dispatch" in on) {
    dispatch = (on as Record<string, unknown>).workflow_dispatch;
  } else {
    return { kind: "not_dispatchable" };
  }
  const inputs = new Map<string, DeclaredInput>();
  const declared = (dispatch as { inputs?: unknown } | null)?.inputs;
  if (declared && typeof declared === "object") {
    for (const [name, spec] of Object.entries(declared as Record<string, unknown>)) {
      const s = (spec ?? {}) as Record<string, unknown>;
      inputs.set(name, {
        required: s.required === true,
        hasDefault: s.default !== undefined && s.default !== null,
        type: typeof s.type === "string" ? s.type : undefined,
        options: Array.isArray(s.options) ? s.options.map(String) : undefined,
      });
    }
  }
  const runName = (doc as Record<string, unknown>)["run-name"];
  const runNameCarriesRequestId =
    inputs.has("request-id") &&
    typeof runName === "string" &&
    /\$\{\{[^}]*\b(?:github\.event\.)?inputs\.request-id\b[^}]*\}\}|\$\{\{[^}]*inputs\[\s*'request-id'\s*\][^}]*\}\}/.test(
      runName,
    );
  return { kind: "ok", inputs, runNameCarriesRequestId };
}

export interface DispatchedRun {
  runId: number;
  htmlUrl: string;
}

/**
 * Starts the workflow. GitHub returns the run it created when asked (`return_run_details`); a server
 * that does not (older GitHub Enterprise Server) answers 204 and the result is undefined.
 */
export async function dispatchWorkflow(
  octokit: Octokit,
  target: { repository: string; workflow: string; ref: string; inputs: Record<string, string> },
): Promise<DispatchedRun | undefined> {
  const [owner, repo] = splitRepository(target.repository);
  const response = await octokit.request(
    "POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches",
    {
      owner,
      repo,
      workflow_id: target.workflow,
      ref: target.ref,
      inputs: target.inputs,
      return_run_details: true,
    },
  );
  const data =
    response.status === 200 ? (response.data as { workflow_run_id?: unknown; html_url?: unknown }) : {};
  if (typeof data.workflow_run_id === "number" && typeof data.html_url === "string") {
    return { runId: data.workflow_run_id, htmlUrl: data.html_url };
  }
  return undefined;
}

/**
 * The workflow_dispatch run whose name carries the request id, created since `since`: how the run is
 * found when GitHub did not say, and how a retry after a lost answer learns that the first call worked.
 */
export async function findDispatchedRun(
  octokit: Octokit,
  target: { repository: string; workflow: string; requestId: string; since: Date },
): Promise<DispatchedRun | undefined> {
  const [owner, repo] = splitRepository(target.repository);
  // Newest first. (GitHub's `created` filter takes search syntax its own description does not admit.)
  const { data } = await octokit.rest.actions.listWorkflowRuns({
    owner,
    repo,
    workflow_id: target.workflow,
    event: "workflow_dispatch",
    per_page: 100,
  });
  // A minute of slack for clock skew between this host and GitHub.
  const since = target.since.getTime() - 60_000;
  const found = data.workflow_runs.find(
    (run) =>
      Date.parse(run.created_at) >= since &&
      (carries(run.display_title, target.requestId) || carries(run.name ?? undefined, target.requestId)),
  );
  return found ? { runId: found.id, htmlUrl: found.html_url } : undefined;
}

function carries(text: string | undefined, requestId: string): boolean {
  if (!text) return false;
  // The id as a whole word: ids are [A-Za-z0-9_-], so a longer id containing this one does not count.
  const at = text.indexOf(requestId);
  if (at === -1) return false;
  const before = text.charAt(at - 1);
  const after = text.charAt(at + requestId.length);
  return !/[A-Za-z0-9_-]/.test(before) && !/[A-Za-z0-9_-]/.test(after);
}
