// Reads the Dockerfile and .dockerignore the way Docker does, for the image tests
// (test/ops-docker.test.ts) and the runtime-stage check (.ci/image-runtime.ts): no Docker engine runs
// here, so the image's recipe is checked as text, and its runtime stage is rebuilt in a directory.

export interface Instruction {
  keyword: string;
  /** Everything after the keyword, continuation lines joined. */
  args: string;
  line: number;
}

export interface Stage {
  name: string | undefined;
  /** The FROM image, with build arguments substituted. */
  from: string;
  instructions: Instruction[];
}

export interface Dockerfile {
  /** Global ARGs (before the first FROM) with their defaults. */
  args: Record<string, string>;
  stages: Stage[];
}

export function parseDockerfile(text: string): Dockerfile {
  const instructions: Instruction[] = [];
  let pending: { keyword: string; args: string; line: number } | undefined;
  text.split("\n").forEach((raw, index) => {
    const line = raw.trimEnd();
    if (!pending && (line.trim() === "" || line.trimStart().startsWith("#"))) return;
    if (pending && line.trimStart().startsWith("#")) return;
    const continues = line.endsWith("\\");
    const body = continues ? line.slice(0, -1) : line;
    if (pending) pending.args += ` ${body.trim()}`;
    else {
      const match = /^\s*([A-Za-z]+)\s*(.*)$/.exec(body);
      if (!match) throw new Error(`Dockerfile line ${index + 1} is not an instruction: ${raw}`);
      pending = {
        keyword: (match[1] as string).toUpperCase(),
        args: (match[2] as string).trim(),
        line: index + 1,
      };
    }
    if (!continues) {
      instructions.push({ ...pending, args: pending.args.replace(/\s+/g, " ").trim() });
      pending = undefined;
    }
  });
  if (pending) throw new Error("the Dockerfile ends inside a continued line");

  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const instruction of instructions) {
    if (instruction.keyword === "FROM") {
      const match = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(instruction.args);
      if (!match) throw new Error(`FROM on line ${instruction.line} is not "image [AS name]"`);
      const from = (match[1] as string).replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a, b) => args[a ?? b] ?? "");
      stages.push({ name: match[2], from, instructions: [] });
    } else if (stages.length === 0) {
      if (instruction.keyword !== "ARG") throw new Error(`${instruction.keyword} before the first FROM`);
      const [name, value = ""] = instruction.args.split("=", 2) as [string, string?];
      args[name] = value;
    } else {
      (stages.at(-1) as Stage).instructions.push(instruction);
    }
  }
  return { args, stages };
}

export interface Copy {
  from: string | undefined;
  sources: string[];
  destination: string;
}

/** A COPY's `--from`, sources and destination (shell form, which is all this Dockerfile uses). */
export function parseCopy(instruction: Instruction): Copy {
  const words = instruction.args.split(" ");
  let from: string | undefined;
  while (words[0]?.startsWith("--")) {
    const flag = words.shift() as string;
    if (flag.startsWith("--from=")) from = flag.slice("--from=".length);
  }
  if (words.length < 2) throw new Error(`COPY on line ${instruction.line} needs a source and a destination`);
  const destination = words.pop() as string;
  return { from, sources: words, destination };
}

/** `ENV A=1 B=2` (continuations joined) as a record. */
export function parseEnvInstruction(instruction: Instruction): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of instruction.args.split(" ")) {
    const at = pair.indexOf("=");
    if (at > 0) env[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return env;
}

export function stage(dockerfile: Dockerfile, name: string): Stage {
  const found = dockerfile.stages.find((s) => s.name === name);
  if (!found) throw new Error(`the Dockerfile has no stage "${name}"`);
  return found;
}

/**
 * Whether `.dockerignore` leaves `path` (relative to the context, `/`-separated) out of the build
 * context. As Docker reads it: the last pattern that matches the path or one of its parent
 * directories decides; `!` lets it back in; `*` stays within a path segment, `**` spans any number.
 */
export function isIgnored(dockerignore: string, path: string): boolean {
  const patterns = dockerignore
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"))
    .map((line) => {
      const negated = line.startsWith("!");
      const pattern = (negated ? line.slice(1) : line).replace(/^\/+|\/+$/g, "");
      return { negated, regex: globToRegExp(pattern) };
    });
  const segments = path.split("/");
  const candidates = segments.map((_, i) => segments.slice(0, i + 1).join("/"));
  let ignored = false;
  for (const { negated, regex } of patterns) {
    if (candidates.some((candidate) => regex.test(candidate))) ignored = !negated;
  }
  return ignored;
}

function globToRegExp(pattern: string): RegExp {
  let source = "";
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i] as string;
    if (char === "*" && pattern[i + 1] === "*") {
      // `**/` matches zero or more directories; a trailing `**` matches anything.
      if (pattern[i + 2] === "/") {
        source += "(?:.*/)?";
        i += 2;
      } else {
        source += ".*";
        i += 1;
      }
    } else if (char === "*") source += "[^/]*";
    else if (char === "?") source += "[^/]";
    else source += char.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${source}$`);
}
