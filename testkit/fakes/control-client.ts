// A typed client for the control API of `testkit/fakes/serve.ts`, for tests that run the fakes as a
// separate process.
import type { Review } from "./github.js";
import type { NewRun, RunState } from "./github-state.js";
import type { Call, FailureKind, FakeEphemeral, FakeMessage, FakeView } from "./slack.js";

export interface SlackState {
  messages: FakeMessage[];
  ephemerals: FakeEphemeral[];
  views: FakeView[];
}

export interface WebhookResult {
  status: number;
  body: string;
}

export class ControlClient {
  constructor(readonly url: string) {}

  private async call<T>(method: "GET" | "POST" | "PUT", path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${this.url}${path}`, {
      method,
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`control ${method} ${path} → ${response.status}: ${text}`);
    return JSON.parse(text) as T;
  }

  slackState(): Promise<SlackState> {
    return this.call("GET", "/slack/state");
  }
  slackCalls(method?: string): Promise<Call[]> {
    return this.call("GET", `/slack/calls${method ? `?method=${encodeURIComponent(method)}` : ""}`);
  }
  async triggerId(user?: string): Promise<string> {
    return (await this.call<{ triggerId: string }>("POST", "/slack/trigger-ids", user ? { user } : {}))
      .triggerId;
  }
  async slackFailNext(method: string, kind: FailureKind, times?: number): Promise<void> {
    await this.call("POST", "/slack/fail-next", { method, kind, times });
  }
  /** 429 with Retry-After for `method` only, for `seconds` (or its next `times` calls). */
  async slackRateLimit(method: string, seconds: number, times?: number): Promise<void> {
    await this.call("POST", "/slack/rate-limit", { method, seconds, times });
  }
  async resetSlack(): Promise<void> {
    await this.call("POST", "/slack/reset", {});
  }

  async addInstallation(i: { id: number; account: string; repositories: string[] }): Promise<void> {
    await this.call("POST", "/github/installations", i);
  }
  async addRepository(r: {
    fullName: string;
    defaultBranch?: string;
    private?: boolean;
    files?: Record<string, string>;
  }): Promise<void> {
    await this.call("POST", "/github/repositories", r);
  }
  async setFile(repository: string, path: string, content: string | null, branch?: string): Promise<void> {
    await this.call("PUT", "/github/files", { repository, path, content, branch });
  }
  async addCommit(repository: string, c: { sha: string; message: string; author?: string }): Promise<void> {
    await this.call("POST", "/github/commits", { repository, ...c });
  }
  addRun(run: NewRun): Promise<RunState> {
    return this.call("POST", "/github/runs", run);
  }
  getRun(repository: string, runId: number): Promise<RunState> {
    return this.call("GET", `/github/runs?repository=${encodeURIComponent(repository)}&runId=${runId}`);
  }
  rerun(repository: string, runId: number): Promise<RunState> {
    return this.call("POST", "/github/runs/rerun", { repository, runId });
  }
  cancelRun(repository: string, runId: number): Promise<RunState> {
    return this.call("POST", "/github/runs/cancel", { repository, runId });
  }
  reviews(): Promise<Review[]> {
    return this.call("GET", "/github/reviews");
  }
  violations(): Promise<string[]> {
    return this.call("GET", "/github/violations");
  }
  async setWebhookUrl(url: string): Promise<void> {
    await this.call("POST", "/github/webhook-url", { url });
  }
  sendDeploymentProtectionRule(
    repository: string,
    runId: number,
    environment: string,
  ): Promise<WebhookResult> {
    return this.call("POST", "/github/webhooks/deployment-protection-rule", {
      repository,
      runId,
      environment,
    });
  }
  sendPush(repository: string, files: string[]): Promise<WebhookResult> {
    return this.call("POST", "/github/webhooks/push", { repository, files });
  }
  sendWebhook(event: string, payload: object): Promise<WebhookResult> {
    return this.call("POST", "/github/webhooks", { event, payload });
  }
  async githubFailNext(
    match: { method?: string; path: string },
    status: number,
    times?: number,
  ): Promise<void> {
    await this.call("POST", "/github/fail-next", { ...match, status, times });
  }
}
