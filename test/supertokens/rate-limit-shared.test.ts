/**
 * The sign-in rate limit shared through the database (src/supertokens/store/ratelimit.ts and
 * createStoreSignInRateLimiter): on SQLite always; on PostgreSQL with several stores (separate
 * pools, as separate instances have) on one schema, and with three cores on one schema. PostgreSQL
 * parts skip with the reason when it is unreachable, unless CI=true.
 */
import { after, test } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createManualClock } from '../../src/core/clock.ts';
import { createStoreSignInRateLimiter, signInAccountKey, signInRateLimitSchema, type SignInKey } from '../../src/supertokens/rate-limit.ts';
import { openPostgresStore } from '../../src/supertokens/store-postgres.ts';
import { openSqliteStore } from '../../src/supertokens/store-sqlite.ts';
import type { Store } from '../../src/supertokens/store.ts';
import { startCore, type RunningCore } from '../../src/supertokens/index.ts';
import { cdiClient, dropSchema, postgresOrSkipReason, uniqueSchema } from './helpers.ts';

const pg = await postgresOrSkipReason();
const pgSkip = 'skip' in pg ? pg.skip : false;
const cleanups: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const fn of cleanups.reverse()) await fn().catch(() => undefined);
});

const key = (email: string, ip = '10.0.0.1'): SignInKey => ({ account: signInAccountKey('public', 'public', email), client: `c\u0000${ip}` });

async function sqliteStore(): Promise<Store> {
  const dir = mkdtempSync(join(tmpdir(), 'pc-rl-'));
  const store = await openSqliteStore(join(dir, 'core.sqlite'));
  cleanups.push(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return store;
}

/** `n` stores (each its own pool, like `n` instances) on one fresh schema. */
async function postgresStores(n: number): Promise<Store[]> {
  if (!('url' in pg)) throw new Error('unreachable');
  const schema = uniqueSchema();
  const options = { connectionString: pg.url, schema, poolMax: 10, connectTimeoutMs: 5000, queryTimeoutMs: 10_000 };
  const stores = await Promise.all(Array.from({ length: n }, () => openPostgresStore(options)));
  cleanups.push(async () => {
    for (const s of stores) await s.close();
    await dropSchema(pg.url, schema);
  });
  return stores;
}

for (const kind of ['sqlite', 'postgres'] as const) {
  const skip = kind === 'postgres' ? pgSkip : false;

  test(`${kind}: 10 failures lock the account, one token per 90 s after; a success forgets the bucket`, { skip }, async () => {
    const [store] = kind === 'sqlite' ? [await sqliteStore()] : await postgresStores(1);
    const clock = createManualClock(1_800_000_000_000);
    const limiter = createStoreSignInRateLimiter(signInRateLimitSchema.parse({}), clock, store!);
    const k = key('victim@example.com');
    for (let i = 0; i < 10; i++) assert.deepEqual(await limiter.attempt(k), { allowed: true }, `attempt ${i}`);
    assert.deepEqual(await limiter.attempt(k), { allowed: false, scope: 'account', retryAfterSeconds: 90 });
    clock.advance(89_999);
    assert.equal((await limiter.attempt(k)).allowed, false);
    clock.advance(1);
    assert.equal((await limiter.attempt(k)).allowed, true, 'one token refilled after 90 s');
    assert.equal((await limiter.attempt(k)).allowed, false);
    assert.equal((await limiter.attempt(key('other@example.com'))).allowed, true, 'other accounts are unaffected');
    await limiter.recordResult(k, true);
    assert.equal((await limiter.attempt(k)).allowed, true, 'a success resets the account');
  });

  test(`${kind}: per-client refusal gives the account its token back; prune keeps the table bounded`, { skip }, async () => {
    const [store] = kind === 'sqlite' ? [await sqliteStore()] : await postgresStores(1);
    const clock = createManualClock(1_800_000_000_000);
    const config = signInRateLimitSchema.parse({ clientMaxAttempts: 3, clientWindowSeconds: 60, accountMaxFailures: 5, maxTrackedKeys: 16 });
    const limiter = createStoreSignInRateLimiter(config, clock, store!, { pruneEvery: 1_000_000 });
    for (let i = 0; i < 3; i++) assert.equal((await limiter.attempt(key(`spray-${i}@example.com`))).allowed, true);
    assert.deepEqual(await limiter.attempt(key('spray-3@example.com')), { allowed: false, scope: 'client', retryAfterSeconds: 20 });
    // spray-3 lost no account token: from another address it still has all 5.
    for (let i = 0; i < 5; i++) assert.equal((await limiter.attempt(key('spray-3@example.com', `10.1.0.${i}`))).allowed, true);
    assert.equal((await limiter.attempt(key('spray-3@example.com', '10.2.0.1'))).allowed, false);
    // A flood of distinct accounts and clients: 60 buckets more than the bound of 16.
    for (let i = 0; i < 30; i++) await limiter.attempt(key(`flood-${i}@example.com`, `10.9.0.${i}`));
    const rows = async () => (await store!.pruneBuckets(clock.nowMs(), 1_000_000)).remaining;
    assert.ok((await rows()) > 16);
    await limiter.prune();
    assert.equal(await rows(), 16, 'the oldest beyond maxTrackedKeys are gone');
    clock.advance(900_000);
    await limiter.prune();
    assert.equal(await rows(), 0, 'refilled buckets are forgotten');
  });
}

test('postgres: 60 concurrent guesses through three instances pass exactly accountMaxFailures times', { skip: pgSkip }, async () => {
  const stores = await postgresStores(3);
  const clock = createManualClock(1_800_000_000_000);
  const config = signInRateLimitSchema.parse({ accountMaxFailures: 7 });
  const limiters = stores.map((s) => createStoreSignInRateLimiter(config, clock, s));
  const k = key('burst@example.com');
  const verdicts = await Promise.all(Array.from({ length: 60 }, (_, i) => limiters[i % 3]!.attempt(k)));
  assert.equal(verdicts.filter((v) => v.allowed).length, 7);
  // The tokens left can never go below zero, whatever the interleaving.
  assert.equal(await stores[0]!.takeToken('unrelated', { capacity: 1, perMs: 0 }, clock.nowMs()), 0);
  assert.equal(await stores[1]!.takeToken('unrelated', { capacity: 1, perMs: 0 }, clock.nowMs()), undefined);
});

test('postgres: three cores on one schema: 4 failures spread over them lock the account (accountMaxFailures: 4)', { skip: pgSkip }, async () => {
  if (!('url' in pg)) return;
  const schema = uniqueSchema();
  const dataDir = mkdtempSync(join(tmpdir(), 'pc-rl-cores-'));
  const cores: RunningCore[] = [];
  cleanups.push(async () => {
    for (const c of cores) await c.close(1000);
    await dropSchema(pg.url, schema);
    rmSync(dataDir, { recursive: true, force: true });
  });
  for (let i = 0; i < 3; i++) {
    cores.push(
      await startCore({
        port: 0, dataDir, log: () => undefined, disableTimers: true,
        database: { kind: 'postgres', connectionString: pg.url, schema },
        passwordHashing: { algorithm: 'argon2id', argon2MemoryKib: 1024, argon2Iterations: 1, argon2Parallelism: 1, bcryptLogRounds: 4 },
        signInRateLimit: { accountMaxFailures: 4 },
      }),
    );
  }
  const clients = cores.map((c) => cdiClient(c.url));
  assert.equal((await clients[0]!.post('/public/recipe/signup', { email: 'v@example.com', password: 'right-pw' })).json.status, 'OK');
  const signIn = async (i: number, password: string) => (await clients[i % 3]!.post('/public/recipe/signin', { email: 'v@example.com', password })).json.status as string;
  for (let i = 0; i < 4; i++) assert.equal(await signIn(i, `guess-${i}`), 'WRONG_CREDENTIALS_ERROR');
  for (let i = 0; i < 3; i++) assert.equal(await signIn(i, 'right-pw'), 'WRONG_CREDENTIALS_ERROR', `locked on core ${i} too`);
});

test('a database that cannot take the write fails open (reported), as a full disk must not stop sign-ins', async () => {
  const store = await sqliteStore();
  const clock = createManualClock(1_800_000_000_000);
  const errors: string[] = [];
  const limiter = createStoreSignInRateLimiter(signInRateLimitSchema.parse({ accountMaxFailures: 1 }), clock, store, { onError: (what, err) => errors.push(`${what}: ${(err as Error).message}`) });
  const k = key('x@example.com');
  assert.equal((await limiter.attempt(k)).allowed, true);
  assert.equal((await limiter.attempt(k)).allowed, false, 'limited while the database works');
  await store.close();
  assert.deepEqual(await limiter.attempt(k), { allowed: true });
  await limiter.recordResult(k, true);
  assert.equal(errors.length, 2);
  assert.match(errors[0]!, /^attempt: sqlite: /);
  assert.match(errors[1]!, /^reset: sqlite: /);
});
