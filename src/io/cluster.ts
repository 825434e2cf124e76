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
 *   a worker fails before it is ready (port in use, bad config) ─► it hands its one-line reason to
 *     the primary instead of printing it; the primary prints the first reason once (every worker
 *     meets the same port in use), stops the others, and exits with that worker's code
 *   admin listener (when configured) ─► served by the primary: `/metrics` merges every worker's
 *     exposition (counters and histograms summed), `/readyz` is ready when every worker is
 */
import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import { createAdminServer, type AdminServer, type ReadinessCheck } from './admin.ts';
import type { Logger } from './logger.ts';
import { mergeExpositions, type Metrics } from './metrics.ts';
import { createConsoleHandler, type AuthorizerHealth, type ConsoleSource } from './console.ts';
import type { DecisionBatch, DecisionLog } from './decision-log.ts';

/** Environment a worker finds the core's URL in (the core runs in the primary). */
export const CORE_URL_ENV = 'PORTCULLIS_CORE_URL';
const READY = 'portcullis:ready';
const STARTUP_FAILED = 'portcullis:startup-failed';
const ADMIN_QUERY = 'portcullis:admin-query';
const ADMIN_ANSWER = 'portcullis:admin-answer';
const DECISIONS = 'portcullis:decisions';
const RESTARTS_PER_MINUTE = 5;
/** How long the primary waits for a worker's metrics or readiness before leaving it out. */
const ADMIN_QUERY_TIMEOUT_MS = 1500;

/** `server.workers` as a count: `auto` is one per core. */
export function resolveWorkers(workers: number | 'auto'): number {
  return workers === 'auto' ? Math.max(1, availableParallelism()) : workers;
}

type AdminQuery = { type: typeof ADMIN_QUERY; id: number; what: 'metrics' | 'readiness' | 'health' };
type AdminAnswer = { type: typeof ADMIN_ANSWER; id: number; body: string | ReadinessCheck[] | AuthorizerHealth[] };
type DecisionsMessage = { type: typeof DECISIONS; batch: DecisionBatch };

/**
 * Worker side: answer the primary's admin queries from this worker's own registry and checks
 * (the primary serves the admin listener for the whole cluster). Returns a function that stops.
 */
export function answerAdminQueries(source: { metrics: Metrics; readiness(): Promise<ReadinessCheck[]>; authorizerHealth?(): AuthorizerHealth[]; decisions?: DecisionLog }): () => void {
  // The console lives in the primary: this worker's decisions go there in its (capped) batches.
  const stopForwarding = source.decisions?.subscribe((batch) => {
    if (process.connected) process.send?.({ type: DECISIONS, batch } satisfies DecisionsMessage);
  });
  const onMessage = (msg: AdminQuery) => {
    if (msg?.type !== ADMIN_QUERY) return;
    const reply = (body: AdminAnswer['body']) => {
      if (process.connected) process.send?.({ type: ADMIN_ANSWER, id: msg.id, body } satisfies AdminAnswer);
    };
    if (msg.what === 'metrics') reply(source.metrics.render());
    else if (msg.what === 'health') reply((source.authorizerHealth?.() ?? []).map((h) => ({ ...h, worker: process.pid })));
    else
      source.readiness().then(reply, (err: unknown) =>
        reply([{ name: 'readiness', ready: false, detail: `the readiness check failed: ${err instanceof Error ? err.message : String(err)}` }]),
      );
  };
  process.on('message', onMessage);
  return () => {
    stopForwarding?.();
    process.off('message', onMessage);
  };
}

export function isClusterWorker(): boolean {
  return cluster.isWorker;
}

/** This worker's cluster id (1, 2, …; a replacement gets a new one), or `null` outside a cluster. */
export function clusterWorkerId(): number | null {
  return cluster.worker?.id ?? null;
}

/** True when this process should become the primary of `workers` gateway processes. */
export function shouldRunPrimary(workers: number): boolean {
  return workers > 1 && cluster.isPrimary;
}

/** Worker side: tell the primary this worker is listening. */
export function notifyReady(url: string): void {
  process.send?.({ type: READY, url });
}

type StartupFailure = { type: typeof STARTUP_FAILED; line: string; exitCode: number };

/**
 * Worker side, before it is ready: hands a start-up failure's one-line reason to the primary, which
 * prints it once for the whole cluster. Resolves `true` once the primary has it; `false` when this
 * process is not a cluster worker (or the channel is gone), and the caller prints the line itself.
 */
export function reportStartupFailure(line: string, exitCode: number): Promise<boolean> {
  if (!cluster.isWorker || !process.connected || !process.send) return Promise.resolve(false);
  return new Promise((resolveSent) => {
    process.send!({ type: STARTUP_FAILED, line, exitCode } satisfies StartupFailure, undefined, undefined, (err) => resolveSent(!err));
  });
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
  /** The admin listener for the whole cluster (`admin:` section), served by the primary. */
  admin?: {
    host: string;
    port: number;
    metrics: Metrics;
    logger: Logger;
    /** The console for the whole cluster: the workers' decisions arrive in `decisions`. */
    console?: { decisions: DecisionLog; token: string | null; devTokens: boolean; mint?: ConsoleSource['mint'] } | null;
  } | null;
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
  let startupFailure: StartupFailure | null = null;
  let admin: AdminServer | null = null;
  let nextQueryId = 1;
  const pending = new Map<number, (body: AdminAnswer['body']) => void>();
  /** Asks every ready worker; a worker that does not answer in time is left out (`null`). */
  const askWorkers = <T extends AdminAnswer['body']>(what: AdminQuery['what']) =>
    Promise.all(
      [...ready].map(
        (w) =>
          new Promise<{ pid: number | undefined; body: T | null }>((resolveAnswer) => {
            const id = nextQueryId++;
            const timer = setTimeout(() => {
              pending.delete(id);
              resolveAnswer({ pid: w.process.pid, body: null });
            }, ADMIN_QUERY_TIMEOUT_MS);
            pending.set(id, (body) => {
              clearTimeout(timer);
              pending.delete(id);
              resolveAnswer({ pid: w.process.pid, body: body as T });
            });
            try {
              w.send({ type: ADMIN_QUERY, id, what } satisfies AdminQuery);
            } catch {
              pending.get(id)?.(null as unknown as T);
            }
          }),
      ),
    );
  const startAdmin = async (cfg: NonNullable<PrimaryOptions['admin']>) => {
    const c = cfg.console;
    admin = createAdminServer({
      logger: cfg.logger,
      console: c
        ? createConsoleHandler({
            decisions: c.decisions,
            token: c.token,
            devTokens: c.devTokens,
            ...(c.mint ? { mint: c.mint } : {}),
            health: async () => (await askWorkers<AuthorizerHealth[]>('health')).flatMap((a) => a.body ?? []),
          })
        : null,
      metrics: {
        render: async () => {
          const answers = await askWorkers<string>('metrics');
          const own = cfg.metrics.render();
          const workersGauge = `# HELP portcullis_workers Gateway worker processes, by state (live: running; answered: included in this scrape).\n# TYPE portcullis_workers gauge\nportcullis_workers{state="live"} ${live.size}\nportcullis_workers{state="answered"} ${answers.filter((a) => a.body !== null).length}\n`;
          return mergeExpositions([own, ...answers.flatMap((a) => (a.body === null ? [] : [a.body])), workersGauge]);
        },
      },
      readiness: async () => {
        const answers = await askWorkers<ReadinessCheck[]>('readiness');
        const checks: ReadinessCheck[] = [
          { name: 'workers', ready: !stopping && ready.size === options.workers, detail: stopping ? 'shutting down' : `${ready.size} of ${options.workers} workers ready` },
        ];
        for (const a of answers) {
          if (a.body === null) checks.push({ name: `worker ${a.pid}`, ready: false, detail: `no answer within ${ADMIN_QUERY_TIMEOUT_MS} ms` });
          else for (const c of a.body) checks.push({ ...c, name: `worker ${a.pid}: ${c.name}` });
        }
        return checks;
      },
    });
    try {
      const port = await admin.listen(cfg.port, cfg.host);
      write(`portcullis admin (/metrics, /healthz, /readyz) on http://${cfg.host.includes(':') ? `[${cfg.host}]` : cfg.host}:${port}`);
    } catch (err) {
      process.stderr.write(`portcullis: ${(err as Error).message}\n`);
      exitCode = 1;
      stopAll('');
    }
  };

  let exitCode = 0;
  let stopAll: (reason: string) => void = () => undefined;
  return new Promise<number>((resolveExit) => {
    let finishing = false;
    const finish = async () => {
      if (finishing) return;
      finishing = true;
      await admin?.close().catch(() => undefined);
      await options.admin?.console?.decisions.close().catch(() => undefined);
      await core?.close().catch(() => undefined);
      for (const s of ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGUSR2'] as const) process.removeListener(s, onSignal);
      resolveExit(exitCode);
    };
    stopAll = (reason: string) => {
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
      // A message to a worker that has just exited fails with EPIPE (node's cluster module answers a worker's
      // listen from the primary: with the port in use and the worker already gone, that answer has nowhere to
      // go). Its exit is handled below; unhandled, the error would crash the primary with a stack trace.
      w.on('error', (err: NodeJS.ErrnoException) => {
        if (err.code !== 'EPIPE' && err.code !== 'ERR_IPC_CHANNEL_CLOSED') process.stderr.write(`portcullis: worker ${w.process.pid}: ${err.message}\n`);
      });
      w.on('message', (msg: { type?: string; url?: string } | AdminAnswer | StartupFailure) => {
        if (msg?.type === ADMIN_ANSWER) return void pending.get((msg as AdminAnswer).id)?.((msg as AdminAnswer).body);
        if (msg?.type === DECISIONS) {
          const b = (msg as DecisionsMessage).batch;
          if (options.admin?.console && Array.isArray(b?.decisions)) options.admin.console.decisions.ingest(b.decisions, typeof b.omitted === 'number' ? b.omitted : 0);
          return;
        }
        if (msg?.type === STARTUP_FAILED) {
          // One problem, one line: the first worker's reason is the cluster's; the rest are the same.
          if (startupFailure || startupDone) return;
          startupFailure = msg as StartupFailure;
          process.stderr.write(`${startupFailure.line}\n`);
          exitCode = startupFailure.exitCode;
          stopAll('');
          return;
        }
        if (msg?.type !== READY) return;
        ready.add(w);
        if (!startupDone && ready.size === options.workers) {
          startupDone = true;
          write(`portcullis gateway listening on ${(msg as { url: string }).url} (${options.workers} workers: ${[...ready].map((x) => x.process.pid).join(', ')})`);
          if (options.admin) void startAdmin(options.admin);
        }
      });
      w.on('exit', (code, signal) => {
        live.delete(w);
        ready.delete(w);
        const clean = code === 0 && signal === null;
        if (stopping) {
          if (!clean && !startupFailure) {
            // Never silent: the exit code says a worker failed; this line says which and how.
            process.stderr.write(`portcullis: worker ${w.process.pid} exited (${signal ?? `code ${code}`}) while draining\n`);
            exitCode = 1;
          }
          if (live.size === 0) void finish();
          return;
        }
        if (!startupDone) {
          // Port in use, bad handler path, …: the worker handed its reason over (printed once above),
          // or, if it died before it could, printed it itself.
          exitCode = startupFailure?.exitCode ?? (code || 1);
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
