// Workflows in the fake GitHub, read from the repository's own `.github/workflows/*.yml` files:
// `workflow_dispatch` refuses what GitHub refuses (no such workflow, no trigger, an undeclared input,
// a required input missing, a choice outside its options, an unknown ref) and otherwise records the
// dispatch and creates the run, titled by the workflow's `run-name` as GitHub evaluates it (inputs and
// a few `github.*` values), answering the run's id and URLs when `return_run_details` is true; the
// runs of a workflow can be listed with GitHub's filters.
import { parse } from "yaml";
import * as objects from "./github-objects.js";
// Types only from the routes table, which spreads these handlers into itself (no import cycle).
import type { Call, Handler, Reply, RouteContext } from "./github-routes.js";
import { type RepositoryState, type RunState, stableId } from "./github-state.js";

const WORKFLOWS_DIR = ".github/workflows/";

interface InputSpec {
  required: boolean;
  default: unknown;
  type: string | undefined;
  options: string[] | undefined;
}

interface WorkflowFile {
  path: string;
  name: string;
  runName: string | undefined;
  /** undefined: no `workflow_dispatch` trigger. */
  dispatchInputs: Map<string, InputSpec> | undefined;
}

const nextRunIds = new WeakMap<object, number>();

function newRunId(ctx: RouteContext): number {
  const id = nextRunIds.get(ctx.state) ?? 800_000_000;
  nextRunIds.set(ctx.state, id + 1);
  return id;
}

/** `deploy.yml` or a numeric workflow id → the file's path on the default branch. */
function workflowPath(ctx: RouteContext, repo: RepositoryState, workflowId: string): string | undefined {
  const files = ctx.state.filesAt(repo, undefined) ?? new Map<string, string>();
  if (/^\d+$/.test(workflowId)) {
    for (const path of files.keys()) {
      if (path.startsWith(WORKFLOWS_DIR) && workflowNumber(repo, path) === Number(workflowId)) return path;
    }
    return undefined;
  }
  const path = `${WORKFLOWS_DIR}${workflowId}`;
  return files.has(path) ? path : undefined;
}

function workflowNumber(repo: RepositoryState, path: string): number {
  return stableId(`${repo.fullName}:${path}`);
}

function readWorkflowFile(path: string, text: string): WorkflowFile | undefined {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch {
    return undefined;
  }
  if (!doc || typeof doc !== "object") return undefined;
  const d = doc as Record<string, unknown>;
  const on = d.on;
  let dispatch: unknown;
  let dispatchable = false;
  if (on === "workflow_dispatch") dispatchable = true;
  else if (Array.isArray(on)) dispatchable = on.includes("workflow_dispatch");
  else if (on && typeof on === "object" && "workflow_dispatch" in on) {
    dispatchable = true;
    dispatch = (on as Record<string, unknown>).workflow_dispatch;
  }
  let inputs: Map<string, InputSpec> | undefined;
  if (dispatchable) {
    inputs = new Map();
    const declared = (dispatch as { inputs?: unknown } | null | undefined)?.inputs;
    for (const [name, spec] of Object.entries((declared ?? {}) as Record<string, unknown>)) {
      const s = (spec ?? {}) as Record<string, unknown>;
      inputs.set(name, {
        required: s.required === true,
        default: s.default,
        type: typeof s.type === "string" ? s.type : undefined,
        options: Array.isArray(s.options) ? s.options.map(String) : undefined,
      });
    }
  }
  return {
    path,
    name: typeof d.name === "string" ? d.name : path,
    runName: typeof d["run-name"] === "string" ? d["run-name"] : undefined,
    dispatchInputs: inputs,
  };
}

/** `${{ inputs.x }}`, `${{ github.event.inputs.x }}`, `${{ inputs['x'] }}` and a few `github.*` values. */
function evaluate(
  template: string,
  values: { inputs: Record<string, string>; github: Record<string, string> },
): string {
  return template.replace(/\$\{\{\s*([^}]*?)\s*\}\}/g, (_whole, expression: string) => {
    const input = /^(?:github\.event\.)?inputs(?:\.([A-Za-z0-9_-]+)|\[\s*'([^']+)'\s*\])$/.exec(expression);
    if (input) return values.inputs[(input[1] ?? input[2]) as string] ?? "";
    const github = /^github\.([a-z_]+)$/.exec(expression);
    if (github) return values.github[github[1] as string] ?? "";
    return "";
  });
}

function error(status: number, message: string): Reply {
  return {
    status,
    body: { message, documentation_url: "https://docs.github.com/rest", status: String(status) },
  };
}

function unprocessable(message: string, violation?: string): Reply {
  return { ...error(422, message), ...(violation ? { violation } : {}) };
}

function repoOf(call: Call): RepositoryState {
  if (!call.repo) throw new Error("repository handler called without a repository");
  return call.repo;
}

export const workflowHandlers: Record<string, Handler> = {
  "actions/create-workflow-dispatch": {
    needs: "repository",
    handle(ctx, call) {
      const repo = repoOf(call);
      const body = call.body as {
        ref: string;
        inputs?: Record<string, unknown>;
        return_run_details?: boolean;
      };
      const path = workflowPath(ctx, repo, call.params.workflow_id ?? "");
      if (!path) return error(404, "Not Found");
      const files = ctx.state.filesAt(repo, body.ref);
      const head = ctx.state.findCommit(repo, body.ref);
      if (!files || !head) return unprocessable(`No ref found for: ${body.ref}`);
      const text = files.get(path);
      const workflow = text === undefined ? undefined : readWorkflowFile(path, text);
      if (!workflow?.dispatchInputs) {
        return unprocessable(
          "Workflow does not have 'workflow_dispatch' trigger",
          `${path} on ${body.ref} has no workflow_dispatch trigger`,
        );
      }
      const given = body.inputs ?? {};
      const declared = workflow.dispatchInputs;
      const unexpected = Object.keys(given).filter((name) => !declared.has(name));
      if (unexpected.length > 0) {
        return unprocessable(
          `Unexpected inputs provided: ${JSON.stringify(unexpected)}`,
          `inputs not declared by ${path}: ${unexpected.join(", ")}`,
        );
      }
      const values: Record<string, string> = {};
      for (const [name, spec] of declared) {
        const value = given[name];
        if (value === undefined) {
          if (spec.required && (spec.default === undefined || spec.default === null)) {
            return unprocessable(`Required input '${name}' not provided`, `required input ${name} missing`);
          }
          if (spec.default !== undefined && spec.default !== null) values[name] = String(spec.default);
          continue;
        }
        const text = String(value);
        if (spec.type === "choice" && spec.options && !spec.options.includes(text)) {
          return unprocessable(
            `Provided value '${text}' for input '${name}' not in the list of allowed values`,
            `input ${name}: ${text} is not one of its options`,
          );
        }
        if (spec.type === "boolean" && text !== "true" && text !== "false") {
          return unprocessable(`Provided value '${text}' for input '${name}' is not a boolean`);
        }
        values[name] = text;
      }

      const actor =
        call.credential.kind === "installation" ? `${ctx.app.slug}[bot]` : `${objects.ACTIONS_APP.slug}[bot]`;
      const refName = body.ref.replace(/^refs\/(heads|tags)\//, "");
      const runId = newRunId(ctx);
      const displayTitle = workflow.runName
        ? evaluate(workflow.runName, {
            inputs: values,
            github: { ref_name: refName, actor, workflow: workflow.name, event_name: "workflow_dispatch" },
          })
        : workflow.name;
      ctx.state.addRun({
        repository: repo.fullName,
        runId,
        headSha: head.sha,
        headBranch: refName,
        actor,
        workflowName: workflow.name,
        workflowPath: path,
        displayTitle,
        event: "workflow_dispatch",
      });
      ctx.dispatches.push({
        repository: repo.fullName,
        workflowId: call.params.workflow_id ?? "",
        ref: body.ref,
        inputs: given,
      });
      if (!body.return_run_details) return { status: 204 };
      return {
        status: 200,
        body: {
          workflow_run_id: runId,
          run_url: `${ctx.urls.api}/repos/${repo.fullName}/actions/runs/${runId}`,
          html_url: `${ctx.urls.web}/${repo.fullName}/actions/runs/${runId}`,
        },
      };
    },
  },

  "actions/list-workflow-runs": {
    needs: "repository",
    handle(ctx, call) {
      const repo = repoOf(call);
      const path = workflowPath(ctx, repo, call.params.workflow_id ?? "");
      if (!path) return error(404, "Not Found");
      const q = call.query;
      const created = createdFilter(q.get("created"));
      const runs = ctx.state
        .listRuns(repo.fullName)
        .filter(
          (run) =>
            workflowPathOf(run) === path &&
            (!q.get("event") || run.event === q.get("event")) &&
            (!q.get("branch") || run.headBranch === q.get("branch")) &&
            (!q.get("status") || run.status === q.get("status") || run.conclusion === q.get("status")) &&
            (!q.get("head_sha") || run.headSha === q.get("head_sha")) &&
            created(Date.parse(run.createdAt)),
        )
        .reverse();
      const perPage = Math.min(Number(q.get("per_page") ?? 30), 100);
      const page = Number(q.get("page") ?? 1);
      const shown = runs.slice((page - 1) * perPage, page * perPage).map((run) => {
        const head = ctx.state.findCommit(repo, run.headSha);
        return objects.workflowRun(ctx.urls, repo, run, head?.sha === run.headSha ? head : undefined);
      });
      return { status: 200, body: { total_count: runs.length, workflow_runs: shown } };
    },
  },
};

function workflowPathOf(run: RunState): string {
  return (
    run.workflowPath ?? `${WORKFLOWS_DIR}${run.workflowName.toLowerCase().replace(/[^a-z0-9]+/g, "-")}.yml`
  );
}

/** GitHub's `created` search syntax: `>=T`, `>T`, `<=T`, `<T`, `A..B`, or a date. */
function createdFilter(raw: string | null): (ms: number) => boolean {
  if (!raw) return () => true;
  const range = /^(.+)\.\.(.+)$/.exec(raw);
  if (range) {
    const from = Date.parse(range[1] as string);
    const to = Date.parse(range[2] as string);
    return (ms) => ms >= from && ms <= to;
  }
  const compare = /^(>=|<=|>|<)(.+)$/.exec(raw);
  if (compare) {
    const at = Date.parse(compare[2] as string);
    switch (compare[1]) {
      case ">=":
        return (ms) => ms >= at;
      case ">":
        return (ms) => ms > at;
      case "<=":
        return (ms) => ms <= at;
      default:
        return (ms) => ms < at;
    }
  }
  const day = Date.parse(raw);
  return (ms) => ms >= day && ms < day + 86_400_000;
}
