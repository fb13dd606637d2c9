// The sandbox's cast and scene: one repository, a #deploys channel, four people, and a policy that
// shows each rule at work (two approvers for production, self-approval refused, an outsider refused).
import type { FakeUser } from "../testkit/fakes/slack.js";

export const REPOSITORY = "acme/webshop";
export const INSTALLATION_ID = 4242;
export const CHANNEL_ID = "C0DEPLOYS";
export const CHANNEL_NAME = "deploys";
export const POLICY_PATH = ".github/slack-deploy-gate.yml";
/** The token a workflow's GITHUB_TOKEN would be; it can read only the sandbox repository. */
export const WORKFLOW_TOKEN = "ghs_sandboxWorkflowToken0000000000";
export const BOT_TOKEN = "xoxb-sandbox-bot-token";
export const ENVIRONMENTS = ["production", "staging"] as const;
/** How a run waits for the decision (README "Which mode is for me"). */
export const MODES = ["gate", "wait", "dispatch"] as const;
export type SandboxMode = (typeof MODES)[number];
/** The workflow dispatch mode starts on approval; its first step verifies the approval. */
export const DISPATCH_WORKFLOW_PATH = ".github/workflows/deploy.yml";
export const DISPATCH_WORKFLOW = `name: Deploy webshop (dispatched)
run-name: Deploy \${{ inputs.environment }} (\${{ inputs.request-id }})
on:
  workflow_dispatch:
    inputs:
      request-id: { required: true, type: string }
      environment: { required: true, type: string }
      sha: { required: true, type: string }
      approved-by: { required: false, type: string }
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - uses: slack-deploy-gate/slack-deploy-gate@v1
        with: { mode: verify, environment: production, request-id: "\${{ inputs.request-id }}", app-id: "100001" }
      - run: ./deploy.sh
`;
/** The GitHub login that triggers every simulated run. */
export const TRIGGERING_LOGIN = "dana-dev";
export const RELEASE_GROUP = { id: "S0RELEASE", handle: "release-managers" };
/**
 * People on the fake GitHub, and a team of the repository's organization that the policy names for
 * staging: Olivia is in it, so once she links her GitHub account ("Link GitHub account") she may
 * approve staging although the policy never names her Slack account.
 */
export const GITHUB_ACCOUNTS = ["alice-gh", "bob-gh", TRIGGERING_LOGIN, "olivia-gh"];
export const GITHUB_TEAM = { org: "acme", slug: "webshop-deployers", members: ["alice-gh", "olivia-gh"] };

export interface Person {
  id: string;
  name: string;
  /** Shown in the "who is clicking" switch. */
  role: string;
  user: FakeUser;
}

export const PEOPLE: Person[] = [
  { id: "U0ALICE", name: "Alice", role: "approver", user: { name: "alice", realName: "Alice Archer" } },
  { id: "U0BOB", name: "Bob", role: "approver", user: { name: "bob", realName: "Bob Baker" } },
  {
    id: "U0DANA",
    name: "Dana",
    role: "approver, triggered the run",
    user: { name: "dana", realName: "Dana Developer" },
  },
  {
    id: "U0OLIVIA",
    name: "Olivia",
    role: "not an approver",
    user: { name: "olivia", realName: "Olivia Outsider" },
  },
];

export const DEFAULT_POLICY = `# Who may approve deployments of ${REPOSITORY} from Slack.
# Edit it, then press "Save policy": the App reads this
# file from the default branch, as in a real repository.
environments:
  production:
    approvers:
      groups: [${RELEASE_GROUP.id}]  # @${RELEASE_GROUP.handle}: Alice, Bob, Dana
    required-approvals: 2         # two different people
    allow-self-approval: false    # not whoever started the run
    expire-after: 24h
  staging:
    approvers:
      users: [U0ALICE, U0BOB, U0DANA]
      github-teams: [${GITHUB_TEAM.org}/${GITHUB_TEAM.slug}]  # and its members, once linked
    required-approvals: 1
github-users:                     # Slack user -> GitHub login
  U0ALICE: alice-gh
  U0BOB: bob-gh
  U0DANA: ${TRIGGERING_LOGIN}
`;

/** Commit titles the simulated runs deploy, in turn. */
export const COMMIT_TITLES = [
  "Speed up checkout by caching the cart total",
  "Fix rounding of prices in EUR",
  "Add <dark mode> & a contrast toggle to the store front",
  "Upgrade the payment SDK to v5",
];
