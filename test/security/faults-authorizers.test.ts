/**
 * Faults in what the gateway trusts least, through the running gateway:
 *   - a Lambda authorizer handler that hangs (timeout), throws, exits its process, or returns more
 *     than Lambda's 6 MB: each is a 500 for that request only, fails closed, and the gateway (and the
 *     same authorizer, in a fresh worker) keeps answering;
 *   - the issuer's JWKS endpoint down, slow (past jwksTimeoutInMillis), or serving a changed key:
 *     fail closed with 401 and the reason, never a hang, recover when the issuer does.
 * Documented outcomes: docs/security.md ("Faults").
 */
import { after, before, describe, test } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { startGateway, tempDir, type TestGateway } from '../helpers/gateway.ts';
import { createManualClock } from '../../src/core/clock.ts';
import { claims, makeKey, sign, startIdp, NOW_MS, type Idp, type TestKey } from '../jwt/fixtures.ts';

const AUTH = `
export const handler = async (event) => {
  const mode = event.headers['x-mode'];
  if (mode === 'hang') await new Promise(() => setInterval(() => {}, 1000));
  if (mode === 'spin') for (;;) {}
  if (mode === 'throw') throw new Error('authorizer bug with a secret-looking detail sk_live_123');
  if (mode === 'exit') process.exit(3);
  if (mode === 'huge') return { isAuthorized: true, context: { blob: 'x'.repeat(7 * 1024 * 1024) } };
  if (mode === 'almost') return { isAuthorized: true, context: { blob: 'x'.repeat(5 * 1024 * 1024) } };
  return { isAuthorized: mode === 'ok', context: { mode } };
};`;

describe('Lambda authorizer handler faults', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startGateway({
      apis: [{
        name: 'a', protocol: 'http', stage: '$default',
        authorizers: { fn: { authorizerType: 'REQUEST', function: { handler: './auth.mjs', timeoutInMillis: 2000, reservedConcurrency: 2 }, identitySource: ['$request.header.x-mode'], enableSimpleResponses: true, authorizerResultTtlInSeconds: 0 } },
        routes: {
          'GET /p': { authorizerId: 'fn', integration: { type: 'mock', statusCode: 200, body: 'allowed' } },
          'GET /open': { integration: { type: 'mock', statusCode: 200, body: 'open' } },
        },
      }],
    }, { baseDir: tempDir({ 'auth.mjs': AUTH }) });
  });
  after(() => gw.close());

  const call = async (mode: string) => {
    const started = Date.now();
    const res = await fetch(`${gw.url}/p`, { headers: { 'x-mode': mode }, signal: AbortSignal.timeout(10_000) });
    return { status: res.status, body: await res.text(), ms: Date.now() - started };
  };

  for (const [mode, what] of [['hang', 'never answers'], ['spin', 'blocks its event loop'], ['throw', 'throws'], ['exit', 'calls process.exit()'], ['huge', 'returns 7 MB (over Lambda\'s 6 MB)']] as const) {
    test(`a handler that ${what} → 500 {"message":"Internal Server Error"}; the gateway and the authorizer keep working`, async () => {
      const r = await call(mode);
      assert.equal(r.status, 500);
      assert.equal(r.body, '{"message":"Internal Server Error"}');
      assert.ok(!r.body.includes('sk_live'), 'handler detail never reaches the client');
      assert.ok(r.ms < 6000, `answered in ${r.ms} ms`);
      const [open, ok] = await Promise.all([fetch(`${gw.url}/open`), call('ok')]);
      assert.equal(open.status, 200);
      assert.equal(ok.status, 200, 'the same authorizer answers again (worker replaced if it died)');
      assert.equal(ok.body, 'allowed');
    });
  }

  test('a 5 MB answer (under the limit) is accepted; many faults in parallel never open the route', async () => {
    assert.equal((await call('almost')).status, 200);
    const modes = ['hang', 'throw', 'exit', 'huge', 'deny', 'spin', 'throw', 'exit'];
    const results = await Promise.all(modes.map(call));
    results.forEach((r, i) => assert.equal(r.status, modes[i] === 'deny' ? 403 : 500, `${modes[i]}: ${r.status}`));
    assert.equal((await call('ok')).status, 200);
    const rss = process.memoryUsage().rss / 1024 / 1024;
    assert.ok(rss < 1024, `RSS ${rss.toFixed(0)} MB`);
  });
});

describe('issuer JWKS faults through the gateway', () => {
  let idp: Idp;
  let k1: TestKey;
  let k1b: TestKey;
  before(async () => {
    idp = await startIdp();
    k1 = await makeKey('jwks-fault-1', 'ES256');
    k1b = await makeKey('jwks-fault-1', 'ES256', { withAlg: false }); // same kid, another key pair
  });
  after(() => idp.close());

  async function gatewayFor(issuer: string, clock: ReturnType<typeof createManualClock>, extra: Record<string, unknown> = {}) {
    return startGateway({
      apis: [{
        name: 'j', protocol: 'http', stage: '$default',
        authorizers: { jwt: { authorizerType: 'JWT', jwtConfiguration: { issuer, audience: ['api://default'] }, allowedAlgorithms: ['ES256'], jwksTimeoutInMillis: 300, jwksCooldownSeconds: 60, jwksCacheMaxAgeSeconds: 600, ...extra } },
        routes: { 'GET /p': { authorizerId: 'jwt', integration: { type: 'mock', statusCode: 200, body: 'ok' } } },
      }],
    }, { clock });
  }
  const get = async (gw: TestGateway, token: string) => {
    const started = Date.now();
    const res = await fetch(`${gw.url}/p`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(10_000) });
    await res.text();
    return { status: res.status, www: res.headers.get('www-authenticate') ?? '', ms: Date.now() - started };
  };

  test('JWKS down from the start: 401 with the fetch error, retried at most once a second; served once it is up', async () => {
    const { issuer, state } = idp.tenant('down', [k1.jwk], { down: true });
    const clock = createManualClock(NOW_MS);
    const gw = await gatewayFor(issuer, clock);
    try {
      const token = await sign(k1, claims(issuer));
      const hitsAfterStart = state.hits.discovery;
      for (let i = 0; i < 20; i++) {
        const r = await get(gw, token);
        assert.equal(r.status, 401);
        assert.ok(r.ms < 2000);
      }
      assert.ok(state.hits.discovery - hitsAfterStart <= 1, 'no fetch storm while down');
      state.down = false;
      clock.advance(10_000);
      assert.equal((await get(gw, token)).status, 200);
    } finally {
      await gw.close();
    }
  });

  test('JWKS slower than jwksTimeoutInMillis: 401 within the deadline, not a hang', async () => {
    const { issuer, state } = idp.tenant('slow', [k1.jwk], { jwksDelayMs: 2000 });
    const clock = createManualClock(NOW_MS);
    const gw = await gatewayFor(issuer, clock);
    try {
      const r = await get(gw, await sign(k1, claims(issuer)));
      assert.equal(r.status, 401);
      assert.ok(r.ms < 1500, `answered in ${r.ms} ms`);
      state.jwksDelayMs = 0;
      clock.advance(10_000);
      assert.equal((await get(gw, await sign(k1, claims(issuer)))).status, 200);
    } finally {
      await gw.close();
    }
  });

  test('the issuer replaces the key under the same kid: after the refresh, tokens of the old key are refused', async () => {
    const { issuer, state } = idp.tenant('changed', [k1.jwk]);
    const clock = createManualClock(NOW_MS);
    const gw = await gatewayFor(issuer, clock);
    try {
      const old = await sign(k1, claims(issuer));
      assert.equal((await get(gw, old)).status, 200);
      state.keys = [k1b.jwk];
      clock.advance(600_000); // keys stale: the next request triggers a background refresh
      assert.equal((await get(gw, old)).status, 200, 'stale keys keep serving while the refresh runs');
      await new Promise((r) => setTimeout(r, 200));
      const after = await get(gw, old);
      assert.equal(after.status, 401, 'the cached verification is dropped with its key');
      assert.match(after.www, /signature/);
      assert.equal((await get(gw, await sign(k1b, claims(issuer)))).status, 200, 'the new key is trusted');
    } finally {
      await gw.close();
    }
  });
});
