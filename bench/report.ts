// The printed tables: each figure with its floor, the ratio, and the target beside it.
import type { ActionFigures } from "./action.js";
import type { ClickToGitHub, ForgedFigure, ForgedFloorFigure, LoadStep } from "./app-figures.js";
import type { HugeFloodFigure, SlowFloodFigure } from "./attack-figures.js";
import type { Machine } from "./lib/machine.js";
import type { PolicyFigure, PolicyLoadFigure } from "./policy-figure.js";

interface BackendResults {
  load: LoadStep[];
  ackP99RatioAt200?: number;
  p99Passes100ms: { atRate: number | null; lastRateBelow: number | null; note?: string };
  clickToGitHub?: ClickToGitHub;
  clickToGitHubFloor?: ClickToGitHub;
  clickToGitHubRatioToFloorP50?: number;
  /** The click as the App's first contact with the request (no announcement to adopt at the gate). */
  clickToGitHubFirstContact?: ClickToGitHub;
  clickToGitHubFirstContactFloor?: ClickToGitHub;
  clickToGitHubFirstContactRatioToFloorP50?: number;
  throttledBurstMs?: number[];
  forged: ForgedFigure;
  forgedFloor: ForgedFloorFigure;
  forgedRatioToFloor: number;
  memory: {
    afterStartMiB: number;
    idleMiB: number;
    underLoadP50MiB: number;
    underLoadMaxMiB: number;
    heaviestRate?: number;
    floodRate: number;
    underFloodMaxMiB: number;
    idleAfterLoadMiB: number;
  };
  storage: {
    pastRequests: number;
    fillSeconds: number;
    empty?: ClickToGitHub;
    full?: ClickToGitHub;
    ratioP50?: number;
    ratioP99?: number;
  };
}

export interface BenchResults {
  machine: Machine;
  quick: boolean;
  action: ActionFigures;
  floor: LoadStep[];
  backends: Record<string, BackendResults>;
  attacks: { afterStartMiB: number; slow: SlowFloodFigure[]; huge: HugeFloodFigure[] };
  policy: PolicyFigure;
  totalSeconds: number;
}

function table(title: string, header: string[], rows: (string | number | undefined)[][]): string {
  const cells = [header, ...rows.map((r) => r.map((c) => (c === undefined ? "–" : String(c))))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i] ?? 0)).join(" | ")} |`;
  return [
    `\n${title}`,
    line(cells[0] as string[]),
    `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`,
    ...cells.slice(1).map(line),
  ].join("\n");
}

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(2)} MiB`;
const verdict = (ok: boolean | undefined) => (ok === undefined ? "" : ok ? "meets" : "MISSES");

export function printResults(input: Record<string, unknown>): string {
  const r = input as unknown as BenchResults;
  const m = r.machine;
  const out: string[] = [
    `\nslack-deploy-gate bench${r.quick ? " (QUICK: smoke test, not figures to quote)" : ""}: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}, ${m.date}`,
  ];
  const a = r.action;
  out.push(
    table(
      `1. The Action, ${a.runs} runs each (ms, MiB)`,
      ["measure", "action p50", "action p99", "floor p50", "floor p99", "ratio p50", "target"],
      [
        [
          "spawn → request posted",
          a.action.toPostedMs.p50,
          a.action.toPostedMs.p99,
          a.floor.toPostedMs.p50,
          a.floor.toPostedMs.p99,
          a.ratio.toPostedP50,
          `≤ 1.5× ${verdict(a.ratio.toPostedP50 <= 1.5)}`,
        ],
        [
          "spawn → exit",
          a.action.toExitMs.p50.toFixed(1),
          a.action.toExitMs.p99.toFixed(1),
          a.floor.toExitMs.p50.toFixed(1),
          a.floor.toExitMs.p99.toFixed(1),
          a.ratio.toExitP50,
          `≤ 1.5× ${verdict(a.ratio.toExitP50 <= 1.5)}`,
        ],
        [
          "peak RSS",
          a.action.peakRssMiB.p50,
          a.action.peakRssMiB.p99,
          a.floor.peakRssMiB.p50,
          a.floor.peakRssMiB.p99,
          a.ratio.peakRssP50,
          "",
        ],
        [
          "dist/ size",
          `${mib(a.dist.bytes)} (${mib(a.dist.gzipBytes)} gz)`,
          "",
          "",
          "",
          "",
          `< 1.5 MB ${verdict(a.dist.bytes < 1.5e6)}`,
        ],
      ],
    ),
  );

  const floorRows = r.floor.map((s) => [
    "floor",
    s.rate,
    s.p50,
    s.p99,
    s.max,
    s.errors,
    s.achievedRate,
    "",
    "",
    s.fakesElu,
  ]);
  const appRows = Object.entries(r.backends).flatMap(([name, b]) =>
    b.load.map((s) => [
      name,
      s.rate,
      s.p50,
      s.p99,
      s.max,
      s.errors,
      s.achievedRate,
      `${s.workDone}/${s.ok}`,
      s.drainMs,
      s.fakesElu,
    ]),
  );
  out.push(
    table(
      "2. Acknowledgement of signed block_actions at fixed rates (ms from the scheduled send)",
      ["server", "req/s", "p50", "p99", "max", "errors", "done/s", "votes/acks", "drain ms", "fakes ELU"],
      [...floorRows, ...appRows],
    ),
  );
  out.push(
    table(
      "2. Targets",
      ["backend", "p99 ÷ floor p99 at 200/s", "target", "p99 passes 100 ms at"],
      Object.entries(r.backends).map(([name, b]) => [
        name,
        b.ackP99RatioAt200,
        `≤ 2× ${verdict(b.ackP99RatioAt200 !== undefined ? b.ackP99RatioAt200 <= 2 : undefined)}`,
        b.p99Passes100ms.atRate
          ? `${b.p99Passes100ms.atRate}/s (below at ${b.p99Passes100ms.lastRateBelow ?? "none"})`
          : `not passed up to ${b.p99Passes100ms.lastRateBelow}/s`,
      ]),
    ),
  );
  out.push(
    table(
      "3. Click → review at GitHub, samples spaced past the App's 50 ms write spacing (ms); floor: a bare server making the same two calls (run read, review POST). First contact at the gate: the request announced and adopted before the click (the usual flow); at the click: the click makes it",
      [
        "backend",
        "first contact",
        "p50",
        "p99",
        "ack p50",
        "floor p50",
        "floor p99",
        "p50 ÷ floor p50",
        "target",
        "5 at once (ms)",
      ],
      Object.entries(r.backends).flatMap(([name, b]) =>
        (
          [
            ["gate", b.clickToGitHub, b.clickToGitHubFloor, b.clickToGitHubRatioToFloorP50],
            [
              "click",
              b.clickToGitHubFirstContact,
              b.clickToGitHubFirstContactFloor,
              b.clickToGitHubFirstContactRatioToFloorP50,
            ],
          ] as const
        )
          .filter(([, app]) => app !== undefined)
          .map(([where, app, floor, ratio], i) => [
            name,
            where,
            app?.toReviewMs.p50,
            app?.toReviewMs.p99,
            app?.ackMs.p50,
            floor?.toReviewMs.p50,
            floor?.toReviewMs.p99,
            ratio,
            `≤ 1.5× ${verdict(ratio !== undefined ? ratio <= 1.5 : undefined)}`,
            i === 0 ? b.throttledBurstMs?.join(", ") : "",
          ]),
      ),
    ),
  );
  out.push(
    table(
      "4. Forged requests (valid clicks, wrong signature), App pinned to one core",
      [
        "backend",
        "rejected/s",
        "floor req/s",
        "÷ floor",
        "target",
        "non-401",
        "p50 ms",
        "App CPU (cores)",
        "Slack calls",
        "GitHub reqs",
        "DB rows (req/votes/gates)",
        "no work",
      ],
      Object.entries(r.backends).map(([name, b]) => {
        const f = b.forged;
        return [
          name,
          f.rejectedPerSecond,
          b.forgedFloor.answeredPerSecond,
          b.forgedRatioToFloor,
          `≥ 0.5 ${verdict(Number.isFinite(b.forgedRatioToFloor) ? b.forgedRatioToFloor >= 0.5 : undefined)}`,
          f.otherAnswers,
          f.latencyMs.p50,
          f.appCpuCores,
          `${f.before.slackCalls}→${f.after.slackCalls}`,
          `${f.before.githubRequests}→${f.after.githubRequests}`,
          `${f.before.requests}/${f.before.votes}/${f.before.gates}→${f.after.requests}/${f.after.votes}/${f.after.gates}`,
          f.unchanged ? "yes" : "NO",
        ];
      }),
    ),
  );
  out.push(
    table(
      "5. The App's RSS (MiB, VmRSS sampled every 250 ms); what holds it: bench/heap.ts",
      [
        "backend",
        "after start",
        "idle",
        "figure 2 steps p50",
        "max",
        "up to (req/s)",
        "flood max",
        "idle after",
        "target (flood)",
      ],
      Object.entries(r.backends).map(([name, b]) => [
        name,
        b.memory.afterStartMiB,
        b.memory.idleMiB,
        b.memory.underLoadP50MiB,
        b.memory.underLoadMaxMiB,
        b.memory.heaviestRate,
        `${b.memory.underFloodMaxMiB} at ${b.memory.floodRate}/s`,
        b.memory.idleAfterLoadMiB,
        `≤ 150 MiB ${verdict(b.memory.underFloodMaxMiB <= 150)}`,
      ]),
    ),
  );
  out.push(
    table(
      "6. Storage scale: click → review with past requests vs. an empty database (ms)",
      [
        "backend",
        "past requests",
        "empty p50",
        "empty p99",
        "full p50",
        "full p99",
        "ratio p50",
        "ratio p99",
        "target",
      ],
      Object.entries(r.backends).map(([name, b]) => [
        name,
        b.storage.pastRequests,
        b.storage.empty?.toReviewMs.p50,
        b.storage.empty?.toReviewMs.p99,
        b.storage.full?.toReviewMs.p50,
        b.storage.full?.toReviewMs.p99,
        b.storage.ratioP50,
        b.storage.ratioP99,
        `< 1.2 ${verdict(b.storage.ratioP50 !== undefined ? b.storage.ratioP50 < 1.2 : undefined)}`,
      ]),
    ),
  );
  const p = r.policy;
  const policyRow = (label: string, f: PolicyLoadFigure) => [
    label,
    `${(f.bytes / 1024).toFixed(1)} KiB`,
    f.environments,
    f.idsChecked,
    f.loadMs.p50,
    f.loadMs.max,
    f.maxEventLoopDelayMs.p50,
    f.maxEventLoopDelayMs.max,
  ];
  out.push(
    table(
      `7. Loading a policy as the App does (read from GitHub, parse, validate), ${p.runs} loads each (ms)`,
      [
        "policy",
        "size",
        "environments",
        "IDs checked",
        "load p50",
        "load max",
        "loop delay max p50",
        "loop delay max max",
      ],
      [policyRow("largest legal", p.largest), policyRow("everyday (the bench's)", p.everyday)],
    ),
  );

  const attacks = r.attacks;
  const floodRow = (kind: string, f: SlowFloodFigure | HugeFloodFigure, what: string) => [
    kind,
    f.route,
    f.beforeMiB,
    `${f.peakMiB}${f.killedAtSafetyCap ? " (killed at the safety cap)" : ""}`,
    f.afterMiB,
    `${f.health.answered}/${f.health.asked}, max ${f.health.maxMs} ms`,
    what,
    `≤ ${f.limitMiB} MiB: ${f.bounded ? "bounded" : "NOT BOUNDED"}`,
  ];
  out.push(
    table(
      `8. The App's RSS under unauthenticated floods (MiB; peak = kernel high-water mark), fresh App at ${attacks.afterStartMiB} MiB`,
      ["flood", "route", "before", "peak", "2 s after", "/healthz answered", "what the App did", "verdict"],
      [
        ...attacks.slow.map((f) =>
          floodRow(
            `${f.traffic.connections} slow bodies`,
            f,
            `ended ${f.traffic.endedByApp} of ${f.traffic.opened} (p50 after ${f.traffic.endedAfterP50Ms} ms); answers ${JSON.stringify(f.traffic.statuses)}`,
          ),
        ),
        ...attacks.huge.map((f) =>
          floodRow(
            "500 MiB chunked",
            f,
            `${f.traffic.ended}${f.traffic.status ? ` ${f.traffic.status}` : ""} after ${(f.traffic.bytesSent / 1024 / 1024).toFixed(0)} MiB, ${f.traffic.ms} ms`,
          ),
        ),
      ],
    ),
  );
  out.push(`\ntotal ${r.totalSeconds} s\n`);
  return out.join("\n");
}
