/**
 * Soak: mixed traffic against a real `portcullis start` gateway and a real `portcullis core`, each in
 * its own process, for 30 minutes by default. On demand only (never in CI):
 *
 *   node --import tsx bench/soak.ts [--minutes 30] [--rps 300] [--concurrency 24] [--out soak.json]
 *
 * Topology (all on 127.0.0.1, ephemeral ports):
 *   core      `portcullis core` on SQLite in a temp dir (cheap argon2 so sign-ins do not dominate)
 *   gateway   `portcullis start` with
 *               HTTP API  GET /jwt       JWT authorizer trusting the core's JWKS (RS256 session tokens)
 *                         GET /lambda    Lambda proxy integration (worker threads)
 *                         GET /down      HTTP integration to a closed port (an injected fault: 500)
 *                         GET /flaky     REQUEST authorizer whose handler throws for x-mode: throw (fault: 500)
 *               REST API  GET /prod/rest TOKEN Lambda authorizer (decision cache 300 s) → HTTP upstream
 *   upstream  a small echo server inside this process
 *
 * Every request has an expected status; anything else is an unexpected error, and a request without
 * an answer within 10 s is "lost". Each minute (or each sample interval for short runs) prints and
 * records: requests, unexpected errors, lost, p50/p99 latency, gateway and core RSS and open file
 * descriptors (/proc/PID/fd), and the soak process's own active handles.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, sign as cryptoSign, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { Agent, request } from 'undici';

const { values: args } = parseArgs({
  options: {
    minutes: { type: 'string', default: '30' },
    rps: { type: 'string', default: '300' },
    concurrency: { type: 'string', default: '24' },
    out: { type: 'string' },
    'sample-seconds': { type: 'string' },
  },
});
const minutes = Number(args.minutes);
const targetRps = Number(args.rps);
const concurrency = Number(args.concurrency);
const durationMs = minutes * 60_000;
const sampleMs = args['sample-seconds'] ? Number(args['sample-seconds']) * 1000 : Math.min(60_000, Math.max(10_000, durationMs / 12));
if (!(minutes > 0) || !(targetRps > 0) || !(concurrency > 0)) {
  process.stderr.write('usage: node --import tsx bench/soak.ts [--minutes 30] [--rps 300] [--concurrency 24] [--out file.json]\n');
  process.exit(2);
}

const BIN = new URL('../bin/portcullis.mjs', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'portcullis-soak-'));
const children: ChildProcess[] = [];

function startProcess(args: string[], match: RegExp): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], cwd: work, env: { ...process.env, PORTCULLIS_LOG_LEVEL: 'error' } });
  children.push(child);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
    if (stderr.length > 20_000) stderr = stderr.slice(-10_000);
  });
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.on('line', (line) => {
      const m = match.exec(line);
      if (m) resolve({ child, url: m[1]! });
    });
    child.once('exit', (code) => reject(new Error(`${args[0]} exited (${code}) before listening: ${stderr}`)));
  });
}

/** RSS (MB) and open fds of a process, from /proc. */
function procStats(pid: number | undefined): { rssMb: number; fds: number } {
  if (pid === undefined) return { rssMb: NaN, fds: NaN };
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
    return { rssMb: Math.round(rssKb / 1024), fds: readdirSync(`/proc/${pid}/fd`).length };
  } catch {
    return { rssMb: NaN, fds: NaN };
  }
}

const b64url = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

async function main(): Promise<void> {
  // --- upstream (in this process) and a port nothing listens on --------------------------------
  const upstream: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ user: req.headers['x-user-id'] ?? null })));
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', () => r()));
  const upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  const closed = createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', () => r()));
  const closedPort = (closed.address() as AddressInfo).port;
  await new Promise<void>((r) => closed.close(() => r()));

  // --- core -------------------------------------------------------------------------------------
  writeFileSync(join(work, 'core.yaml'), `core:\n  dataDir: ${join(work, 'core-data')}\n  passwordHashing: { algorithm: argon2id, argon2MemoryKib: 1024, argon2Iterations: 1, argon2Parallelism: 1 }\n`);
  const core = await startProcess(['core', '--config', join(work, 'core.yaml'), '--port', '0'], /listening on (http:\/\/\S+)/);
  const coreHeaders = { 'cdi-version': '5.4', 'content-type': 'application/json' };
  const dispatcher = new Agent({ connections: concurrency * 2, keepAliveTimeout: 30_000 });
  async function cdi(path: string, body: unknown): Promise<{ status: number; json: any }> {
    const res = await request(core.url + path, { method: 'POST', headers: coreHeaders, body: JSON.stringify(body), dispatcher, headersTimeout: 10_000, bodyTimeout: 10_000 });
    const text = await res.body.text();
    return { status: res.statusCode, json: res.statusCode === 200 ? JSON.parse(text) : text };
  }

  // --- gateway ----------------------------------------------------------------------------------
  writeFileSync(join(work, 'echo.mjs'), `export const handler = async (event) => ({ statusCode: 200, body: JSON.stringify({ path: event.rawPath }) });`);
  writeFileSync(join(work, 'token-auth.mjs'), `
const policy = (effect, arn) => ({ Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: effect, Resource: arn.split('/').slice(0, 2).join('/') + '/*' }] });
export const handler = async (event) => {
  const t = event.authorizationToken.replace(/^Bearer /, '');
  if (t.startsWith('allow-')) return { principalId: t.slice(6), policyDocument: policy('Allow', event.methodArn), context: { tier: 'gold' } };
  if (t.startsWith('deny-')) return { principalId: t.slice(5), policyDocument: policy('Deny', event.methodArn) };
  throw new Error('Unauthorized');
};`);
  writeFileSync(join(work, 'flaky-auth.mjs'), `export const handler = async (event) => { if (event.headers['x-mode'] === 'throw') throw new Error('injected'); return { isAuthorized: event.headers['x-mode'] === 'ok' }; };`);
  const gatewayConfig = {
    server: { port: 0, shutdownTimeoutMs: 2000 },
    apis: [
      {
        name: 'soak-http', protocol: 'http', stage: '$default',
        authorizers: {
          jwt: { authorizerType: 'JWT', jwtConfiguration: { issuer: 'https://soak.portcullis.test', audience: ['soak'] }, jwksUri: `${core.url}/.well-known/jwks.json` },
          flaky: { authorizerType: 'REQUEST', function: { handler: './flaky-auth.mjs' }, identitySource: ['$request.header.x-mode'], enableSimpleResponses: true, authorizerResultTtlInSeconds: 0 },
        },
        routes: {
          'GET /jwt': { authorizerId: 'jwt', integration: { type: 'http', uri: `${upstreamUrl}/jwt` } },
          'GET /lambda': { integration: { type: 'lambda', handler: './echo.mjs' } },
          'GET /down': { integration: { type: 'http', uri: `http://127.0.0.1:${closedPort}/x` } },
          'GET /flaky': { authorizerId: 'flaky', integration: { type: 'mock', statusCode: 200, body: 'ok' } },
        },
      },
      {
        name: 'soak-rest', protocol: 'rest', stage: 'prod',
        authorizers: { token: { authorizerType: 'TOKEN', function: { handler: './token-auth.mjs' }, authorizerResultTtlInSeconds: 300 } },
        routes: { 'GET /rest': { authorizerId: 'token', integration: { type: 'http', uri: `${upstreamUrl}/rest`, requestParameters: { 'integration.request.header.x-user-id': 'context.authorizer.principalId' } } } },
      },
    ],
  };
  writeFileSync(join(work, 'gateway.json'), JSON.stringify(gatewayConfig, null, 2));
  const gateway = await startProcess(['start', '--config', join(work, 'gateway.json'), '--port', '0'], /gateway listening on (http:\/\/\S+)/);

  // --- sessions from the core: valid JWTs, refresh tokens ---------------------------------------
  const sessions: Array<{ refresh: string; access: string }> = [];
  async function newSession(i: number): Promise<{ refresh: string; access: string }> {
    const r = await cdi('/public/recipe/session', { userId: `soak-user-${i}`, userDataInJWT: { iss: 'https://soak.portcullis.test', aud: 'soak' }, userDataInDatabase: {}, useDynamicSigningKey: true, enableAntiCsrf: false });
    if (r.json?.status !== 'OK') throw new Error(`session create failed: ${JSON.stringify(r.json)}`);
    return { refresh: r.json.refreshToken.token, access: r.json.accessToken.token };
  }
  for (let i = 0; i < 32; i++) sessions.push(await newSession(i));
  const attacker = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const forged = (n: number) => {
    const input = `${b64url({ alg: 'RS256', kid: `unknown-${n}` })}.${b64url({ iss: 'https://soak.portcullis.test', aud: 'soak', sub: `x${n}`, exp: Math.floor(Date.now() / 1000) + 600 })}`;
    return `${input}.${cryptoSign('sha256', Buffer.from(input), attacker.privateKey).toString('base64url')}`;
  };
  const forgedPool = Array.from({ length: 64 }, (_, i) => forged(i));

  // --- the traffic mix: [weight, name, expected statuses, action] --------------------------------
  type Kind = 'good' | 'bad-input' | 'fault';
  interface Op { name: string; weight: number; kind: Kind; run(n: number): Promise<number>; expect: number[] }
  const gw = async (path: string, headers: Record<string, string> = {}) => {
    const res = await request(gateway.url + path, { headers, dispatcher, headersTimeout: 10_000, bodyTimeout: 10_000 });
    await res.body.dump();
    return res.statusCode;
  };
  const rawBad = (bytes: string) => new Promise<number>((resolve) => {
    const url = new URL(gateway.url);
    const s = connect(Number(url.port), url.hostname);
    let text = '';
    const timer = setTimeout(() => s.destroy(), 10_000);
    s.on('data', (d) => (text += d.toString('latin1')));
    s.on('close', () => {
      clearTimeout(timer);
      resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0));
    });
    s.on('error', () => undefined);
    s.end(bytes);
  });
  const pick = <T,>(a: readonly T[], n: number) => a[n % a.length]!;
  const ops: Op[] = [
    { name: 'jwt valid', weight: 30, kind: 'good', expect: [200], run: (n) => gw('/jwt', { authorization: `Bearer ${pick(sessions, n).access}` }) },
    { name: 'jwt forged/unknown kid', weight: 8, kind: 'bad-input', expect: [401], run: (n) => gw('/jwt', { authorization: `Bearer ${pick(forgedPool, n)}` }) },
    { name: 'jwt tampered', weight: 5, kind: 'bad-input', expect: [401], run: (n) => { const t = pick(sessions, n).access; return gw('/jwt', { authorization: `Bearer ${t.slice(0, -6)}AAAAAA` }); } },
    { name: 'jwt garbage', weight: 4, kind: 'bad-input', expect: [401], run: (n) => gw('/jwt', { authorization: `Bearer ${createHash('sha256').update(String(n)).digest('base64url')}` }) },
    { name: 'jwt missing', weight: 3, kind: 'bad-input', expect: [401], run: () => gw('/jwt') },
    { name: 'rest allow', weight: 20, kind: 'good', expect: [200], run: (n) => gw('/prod/rest', { authorization: `Bearer allow-${n % 500}` }) },
    { name: 'rest deny', weight: 4, kind: 'bad-input', expect: [403], run: (n) => gw('/prod/rest', { authorization: `Bearer deny-${n % 50}` }) },
    { name: 'rest unauthorized', weight: 4, kind: 'bad-input', expect: [401], run: (n) => gw('/prod/rest', { authorization: `nope-${n}` }) },
    { name: 'lambda integration', weight: 8, kind: 'good', expect: [200], run: () => gw('/lambda') },
    { name: 'malformed request', weight: 1, kind: 'bad-input', expect: [400], run: () => rawBad('GARBAGE\r\n\r\n') },
    { name: 'smuggling CL+TE', weight: 1, kind: 'bad-input', expect: [400], run: () => rawBad('POST /lambda HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n') },
    { name: 'prototype-named headers', weight: 1, kind: 'bad-input', expect: [200], run: () => gw('/lambda?constructor=1&__proto__=2', { constructor: 'x', tostring: 'y' }) },
    { name: 'fault: upstream down', weight: 1, kind: 'fault', expect: [500], run: () => gw('/down') },
    { name: 'fault: authorizer throws', weight: 1, kind: 'fault', expect: [500], run: () => gw('/flaky', { 'x-mode': 'throw' }) },
    { name: 'core refresh', weight: 6, kind: 'good', expect: [200], run: async (n) => {
      const i = n % sessions.length;
      const s = sessions[i]!;
      const r = await cdi('/recipe/session/refresh', { refreshToken: s.refresh, enableAntiCsrf: false, useDynamicSigningKey: true });
      if (r.status === 200 && r.json.status === 'OK') sessions[i] = { refresh: r.json.refreshToken.token, access: r.json.accessToken.token };
      return r.status === 200 && r.json.status !== 'OK' ? 599 : r.status;
    } },
    { name: 'core bad refresh token', weight: 1, kind: 'bad-input', expect: [200], run: async (n) => (await cdi('/recipe/session/refresh', { refreshToken: `bogus-${n}`, enableAntiCsrf: false, useDynamicSigningKey: true })).status },
    { name: 'core invalid json', weight: 1, kind: 'bad-input', expect: [400], run: async () => {
      const res = await request(`${core.url}/recipe/session/refresh`, { method: 'POST', headers: coreHeaders, body: '{"refreshToken":', dispatcher });
      await res.body.dump();
      return res.statusCode;
    } },
  ];
  const totalWeight = ops.reduce((s, o) => s + o.weight, 0);
  const cumulative: Array<[number, Op]> = [];
  let acc = 0;
  for (const o of ops) cumulative.push([(acc += o.weight), o]);
  let rng = 0x9e3779b9;
  const random = () => {
    rng ^= rng << 13;
    rng ^= rng >>> 17;
    rng ^= rng << 5;
    return (rng >>> 0) / 4294967296;
  };
  const chooseOp = () => {
    const x = random() * totalWeight;
    return cumulative.find(([c]) => x < c)![1];
  };

  // --- run --------------------------------------------------------------------------------------
  interface Window { requests: number; unexpected: number; lost: number; latencies: number[]; byKind: Record<Kind, number>; unexpectedByOp: Record<string, number> }
  const newWindow = (): Window => ({ requests: 0, unexpected: 0, lost: 0, latencies: [], byKind: { good: 0, 'bad-input': 0, fault: 0 }, unexpectedByOp: {} });
  let window = newWindow();
  const totals = newWindow();
  const samples: Array<Record<string, number | string>> = [];
  const started = Date.now();
  const deadline = started + durationMs;
  let seq = 0;
  const intervalMs = 1000 / targetRps;
  let nextSlot = performance.now();

  async function worker(): Promise<void> {
    while (Date.now() < deadline) {
      // Open-loop pacing shared by all workers: each takes the next slot.
      const slot = nextSlot;
      nextSlot += intervalMs;
      const wait = slot - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const op = chooseOp();
      const n = seq++;
      const t0 = performance.now();
      let status: number;
      try {
        status = await op.run(n);
      } catch (err) {
        status = /timeout/i.test(String((err as Error).message ?? err)) ? -1 : 0;
      }
      const ms = performance.now() - t0;
      for (const w of [window, totals]) {
        w.requests++;
        w.byKind[op.kind]++;
        w.latencies.push(ms);
        if (status === -1) w.lost++;
        if (!op.expect.includes(status)) {
          w.unexpected++;
          w.unexpectedByOp[`${op.name} → ${status}`] = (w.unexpectedByOp[`${op.name} → ${status}`] ?? 0) + 1;
        }
      }
      if (totals.latencies.length > 200_000) totals.latencies.splice(0, 100_000);
    }
  }

  const pct = (xs: number[], p: number) => {
    if (xs.length === 0) return 0;
    const s = [...xs].sort((a, b) => a - b);
    return Math.round(s[Math.min(s.length - 1, Math.floor(s.length * p))]! * 10) / 10;
  };
  function sample(): void {
    const g = procStats(gateway.child.pid);
    const c = procStats(core.child.pid);
    const row = {
      minute: Math.round(((Date.now() - started) / 60_000) * 100) / 100,
      requests: window.requests,
      rps: Math.round(window.requests / (sampleMs / 1000)),
      unexpected: window.unexpected,
      lost: window.lost,
      p50: pct(window.latencies, 0.5),
      p99: pct(window.latencies, 0.99),
      gatewayRssMb: g.rssMb,
      gatewayFds: g.fds,
      coreRssMb: c.rssMb,
      coreFds: c.fds,
      soakHandles: (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles().length,
    };
    samples.push(row);
    if (window.unexpected > 0) process.stdout.write(`  unexpected: ${JSON.stringify(window.unexpectedByOp)}\n`);
    process.stdout.write(`${Object.entries(row).map(([k, v]) => `${k}=${v}`).join(' ')}\n`);
    window = newWindow();
  }
  process.stdout.write(`soak: ${minutes} min at ${targetRps} req/s (${concurrency} workers); gateway ${gateway.url} (pid ${gateway.child.pid}), core ${core.url} (pid ${core.child.pid})\n`);
  let lastSampleAt = Date.now();
  const timer = setInterval(() => {
    lastSampleAt = Date.now();
    sample();
  }, sampleMs);
  await Promise.all(Array.from({ length: concurrency }, worker));
  clearInterval(timer);
  if (Date.now() - lastSampleAt > sampleMs / 2) sample(); // a trailing stub would skew the table

  // --- after the run: every session still refreshes (nothing lost in the core) -------------------
  let sessionsLost = 0;
  for (const s of sessions) {
    const r = await cdi('/recipe/session/refresh', { refreshToken: s.refresh, enableAntiCsrf: false, useDynamicSigningKey: true });
    if (r.json?.status !== 'OK') sessionsLost++;
  }
  const first = samples[0];
  const last = samples.at(-1);
  const summary = {
    minutes,
    targetRps,
    requests: totals.requests,
    good: totals.byKind.good,
    badInputs: totals.byKind['bad-input'],
    faultsInjected: totals.byKind.fault,
    unexpected: totals.unexpected,
    unexpectedByOp: totals.unexpectedByOp,
    lost: totals.lost,
    sessionsLost,
    p50: pct(totals.latencies, 0.5),
    p99: pct(totals.latencies, 0.99),
    p99PerSample: samples.map((s) => s.p99),
    gatewayRssMb: { first: first?.gatewayRssMb, last: last?.gatewayRssMb, max: Math.max(...samples.map((s) => Number(s.gatewayRssMb))) },
    gatewayFds: { first: first?.gatewayFds, last: last?.gatewayFds, max: Math.max(...samples.map((s) => Number(s.gatewayFds))) },
    coreRssMb: { first: first?.coreRssMb, last: last?.coreRssMb, max: Math.max(...samples.map((s) => Number(s.coreRssMb))) },
    coreFds: { first: first?.coreFds, last: last?.coreFds },
    samples,
  };
  process.stdout.write(`\nsummary: ${JSON.stringify({ ...summary, samples: undefined, p99PerSample: undefined })}\n`);
  if (args.out) writeFileSync(args.out, JSON.stringify(summary, null, 2));
  await dispatcher.close();
  await new Promise<void>((r) => upstream.close(() => r()));
  process.exitCode = summary.unexpected === 0 && summary.lost === 0 && sessionsLost === 0 ? 0 : 1;
}

function cleanup(): void {
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  rmSync(work, { recursive: true, force: true });
}
process.on('SIGINT', () => {
  cleanup();
  process.exit(130);
});
main()
  .catch((err: unknown) => {
    process.stderr.write(`soak failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  })
  .finally(async () => {
    const exits = children.filter((c) => c.exitCode === null).map((c) => new Promise((r) => c.once('exit', r)));
    cleanup();
    await Promise.race([Promise.all(exits), new Promise((r) => setTimeout(r, 5000))]);
  });
