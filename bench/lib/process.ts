// Child processes for the bench: output goes straight to a log file (no piping through this process,
// whose event loop hosts the fakes), memory is read from /proc, and every child is stopped at exit.
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, openSync, readFileSync, writeFileSync } from "node:fs";

export interface BenchChild {
  name: string;
  pid: number;
  process: ChildProcess;
  logPath: string;
  exited: Promise<number | string>;
  stop(): Promise<void>;
  /** The log's last lines, for error messages. */
  tail(lines?: number): string;
}

const running = new Set<BenchChild>();

export function spawnLogged(options: {
  name: string;
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  cwd: string;
  logPath: string;
}): BenchChild {
  const fd = openSync(options.logPath, "a");
  const child = spawn(options.command, options.args, {
    cwd: options.cwd,
    env: options.env,
    stdio: ["ignore", fd, fd],
  });
  closeSync(fd);
  if (child.pid === undefined) throw new Error(`could not start ${options.name}`);
  let ended = false;
  const exited = new Promise<number | string>((resolve) => {
    child.once("exit", (code, signal) => {
      ended = true;
      resolve(code ?? signal ?? "unknown");
    });
    child.once("error", () => {
      ended = true;
      resolve("spawn-error");
    });
  });
  const handle: BenchChild = {
    name: options.name,
    pid: child.pid,
    process: child,
    logPath: options.logPath,
    exited,
    async stop() {
      running.delete(handle);
      if (ended) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => {
        if (!ended) child.kill("SIGKILL");
      }, 5000);
      await exited;
      clearTimeout(timer);
    },
    tail(lines = 20) {
      try {
        return readFileSync(options.logPath, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
      } catch {
        return "";
      }
    },
  };
  running.add(handle);
  return handle;
}

export async function stopAllChildren(): Promise<void> {
  await Promise.allSettled([...running].map((c) => c.stop()));
}

/** Resident set size of a live process, in MiB, from /proc/<pid>/status (VmRSS). */
export function rssMiB(pid: number): number | undefined {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Starts a fresh peak: the kernel's high-water mark of a process's resident set (VmHWM) is reset to
 * its current RSS (`5` to /proc/<pid>/clear_refs, Linux 4.0+). False when the kernel refused.
 */
export function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, "5");
    return true;
  } catch {
    return false;
  }
}

/** The highest RSS since start or since resetPeakRss, in MiB (VmHWM): exact, unlike sampling. */
export function peakRssMiB(pid: number): number | undefined {
  try {
    const match = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** CPU time (user + system) a process has used so far, in seconds, from /proc/<pid>/stat. */
export function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may hold spaces) start at ") ".
    const fields = stat.slice(stat.lastIndexOf(") ") + 2).split(" ");
    const ticks = Number(fields[11]) + Number(fields[12]);
    return ticks / 100;
  } catch {
    return undefined;
  }
}

/** Samples a process's RSS every `intervalMs` until stopped. */
export function sampleRss(pid: number, intervalMs = 250): { stop(): number[] } {
  const samples: number[] = [];
  const take = () => {
    const value = rssMiB(pid);
    if (value !== undefined) samples.push(value);
  };
  take();
  const timer = setInterval(take, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      take();
      return samples;
    },
  };
}

/** Resolves once `url` answers 200, or throws after `timeoutMs` (early if the child exits). */
export async function waitHealthy(url: string, child: BenchChild, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let gone = false;
  void child.exited.then(() => {
    gone = true;
  });
  while (Date.now() < deadline) {
    if (gone) throw new Error(`${child.name} exited during start-up:\n${child.tail()}`);
    try {
      const response = await fetch(url);
      await response.arrayBuffer();
      if (response.status === 200) return;
    } catch {
      // Not listening yet.
    }
    await sleep(100);
  }
  throw new Error(`${child.name} did not answer ${url} within ${timeoutMs} ms:\n${child.tail()}`);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
