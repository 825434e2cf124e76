/**
 * @module io/lambda-runtime — runs Lambda handler modules in pools of worker threads. [io]
 *
 * Each worker is one "execution environment": it loads the module once (cold start) and runs one
 * invocation at a time, like Lambda. A function's pool grows lazily up to its
 * `reservedConcurrency`; further invocations wait in a bounded queue. A handler that blocks its
 * event loop, times out, calls `process.exit()` or throws at load time costs only its own worker:
 * the worker is terminated and replaced on the next invocation, and the gateway keeps serving.
 *
 * Results cross the thread boundary as JSON text (`JSON.stringify` in the worker), which is what
 * Lambda does too: `undefined` members vanish, Dates become strings, and the 6 MB response limit
 * is enforced before the bytes reach the gateway.
 */
import { Worker } from 'node:worker_threads';
import { basename, extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Result } from '../core/result.ts';

/** Why an invocation produced no payload. */
export interface InvokeFailure {
  /** `error`: the handler threw/rejected/called back with an error; `init`: the module failed to load;
   *  `timeout`: no answer in time; `crash`: the environment died mid-invocation; `throttled`: queue full;
   *  `unreachable`: the function's HTTP endpoint could not be connected to, or its reply was cut off
   *  (authorizers with an `authorizerUri`; this runtime never reports it). */
  readonly kind: 'error' | 'init' | 'timeout' | 'crash' | 'throttled' | 'unreachable';
  readonly errorType: string;
  readonly errorMessage: string;
}

/** What an invocation produced: the parsed JSON the handler returned (`value`), or the failure; and how long it took. */
export type InvokeResult = Result<unknown, InvokeFailure> & { readonly durationMs: number };

export interface LambdaFunctionSpec {
  /** Absolute path to the handler module. */
  handlerPath: string;
  exportName: string;
  functionName?: string | undefined;
  timeoutMs: number;
  environment?: Readonly<Record<string, string>>;
  reservedConcurrency: number;
  memorySize?: number;
  /** Lambda runtime id (`python3.11`, `provided.al2023`); absent or `nodejs*`: worker threads. See io/runtimes. */
  runtime?: string | undefined;
  /** Process runtimes: the code directory (`LAMBDA_TASK_ROOT`) and `_HANDLER` as written. */
  codeDir?: string | undefined;
  handler?: string | undefined;
  /** Process runtimes: idle environments stop after this. */
  idleTimeoutMs?: number | undefined;
  /** Node: `process` runs the module in a child process over the Runtime API (io/runtimes). Default: worker threads. */
  isolation?: 'worker' | 'process' | undefined;
}

export interface LambdaFunction {
  readonly functionName: string;
  invoke(event: unknown, requestId: string, timeoutMs?: number): Promise<InvokeResult>;
  /** Live environments and queued invocations (metrics, tests). */
  stats(): { environments: number; busy: number; queued: number; coldStarts: number };
}

export interface LambdaRuntime {
  /** Same spec (path, export, env, concurrency) → same pool. */
  getFunction(spec: LambdaFunctionSpec): LambdaFunction;
  /**
   * Starts environments ahead of traffic (a config reload, `--watch`): per function, as many as
   * `like` (the runtime being replaced) has for the same spec, at least one, up to its
   * reservedConcurrency. Resolves when each function has one ready (or failed to start), or after `maxWaitMs`.
   */
  prewarm?(like?: LambdaRuntime, maxWaitMs?: number): Promise<void>;
  /** Live environments per function spec key (what `prewarm` copies). */
  environmentCounts?(): ReadonlyMap<string, number>;
  close(): Promise<void>;
}

export interface LambdaRuntimeOptions {
  region: string;
  accountId: string;
  /** Invocations allowed to wait per function when every environment is busy. Default is 1000. */
  maxQueuedPerFunction?: number;
  /** Largest JSON result accepted (Lambda: 6 MB). */
  maxResultBytes?: number;
}

const WORKER_URL = new URL('./lambda-worker.mjs', import.meta.url);

export function createLambdaRuntime(options: LambdaRuntimeOptions): LambdaRuntime {
  const pools = new Map<string, FunctionPool>();
  return {
    getFunction(spec) {
      const key = JSON.stringify([spec.handlerPath, spec.exportName, spec.environment ?? {}, spec.reservedConcurrency, spec.functionName ?? '']);
      let pool = pools.get(key);
      if (!pool) pools.set(key, (pool = new FunctionPool(spec, options)));
      return pool;
    },
    async prewarm(like, maxWaitMs = 5000) {
      const counts = like?.environmentCounts?.() ?? new Map<string, number>();
      const ready = Promise.all([...pools].map(([key, pool]) => pool.prewarm(Math.max(1, counts.get(key) ?? 0))));
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([ready, new Promise((r) => (timer = setTimeout(r, maxWaitMs)))]);
      clearTimeout(timer);
    },
    environmentCounts() {
      return new Map([...pools].map(([key, pool]) => [key, pool.stats().environments]));
    },
    async close() {
      await Promise.all([...pools.values()].map((p) => p.close()));
      pools.clear();
    },
  };
}

/** Lambda's limit on the Init phase (environment start and module load), apart from the function timeout. */
const INIT_PHASE_LIMIT_MS = 10_000;

interface Pending {
  id: number;
  resolve: (r: InvokeResult) => void;
  startedAt: number;
  timer: NodeJS.Timeout | null;
}

class Environment {
  readonly worker: Worker;
  ready: Promise<void>;
  busy: Pending | null = null;
  dead = false;
  lastError: string | null = null;

  constructor(worker: Worker) {
    this.worker = worker;
    this.ready = new Promise((resolve) => {
      const onMessage = (m: { type: string }) => {
        if (m.type === 'ready') {
          worker.off('message', onMessage);
          resolve();
        }
      };
      worker.on('message', onMessage);
      worker.once('exit', () => resolve());
    });
  }
}

class FunctionPool implements LambdaFunction {
  readonly functionName: string;
  readonly #spec: LambdaFunctionSpec;
  readonly #options: LambdaRuntimeOptions;
  readonly #envs = new Set<Environment>();
  readonly #idle: Environment[] = [];
  readonly #queue: Array<{ event: unknown; requestId: string; timeoutMs: number; resolve: (r: InvokeResult) => void; queuedAt: number }> = [];
  #nextId = 1;
  #coldStarts = 0;
  #closed = false;

  constructor(spec: LambdaFunctionSpec, options: LambdaRuntimeOptions) {
    this.#spec = spec;
    this.#options = options;
    this.functionName = spec.functionName ?? basename(spec.handlerPath, extname(spec.handlerPath)).replace(/[^A-Za-z0-9_-]/g, '-');
  }

  stats() {
    let busy = 0;
    for (const e of this.#envs) if (e.busy) busy++;
    return { environments: this.#envs.size, busy, queued: this.#queue.length, coldStarts: this.#coldStarts };
  }

  invoke(event: unknown, requestId: string, timeoutMs = this.#spec.timeoutMs): Promise<InvokeResult> {
    if (this.#closed) return Promise.resolve(failure('crash', 'Runtime.Closed', 'the gateway is shutting down', 0));
    return new Promise((resolve) => {
      const env = this.#idle.pop() ?? this.#spawnIfAllowed();
      if (env) {
        void this.#run(env, event, requestId, timeoutMs, resolve, Date.now());
        return;
      }
      if (this.#queue.length >= (this.#options.maxQueuedPerFunction ?? 1000)) {
        resolve(failure('throttled', 'TooManyRequestsException', `rate exceeded: ${this.#spec.reservedConcurrency} environments busy and ${this.#queue.length} invocations queued`, 0));
        return;
      }
      this.#queue.push({ event, requestId, timeoutMs, resolve, queuedAt: Date.now() });
    });
  }

  /** Starts up to `count` idle environments (Init phase only); resolves when the first is ready or gone. */
  async prewarm(count: number): Promise<void> {
    // The first environment alone (it is ready soonest on a busy machine); the others start once it is
    // and finish their Init in the background, idle already, so a request that takes one waits only
    // for the rest of its Init.
    const first = this.#closed ? null : this.#spawnIfAllowed();
    if (!first) return;
    this.#idle.push(first);
    await first.ready;
    for (let i = 1; i < count && !this.#closed; i++) {
      const env = this.#spawnIfAllowed();
      if (!env) break;
      this.#idle.unshift(env);
    }
  }

  #spawnIfAllowed(): Environment | null {
    if (this.#envs.size >= this.#spec.reservedConcurrency) return null;
    this.#coldStarts++;
    const worker = new Worker(fileURLToPath(WORKER_URL), {
      workerData: {
        handlerPath: this.#spec.handlerPath,
        exportName: this.#spec.exportName,
        functionName: this.functionName,
        memorySize: this.#spec.memorySize ?? 128,
        region: this.#options.region,
        accountId: this.#options.accountId,
        maxResultBytes: this.#options.maxResultBytes ?? 6 * 1024 * 1024,
      },
      env: {
        ...process.env,
        AWS_REGION: this.#options.region,
        AWS_DEFAULT_REGION: this.#options.region,
        AWS_LAMBDA_FUNCTION_NAME: this.functionName,
        AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(this.#spec.memorySize ?? 128),
        ...(this.#spec.environment ?? {}),
      },
      // Handlers' console output goes to the gateway's stdout/stderr, like CloudWatch would get it.
      stdout: false,
      stderr: false,
    });
    const env = new Environment(worker);
    this.#envs.add(env);
    worker.on('message', (m: { type: string; id?: number; ok?: boolean; json?: string; kind?: string; errorType?: string; errorMessage?: string }) => {
      if (m.type !== 'result' || !env.busy || env.busy.id !== m.id) return;
      const pending = env.busy;
      const durationMs = Date.now() - pending.startedAt;
      let result: InvokeResult;
      if (m.ok) {
        try {
          result = { ok: true, value: JSON.parse(m.json ?? 'null'), durationMs };
        } catch {
          result = failure('error', 'Runtime.SerializationError', 'the handler result is not JSON', durationMs);
        }
      } else {
        result = failure((m.kind as 'error' | 'init') ?? 'error', m.errorType ?? 'Error', m.errorMessage ?? '', durationMs);
      }
      this.#release(env, pending, result);
    });
    worker.on('error', (err) => {
      // An uncaught exception ends the worker; the 'exit' handler fails the invocation.
      env.lastError = err instanceof Error ? err.message : String(err);
    });
    worker.on('exit', (code) => {
      env.dead = true;
      this.#envs.delete(env);
      const i = this.#idle.indexOf(env);
      if (i >= 0) this.#idle.splice(i, 1);
      if (env.busy) {
        const pending = env.busy;
        env.busy = null;
        if (pending.timer) clearTimeout(pending.timer);
        pending.resolve(failure('crash', 'Runtime.ExitError', `the execution environment exited (code ${code})${env.lastError ? `: ${env.lastError}` : ''}`, Date.now() - pending.startedAt));
      }
      this.#drain();
    });
    return env;
  }

  async #run(env: Environment, event: unknown, requestId: string, timeoutMs: number, resolve: (r: InvokeResult) => void, startedAt: number): Promise<void> {
    const pending: Pending = { id: this.#nextId++, resolve, startedAt, timer: null };
    env.busy = pending;
    // Lambda's Init phase (starting the environment, loading the module) has its own limit and is not
    // part of the function timeout: the invocation's clock starts once the environment is ready. A
    // thread that starts slowly on a loaded machine then cannot time out a fast handler.
    const initTimer = setTimeout(() => {
      if (env.busy !== pending) return;
      env.busy = null;
      resolve(failure('timeout', 'Sandbox.Timedout', `the environment did not finish its init phase within ${INIT_PHASE_LIMIT_MS / 1000} seconds`, Date.now() - startedAt));
      void env.worker.terminate();
    }, INIT_PHASE_LIMIT_MS);
    await env.ready;
    clearTimeout(initTimer);
    if (env.dead || env.busy !== pending) return;
    const invokedAt = Date.now();
    pending.timer = setTimeout(() => {
      if (env.busy !== pending) return;
      env.busy = null;
      resolve(failure('timeout', 'Sandbox.Timedout', `task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`, Date.now() - startedAt));
      // The handler may be stuck in a loop: this environment is not reused.
      void env.worker.terminate();
    }, timeoutMs);
    try {
      env.worker.postMessage({ type: 'invoke', id: pending.id, event, requestId, deadline: invokedAt + timeoutMs });
    } catch (err) {
      this.#release(env, pending, failure('error', 'Runtime.InvalidEvent', `the event cannot be sent to the handler: ${(err as Error).message}`, 0));
    }
  }

  #release(env: Environment, pending: Pending, result: InvokeResult): void {
    if (pending.timer) clearTimeout(pending.timer);
    env.busy = null;
    pending.resolve(result);
    if (env.dead) return;
    const next = this.#queue.shift();
    if (next) void this.#run(env, next.event, next.requestId, next.timeoutMs, next.resolve, Date.now());
    else this.#idle.push(env);
  }

  /** After an environment died, start queued invocations on fresh ones. */
  #drain(): void {
    while (this.#queue.length && !this.#closed) {
      const env = this.#idle.pop() ?? this.#spawnIfAllowed();
      if (!env) return;
      const next = this.#queue.shift()!;
      void this.#run(env, next.event, next.requestId, next.timeoutMs, next.resolve, Date.now());
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const q of this.#queue.splice(0)) q.resolve(failure('crash', 'Runtime.Closed', 'the gateway is shutting down', 0));
    await Promise.all([...this.#envs].map((e) => e.worker.terminate()));
  }
}

function failure(kind: InvokeFailure['kind'], errorType: string, errorMessage: string, durationMs: number): InvokeResult {
  return { ok: false, error: { kind, errorType, errorMessage }, durationMs };
}
