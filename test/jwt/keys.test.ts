/**
 * The per-issuer key cache (io/keys.ts) through the authorizer: prefetch, single-flight, cooldown,
 * max age, key rotation at the issuer, issuer outages, size and time limits. Time is a manual clock.
 */
import { after, before, describe, test } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { GatewayError } from '../../src/core/errors.ts';
import { createKeyStore, importJwks, keylessRetryDelayMs, KEYLESS_RETRY_FIRST_MS, KEYLESS_RETRY_MAX_MS, MAX_JWKS_BYTES, undiciGet, type HttpGet } from '../../src/io/keys.ts';
import { createManualClock } from '../../src/core/clock.ts';
import { bearer, claims, jwtConfig, makeAuthorizer, makeKey, makeRequest, NOW_MS, sign, startIdp, type Idp, type TestKey } from './fixtures.ts';

const describeErr = (e: unknown) => (e instanceof GatewayError ? `${e.status} ${e.detail}` : String(e));
async function outcome(authorizer: { authorize: (i: ReturnType<typeof makeRequest>) => Promise<unknown> }, token: string): Promise<string> {
  return authorizer.authorize(makeRequest(bearer(token))).then(() => 'ok', describeErr);
}

describe('JWKS cache', () => {
  let idp: Idp;
  let k1: TestKey;
  let k2: TestKey;
  let n = 0;
  const name = () => `k${n++}`;
  before(async () => {
    idp = await startIdp();
    k1 = await makeKey('key-1');
    k2 = await makeKey('key-2');
  });
  after(() => idp.close());

  test('warmUp prefetches discovery and JWKS; status reports ready and fresh', async () => {
    const { issuer, state } = idp.tenant(name(), [k1.jwk]);
    const { authorizer } = makeAuthorizer(jwtConfig(issuer));
    assert.equal(authorizer.status().ready, false);
    await authorizer.warmUp();
    assert.deepEqual(state.hits, { discovery: 1, jwks: 1 });
    const s = authorizer.status();
    assert.equal(s.ready, true);
    assert.equal(s.keys.fresh, true);
    assert.equal(s.keys.keyCount, 1);
    assert.match(s.detail, /^1 key from http:\/\/127\.0\.0\.1:\d+\/t\/k\d+\/jwks, fetched 0s ago$/);
    assert.equal(await outcome(authorizer, await sign(k1, claims(issuer))), 'ok');
    assert.deepEqual(state.hits, { discovery: 1, jwks: 1 });
  });

  test('concurrent first requests share one fetch', async () => {
    const { issuer, state } = idp.tenant(name(), [k1.jwk], { jwksDelayMs: 30 });
    const { authorizer } = makeAuthorizer(jwtConfig(issuer));
    const tokens = await Promise.all(Array.from({ length: 25 }, (_, i) => sign(k1, claims(issuer, { sub: `u${i}` }))));
    const results = await Promise.all(tokens.map((t) => outcome(authorizer, t)));
    assert.deepEqual(new Set(results), new Set(['ok']));
    assert.deepEqual(state.hits, { discovery: 1, jwks: 1 });
  });

  test('a flood of unknown kids refetches at most once per cooldown', async () => {
    const { issuer, state } = idp.tenant(name(), [k1.jwk]);
    const { authorizer, clock } = makeAuthorizer(jwtConfig(issuer, { jwksCooldownSeconds: 60 }));
    await authorizer.warmUp();
    const strangers = await Promise.all(Array.from({ length: 20 }, async (_, i) => sign(await makeKey(`stranger-${i % 2}`), claims(issuer))));
    clock.advance(60_000);
    for (const t of strangers) assert.equal(await outcome(authorizer, t), "401 no key in the issuer's JWKS matches the token's kid");
    assert.equal(state.hits.jwks, 2, 'one refetch after the cooldown, none for the rest');
    assert.equal(authorizer.status().keys.coolingDown, true);
    clock.advance(59_999);
    await outcome(authorizer, strangers[0]!);
    assert.equal(state.hits.jwks, 2);
    clock.advance(1);
    await outcome(authorizer, strangers[0]!);
    assert.equal(state.hits.jwks, 3);
  });

  test('key rotation at the issuer during a run', async () => {
    const { issuer, state } = idp.tenant(name(), [k1.jwk]);
    const { authorizer, clock } = makeAuthorizer(jwtConfig(issuer, { jwksCooldownSeconds: 300, jwksCacheMaxAgeSeconds: 3600 }));
    await authorizer.warmUp();
    const old = await sign(k1, claims(issuer, { exp: NOW_MS / 1000 + 86_400 }));
    assert.equal(await outcome(authorizer, old), 'ok');

    // 1. The issuer starts publishing key-2 next to key-1. Right after a fetch, the new kid is refused
    //    (cooldown), like AWS's cache; once the cooldown has passed one refetch picks it up.
    state.keys = [k1.jwk, k2.jwk];
    const fresh = await sign(k2, claims(issuer, { exp: NOW_MS / 1000 + 86_400 }));
    assert.equal(await outcome(authorizer, fresh), "401 no key in the issuer's JWKS matches the token's kid");
    clock.advance(300_000);
    assert.equal(await outcome(authorizer, fresh), 'ok');
    assert.equal(await outcome(authorizer, old), 'ok', 'both keys valid during the grace period');
    assert.equal(state.hits.jwks, 2);

    // 2. The issuer retires key-1. Until the max age passes, cached keys still verify it...
    state.keys = [k2.jwk];
    clock.advance(1_000_000);
    assert.equal(await outcome(authorizer, old), 'ok');
    assert.equal(state.hits.jwks, 2);
    // ...after it, the next use triggers a background refresh; key-1 is gone once it lands,
    // and the verified-token cache does not resurrect it.
    clock.advance(3_600_000);
    assert.equal(await outcome(authorizer, old), 'ok', 'stale keys serve while the refresh runs');
    await authorizer.warmUp(); // joins the in-flight refresh (single-flight)
    assert.equal(state.hits.jwks, 3);
    assert.equal(await outcome(authorizer, old), "401 no key in the issuer's JWKS matches the token's kid");
    assert.equal(await outcome(authorizer, fresh), 'ok');
  });

  test('keys past their max age: an unknown kid refetches at once, not after the cooldown (a rotation while the gateway was idle)', async () => {
    const { issuer, state } = idp.tenant(name(), [k1.jwk]);
    const { authorizer, clock } = makeAuthorizer(jwtConfig(issuer, { jwksCooldownSeconds: 300, jwksCacheMaxAgeSeconds: 2 }));
    await authorizer.warmUp();
    // The issuer publishes key-2 right after the fetch, and signs with it a little later; no request
    // in between, so nothing refreshed the keys when they went stale.
    state.keys = [k1.jwk, k2.jwk];
    clock.advance(5_000);
    const fresh = await sign(k2, claims(issuer, { exp: NOW_MS / 1000 + 86_400 }));
    assert.equal(await outcome(authorizer, fresh), 'ok', 'stale keys: the unknown kid is a reason to refetch now');
    assert.equal(state.hits.jwks, 2);
    // Fresh keys again: an unknown kid waits for the cooldown, as before.
    const stranger = await sign(await makeKey('stranger-stale'), claims(issuer));
    clock.advance(1_000);
    assert.equal(await outcome(authorizer, stranger), "401 no key in the issuer's JWKS matches the token's kid");
    assert.equal(state.hits.jwks, 2);
    // Stale again, a flood of unknown kids: at most one refetch per second.
    clock.advance(3_000);
    for (let i = 0; i < 5; i++) assert.equal(await outcome(authorizer, stranger), "401 no key in the issuer's JWKS matches the token's kid");
    assert.equal(state.hits.jwks, 3);
  });

  test('issuer down: cached keys keep working, unknown kids fail closed with the fetch error', async () => {
    const { issuer, state } = idp.tenant(name(), [k1.jwk]);
    const { authorizer, clock } = makeAuthorizer(jwtConfig(issuer, { jwksCooldownSeconds: 60, jwksCacheMaxAgeSeconds: 600 }));
    await authorizer.warmUp();
    state.down = true;
    clock.advance(700_000); // keys are now stale
    const token = await sign(k1, claims(issuer, { exp: NOW_MS / 1000 + 86_400, jti: 'a' }));
    assert.equal(await outcome(authorizer, token), 'ok');
    await authorizer.warmUp(); // let the background refresh finish (and fail)
    assert.equal(await outcome(authorizer, await sign(k1, claims(issuer, { exp: NOW_MS / 1000 + 86_400, jti: 'b' }))), 'ok');
    const s = authorizer.status();
    assert.equal(s.ready, true);
    assert.equal(s.keys.fresh, false);
    // Discovery fails, the known jwks_uri is tried, and that fails too.
    assert.match(s.detail, /\(stale\); last refresh failed: the JWKS endpoint could not be reached/);
    clock.advance(60_000);
    assert.equal(
      await outcome(authorizer, await sign(k2, claims(issuer))),
      "401 unable to get the issuer's signing keys: the JWKS endpoint could not be reached (UND_ERR_SOCKET)",
    );
  });

  test('issuer down at start: fail closed, retry at most once a second, recover when it is back', async () => {
    const { issuer, state } = idp.tenant(name(), [k1.jwk], { down: true });
    // Request-driven fetching only: the background retry (real timers) would add attempts.
    const { authorizer, clock } = makeAuthorizer(jwtConfig(issuer), { keylessRetry: null });
    await authorizer.warmUp();
    assert.equal(authorizer.status().ready, false);
    assert.match(authorizer.status().detail, /^no keys: the OIDC discovery endpoint could not be reached/);
    const token = await sign(k1, claims(issuer));
    // A failed prefetch does not hold the first request back: it tries again (still down).
    assert.match(await outcome(authorizer, token), /^401 unable to get the issuer's signing keys: the OIDC discovery endpoint could not be reached/);
    state.down = false;
    assert.match(await outcome(authorizer, token), /^401 unable to get the issuer's signing keys/, 'no new attempt inside the retry interval');
    assert.equal(state.hits.discovery, 0);
    clock.advance(1_000);
    assert.equal(await outcome(authorizer, token), 'ok');
    assert.equal(state.hits.discovery, 1);
  });

  test('known jwks_uri keeps serving when only discovery fails', async () => {
    const { issuer, state } = idp.tenant(name(), [k1.jwk]);
    const { authorizer, clock } = makeAuthorizer(jwtConfig(issuer, { jwksCooldownSeconds: 1, jwksTimeoutInMillis: 100 }));
    await authorizer.warmUp();
    state.keys = [k1.jwk, k2.jwk];
    state.discoveryIssuer = undefined;
    // Discovery now times out, but the JWKS endpoint answers.
    state.discoveryDelayMs = 5_000;
    clock.advance(1_000);
    // A new store has no jwks_uri yet, so discovery's timeout is its reason...
    const quick = makeAuthorizer(jwtConfig(issuer, { jwksTimeoutInMillis: 100, jwksCooldownSeconds: 1 }), { clock });
    assert.match(await outcome(quick.authorizer, await sign(k2, claims(issuer))), /did not answer within 100 ms/);
    // ...while the warm store falls back to the jwks_uri it already knows.
    assert.equal(await outcome(authorizer, await sign(k2, claims(issuer))), 'ok');
    await quick.authorizer.close();
  });

  test('jwksUri skips discovery', async () => {
    const { issuer, state } = idp.tenant(name(), [k1.jwk], { discoveryIssuer: 'https://wrong.example' });
    const { authorizer } = makeAuthorizer(jwtConfig(issuer, { jwksUri: `${issuer}/jwks` }));
    assert.equal(await outcome(authorizer, await sign(k1, claims(issuer))), 'ok');
    assert.deepEqual(state.hits, { discovery: 0, jwks: 1 });
  });

  test('default discovery timeout is AWS\'s 1500 ms', async () => {
    const { issuer } = idp.tenant(name(), [k1.jwk], { discoveryDelayMs: 1_800 });
    const { authorizer } = makeAuthorizer(jwtConfig(issuer));
    const started = performance.now();
    assert.equal(
      await outcome(authorizer, await sign(k1, claims(issuer))),
      "401 unable to get the issuer's signing keys: the OIDC discovery endpoint did not answer within 1500 ms",
    );
    const took = performance.now() - started;
    assert.ok(took >= 1_450 && took < 1_790, `took ${took} ms`);
    await authorizer.close();
  });

  test('a JWKS of exactly 150000 bytes is accepted, one more byte is refused (chunked and with content-length)', async () => {
    assert.equal(MAX_JWKS_BYTES, 150_000);
    const exact = idp.tenant(name(), [k1.jwk], { jwksPadToBytes: 150_000 });
    const { authorizer } = makeAuthorizer(jwtConfig(exact.issuer));
    assert.equal(await outcome(authorizer, await sign(k1, claims(exact.issuer))), 'ok');
    const over = idp.tenant(name(), [k1.jwk], { jwksPadToBytes: 150_001 });
    const r = makeAuthorizer(jwtConfig(over.issuer));
    assert.match(await outcome(r.authorizer, await sign(k1, claims(over.issuer))), /larger than 150000 bytes$/);
    // content-length path
    const big = idp.tenant(name(), [{ ...k1.jwk, pad: 'y'.repeat(150_000) } as typeof k1.jwk]);
    await assert.rejects(undiciGet(`${big.issuer}/jwks`, { timeoutMs: 1500, maxBytes: 150_000, what: 'JWKS endpoint' }), /larger than 150000 bytes/);
  });

  test('unusable JWKS entries are skipped: oct, use=enc, no kid, bad key material, key_ops without verify', async () => {
    const { keys, count } = importJwks({
      keys: [
        { kty: 'oct', kid: 'h', k: 'c2VjcmV0' },
        { ...k1.jwk, kid: 'enc', use: 'enc' },
        { ...k1.jwk, kid: undefined },
        { kty: 'RSA', kid: 'broken', n: '', e: '' },
        { kty: 'EC', kid: 'broken-ec', crv: 'P-256', x: 'AA', y: 'AA' },
        { ...k1.jwk, kid: 'ops', key_ops: ['sign'] },
        { ...k1.jwk, kid: 'good' },
        { ...k1.jwk, kid: 'good', alg: 'RS384' },
        null,
      ],
    });
    assert.deepEqual([...keys.keys()], ['good']);
    assert.equal(keys.get('good')?.length, 2);
    assert.equal(count, 2);
  });

  test('key store status before and after a failed fetch, with an injected fetch', async () => {
    const clock = createManualClock(NOW_MS);
    let calls = 0;
    const store = createKeyStore({
      issuer: 'https://idp.example',
      clock,
      httpGet: async () => {
        calls++;
        return { status: 404, body: Buffer.from('nope') };
      },
    });
    assert.equal(store.status().detail, 'no keys fetched yet');
    const r = await store.getKey('x');
    assert.deepEqual(r, { reason: 'keys_unavailable', cause: 'the OIDC discovery endpoint answered with status 404' });
    assert.equal(store.status().reloading, false);
    assert.equal(store.status().coolingDown, true);
    assert.equal(calls, 1);
    store.close();
  });

  test('background retry delays while no keys are loaded: 1 s, doubling, capped at 8 s (ready within 10 s of the issuer\'s return)', () => {
    assert.equal(KEYLESS_RETRY_FIRST_MS, 1_000);
    assert.equal(KEYLESS_RETRY_MAX_MS, 8_000);
    assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 1_000].map((n) => keylessRetryDelayMs(n)), [1_000, 2_000, 4_000, 8_000, 8_000, 8_000, 8_000, 8_000]);
    assert.deepEqual([0, 1, 2, 3].map((n) => keylessRetryDelayMs(n, 5, 20)), [5, 10, 20, 20]);
  });

  test('with no keys, failed fetches are retried in the background until one succeeds, with no getKey() and whatever the cooldown', async () => {
    const jwks = Buffer.from(JSON.stringify({ keys: [k1.jwk] }));
    let calls = 0;
    let succeeded!: () => void;
    const fourth = new Promise<void>((resolve) => (succeeded = resolve));
    const httpGet: HttpGet = async () => {
      calls++;
      if (calls < 4) return { status: 503, body: Buffer.from('down') };
      succeeded();
      return { status: 200, body: jwks };
    };
    const store = createKeyStore({ issuer: 'https://idp.example', jwksUri: 'https://idp.example/jwks', clock: createManualClock(NOW_MS), cooldownMs: 3_600_000, httpGet, keylessRetry: { firstMs: 5, maxMs: 20 } });
    try {
      await store.warmUp();
      assert.equal(store.status().ready, false);
      assert.equal(store.status().retryScheduled, true);
      await fourth; // three failures, each followed by a scheduled retry; the manual clock never moved
      await store.warmUp(); // joins the fourth fetch
      assert.equal(calls, 4);
      assert.equal(store.status().ready, true);
      assert.equal(store.status().retryScheduled, false);
      const found = store.getKey('key-1');
      assert.ok(!(found instanceof Promise) && 'candidates' in found, 'served from the keys the retry loaded');
      assert.equal(found.candidates.length, 1);
    } finally {
      store.close();
    }
  });

  test('close() stops the background retry, and a failure after close schedules none', async () => {
    let calls = 0;
    const store = createKeyStore({
      issuer: 'https://idp.example',
      clock: createManualClock(NOW_MS),
      httpGet: async () => {
        calls++;
        return { status: 500, body: Buffer.alloc(0) };
      },
    });
    await store.warmUp();
    assert.equal(store.status().retryScheduled, true);
    store.close();
    assert.equal(store.status().retryScheduled, false);
    assert.deepEqual(await store.getKey('x'), { reason: 'keys_unavailable', cause: 'the OIDC discovery endpoint answered with status 500' });
    assert.equal(calls, 2);
    assert.equal(store.status().retryScheduled, false);
    store.close(); // idempotent
  });
});
