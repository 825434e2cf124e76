/**
 * Benchmark of the SuperTokens-compatible core: session create / verify / refresh per second over
 * loopback HTTP (what the SDK does), on SQLite and on PostgreSQL (skipped with a note when
 * PostgreSQL is unreachable). Prints a markdown table.
 *
 * Scale-out (docs/scale-out.md): `postgres, N process(es)` runs N separate `portcullis core`
 * processes on one PostgreSQL schema, the clients spread over them round-robin (as a load balancer
 * would), so one and two instances give a measured scaling factor. On a 2-core machine the bench
 * client and PostgreSQL share the cores with the instances.
 *
 *   node --import tsx bench/core.bench.ts [--seconds N] [--concurrency N] [--instances 1,2]
 *
 * "verify" is POST /recipe/session/verify of a refreshed (child) token: the call the SDK makes on
 * the first request after every refresh, which promotes and signs (the SDK verifies other tokens
 * locally, without the core).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Agent, request } from 'undici';
import pg from 'pg';
import { startCore, type CoreOptions } from '../src/supertokens/index.ts';

const args = process.argv.slice(2);
const argValue = (name: string, fallback: number) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? Number(args[i + 1]) : fallback;
};
const SECONDS = argValue('--seconds', 3);
const CONCURRENCY = argValue('--concurrency', 16);
const PG_URL = process.env.PORTCULLIS_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const INSTANCES = (args.includes('--instances') ? (args[args.indexOf('--instances') + 1] ?? '') : '1,2')
  .split(',')
  .map(Number)
  .filter((n) => Number.isInteger(n) && n > 0);
const BIN = new URL('../bin/portcullis.mjs', import.meta.url).pathname;

interface Row {
  store: string;
  op: string;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
}

async function measure(name: string, fn: (i: number) => Promise<void>): Promise<Omit<Row, 'store'>> {
  const latencies: number[] = [];
  const deadline = performance.now() + SECONDS * 1000;
  let counter = 0;
  const worker = async () => {
    while (performance.now() < deadline) {
      const start = performance.now();
      await fn(counter++);
      latencies.push(performance.now() - start);
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0;
  return { op: name, perSecond: latencies.length / elapsed, p50Ms: pct(0.5), p99Ms: pct(0.99) };
}

async function benchStore(label: string, database: CoreOptions['database']): Promise<Row[]> {
  const dataDir = mkdtempSync(join(tmpdir(), 'pc-bench-'));
  const core = await startCore({ port: 0, dataDir, database, log: () => undefined, disableTimers: true });
  try {
    return await benchUrls(label, [core.url]);
  } finally {
    await core.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** `n` `portcullis core` processes on one PostgreSQL schema, measured together (round-robin). */
async function benchProcesses(n: number, schema: string): Promise<Row[]> {
  const dir = mkdtempSync(join(tmpdir(), 'pc-bench-procs-'));
  const config = join(dir, 'core.yaml');
  writeFileSync(config, JSON.stringify({ core: { dataDir: dir, database: { kind: 'postgres', connectionString: PG_URL, schema } } }));
  const children: ChildProcess[] = [];
  try {
    const urls = await Promise.all(
      Array.from({ length: n }, () => {
        const child = spawn(process.execPath, [BIN, 'core', '--config', config, '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
        children.push(child);
        return new Promise<string>((resolve, reject) => {
          createInterface({ input: child.stdout! }).once('line', (line) => {
            const url = /(http:\/\/127\.0\.0\.1:\d+)/.exec(line)?.[1];
            if (url) resolve(url);
            else reject(new Error(`unexpected start-up line: ${line}`));
          });
          child.once('exit', (code) => reject(new Error(`portcullis core exited (${code}) before listening`)));
        });
      }),
    );
    return await benchUrls(`postgres, ${n} process${n === 1 ? '' : 'es'}`, urls);
  } finally {
    await Promise.all(
      children.map(async (c) => {
        if (c.exitCode !== null || c.signalCode !== null) return;
        const exited = new Promise((r) => c.once('exit', r));
        c.kill('SIGTERM');
        await exited;
      }),
    );
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Create, refresh and verify against `urls` (requests spread round-robin). */
async function benchUrls(label: string, urls: string[]): Promise<Row[]> {
  const agent = new Agent({ connections: CONCURRENCY * 2, pipelining: 1 });
  let rr = 0;
  const post = async (path: string, body: unknown): Promise<any> => {
    const res = await request(urls[rr++ % urls.length] + path, {
      method: 'POST',
      dispatcher: agent,
      headers: { 'cdi-version': '5.4', 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const json = (await res.body.json()) as { status?: string };
    if (res.statusCode !== 200 || json.status !== 'OK') throw new Error(`${path}: ${res.statusCode} ${JSON.stringify(json)}`);
    return json;
  };
  const createBody = (i: number) => ({
    userId: `user-${i}`,
    userDataInJWT: { iss: 'https://abc123.execute-api.eu-west-1.amazonaws.com/dev/auth', aud: 'jwtAuthorizers' },
    userDataInDatabase: {},
    useDynamicSigningKey: true,
    enableAntiCsrf: false,
  });
  try {
    const rows: Row[] = [];
    rows.push({ store: label, ...(await measure('create', async (i) => void (await post('/public/recipe/session', createBody(i))))) });

    // A pool of sessions, each advanced by its own refreshes (the sequential path of one client).
    const pool = await Promise.all(Array.from({ length: CONCURRENCY * 4 }, (_, i) => post('/public/recipe/session', createBody(i))));
    const latest = pool.map((s) => ({ rt: s.refreshToken.token as string, busy: false }));
    let next = 0;
    const take = () => {
      for (;;) {
        const slot = latest[next++ % latest.length]!;
        if (!slot.busy) return slot;
      }
    };
    rows.push({
      store: label,
      ...(await measure('refresh', async () => {
        const slot = take();
        slot.busy = true;
        const r = await post('/recipe/session/refresh', { refreshToken: slot.rt, enableAntiCsrf: false, useDynamicSigningKey: true });
        slot.rt = r.refreshToken.token;
        slot.busy = false;
      })),
    });

    const children = await Promise.all(
      latest.map((s) => post('/recipe/session/refresh', { refreshToken: s.rt, enableAntiCsrf: false, useDynamicSigningKey: true })),
    );
    rows.push({
      store: label,
      ...(await measure('verify (child token)', async (i) => {
        const child = children[i % children.length];
        await post('/recipe/session/verify', { accessToken: child.accessToken.token, doAntiCsrfCheck: false, enableAntiCsrf: false, checkDatabase: false });
      })),
    });
    return rows;
  } finally {
    await agent.close();
  }
}

async function postgresReachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

const rows: Row[] = [];
const notes: string[] = [];
rows.push(...(await benchStore('sqlite', { kind: 'sqlite' })));
if (await postgresReachable()) {
  const schema = `pc_bench_${process.pid}_${randomBytes(3).toString('hex')}`;
  try {
    rows.push(...(await benchStore('postgres', { kind: 'postgres', connectionString: PG_URL, schema })));
    for (const n of INSTANCES) rows.push(...(await benchProcesses(n, schema)));
  } finally {
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
  }
} else {
  notes.push(`PostgreSQL not reachable at ${new URL(PG_URL).host}: skipped`);
}

console.log(`\n### SuperTokens-compatible core (${SECONDS} s per operation, ${CONCURRENCY} concurrent clients, loopback HTTP)\n`);
console.log('| store | operation | ops/s | p50 ms | p99 ms |');
console.log('| --- | --- | ---: | ---: | ---: |');
for (const r of rows) {
  console.log(`| ${r.store} | ${r.op} | ${Math.round(r.perSecond)} | ${r.p50Ms.toFixed(2)} | ${r.p99Ms.toFixed(2)} |`);
}
/** Mean ops/s of the matching rows (`--instances 1,2,1,2` alternates, to spread a drifting load). */
const perSecond = (store: string, op: string) => {
  const matching = rows.filter((r) => r.store === store && r.op === op);
  return matching.length === 0 ? undefined : matching.reduce((sum, r) => sum + r.perSecond, 0) / matching.length;
};
for (const op of ['create', 'refresh', 'verify (child token)']) {
  const one = perSecond('postgres, 1 process', op);
  const two = perSecond('postgres, 2 processes', op);
  if (one !== undefined && two !== undefined) notes.push(`${op}: 2 processes / 1 process = ${(two / one).toFixed(2)}×`);
}
for (const n of notes) console.log(`\n${n}`);
