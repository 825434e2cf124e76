/**
 * The sign-in rate limit in Redis (`signInRateLimit.backend: redis`, src/supertokens/rate-limit-redis.ts):
 * the same buckets as in the database, shared by every instance on one Redis, exact under
 * concurrency (one Lua script per take), expiring by themselves; fail open when Redis stops
 * answering; start-up refused when it cannot be reached. Redis at 127.0.0.1:6379: runs with CI=true
 * (fails if unreachable), otherwise skips with the reason. Keys live under a prefix of this run,
 * deleted after.
 */
import { after, test } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'redis';
import { createManualClock } from '../../src/core/clock.ts';
import { coreConfigSchema, formatConfigIssues } from '../../src/supertokens/config.ts';
import { startCore, type RunningCore } from '../../src/supertokens/index.ts';
import { createStoreSignInRateLimiter, signInAccountKey, signInRateLimitSchema, type SignInKey } from '../../src/supertokens/rate-limit.ts';
import { openRedisRateLimitStore, type RedisRateLimitStore } from '../../src/supertokens/rate-limit-redis.ts';
import { cdiClient } from './helpers.ts';

const REDIS_URL = process.env.PORTCULLIS_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `pc-test-${process.pid}-${randomBytes(4).toString('hex')}:`;
const admin = createClient({ url: REDIS_URL, socket: { connectTimeout: 2000, reconnectStrategy: false } });
admin.on('error', () => undefined);
const reachable: true | Error = await admin.connect().then(
  () => true as const,
  (err: Error) => err,
);
if (reachable !== true && process.env.CI === 'true') throw new Error(`Redis not reachable at ${REDIS_URL}: ${reachable.message} (CI=true requires it)`);
const skip = reachable === true ? false : `Redis not reachable at ${REDIS_URL}: ${reachable.message}`;

const cleanups: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const fn of cleanups.reverse()) await fn().catch(() => undefined);
  if (reachable === true) {
    for await (const keys of admin.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 })) if (keys.length > 0) await admin.del(keys);
    await admin.close();
  }
});

const options = { url: REDIS_URL, keyPrefix: prefix, connectTimeoutMs: 2000, commandTimeoutMs: 500 };
async function stores(n: number): Promise<RedisRateLimitStore[]> {
  const opened = await Promise.all(Array.from({ length: n }, () => openRedisRateLimitStore(options)));
  cleanups.push(() => Promise.all(opened.map((s) => s.close())));
  return opened;
}
const key = (email: string, ip = '10.0.0.1'): SignInKey => ({ account: signInAccountKey('public', 'public', email), client: `c\u0000${ip}` });

test('10 failures lock the account, one token per 90 s after, a success resets; the bucket expires when full again', { skip }, async () => {
  const [store] = await stores(1);
  const clock = createManualClock(1_800_000_000_000);
  const limiter = createStoreSignInRateLimiter(signInRateLimitSchema.parse({}), clock, store!);
  const k = key('victim@example.com');
  for (let i = 0; i < 10; i++) assert.deepEqual(await limiter.attempt(k), { allowed: true }, `attempt ${i}`);
  assert.deepEqual(await limiter.attempt(k), { allowed: false, scope: 'account', retryAfterSeconds: 90 });
  clock.advance(90_000);
  assert.equal((await limiter.attempt(k)).allowed, true, 'one token refilled after 90 s');
  assert.equal((await limiter.attempt(k)).allowed, false);
  // One hash per bucket, no email in its name, expiring when it would be full (10 tokens × 90 s).
  const keys: string[] = [];
  for await (const batch of admin.scanIterator({ MATCH: `${prefix}rl:*` })) keys.push(...batch);
  assert.equal(keys.length, 1);
  assert.ok(!keys[0]!.includes('victim'));
  const ttl = await admin.pTTL(keys[0]!);
  assert.ok(ttl > 800_000 && ttl <= 900_000, `PTTL ${ttl}`);
  await limiter.recordResult(k, true);
  assert.equal(await admin.exists(keys[0]!), 0, 'a success forgets the bucket');
  assert.equal((await limiter.attempt(k)).allowed, true);
});

test('per-client refusal gives the account its token back', { skip }, async () => {
  const [store] = await stores(1);
  const clock = createManualClock(1_800_000_000_000);
  const limiter = createStoreSignInRateLimiter(signInRateLimitSchema.parse({ clientMaxAttempts: 2, accountMaxFailures: 3 }), clock, store!);
  assert.equal((await limiter.attempt(key('a@example.com', '10.7.0.1'))).allowed, true);
  assert.equal((await limiter.attempt(key('b@example.com', '10.7.0.1'))).allowed, true);
  assert.equal((await limiter.attempt(key('c@example.com', '10.7.0.1'))).allowed, false);
  for (let i = 0; i < 3; i++) assert.equal((await limiter.attempt(key('c@example.com', `10.8.0.${i}`))).allowed, true, 'c still has all 3');
  assert.equal((await limiter.attempt(key('c@example.com', '10.9.0.1'))).allowed, false);
});

test('60 concurrent guesses through three clients (instances) pass exactly accountMaxFailures times', { skip }, async () => {
  const opened = await stores(3);
  const clock = createManualClock(1_800_000_000_000);
  const limiters = opened.map((s) => createStoreSignInRateLimiter(signInRateLimitSchema.parse({ accountMaxFailures: 7 }), clock, s));
  const verdicts = await Promise.all(Array.from({ length: 60 }, (_, i) => limiters[i % 3]!.attempt(key('burst@example.com'))));
  assert.equal(verdicts.filter((v) => v.allowed).length, 7);
});

test('Redis gone: attempts are allowed (fail open, reported), in bounded time', { skip }, async () => {
  const [store] = await stores(1);
  const errors: string[] = [];
  const limiter = createStoreSignInRateLimiter(signInRateLimitSchema.parse({ accountMaxFailures: 1 }), createManualClock(0), store!, { onError: (what) => errors.push(what) });
  assert.equal((await limiter.attempt(key('gone@example.com'))).allowed, true);
  assert.equal((await limiter.attempt(key('gone@example.com'))).allowed, false);
  await store!.close();
  const started = Date.now();
  assert.deepEqual(await limiter.attempt(key('gone@example.com')), { allowed: true });
  assert.ok(Date.now() - started < 1000);
  assert.deepEqual(errors, ['attempt']);
});

test('cores with separate SQLite files share one Redis: 4 failures spread over three lock the account everywhere', { skip, timeout: 60_000 }, async () => {
  const cores: RunningCore[] = [];
  const dirs: string[] = [];
  cleanups.push(async () => {
    for (const c of cores) await c.close(1000);
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  for (let i = 0; i < 3; i++) {
    const dataDir = mkdtempSync(join(tmpdir(), 'pc-rl-redis-'));
    dirs.push(dataDir);
    cores.push(
      await startCore({
        port: 0, dataDir, log: () => undefined, disableTimers: true,
        passwordHashing: { algorithm: 'argon2id', argon2MemoryKib: 1024, argon2Iterations: 1, argon2Parallelism: 1, bcryptLogRounds: 4 },
        signInRateLimit: { accountMaxFailures: 4, backend: 'redis', redis: { url: REDIS_URL, keyPrefix: prefix } },
      }),
    );
  }
  const clients = cores.map((c) => cdiClient(c.url));
  // Separate databases: the same user signs up on each.
  for (const c of clients) assert.equal((await c.post('/public/recipe/signup', { email: 'v@example.com', password: 'right-pw' })).json.status, 'OK');
  const signIn = async (i: number, password: string) => (await clients[i % 3]!.post('/public/recipe/signin', { email: 'v@example.com', password })).json.status as string;
  for (let i = 0; i < 4; i++) assert.equal(await signIn(i, `guess-${i}`), 'WRONG_CREDENTIALS_ERROR');
  for (let i = 0; i < 3; i++) assert.equal(await signIn(i, 'right-pw'), 'WRONG_CREDENTIALS_ERROR', `locked on core ${i}`);
});

test('config: backend redis needs the redis section and only it uses one; an unreachable Redis stops the start', async () => {
  const issues = (input: unknown) => {
    const r = coreConfigSchema.safeParse(input);
    return r.success ? [] : formatConfigIssues(r.error);
  };
  assert.deepEqual(issues({ signInRateLimit: { backend: 'redis' } }), ['core.signInRateLimit.redis: is required with backend: redis']);
  assert.deepEqual(issues({ signInRateLimit: { redis: { url: 'redis://127.0.0.1:6379' } } }), ['core.signInRateLimit.redis: is only used with backend: redis (backend is database)']);
  assert.deepEqual(issues({ signInRateLimit: { backend: 'redis', redis: { url: 'http://x' } } }), ['core.signInRateLimit.redis.url: must be a redis:// or rediss:// URL']);
  const dataDir = mkdtempSync(join(tmpdir(), 'pc-rl-redis-down-'));
  try {
    await assert.rejects(
      startCore({ port: 0, dataDir, log: () => undefined, disableTimers: true, signInRateLimit: { backend: 'redis', redis: { url: 'redis://127.0.0.1:1', connectTimeoutMs: 300 } } }),
      (err: Error & { code?: string }) => err.code === 'ERR_CORE_STORE_UNAVAILABLE' && /rate-limit redis unreachable/.test(err.message),
    );
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
