// A policy problem, worded for the person who has to fix the file: where (source, key path, line)
// and what is wrong, in plain words. The message is shown to clickers in Slack and in logs.

export interface PolicyProblem {
  /** Dotted key path, e.g. `environments.production.required-approvals`; "" for the whole file. */
  path: string;
  /** 1-based line in the file, when known. */
  line?: number;
  message: string;
}

const MAX_LISTED = 10;

export class PolicyError extends Error {
  override name = "PolicyError";
  constructor(
    readonly source: string,
    readonly problems: PolicyProblem[],
  ) {
    super(formatProblems(source, problems));
  }
}

export function formatProblem(problem: PolicyProblem): string {
  const where = problem.line === undefined ? "" : `line ${problem.line}`;
  if (!problem.path) return where ? `${where}: ${problem.message}` : problem.message;
  return `${problem.path}${where ? ` (${where})` : ""}: ${problem.message}`;
}

function formatProblems(source: string, problems: PolicyProblem[]): string {
  if (problems.length === 1)
    return `Invalid policy ${source}: ${formatProblem(problems[0] as PolicyProblem)}`;
  const listed = problems.slice(0, MAX_LISTED).map((p) => `- ${formatProblem(p)}`);
  if (problems.length > MAX_LISTED) listed.push(`- and ${problems.length - MAX_LISTED} more`);
  return `Invalid policy ${source} (${problems.length} problems):\n${listed.join("\n")}`;
}

/** `environments.production`, or `environments["eu prod"]` when a segment is not a plain word. */
export function formatPath(path: ReadonlyArray<string | number>): string {
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else if (/^[A-Za-z0-9_-]+$/.test(segment)) out += out ? `.${segment}` : segment;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}
