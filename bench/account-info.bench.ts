// Times the core's hot account paths through CDI calls: email/password sign-up and sign-in, a third-party
// sign-in with an unchanged email, and email changes (which take the account-linking lock). Used to check
// that race hardening left sign-up and sign-in cheap (docs/supertokens.md, Account linking).
//
//   node --import tsx bench/account-info.bench.ts [sqlite|postgres] [requests per phase] [src root]
//
// PostgreSQL: PORTCULLIS_BENCH_PG_URL or 127.0.0.1:5432 database `test`, a throw-away schema. `src root`
// (default: this tree's src) times another checkout's core (e.g. `git archive <commit> src` unpacked
// elsewhere, with a node_modules link): before/after comparisons.
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import pg from 'pg';

const kind = process.argv[2] === 'postgres' ? 'postgres' : 'sqlite';
const n = Number(process.argv[3] ?? 300);
const srcRoot = resolve(process.argv[4] ?? new URL('../src', import.meta.url).pathname);
const CONCURRENCY = 16;

const { startCore } = (await import(pathToFileURL(join(srcRoot, 'supertokens/index.ts')).href)) as typeof import('../src/supertokens/index.ts');
const dataDir = mkdtempSync(join(tmpdir(), 'pc-bench-'));
const schema = `pc_bench_${process.pid}`;
const pgUrl = process.env.PORTCULLIS_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const core = await startCore({
  port: 0,
  dataDir,
  log: () => undefined,
  passwordHashing: { algorithm: 'argon2id', argon2MemoryKib: 1024, argon2Iterations: 1, argon2Parallelism: 1, bcryptLogRounds: 4 },
  ...(kind === 'postgres' ? { database: { kind: 'postgres' as const, connectionString: pgUrl, schema } } : {}),
});

async function call(method: string, path: string, body: unknown, headers: Record<string, string> = {}): Promise<any> {
  const res = await fetch(core.url + path, { method, headers: { 'cdi-version': '5.4', 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const json = (await res.json()) as { status?: string };
  if (json.status !== 'OK') throw new Error(`${method} ${path}: ${JSON.stringify(json)}`);
  return json;
}

/** Runs `n` calls of `one(i)` with CONCURRENCY in flight; returns calls per second and the median latency. */
async function phase(name: string, one: (i: number) => Promise<unknown>): Promise<void> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < n) {
        const i = next++;
        const t0 = performance.now();
        await one(i);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const p = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!.toFixed(1);
  console.log(`${kind}\t${name.padEnd(22)}\t${(n / seconds).toFixed(0).padStart(5)} /s\tp50 ${p(0.5)} ms\tp95 ${p(0.95)} ms`);
}

try {
  const ids: string[] = [];
  await phase('signup', async (i) => {
    ids[i] = (await call('POST', '/public/recipe/signup', { email: `b${i}@example.com`, password: 'pw-123456' })).user.id;
  });
  await phase('signin', (i) => call('POST', '/public/recipe/signin', { email: `b${i}@example.com`, password: 'pw-123456' }));
  await phase('thirdparty signinup new', (i) => call('POST', '/public/recipe/signinup', { thirdPartyId: 'google', thirdPartyUserId: `g${i}`, email: { id: `g${i}@example.com`, isVerified: false } }));
  await phase('thirdparty signin same', (i) => call('POST', '/public/recipe/signinup', { thirdPartyId: 'google', thirdPartyUserId: `g${i}`, email: { id: `g${i}@example.com`, isVerified: false } }));
  await phase('email change', (i) => call('PUT', '/recipe/user', { recipeUserId: ids[i], email: `c${i}@example.com` }, { rid: 'emailpassword' }));
} finally {
  await core.close();
  rmSync(dataDir, { recursive: true, force: true });
  if (kind === 'postgres') {
    const client = new pg.Client({ connectionString: pgUrl });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
  }
}
