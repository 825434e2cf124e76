/**
 * Lambda runtimes through the real gateway: the same trivial handler as a Node module in worker threads,
 * in Python through awslambdaric and the Lambda Runtime API, and as a `provided` bootstrap; plus a mock
 * integration (no function) as the gateway's own floor, and each process runtime's cold start.
 *
 * Usage: node --import tsx bench/runtimes.bench.ts [--seconds 5] [--connections 4] [--concurrency 4]
 *        (npm run bench:runtimes). Needs python3 with venv; the virtualenv is built once under
 *        $PORTCULLIS_CACHE_DIR (default ~/.cache/portcullis), before anything is timed.
 * `concurrency` is each function's reservedConcurrency (environments); `connections` the client's.
 * Prints one JSON line per case and a Markdown table (for docs/BENCHMARKS.md).
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import { parseConfig } from '../src/config.ts';
import { startGateway } from '../src/gateway.ts';
import { createLogger } from '../src/io/logger.ts';
import { createLambdaRuntime } from '../src/io/runtimes/index.ts';

const { values: opt } = parseArgs({
  options: { seconds: { type: 'string', default: '5' }, connections: { type: 'string', default: '4' }, concurrency: { type: 'string', default: '4' } },
});
const seconds = Number(opt.seconds);
const connections = Number(opt.connections);
const concurrency = Number(opt.concurrency);

const NODE = `export async function handler(event) {
  return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ path: event.rawPath, ok: true }) };
}\n`;
const PYTHON = `import json
def handler(event, context):
    return {"statusCode": 200, "headers": {"content-type": "application/json"}, "body": json.dumps({"path": event["rawPath"], "ok": True})}
`;
// A bootstrap in Node (the custom-runtime loop on node:http; undici's fetch adds ~15 ms per exchange
// here, a client-side cost): the Runtime API's own cost without Python.
const BOOTSTRAP = `#!${process.execPath}
import http from 'node:http';
const [host, port] = process.env.AWS_LAMBDA_RUNTIME_API.split(':');
const agent = new http.Agent({ keepAlive: true });
const call = (method, path, body) => new Promise((resolve, reject) => {
  const req = http.request({ host, port, method, agent, path: '/2018-06-01/runtime/invocation/' + path, headers: body ? { 'content-length': Buffer.byteLength(body) } : {} }, (res) => {
    let text = '';
    res.setEncoding('utf8');
    res.on('data', (d) => (text += d));
    res.on('end', () => resolve({ headers: res.headers, text }));
  });
  req.on('error', reject);
  req.end(body);
});
for (;;) {
  const r = await call('GET', 'next');
  const event = JSON.parse(r.text);
  await call('POST', r.headers['lambda-runtime-aws-request-id'] + '/response', JSON.stringify({ statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ path: event.rawPath, ok: true }) }));
}
`;

interface Result {
  name: string;
  requests: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  non200: number;
}

const dir = mkdtempSync(join(tmpdir(), 'portcullis-bench-runtimes-'));
writeFileSync(join(dir, 'hello.mjs'), NODE);
mkdirSync(join(dir, 'py'));
writeFileSync(join(dir, 'py', 'app.py'), PYTHON);
writeFileSync(join(dir, 'py', 'requirements.txt'), 'awslambdaric==4.2.2\n');
mkdirSync(join(dir, 'custom'));
writeFileSync(join(dir, 'custom', 'bootstrap'), BOOTSTRAP);
chmodSync(join(dir, 'custom', 'bootstrap'), 0o755);

async function main(): Promise<void> {
  // The virtualenv first, untimed (pip from PyPI on the first run only).
  const warm = createLambdaRuntime({ region: 'us-east-1', accountId: '123456789012', prepareEagerly: true });
  const pyFn = warm.getFunction({ runtime: 'python3.11', codeDir: join(dir, 'py'), handler: 'app.handler', handlerPath: join(dir, 'py'), exportName: 'app.handler', functionName: 'warmup', timeoutMs: 60_000, reservedConcurrency: 1 });
  const first = await pyFn.invoke({ rawPath: '/warmup' }, 'warmup');
  await warm.close();
  if (!first.ok) throw new Error(`python warm-up failed: ${JSON.stringify(first)}`);

  // Cold starts: a fresh runtime per sample, time to the first answer (process start + imports + one invoke).
  const cold: Record<string, number[]> = { python3_11: [], provided: [] };
  for (let i = 0; i < 5; i++) {
    for (const [key, spec] of [
      ['python3_11', { runtime: 'python3.11', codeDir: join(dir, 'py'), handler: 'app.handler', handlerPath: join(dir, 'py') }],
      ['provided', { runtime: 'provided.al2023', codeDir: join(dir, 'custom'), handler: 'x', handlerPath: join(dir, 'custom', 'bootstrap') }],
    ] as const) {
      const rt = createLambdaRuntime({ region: 'us-east-1', accountId: '123456789012' });
      const fn = rt.getFunction({ ...spec, exportName: spec.handler, functionName: `cold-${key}`, timeoutMs: 10_000, reservedConcurrency: 1 });
      const t = performance.now();
      const r = await fn.invoke({ rawPath: '/cold' }, `cold-${i}`);
      cold[key]!.push(performance.now() - t);
      await rt.close();
      if (!r.ok) throw new Error(`cold start failed: ${JSON.stringify(r)}`);
    }
  }

  const fn = (extra: Record<string, unknown>) => ({ type: 'lambda', reservedConcurrency: concurrency, timeoutInMillis: 10_000, ...extra });
  const config = parseConfig({
    server: { workers: 1 },
    apis: [{
      name: 'bench', protocol: 'http', stage: '$default',
      routes: {
        'GET /mock': { integration: { type: 'mock', statusCode: 200, headers: { 'content-type': 'application/json' }, body: '{"path":"/mock","ok":true}' } },
        'GET /node': { integration: fn({ handler: './hello.mjs' }) },
        'GET /node-process': { integration: fn({ handler: './hello.mjs', isolation: 'process', functionName: 'hello-process' }) },
        'GET /python': { integration: fn({ runtime: 'python3.11', codeUri: './py', handler: 'app.handler' }) },
        'GET /provided': { integration: fn({ runtime: 'provided.al2023', codeUri: './custom', handler: 'x' }) },
      },
    }],
  });
  const gw = await startGateway(config, { baseDir: dir, port: 0, host: '127.0.0.1', logger: createLogger({ level: 'silent' }) });
  const results: Result[] = [];
  try {
    for (const [name, path] of [
      ['mock integration (no function)', '/mock'],
      ['nodejs (worker threads)', '/node'],
      ['nodejs, isolation: process (Runtime API)', '/node-process'],
      ['python3.11 (awslambdaric, Runtime API)', '/python'],
      ['provided.al2023 (Node bootstrap, Runtime API)', '/provided'],
    ] as const) {
      results.push(await load(gw.url, name, path));
    }
  } finally {
    await gw.close();
    rmSync(dir, { recursive: true, force: true });
  }
  for (const r of results) process.stdout.write(JSON.stringify(r) + '\n');
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const nodeRps = results[1]!.rps;
  process.stdout.write(`\n${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}; ${connections} connections, reservedConcurrency ${concurrency}, ${seconds} s per case\n\n`);
  process.stdout.write('| case | req/s | p50 ms | p99 ms | vs Node | non-200 |\n|---|---:|---:|---:|---:|---:|\n');
  for (const r of results) process.stdout.write(`| ${r.name} | ${r.rps} | ${r.p50Ms} | ${r.p99Ms} | ${(r.rps / nodeRps).toFixed(2)} | ${r.non200} |\n`);
  process.stdout.write(`\ncold start (spawn → first answer, median of 5): python3.11 ${median(cold.python3_11!).toFixed(0)} ms, provided (Node bootstrap) ${median(cold.provided!).toFixed(0)} ms\n`);
}

async function load(base: string, name: string, path: string): Promise<Result> {
  const pool = new Pool(base, { connections, pipelining: 1 });
  // Warm-up: every environment started before timing.
  for (let i = 0; i < 3; i++) await Promise.all(Array.from({ length: connections }, () => once(pool, path)));
  const latencies: number[] = [];
  let non200 = 0;
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < deadline) {
        const t = performance.now();
        const status = await once(pool, path);
        latencies.push(performance.now() - t);
        if (status !== 200) non200++;
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  await pool.close();
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => Number((latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0).toFixed(2));
  return { name, requests: latencies.length, rps: Math.round(latencies.length / elapsed), p50Ms: pct(0.5), p99Ms: pct(0.99), non200 };
}

async function once(pool: Pool, path: string): Promise<number> {
  const res = await pool.request({ method: 'GET', path });
  await res.body.dump();
  return res.statusCode;
}

await main();
