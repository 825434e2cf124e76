/**
 * @module io/cluster — `server.workers > 1`: several gateway processes sharing one listener. [io]
 *
 * The primary forks `workers` copies of the same command (node:cluster); each worker runs the whole
 * gateway (its own compiled config, verified-token and decision caches, Lambda worker threads, upstream
 * pools) and listens on the same address — node:cluster hands accepted connections to the workers in
 * turn. The core, when configured, runs once, in the primary; workers reach it by URL. The primary
 * serves no requests itself.
 *
 *   primary ─► start core (optional) ─► fork N ─► wait for N `ready` ─► print the listening line
 *   SIGTERM/SIGINT on the primary ─► SIGTERM to every worker (each drains like a single process)
 *                                 ─► all exited ─► close the core ─► exit 0 (1 if a worker failed)
 *   SIGHUP / SIGUSR2 on the primary ─► forwarded to every worker (reload, reopen logs)
 *   a worker dies unexpectedly ─► forked again (at most 5 times a minute, then the primary stops)
 *   a worker fails before it is ready (port in use, bad config) ─► the others are stopped, its
 *     exit code is the primary's
 */
import cluster, { type Worker } from 'node:cluster';

/** Environment a worker finds the core's URL in (the core runs in the primary). */
export const CORE_URL_ENV = 'PORTCULLIS_CORE_URL';
const READY = 'portcullis:ready';
const RESTARTS_PER_MINUTE = 5;

export function isClusterWorker(): boolean {
  return cluster.isWorker;
}

/** True when this process should become the primary of `workers` gateway processes. */
export function shouldRunPrimary(workers: number): boolean {
  return workers > 1 && cluster.isPrimary;
}

/** Worker side: tell the primary this worker is listening. */
export function notifyReady(url: string): void {
  process.send?.({ type: READY, url });
}

/** Worker side, after its gateway has closed: leave the cluster so the process can exit. */
export function leaveCluster(): void {
  if (cluster.isWorker && process.connected) cluster.worker?.disconnect();
}

export interface PrimaryOptions {
  workers: number;
  /** How long workers get to drain on SIGTERM before they are killed (plus a margin). */
  shutdownTimeoutMs: number;
  /** Starts the core in the primary, when configured. */
  startCore?: (() => Promise<{ url: string; close(): Promise<void> }>) | null;
  write?: (line: string) => void;
}

/** Runs the primary until shutdown; resolves with the exit code. */
export async function runClusterPrimary(options: PrimaryOptions): Promise<number> {
  const write = options.write ?? ((line: string) => process.stdout.write(line + '\n'));
  let core: { url: string; close(): Promise<void> } | null = null;
  if (options.startCore) {
    try {
      core = await options.startCore();
    } catch (err) {
      process.stderr.write(`portcullis: ${(err as Error).message}\n`);
      return 1;
    }
  }
  // Same script, same arguments, same node flags: each worker runs `portcullis start` as one process.
  cluster.setupPrimary({ exec: process.argv[1], args: process.argv.slice(2), silent: false });
  const env = core ? { [CORE_URL_ENV]: core.url } : {};
  const live = new Set<Worker>();
  const ready = new Set<Worker>();
  const restarts: number[] = [];
  let stopping = false;
  let startupDone = false;

  return new Promise<number>((resolveExit) => {
    let exitCode = 0;
    let finishing = false;
    const finish = async () => {
      if (finishing) return;
      finishing = true;
      await core?.close().catch(() => undefined);
      for (const s of ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGUSR2'] as const) process.removeListener(s, onSignal);
      resolveExit(exitCode);
    };
    const stopAll = (reason: string) => {
      if (stopping) return;
      stopping = true;
      if (reason) write(`portcullis: ${reason}, draining ${live.size} worker${live.size === 1 ? '' : 's'}`);
      for (const w of live) w.process.kill('SIGTERM');
      const killer = setTimeout(() => {
        for (const w of live) w.process.kill('SIGKILL');
      }, options.shutdownTimeoutMs + 5_000);
      killer.unref();
      if (live.size === 0) void finish();
    };
    const fork = () => {
      const w = cluster.fork(env);
      live.add(w);
      w.on('message', (msg: { type?: string; url?: string }) => {
        if (msg?.type !== READY) return;
        ready.add(w);
        if (!startupDone && ready.size === options.workers) {
          startupDone = true;
          write(`portcullis gateway listening on ${msg.url} (${options.workers} workers: ${[...ready].map((x) => x.process.pid).join(', ')})`);
        }
      });
      w.on('exit', (code, signal) => {
        live.delete(w);
        ready.delete(w);
        const clean = code === 0 && signal === null;
        if (stopping) {
          if (!clean) exitCode = 1;
          if (live.size === 0) void finish();
          return;
        }
        if (!startupDone) {
          // Port in use, bad handler path, …: the worker already printed why.
          exitCode = code ?? 1;
          stopAll('');
          return;
        }
        const now = Date.now();
        restarts.push(now);
        while (restarts.length && restarts[0]! < now - 60_000) restarts.shift();
        if (restarts.length > RESTARTS_PER_MINUTE) {
          process.stderr.write(`portcullis: workers keep dying (${restarts.length} in a minute); stopping\n`);
          exitCode = 1;
          stopAll('giving up');
          return;
        }
        process.stderr.write(`portcullis: worker ${w.process.pid} exited (${signal ?? `code ${code}`}); starting another\n`);
        fork();
      });
    };
    const onSignal = (signal: NodeJS.Signals) => {
      if (signal === 'SIGHUP' || signal === 'SIGUSR2') {
        for (const w of live) w.process.kill(signal);
        return;
      }
      stopAll(signal);
    };
    for (const s of ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGUSR2'] as const) process.on(s, onSignal);
    for (let i = 0; i < options.workers; i++) fork();
  });
}
