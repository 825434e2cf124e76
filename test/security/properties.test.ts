/**
 * Property-based tests (fast-check, seeded: set FC_SEED to reproduce, FC_RUNS for a long run).
 */
import { test } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseConfig } from '../../src/config.ts';
import { ConfigError } from '../../src/core/errors.ts';
import { compileTemplate, renderTemplate } from '../../src/core/context.ts';
import type { RequestContext } from '../../src/core/model.ts';
import { compileGateway } from '../../src/gateway.ts';
import { createLambdaRuntime } from '../../src/io/lambda-runtime.ts';
import { silentLogger } from '../../src/io/logger.ts';
import { systemClock } from '../../src/core/clock.ts';
import { Agent } from 'undici';
import { removeDotSegments } from '../../src/core/paths.ts';

const seed = Number(process.env.FC_SEED ?? 20261122);
const numRuns = Number(process.env.FC_RUNS ?? 300);
const params = { seed, numRuns };

function ctxWith(overrides: Partial<RequestContext>): RequestContext {
  return {
    requestId: 'r', extendedRequestId: 'r', requestTimeEpoch: 0, requestTime: 't', httpMethod: 'GET', protocol: 'HTTP/1.1',
    sourceIp: '127.0.0.1', userAgent: 'ua', domainName: 'd', domainPrefix: 'd', accountId: '1', apiId: 'a', apiName: 'a',
    stage: 's', routeKey: 'GET /', resourcePath: '/', path: '/', pathParameters: {}, rawPathParameters: {}, stageVariables: {}, authorizer: null,
    authorizerError: null, authorizerLatencyMs: null, error: null, integrationLatencyMs: null, integrationStatus: null,
    integrationErrorMessage: null, status: 200, responseLength: 0, responseLatencyMs: 0, ...overrides,
  };
}

// Arbitrary YAML-ish values: the parser must either accept or throw ConfigError, never anything else.
const jsonValue = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, fc.string(), fc.integer(), fc.boolean(), fc.constant(null), fc.array(tie('value'), { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 12 }), tie('value'), { maxKeys: 4 })),
})).value;

const keys = ['name', 'protocol', 'stage', 'routes', 'authorizers', 'integration', 'type', 'uri', 'handler', 'cors', 'authorizerId', 'jwtConfiguration', 'issuer', 'audience', 'authorizerType', 'identitySource', 'gatewayResponses', 'requestParameters'];
const plausibleApi = fc.record({
  name: fc.oneof(fc.constant('a'), fc.string({ maxLength: 5 })),
  protocol: fc.constantFrom('http', 'rest', 'grpc'),
  stage: fc.constantFrom('$default', 'dev', 'bad stage'),
  routes: fc.dictionary(
    fc.constantFrom('GET /x', 'ANY /{proxy+}', '$default', 'POST /a/{id}', 'BAD', 'GET /{p+}/x'),
    fc.record({
      authorizerId: fc.option(fc.constantFrom('j', 'l', 'ghost'), { nil: undefined }),
      integration: fc.oneof(
        fc.record({ type: fc.constant('mock'), statusCode: fc.option(fc.integer({ min: 0, max: 700 }), { nil: undefined }) }),
        fc.record({ type: fc.constant('http'), uri: fc.constantFrom('http://127.0.0.1:9/x', 'http://u/{id}', 'nope'), requestParameters: fc.option(fc.dictionary(fc.constantFrom('overwrite:header.x', 'integration.request.header.y', 'remove:querystring.q', 'overwrite:path'), fc.constantFrom('$request.header.a', 'context.requestId', "'lit'", '$context.nope', '${request.path.id}', '')), { nil: undefined }) }),
        fc.record({ type: fc.constant('lambda'), handler: fc.constant('./h.mjs') }),
        jsonValue,
      ),
    }, { requiredKeys: [] }),
    { maxKeys: 4 },
  ),
  authorizers: fc.dictionary(fc.constantFrom('j', 'l'), fc.oneof(
    fc.record({ authorizerType: fc.constant('JWT'), jwtConfiguration: fc.record({ issuer: fc.constantFrom('https://i', 'x'), audience: fc.array(fc.string({ minLength: 1, maxLength: 3 }), { maxLength: 3 }) }) }),
    fc.record({ authorizerType: fc.constantFrom('REQUEST', 'TOKEN'), function: fc.constant({ handler: './a.mjs' }), identitySource: fc.constantFrom('method.request.header.A', '$request.header.A', '$context.nope', 'x') }),
    jsonValue,
  ), { maxKeys: 2 }),
  extra: fc.option(fc.dictionary(fc.constantFrom(...keys, 'protocl', 'stag'), jsonValue, { maxKeys: 2 }), { nil: undefined }),
});

test('the config parser never throws anything but ConfigError, on arbitrary input', () => {
  fc.assert(
    fc.property(fc.oneof(jsonValue, fc.record({ apis: fc.array(plausibleApi, { maxLength: 3 }) }).map((c) => ({ ...c, apis: c.apis.map(({ extra, ...a }) => ({ ...a, ...(extra ?? {}) })) }))), (input) => {
      try {
        parseConfig(input, {});
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        for (const issue of err.issues) assert.equal(typeof issue.message, 'string');
      }
    }),
    params,
  );
});

test('a config the parser accepts always compiles (never accepts what it then crashes on)', async () => {
  const lambdaRuntime = createLambdaRuntime({ region: 'us-east-1', accountId: '123456789012' });
  const dispatcher = new Agent();
  let accepted = 0;
  try {
    fc.assert(
      fc.property(fc.record({ apis: fc.array(plausibleApi, { maxLength: 2 }) }).map((c) => ({ apis: c.apis.map(({ extra: _e, ...a }) => a) })), (input) => {
        let config;
        try {
          config = parseConfig(input, {});
        } catch (err) {
          if (err instanceof ConfigError) return;
          throw err;
        }
        accepted++;
        try {
          compileGateway(config, { clock: systemClock, logger: silentLogger, lambdaRuntime, dispatcher, baseDir: '/nonexistent-dir-for-fuzz' });
        } catch (err) {
          // A missing handler file may be reported at compile time, as a ConfigError with a path.
          if (!(err instanceof ConfigError)) throw err;
        }
      }),
      params,
    );
  } finally {
    await lambdaRuntime.close();
    await dispatcher.close();
  }
  assert.ok(accepted > 0, 'the generator produced valid configs too');
});

test('template values can never break out of the JSON string they sit in', () => {
  const compiled = compileTemplate('{"ua":"$context.identity.userAgent","claim":"$context.authorizer.claims.sub","err":$context.error.messageString}');
  assert.ok(compiled.ok);
  fc.assert(
    fc.property(fc.string(), fc.string(), fc.option(fc.string(), { nil: null }), (ua, sub, message) => {
      const ctx = ctxWith({ userAgent: ua, authorizer: { kind: 'jwt', claims: { sub } }, error: { message, responseType: 'UNAUTHORIZED' } });
      const rendered = renderTemplate(compiled.value, ctx, '-');
      const parsed = JSON.parse(rendered) as Record<string, unknown>;
      assert.deepEqual(Object.keys(parsed), ['ua', 'claim', 'err']);
      assert.equal(parsed.ua, ua);
      assert.equal(parsed.claim, sub);
      assert.equal(parsed.err, message);
    }),
    params,
  );
});

test('dot-segment removal never yields a path that climbs above the root or keeps a dot segment', () => {
  fc.assert(
    fc.property(fc.array(fc.constantFrom('a', 'b', '.', '..', '', '%2E%2E', 'files'), { maxLength: 8 }), (segs) => {
      const out = removeDotSegments('/' + segs.join('/'));
      assert.ok(out.startsWith('/'));
      assert.ok(!out.split('/').some((s) => s === '.' || s === '..'), out);
    }),
    params,
  );
});
