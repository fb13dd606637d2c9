// Parses the policy from its YAML text, keeping positions so every problem names its line. Bounded
// before each step: the size before parsing, aliases before they are expanded, counts before lists
// are walked (validate.ts). The text is lexed in slices that give the event loop back every few
// milliseconds, and duplicate keys are found with one pass (the yaml package's own `uniqueKeys`
// check compares every key with every other: half a second for a legal 12,000-entry github-users).
import {
  Composer,
  type Document,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  Lexer,
  LineCounter,
  type Node,
  Parser,
  visit,
  type YAMLError,
} from "yaml";
import { clip, formatPath, PolicyError, type PolicyProblem } from "./errors.js";
import { POLICY_LIMITS, type Policy } from "./types.js";
import { type LineLocator, validatePolicyData } from "./validate.js";

/** The longest the parser holds the event loop before it lets other work run. */
const SLICE_MS = 5;
/** How many lexemes pass between two looks at the clock. */
const LEXEMES_PER_CHECK = 256;
const MAX_SYNTAX_PROBLEMS = 3;
/** The yaml package's `maxAliasCount`: it counts each resolution of an alias, weighted by nesting. */
const NESTED_ALIAS_WEIGHT = 2 * POLICY_LIMITS.maxAliases;

/** Rejects with PolicyError naming the source, the key path, the line and what is wrong. */
export async function parsePolicy(yamlText: string, source: string): Promise<Policy> {
  const bytes = Buffer.byteLength(yamlText, "utf8");
  if (bytes > POLICY_LIMITS.maxFileBytes) throw new PolicyError(source, [tooLargeProblem(bytes)]);

  const lines = new LineCounter();
  const lineOf = (offset: number) => lines.linePos(offset).line;
  const doc = await composeDocument(yamlText, lines);
  if (doc.errors.length > 0) {
    const shown = doc.errors.slice(0, MAX_SYNTAX_PROBLEMS).map((e) => syntaxProblem(e, lines));
    throw new PolicyError(source, shown, doc.errors.length);
  }

  const structural = checkStructure(doc, lineOf);
  if (structural.problems.length > 0) {
    throw new PolicyError(source, structural.problems, structural.total);
  }

  let data: unknown;
  try {
    // Plain objects: a key such as `__proto__` becomes an own property, which the validator refuses.
    // The yaml package's own guard weighs each alias by the aliases inside what it names, which
    // catches aliases nested in aliases (a "billion laughs") within the count allowed above.
    data = doc.toJS({ maxAliasCount: NESTED_ALIAS_WEIGHT });
  } catch (error) {
    const message =
      error instanceof ReferenceError && /Excessive alias count/.test(error.message)
        ? "YAML aliases (*name) nest inside each other too deeply; write the lists out, or name a Slack user group"
        : `unreadable YAML: ${firstLine(error)}`;
    // e.g. an alias to an anchor defined after it.
    throw new PolicyError(source, [{ path: "", message }]);
  }

  const locate: LineLocator = (path, at) => {
    // Whole-file problems, and keys missing at the top level, have no line worth naming.
    let node: unknown = doc.contents;
    let found: Node | undefined;
    for (let i = 0; i < path.length; i++) {
      const segment = path[i];
      if (isMap(node)) {
        const pair = node.items.find((p) => keyText(p.key) === String(segment));
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
      // Past an alias the path runs through the anchored node, written elsewhere: name the alias.
      if (isAlias(node)) break;
    }
    const start = found?.range?.[0];
    return start === undefined ? undefined : lineOf(start);
  };
  return validatePolicyData(data, source, locate);
}

/** Lexes, parses and composes one document, yielding to the event loop between slices. */
async function composeDocument(text: string, lines: LineCounter): Promise<Document.Parsed> {
  const parser = new Parser(lines.addNewLine);
  // Parser.parse() marks where the first line starts; driving parser.next() ourselves, we do.
  lines.addNewLine(0);
  // Unique keys are checked in checkStructure, in linear time.
  const composer = new Composer({ uniqueKeys: false });
  const docs: Document.Parsed[] = [];
  let sliceStart = performance.now();
  let lexemes = 0;
  for (const lexeme of new Lexer().lex(text)) {
    for (const token of parser.next(lexeme)) for (const doc of composer.next(token)) docs.push(doc);
    if (++lexemes % LEXEMES_PER_CHECK === 0 && performance.now() - sliceStart > SLICE_MS) {
      await new Promise((resolve) => setImmediate(resolve));
      sliceStart = performance.now();
    }
  }
  for (const token of parser.end()) for (const doc of composer.next(token)) docs.push(doc);
  for (const doc of composer.end(true, text.length)) docs.push(doc);
  const [first, second] = docs as [Document.Parsed, Document.Parsed | undefined];
  if (second) {
    first.errors.push({
      name: "YAMLParseError",
      code: "MULTIPLE_DOCS",
      pos: [second.range[0], second.range[1]],
      message: "the file holds more than one YAML document (---); a policy is one",
    } as YAMLError);
  }
  return first;
}

/** Aliases (counted before anything expands them) and keys repeated in one mapping. */
function checkStructure(
  doc: Document.Parsed,
  lineOf: (offset: number) => number,
): { problems: PolicyProblem[]; total: number } {
  const problems: PolicyProblem[] = [];
  let total = 0;
  let aliases = 0;
  visit(doc, {
    Alias(_, node) {
      aliases++;
      if (aliases <= POLICY_LIMITS.maxAliases) return undefined;
      const problem: PolicyProblem = {
        path: "",
        message: `more than ${POLICY_LIMITS.maxAliases} YAML aliases (*name); write the lists out, or name a Slack user group`,
      };
      if (node.range) problem.line = lineOf(node.range[0]);
      problems.unshift(problem);
      total++;
      return visit.BREAK;
    },
    Map(_, map, ancestors) {
      const seen = new Map<string, Node | null>();
      for (const pair of map.items) {
        const key = keyText(pair.key);
        if (!seen.has(key)) {
          seen.set(key, pair.key as Node | null);
          continue;
        }
        total++;
        if (problems.length >= MAX_SYNTAX_PROBLEMS) continue;
        const first = seen.get(key)?.range?.[0];
        const problem: PolicyProblem = {
          path: formatPath([...pathTo(ancestors, map), key]),
          message: `repeats a key${first === undefined ? "" : ` (first on line ${lineOf(first)})`}; each key may appear once`,
        };
        const at = (pair.key as Node | null)?.range?.[0];
        if (at !== undefined) problem.line = lineOf(at);
        problems.push(problem);
      }
      return undefined;
    },
  });
  return { problems, total };
}

/** The key path of `node` from its ancestors as `visit` gives them. */
function pathTo(ancestors: readonly unknown[], node: unknown): (string | number)[] {
  const path: (string | number)[] = [];
  const chain = [...ancestors, node];
  for (let i = 0; i < chain.length - 1; i++) {
    const here = chain[i];
    if (isPair(here)) path.push(keyText(here.key));
    else if (isSeq(here)) path.push(here.items.indexOf(chain[i + 1] as never));
  }
  return path;
}

function keyText(key: unknown): string {
  if (isScalar(key)) return String(key.value);
  return String(key);
}

/** The problem for a file over POLICY_LIMITS.maxFileBytes. */
export function tooLargeProblem(bytes: number): PolicyProblem {
  return {
    path: "",
    message: `the file is ${describeSize(bytes)}; a policy may be at most ${POLICY_LIMITS.maxFileBytes / 1024} KiB`,
  };
}

function describeSize(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

function syntaxProblem(error: YAMLError, lines: LineCounter): PolicyProblem {
  const detail = firstLine(error);
  const start = error.pos?.[0];
  if (start === undefined) return { path: "", message: `YAML syntax error: ${detail}` };
  const { line, col } = lines.linePos(start);
  return { path: "", line, message: `YAML syntax error at column ${col}: ${detail}` };
}

function isNodeWithRange(node: unknown): node is Node {
  return typeof node === "object" && node !== null && Array.isArray((node as { range?: unknown }).range);
}

function firstLine(error: unknown): string {
  const message =
    error instanceof Error ? error.message : String((error as { message?: unknown })?.message ?? error);
  return clip((message.split("\n")[0] ?? "").trim(), 200);
}
