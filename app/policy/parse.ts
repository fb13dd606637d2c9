// Parses the policy from its YAML text, keeping positions so every problem names its line.
import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from "yaml";
import { PolicyError, type PolicyProblem } from "./errors.js";
import { POLICY_LIMITS, type Policy } from "./types.js";
import { type LineLocator, validatePolicyData } from "./validate.js";

/** Throws PolicyError naming the source, the key path, the line and what is wrong. */
export function parsePolicy(yamlText: string, source: string): Policy {
  if (Buffer.byteLength(yamlText, "utf8") > POLICY_LIMITS.maxFileBytes) {
    throw new PolicyError(source, [
      { path: "", message: `the file is larger than ${POLICY_LIMITS.maxFileBytes / 1024} KiB` },
    ]);
  }
  const lineCounter = new LineCounter();
  // Same YAML settings as Probot's config loader (YAML 1.2, core schema, unique keys), so a file
  // accepted here is read the same way in production.
  const doc = parseDocument(yamlText, { lineCounter });
  if (doc.errors.length > 0) {
    throw new PolicyError(source, doc.errors.slice(0, 3).map(yamlSyntaxProblem));
  }
  let data: unknown;
  try {
    data = doc.toJS();
  } catch (error) {
    // e.g. an alias that expands too far.
    throw new PolicyError(source, [{ path: "", message: `unreadable YAML: ${firstLine(error)}` }]);
  }

  const locate: LineLocator = (path, at) => {
    // Whole-file problems, and keys missing at the top level, have no line worth naming.
    let node: unknown = doc.contents;
    let found: Node | undefined;
    for (let i = 0; i < path.length; i++) {
      const segment = path[i];
      if (isMap(node)) {
        const pair = node.items.find(
          (p) => String(isScalar(p.key) ? p.key.value : p.key) === String(segment),
        );
        if (!pair) break;
        const last = i === path.length - 1;
        node = last && at === "key" ? pair.key : (pair.value ?? pair.key);
      } else if (isSeq(node) && typeof segment === "number") {
        node = node.items[segment];
      } else {
        break;
      }
      if (isNodeWithRange(node)) found = node;
      else break;
    }
    const start = found?.range?.[0];
    return start === undefined ? undefined : lineCounter.linePos(start).line;
  };
  return validatePolicyData(data, source, locate);
}

/** A YAML syntax error as a problem; also used for errors raised by Probot's config loader. */
export function yamlSyntaxProblem(error: unknown): PolicyProblem {
  const detail = firstLine(error).replace(/ at line \d+, column \d+:?$/, "");
  const pos = (error as { linePos?: Array<{ line: number; col: number }> })?.linePos?.[0];
  const problem: PolicyProblem = {
    path: "",
    message: pos ? `YAML syntax error at column ${pos.col}: ${detail}` : `YAML syntax error: ${detail}`,
  };
  if (pos) problem.line = pos.line;
  return problem;
}

function isNodeWithRange(node: unknown): node is Node {
  return typeof node === "object" && node !== null && Array.isArray((node as { range?: unknown }).range);
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return (message.split("\n")[0] ?? "").trim();
}
