// `.env` for `npm start`: read with Node's own parser (the syntax `node --env-file` reads), and
// never over a variable the environment already sets, so a host's settings always win over the file.
import { readFileSync } from "node:fs";
import { parseEnv } from "node:util";
import { ConfigError } from "../config.js";

export interface EnvFileResult {
  path: string;
  /** Names taken from the file. */
  loaded: string[];
  /** Names in the file that the environment already set (the environment's value was kept). */
  kept: string[];
}

/**
 * Adds the file's variables to `env`. Returns undefined when there is no such file (a host that sets
 * everything in its environment needs none); throws ConfigError when it exists but cannot be read.
 * Values never appear in the result or in an error.
 */
export function loadEnvFile(
  path: string,
  env: Record<string, string | undefined> = process.env,
): EnvFileResult | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return undefined;
    throw new ConfigError(`${path} cannot be read: ${code ?? "error"}`);
  }
  const loaded: string[] = [];
  const kept: string[] = [];
  for (const [name, value] of Object.entries(parseEnv(text))) {
    if (value === undefined) continue;
    if (Object.hasOwn(env, name)) kept.push(name);
    else {
      env[name] = value;
      loaded.push(name);
    }
  }
  // Node's parser does not keep the file's order; sorted names read the same on every start.
  return { path, loaded: loaded.sort(), kept: kept.sort() };
}
