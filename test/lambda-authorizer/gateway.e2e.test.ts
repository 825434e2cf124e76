/**
 * Lambda authorizers end to end: the real gateway on 127.0.0.1:0, handler modules in worker
 * threads, a recording HTTP upstream. Every row of spec §2.6 and §3.7, the decision cache with an
 * injected clock, and the classic cached-policy `{proxy+}` 403.
 */
import { after, before, describe, test } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startGateway, startUpstream, tempDir, type TestGateway, type TestUpstream } from '../helpers/gateway.ts';
import { createManualClock } from '../../src/core/clock.ts';
import { SCENARIO_HANDLER } from './helpers.ts';

/** A Lambda proxy integration that echoes its event. */
const ECHO_HANDLER = `export const handler = async (event) => ({ statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(event) });`;

let dir: string;
let countFile: string;
let upstream: TestUpstream;
const clock = createManualClock(Date.UTC(2024, 5, 17, 15, 0, 0));

const invocations = () => (existsSync(countFile) ? readFileSync(countFile, 'utf8').split('\n').filter(Boolean).length : 0);
const resetCount = () => writeFileSync(countFile, '');

before(async () => {
  dir = tempDir({ 'auth.mjs': SCENARIO_HANDLER, 'echo.mjs': ECHO_HANDLER });
  countFile = join(dir, 'count.txt');
  upstream = await startUpstream();
});
after(async () => {
  await upstream.close();
});

const fn = () => ({ handler: './auth.mjs', environment: { COUNT_FILE: countFile }, timeoutInMillis: 2000 });

async function call(gw: TestGateway, path: string, headers: Record<string, string> = {}, method = 'GET') {
  const res = await fetch(gw.url + path, { method, headers });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: (() => { try { return JSON.parse(text) as Record<string, unknown>; } catch { return undefined; } })() };
}

// ---------------------------------------------------------------------------------------------

describe('REST API: every outcome of spec §3.7 through the gateway', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startGateway(
      {
        apis: [
          {
            name: 'rest',
            protocol: 'rest',
            apiId: 'abc123',
            stage: 'prod',
            authorizers: {
              token: { authorizerType: 'TOKEN', function: fn(), identityValidationExpression: '(Bearer )?[a-z-]+(:[a-z0-9]+)?', authorizerResultTtlInSeconds: 0 },
            },
            routes: {
              'GET /profile': {
                authorizerId: 'token',
                integration: { type: 'http', uri: `${upstream.url}/profile`, requestParameters: { 'integration.request.header.x-user-id': 'context.authorizer.principalId' } },
              },
              'GET /lambda': { authorizerId: 'token', integration: { type: 'lambda', handler: './echo.mjs' } },
            },
          },
        ],
      },
      { baseDir: dir, clock },
    );
  });
  after(async () => {
    await gw.close();
  });

  test('missing token → 401 {"message":"Unauthorized"} with x-amzn-ErrorType, function not invoked', async () => {
    resetCount();
    const r = await call(gw, '/prod/profile');
    assert.equal(r.status, 401);
    assert.deepEqual(r.json, { message: 'Unauthorized' });
    assert.equal(r.headers.get('x-amzn-errortype'), 'UnauthorizedException');
    assert.equal(invocations(), 0);
  });

  test('token failing identityValidationExpression → 401, function not invoked', async () => {
    resetCount();
    const r = await call(gw, '/prod/profile', { authorization: 'Basic QWxhZGRpbg==' });
    assert.equal(r.status, 401);
    assert.equal(invocations(), 0);
  });

  test('function fails with "Unauthorized" → 401', async () => {
    const r = await call(gw, '/prod/profile', { authorization: 'unauthorized' });
    assert.equal(r.status, 401);
    assert.deepEqual(r.json, { message: 'Unauthorized' });
  });

  test('explicit Deny → 403 "…with an explicit deny", x-amzn-ErrorType AccessDeniedException', async () => {
    const r = await call(gw, '/prod/profile', { authorization: 'deny' });
    assert.equal(r.status, 403);
    assert.deepEqual(r.json, { message: 'User is not authorized to access this resource with an explicit deny' });
    assert.equal(r.headers.get('x-amzn-errortype'), 'AccessDeniedException');
  });

  test('no matching Allow → 403 "User is not authorized to access this resource"', async () => {
    const r = await call(gw, '/prod/profile', { authorization: 'implicit' });
    assert.equal(r.status, 403);
    assert.deepEqual(r.json, { message: 'User is not authorized to access this resource' });
  });

  for (const scenario of ['throw', 'no-principal', 'no-policy', 'nested-context', 'timeout']) {
    test(`"${scenario}" → 500 {"message":null} with x-amzn-ErrorType AuthorizerConfigurationException`, async () => {
      const r = await call(gw, '/prod/profile', { authorization: scenario });
      assert.equal(r.status, 500);
      assert.equal(r.text.replace(/\s/g, ''), '{"message":null}');
      assert.equal(r.headers.get('x-amzn-errortype'), 'AuthorizerConfigurationException');
    });
  }

  test('Allow → the HTTP integration receives x-user-id from context.authorizer.principalId', async () => {
    upstream.requests.length = 0;
    const r = await call(gw, '/prod/profile', { authorization: 'Bearer allow' });
    assert.equal(r.status, 200);
    assert.equal(upstream.requests.at(-1)?.headers['x-user-id'], 'user-1');
  });

  test('Allow → a Lambda proxy integration sees requestContext.authorizer: stringified context + principalId + integrationLatency', async () => {
    const r = await call(gw, '/prod/lambda', { authorization: 'allow' });
    assert.equal(r.status, 200);
    const auth = (r.json?.['requestContext'] as Record<string, unknown>)['authorizer'] as Record<string, unknown>;
    assert.equal(auth['principalId'], 'user-1');
    assert.equal(auth['user'], 'u-1');
    assert.equal(auth['n'], '7');
    assert.equal(auth['admin'], 'false');
    assert.equal(typeof auth['integrationLatency'], 'number');
  });
});

// ---------------------------------------------------------------------------------------------

describe('HTTP API: every outcome of spec §2.6 through the gateway', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startGateway(
      {
        apis: [
          {
            name: 'http',
            protocol: 'http',
            apiId: 'abc123',
            stage: '$default',
            authorizers: {
              simple: { authorizerType: 'REQUEST', function: fn(), identitySource: ['$request.header.Authorization'], authorizerPayloadFormatVersion: '2.0', enableSimpleResponses: true },
              iam: { authorizerType: 'REQUEST', function: fn(), identitySource: ['$request.header.Authorization'], authorizerPayloadFormatVersion: '2.0', authorizerResultTtlInSeconds: 60 },
            },
            routes: {
              'GET /simple': { authorizerId: 'simple', integration: { type: 'lambda', handler: './echo.mjs' } },
              'GET /iam/{proxy+}': { authorizerId: 'iam', integration: { type: 'lambda', handler: './echo.mjs' } },
            },
          },
        ],
      },
      { baseDir: dir, clock },
    );
  });
  after(async () => {
    await gw.close();
  });

  test('missing identity source → 401 {"message":"Unauthorized"}, not invoked', async () => {
    resetCount();
    const r = await call(gw, '/simple');
    assert.equal(r.status, 401);
    assert.deepEqual(r.json, { message: 'Unauthorized' });
    assert.equal(invocations(), 0);
  });

  test('isAuthorized: true → integration; 2.0 event has authorizer.lambda = context', async () => {
    const r = await call(gw, '/simple', { authorization: 'simple-true' });
    assert.equal(r.status, 200);
    assert.deepEqual((r.json?.['requestContext'] as Record<string, unknown>)['authorizer'], { lambda: { roles: ['a'], org: { id: 1 } } });
  });

  test('isAuthorized: true without context → authorizer.lambda: null', async () => {
    const r = await call(gw, '/simple', { authorization: 'simple-true-no-context' });
    assert.deepEqual((r.json?.['requestContext'] as Record<string, unknown>)['authorizer'], { lambda: null });
  });

  test('isAuthorized: false → 403 {"message":"Forbidden"}', async () => {
    const r = await call(gw, '/simple', { authorization: 'simple-false' });
    assert.equal(r.status, 403);
    assert.deepEqual(r.json, { message: 'Forbidden' });
  });

  test('policy Deny / no matching Allow → 403 {"message":"Forbidden"}', async () => {
    for (const t of ['deny', 'implicit']) {
      const r = await call(gw, '/iam/x', { authorization: t });
      assert.equal(r.status, 403, t);
      assert.deepEqual(r.json, { message: 'Forbidden' });
    }
  });

  test('exception, malformed output, timeout → 500 {"message":"Internal Server Error"}', async () => {
    for (const t of ['throw', 'simple-string', 'timeout']) {
      const r = await call(gw, '/simple', { authorization: t });
      assert.equal(r.status, 500, t);
      assert.deepEqual(r.json, { message: 'Internal Server Error' });
    }
  });

  test('a cached IAM policy is reused across routes and re-evaluated per routeArn; the cache expires with the clock', async () => {
    resetCount();
    const token = 'scoped:e2e';
    assert.equal((await call(gw, '/iam/a', { authorization: token })).status, 200);
    assert.equal((await call(gw, '/iam/a', { authorization: token })).status, 200);
    assert.equal(invocations(), 1, 'second call served from the cache');
    const other = await call(gw, '/iam/b', { authorization: token });
    assert.equal(other.status, 403, 'the cached policy only allows /iam/a');
    assert.equal(invocations(), 1);
    clock.advance(60_000);
    assert.equal((await call(gw, '/iam/b', { authorization: token })).status, 200, 'after the TTL the function is asked again');
    assert.equal(invocations(), 2);
  });
});

// ---------------------------------------------------------------------------------------------

describe('REST decision cache through the gateway (TTL 300 default, injected clock)', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startGateway(
      {
        apis: [
          {
            name: 'cached',
            protocol: 'rest',
            apiId: 'abc123',
            stage: 'prod',
            authorizers: { auth: { authorizerType: 'REQUEST', function: fn(), identitySource: 'method.request.header.Authorization' } },
            routes: { 'ANY /{proxy+}': { authorizerId: 'auth', integration: { type: 'lambda', handler: './echo.mjs' } } },
          },
        ],
      },
      { baseDir: dir, clock },
    );
  });
  after(async () => {
    await gw.close();
  });

  test('hit, miss, expiry after 300 s', async () => {
    resetCount();
    await call(gw, '/prod/a', { authorization: 'allow:c1' });
    const hit = await call(gw, '/prod/b', { authorization: 'allow:c1' });
    assert.equal(hit.status, 200);
    assert.equal(invocations(), 1);
    await call(gw, '/prod/a', { authorization: 'allow:c2' });
    assert.equal(invocations(), 2);
    clock.advance(299_999);
    await call(gw, '/prod/a', { authorization: 'allow:c1' });
    assert.equal(invocations(), 2);
    clock.advance(1);
    await call(gw, '/prod/a', { authorization: 'allow:c1' });
    assert.equal(invocations(), 3);
  });

  test('the classic {proxy+} 403: a policy scoped to the first ARN, cached, denies the next path', async () => {
    resetCount();
    const first = await call(gw, '/prod/orders/1', { authorization: 'scoped:pp' });
    assert.equal(first.status, 200);
    const second = await call(gw, '/prod/orders/2', { authorization: 'scoped:pp' });
    assert.equal(second.status, 403);
    assert.deepEqual(second.json, { message: 'User is not authorized to access this resource' });
    assert.equal(invocations(), 1);
  });

  test('a cached Deny keeps denying without invoking', async () => {
    resetCount();
    for (let i = 0; i < 3; i++) assert.equal((await call(gw, '/prod/x', { authorization: 'deny:d' })).status, 403);
    assert.equal(invocations(), 1);
  });
});
