/**
 * src/supertokens/rate-limit.ts: the sign-in limiter, pure, with a manual clock.
 */
import { test } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createManualClock } from '../../src/core/clock.ts';
import { createSignInRateLimiter, signInAccountKey, signInClientKey, signInRateLimitSchema, type SignInKey } from '../../src/supertokens/rate-limit.ts';

const seed = Number(process.env.FC_SEED ?? 20261122);
const numRuns = Number(process.env.FC_RUNS ?? 300);

const clock = (start = 1_700_000_000_000) => createManualClock(start);
const key = (email: string, ip = '10.0.0.1'): SignInKey => ({ account: signInAccountKey('public', 'public', email), client: `c\u0000${ip}` });

test('defaults: on, 10 failures per account per 15 minutes, per-client off, 50000 keys', () => {
  assert.deepEqual(signInRateLimitSchema.parse(undefined), { backend: 'database', enabled: true, accountMaxFailures: 10, accountWindowSeconds: 900, clientMaxAttempts: 0, clientWindowSeconds: 60, maxTrackedKeys: 50_000 });
  assert.throws(() => signInRateLimitSchema.parse({ clientKeyHeader: 'X-Real-IP' }), /lower-case header name/);
  assert.throws(() => signInRateLimitSchema.parse({ accountMaxFailure: 3 }));
});

test('an account is refused after 10 failures, then gets one attempt per 90 s; the password is not even checked', () => {
  const c = clock();
  const limiter = createSignInRateLimiter(signInRateLimitSchema.parse({}), c);
  const k = key('victim@example.com');
  for (let i = 0; i < 10; i++) {
    assert.equal(limiter.attempt(k).allowed, true, `attempt ${i}`);
    limiter.recordResult(k, false);
  }
  const refused = limiter.attempt(k);
  assert.deepEqual(refused, { allowed: false, scope: 'account', retryAfterSeconds: 90 });
  c.advance(89_999);
  assert.equal(limiter.attempt(k).allowed, false);
  c.advance(1);
  assert.equal(limiter.attempt(k).allowed, true, 'one token refilled after 90 s');
  limiter.recordResult(k, false);
  assert.equal(limiter.attempt(k).allowed, false);
  assert.equal(limiter.attempt(key('other@example.com')).allowed, true, 'other accounts are unaffected');
  assert.equal(limiter.stats().refusedAccount, 3);
});

test('a success resets the account; a concurrent burst cannot pass before its failures are counted', () => {
  const c = clock();
  const limiter = createSignInRateLimiter(signInRateLimitSchema.parse({}), c);
  const k = key('user@example.com');
  for (let i = 0; i < 9; i++) {
    limiter.attempt(k);
    limiter.recordResult(k, false);
  }
  assert.equal(limiter.attempt(k).allowed, true);
  limiter.recordResult(k, true);
  assert.equal(limiter.stats().trackedKeys, 0, 'reset means forgotten');
  // 50 guesses in flight at once: only 10 are let through to the password check.
  const burst = Array.from({ length: 50 }, () => limiter.attempt(key('burst@example.com')));
  assert.equal(burst.filter((v) => v.allowed).length, 10);
});

test('per client (when on): password spraying across accounts from one address is refused; the bucket refills', () => {
  const c = clock();
  const limiter = createSignInRateLimiter(signInRateLimitSchema.parse({ clientMaxAttempts: 5, clientWindowSeconds: 60 }), c);
  const verdicts = Array.from({ length: 8 }, (_, i) => limiter.attempt(key(`user${i}@example.com`, '203.0.113.9')));
  assert.deepEqual(verdicts.map((v) => v.allowed), [true, true, true, true, true, false, false, false]);
  assert.deepEqual(verdicts[5], { allowed: false, scope: 'client', retryAfterSeconds: 12 });
  assert.equal(limiter.attempt(key('x@example.com', '203.0.113.10')).allowed, true, 'another address is unaffected');
  c.advance(12_000);
  assert.equal(limiter.attempt(key('y@example.com', '203.0.113.9')).allowed, true);
  assert.equal(limiter.attempt({ account: signInAccountKey('public', 'public', 'z'), client: undefined }).allowed, true, 'no client key: only the account limit applies');
});

test('disabled: every attempt is allowed and nothing is stored', () => {
  const limiter = createSignInRateLimiter(signInRateLimitSchema.parse({ enabled: false, clientMaxAttempts: 1 }), clock());
  for (let i = 0; i < 100; i++) {
    assert.equal(limiter.attempt(key('a@example.com')).allowed, true);
    limiter.recordResult(key('a@example.com'), false);
  }
  assert.equal(limiter.stats().trackedKeys, 0);
});

test('memory is bounded under a flood of distinct accounts and clients; refilled buckets are forgotten', () => {
  const c = clock();
  const limiter = createSignInRateLimiter(signInRateLimitSchema.parse({ clientMaxAttempts: 100, maxTrackedKeys: 1000 }), c);
  for (let i = 0; i < 100_000; i++) {
    const k = key(`flood-${i}@example.com`, `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
    if (limiter.attempt(k).allowed) limiter.recordResult(k, false);
  }
  const s = limiter.stats();
  assert.ok(s.trackedKeys <= 1000, `tracked ${s.trackedKeys}`);
  assert.ok(s.evictions >= 199_000 - 1000, `evictions ${s.evictions}`);
  // A locked account touched after its window refills completely is dropped, not kept.
  const k = key('locked@example.com');
  for (let i = 0; i < 10; i++) limiter.attempt(k);
  assert.equal(limiter.attempt(k).allowed, false);
  c.advance(900_000);
  assert.equal(limiter.attempt(k).allowed, true);
});

test('property: over any schedule, allowed failed sign-ins for one account never exceed max + elapsed × rate', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 20 }),
      fc.integer({ min: 1, max: 600 }),
      fc.array(fc.tuple(fc.integer({ min: 0, max: 120_000 }), fc.boolean()), { minLength: 1, maxLength: 200 }),
      (max, windowSeconds, steps) => {
        const c = clock();
        const limiter = createSignInRateLimiter(signInRateLimitSchema.parse({ accountMaxFailures: max, accountWindowSeconds: windowSeconds }), c);
        const k = key('p@example.com');
        let elapsed = 0;
        let allowedSinceReset = 0;
        let elapsedSinceReset = 0;
        for (const [dt, success] of steps) {
          c.advance(dt);
          elapsed += dt;
          elapsedSinceReset += dt;
          const v = limiter.attempt(k);
          if (!v.allowed) {
            assert.ok(v.retryAfterSeconds >= 1 && v.retryAfterSeconds <= windowSeconds / max + 1);
            continue;
          }
          allowedSinceReset++;
          assert.ok(allowedSinceReset <= max + (elapsedSinceReset * max) / (windowSeconds * 1000) + 1e-9, `${allowedSinceReset} allowed in ${elapsedSinceReset} ms`);
          limiter.recordResult(k, success);
          if (success) {
            allowedSinceReset = 0;
            elapsedSinceReset = 0;
          }
        }
        assert.ok(elapsed >= 0);
      },
    ),
    { seed, numRuns },
  );
});

test('client keys: the trusted header\'s first value, else the socket address; IPv4-mapped addresses normalised', () => {
  assert.equal(signInClientKey({}, { 'x-forwarded-for': '1.2.3.4' }, '::ffff:127.0.0.1'), 'c\u0000127.0.0.1', 'untrusted headers are ignored');
  assert.equal(signInClientKey({ clientKeyHeader: 'x-forwarded-for' }, { 'x-forwarded-for': ' 1.2.3.4 , 5.6.7.8' }, '127.0.0.1'), 'c\u00001.2.3.4');
  assert.equal(signInClientKey({ clientKeyHeader: 'x-user-ip' }, {}, '127.0.0.1'), 'c\u0000127.0.0.1');
  assert.equal(signInClientKey({}, {}, undefined), undefined);
  assert.equal(signInClientKey({ clientKeyHeader: 'x-user-ip' }, { 'x-user-ip': 'a'.repeat(500) }, undefined)!.length, 66, 'bounded');
  assert.notEqual(signInAccountKey('a', 'b/c', 'd'), signInAccountKey('a/b', 'c', 'd'), 'no separator collisions');
});
