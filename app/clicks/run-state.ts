// Whether the run can still take a decision, by mode: the one rule of authorization that differs
// between modes (how the decision is delivered decides what "still waiting" means).
//   gate      the run is not finished (a job waits at the environment's gate)
//   wait      the run is in progress on that attempt: the waiting step runs (a run held at an
//             environment, queued or finished has no step waiting for this decision)
//   dispatch  the job that asked ended after posting, so a finished run is expected; a cancelled one
//             was stopped on purpose and starts nothing
import type { Mode } from "../../common/reference.js";
import type { RunInfo } from "../github/runs.js";
import type { Refusal } from "../sentences.js";

export function runRefusal(mode: Mode, run: RunInfo): Refusal | undefined {
  switch (mode) {
    case "gate":
      return run.status === "completed" ? { kind: "run_finished", conclusion: run.conclusion } : undefined;
    case "wait":
      if (run.status === "completed") return { kind: "run_finished", conclusion: run.conclusion };
      return run.status === "in_progress" ? undefined : { kind: "run_not_running", status: run.status };
    case "dispatch":
      return run.status === "completed" && run.conclusion === "cancelled"
        ? { kind: "run_finished", conclusion: run.conclusion }
        : undefined;
  }
}
