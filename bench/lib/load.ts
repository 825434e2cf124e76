/**
 * One measured case: correctness matrix, warm-up, then `wrk` while sampling the gateway's CPU and RSS.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { cpuMicros, peakRssMb } from './proc.ts';
import { BAD_TOKENS, type BenchKeys } from './keys.ts';
import type { CheckKind, TokenMode } from '../cases.ts';

export interface WrkResult {
  requests: number;
  duration_us: number;
  rps: number;
  p50_us: number;
  p90_us: number;
  p99_us: number;
  p999_us: number;
  max_us: number;
  err_connect: number;
  err_read: number;
  err_write: number;
  err_status: number;
  err_timeout: number;
}

export function runWrk(opts: { url: string; path: string; tokenFile: string | null; connections: number; seconds: number; lua: string }): Promise<WrkResult> {
  return new Promise((resolve, reject) => {
    execFile(
      'wrk',
      ['-t1', `-c${opts.connections}`, `-d${opts.seconds}s`, '--timeout', '10s', '-s', opts.lua, opts.url],
      { env: { ...process.env, TOKEN_FILE: opts.tokenFile ?? '', REQ_PATH: opts.path }, timeout: (opts.seconds + 30) * 1000, maxBuffer: 1 << 20 },
      (err, stdout, stderr) => {
        const m = /^WRKJSON (.*)$/m.exec(stdout);
        if (!m) return reject(new Error(`wrk gave no result: ${err?.message ?? ''} ${stderr.slice(0, 300)}`));
        resolve(JSON.parse(m[1]!) as WrkResult);
      },
    );
  });
}

export type CheckResult = Record<string, number>;

/** valid + none + 7 bad tokens → status codes (`open` cases: valid only). */
export async function correctness(url: string, kind: CheckKind, keys: BenchKeys): Promise<{ codes: CheckResult; ok: boolean; accepts: string[]; body: string }> {
  const status = async (auth: string | null) => {
    const res = await fetch(url, { headers: auth === null ? {} : { authorization: `Bearer ${auth}` }, signal: AbortSignal.timeout(10_000) });
    const text = await res.text();
    return { status: res.status, text };
  };
  const valid = await status(keys.token);
  const codes: CheckResult = { valid: valid.status };
  if (kind === 'jwt') {
    codes.none = (await status(null)).status;
    for (const name of BAD_TOKENS) codes[name] = (await status(keys.bad[name])).status;
  }
  const accepts = Object.entries(codes).filter(([k, v]) => k !== 'valid' && v < 400).map(([k]) => k);
  const bodyOk = valid.text.includes('"service":"upstream"');
  const ok = valid.status === 200 && bodyOk && Object.entries(codes).every(([k, v]) => k === 'valid' || v === 401);
  return { codes, ok, accepts, body: valid.text.slice(0, 80) };
}

export interface Measurement {
  wrk: WrkResult;
  /** Gateway CPU µs per request (null for no-gateway cases). */
  cpuUsPerReq: number | null;
  rssMb: number | null;
  authorizerCallsPerReq: number | null;
}

export async function measure(opts: {
  url: string;
  path: string;
  token: TokenMode;
  keys: BenchKeys;
  gatewayPids: number[];
  connections: number;
  warmSeconds: number;
  seconds: number;
  root: string;
  authorizerCalls?: () => Promise<number | null>;
}): Promise<Measurement> {
  const lua = join(opts.root, 'bench/peers/bearer.lua');
  const tokenFile = opts.token === 'fresh' ? opts.keys.freshFile : opts.keys.tokenFile;
  const warmFile = opts.token === 'fresh' ? opts.keys.freshWarmFile : opts.keys.tokenFile;
  if (opts.warmSeconds > 0) await runWrk({ url: opts.url, path: opts.path, tokenFile: warmFile, connections: opts.connections, seconds: opts.warmSeconds, lua });
  const a0 = opts.authorizerCalls ? await opts.authorizerCalls() : null;
  const cpu0 = opts.gatewayPids.length ? cpuMicros(opts.gatewayPids) : 0;
  const wrk = await runWrk({ url: opts.url, path: opts.path, tokenFile, connections: opts.connections, seconds: opts.seconds, lua });
  const cpu1 = opts.gatewayPids.length ? cpuMicros(opts.gatewayPids) : 0;
  const a1 = opts.authorizerCalls ? await opts.authorizerCalls() : null;
  return {
    wrk,
    cpuUsPerReq: opts.gatewayPids.length && wrk.requests ? (cpu1 - cpu0) / wrk.requests : null,
    rssMb: opts.gatewayPids.length ? peakRssMb(opts.gatewayPids) : null,
    authorizerCallsPerReq: a0 !== null && a1 !== null && wrk.requests ? (a1 - a0) / wrk.requests : null,
  };
}
