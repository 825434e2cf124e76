/**
 * Claim requirements per route (`claims:`) and scopes from other claims (`scopeClaims:`), beyond AWS,
 * through the real gateway on 127.0.0.1:0 with real RS256 tokens from a local IdP: SuperTokens'
 * `claimValidationErrors` 403 body, method-specific rules, Auth0 `permissions`, the custom status,
 * and config errors with their paths.
 */
import { after, before, describe, test } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { parseConfig } from '../../src/config.ts';
import { ConfigError } from '../../src/core/errors.ts';
import { startGateway, type TestGateway } from '../helpers/gateway.ts';
import { makeKey, sign, startIdp, type Idp, type TestKey } from './fixtures.ts';

const mock = { type: 'mock', statusCode: 200, body: 'ok' };

describe('claims: and scopeClaims: through the gateway', () => {
  let idp: Idp;
  let key: TestKey;
  let issuer: string;
  let gw: TestGateway;
  before(async () => {
    idp = await startIdp();
    key = await makeKey('c-1');
    issuer = idp.tenant('claims', [key.jwk]).issuer;
    gw = await startGateway({
      apis: [
        {
          name: 'claims',
          protocol: 'http',
          stage: '$default',
          authorizers: {
            st: { authorizerType: 'JWT', jwtConfiguration: { issuer, audience: ['jwtAuthorizers'] } },
            auth0: { authorizerType: 'JWT', jwtConfiguration: { issuer, audience: ['https://api.example'] }, scopeClaims: ['scope', 'permissions'], claimValidationResponse: { statusCode: 401, message: 'try again' } },
          },
          routes: {
            'GET /wishlist': { authorizerId: 'st', claims: { 'st-ev.v': true }, integration: mock },
            'GET /orders': { authorizerId: 'st', claims: { 'cognito:groups': { includesAny: ['readers', 'editors'] } }, integration: mock },
            'POST /orders': { authorizerId: 'st', claims: { 'cognito:groups': { includes: 'editors' }, amr: { includes: 'otp' } }, integration: mock },
            'GET /admin': { authorizerId: 'auth0', authorizationScopes: ['read:admin'], claims: { 'https://example.com/roles': { includes: 'admin' } }, integration: mock },
          },
        },
      ],
    });
  });
  after(async () => {
    await gw.close();
    await idp.close();
  });

  const token = (claims: Record<string, unknown>, aud = 'jwtAuthorizers') => {
    const now = Math.floor(Date.now() / 1000);
    return sign(key, { iss: issuer, sub: 'user-1', aud, iat: now, exp: now + 600, ...claims });
  };
  const call = async (method: string, path: string, jwt: string) => {
    const res = await fetch(`${gw.url}${path}`, { method, headers: { authorization: `Bearer ${jwt}` } });
    return { status: res.status, type: res.headers.get('content-type'), body: await res.text() };
  };

  test("an unverified SuperTokens user gets verifySession's 403 body; a verified one gets through", async () => {
    const refused = await call('GET', '/wishlist', await token({ 'st-ev': { v: false, t: 0 } }));
    assert.equal(refused.status, 403);
    assert.equal(refused.type, 'application/json');
    assert.equal(refused.body, '{"message":"invalid claim","claimValidationErrors":[{"id":"st-ev","reason":{"message":"wrong value","expectedValue":true,"actualValue":false}}]}');
    assert.equal((await call('GET', '/wishlist', await token({ 'st-ev': { v: true, t: 0 } }))).status, 200);
    // A cached verified token is checked again on each request (the rule is the route's, not the token's).
    const verified = await token({ 'st-ev': { v: true, t: 0 } });
    assert.equal((await call('GET', '/wishlist', verified)).status, 200);
    assert.equal((await call('GET', '/wishlist', verified)).status, 200);
  });

  test('method-specific rules fall out of routes: GET /orders for readers, POST /orders for editors with otp', async () => {
    const reader = await token({ 'cognito:groups': ['readers'], amr: ['pwd', 'otp'] });
    assert.equal((await call('GET', '/orders', reader)).status, 200);
    const post = await call('POST', '/orders', reader);
    assert.equal(post.status, 403);
    assert.deepEqual(JSON.parse(post.body), {
      message: 'invalid claim',
      claimValidationErrors: [{ id: 'cognito:groups', reason: { message: 'wrong value', expectedToInclude: 'editors', actualValue: ['readers'] } }],
    });
    const editorNoOtp = await call('POST', '/orders', await token({ 'cognito:groups': ['editors'], amr: ['pwd'] }));
    assert.deepEqual(JSON.parse(editorNoOtp.body).claimValidationErrors.map((e: { id: string }) => e.id), ['amr']);
    assert.equal((await call('POST', '/orders', await token({ 'cognito:groups': ['editors'], amr: ['pwd', 'otp'] }))).status, 200);
  });

  test('an Auth0 permissions array satisfies authorizationScopes; the claim answer is customised', async () => {
    const roles = { 'https://example.com/roles': ['admin'] };
    assert.equal((await call('GET', '/admin', await token({ scope: 'openid', permissions: ['read:admin'], ...roles }, 'https://api.example'))).status, 200);
    const noPerm = await call('GET', '/admin', await token({ scope: 'openid', permissions: ['read:orders'], ...roles }, 'https://api.example'));
    assert.deepEqual([noPerm.status, noPerm.body], [403, '{"message":"Forbidden"}']);
    const notAdmin = await call('GET', '/admin', await token({ permissions: ['read:admin'], 'https://example.com/roles': ['user'] }, 'https://api.example'));
    assert.equal(notAdmin.status, 401);
    assert.equal(JSON.parse(notAdmin.body).message, 'try again');
    assert.equal(JSON.parse(notAdmin.body).claimValidationErrors[0].id, 'https://example.com/roles');
  });
});

test('bad claim rules are config errors with their path; claims need a JWT authorizer', () => {
  const config = {
    apis: [
      {
        name: 'a',
        protocol: 'http',
        stage: '$default',
        authorizers: {
          jwt: { authorizerType: 'JWT', jwtConfiguration: { issuer: 'https://idp.example', audience: ['a'] }, scopeClaims: [] },
          lam: { authorizerType: 'REQUEST', authorizerUri: 'http://127.0.0.1:1/auth', identitySource: '$request.header.x' },
        },
        routes: {
          'GET /a': { authorizerId: 'jwt', claims: { 'st-role.v': { includesAny: 'admin' }, 'st-ev.v': { equal: true } }, integration: mock },
          'GET /b': { authorizerId: 'lam', claims: { sub: 'x' }, integration: mock },
        },
      },
    ],
  };
  assert.throws(() => parseConfig(config, {}), (err: unknown) => {
    assert.ok(err instanceof ConfigError);
    assert.deepEqual(err.issues.map((i) => `${i.path}: ${i.message}`), [
      'apis[0].authorizers.jwt.scopeClaims: must have at least 1 item(s)',
    ]);
    return true;
  });
  (config.apis[0]!.authorizers.jwt as Record<string, unknown>).scopeClaims = ['permissions'];
  assert.throws(() => parseConfig(config, {}), (err: unknown) => {
    assert.ok(err instanceof ConfigError);
    assert.deepEqual(err.issues.map((i) => `${i.path}: ${i.message}`), [
      'apis[0].routes["GET /a"].claims["st-role.v"].includesAny: must be a non-empty list of strings, numbers or booleans',
      'apis[0].routes["GET /a"].claims["st-ev.v"].equal: unknown claim operator; known: equals, includes, includesAny, includesAll, excludes, exists, min, max, maxAgeSeconds',
      'apis[0].routes["GET /b"].claims: needs a JWT authorizer on the route',
    ]);
    return true;
  });
});
