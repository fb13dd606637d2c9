// Fails when the committed dist/ is not what a fresh build of the sources produces, so the action
// users run (dist/index.js) is always the code that was reviewed and tested.
import { execFileSync } from "node:child_process";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const run = (cmd, args, opts = {}) => execFileSync(cmd, args, { cwd: root, encoding: "utf8", ...opts });

try {
  run("npm", ["run", "build"], { stdio: ["ignore", "ignore", "inherit"] });
} catch {
  console.error("check-dist: `npm run build` failed; fix the build first.");
  process.exit(1);
}

const changes = run("git", ["status", "--porcelain", "--untracked-files=all", "--", "dist"]).trimEnd();
if (changes) {
  console.error(
    [
      "check-dist: dist/ does not match a fresh build of the sources:",
      changes,
      "",
      "Run `npm run build` and commit dist/ with your change.",
    ].join("\n"),
  );
  const diff = run("git", ["diff", "--stat", "--", "dist"]).trimEnd();
  if (diff) console.error(`\n${diff}`);
  process.exit(1);
}
console.log("check-dist: dist/ matches a fresh build.");
