// What the sandbox page can do, done the way the real systems would do it: a deployment is a run in
// the fake GitHub plus the real Action run as a workflow step; a click is a signed Slack interaction
// built from the message the fake Slack holds; a policy change is a commit plus a `push` webhook.

import Sqlite from "better-sqlite3";
import {
  formatProblem,
  readPolicy,
  resolveEnvironment,
  slackUsersForGithubLogin,
} from "../app/policy/index.js";
import { type Refusal, refusalForForm } from "../app/sentences.js";
import { ANNOUNCE_TITLE } from "../common/announce.js";
import { ACTION_IDS, REJECT_REASON_ACTION_ID, REJECT_REASON_BLOCK_ID } from "../common/reference.js";
import { fakeSha } from "../testkit/fakes/github-state.js";
import type { RunningFakes } from "../testkit/fakes/serve.js";
import type { FakeEphemeral, FakeMessage } from "../testkit/fakes/slack.js";
import { runStep, type StepContext, startStep } from "../testkit/helpers/action-step.js";
import { slashCommand } from "../testkit/helpers/link-flow.js";
import { runActionStep } from "../testkit/helpers/processes.js";
import {
  blockActionsPayload,
  type OpenedView,
  viewSubmissionPayload,
} from "../testkit/helpers/slack-clicks.js";
import { postSignedToSlackRoute } from "../testkit/helpers/slack-sign.js";
import {
  BOT_TOKEN,
  CHANNEL_ID,
  CHANNEL_NAME,
  COMMIT_TITLES,
  DEFAULT_POLICY,
  DISPATCH_WORKFLOW_PATH,
  ENVIRONMENTS,
  MODES,
  PEOPLE,
  POLICY_PATH,
  RELEASE_GROUP,
  REPOSITORY,
  type SandboxMode,
  TRIGGERING_LOGIN,
  WORKFLOW_TOKEN,
} from "./world.js";

/** A required reviewer of the environment in GitHub's own UI (beside the App's rule). */
const GITHUB_REVIEWER = "rita-reviewer";
/** An organization admin, who can bypass protection rules. */
const GITHUB_ADMIN = "ada-admin";

/** Slack's own message when a required modal input is submitted empty (the App never sees it). */
const REQUIRED_FIELD = "Please complete this required field.";

export class SandboxError extends Error {
  constructor(
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

interface SimulatedRun {
  runId: number;
  /** How it waits; `dispatched` is the run dispatch mode started on approval. */
  mode: SandboxMode | "dispatched";
  environment: string;
  sha: string;
  commitTitle: string;
  startedAt: string;
  /** The Action's step, once it has run (wait mode: while it holds the runner, `code` is "running"). */
  action?: { code: number | string; outputs: Record<string, string>; log: string };
  /** wait mode: the step holds its runner until the decision. */
  holding?: boolean;
  /** A dispatched run: the run whose approval started it. */
  startedBy?: number;
  /** HTTP status the App gave the deployment_protection_rule webhook. */
  gateStatus?: number;
}

export interface SandboxState {
  repository: string;
  channel: { id: string; name: string };
  people: Array<{ id: string; name: string; role: string }>;
  /** Slack user id → display name, for @mentions. */
  users: Record<string, string>;
  /** Slack user group id → handle. */
  groups: Record<string, string>;
  messages: Array<FakeMessage & { replies: FakeMessage[] }>;
  ephemerals: FakeEphemeral[];
  views: Array<{ id: string; user: string | undefined; view: Record<string, unknown> }>;
  runs: Array<
    SimulatedRun & {
      status: string;
      conclusion: string | null;
      waitingEnvironments: string[];
      reviews: Array<{ state: string; comment: string }>;
      /** wait and dispatch modes: the App's check run for the run's request, once decided. */
      checkRun?: { name: string; conclusion: string | null; title: string | null };
    }
  >;
  policy: string;
  environments: readonly string[];
  /** What the saved policy says for each environment, for the page's labels (null: nobody may approve). */
  rules: Record<
    string,
    { requiredApprovals: number; approvers: string[]; allowSelfApproval: boolean } | null
  >;
}

/** `warnings`: what the App's validation says of a valid policy (approvers it could not identify). */
export type PolicySaved =
  | { saved: true; pushStatus: number; warnings: string[] }
  | { saved: false; refusal: string };

export interface SandboxApi {
  state(): SandboxState;
  startDeployment(
    environment: string,
    mode?: string,
  ): Promise<{
    runId: number;
    mode: SandboxMode;
    action: NonNullable<SimulatedRun["action"]>;
    gateStatus?: number;
  }>;
  click(ts: string, action: string, user: string): Promise<{ status: number }>;
  submitModal(
    viewId: string,
    user: string,
    reason: string,
  ): Promise<{ ok: boolean; errors?: Record<string, string> }>;
  closeModal(viewId: string): void;
  /** Saved (and pushed), or refused with the sentence a click would get: an answer, not an error. */
  savePolicy(text: string): Promise<PolicySaved>;
  resetPolicy(): Promise<PolicySaved>;
  /** Reads the default policy's rules for the labels; call once before serving the page. */
  ready(): Promise<void>;
  /**
   * What happens to a run outside Slack, done as GitHub would do it (README "A request's life"):
   * `cancel` (the run is cancelled: workflow_run completed), `approve-in-github` / `reject-in-github`
   * (a required reviewer acts in GitHub's own UI: deployment_review, and a rejection ends the run),
   * `finish` (the deploy job finished: workflow_run completed, success), `bypass` (an admin bypasses the
   * protection rules: the deploy job starts, workflow_job in_progress), and `expire` (skips ahead to the
   * request's expiry: its expires_at is set to now in the App's database, and the App's sweep, every 2 s
   * here, expires it as it would after expire-after).
   */
  runControl(runId: number, control: string): Promise<{ status: number }>;
  /**
   * `/deploy-gate <text>` typed by `user` in #deploys: the signed slash command goes to the App, and
   * its answer shows in the channel as Slack shows it, to that person only (with the link button).
   */
  command(user: string, text: string): Promise<{ status: number }>;
}

export function createSandboxApi(deps: {
  fakes: RunningFakes;
  appUrl: string;
  signingSecret: string;
  workDir: string;
  root: string;
  /** The App's ID: what wait and verify modes trust. */
  appId: number;
  /** The App's SQLite file, for `runControl(…, "expire")`. */
  databasePath?: string;
}): SandboxApi {
  const { fakes, appUrl, signingSecret } = deps;
  const { slack, github } = fakes;
  const runs: SimulatedRun[] = [];
  const closedViews = new Set<string>();
  let policy = DEFAULT_POLICY;
  let rules: SandboxState["rules"] = {};
  let nextRunId = 1001;

  const person = (id: string) => {
    const found = PEOPLE.find((p) => p.id === id);
    if (!found) throw new SandboxError(`unknown person ${id}`);
    return found;
  };
  const interactionsUrl = `${appUrl}/slack/interactions`;
  const stepContext = (runId: number, sha: string, extra: Partial<StepContext> = {}): StepContext => ({
    repository: REPOSITORY,
    runId,
    sha,
    actor: TRIGGERING_LOGIN,
    workflow: "Deploy webshop",
    serverUrl: fakes.githubUrl,
    apiUrl: fakes.githubApiUrl,
    githubToken: WORKFLOW_TOKEN,
    workDir: deps.workDir,
    ...extra,
  });
  const postInputs = (environment: string, mode: SandboxMode) => ({
    "slack-bot-token": BOT_TOKEN,
    channel: `#${CHANNEL_NAME}`,
    environment,
    mode,
    "slack-api-url": fakes.slackUrl,
  });

  function checkRunOf(run: SimulatedRun) {
    const requestId = run.action?.outputs["request-id"];
    const found = github.checkRuns(REPOSITORY).find((c) => requestId && c.externalId === requestId);
    return found ? { name: found.name, conclusion: found.conclusion, title: found.output.title } : undefined;
  }

  // dispatch mode: an approval makes the App start the deploy workflow, a new run in GitHub. Its first
  // step is the Action in verify mode, run here as that run's runner would.
  const seenDispatches = new Set<number>();
  async function followDispatches(): Promise<void> {
    for (const started of github.listRuns(REPOSITORY)) {
      if (started.event !== "workflow_dispatch" || seenDispatches.has(started.runId)) continue;
      seenDispatches.add(started.runId);
      const dispatch = github.dispatches.find((d) =>
        started.displayTitle?.includes(String(d.inputs["request-id"])),
      );
      const requestId = String(dispatch?.inputs["request-id"] ?? "");
      const parent = runs.find((r) => r.action?.outputs["request-id"] === requestId);
      const run: SimulatedRun = {
        runId: started.runId,
        mode: "dispatched",
        environment: String(dispatch?.inputs.environment ?? ""),
        sha: started.headSha,
        commitTitle: parent?.commitTitle ?? "",
        startedAt: new Date().toISOString(),
        startedBy: parent?.runId,
      };
      runs.push(run);
      const verify = await runStep(
        stepContext(started.runId, started.headSha, {
          eventName: "workflow_dispatch",
          actor: "slack-deploy-gate[bot]",
        }),
        { mode: "verify", environment: "production", "request-id": requestId, "app-id": String(deps.appId) },
        { timeoutMs: 60_000 },
      );
      run.action = { code: verify.code, outputs: verify.outputs, log: asRunnerShowsIt(verify.log) };
    }
  }
  let following = Promise.resolve();
  const follower = setInterval(() => {
    following = following.then(followDispatches).catch(() => undefined);
  }, 500);
  follower.unref();

  /**
   * Saves the policy as a commit to the default branch would, then sends the `push` GitHub would send.
   * A policy the App would refuse is not saved: the error is the very sentence a click would get,
   * made by the App's own loader and wording on the same text.
   */
  async function savePolicy(text: string): Promise<PolicySaved> {
    if (text.length > 64 * 1024) throw new SandboxError("the policy is over 64 KiB");
    const checked = await checkPolicy(text);
    if (!checked.ok) return { saved: false, refusal: checked.sentence };
    github.setFile(REPOSITORY, POLICY_PATH, text);
    policy = text;
    rules = checked.rules;
    // GitHub sends `push` when the default branch changes; the App drops its cached policy on it.
    const push = await github.sendWebhook("push", github.pushPayload(REPOSITORY, [POLICY_PATH]));
    return { saved: true, pushStatus: push.status, warnings: checked.warnings };
  }

  function announce(runId: number, log: string): void {
    const job = github.deployments.addJob(REPOSITORY, runId, {
      name: "Ask for approval",
      status: "completed",
      conclusion: "success",
    });
    for (const line of log.split("\n")) {
      const notice = /^::notice title=([^:]*)::(.*)$/.exec(line);
      if (notice?.[1] === ANNOUNCE_TITLE)
        github.deployments.annotate(job, { title: ANNOUNCE_TITLE, message: notice[2] ?? "" });
    }
  }

  async function runControl(runId: number, control: string): Promise<{ status: number }> {
    const run = runs.find((r) => r.runId === runId);
    if (!run) throw new SandboxError(`no run #${runId}`, 404);
    const current = github.getRun(REPOSITORY, runId);
    const ended = current.status === "completed";
    const completed = async () => {
      const answer = await github.sendWebhook(
        "workflow_run",
        github.workflowRunCompletedPayload(REPOSITORY, runId),
      );
      return { status: answer.status };
    };
    switch (control) {
      case "cancel":
        if (ended) throw new SandboxError(`run #${runId} has already ended`, 409);
        github.cancelRun(REPOSITORY, runId);
        return completed();
      case "finish":
        if (ended) throw new SandboxError(`run #${runId} has already ended`, 409);
        if (current.waitingEnvironments.length > 0) {
          throw new SandboxError(
            `run #${runId} is still held at ${current.waitingEnvironments.join(", ")}`,
            409,
          );
        }
        github.finishRun(REPOSITORY, runId, "success");
        return completed();
      case "approve-in-github":
      case "reject-in-github": {
        if (!current.waitingEnvironments.includes(run.environment)) {
          throw new SandboxError(`run #${runId} is not waiting at ${run.environment}`, 409);
        }
        const state = control === "approve-in-github" ? "approved" : "rejected";
        const answer = await github.sendWebhook(
          "deployment_review",
          github.deployments.deploymentReviewPayload(REPOSITORY, runId, {
            state,
            environment: run.environment,
            reviewer: GITHUB_REVIEWER,
            ...(state === "rejected" ? { comment: "Release freeze until Monday." } : {}),
          }),
        );
        // A rejection by a required reviewer ends the run's deployment: the run fails.
        if (state === "rejected") {
          github.finishRun(REPOSITORY, runId, "failure");
          await completed();
        }
        return { status: answer.status };
      }
      case "bypass": {
        if (!current.waitingEnvironments.includes(run.environment)) {
          throw new SandboxError(`run #${runId} is not waiting at ${run.environment}`, 409);
        }
        // An admin's "bypass protection rules": the deploy job starts without the App's review.
        github.bypassGate(REPOSITORY, runId, run.environment);
        const job = github.deployments.addJob(REPOSITORY, runId, {
          name: "deploy",
          environment: run.environment,
        });
        const answer = await github.sendWebhook(
          "workflow_job",
          github.deployments.workflowJobPayload(job, "in_progress", GITHUB_ADMIN),
        );
        return { status: answer.status };
      }
      case "expire": {
        if (!deps.databasePath) throw new SandboxError("the App's database is not known here", 500);
        const db = new Sqlite(deps.databasePath, { timeout: 5_000 });
        try {
          const changed = db
            .prepare(
              "UPDATE requests SET expires_at = ? WHERE repository = ? AND run_id = ? AND decision IS NULL AND closed IS NULL",
            )
            .run(Date.now(), REPOSITORY.toLowerCase(), runId).changes;
          if (changed === 0)
            throw new SandboxError(`run #${runId} has no request the App is waiting on`, 409);
        } finally {
          db.close();
        }
        return { status: 200 };
      }
      default:
        throw new SandboxError(
          "control must be cancel, finish, approve-in-github, reject-in-github, bypass or expire",
        );
    }
  }

  return {
    runControl,
    async command(user, text) {
      const who = person(user);
      if (!/^(link|unlink|whoami|help)?$/.test(text)) throw new SandboxError("try link, whoami or unlink");
      const reply = await slashCommand(appUrl, signingSecret, who.id, text, { channelId: CHANNEL_ID });
      if (reply.status !== 200) throw new SandboxError(`the App answered ${reply.status}`, 502);
      const seconds = Date.now() / 1000;
      slack.ephemerals.push({
        channel: CHANNEL_ID,
        user: who.id,
        text: reply.text ?? "",
        blocks: reply.blocks ?? [],
        ts: `${Math.floor(seconds)}.${String(Math.floor((seconds % 1) * 1e6)).padStart(6, "0")}`,
      });
      return { status: reply.status };
    },

    state() {
      const top = slack.messages.filter((m) => !m.thread_ts);
      return {
        repository: REPOSITORY,
        channel: { id: CHANNEL_ID, name: CHANNEL_NAME },
        people: PEOPLE.map(({ id, name, role }) => ({ id, name, role })),
        users: Object.fromEntries([...PEOPLE.map((p) => [p.id, p.name]), ["U0BOT", "deploy-gate"]]),
        groups: { [RELEASE_GROUP.id]: RELEASE_GROUP.handle },
        messages: top.map((m) => ({ ...m, replies: slack.messages.filter((r) => r.thread_ts === m.ts) })),
        ephemerals: slack.ephemerals,
        views: slack.views
          .filter((v) => !closedViews.has(v.id))
          .map((v) => ({ id: v.id, user: v.user, view: v.view })),
        runs: runs
          .map((run) => {
            const now = github.getRun(REPOSITORY, run.runId);
            return {
              ...run,
              status: now.status,
              conclusion: now.conclusion,
              waitingEnvironments: now.waitingEnvironments,
              reviews: github.reviews
                .filter((r) => r.runId === run.runId)
                .map((r) => ({ state: r.state, comment: r.comment })),
              checkRun: checkRunOf(run),
            };
          })
          .reverse(),
        policy,
        environments: ENVIRONMENTS,
        rules,
      };
    },

    async startDeployment(environment, requestedMode = "gate") {
      if (!(ENVIRONMENTS as readonly string[]).includes(environment)) {
        throw new SandboxError(`environment must be one of ${ENVIRONMENTS.join(", ")}`);
      }
      if (!(MODES as readonly string[]).includes(requestedMode)) {
        throw new SandboxError(`mode must be one of ${MODES.join(", ")}`);
      }
      const mode = requestedMode as SandboxMode;
      const runId = nextRunId++;
      const commitTitle = COMMIT_TITLES[(runId - 1001) % COMMIT_TITLES.length] as string;
      const sha = fakeSha(`sandbox:${runId}`);
      github.addCommit(REPOSITORY, {
        sha,
        message: `${commitTitle}\n\nSimulated commit.`,
        author: TRIGGERING_LOGIN,
      });
      github.addRun({
        repository: REPOSITORY,
        runId,
        headSha: sha,
        actor: TRIGGERING_LOGIN,
        workflowName: "Deploy webshop",
        // Only gate mode holds a job at the environment; in the others the approval job is running.
        waitingEnvironments: mode === "gate" ? [environment] : [],
      });
      const run: SimulatedRun = {
        runId,
        mode,
        environment,
        sha,
        commitTitle,
        startedAt: new Date().toISOString(),
      };
      runs.push(run);

      if (mode === "wait") {
        // The step posts, then holds its runner until the App's check run says what was decided.
        const step = startStep(stepContext(runId, sha), {
          ...postInputs(environment, mode),
          "app-id": String(deps.appId),
          "poll-interval": "2s",
          timeout: "30m",
        });
        run.holding = true;
        run.action = { code: "running", outputs: {}, log: "" };
        void step.finished.then((result) => {
          run.holding = false;
          run.action = { code: result.code, outputs: result.outputs, log: asRunnerShowsIt(result.log) };
        });
        for (let i = 0; i < 150 && run.holding && !step.log().includes("Waiting up to"); i += 1) {
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        if (run.holding) run.action = { code: "running", outputs: {}, log: asRunnerShowsIt(step.log()) };
        return { runId, mode, action: run.action };
      }
      if (mode === "dispatch") {
        const result = await runStep(stepContext(runId, sha), {
          ...postInputs(environment, mode),
          "dispatch-workflow": DISPATCH_WORKFLOW_PATH.split("/").at(-1) as string,
        });
        run.action = { code: result.code, outputs: result.outputs, log: asRunnerShowsIt(result.log) };
        return { runId, mode, action: run.action };
      }

      // The workflow's first job: the Action posts the request to Slack.
      const production = environment === "production";
      const action = await runActionStep(
        {
          repository: REPOSITORY,
          runId,
          sha,
          actor: TRIGGERING_LOGIN,
          workflow: "Deploy webshop",
          environment,
          channel: `#${CHANNEL_NAME}`,
          message: production
            ? "Weekly release: *checkout* and *pricing* changes. _Check the error dashboard before approving._"
            : "",
          mention: production ? RELEASE_GROUP.id : "",
          slackBotToken: BOT_TOKEN,
          slackApiUrl: fakes.slackUrl,
          githubToken: WORKFLOW_TOKEN,
          githubServerUrl: fakes.githubUrl,
          githubApiUrl: fakes.githubApiUrl,
          workDir: deps.workDir,
        },
        deps.root,
      );
      run.action = { code: action.code, outputs: action.outputs, log: asRunnerShowsIt(action.log) };
      // The runner turns the step's `::notice` lines into annotations on its job: where the Action says
      // it posted the request, which the App reads when GitHub reports the gate (common/announce.ts).
      announce(runId, action.log);
      // The deploy job reaches `environment: …`; GitHub holds it and asks the App.
      const gate = await github.sendDeploymentProtectionRule(REPOSITORY, runId, environment);
      run.gateStatus = gate.status;
      return { runId, mode, action: run.action, gateStatus: gate.status };
    },

    async click(ts, action, user) {
      const message = slack.messages.find((m) => m.ts === ts && !m.thread_ts);
      if (!message) throw new SandboxError(`no message ${ts} in #${CHANNEL_NAME}`, 404);
      const actionId =
        action === "approve" ? ACTION_IDS.approve : action === "reject" ? ACTION_IDS.reject : undefined;
      if (!actionId) throw new SandboxError("action must be approve or reject");
      const who = person(user);
      let payload: Record<string, unknown>;
      try {
        payload = blockActionsPayload({
          message,
          actionId,
          user: { id: who.id, username: who.user.name },
          triggerId: slack.issueTriggerId(who.id),
          channelName: CHANNEL_NAME,
        });
      } catch (error) {
        throw new SandboxError(`that button is gone: ${(error as Error).message}`, 409);
      }
      const response = await postSignedToSlackRoute(interactionsUrl, payload, signingSecret);
      return { status: response.status };
    },

    async submitModal(viewId, user, reason) {
      const record = slack.views.find((v) => v.id === viewId);
      if (!record || closedViews.has(viewId)) throw new SandboxError(`no open view ${viewId}`, 404);
      const who = person(user);
      if (reason === "") return { ok: false, errors: { [REJECT_REASON_BLOCK_ID]: REQUIRED_FIELD } };
      const view = { id: record.id, ...record.view } as OpenedView;
      const payload = viewSubmissionPayload({
        view,
        user: { id: who.id, username: who.user.name },
        values: {
          [REJECT_REASON_BLOCK_ID]: {
            [REJECT_REASON_ACTION_ID]: { type: "plain_text_input", value: reason },
          },
        },
      });
      const response = await postSignedToSlackRoute(interactionsUrl, payload, signingSecret);
      if (response.status !== 200) throw new SandboxError(`the App answered ${response.status}`, 502);
      if (response.body.trim()) {
        const answer = JSON.parse(response.body) as {
          response_action?: string;
          errors?: Record<string, string>;
        };
        if (answer.response_action === "errors") return { ok: false, errors: answer.errors ?? {} };
      }
      closedViews.add(viewId);
      return { ok: true };
    },

    closeModal(viewId) {
      closedViews.add(viewId);
    },

    savePolicy,
    resetPolicy: () => savePolicy(DEFAULT_POLICY),
    ready: async () => {
      const checked = await checkPolicy(policy);
      if (!checked.ok) throw new Error(`the sandbox's default policy is refused: ${checked.sentence}`);
      rules = checked.rules;
    },
  };
}

type PolicyCheck =
  | { ok: true; rules: SandboxState["rules"]; warnings: string[] }
  | { ok: false; sentence: string };

/** The App's policy loader (app/policy) run on `text` as if GitHub served it as the file. */
async function checkPolicy(text: string): Promise<PolicyCheck> {
  const [owner, repo] = REPOSITORY.split("/") as [string, string];
  const bytes = Buffer.from(text, "utf8");
  const file = {
    request: async () => ({
      data: { type: "file", size: bytes.length, encoding: "base64", content: bytes.toString("base64") },
    }),
  };
  const loaded = await readPolicy(file, owner, repo);
  if (!loaded.ok) {
    // The ephemeral a clicker would get, without Slack's escaping (the page shows plain text).
    const refusal: Refusal =
      loaded.kind === "missing"
        ? { kind: "policy_missing", repository: REPOSITORY }
        : loaded.kind === "invalid"
          ? { kind: "policy_invalid", message: loaded.message }
          : { kind: "policy_unreadable", message: loaded.message };
    return { ok: false, sentence: refusalForForm(refusal) };
  }
  const members = (group: string) =>
    group === RELEASE_GROUP.id ? PEOPLE.filter((p) => p.id !== "U0OLIVIA").map((p) => p.id) : [];
  const result: SandboxState["rules"] = {};
  for (const environment of ENVIRONMENTS) {
    const found = resolveEnvironment(loaded.policy, environment);
    if (!found) {
      result[environment] = null;
      continue;
    }
    const approvers = new Set([
      ...found.users,
      ...found.groups.flatMap(members),
      ...found.githubLogins.flatMap((login) => slackUsersForGithubLogin(loaded.policy, login)),
    ]);
    result[environment] = {
      requiredApprovals: found.requiredApprovals,
      approvers: PEOPLE.map((p) => p.id).filter((id) => approvers.has(id)),
      allowSelfApproval: found.allowSelfApproval,
    };
  }
  return { ok: true, rules: result, warnings: loaded.policy.warnings.map(formatProblem) };
}

/**
 * The step's log as GitHub shows it: the runner consumes `::add-mask::` and hides `::debug::` (unless
 * step debugging is on), and prints `::warning::` / `::error::` as annotations.
 */
export function asRunnerShowsIt(log: string): string {
  return log
    .split("\n")
    .filter((line) => !line.startsWith("::add-mask::") && !line.startsWith("::debug::"))
    .map((line) =>
      line.replace(
        /^::(warning|error|notice)[^:]*::/,
        (_, kind: string) => `${kind[0]?.toUpperCase()}${kind.slice(1)}: `,
      ),
    )
    .join("\n");
}
