// Preloaded with `--import` into both the Action and its floor script: at exit it writes the
// process's peak resident set (getrusage ru_maxrss, KiB) to $BENCH_RSS_FILE. The same probe in both
// runs, and no extra process in the timed path (as /usr/bin/time would add).
import { writeFileSync } from "node:fs";

const target = process.env.BENCH_RSS_FILE;
if (target) {
  process.once("exit", () => {
    writeFileSync(target, String(process.resourceUsage().maxRSS));
  });
}
