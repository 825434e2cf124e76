/**
 * Lambda authorizer throughput through the real gateway: cached decisions vs an invocation per
 * request. Mock integration (no upstream), so the numbers isolate the authorizer's cost.
 *
 * Usage: node --import tsx bench/lambda-authorizer.bench.ts [--seconds 5] [--connections 32]
 * Two parts: `authorize()` called in process (the plug-in's own cost), then HTTP through the gateway.
 * Prints one JSON line per case and a Markdown table (for docs/BENCHMARKS.md).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'undici';
import { parseConfig } from '../src/config.ts';
import { startGateway } from '../src/gateway.ts';
import { createLogger } from '../src/io/logger.ts';
import { createLambdaRuntime } from '../src/io/lambda-runtime.ts';
import { createLambdaAuthorizer } from '../src/authorizers/lambda.ts';
import { systemClock } from '../src/core/clock.ts';
import type { LambdaAuthorizerConfig } from '../src/authorizers/lambda.ts';
import { makeInput } from '../test/lambda-authorizer/helpers.ts';

const HANDLER = `
export async function handler(event) {
  const arn = event.methodArn ?? event.routeArn;
  return {
    principalId: 'user-1',
    policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: arn.split('/').slice(0, 2).join('/') + '/*' }] },
    context: { tenant: 'acme', admin: false },
  };
}`;

interface Case {
  name: string;
  path: string;
  /** A distinct token per request defeats the cache even when it is on. */
  token: (i: number) => string;
}

export interface BenchResult {
  name: string;
  requests: number;
  seconds: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  non200: number;
}

export async function runLambdaAuthorizerBench(options: { seconds?: number; connections?: number } = {}): Promise<BenchResult[]> {
  const seconds = options.seconds ?? 5;
  const connections = options.connections ?? 32;
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-bench-'));
  writeFileSync(join(dir, 'auth.mjs'), HANDLER);
  const config = parseConfig({
    apis: [
      {
        name: 'bench',
        protocol: 'rest',
        stage: 'prod',
        authorizers: {
          cached: { authorizerType: 'TOKEN', function: { handler: './auth.mjs', reservedConcurrency: 4 }, authorizerResultTtlInSeconds: 300 },
          uncached: { authorizerType: 'TOKEN', function: { handler: './auth.mjs', reservedConcurrency: 4 }, authorizerResultTtlInSeconds: 0 },
        },
        routes: {
          'GET /cached': { authorizerId: 'cached', integration: { type: 'mock', statusCode: 200, body: '{"ok":true}' } },
          'GET /uncached': { authorizerId: 'uncached', integration: { type: 'mock', statusCode: 200, body: '{"ok":true}' } },
          'GET /open': { integration: { type: 'mock', statusCode: 200, body: '{"ok":true}' } },
        },
      },
    ],
  });
  const gw = await startGateway(config, { baseDir: dir, port: 0, host: '127.0.0.1', logger: createLogger({ level: 'silent' }) });
  const cases: Case[] = [
    { name: 'no authorizer (baseline)', path: '/prod/open', token: () => 'x' },
    { name: 'lambda TOKEN, cached (TTL 300, one token)', path: '/prod/cached', token: () => 'Bearer same-token' },
    { name: 'lambda TOKEN, uncached (TTL 0)', path: '/prod/uncached', token: (i) => `Bearer t-${i}` },
    { name: 'lambda TOKEN, cache on, every token new (all misses)', path: '/prod/cached', token: (i) => `Bearer miss-${i}` },
  ];
  const results: BenchResult[] = [];
  try {
    for (const c of cases) results.push(await load(gw.url, c, seconds, connections));
  } finally {
    await gw.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
}

async function load(base: string, c: Case, seconds: number, connections: number): Promise<BenchResult> {
  const pool = new Pool(base, { connections, pipelining: 1 });
  // Warm-up: cold starts of the worker pool are not what we measure.
  await Promise.all(Array.from({ length: connections }, (_, i) => once(pool, c, i)));
  const latencies: number[] = [];
  let non200 = 0;
  let n = 0;
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < deadline) {
        const t = performance.now();
        const status = await once(pool, c, n++);
        latencies.push(performance.now() - t);
        if (status !== 200) non200++;
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  await pool.close();
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => Number((latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0).toFixed(2));
  return { name: c.name, requests: latencies.length, seconds: Number(elapsed.toFixed(2)), rps: Math.round(latencies.length / elapsed), p50Ms: pct(0.5), p99Ms: pct(0.99), non200 };
}

async function once(pool: Pool, c: Case, i: number): Promise<number> {
  const res = await pool.request({ method: 'GET', path: c.path, headers: { authorization: c.token(i) } });
  await res.body.dump();
  return res.statusCode;
}

/**
 * In-process: `authorize()` called directly (no sockets), `concurrency` calls in flight, so the
 * numbers show the plug-in's own cost: hash + LRU + policy evaluation vs a worker-thread invocation.
 */
export async function runDirectBench(options: { seconds?: number; concurrency?: number } = {}): Promise<BenchResult[]> {
  const seconds = options.seconds ?? 3;
  const concurrency = options.concurrency ?? 16;
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-bench-'));
  writeFileSync(join(dir, 'auth.mjs'), HANDLER);
  const runtime = createLambdaRuntime({ region: 'us-east-1', accountId: '123456789012' });
  const gateway = parseConfig({
    apis: [{
      name: 'direct', protocol: 'rest', stage: 'prod',
      authorizers: {
        cached: { authorizerType: 'TOKEN', function: { handler: './auth.mjs' }, authorizerResultTtlInSeconds: 300 },
        uncached: { authorizerType: 'TOKEN', function: { handler: './auth.mjs' }, authorizerResultTtlInSeconds: 0 },
      },
      routes: { 'GET /pets/{id}': { authorizerId: 'cached', integration: { type: 'mock' } } },
    }],
  });
  const api = gateway.apis[0]!;
  const deps = { clock: systemClock, lambdaRuntime: runtime, logger: createLogger({ level: 'silent' }), baseDir: dir, gateway };
  const results: BenchResult[] = [];
  try {
    for (const [name, id, token] of [
      ['authorize() direct, cached (one token)', 'cached', () => 'Bearer same'],
      ['authorize() direct, uncached (TTL 0)', 'uncached', (i: number) => `Bearer t-${i}`],
    ] as const) {
      const authorizer = createLambdaAuthorizer(id, api.authorizers[id] as LambdaAuthorizerConfig, api, deps);
      const input = (i: number) => makeInput(api, { rawPath: '/prod/pets/7', headers: [['Authorization', token(i)]], stage: 'prod', routeKey: 'GET /pets/{id}', resourcePath: '/pets/{id}', pathParameters: { id: '7' } });
      await Promise.all(Array.from({ length: concurrency }, (_, i) => authorizer.authorize(input(i))));
      const latencies: number[] = [];
      let n = 0;
      const started = performance.now();
      const deadline = started + seconds * 1000;
      await Promise.all(Array.from({ length: concurrency }, async () => {
        while (performance.now() < deadline) {
          const t = performance.now();
          await authorizer.authorize(input(n++));
          latencies.push(performance.now() - t);
        }
      }));
      const elapsed = (performance.now() - started) / 1000;
      latencies.sort((a, b) => a - b);
      const pct = (p: number) => Number((latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0).toFixed(3));
      results.push({ name, requests: latencies.length, seconds: Number(elapsed.toFixed(2)), rps: Math.round(latencies.length / elapsed), p50Ms: pct(0.5), p99Ms: pct(0.99), non200: 0 });
    }
  } finally {
    await runtime.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
}

function arg(name: string): number | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : undefined;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const seconds = arg('seconds') ?? 5;
  const connections = arg('connections') ?? 32;
  const results = [...(await runDirectBench({ seconds: Math.min(seconds, 3), concurrency: connections })), ...(await runLambdaAuthorizerBench({ seconds, connections }))];
  for (const r of results) console.log(JSON.stringify(r));
  console.log(`\nNode ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), ${connections} connections, ${seconds} s per case\n`);
  console.log('| case | req/s | p50 ms | p99 ms | non-200 |\n| --- | ---: | ---: | ---: | ---: |');
  for (const r of results) console.log(`| ${r.name} | ${r.rps} | ${r.p50Ms} | ${r.p99Ms} | ${r.non200} |`);
}
