/**
 * @module io/runtimes/process-pool — Lambda functions run as child processes speaking the Runtime
 * API (Python through `awslambdaric`, `provided` bootstraps). [io]
 *
 * The same `LambdaFunction` shape as the worker-thread pool (`io/lambda-runtime.ts`), so integrations,
 * authorizers and the pipeline do not know which one ran the handler. Lambda's lifecycle:
 *   - an environment is one process plus its own Runtime API server (`runtime-api.ts`); it runs one
 *     invocation at a time and is reused warm; the pool grows lazily to `reservedConcurrency`, further
 *     invocations wait in a bounded queue;
 *   - init phase: from spawn to the runtime's first `GET /next`, limited to 10 s apart from the
 *     function timeout (preparing a virtualenv happens before, unlimited, once per function);
 *   - a deadline kills the process (`Task timed out after N.00 seconds`, logged with the request id);
 *     an init error, a crash or an exit mid-invoke costs only that environment, replaced on demand;
 *   - stdout/stderr lines reach the gateway's stdout/stderr prefixed with the function name and the
 *     current request id;
 *   - idle environments stop after `idleTimeoutMs`; `close()` stops them all (SIGTERM, then SIGKILL).
 *
 * Must not: leave a process behind (also killed on the gateway's exit), hang an invocation (every
 * path ends at the deadline at the latest).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import type { InvokeFailure, InvokeResult, LambdaFunction } from '../lambda-runtime.ts';
import { startRuntimeApi, type RuntimeApiServer, type RuntimeInitError } from './runtime-api.ts';

/** How to start one environment of a function: resolved once (a virtualenv may be built first). */
export interface LaunchCommand {
  readonly file: string;
  readonly args: readonly string[];
  /** Extra environment of this runtime (`AWS_EXECUTION_ENV`, `PYTHONPATH`, …). */
  readonly env: Readonly<Record<string, string>>;
}

export interface ProcessFunctionSpec {
  readonly functionName: string;
  /** `python3.11`, `provided.al2023`, … */
  readonly runtime: string;
  /** `_HANDLER` as written in the config (`app.handler`). */
  readonly handler: string;
  /** The function's code directory: the process's cwd and `LAMBDA_TASK_ROOT`. */
  readonly codeDir: string;
  readonly timeoutMs: number;
  readonly memorySize: number;
  readonly reservedConcurrency: number;
  readonly environment: Readonly<Record<string, string>>;
  /** Resolves the command (building what it needs first); a rejection fails invocations as an init error. */
  readonly prepare: () => Promise<LaunchCommand>;
  /** Idle environments stop after this. Default is 600000 (10 minutes). */
  readonly idleTimeoutMs?: number;
}

export interface ProcessPoolOptions {
  region: string;
  accountId: string;
  maxQueuedPerFunction?: number;
  /** Limit of the init phase (spawn to first poll). Default is PROCESS_INIT_LIMIT_MS (Lambda's 10 s). */
  initLimitMs?: number;
  /** Where environments' output lines go. Default: the gateway's stdout / stderr. */
  output?: { stdout: (line: string) => void; stderr: (line: string) => void };
}

/** Lambda's limit on the Init phase, apart from the function timeout. */
export const PROCESS_INIT_LIMIT_MS = 10_000;
/** SIGTERM, then SIGKILL after this. */
const KILL_GRACE_MS = 500;
/** Stderr kept per environment, for an init failure's message. */
const STDERR_TAIL_CHARS = 2000;

/** Gateway-process-wide: every child is killed if the gateway exits without closing its pools. */
const LIVE_CHILDREN = new Set<ChildProcess>();
let exitHookInstalled = false;
function track(child: ChildProcess): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const c of LIVE_CHILDREN) c.kill('SIGKILL');
    });
  }
  LIVE_CHILDREN.add(child);
  child.once('exit', () => LIVE_CHILDREN.delete(child));
}

interface Pending {
  readonly requestId: string;
  readonly resolve: (r: InvokeResult) => void;
  readonly startedAt: number;
  timer: NodeJS.Timeout | null;
}

class ProcessEnvironment {
  child: ChildProcess | null = null;
  api: RuntimeApiServer | null = null;
  busy: Pending | null = null;
  dead = false;
  initError: RuntimeInitError | null = null;
  stderrTail = '';
  exitCode: number | null = null;
  idleTimer: NodeJS.Timeout | null = null;
  isReady = false;
  lastRequestId = 'INIT';
  /** Resolves at the first poll; rejects with the reason the environment could not start. */
  readonly ready: Promise<void>;
  markReady!: () => void;
  fail!: (reason: InvokeFailure) => void;
  constructor() {
    this.ready = new Promise<void>((resolve, reject) => {
      this.markReady = () => {
        this.isReady = true;
        resolve();
      };
      this.fail = (reason) => reject(reason);
    });
    // Rejections are read by whoever awaits `ready`; an unused environment must not crash the gateway.
    this.ready.catch(() => {});
  }
}

/** A function's environments: the `LambdaFunction` of a process runtime. */
export class ProcessFunctionPool implements LambdaFunction {
  readonly functionName: string;
  readonly #spec: ProcessFunctionSpec;
  readonly #options: ProcessPoolOptions;
  readonly #envs = new Set<ProcessEnvironment>();
  readonly #idle: ProcessEnvironment[] = [];
  readonly #queue: Array<{ event: unknown; requestId: string; timeoutMs: number; resolve: (r: InvokeResult) => void }> = [];
  #command: Promise<LaunchCommand> | null = null;
  #coldStarts = 0;
  #closed = false;

  constructor(spec: ProcessFunctionSpec, options: ProcessPoolOptions) {
    this.#spec = spec;
    this.#options = options;
    this.functionName = spec.functionName;
  }

  /** Starts preparing the command (e.g. building a virtualenv) now rather than at the first request. */
  warm(): Promise<LaunchCommand> {
    this.#command ??= this.#spec.prepare();
    this.#command.catch(() => {});
    return this.#command;
  }

  stats() {
    let busy = 0;
    for (const e of this.#envs) if (e.busy) busy++;
    return { environments: this.#envs.size, busy, queued: this.#queue.length, coldStarts: this.#coldStarts };
  }

  invoke(event: unknown, requestId: string, timeoutMs = this.#spec.timeoutMs): Promise<InvokeResult> {
    if (this.#closed) return Promise.resolve(failure('crash', 'Runtime.Closed', 'the gateway is shutting down', 0));
    return new Promise((resolve) => {
      const env = this.#takeIdle() ?? this.#spawnIfAllowed();
      if (env) {
        void this.#run(env, event, requestId, timeoutMs, resolve);
        return;
      }
      if (this.#queue.length >= (this.#options.maxQueuedPerFunction ?? 1000)) {
        resolve(failure('throttled', 'TooManyRequestsException', `rate exceeded: ${this.#spec.reservedConcurrency} environments busy and ${this.#queue.length} invocations queued`, 0));
        return;
      }
      this.#queue.push({ event, requestId, timeoutMs, resolve });
    });
  }

  #takeIdle(): ProcessEnvironment | null {
    const env = this.#idle.pop() ?? null;
    if (env?.idleTimer) {
      clearTimeout(env.idleTimer);
      env.idleTimer = null;
    }
    return env;
  }

  #spawnIfAllowed(): ProcessEnvironment | null {
    if (this.#envs.size >= this.#spec.reservedConcurrency) return null;
    this.#coldStarts++;
    const env = new ProcessEnvironment();
    this.#envs.add(env);
    void this.#start(env);
    return env;
  }

  async #start(env: ProcessEnvironment): Promise<void> {
    let command: LaunchCommand;
    try {
      command = await this.warm();
    } catch (err) {
      this.#retire(env);
      env.fail({ kind: 'init', errorType: 'Runtime.PrepareError', errorMessage: (err as Error).message });
      return;
    }
    if (env.dead || this.#closed) return;
    let api: RuntimeApiServer;
    try {
      api = await this.#startApi(env);
    } catch (err) {
      this.#retire(env);
      env.fail({ kind: 'init', errorType: 'Runtime.StartError', errorMessage: `the Runtime API server could not start: ${(err as Error).message}` });
      return;
    }
    env.api = api;
    if (env.dead || this.#closed) {
      await api.close();
      return;
    }
    this.#spawn(env, command, api);
  }

  #startApi(env: ProcessEnvironment): Promise<RuntimeApiServer> {
    return startRuntimeApi({
      onFirstPoll: () => env.markReady(),
      onInitError: (e) => {
        env.initError = e;
        env.fail({ kind: 'init', errorType: e.errorType, errorMessage: e.errorMessage });
        this.#kill(env);
      },
    });
  }

  #spawn(env: ProcessEnvironment, command: LaunchCommand, api: RuntimeApiServer): void {
    const spec = this.#spec;
    const { region, accountId } = this.#options;
    const stream = `${new Date().toISOString().slice(0, 10).replace(/-/g, '/')}/[$LATEST]${randomBytes(16).toString('hex')}`;
    // DIVERGENCE from the worker runtime: a clean environment as on Lambda (the gateway's own variables,
    // secrets included, are not inherited), apart from PATH, HOME, LANG and TMPDIR.
    const passThrough = Object.fromEntries(['PATH', 'HOME', 'LANG', 'TMPDIR', 'SYSTEMROOT'].flatMap((k) => (process.env[k] !== undefined ? [[k, process.env[k]!]] : [])));
    const child = spawn(command.file, [...command.args], {
      cwd: spec.codeDir,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        LANG: 'en_US.UTF-8',
        ...passThrough,
        TZ: ':UTC',
        AWS_REGION: region,
        AWS_DEFAULT_REGION: region,
        AWS_LAMBDA_FUNCTION_NAME: spec.functionName,
        AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(spec.memorySize),
        AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${spec.functionName}`,
        AWS_LAMBDA_LOG_STREAM_NAME: stream,
        AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
        AWS_LAMBDA_RUNTIME_API: api.address,
        LAMBDA_TASK_ROOT: spec.codeDir,
        LAMBDA_RUNTIME_DIR: spec.codeDir,
        _HANDLER: spec.handler,
        // Dummy credentials: SDK clients construct; calls to AWS fail with an auth error, not a hang.
        AWS_ACCESS_KEY_ID: 'ASIAPORTCULLISLOCAL00',
        AWS_SECRET_ACCESS_KEY: 'portcullis-local-dummy-secret-access-key',
        AWS_SESSION_TOKEN: 'portcullis-local-dummy-session-token',
        ...command.env,
        ...spec.environment,
      },
    });
    env.child = child;
    track(child);
    // Output is piped, the answer comes over HTTP: a line may arrive just after its invocation ended,
    // so it is tagged with the last request id (`INIT` before the first poll).
    const prefix = (line: string) => `[${spec.functionName}] ${env.isReady ? env.lastRequestId : 'INIT'} ${line}`;
    const out = this.#options.output ?? { stdout: (l: string) => process.stdout.write(l + '\n'), stderr: (l: string) => process.stderr.write(l + '\n') };
    createInterface({ input: child.stdout! }).on('line', (l) => out.stdout(prefix(l)));
    createInterface({ input: child.stderr! }).on('line', (l) => {
      env.stderrTail = (env.stderrTail + l + '\n').slice(-STDERR_TAIL_CHARS);
      out.stderr(prefix(l));
    });
    child.once('error', (err) => {
      // Could not start (ENOENT, EACCES): 'exit' may never come, so the environment ends here.
      env.stderrTail += `${err.message}\n`;
      if (child.pid === undefined) {
        this.#retire(env);
        env.fail({ kind: 'init', errorType: 'Runtime.StartError', errorMessage: `cannot start ${command.file}: ${err.message}` });
        void api.close();
      }
    });
    child.once('exit', (code, signal) => {
      env.exitCode = code;
      const why = `the runtime process exited (${signal ?? `code ${code}`})`;
      const tail = env.stderrTail.trim().split('\n').slice(-3).join(' | ');
      env.fail({ kind: 'init', errorType: env.initError?.errorType ?? 'Runtime.ExitError', errorMessage: env.initError?.errorMessage || `${why} before it polled for an invocation${tail ? `: ${tail}` : ''}` });
      // Before its first poll, `#run` reports the init failure through `env.ready`.
      const pending = env.isReady ? env.busy : null;
      this.#retire(env);
      if (pending) {
        env.busy = null;
        if (pending.timer) clearTimeout(pending.timer);
        pending.resolve(failure('crash', 'Runtime.ExitError', `${why}${tail ? `: ${tail}` : ''}`, Date.now() - pending.startedAt));
      }
      void api.close();
      this.#drain();
    });
  }

  async #run(env: ProcessEnvironment, event: unknown, requestId: string, timeoutMs: number, resolve: (r: InvokeResult) => void): Promise<void> {
    const pending: Pending = { requestId, resolve, startedAt: Date.now(), timer: null };
    env.busy = pending;
    // A virtualenv is built before the init phase starts, once. An invocation waits for it at most
    // its init limit plus its timeout; the build goes on for the next ones.
    let prepareTimer: NodeJS.Timeout | undefined;
    const prepared = await Promise.race([
      this.warm().then(() => true, () => true),
      new Promise<false>((r) => (prepareTimer = setTimeout(() => r(false), (this.#options.initLimitMs ?? PROCESS_INIT_LIMIT_MS) + timeoutMs))),
    ]);
    clearTimeout(prepareTimer);
    if (!prepared) {
      if (env.busy === pending) env.busy = null;
      this.#retire(env);
      resolve(failure('timeout', 'Sandbox.Timedout', `the runtime is still being prepared (building its virtualenv); try again shortly`, Date.now() - pending.startedAt));
      return;
    }
    const initLimitMs = this.#options.initLimitMs ?? PROCESS_INIT_LIMIT_MS;
    const initTimer = setTimeout(() => {
      env.fail({ kind: 'timeout', errorType: 'Sandbox.Timedout', errorMessage: `the runtime did not poll for an invocation within its init phase (${(initLimitMs / 1000).toFixed(2)} seconds)` });
      this.#kill(env);
    }, initLimitMs);
    try {
      await env.ready;
    } catch (reason) {
      const r = reason as InvokeFailure;
      if (env.busy === pending) env.busy = null;
      this.#retire(env);
      resolve(failure(r.kind, r.errorType, r.errorMessage, Date.now() - pending.startedAt));
      this.#drain();
      return;
    } finally {
      clearTimeout(initTimer);
    }
    if (env.dead || env.busy !== pending || !env.api) return;
    env.lastRequestId = requestId;
    const deadlineMs = Date.now() + timeoutMs;
    pending.timer = setTimeout(() => {
      if (env.busy !== pending) return;
      env.busy = null;
      env.api?.abandon();
      // AWS's log line for a timeout, with the request id.
      (this.#options.output?.stderr ?? ((l: string) => process.stderr.write(l + '\n')))(`[${this.functionName}] ${requestId} Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`);
      resolve(failure('timeout', 'Sandbox.Timedout', `Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`, Date.now() - pending.startedAt));
      // The handler may be stuck: this environment is not reused.
      this.#kill(env);
    }, timeoutMs);
    let eventJson: string;
    try {
      eventJson = JSON.stringify(event ?? null);
    } catch (err) {
      this.#release(env, pending, failure('error', 'Runtime.InvalidEvent', `the event cannot be sent to the handler: ${(err as Error).message}`, 0));
      return;
    }
    const outcome = await env.api.invoke({
      requestId,
      eventJson,
      deadlineMs,
      invokedFunctionArn: `arn:aws:lambda:${this.#options.region}:${this.#options.accountId}:function:${this.functionName}`,
      traceId: `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${randomBytes(12).toString('hex')};Parent=${randomBytes(8).toString('hex')};Sampled=0`,
    });
    if (env.busy !== pending) return;
    const durationMs = Date.now() - pending.startedAt;
    if (outcome.type === 'response') {
      let value: unknown;
      try {
        value = outcome.body.length === 0 ? null : JSON.parse(outcome.body.toString('utf8'));
      } catch {
        this.#release(env, pending, failure('error', 'Runtime.SerializationError', 'the handler result is not JSON', durationMs));
        return;
      }
      this.#release(env, pending, { ok: true, value, durationMs });
    } else if (outcome.type === 'error') {
      this.#release(env, pending, failure('error', outcome.errorType, outcome.errorMessage, durationMs));
    } else {
      this.#release(env, pending, failure('error', 'Function.ResponseSizeTooLarge', `response payload size exceeded maximum allowed payload size (6291556 bytes)`, durationMs));
    }
  }

  #release(env: ProcessEnvironment, pending: Pending, result: InvokeResult): void {
    if (pending.timer) clearTimeout(pending.timer);
    env.busy = null;
    pending.resolve(result);
    if (env.dead) return;
    const next = this.#queue.shift();
    if (next) {
      void this.#run(env, next.event, next.requestId, next.timeoutMs, next.resolve);
      return;
    }
    this.#idle.push(env);
    const idleMs = this.#spec.idleTimeoutMs ?? 600_000;
    env.idleTimer = setTimeout(() => {
      const i = this.#idle.indexOf(env);
      if (i < 0) return;
      this.#idle.splice(i, 1);
      this.#kill(env);
    }, idleMs);
    env.idleTimer.unref();
  }

  /** Takes the environment out of the pool (it is dead or dying). */
  #retire(env: ProcessEnvironment): void {
    env.dead = true;
    this.#envs.delete(env);
    const i = this.#idle.indexOf(env);
    if (i >= 0) this.#idle.splice(i, 1);
    if (env.idleTimer) clearTimeout(env.idleTimer);
  }

  #kill(env: ProcessEnvironment): void {
    this.#retire(env);
    const child = env.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      setTimeout(() => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      }, KILL_GRACE_MS).unref();
    } else if (!child) {
      void env.api?.close();
    }
  }

  /** After an environment died, start queued invocations on fresh ones. */
  #drain(): void {
    while (this.#queue.length && !this.#closed) {
      const env = this.#takeIdle() ?? this.#spawnIfAllowed();
      if (!env) return;
      const next = this.#queue.shift()!;
      void this.#run(env, next.event, next.requestId, next.timeoutMs, next.resolve);
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const q of this.#queue.splice(0)) q.resolve(failure('crash', 'Runtime.Closed', 'the gateway is shutting down', 0));
    const envs = [...this.#envs];
    await Promise.all(
      envs.map(async (env) => {
        const child = env.child;
        this.#kill(env);
        if (child && child.exitCode === null && child.signalCode === null) await new Promise((r) => child.once('exit', r));
        await env.api?.close();
      }),
    );
  }
}

function failure(kind: InvokeFailure['kind'], errorType: string, errorMessage: string, durationMs: number): InvokeResult {
  return { ok: false, error: { kind, errorType, errorMessage }, durationMs };
}
