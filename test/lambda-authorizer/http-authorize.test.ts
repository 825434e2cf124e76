/**
 * HTTP API Lambda authorizers (REQUEST, payload 1.0 / 2.0, simple responses) through
 * `authorize()`: every row of spec §2.6 the plug-in decides, plus caching (§2.7).
 */
import { after, before, describe, test } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { buildAuthorizer, createFixture, makeInput, rejection, type Fixture } from './helpers.ts';

let fx: Fixture;
before(() => {
  fx = createFixture();
});
after(async () => {
  await fx.close();
});

const ROUTE_ARN = 'arn:aws:execute-api:us-east-1:123456789012:abc123/$default';

function httpAuthorizer(extra: Record<string, unknown> = {}) {
  return buildAuthorizer(fx, {
    protocol: 'http',
    authorizer: { authorizerType: 'REQUEST', identitySource: ['$request.header.Authorization'], ...extra },
    routes: {
      'GET /pets/{id}': { authorizerId: 'auth', integration: { type: 'mock' } },
      'POST /pets': { authorizerId: 'auth', integration: { type: 'mock' } },
    },
  });
}

function req(api: Parameters<typeof makeInput>[0], token: string | null, opts: { id?: string; query?: string; cookies?: string } = {}) {
  const headers: Array<[string, string]> = [['Host', 'localhost'], ['User-Agent', 'test/1']];
  if (token !== null) headers.push(['Authorization', token]);
  if (opts.cookies) headers.push(['Cookie', opts.cookies]);
  return makeInput(api, {
    rawPath: `/pets/${opts.id ?? '7'}`,
    rawQueryString: opts.query ?? '',
    headers,
    stage: '$default',
    routeKey: 'GET /pets/{id}',
    resourcePath: '/pets/{id}',
    pathParameters: { id: opts.id ?? '7' },
  });
}

describe('HTTP API REQUEST authorizer, payload 2.0, simple responses', () => {
  const simple = () => httpAuthorizer({ authorizerPayloadFormatVersion: '2.0', enableSimpleResponses: true });

  test('a missing identity source is 401 without invoking', async () => {
    fx.resetCount();
    const { authorizer, api } = simple();
    const err = await rejection(authorizer.authorize(req(api, null)));
    assert.equal(err['status'], 401);
    assert.equal(err['publicMessage'], 'Unauthorized');
    assert.equal(fx.invocations(), 0);
  });

  test('isAuthorized: true → outcome whose context keeps JSON types (arrays, objects)', async () => {
    const { authorizer, api } = simple();
    const out = await authorizer.authorize(req(api, 'simple-true'));
    assert.deepEqual(out.context, { roles: ['a'], org: { id: 1 } });
    assert.equal(out.principalId, undefined);
  });

  test('isAuthorized: true without context → context null (authorizer.lambda: null)', async () => {
    const { authorizer, api } = simple();
    const out = await authorizer.authorize(req(api, 'simple-true-no-context'));
    assert.equal(out.context, null);
  });

  test('isAuthorized: false → 403 Forbidden', async () => {
    const { authorizer, api } = simple();
    const err = await rejection(authorizer.authorize(req(api, 'simple-false')));
    assert.equal(err['status'], 403);
    assert.equal(err['publicMessage'], 'Forbidden');
  });

  test('isAuthorized that is not a boolean → 500 Internal Server Error', async () => {
    const { authorizer, api } = simple();
    const err = await rejection(authorizer.authorize(req(api, 'simple-string')));
    assert.equal(err['status'], 500);
    assert.equal(err['publicMessage'], 'Internal Server Error');
    assert.match(String(err['detail']), /isAuthorized must be a boolean/);
  });

  for (const scenario of ['throw', 'null', 'exit']) {
    test(`"${scenario}" → 500 Internal Server Error`, async () => {
      const { authorizer, api } = simple();
      const err = await rejection(authorizer.authorize(req(api, scenario)));
      assert.equal(err.name, 'AuthorizerConfigurationError');
      assert.equal(err['publicMessage'], 'Internal Server Error');
    });
  }

  test('a timeout → 500 Internal Server Error', async () => {
    const { authorizer, api } = httpAuthorizer({ enableSimpleResponses: true, function: { handler: './auth.mjs', timeoutInMillis: 250 } });
    const err = await rejection(authorizer.authorize(req(api, 'timeout')));
    assert.equal(err['publicMessage'], 'Internal Server Error');
    assert.match(String(err['detail']), /timed out/);
  });

  test('[INF] a thrown "Unauthorized" → 401 by default; 500 with unauthorizedErrorIs401: false', async () => {
    const { authorizer, api } = simple();
    const err = await rejection(authorizer.authorize(req(api, 'unauthorized')));
    assert.equal(err['status'], 401);
    const strict = httpAuthorizer({ enableSimpleResponses: true, unauthorizedErrorIs401: false });
    const err2 = await rejection(strict.authorizer.authorize(req(strict.api, 'unauthorized')));
    assert.equal(err2['status'], 500);
  });

  test('the 2.0 event: routeArn with the literal $default stage, identitySource array, whole header values, no body', async () => {
    fx.resetCount();
    const { authorizer, api } = httpAuthorizer({ enableSimpleResponses: true, identitySource: ['$request.header.Authorization', '$request.querystring.tenant', '$context.routeKey'] });
    await authorizer.authorize(req(api, 'Bearer simple-true', { query: 'tenant=acme&x=1&x=2', cookies: 'a=1; b=2' }));
    assert.deepEqual(fx.invokedArns(), [`${ROUTE_ARN}/GET/pets/7`]);
  });
});

describe('HTTP API REQUEST authorizer, payload 2.0, IAM policies', () => {
  test('Allow → outcome; principalId and any-JSON context kept', async () => {
    const { authorizer, api } = httpAuthorizer();
    const out = await authorizer.authorize(req(api, 'allow'));
    assert.equal(out.principalId, 'user-1');
    assert.equal(out.context?.['user'], 'u-1');
    const e = JSON.parse(String(out.context?.['event']));
    assert.equal(e.version, '2.0');
    assert.equal(e.routeArn, `${ROUTE_ARN}/GET/pets/7`);
    assert.deepEqual(e.identitySource, ['allow']);
    assert.equal(e.headers.authorization, 'allow');
    assert.equal('body' in e || 'isBase64Encoded' in e, false);
  });

  test('[INF] principalId is optional on HTTP APIs; context may hold arrays', async () => {
    const { authorizer, api } = httpAuthorizer();
    const out = await authorizer.authorize(req(api, 'iam-no-principal'));
    assert.equal(out.principalId, undefined);
    assert.deepEqual(out.context, { k: [1] });
  });

  for (const scenario of ['deny', 'implicit', 'deny-over-allow']) {
    test(`"${scenario}" → 403 Forbidden (HTTP APIs do not distinguish explicit and implicit denies)`, async () => {
      const { authorizer, api } = httpAuthorizer();
      const err = await rejection(authorizer.authorize(req(api, scenario)));
      assert.equal(err['status'], 403);
      assert.equal(err['publicMessage'], 'Forbidden');
    });
  }

  test('a simple response while simple responses are off → 500', async () => {
    const { authorizer, api } = httpAuthorizer();
    const err = await rejection(authorizer.authorize(req(api, 'simple-true')));
    assert.equal(err['status'], 500);
    assert.match(String(err['detail']), /principalId|policyDocument/);
  });
});

describe('HTTP API REQUEST authorizer, payload 1.0', () => {
  const v1 = () => httpAuthorizer({ authorizerPayloadFormatVersion: '1.0', identitySource: ['$request.header.Authorization', '$request.querystring.tenant'] });

  test('the 1.0 event: methodArn, identitySource and authorizationToken joined with commas', async () => {
    const { authorizer, api } = v1();
    const out = await authorizer.authorize(req(api, 'allow', { query: 'tenant=acme' }));
    const e = JSON.parse(String(out.context?.['event']));
    assert.equal(e.version, '1.0');
    assert.equal(e.methodArn, `${ROUTE_ARN}/GET/pets/7`);
    assert.equal(e.identitySource, 'allow,acme');
    assert.equal(e.authorizationToken, 'allow,acme');
    assert.deepEqual(e.queryStringParameters, { tenant: 'acme' });
    assert.deepEqual(e.pathParameters, { id: '7' });
    assert.deepEqual(e.stageVariables, {});
  });

  test('[INF] 1.0 context follows REST rules: non-scalar values → 500', async () => {
    const { authorizer, api } = v1();
    const err = await rejection(authorizer.authorize(req(api, 'nested-context', { query: 'tenant=a' })));
    assert.equal(err['status'], 500);
    assert.equal(err['publicMessage'], 'Internal Server Error');
  });

  test('deny → 403 Forbidden', async () => {
    const { authorizer, api } = v1();
    const err = await rejection(authorizer.authorize(req(api, 'deny', { query: 'tenant=a' })));
    assert.equal(err['publicMessage'], 'Forbidden');
  });
});

describe('HTTP API decision cache', () => {
  test('[INF] TTL defaults to 0 (off) on HTTP APIs', async () => {
    const { authorizer } = httpAuthorizer();
    assert.equal(authorizer.ttlSeconds, 0);
  });

  test('a cached simple response allows every route for that identity until the TTL ends', async () => {
    fx.resetCount();
    const { authorizer, api } = httpAuthorizer({ enableSimpleResponses: true, authorizerResultTtlInSeconds: 30 });
    await authorizer.authorize(req(api, 'simple-true:c', { id: '1' }));
    const again = await authorizer.authorize(req(api, 'simple-true:c', { id: '2' }));
    assert.deepEqual(again.context, { roles: ['a'], org: { id: 1 } });
    assert.equal(fx.invocations(), 1);
    fx.clock.advance(30_000);
    await authorizer.authorize(req(api, 'simple-true:c', { id: '2' }));
    assert.equal(fx.invocations(), 2);
  });

  test('a cached IAM policy is re-evaluated against each routeArn', async () => {
    fx.resetCount();
    const { authorizer, api } = httpAuthorizer({ authorizerResultTtlInSeconds: 30 });
    await authorizer.authorize(req(api, 'scoped:x', { id: '1' }));
    const err = await rejection(authorizer.authorize(req(api, 'scoped:x', { id: '2' })));
    assert.equal(err['publicMessage'], 'Forbidden');
    assert.equal(fx.invocations(), 1);
  });

  test('adding $context.routeKey to the identity sources caches per route', async () => {
    fx.resetCount();
    const { authorizer, api } = httpAuthorizer({ enableSimpleResponses: true, authorizerResultTtlInSeconds: 30, identitySource: ['$request.header.Authorization', '$context.routeKey'] });
    await authorizer.authorize(req(api, 'simple-true:r'));
    await authorizer.authorize(req(api, 'simple-true:r'));
    const other = makeInput(api, { method: 'POST', rawPath: '/pets', headers: [['Authorization', 'simple-true:r']], stage: '$default', routeKey: 'POST /pets', resourcePath: '/pets' });
    await authorizer.authorize(other);
    assert.equal(fx.invocations(), 2);
  });

  test('cache entries are scoped by stage', async () => {
    fx.resetCount();
    const { authorizer, api } = httpAuthorizer({ enableSimpleResponses: true, authorizerResultTtlInSeconds: 30 });
    await authorizer.authorize(req(api, 'simple-true:s'));
    const devInput = makeInput(api, { rawPath: '/dev/pets/7', headers: [['Authorization', 'simple-true:s']], stage: 'dev', routeKey: 'GET /pets/{id}', resourcePath: '/pets/{id}', pathParameters: { id: '7' } });
    await authorizer.authorize(devInput);
    assert.equal(fx.invocations(), 2);
  });
});
