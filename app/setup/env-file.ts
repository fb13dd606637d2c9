// The `.env` file as setup reads and writes it. Writing replaces only the lines of the keys it sets
// (appending the rest), keeps every other line byte for byte, and lands atomically with mode 0600:
// the file holds the App's credentials. Values are written unquoted on one line, the one form that
// Node's env-file parser, dotenv and `docker run --env-file` all read the same way.
import { randomBytes } from "node:crypto";
import {
  chmodSync,
  closeSync,
  fsyncSync,
  openSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { basename, dirname, join } from "node:path";

const LINE = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=(.*)$/;

export class EnvFileError extends Error {
  override name = "EnvFileError";
}

/** Reads `KEY=value` lines; a missing file reads as empty. Quotes are removed, `#` comments ignored. */
export function readEnvFile(path: string): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw error;
  }
  const values: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const match = LINE.exec(line);
    if (!match) continue;
    const [, key, raw] = match as unknown as [string, string, string];
    values[key] = unquote(raw.trim());
  }
  return values;
}

function unquote(raw: string): string {
  const quote = raw[0];
  if ((quote === '"' || quote === "'" || quote === "`") && raw.length > 1) {
    const end = raw.indexOf(quote, 1);
    if (end > 0) return raw.slice(1, end);
  }
  // Unquoted: an inline comment starts at ` #`.
  const comment = raw.search(/\s#/);
  return (comment >= 0 ? raw.slice(0, comment) : raw).trim();
}

/** A value must survive every env-file reader unquoted: one line, no `#`, no quote or space at either end. */
export function checkEnvValue(key: string, value: string): void {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) throw new EnvFileError(`${key} is not a variable name`);
  if (value === "" || /[\r\n#]/.test(value) || /^[\s"'`]|\s$/.test(value)) {
    // The value itself is never part of the message: it is a credential.
    throw new EnvFileError(`${key} cannot be written to .env on one unquoted line`);
  }
}

/** A PEM key on one line, with `\n` escapes (the App's config turns them back into newlines). */
export function pemToEnvValue(pem: string): string {
  return pem.trim().replace(/\r?\n/g, "\\n");
}

let queue: Promise<unknown> = Promise.resolve();

/**
 * Sets `values` in the file at `path`: a key's last uncommented line is replaced in place, a new key is
 * appended; other lines stay as they are. Writes are serialised within the process.
 */
export async function updateEnvFile(path: string, values: Record<string, string>): Promise<void> {
  for (const [key, value] of Object.entries(values)) checkEnvValue(key, value);
  const run = queue.then(() => writeAtomically(path, values));
  queue = run.catch(() => undefined);
  return run;
}

function writeAtomically(path: string, values: Record<string, string>): void {
  let target = path;
  let original = "";
  try {
    target = realpathSync(path);
    original = readFileSync(target, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  const text = mergeEnv(original, values);
  const temporary = join(dirname(target), `.${basename(target)}.${randomBytes(6).toString("hex")}.tmp`);
  const fd = openSync(temporary, "wx", 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    // The umask may have narrowed the mode further; never wider than 0600.
    chmodSync(temporary, 0o600);
    renameSync(temporary, target);
  } catch (error) {
    rmSync(temporary, { force: true });
    // A file bind-mounted into a container cannot be replaced, only rewritten in place.
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "EBUSY" && code !== "EXDEV") throw error;
    chmodSync(target, 0o600);
    writeFileSync(target, text, { mode: 0o600 });
  }
}

/** The new file text: `values` set in `original`, everything else untouched. */
export function mergeEnv(original: string, values: Record<string, string>): string {
  const newline = original.includes("\r\n") ? "\r\n" : "\n";
  const lines = original === "" ? [] : original.split(/\r?\n/);
  if (lines.length > 0 && lines.at(-1) === "") lines.pop();
  const pending = new Map(Object.entries(values));
  for (const [key, value] of Object.entries(values)) {
    let last = -1;
    lines.forEach((line, index) => {
      if (LINE.exec(line)?.[1] === key) last = index;
    });
    if (last >= 0) {
      lines[last] = `${key}=${value}`;
      pending.delete(key);
    }
  }
  for (const [key, value] of pending) lines.push(`${key}=${value}`);
  return lines.join(newline) + newline;
}
