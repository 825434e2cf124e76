/**
 * JWT authorizer benchmark (issue 4 item 6). Self-contained and bounded in time:
 *
 *   node --import tsx bench/jwt.bench.ts [--rounds 2] [--duration 4] [--warmup 2] [--connections 32] [--json]
 *
 * Starts on loopback: a discovery + JWKS server and an upstream (this process), and the real gateway
 * (a child process, so load generation does not share its event loop) with three routes proxying to
 * the upstream: `GET /open` (no authorizer), `GET /jwt` (JWT authorizer). Then measures requests per
 * second for: the open route, the JWT route with one repeated token, and the JWT route with a fresh
 * token per request (a pool of 12,000 distinct RS256 tokens cycled in order, larger than the
 * 10,000-entry verified-token cache, so every request pays for a full verification). After a
 * warm-up, the three run interleaved for `--rounds` rounds; each figure is the mean. Also prints a micro-benchmark of
 * signature verification: jose `jwtVerify` (awaited) vs node:crypto `verify` on a cached KeyObject.
 *
 * Targets: repeated >= 0.9 x open, fresh >= 0.6 x open.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, sign as cryptoSign, verify as cryptoVerify, createPublicKey } from 'node:crypto';
import { cpus, totalmem, platform, release } from 'node:os';
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { exportJWK, jwtVerify, importJWK } from 'jose';

const FRESH_POOL = 12_000;

interface Options {
  rounds: number;
  durationS: number;
  warmupS: number;
  connections: number;
  json: boolean;
}

function parseOptions(argv: string[]): Options {
  const o: Options = { rounds: 2, durationS: 4, warmupS: 2, connections: 32, json: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--duration') o.durationS = Number(argv[++i]);
    else if (a === '--rounds') o.rounds = Number(argv[++i]);
    else if (a === '--warmup') o.warmupS = Number(argv[++i]);
    else if (a === '--connections') o.connections = Number(argv[++i]);
    else if (a === '--json') o.json = true;
  }
  return o;
}

// ---------------------------------------------------------------------------------------------
// Child: the gateway

async function runChild(): Promise<void> {
  const { parseConfig } = await import('../src/config.ts');
  const { startGateway } = await import('../src/gateway.ts');
  const config = parseConfig(JSON.parse(process.env.PORTCULLIS_BENCH_CONFIG ?? '{}'));
  const gw = await startGateway(config, { port: 0, host: '127.0.0.1', baseDir: process.cwd() });
  process.stdout.write(`READY ${gw.url}\n`);
  process.on('SIGTERM', () => void gw.close().then(() => process.exit(0)));
}

// ---------------------------------------------------------------------------------------------
// Parent

function b64url(v: unknown): string {
  return Buffer.from(JSON.stringify(v)).toString('base64url');
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Signs `count` tokens across worker threads (RSA signing is ~1.5 ms each). */
async function signTokens(privatePem: string, header: string, issuer: string, count: number): Promise<string[]> {
  const workers = Math.max(1, Math.min(cpus().length, 4));
  const per = Math.ceil(count / workers);
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    const { sign } = require('node:crypto');
    const { pem, header, issuer, from, to, now } = workerData;
    const out = [];
    for (let i = from; i < to; i++) {
      const payload = Buffer.from(JSON.stringify({ iss: issuer, sub: 'user-' + i, aud: 'bench', scope: 'read', iat: now, exp: now + 3600, jti: String(i) })).toString('base64url');
      const input = header + '.' + payload;
      out.push(input + '.' + sign('sha256', Buffer.from(input), pem).toString('base64url'));
    }
    parentPort.postMessage(out);`;
  const now = Math.floor(Date.now() / 1000);
  const parts = await Promise.all(
    Array.from({ length: workers }, (_, w) =>
      new Promise<string[]>((resolve, reject) => {
        const worker = new Worker(code, { eval: true, workerData: { pem: privatePem, header, issuer, from: w * per, to: Math.min(count, (w + 1) * per), now } });
        worker.once('message', resolve);
        worker.once('error', reject);
      }),
    ),
  );
  return parts.flat();
}

interface RunResult {
  name: string;
  requests: number;
  seconds: number;
  rps: number;
  errors: number;
}

async function load(url: string, path: string, tokenFor: (i: number) => string | null, o: Options, name: string): Promise<RunResult> {
  const pool = new Pool(url, { connections: o.connections, pipelining: 1 });
  let i = 0;
  let errors = 0;
  const loop = async (endAt: number, counter: { n: number }) => {
    while (performance.now() < endAt) {
      const token = tokenFor(i++);
      const res = await pool.request({ path, method: 'GET', headers: token ? { authorization: `Bearer ${token}` } : {} });
      await res.body.dump();
      if (res.statusCode !== 200) errors++;
      counter.n++;
    }
  };
  const counter = { n: 0 };
  const started = performance.now();
  const end = started + o.durationS * 1000;
  await Promise.all(Array.from({ length: o.connections }, () => loop(end, counter)));
  const seconds = (performance.now() - started) / 1000;
  await pool.close();
  return { name, requests: counter.n, seconds, rps: counter.n / seconds, errors };
}

/** Verifications per second for one second of each approach, one at a time (awaited). */
async function micro(): Promise<{ joseAwaited: number; nodeCrypto: number }> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = await exportJWK(publicKey);
  const input = `${b64url({ alg: 'RS256', kid: 'k' })}.${b64url({ sub: 'x', exp: Math.floor(Date.now() / 1000) + 3600 })}`;
  const token = `${input}.${cryptoSign('sha256', Buffer.from(input), privateKey).toString('base64url')}`;
  const joseKey = await importJWK({ ...jwk, alg: 'RS256' }, 'RS256');
  const keyObject = createPublicKey({ key: jwk as never, format: 'jwk' });
  const sig = Buffer.from(token.split('.')[2]!, 'base64url');
  const measure = async (fn: () => unknown) => {
    let n = 0;
    const end = performance.now() + 1000;
    while (performance.now() < end) {
      await fn();
      n++;
    }
    return n;
  };
  const joseAwaited = await measure(() => jwtVerify(token, joseKey));
  const nodeCrypto = await measure(() => cryptoVerify('sha256', Buffer.from(input, 'latin1'), keyObject, sig));
  return { joseAwaited, nodeCrypto };
}

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...(await exportJWK(publicKey)), kid: 'bench-1', alg: 'RS256', use: 'sig' };

  let issuer = '';
  const idp = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.url === '/.well-known/openid-configuration') res.end(JSON.stringify({ issuer, jwks_uri: `${issuer}/jwks` }));
    else if (req.url === '/jwks') res.end(JSON.stringify({ keys: [jwk] }));
    else res.writeHead(404).end();
  });
  issuer = await listen(idp);
  const upstream = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2' });
    res.end('ok');
  });
  const upstreamUrl = await listen(upstream);

  const config = {
    apis: [
      {
        name: 'bench',
        protocol: 'http',
        stage: '$default',
        authorizers: { jwt: { authorizerType: 'JWT', jwtConfiguration: { issuer, audience: ['bench'] } } },
        routes: {
          'GET /open': { integration: { type: 'http', uri: `${upstreamUrl}/ok` } },
          'GET /jwt': { authorizerId: 'jwt', integration: { type: 'http', uri: `${upstreamUrl}/ok` } },
        },
      },
    ],
  };
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child'], {
    env: { ...process.env, PORTCULLIS_BENCH_CONFIG: JSON.stringify(config), PORTCULLIS_LOG_LEVEL: 'error' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const gatewayUrl = await new Promise<string>((resolve, reject) => {
    let buf = '';
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const m = /READY (\S+)/.exec(buf);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`gateway exited with ${code}`)));
  });

  try {
    const header = b64url({ alg: 'RS256', kid: 'bench-1', typ: 'JWT' });
    const log = (msg: string) => !o.json && process.stderr.write(msg + '\n');
    log(`signing ${FRESH_POOL} tokens...`);
    const tokens = await signTokens(privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, header, issuer, FRESH_POOL);
    const one = tokens[0]!;
    log(`gateway ${gatewayUrl}; ${o.connections} connections; ${o.warmupS}s warm-up + ${o.durationS}s per run`);
    // Warm every path first (JIT, connection pools, key cache), then interleave rounds so drift
    // (other load on the machine) hits every scenario alike; each figure is the mean of its rounds.
    await load(gatewayUrl, '/open', () => null, { ...o, durationS: o.warmupS }, 'warm-up');
    await load(gatewayUrl, '/jwt', (i) => tokens[i % tokens.length]!, { ...o, durationS: o.warmupS }, 'warm-up');
    const scenarios: Array<[string, string, (i: number) => string | null]> = [
      ['open (no authorizer)', '/open', () => null],
      ['jwt, repeated token', '/jwt', () => one],
      ['jwt, fresh token per request', '/jwt', (i) => tokens[i % tokens.length]!],
    ];
    const all: RunResult[][] = scenarios.map(() => []);
    for (let round = 0; round < o.rounds; round++) {
      for (const [k, [name, path, tokenFor]] of scenarios.entries()) all[k]!.push(await load(gatewayUrl, path, tokenFor, o, name));
    }
    const runs: RunResult[] = all.map((rs) => ({
      name: rs[0]!.name,
      requests: rs.reduce((a, r) => a + r.requests, 0),
      seconds: rs.reduce((a, r) => a + r.seconds, 0),
      rps: rs.reduce((a, r) => a + r.rps, 0) / rs.length,
      errors: rs.reduce((a, r) => a + r.errors, 0),
    }));
    const baseline = runs[0]!.rps;
    const m = await micro();
    const result = {
      date: new Date().toISOString(),
      machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memoryGb: Math.round(totalmem() / 2 ** 30), os: `${platform()} ${release()}`, node: process.version },
      connections: o.connections,
      rounds: o.rounds,
      durationS: o.durationS,
      runs: runs.map((r) => ({ ...r, rps: Math.round(r.rps), seconds: Number(r.seconds.toFixed(2)) })),
      baselineRps: Math.round(baseline),
      ratioRepeated: Number((runs[1]!.rps / baseline).toFixed(3)),
      ratioFresh: Number((runs[2]!.rps / baseline).toFixed(3)),
      targets: { repeated: 0.9, fresh: 0.6 },
      microVerifyPerSecond: m,
    };
    if (o.json) process.stdout.write(JSON.stringify(result, null, 2) + '\n');
    else {
      console.log(`\n${result.date}  ${result.machine.cpu} x${result.machine.cores}, ${result.machine.os}, node ${result.machine.node}`);
      for (const r of result.runs) console.log(`${r.name.padEnd(32)} ${String(r.rps).padStart(8)} req/s  (${r.requests} in ${r.seconds}s, ${r.errors} non-200)`);
      console.log(`ratio repeated/open: ${result.ratioRepeated} (target >= 0.9)   ratio fresh/open: ${result.ratioFresh} (target >= 0.6)`);
      console.log(`verify micro-benchmark (RS256, one at a time): jose jwtVerify awaited ${m.joseAwaited}/s, node:crypto verify on a KeyObject ${m.nodeCrypto}/s`);
    }
  } finally {
    child.kill('SIGTERM');
    idp.close();
    upstream.closeAllConnections();
    upstream.close();
  }
}

if (process.argv.includes('--child')) await runChild();
else await main();
