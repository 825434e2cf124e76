/**
 * REST TOKEN / REQUEST authorizers through `authorize()`, with a real LambdaRuntime running a
 * handler module in worker threads. Every row of spec §3.7 that the plug-in decides, plus caching.
 */
import { after, before, describe, test } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { buildAuthorizer, createFixture, makeInput, rejection, type Fixture } from './helpers.ts';
import { EXPLICIT_DENY_MESSAGE, IMPLICIT_DENY_MESSAGE } from '../../src/authorizers/lambda.ts';
import { ConfigError } from '../../src/core/errors.ts';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

let fx: Fixture;
before(() => {
  fx = createFixture();
});
after(async () => {
  await fx.close();
});

const ARN_BASE = 'arn:aws:execute-api:us-east-1:123456789012:abc123/prod';

function tokenAuthorizer(extra: Record<string, unknown> = {}) {
  return buildAuthorizer(fx, {
    protocol: 'rest',
    authorizer: { authorizerType: 'TOKEN', identitySource: 'method.request.header.Authorization', authorizerResultTtlInSeconds: 0, ...extra },
    routes: {
      'GET /pets/{id}': { authorizerId: 'auth', integration: { type: 'mock' } },
      'ANY /{proxy+}': { authorizerId: 'auth', integration: { type: 'mock' } },
      'GET /': { authorizerId: 'auth', integration: { type: 'mock' } },
    },
  });
}

function petsRequest(api: Parameters<typeof makeInput>[0], token: string | null, id = '7', method = 'GET') {
  return makeInput(api, {
    method,
    rawPath: `/prod/pets/${id}`,
    headers: token === null ? [['Host', 'localhost']] : [['Host', 'localhost'], ['Authorization', token]],
    stage: 'prod',
    routeKey: 'GET /pets/{id}',
    resourcePath: '/pets/{id}',
    pathParameters: { id },
  });
}

describe('REST TOKEN authorizer: pre-checks (401, not invoked)', () => {
  test('a missing Authorization header is 401 Unauthorized without invoking', async () => {
    fx.resetCount();
    const { authorizer, api } = tokenAuthorizer();
    const err = await rejection(authorizer.authorize(petsRequest(api, null)));
    assert.equal(err.name, 'UnauthorizedError');
    assert.equal(err['status'], 401);
    assert.equal(err['publicMessage'], 'Unauthorized');
    assert.equal(fx.invocations(), 0);
  });

  test('an empty or blank Authorization header is 401 without invoking', async () => {
    fx.resetCount();
    const { authorizer, api } = tokenAuthorizer();
    for (const v of ['', '   ']) {
      const err = await rejection(authorizer.authorize(petsRequest(api, v)));
      assert.equal(err['status'], 401);
    }
    assert.equal(fx.invocations(), 0);
  });

  test('a token failing identityValidationExpression is 401 without invoking; a matching one is sent', async () => {
    fx.resetCount();
    const { authorizer, api } = tokenAuthorizer({ identityValidationExpression: 'Bearer [a-z-]+(:[a-z]+)?' });
    const err = await rejection(authorizer.authorize(petsRequest(api, 'Basic abc')));
    assert.equal(err['status'], 401);
    assert.equal(fx.invocations(), 0);
    // The expression must match the whole value, not a substring.
    const partial = await rejection(authorizer.authorize(petsRequest(api, 'xx Bearer allow')));
    assert.equal(partial['status'], 401);
    assert.equal(fx.invocations(), 0);
    const ok = await authorizer.authorize(petsRequest(api, 'Bearer allow'));
    assert.equal(ok.principalId, 'user-1');
    assert.equal(fx.invocations(), 1);
  });

  test('a method ARN over 1600 bytes is 414 before anything else', async () => {
    const { authorizer, api } = tokenAuthorizer();
    const err = await rejection(authorizer.authorize(petsRequest(api, 'allow', 'x'.repeat(1700))));
    assert.equal(err['status'], 414);
  });
});

describe('REST TOKEN authorizer: outcomes', () => {
  test('Allow → outcome with principalId, raw context, integration latency and usageIdentifierKey', async () => {
    const { authorizer, api } = tokenAuthorizer();
    const out = await authorizer.authorize(petsRequest(api, 'Bearer allow'));
    assert.equal(out.kind, 'lambda');
    assert.equal(out.principalId, 'user-1');
    assert.equal(out.usageIdentifierKey, 'key-1');
    assert.equal(typeof out.integrationLatencyMs, 'number');
    assert.deepEqual({ ...out.context, event: undefined }, { user: 'u-1', n: 7, admin: false, event: undefined });
  });

  test('the TOKEN event has exactly type, methodArn and the whole header value', async () => {
    const { authorizer, api } = tokenAuthorizer();
    const out = await authorizer.authorize(petsRequest(api, 'Bearer allow:with spaces'));
    const event = JSON.parse(String(out.context?.['event']));
    assert.deepEqual(event, { type: 'TOKEN', methodArn: `${ARN_BASE}/GET/pets/7`, authorizationToken: 'Bearer allow:with spaces' });
  });

  test('no context → context null (the pipeline then adds only principalId and integrationLatency)', async () => {
    const { authorizer, api } = tokenAuthorizer();
    const out = await authorizer.authorize(petsRequest(api, 'allow-no-context'));
    assert.equal(out.context, null);
    assert.equal(out.usageIdentifierKey, undefined);
  });

  test('a null context value is kept as null', async () => {
    const { authorizer, api } = tokenAuthorizer();
    const out = await authorizer.authorize(petsRequest(api, 'null-context-value'));
    assert.deepEqual(out.context, { nothing: null, s: 'x' });
  });

  test('explicit Deny → 403 "…with an explicit deny", carrying principal and context for $context.authorizer.*', async () => {
    const { authorizer, api } = tokenAuthorizer();
    const err = await rejection(authorizer.authorize(petsRequest(api, 'deny')));
    assert.equal(err.name, 'AccessDeniedError');
    assert.equal(err['status'], 403);
    assert.equal(err['publicMessage'], EXPLICIT_DENY_MESSAGE);
    assert.deepEqual(err['authorizer'], { kind: 'lambda', principalId: 'user-1', context: { reason: 'banned', setCookie: 'session=; Max-Age=0' } });
  });

  test('Deny overrides an Allow that also matches', async () => {
    const { authorizer, api } = tokenAuthorizer();
    const err = await rejection(authorizer.authorize(petsRequest(api, 'deny-over-allow')));
    assert.equal(err['publicMessage'], EXPLICIT_DENY_MESSAGE);
  });

  test('no matching Allow → 403 "User is not authorized to access this resource"', async () => {
    const { authorizer, api } = tokenAuthorizer();
    const err = await rejection(authorizer.authorize(petsRequest(api, 'implicit')));
    assert.equal(err['status'], 403);
    assert.equal(err['publicMessage'], IMPLICIT_DENY_MESSAGE);
  });

  for (const scenario of ['unauthorized', 'unauthorized-cb']) {
    test(`the function failing with exactly "Unauthorized" → 401 (${scenario})`, async () => {
      const { authorizer, api } = tokenAuthorizer();
      const err = await rejection(authorizer.authorize(petsRequest(api, scenario)));
      assert.equal(err.name, 'UnauthorizedError');
      assert.equal(err['status'], 401);
    });
  }

  const configErrors: Array<[string, RegExp]> = [
    ['throw', /failed: Error: boom/],
    ['unauthorized-string', /not an object/],
    ['null', /returned null/],
    ['no-principal', /principalId/],
    ['no-policy', /policyDocument is missing/],
    ['bad-policy', /Effect/],
    ['nested-context', /context\.roles must be a string, number or boolean/],
    ['exit', /could not be invoked/],
  ];
  for (const [scenario, detail] of configErrors) {
    test(`"${scenario}" → 500 AUTHORIZER_CONFIGURATION_ERROR with message null and the reason in detail`, async () => {
      const { authorizer, api } = tokenAuthorizer();
      const err = await rejection(authorizer.authorize(petsRequest(api, scenario)));
      assert.equal(err.name, 'AuthorizerConfigurationError');
      assert.equal(err['status'], 500);
      assert.equal(err['responseType'], 'AUTHORIZER_CONFIGURATION_ERROR');
      assert.equal(err['publicMessage'], null);
      assert.match(String(err['detail']), detail);
    });
  }

  test('a function that does not answer within timeoutInMillis → 500, and the gateway keeps working', async () => {
    const { authorizer, api } = tokenAuthorizer({ function: { handler: './auth.mjs', timeoutInMillis: 300 } });
    const started = Date.now();
    const err = await rejection(authorizer.authorize(petsRequest(api, 'timeout')));
    assert.ok(Date.now() - started < 5000);
    assert.equal(err['status'], 500);
    assert.match(String(err['detail']), /timed out/);
    const ok = await authorizer.authorize(petsRequest(api, 'allow'));
    assert.equal(ok.principalId, 'user-1');
  });

  test('a handler module that is missing is a config error at creation (never fails open)', () => {
    assert.throws(() => tokenAuthorizer({ function: { handler: './missing.mjs' } }), (err: unknown) => err instanceof ConfigError && /handler module not found/.test(err.message));
  });

  test('a handler module that throws while loading → 500 (fails closed)', async () => {
    writeFileSync(join(fx.dir, 'broken.mjs'), 'throw new Error("cannot start");\nexport const handler = () => null;');
    const { authorizer, api } = tokenAuthorizer({ function: { handler: './broken.mjs' } });
    const err = await rejection(authorizer.authorize(petsRequest(api, 'allow')));
    assert.equal(err['status'], 500);
    assert.match(String(err['detail']), /could not be loaded/);
  });
});

describe('REST authorizer decision cache', () => {
  test('TTL 300 by default: a second request with the same token is not invoked', async () => {
    fx.resetCount();
    const { authorizer, api } = buildAuthorizer(fx, { protocol: 'rest', authorizer: { authorizerType: 'TOKEN' } });
    assert.equal(authorizer.ttlSeconds, 300);
    await authorizer.authorize(petsRequest(api, 'allow:a'));
    const second = await authorizer.authorize(petsRequest(api, 'allow:a'));
    assert.equal(fx.invocations(), 1);
    assert.equal(second.principalId, 'user-1');
    assert.equal(second.integrationLatencyMs, 0);
    assert.equal(typeof second.context?.['event'], 'string', 'the cached decision keeps its context');
    assert.deepEqual(authorizer.cacheStats()?.hits, 1);
  });

  test('a different token is a miss', async () => {
    fx.resetCount();
    const { authorizer, api } = buildAuthorizer(fx, { protocol: 'rest', authorizer: { authorizerType: 'TOKEN' } });
    await authorizer.authorize(petsRequest(api, 'allow:a'));
    await authorizer.authorize(petsRequest(api, 'allow:b'));
    assert.equal(fx.invocations(), 2);
  });

  test('entries expire after the TTL (injected clock)', async () => {
    fx.resetCount();
    const { authorizer, api } = buildAuthorizer(fx, { protocol: 'rest', authorizer: { authorizerType: 'TOKEN', authorizerResultTtlInSeconds: 60 } });
    await authorizer.authorize(petsRequest(api, 'allow:ttl'));
    fx.clock.advance(59_999);
    await authorizer.authorize(petsRequest(api, 'allow:ttl'));
    assert.equal(fx.invocations(), 1);
    fx.clock.advance(1);
    await authorizer.authorize(petsRequest(api, 'allow:ttl'));
    assert.equal(fx.invocations(), 2);
  });

  test('TTL 0 disables caching', async () => {
    fx.resetCount();
    const { authorizer, api } = tokenAuthorizer();
    assert.equal(authorizer.cacheStats(), null);
    await authorizer.authorize(petsRequest(api, 'allow'));
    await authorizer.authorize(petsRequest(api, 'allow'));
    assert.equal(fx.invocations(), 2);
  });

  test('denials are cached', async () => {
    fx.resetCount();
    const { authorizer, api } = buildAuthorizer(fx, { protocol: 'rest', authorizer: { authorizerType: 'TOKEN' } });
    for (let i = 0; i < 3; i++) {
      const err = await rejection(authorizer.authorize(petsRequest(api, 'deny:x')));
      assert.equal(err['publicMessage'], EXPLICIT_DENY_MESSAGE);
    }
    assert.equal(fx.invocations(), 1);
  });

  test('errors and Unauthorized are not cached', async () => {
    fx.resetCount();
    const { authorizer, api } = buildAuthorizer(fx, { protocol: 'rest', authorizer: { authorizerType: 'TOKEN' } });
    await rejection(authorizer.authorize(petsRequest(api, 'throw')));
    await rejection(authorizer.authorize(petsRequest(api, 'throw')));
    await rejection(authorizer.authorize(petsRequest(api, 'unauthorized')));
    await rejection(authorizer.authorize(petsRequest(api, 'unauthorized')));
    assert.equal(fx.invocations(), 4);
  });

  test('a cached policy is re-evaluated against each request ARN: the classic {proxy+} 403', async () => {
    fx.resetCount();
    const { authorizer, api } = buildAuthorizer(fx, { protocol: 'rest', authorizer: { authorizerType: 'TOKEN' } });
    const ok = await authorizer.authorize(petsRequest(api, 'scoped:p', '1'));
    assert.equal(ok.principalId, 'user-1');
    // Same token, other resource: the cached policy only allows /GET/pets/1.
    const err = await rejection(authorizer.authorize(petsRequest(api, 'scoped:p', '2')));
    assert.equal(err['publicMessage'], IMPLICIT_DENY_MESSAGE);
    const err2 = await rejection(authorizer.authorize(petsRequest(api, 'scoped:p', '1', 'DELETE')));
    assert.equal(err2['status'], 403);
    assert.equal(fx.invocations(), 1);
    // The first ARN still passes from the cache.
    await authorizer.authorize(petsRequest(api, 'scoped:p', '1'));
    assert.deepEqual(fx.invokedArns(), [`${ARN_BASE}/GET/pets/1`]);
  });

  test('with TTL 0 the scoped policy works for every ARN (each request invokes)', async () => {
    const { authorizer, api } = tokenAuthorizer();
    await authorizer.authorize(petsRequest(api, 'scoped', '1'));
    await authorizer.authorize(petsRequest(api, 'scoped', '2'));
  });

  test('flushCache() empties the cache', async () => {
    fx.resetCount();
    const { authorizer, api } = buildAuthorizer(fx, { protocol: 'rest', authorizer: { authorizerType: 'TOKEN' } });
    await authorizer.authorize(petsRequest(api, 'allow:f'));
    authorizer.flushCache();
    await authorizer.authorize(petsRequest(api, 'allow:f'));
    assert.equal(fx.invocations(), 2);
  });
});

describe('REST REQUEST authorizer', () => {
  function requestAuthorizer(extra: Record<string, unknown> = {}) {
    return buildAuthorizer(fx, {
      protocol: 'rest',
      authorizer: {
        authorizerType: 'REQUEST',
        identitySource: 'method.request.header.Authorization, method.request.querystring.tenant, stageVariables.env, context.httpMethod',
        ...extra,
      },
    });
  }
  const req = (api: Parameters<typeof makeInput>[0], opts: { token?: string; tenant?: string; env?: string; id?: string }) =>
    makeInput(api, {
      rawPath: `/prod/pets/${opts.id ?? '7'}`,
      rawQueryString: opts.tenant === undefined ? 'a=1' : `tenant=${opts.tenant}&a=1&a=2`,
      headers: [['Host', 'localhost'], ['User-Agent', 'test/1'], ...(opts.token === undefined ? [] : [['Authorization', opts.token] as [string, string]])],
      stage: 'prod',
      routeKey: 'GET /pets/{id}',
      resourcePath: '/pets/{id}',
      pathParameters: { id: opts.id ?? '7' },
      stageVariables: opts.env === undefined ? {} : { env: opts.env },
    });

  test('every identity source must be present: a missing query parameter is 401 without invoking', async () => {
    fx.resetCount();
    const { authorizer, api } = requestAuthorizer();
    for (const o of [{ token: 'allow', env: 'x' }, { token: 'allow', tenant: 't' }, { tenant: 't', env: 'x' }, { token: 'allow', tenant: '', env: 'x' }]) {
      const err = await rejection(authorizer.authorize(req(api, o)));
      assert.equal(err['status'], 401, JSON.stringify(o));
    }
    assert.equal(fx.invocations(), 0);
  });

  test('the REQUEST event carries the request (original header casing, multi-value maps, {} maps, no body)', async () => {
    const { authorizer, api } = requestAuthorizer({ authorizerResultTtlInSeconds: 0 });
    const out = await authorizer.authorize(req(api, { token: 'Bearer allow', tenant: 'acme', env: 'dev' }));
    const e = JSON.parse(String(out.context?.['event']));
    assert.equal(e.type, 'REQUEST');
    assert.equal(e.methodArn, `${ARN_BASE}/GET/pets/7`);
    assert.equal(e.resource, '/pets/{id}');
    assert.equal(e.path, '/pets/7');
    assert.equal(e.headers.Authorization, 'Bearer allow');
    assert.deepEqual(e.multiValueHeaders['User-Agent'], ['test/1']);
    assert.deepEqual(e.queryStringParameters, { tenant: 'acme', a: '2' });
    assert.deepEqual(e.multiValueQueryStringParameters, { tenant: ['acme'], a: ['1', '2'] });
    assert.deepEqual(e.pathParameters, { id: '7' });
    assert.deepEqual(e.stageVariables, { env: 'dev' });
    assert.equal(e.requestContext.path, '/prod/pets/7');
    assert.equal(e.requestContext.identity.userAgent, 'test/1');
    assert.equal('body' in e, false);
  });

  test('the cache key covers all identity values: another tenant is a miss', async () => {
    fx.resetCount();
    const { authorizer, api } = requestAuthorizer();
    await authorizer.authorize(req(api, { token: 'allow', tenant: 'a', env: 'x' }));
    await authorizer.authorize(req(api, { token: 'allow', tenant: 'a', env: 'x' }));
    await authorizer.authorize(req(api, { token: 'allow', tenant: 'b', env: 'x' }));
    assert.equal(fx.invocations(), 2);
  });

  test('an unknown context variable in identitySource is a config error at creation (never fails open)', () => {
    assert.throws(
      () => buildAuthorizer(fx, { protocol: 'rest', authorizer: { authorizerType: 'REQUEST', identitySource: 'context.nope' } }),
      (err: unknown) => err instanceof ConfigError && /unsupported context variable "nope"/.test(err.message),
    );
  });
});
