/**
 * @module io/runtimes/python — `python3.9` … `python3.13`: AWS's own runtime interface client,
 * `python -m awslambdaric module.function`, in the function's virtualenv. [io]
 *
 * The virtualenv, in this order:
 *   1. `<codeUri>/.venv` when it exists (it must have `awslambdaric` installed);
 *   2. otherwise one Portcullis builds on first start from `<codeUri>/requirements.txt` (or from
 *      nothing) plus `awslambdaric`, cached under `$PORTCULLIS_CACHE_DIR/venvs/<hash>` (default
 *      `~/.cache/portcullis`), the hash covering the requirements file and the interpreter version:
 *      editing requirements.txt builds a new one, restarting does not. pip's progress is logged.
 *
 * The interpreter that builds it is `python3.X` as the runtime names it when on PATH, else `python3`
 * (with a warning naming both versions). Must not: install into a user's `.venv`, leave a half-built
 * virtualenv where the cache would find it (built in a temporary folder, renamed when complete).
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';
import { createInterface } from 'node:readline';
import type { LaunchCommand } from './process-pool.ts';

export const PYTHON_RUNTIMES = ['python3.9', 'python3.10', 'python3.11', 'python3.12', 'python3.13'] as const;

export interface RuntimeLog {
  info(message: string): void;
  warn(message: string): void;
}

/** The file a Python handler `pkg/mod.function` / `pkg.mod.function` names, or null when it has no `.function`. */
export function pythonModuleFiles(codeDir: string, handler: string): string[] | null {
  const dot = handler.lastIndexOf('.');
  if (dot <= 0 || dot === handler.length - 1) return null;
  const modulePath = handler.slice(0, dot).replace(/\//g, '.').split('.').join('/');
  return [join(codeDir, `${modulePath}.py`), join(codeDir, modulePath, '__init__.py')];
}

const inFlight = new Map<string, Promise<string>>();

/** The command that starts one environment of a Python function (building its virtualenv first if needed). */
export async function preparePython(fn: { readonly runtime: string; readonly codeDir: string; readonly handler: string; readonly functionName: string }, log: RuntimeLog): Promise<LaunchCommand> {
  const version = fn.runtime.slice('python'.length);
  const userVenv = join(fn.codeDir, '.venv', 'bin', 'python');
  let python: string;
  if (existsSync(userVenv)) {
    python = userVenv;
    const check = spawnSync(python, ['-c', 'import awslambdaric'], { encoding: 'utf8' });
    if (check.status !== 0) throw new Error(`${join(fn.codeDir, '.venv')} has no awslambdaric (AWS's runtime interface client): run \`${join(fn.codeDir, '.venv', 'bin', 'pip')} install awslambdaric\``);
  } else {
    const venv = await cachedVenv(fn, version, log);
    python = join(venv, 'bin', 'python');
  }
  return {
    file: python,
    args: ['-m', 'awslambdaric', fn.handler],
    env: {
      AWS_EXECUTION_ENV: `AWS_Lambda_${fn.runtime}`,
      // Lambda puts the task root first on sys.path (LAMBDA_TASK_ROOT); print() reaches the log at once.
      PYTHONPATH: fn.codeDir,
      PYTHONUNBUFFERED: '1',
    },
  };
}

/** The interpreter to build virtualenvs with: `python3.X` when present, else `python3`. */
function findInterpreter(version: string, log: RuntimeLog): { command: string; version: string } {
  for (const command of [`python${version}`, 'python3']) {
    const r = spawnSync(command, ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])'], { encoding: 'utf8' });
    if (r.status === 0) {
      const found = r.stdout.trim();
      if (found !== version) log.warn(`runtime python${version}: python${version} is not installed, using ${command} (Python ${found})`);
      return { command, version: found };
    }
  }
  throw new Error(`runtime python${version} needs a Python interpreter: neither python${version} nor python3 is on PATH`);
}

function cacheRoot(): string {
  return process.env.PORTCULLIS_CACHE_DIR || join(homedir(), '.cache', 'portcullis');
}

async function cachedVenv(fn: { codeDir: string; functionName: string }, version: string, log: RuntimeLog): Promise<string> {
  const interpreter = findInterpreter(version, log);
  const reqFile = join(fn.codeDir, 'requirements.txt');
  const requirements = existsSync(reqFile) ? readFileSync(reqFile, 'utf8') : '';
  const hash = createHash('sha256').update(`${interpreter.version}\n${requirements}`).digest('hex').slice(0, 16);
  const dir = join(cacheRoot(), 'venvs', `py${interpreter.version}-${hash}`);
  if (existsSync(join(dir, '.portcullis-complete'))) return dir;
  let building = inFlight.get(dir);
  if (!building) {
    building = withLock(dir, () => (existsSync(join(dir, '.portcullis-complete')) ? Promise.resolve(dir) : buildVenv(dir, interpreter.command, existsSync(reqFile) ? reqFile : null, requirements, fn.functionName, log))).finally(() => inFlight.delete(dir));
    inFlight.set(dir, building);
  }
  return building;
}

/** One builder across gateway processes (cluster workers): a `mkdir` lock beside the virtualenv; a lock older than 15 minutes is stale. */
async function withLock<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  const lock = `${dir}.lock`;
  mkdirSync(join(dir, '..'), { recursive: true });
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      try {
        if (Date.now() - statSync(lock).mtimeMs > 15 * 60_000) rmSync(lock, { recursive: true, force: true });
      } catch {
        // released meanwhile
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

async function buildVenv(dir: string, python: string, reqFile: string | null, requirements: string, functionName: string, log: RuntimeLog): Promise<string> {
  const tmp = `${dir}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  mkdirSync(join(dir, '..'), { recursive: true });
  // Under the lock nobody else builds this one: a temporary folder left is a killed build's.
  for (const name of readdirSync(join(dir, '..'))) {
    if (name.startsWith(`${basename(dir)}.tmp-`)) rmSync(join(dir, '..', name), { recursive: true, force: true });
  }
  const started = Date.now();
  log.info(`function ${functionName}: building a virtualenv ${reqFile ? `from ${reqFile}` : '(no requirements.txt)'} in ${dir} (once; cached by the file's hash)`);
  try {
    await run(python, ['-m', 'venv', tmp], functionName, log);
    const hasRic = /^\s*awslambdaric\b/im.test(requirements);
    const args = ['-m', 'pip', 'install', '--disable-pip-version-check', '--progress-bar', 'off'];
    if (reqFile) args.push('-r', reqFile);
    if (!hasRic) args.push('awslambdaric');
    await run(join(tmp, 'bin', 'python'), args, functionName, log);
    writeFileSync(join(tmp, '.portcullis-complete'), `${new Date().toISOString()}\n`);
    try {
      renameSync(tmp, dir);
    } catch (err) {
      // Another gateway process finished the same virtualenv first: use theirs.
      if (!existsSync(join(dir, '.portcullis-complete'))) throw err;
      rmSync(tmp, { recursive: true, force: true });
    }
    log.info(`function ${functionName}: virtualenv ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return dir;
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw new Error(`function ${functionName}: building its virtualenv failed: ${(err as Error).message}`);
  }
}

/** Runs a command, logging its output lines as progress; rejects with its last lines on failure. */
function run(file: string, args: string[], functionName: string, log: RuntimeLog): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const tail: string[] = [];
    const onLine = (line: string) => {
      tail.push(line);
      if (tail.length > 5) tail.shift();
      if (/^(Collecting|Installing|Successfully|ERROR)/.test(line)) log.info(`function ${functionName}: pip: ${line.trim()}`);
    };
    createInterface({ input: child.stdout! }).on('line', onLine);
    createInterface({ input: child.stderr! }).on('line', onLine);
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${file} ${args.slice(0, 3).join(' ')} exited ${code}: ${tail.join(' | ')}`))));
  });
}
