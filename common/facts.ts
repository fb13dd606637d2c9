// What a request message states about the deployment besides its reference. The Action fills these
// from the run's environment; the App reads them from GitHub (the run, the commit, the deployments)
// and from the policy on first contact, keeps them with the request, and rebuilds the message's
// header and fields from them on every update: those words are the App's, never the poster's.
import type { Changes } from "./changes.js";

export interface RequestFacts {
  /** e.g. `https://github.com` */
  serverUrl: string;
  /** The workflow's name. */
  workflow: string;
  /** e.g. `refs/heads/main`, or a branch name as GitHub's run gives it. */
  ref: string;
  /** The commit GitHub's run is for. */
  sha: string;
  commitTitle?: string;
  /** GitHub login of whoever triggered the run. */
  actor: string;
  /** e.g. `push`, `workflow_dispatch` */
  eventName: string;
  /** What changed since the last successful deployment to this environment. */
  changes?: Changes;
  /** Who may approve and how many must (the App's policy at first contact). */
  approval?: ApprovalSummary;
}

/** One approver as the policy names them: a Slack user or group pings; GitHub names are shown. */
export type ApproverName =
  | { kind: "user"; id: string }
  | { kind: "group"; id: string }
  | { kind: "github_user"; login: string }
  | { kind: "github_team"; org: string; slug: string };

export interface ApprovalSummary {
  required: number;
  approvers: ApproverName[];
  /** When the request expires (ISO 8601), and how long after it was posted. */
  expiresAt?: string;
  expireAfterMs?: number;
}
