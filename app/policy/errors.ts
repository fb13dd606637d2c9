// A policy problem, worded for the person who has to fix the file: where (source, key path, line)
// and what is wrong, in plain words. The message is shown to clickers in Slack and in logs, so it
// is bounded: at most MAX_LISTED problems, each path segment and quoted value clipped.

export interface PolicyProblem {
  /** Dotted key path, e.g. `environments.production.required-approvals`; "" for the whole file. */
  path: string;
  /** 1-based line in the file, when known. */
  line?: number;
  message: string;
}

/** How many problems a message lists; the rest are counted. */
export const MAX_LISTED = 10;
const MAX_SEGMENT = 60;
const MAX_MESSAGE = 300;

export class PolicyError extends Error {
  override name = "PolicyError";
  /**
   * @param problems the first problems found (at most MAX_LISTED are shown)
   * @param total how many there were in all, when more were found than kept
   */
  constructor(
    readonly source: string,
    readonly problems: PolicyProblem[],
    readonly total = problems.length,
  ) {
    super(formatProblems(source, problems, total));
  }
}

export function formatProblem(problem: PolicyProblem): string {
  const where = problem.line === undefined ? "" : `line ${problem.line}`;
  const message = clip(problem.message, MAX_MESSAGE);
  if (!problem.path) return where ? `${where}: ${message}` : message;
  return `${problem.path}${where ? ` (${where})` : ""}: ${message}`;
}

function formatProblems(source: string, problems: PolicyProblem[], total: number): string {
  if (total === 1 && problems.length === 1)
    return `Invalid policy ${source}: ${formatProblem(problems[0] as PolicyProblem)}`;
  const listed = problems.slice(0, MAX_LISTED).map((p) => `- ${formatProblem(p)}`);
  const shown = Math.min(problems.length, MAX_LISTED);
  if (total > shown) listed.push(`- and ${total - shown} more`);
  return `Invalid policy ${source} (${total} problems):\n${listed.join("\n")}`;
}

/** `environments.production`, or `environments["eu prod"]` when a segment is not a plain word. */
export function formatPath(path: ReadonlyArray<string | number>): string {
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else if (/^[A-Za-z0-9_-]{1,60}$/.test(segment)) out += out ? `.${segment}` : segment;
    else out += `[${JSON.stringify(clip(segment, MAX_SEGMENT))}]`;
  }
  return out;
}

/** Shortens text quoted from the file, so that no message repeats more than a line of it. */
export function clip(text: string, max = MAX_SEGMENT): string {
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}
