/**
 * Seed scenario 2 end to end: a REST API whose Lambda REQUEST authorizer decides who may call
 * `/profile`; the gateway maps `principalId` into the backend request (`x-user-id`), and renders
 * its own 401/403 with CORS headers, a `Set-Cookie` from the decision's context and a JSON body of
 * claim errors taken from `$context.authorizer.body`.
 */
import { after, before, describe, test } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { startGateway, startUpstream, tempDir, type TestGateway, type TestUpstream } from '../helpers/gateway.ts';
import { SCENARIO_HANDLER } from './helpers.ts';

const ORIGIN = 'https://app.example.com';
const CORS = {
  'gatewayresponse.header.Access-Control-Allow-Origin': `'${ORIGIN}'`,
  'gatewayresponse.header.Access-Control-Allow-Credentials': "'true'",
  'gatewayresponse.header.Vary': "'Origin'",
};

let gw: TestGateway;
let upstream: TestUpstream;

before(async () => {
  const dir = tempDir({ 'auth.mjs': SCENARIO_HANDLER });
  upstream = await startUpstream();
  gw = await startGateway(
    {
      apis: [
        {
          name: 'seed2',
          protocol: 'rest',
          stage: 'prod',
          authorizers: {
            auth: {
              authorizerType: 'REQUEST',
              function: { handler: './auth.mjs' },
              identitySource: 'method.request.header.Authorization',
              authorizerResultTtlInSeconds: 0,
            },
          },
          routes: {
            'GET /profile': {
              authorizerId: 'auth',
              integration: {
                type: 'http',
                uri: `${upstream.url}/profile`,
                requestParameters: { 'integration.request.header.x-user-id': 'context.authorizer.principalId' },
              },
              responseParameters: { 'method.response.header.Set-Cookie': 'context.authorizer.setCookie' },
            },
          },
          gatewayResponses: {
            UNAUTHORIZED: {
              responseParameters: {
                ...CORS,
                'gatewayresponse.header.WWW-Authenticate': "'Bearer realm=\"portcullis\"'",
                // No decision on a 401, so no context: the header must be left out, not sent empty.
                'gatewayresponse.header.Set-Cookie': 'context.authorizer.setCookie',
              },
            },
            ACCESS_DENIED: {
              responseParameters: { ...CORS, 'gatewayresponse.header.Set-Cookie': 'context.authorizer.setCookie' },
              responseTemplates: { 'application/json': '$context.authorizer.body' },
            },
            DEFAULT_4XX: { responseParameters: CORS },
            DEFAULT_5XX: { responseParameters: CORS },
          },
        },
      ],
    },
    { baseDir: dir },
  );
});

after(async () => {
  await gw.close();
  await upstream.close();
});

async function get(path: string, headers: Record<string, string> = {}) {
  const res = await fetch(gw.url + path, { headers: { origin: ORIGIN, ...headers } });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

function assertCors(h: Headers) {
  assert.equal(h.get('access-control-allow-origin'), ORIGIN);
  assert.equal(h.get('access-control-allow-credentials'), 'true');
}

describe('seed scenario 2: gateway responses around a Lambda REQUEST authorizer', () => {
  test('allowed: the backend gets x-user-id = principalId; the answer carries Set-Cookie from the context', async () => {
    upstream.requests.length = 0;
    const r = await get('/prod/profile', { authorization: 'Bearer allow-cookie' });
    assert.equal(r.status, 200);
    assert.equal(upstream.requests.at(-1)?.headers['x-user-id'], 'user-42');
    assert.equal(r.headers.get('set-cookie'), 'sAccessToken=fresh; Path=/; HttpOnly');
  });

  test('403: CORS headers, Set-Cookie from context.authorizer.setCookie, and $context.authorizer.body as the body', async () => {
    const r = await get('/prod/profile', { authorization: 'Bearer deny-body' });
    assert.equal(r.status, 403);
    assertCors(r.headers);
    assert.equal(r.headers.get('set-cookie'), 'sAccessToken=; Max-Age=0; Path=/; HttpOnly');
    assert.deepEqual(JSON.parse(r.text), { message: 'session expired', errors: [{ claim: 'exp', reason: 'expired' }] });
    assert.equal(r.headers.get('x-amzn-errortype'), 'AccessDeniedException');
  });

  test('401 (no token): CORS and WWW-Authenticate headers, default body; no Set-Cookie (no decision, so no context)', async () => {
    const r = await get('/prod/profile');
    assert.equal(r.status, 401);
    assertCors(r.headers);
    assert.equal(r.headers.get('www-authenticate'), 'Bearer realm="portcullis"');
    assert.deepEqual(JSON.parse(r.text), { message: 'Unauthorized' });
    assert.equal(r.headers.get('set-cookie'), null, 'no Set-Cookie header (not even an empty one) without a decision');
  });

  test('401 thrown by the function: same customised UNAUTHORIZED response', async () => {
    const r = await get('/prod/profile', { authorization: 'unauthorized' });
    assert.equal(r.status, 401);
    assertCors(r.headers);
  });

  test('500 from a broken authorizer: DEFAULT_5XX adds CORS, body stays {"message":null}', async () => {
    const r = await get('/prod/profile', { authorization: 'throw' });
    assert.equal(r.status, 500);
    assertCors(r.headers);
    assert.equal(r.text.replace(/\s/g, ''), '{"message":null}');
    assert.equal(r.headers.get('x-amzn-errortype'), 'AuthorizerConfigurationException');
  });

  test('403 for an unknown path (MISSING_AUTHENTICATION_TOKEN) gets CORS through DEFAULT_4XX', async () => {
    const r = await get('/prod/nope');
    assert.equal(r.status, 403);
    assertCors(r.headers);
    assert.deepEqual(JSON.parse(r.text), { message: 'Missing Authentication Token' });
  });
});
