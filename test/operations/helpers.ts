/**
 * Helpers for the operations tests (CORS, access logs, metrics, health, reload, logging):
 * a raw HTTP client that can send any header (browsers' forbidden ones included), a
 * Prometheus text parser, a child-process runner for `bin/portcullis.mjs`, and Lambda handler
 * sources written to temp dirs.
 */
import { request as httpRequest } from 'node:http';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface Reply {
  status: number;
  /** Lower-cased names, multi-valued headers joined with `, `. */
  headers: Record<string, string>;
  /** Raw header pairs (to check that a header appears exactly once). */
  rawHeaders: Array<[string, string]>;
  body: string;
}

/** Longest any one test request may take before it fails (a hang must fail, never stall the suite). */
export const SEND_TIMEOUT_MS = 30_000;

/** One HTTP/1.1 request; never throws on a status. Keep-alive off so nothing lingers. */
export function send(method: string, url: string, headers: Record<string, string> = {}, body?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers: { connection: 'close', ...headers }, agent: false, timeout: SEND_TIMEOUT_MS }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const rawHeaders: Array<[string, string]> = [];
        for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) rawHeaders.push([res.rawHeaders[i]!.toLowerCase(), res.rawHeaders[i + 1]!]);
        const joined: Record<string, string> = {};
        for (const [k, v] of rawHeaders) joined[k] = joined[k] === undefined ? v : `${joined[k]}, ${v}`;
        resolve({ status: res.statusCode ?? 0, headers: joined, rawHeaders, body: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error(`${method} ${url}: no answer within ${SEND_TIMEOUT_MS} ms`)));
    req.end(body);
  });
}

/** The `access-control-*` headers of a reply, for whole-set assertions. */
export function corsHeadersOf(reply: Reply): Record<string, string> {
  return Object.fromEntries(Object.entries(reply.headers).filter(([k]) => k.startsWith('access-control-')));
}

// ---------------------------------------------------------------------------------------------
// Prometheus text format

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Exposition {
  samples: Sample[];
  types: Map<string, string>;
  /** Sum of every sample of `name` whose labels include `match`. */
  sum(name: string, match?: Record<string, string>): number;
}

/**
 * Parses exposition format 0.0.4 strictly enough to catch format bugs: every sample line must
 * match the grammar, every family must have `# TYPE` before its samples, no family twice.
 */
export function parsePrometheus(text: string): Exposition {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  const seenFamilies = new Set<string>();
  let current = '';
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (type) {
      if (seenFamilies.has(type[1]!)) throw new Error(`family ${type[1]} declared twice`);
      seenFamilies.add(type[1]!);
      types.set(type[1]!, type[2]!);
      current = type[1]!;
      continue;
    }
    if (/^# HELP [a-zA-Z_:][a-zA-Z0-9_:]* .*$/.test(line)) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (-?[0-9.e+-]+|NaN|\+Inf|-Inf)$/.exec(line);
    if (!m) throw new Error(`bad exposition line: ${line}`);
    const name = m[1]!;
    const base = name.replace(/_(bucket|sum|count)$/, '');
    if (name !== current && base !== current) throw new Error(`sample ${name} outside its family block (${current})`);
    const labels: Record<string, string> = {};
    if (m[3]) {
      const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)/gy;
      let lm: RegExpExecArray | null;
      let consumed = 0;
      while ((lm = re.exec(m[3])) !== null) {
        labels[lm[1]!] = lm[2]!.replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
        consumed = re.lastIndex;
      }
      if (consumed !== m[3].length) throw new Error(`bad labels: ${line}`);
    }
    samples.push({ name, labels, value: Number(m[4] === '+Inf' ? Infinity : m[4]) });
  }
  return {
    samples,
    types,
    sum(name, match = {}) {
      return samples.filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v)).reduce((a, s) => a + s.value, 0);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Child processes of the real CLI

export const BIN = fileURLToPath(new URL('../../bin/portcullis.mjs', import.meta.url));

export interface Child {
  proc: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves when stdout (or stderr) contains `text`; rejects after `timeoutMs` with both streams. */
  waitFor(text: string | RegExp, timeoutMs?: number, stream?: 'stdout' | 'stderr'): Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal?: NodeJS.Signals): void;
}

const children = new Set<ChildProcess>();

/** Kills (SIGKILL) every CLI child still running: call from `after()` so a failed test never leaks one. */
export async function killChildren(): Promise<void> {
  const waits = [...children].map((proc) => new Promise<void>((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
    proc.once('exit', () => resolve());
    proc.kill('SIGKILL');
  }));
  await Promise.all(waits);
}

export function startCli(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}): Child {
  const proc = spawn(process.execPath, [BIN, ...args], {
    cwd: options.cwd,
    env: { ...process.env, PORTCULLIS_LOG_LEVEL: '', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(proc);
  proc.once('exit', () => children.delete(proc));
  let out = '';
  let err = '';
  const listeners = new Set<() => void>();
  proc.stdout!.on('data', (c: Buffer) => {
    out += c.toString('utf8');
    for (const l of listeners) l();
  });
  proc.stderr!.on('data', (c: Buffer) => {
    err += c.toString('utf8');
    for (const l of listeners) l();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  return {
    proc,
    stdout: () => out,
    stderr: () => err,
    exited,
    kill: (signal = 'SIGTERM') => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
    },
    waitFor(text, timeoutMs = 15_000, stream = 'stdout') {
      const has = () => {
        const s = stream === 'stdout' ? out : err;
        return typeof text === 'string' ? s.includes(text) : text.test(s);
      };
      if (has()) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`timed out waiting for ${String(text)} on ${stream}\n--- stdout ---\n${out}\n--- stderr ---\n${err}`));
        }, timeoutMs);
        const check = () => {
          if (!has()) return;
          clearTimeout(timer);
          listeners.delete(check);
          resolve();
        };
        listeners.add(check);
        void exited.then(() => {
          if (!has()) {
            clearTimeout(timer);
            listeners.delete(check);
            reject(new Error(`process exited while waiting for ${String(text)}\n--- stdout ---\n${out}\n--- stderr ---\n${err}`));
          }
        });
      });
    },
  };
}

/** The gateway URL the CLI printed (`portcullis gateway listening on http://…`). */
export function listeningUrl(child: Child): string {
  const m = /gateway listening on (http:\/\/\S+)/.exec(child.stdout());
  if (!m) throw new Error(`no listening line in:\n${child.stdout()}`);
  return m[1]!;
}

export function adminUrlOf(child: Child): string {
  const m = /admin \(\/metrics, \/healthz, \/readyz\) on (http:\/\/\S+)/.exec(child.stdout());
  if (!m) throw new Error(`no admin line in:\n${child.stdout()}`);
  return m[1]!;
}

/** Lines of a file (empty when missing). */
export function fileLines(path: string): string[] {
  return existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean) : [];
}

/** Polls `check` until it returns true (or throws after `timeoutMs`). */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

// ---------------------------------------------------------------------------------------------
// Lambda handler sources

/**
 * REQUEST authorizer (payload 2.0, simple responses). Decides on the Authorization header:
 * `allow` → allowed with context; `deny` → isAuthorized false (403); `boom` → throws (500);
 * `unauthorized` → throws `Unauthorized` (401). Appends one line per invocation to `invocations.log`.
 */
export const AUTH_HANDLER = String.raw`
import { appendFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
const log = join(dirname(fileURLToPath(import.meta.url)), 'invocations.log');
export async function handler(event) {
  appendFileSync(log, 'x\n');
  const h = event.headers?.authorization ?? '';
  if (h === 'allow' || h.startsWith('allow')) return { isAuthorized: true, context: { user: 'user-7', tenant: 'acme', admin: true } };
  if (h === 'boom') throw new Error('authorizer exploded');
  if (h === 'unauthorized') throw new Error('Unauthorized');
  return { isAuthorized: false, context: { reason: 'no' } };
}
`;

/** A Lambda integration: `?sleep=ms` waits, `?crash=1` throws, else echoes a small JSON body. */
export const ECHO_HANDLER = String.raw`
export async function handler(event) {
  const q = event.queryStringParameters ?? {};
  if (q.sleep) await new Promise((r) => setTimeout(r, Number(q.sleep)));
  if (q.crash) throw new Error('integration crashed');
  return { statusCode: 200, headers: { 'content-type': 'application/json', 'access-control-allow-origin': 'https://backend-says.example' }, body: JSON.stringify({ ok: true, route: event.routeKey, version: process.env.VERSION ?? '1' }) };
}
`;

// ---------------------------------------------------------------------------------------------
// Bounded load

export interface LoadResult {
  sent: number;
  ok: number;
  failures: string[];
  /** Response bodies seen, with counts. */
  bodies: Map<string, number>;
}

/**
 * `concurrency` loops, each sending GET `url` back to back until `stop` resolves (or `maxRequests`
 * in total). Anything but a 200 (or a network error) is a failure.
 */
export function runLoad(url: string, concurrency: number, stop: Promise<unknown>, maxRequests = 5000): Promise<LoadResult> & { live: LoadResult } {
  const result: LoadResult = { sent: 0, ok: 0, failures: [], bodies: new Map() };
  let stopped = false;
  void stop.then(() => (stopped = true));
  const loop = async () => {
    while (!stopped && result.sent < maxRequests) {
      result.sent++;
      try {
        const r = await send('GET', url);
        if (r.status === 200) result.ok++;
        else result.failures.push(`${r.status} ${r.body.slice(0, 200)}`);
        result.bodies.set(r.body, (result.bodies.get(r.body) ?? 0) + 1);
      } catch (err) {
        result.failures.push(`network: ${(err as Error).message}`);
      }
    }
  };
  return Object.assign(Promise.all(Array.from({ length: concurrency }, loop)).then(() => result), { live: result });
}

/** Waits until `load` has answered `count` more requests than now (progress, whatever the machine's speed). */
export async function loadProgress(load: { live: LoadResult }, count: number): Promise<void> {
  const target = load.live.ok + load.live.failures.length + count;
  await eventually(() => load.live.ok + load.live.failures.length >= target, 10_000, `${count} more requests`);
}
