/**
 * Processes for the benchmark: start, wait for the port, sample CPU and RSS from /proc, stop by PID.
 * Every process the suite starts goes through `startProcess` and is stopped with `stop()` (SIGTERM,
 * then SIGKILL after 5 s); `stopAll()` is the safety net on exit or Ctrl-C.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { accessSync, constants, createWriteStream, readdirSync, readFileSync } from 'node:fs';
import { createConnection } from 'node:net';

export interface Proc {
  readonly name: string;
  readonly pid: number;
  readonly child: ChildProcess;
  exited: boolean;
  stop(): Promise<void>;
}

const running = new Set<Proc>();

export function startProcess(name: string, command: string, args: string[], options: { cwd?: string; env?: Record<string, string>; log: string }): Proc {
  const out = createWriteStream(options.log, { flags: 'a' });
  const child = spawn(command, args, { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.pipe(out);
  child.stderr!.pipe(out);
  if (child.pid === undefined) throw new Error(`${name}: could not start ${command}`);
  const proc: Proc = {
    name,
    pid: child.pid,
    child,
    exited: false,
    async stop() {
      running.delete(proc);
      if (proc.exited) return;
      const gone = new Promise<void>((r) => child.once('exit', () => r()));
      try {
        process.kill(proc.pid, 'SIGTERM');
      } catch {
        return;
      }
      const timer = setTimeout(() => {
        try {
          process.kill(proc.pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }, 5_000);
      await gone;
      clearTimeout(timer);
    },
  };
  child.once('exit', () => {
    proc.exited = true;
  });
  running.add(proc);
  return proc;
}

export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((p) => p.stop()));
}

/** True when something accepts TCP connections on 127.0.0.1:port. */
export function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Waits until `url` answers any HTTP status (or the process dies, or `timeoutMs` passes). */
export async function waitHttp(url: string, timeoutMs: number, procs: readonly Proc[] = []): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const dead = procs.find((p) => p.exited);
    if (dead) throw new Error(`${dead.name} exited before ${url} answered`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      await res.arrayBuffer();
      return;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms (${last})`);
}

// ---------------------------------------------------------------------------------------------
// /proc sampling

const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

/** The given pids and all their descendants (cluster workers, nginx workers, authorizer services). */
export function processTree(roots: readonly number[]): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readStat(Number(name));
    if (!stat) continue;
    const list = children.get(stat.ppid) ?? [];
    list.push(Number(name));
    children.set(stat.ppid, list);
  }
  const out: number[] = [];
  const queue = [...roots];
  while (queue.length) {
    const pid = queue.shift()!;
    out.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return out;
}

function readStat(pid: number): { ppid: number; cpuTicks: number } | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // Fields after the `(comm)`; comm may contain spaces, so split after the last ')'.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // rest[0] = state (field 3), ppid = field 4, utime = field 14, stime = field 15.
  return { ppid: Number(rest[1]), cpuTicks: Number(rest[11]) + Number(rest[12]) };
}

/** utime+stime of the tree, in microseconds. */
export function cpuMicros(roots: readonly number[]): number {
  let ticks = 0;
  for (const pid of processTree(roots)) ticks += readStat(pid)?.cpuTicks ?? 0;
  return (ticks * 1e6) / CLK_TCK;
}

/** Sum of the tree's peak resident set sizes (VmHWM), in MB. */
export function peakRssMb(roots: readonly number[]): number {
  let kb = 0;
  for (const pid of processTree(roots)) {
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (m) kb += Number(m[1]);
    } catch {
      /* exited */
    }
  }
  return kb / 1024;
}

/** `which`, without spawning a shell. */
export function which(cmd: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/sbin'])) {
    try {
      accessSync(`${dir}/${cmd}`, constants.X_OK);
      return `${dir}/${cmd}`;
    } catch {
      /* not here */
    }
  }
  return null;
}
