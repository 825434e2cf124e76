/**
 * The JWT plug-in's successful paths, through `authorize()`: conformance vectors §1.7, Cognito-shaped
 * tokens, identity sources, opt-in algorithms, and the verified-token cache.
 */
import { after, before, describe, test } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { GatewayError } from '../../src/core/errors.ts';
import { bearer, claims, jwtConfig, makeAuthorizer, makeKey, makeRequest, NOW_MS, NOW_S, sign, startIdp, type Idp, type TestKey } from './fixtures.ts';

describe('JWT authorizer: accepted tokens', () => {
  let idp: Idp;
  let rsa: TestKey;
  let issuer: string;
  let n = 0;
  before(async () => {
    idp = await startIdp();
    rsa = await makeKey('rsa-1');
    issuer = idp.tenant('main', [rsa.jwk]).issuer;
  });
  after(() => idp.close());

  test('conformance 5: no aud, client_id listed → accepted', async () => {
    const { authorizer } = makeAuthorizer(jwtConfig(issuer));
    const out = await authorizer.authorize(makeRequest(bearer(await sign(rsa, claims(issuer, { aud: undefined, client_id: 'client-1' })))));
    assert.equal(out.kind, 'jwt');
    assert.equal(out.claims?.client_id, 'client-1');
    assert.equal(out.scopes, null);
  });

  test('conformance 7: route scopes ["read"], token "read write" → full token scope list', async () => {
    const { authorizer } = makeAuthorizer(jwtConfig(issuer));
    const token = await sign(rsa, claims(issuer, { scope: 'read write' }));
    const out = await authorizer.authorize(makeRequest({ ...bearer(token), authorizationScopes: ['read'] }));
    assert.deepEqual(out.scopes, ['read', 'write']);
    assert.equal(out.claims?.scope, 'read write');
  });

  test('conformance 8: route without scopes, token with scope → scopes null', async () => {
    const { authorizer } = makeAuthorizer(jwtConfig(issuer));
    const out = await authorizer.authorize(makeRequest(bearer(await sign(rsa, claims(issuer, { scope: 'read' })))));
    assert.equal(out.scopes, null);
  });

  test('conformance 9: claims stringified AWS-style', async () => {
    const { authorizer } = makeAuthorizer(jwtConfig(issuer));
    const token = await sign(rsa, claims(issuer, { 'cognito:groups': ['a', 'b'], exp: 1718722804, email_verified: true, addr: { country: 'JP' }, gone: null }));
    const out = await authorizer.authorize(makeRequest(bearer(token)));
    assert.deepEqual(out.claims, {
      iss: issuer,
      sub: 'user-1',
      aud: 'api://default',
      iat: String(NOW_S - 10),
      exp: '1718722804',
      'cognito:groups': '[a b]',
      email_verified: 'true',
      addr: '{"country":"JP"}',
    });
  });

  test('scp array satisfies a route scope and is returned in token order', async () => {
    const { authorizer } = makeAuthorizer(jwtConfig(issuer));
    const token = await sign(rsa, claims(issuer, { scp: ['admin', 'read'], scope: 'ignored' }));
    const out = await authorizer.authorize(makeRequest({ ...bearer(token), authorizationScopes: ['write', 'read'] }));
    assert.deepEqual(out.scopes, ['admin', 'read']);
    assert.equal(out.claims?.scp, '[admin read]');
  });

  test('Cognito access token: client_id, scope, token_use, no aud', async () => {
    const pool = idp.tenant('us-east-1_abc', [rsa.jwk]).issuer;
    const { authorizer } = makeAuthorizer(jwtConfig(pool, { jwtConfiguration: { issuer: pool, audience: ['3n4b5urk1ft4fl3mg5e62d9ado'] } }));
    const token = await sign(rsa, {
      sub: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
      'cognito:groups': ['admin'],
      iss: pool,
      version: 2,
      client_id: '3n4b5urk1ft4fl3mg5e62d9ado',
      origin_jti: 'bbbbbbbbb-cccc-dddd-eeee-aaaaaaaaaaaa',
      event_id: 'cccccccc-dddd-eeee-aaaa-bbbbbbbbbbbb',
      token_use: 'access',
      scope: 'phone openid profile email aws.cognito.signin.user.admin',
      auth_time: NOW_S - 100,
      exp: NOW_S + 3500,
      iat: NOW_S - 100,
      jti: 'dddddddd-eeee-aaaa-bbbb-cccccccccccc',
      username: 'alice',
    });
    const out = await authorizer.authorize(makeRequest({ ...bearer(token), authorizationScopes: ['openid'] }));
    assert.equal(out.claims?.token_use, 'access');
    assert.equal(out.claims?.version, '2');
    assert.equal(out.claims?.['cognito:groups'], '[admin]');
    assert.deepEqual(out.scopes, ['phone', 'openid', 'profile', 'email', 'aws.cognito.signin.user.admin']);
  });

  test('Cognito ID token: aud, cognito:groups array; refused where scopes are required', async () => {
    const pool = idp.tenant('us-east-1_def', [rsa.jwk]).issuer;
    const { authorizer } = makeAuthorizer(jwtConfig(pool, { jwtConfiguration: { issuer: pool, audience: ['3n4b5urk1ft4fl3mg5e62d9ado'] } }));
    const token = await sign(rsa, {
      sub: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
      'cognito:groups': ['admin', 'poweruser'],
      email_verified: true,
      iss: pool,
      'cognito:username': 'alice',
      aud: '3n4b5urk1ft4fl3mg5e62d9ado',
      token_use: 'id',
      auth_time: NOW_S - 100,
      exp: 1718722804,
      iat: NOW_S - 100,
      email: 'alice@example.com',
    });
    const out = await authorizer.authorize(makeRequest(bearer(token)));
    assert.equal(out.claims?.['cognito:groups'], '[admin poweruser]');
    assert.equal(out.claims?.exp, '1718722804');
    assert.equal(out.claims?.email_verified, 'true');
    assert.equal(out.claims?.token_use, 'id');
    await assert.rejects(authorizer.authorize(makeRequest({ ...bearer(token), authorizationScopes: ['openid'] })), (e: GatewayError) => e.status === 403);
  });

  test('bare token without the Bearer prefix is accepted', async () => {
    const { authorizer } = makeAuthorizer(jwtConfig(issuer));
    const out = await authorizer.authorize(makeRequest({ headers: { authorization: await sign(rsa, claims(issuer)) } }));
    assert.equal(out.claims?.sub, 'user-1');
  });

  test('custom header and query-string identity sources (query names are case-sensitive)', async () => {
    const token = await sign(rsa, claims(issuer));
    const h = makeAuthorizer(jwtConfig(issuer, { identitySource: ['$request.header.X-Api-Token'] })).authorizer;
    assert.equal((await h.authorize(makeRequest({ headers: { 'x-api-token': token } }))).claims?.sub, 'user-1');
    const q = makeAuthorizer(jwtConfig(issuer, { identitySource: '$request.querystring.access_token' })).authorizer;
    assert.equal((await q.authorize(makeRequest({ rawQueryString: `a=1&access_token=${encodeURIComponent(token)}` }))).claims?.sub, 'user-1');
    await assert.rejects(q.authorize(makeRequest({ rawQueryString: `Access_Token=${token}` })), (e: GatewayError) => e.detail === 'missing: token not provided');
  });

  for (const alg of ['ES256', 'ES384', 'ES512', 'PS256', 'PS512', 'EdDSA', 'RS384', 'RS512']) {
    test(`${alg} with allowedAlgorithms opting in`, async () => {
      const key = await makeKey(`${alg}-key`, alg);
      const iss = idp.tenant(`alg${n++}`, [key.jwk]).issuer;
      const { authorizer } = makeAuthorizer(jwtConfig(iss, { allowedAlgorithms: [alg] }));
      const out = await authorizer.authorize(makeRequest(bearer(await sign(key, claims(iss)))));
      assert.equal(out.claims?.iss, iss);
    });
  }

  test('two JWKs under one kid: either may verify', async () => {
    const other = await makeKey('rsa-other');
    const iss = idp.tenant(`dup${n++}`, [{ ...other.jwk, kid: 'shared' }, { ...rsa.jwk, kid: 'shared' }]).issuer;
    const { authorizer } = makeAuthorizer(jwtConfig(iss));
    const out = await authorizer.authorize(makeRequest(bearer(await sign(rsa, claims(iss), { kid: 'shared' }))));
    assert.equal(out.claims?.sub, 'user-1');
  });

  test('claims are frozen and scopes are a fresh array per request', async () => {
    const { authorizer } = makeAuthorizer(jwtConfig(issuer));
    const token = await sign(rsa, claims(issuer, { scope: 'read' }));
    const a = await authorizer.authorize(makeRequest({ ...bearer(token), authorizationScopes: ['read'] }));
    const b = await authorizer.authorize(makeRequest({ ...bearer(token), authorizationScopes: ['read'] }));
    assert.ok(Object.isFrozen(a.claims));
    assert.notEqual(a.scopes, b.scopes);
    assert.deepEqual(a.scopes, b.scopes);
  });
});

describe('JWT authorizer: verified-token cache', () => {
  let idp: Idp;
  let rsa: TestKey;
  let n = 0;
  before(async () => {
    idp = await startIdp();
    rsa = await makeKey('rsa-1');
  });
  after(() => idp.close());
  const fail = (e: unknown) => (e instanceof GatewayError ? e.detail : String(e));

  test('a cached token still expires on time (time checks re-run on every hit)', async () => {
    const issuer = idp.tenant(`c${n++}`, [rsa.jwk]).issuer;
    const { authorizer, clock } = makeAuthorizer(jwtConfig(issuer));
    const token = await sign(rsa, claims(issuer, { exp: NOW_S + 60 }));
    await authorizer.authorize(makeRequest(bearer(token)));
    assert.equal(authorizer.status().cachedTokens, 1);
    clock.advance(59_999);
    await authorizer.authorize(makeRequest(bearer(token)));
    clock.advance(1);
    assert.equal(await authorizer.authorize(makeRequest(bearer(token))).then(() => 'ok', fail), 'token is expired');
  });

  test('clock moved backwards: a cached token is refused before its iat', async () => {
    const issuer = idp.tenant(`c${n++}`, [rsa.jwk]).issuer;
    const { authorizer, clock } = makeAuthorizer(jwtConfig(issuer));
    const token = await sign(rsa, claims(issuer, { iat: NOW_S }));
    await authorizer.authorize(makeRequest(bearer(token)));
    clock.set(NOW_MS - 1_000);
    assert.equal(await authorizer.authorize(makeRequest(bearer(token))).then(() => 'ok', fail), 'token used before issued');
  });

  test('a cache hit still applies each route\'s scopes', async () => {
    const issuer = idp.tenant(`c${n++}`, [rsa.jwk]).issuer;
    const { authorizer } = makeAuthorizer(jwtConfig(issuer));
    const token = await sign(rsa, claims(issuer, { scope: 'read' }));
    await authorizer.authorize(makeRequest({ ...bearer(token), authorizationScopes: ['read'] }));
    await assert.rejects(authorizer.authorize(makeRequest({ ...bearer(token), authorizationScopes: ['write'] })), (e: GatewayError) => e.status === 403);
    assert.equal((await authorizer.authorize(makeRequest(bearer(token)))).scopes, null);
  });

  test('a cached token is verified again when a refresh replaces its key under the same kid', async () => {
    const { issuer, state } = idp.tenant(`c${n++}`, [rsa.jwk]);
    const { authorizer, clock } = makeAuthorizer(jwtConfig(issuer, { jwksCacheMaxAgeSeconds: 60 }));
    const token = await sign(rsa, claims(issuer));
    await authorizer.authorize(makeRequest(bearer(token)));
    const impostor = await makeKey('impostor-same-kid');
    state.keys = [{ ...impostor.jwk, kid: rsa.kid }];
    clock.advance(60_000);
    await authorizer.authorize(makeRequest(bearer(token))); // stale keys serve; refresh starts
    await authorizer.warmUp();
    assert.equal(await authorizer.authorize(makeRequest(bearer(token))).then(() => 'ok', fail), 'signature is invalid');
  });

  test('the cache is bounded', async () => {
    const issuer = idp.tenant(`c${n++}`, [rsa.jwk]).issuer;
    const { authorizer } = makeAuthorizer(jwtConfig(issuer), { tokenCacheMaxEntries: 3 });
    for (let i = 0; i < 10; i++) await authorizer.authorize(makeRequest(bearer(await sign(rsa, claims(issuer, { jti: String(i) })))));
    assert.equal(authorizer.status().cachedTokens, 3);
  });

  test('a token with "Bearer " and without it hits the same entry; refused tokens are not cached', async () => {
    const issuer = idp.tenant(`c${n++}`, [rsa.jwk]).issuer;
    const { authorizer } = makeAuthorizer(jwtConfig(issuer));
    const token = await sign(rsa, claims(issuer));
    await authorizer.authorize(makeRequest(bearer(token)));
    await authorizer.authorize(makeRequest({ headers: { authorization: token } }));
    assert.equal(authorizer.status().cachedTokens, 1);
    await authorizer.authorize(makeRequest(bearer(await sign(rsa, claims(issuer, { aud: 'nope' }))))).catch(() => {});
    assert.equal(authorizer.status().cachedTokens, 1);
  });
});
