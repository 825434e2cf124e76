/**
 * Floods against a running gateway (127.0.0.1:0, real IdP and Lambda authorizer on loopback):
 *   - distinct invalid tokens with unknown kids: the issuer sees at most one JWKS fetch per
 *     cooldown, every answer is 401, nothing is cached, RSS stays bounded;
 *   - distinct *valid* tokens past the verified-token cache size: the cache stays at its bound;
 *   - distinct identities past the Lambda decision cache's entry and byte bounds: both hold.
 * Cache sizes are read through the plug-ins' own status() / cacheStats().
 */
import { after, before, describe, test } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { sign as cryptoSign } from 'node:crypto';
import { Agent, request } from 'undici';
import { startGateway, tempDir, type TestGateway } from '../helpers/gateway.ts';
import { createManualClock } from '../../src/core/clock.ts';
import { TOKEN_CACHE_MAX_ENTRIES, type JwtAuthorizer } from '../../src/authorizers/jwt.ts';
import type { LambdaAuthorizer } from '../../src/authorizers/lambda.ts';
import { b64url, bearer, makeKey, makeRequest, startIdp, NOW_MS, NOW_S, type Idp, type TestKey } from '../jwt/fixtures.ts';

const authorizerRequest = (token: string) => makeRequest(bearer(token));

const dispatcher = new Agent({ connections: 32, pipelining: 1 });
after(() => dispatcher.close());

/** Sends `n` requests, `concurrency` at a time; returns the status counts. */
async function flood(url: string, n: number, headersOf: (i: number) => Record<string, string>, concurrency = 32): Promise<Map<number, number>> {
  const counts = new Map<number, number>();
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < n) {
      const i = next++;
      const res = await request(url, { headers: headersOf(i), dispatcher });
      await res.body.dump();
      counts.set(res.statusCode, (counts.get(res.statusCode) ?? 0) + 1);
    }
  }));
  return counts;
}

const rssMb = () => process.memoryUsage().rss / 1024 / 1024;

describe('JWT floods', () => {
  let idp: Idp;
  let gw: TestGateway;
  let ec: TestKey;
  let hits: () => number;
  let issuer: string;
  const clock = createManualClock(NOW_MS);
  before(async () => {
    idp = await startIdp();
    ec = await makeKey('flood-ec', 'ES256');
    const t = idp.tenant('flood', [ec.jwk]);
    issuer = t.issuer;
    hits = () => t.state.hits.jwks;
    gw = await startGateway({
      apis: [{
        name: 'f', protocol: 'http', stage: '$default',
        authorizers: { jwt: { authorizerType: 'JWT', jwtConfiguration: { issuer, audience: ['api://default'] }, allowedAlgorithms: ['ES256'], jwksCooldownSeconds: 300 } },
        routes: { 'GET /p': { authorizerId: 'jwt', integration: { type: 'mock', statusCode: 200, body: 'ok' } } },
      }],
    }, { clock });
  });
  after(async () => {
    await gw.close();
    await idp.close();
  });
  const jwt = () => gw.gateway.apis[0]!.authorizers.get('jwt') as JwtAuthorizer;

  test('3000 distinct tokens with unknown kids: all 401, one JWKS refetch per cooldown, nothing cached, RSS bounded', async () => {
    const valid = signEs256(ec, { iss: issuer, aud: 'api://default', sub: 'warm', exp: NOW_S + 3600 });
    assert.equal((await flood(`${gw.url}/p`, 1, () => ({ authorization: `Bearer ${valid}` }))).get(200), 1);
    const fetchesBefore = hits();
    const rss0 = rssMb();
    const forged = (i: number) => `${b64url({ alg: 'ES256', kid: `unknown-${i}` })}.${b64url({ iss: issuer, aud: 'api://default', sub: `u${i}`, exp: NOW_S + 3600, pad: 'x'.repeat(400) })}.${'A'.repeat(86)}`;
    clock.advance(300_000); // past the cooldown: the first unknown kid may refetch once
    const first = await flood(`${gw.url}/p`, 1500, (i) => ({ authorization: `Bearer ${forged(i)}` }));
    assert.deepEqual([...first], [[401, 1500]]);
    assert.equal(hits() - fetchesBefore, 1, 'one refetch for 1500 unknown kids');
    clock.advance(299_999);
    await flood(`${gw.url}/p`, 500, (i) => ({ authorization: `Bearer ${forged(10_000 + i)}` }));
    assert.equal(hits() - fetchesBefore, 1, 'still cooling down');
    clock.advance(1);
    const second = await flood(`${gw.url}/p`, 1000, (i) => ({ authorization: `Bearer ${forged(20_000 + i)}` }));
    assert.deepEqual([...second], [[401, 1000]]);
    assert.equal(hits() - fetchesBefore, 2, 'one more after the next cooldown');
    assert.equal(jwt().status().cachedTokens, 1, 'refused tokens are never cached');
    const grown = rssMb() - rss0;
    assert.ok(grown < 96, `RSS grew ${grown.toFixed(1)} MB over 3000 forged tokens`);
  });

  test(`${TOKEN_CACHE_MAX_ENTRIES + 2000} distinct valid tokens: the verified-token cache stays at ${TOKEN_CACHE_MAX_ENTRIES}`, async () => {
    const n = TOKEN_CACHE_MAX_ENTRIES + 2000;
    const tokens = Array.from({ length: n }, (_, i) => signEs256(ec, { iss: issuer, aud: 'api://default', sub: `user-${i}`, exp: clock.nowMs() / 1000 + 3600 }));
    // Straight into the running gateway's authorizer instance (the HTTP path is the one above).
    const auth = jwt();
    for (let i = 0; i < n; i++) assert.equal((await auth.authorize(authorizerRequest(tokens[i]!))).kind, 'jwt');
    assert.equal(jwt().status().cachedTokens, TOKEN_CACHE_MAX_ENTRIES);
    // The newest tokens are still served (from the cache or verified again).
    assert.deepEqual([...(await flood(`${gw.url}/p`, 10, (i) => ({ authorization: `Bearer ${tokens[n - 1 - i]}` })))], [[200, 10]]);
  });
});

/** ES256 in JOSE form, with node:crypto directly (fast enough for thousands of tokens). */
function signEs256(key: TestKey, claims: Record<string, unknown>): string {
  const input = `${b64url({ alg: 'ES256', kid: key.kid, typ: 'JWT' })}.${b64url(claims)}`;
  return `${input}.${cryptoSign('sha256', Buffer.from(input), { key: key.privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
}

describe('Lambda authorizer decision-cache floods', () => {
  let gw: TestGateway;
  const AUTH = `export const handler = async (event) => ({ isAuthorized: true, context: { who: event.identitySource[0], blob: process.env.BLOB === '1' ? 'x'.repeat(4000) : '' } });`;
  before(async () => {
    const dir = tempDir({ 'auth.mjs': AUTH });
    const authorizer = (blob: string) => ({ authorizerType: 'REQUEST', function: { handler: './auth.mjs', reservedConcurrency: 4, environment: { BLOB: blob } }, identitySource: ['$request.header.x-id'], enableSimpleResponses: true, authorizerResultTtlInSeconds: 300 });
    gw = await startGateway({
      apis: [{
        name: 'l', protocol: 'http', stage: '$default',
        authorizers: { small: authorizer('0'), big: authorizer('1') },
        routes: {
          'GET /small': { authorizerId: 'small', integration: { type: 'mock', statusCode: 200, body: 'ok' } },
          'GET /big': { authorizerId: 'big', integration: { type: 'mock', statusCode: 200, body: 'ok' } },
        },
      }],
    }, { baseDir: dir });
  });
  after(() => gw.close());
  const stats = (id: string) => (gw.gateway.apis[0]!.authorizers.get(id) as LambdaAuthorizer).cacheStats()!;

  test('10500 distinct identities: at most 10000 decisions kept (entry bound), least recently used evicted', async () => {
    const counts = await flood(`${gw.url}/small`, 10_500, (i) => ({ 'x-id': `identity-${i}` }), 32);
    assert.deepEqual([...counts], [[200, 10_500]]);
    const s = stats('small');
    assert.equal(s.entries, 10_000);
    assert.equal(s.evictions, 500);
    assert.ok(s.bytes <= 16 * 1024 * 1024);
  });

  test('4000-byte contexts: the byte bound (16 MiB) holds before the entry bound', async () => {
    const counts = await flood(`${gw.url}/big`, 5000, (i) => ({ 'x-id': `big-${i}` }), 32);
    assert.deepEqual([...counts], [[200, 5000]]);
    const s = stats('big');
    assert.ok(s.bytes <= 16 * 1024 * 1024, `bytes ${s.bytes}`);
    assert.ok(s.entries < 5000 && s.evictions > 0, `entries ${s.entries}, evictions ${s.evictions}`);
  });
});
