/**
 * @module io/runtimes — the Lambda runtimes, behind one registry: which runtime id runs where, how a
 * function's config (SAM's vocabulary) becomes a `LambdaFunctionSpec`, and the `LambdaRuntime` that
 * hands each function to its pool. [io]
 *
 * | runtime ids                         | plug-in     | runs as                                               |
 * |-------------------------------------|-------------|-------------------------------------------------------|
 * | `nodejs18.x` … `nodejs22.x`, none   | `nodejs`    | worker threads of the gateway (`io/lambda-runtime.ts`); with `isolation: process`, a process served by `node-bootstrap.mjs` |
 * | `python3.9` … `python3.13`          | `python`    | `python -m awslambdaric module.function` (`python.ts`)  |
 * | `provided`, `provided.al2`, `.al2023` | `provided`| the code directory's `bootstrap` executable             |
 *
 * The process runtimes speak the Lambda Runtime API (`runtime-api.ts`, `process-pool.ts`); adding one
 * (e.g. Ruby through `aws_lambda_ric`) is a row here with its `resolve` and `prepare`.
 *
 * Must not: start anything while a config is only being validated (`prepareEagerly` false).
 */
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { basename, extname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ConfigIssue } from '../../core/errors.ts';
import type { Result } from '../../core/result.ts';
import type { Logger } from '../logger.ts';
import { createLambdaRuntime as createWorkerRuntime, type LambdaFunction, type LambdaFunctionSpec, type LambdaRuntime, type LambdaRuntimeOptions } from '../lambda-runtime.ts';
import { ProcessFunctionPool, type LaunchCommand, type ProcessPoolOptions } from './process-pool.ts';
import { preparePython, PYTHON_RUNTIMES, pythonModuleFiles, type RuntimeLog } from './python.ts';


/** A runtime plug-in. */
export interface RuntimePlugin {
  readonly name: string;
  readonly isolation: 'worker' | 'process';
  handles(runtime: string): boolean;
  /** The function's config → where its code is; issue paths relative to the function. */
  resolve(fn: FunctionLike, baseDir: string): Result<Pick<LambdaFunctionSpec, 'handlerPath' | 'exportName' | 'codeDir' | 'handler'>, ConfigIssue[]>;
  /** Process runtimes: the command starting one environment (may build a virtualenv first). */
  prepare?(fn: PrepareInput, log: RuntimeLog): Promise<LaunchCommand>;
}

export interface PrepareInput {
  readonly runtime: string;
  readonly codeDir: string;
  readonly handler: string;
  readonly functionName: string;
  /** Node: the module and its export. */
  readonly handlerPath: string;
  readonly exportName: string;
}

/** The function keys of `portcullis.yaml` (integration `type: lambda`, an authorizer's `function:`). */
export interface FunctionLike {
  readonly handler: string;
  readonly exportName: string;
  readonly runtime?: string | undefined;
  readonly codeUri?: string | undefined;
  readonly timeout?: number | undefined;
  readonly timeoutInMillis?: number | undefined;
  readonly functionName?: string | undefined;
  readonly environment?: Readonly<Record<string, string>> | undefined;
  readonly reservedConcurrency: number;
  readonly memorySize?: number | undefined;
  readonly idleTimeoutSeconds?: number | undefined;
  readonly isolation?: 'worker' | 'process' | undefined;
}

const NODE_BOOTSTRAP = fileURLToPath(new URL('./node-bootstrap.mjs', import.meta.url));

const NODE_EXTENSIONS = ['.mjs', '.js', '.cjs', '.ts', '.mts', '.cts'];

const nodejs: RuntimePlugin = {
  name: 'nodejs',
  isolation: 'worker',
  handles: (r) => r.startsWith('nodejs'),
  resolve(fn, baseDir) {
    // Today's form: `handler: ./auth.ts` (+ `exportName`), relative to the config file (or `codeUri`);
    // also any file that exists under the name as written.
    const codeDir = resolve(baseDir, fn.codeUri ?? '.');
    const asWritten = isAbsolute(fn.handler) ? fn.handler : resolve(codeDir, fn.handler);
    if (NODE_EXTENSIONS.includes(extname(fn.handler)) || isFile(asWritten)) {
      const handlerPath = isAbsolute(fn.handler) ? fn.handler : resolve(codeDir, fn.handler);
      if (!existsSync(handlerPath)) return { ok: false, error: [{ path: 'handler', message: `handler module not found: ${handlerPath}` }] };
      return { ok: true, value: { handlerPath, exportName: fn.exportName } };
    }
    // AWS's form: `handler: app.handler` is the export `handler` of app.{mjs,js,cjs,ts} in `codeUri`.
    const dot = fn.handler.lastIndexOf('.');
    const file = fn.handler.slice(0, dot);
    const exportName = fn.handler.slice(dot + 1);
    if (dot <= 0 || file.endsWith('/') || !/^[A-Za-z_$][\w$]*$/.test(exportName)) {
      const handlerPath = resolve(codeDir, fn.handler);
      return { ok: false, error: [{ path: 'handler', message: `handler module not found: ${handlerPath} (give a module path such as ./app.mjs, or AWS's file.function form with codeUri)` }] };
    }
    const base = resolve(codeDir, file);
    const found = NODE_EXTENSIONS.map((e) => base + e).find((p) => existsSync(p));
    if (!found) return { ok: false, error: [{ path: 'handler', message: `handler module not found: ${asWritten} (nor ${base}{${NODE_EXTENSIONS.join(',')}}, AWS's file.function form)` }] };
    return { ok: true, value: { handlerPath: found, exportName } };
  },
  // `isolation: process`: the module in its own process, served over the Runtime API by node-bootstrap.mjs.
  async prepare(fn) {
    return {
      file: process.execPath,
      args: [NODE_BOOTSTRAP],
      env: { AWS_EXECUTION_ENV: `AWS_Lambda_${fn.runtime}`, PORTCULLIS_HANDLER_PATH: fn.handlerPath, PORTCULLIS_EXPORT_NAME: fn.exportName },
    };
  },
};

const python: RuntimePlugin = {
  name: 'python',
  isolation: 'process',
  handles: (r) => (PYTHON_RUNTIMES as readonly string[]).includes(r),
  resolve(fn, baseDir) {
    const codeDir = resolve(baseDir, fn.codeUri ?? '.');
    const dir = checkCodeDir(codeDir);
    if (dir) return { ok: false, error: [dir] };
    const files = pythonModuleFiles(codeDir, fn.handler);
    if (!files) return { ok: false, error: [{ path: 'handler', message: `must be AWS's module.function form (app.handler is handler() in app.py), got "${fn.handler}"` }] };
    if (!files.some((f) => existsSync(f))) return { ok: false, error: [{ path: 'handler', message: `python module not found: ${files[0]}` }] };
    return { ok: true, value: { handlerPath: codeDir, exportName: fn.handler, codeDir, handler: fn.handler } };
  },
  prepare: preparePython,
};

const provided: RuntimePlugin = {
  name: 'provided',
  isolation: 'process',
  handles: (r) => r === 'provided' || r.startsWith('provided.'),
  resolve(fn, baseDir) {
    const codeDir = resolve(baseDir, fn.codeUri ?? '.');
    const dir = checkCodeDir(codeDir);
    if (dir) return { ok: false, error: [dir] };
    const bootstrap = join(codeDir, 'bootstrap');
    try {
      accessSync(bootstrap, constants.X_OK);
    } catch {
      return { ok: false, error: [{ path: 'codeUri', message: existsSync(bootstrap) ? `${bootstrap} is not executable (chmod +x)` : `a custom runtime needs an executable bootstrap: ${bootstrap} not found` }] };
    }
    return { ok: true, value: { handlerPath: bootstrap, exportName: fn.handler, codeDir, handler: fn.handler } };
  },
  async prepare(fn) {
    return { file: join(fn.codeDir, 'bootstrap'), args: [], env: {} };
  },
};

/** The registry: first plug-in that handles the id. */
export const RUNTIME_PLUGINS: readonly RuntimePlugin[] = [nodejs, python, provided];

export function runtimePlugin(runtime: string | undefined): RuntimePlugin {
  if (runtime === undefined) return nodejs;
  const p = RUNTIME_PLUGINS.find((x) => x.handles(runtime));
  if (!p) throw new Error(`unknown runtime ${runtime}`);
  return p;
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function checkCodeDir(codeDir: string): ConfigIssue | null {
  try {
    if (statSync(codeDir).isDirectory()) return null;
  } catch {
    // falls through
  }
  return { path: 'codeUri', message: `must be a directory: ${codeDir} is not one` };
}

/**
 * A function's config → the spec its runtime runs.
 * @param defaultTimeoutMs integrations 29000, authorizers 10000.
 * @returns issues with paths relative to the function (`handler`, `codeUri`, `timeout`).
 */
export function resolveFunctionSpec(fn: FunctionLike, baseDir: string, defaultTimeoutMs: number): Result<LambdaFunctionSpec, ConfigIssue[]> {
  const issues: ConfigIssue[] = [];
  if (fn.timeout !== undefined && fn.timeoutInMillis !== undefined) issues.push({ path: 'timeout', message: 'give either `timeout` (seconds, as in SAM) or `timeoutInMillis`, not both' });
  const plugin = runtimePlugin(fn.runtime);
  if (fn.isolation !== undefined && plugin.name !== 'nodejs') issues.push({ path: 'isolation', message: `applies to Node functions only (${fn.runtime} always runs as a process)` });
  const where = plugin.resolve(fn, baseDir);
  if (!where.ok) issues.push(...where.error);
  if (issues.length || !where.ok) return { ok: false, error: issues };
  const spec: LambdaFunctionSpec = {
    ...where.value,
    functionName: fn.functionName ?? (where.value.codeDir ? basename(where.value.codeDir) : undefined),
    timeoutMs: fn.timeoutInMillis ?? (fn.timeout !== undefined ? fn.timeout * 1000 : defaultTimeoutMs),
    reservedConcurrency: fn.reservedConcurrency,
    ...(fn.environment ? { environment: fn.environment } : {}),
    ...(fn.memorySize !== undefined ? { memorySize: fn.memorySize } : {}),
    ...(fn.runtime !== undefined ? { runtime: fn.runtime } : {}),
    ...(fn.idleTimeoutSeconds !== undefined ? { idleTimeoutMs: fn.idleTimeoutSeconds * 1000 } : {}),
    ...(fn.isolation === 'process' && plugin.name === 'nodejs'
      ? { isolation: 'process' as const, codeDir: resolve(baseDir, fn.codeUri ?? '.'), handler: fn.handler }
      : {}),
  };
  return { ok: true, value: spec };
}

export interface RuntimesOptions extends LambdaRuntimeOptions, Pick<ProcessPoolOptions, 'initLimitMs' | 'output'> {
  logger?: Logger;
  /** Start building virtualenvs when a function is registered (the gateway), not at its first invocation. Default is false (validation). */
  prepareEagerly?: boolean;
}

/** The gateway's `LambdaRuntime`: each function to its plug-in's pool. */
export function createLambdaRuntime(options: RuntimesOptions): LambdaRuntime {
  const workers = createWorkerRuntime(options);
  const pools = new Map<string, ProcessFunctionPool>();
  const log: RuntimeLog = {
    info: (m) => (options.logger ? options.logger.info(m) : process.stderr.write(`[portcullis] ${m}\n`)),
    warn: (m) => (options.logger ? options.logger.warn(m) : process.stderr.write(`[portcullis] ${m}\n`)),
  };
  return {
    getFunction(spec): LambdaFunction {
      const plugin = runtimePlugin(spec.runtime);
      if (plugin.isolation === 'worker' && spec.isolation !== 'process') return workers.getFunction(spec);
      const codeDir = spec.codeDir ?? spec.handlerPath;
      const handler = spec.handler ?? spec.exportName;
      const functionName = (spec.functionName ?? (plugin.name === 'nodejs' ? basename(spec.handlerPath, extname(spec.handlerPath)) : basename(codeDir))).replace(/[^A-Za-z0-9_-]/g, '-');
      const key = JSON.stringify([spec.runtime, codeDir, handler, spec.handlerPath, spec.exportName, spec.environment ?? {}, spec.reservedConcurrency, functionName, spec.memorySize ?? 128]);
      let pool = pools.get(key);
      if (!pool) {
        const runtime = spec.runtime ?? 'nodejs20.x';
        const { handlerPath, exportName } = spec;
        pool = new ProcessFunctionPool(
          {
            functionName,
            runtime,
            handler,
            codeDir,
            timeoutMs: spec.timeoutMs,
            memorySize: spec.memorySize ?? 128,
            reservedConcurrency: spec.reservedConcurrency,
            environment: spec.environment ?? {},
            prepare: () => plugin.prepare!({ runtime, codeDir, handler, functionName, handlerPath, exportName }, log),
            ...(spec.idleTimeoutMs !== undefined ? { idleTimeoutMs: spec.idleTimeoutMs } : {}),
          },
          options,
        );
        pools.set(key, pool);
        if (options.prepareEagerly) void pool.warm().catch((err: Error) => log.warn(err.message));
      }
      return pool;
    },
    async close() {
      await Promise.all([workers.close(), ...[...pools.values()].map((p) => p.close())]);
      pools.clear();
    },
  };
}
