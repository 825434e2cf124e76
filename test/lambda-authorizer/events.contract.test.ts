/**
 * Contract tests: the authorizer events we build have the shape of real AWS captures
 * (test/fixtures/aws-events, with their sources and licences) and type-check against @types/aws-lambda.
 */
import { test } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type {
  APIGatewayEventRequestContextWithAuthorizer,
  APIGatewayRequestAuthorizerEvent,
  APIGatewayRequestAuthorizerEventV2,
  APIGatewayTokenAuthorizerEvent,
} from 'aws-lambda';
import {
  arnPathOf,
  buildHttpRequestEventV1,
  buildHttpRequestEventV2,
  buildRestRequestEvent,
  buildTokenEvent,
  compileIdentitySource,
  resolveIdentity,
  type AuthorizerEventSource,
} from '../../src/core/authorizer-events.ts';
import { buildMethodArn, buildRouteArn } from '../../src/core/policy.ts';
import { parseConfig } from '../../src/config.ts';
import { makeInput } from './helpers.ts';

const FIXTURES = fileURLToPath(new URL('../fixtures/aws-events/', import.meta.url));
const fixture = (name: string) => JSON.parse(readFileSync(FIXTURES + name, 'utf8')) as Record<string, unknown>;

const MAP_FIELDS = new Set(['headers', 'multiValueHeaders', 'queryStringParameters', 'multiValueQueryStringParameters', 'pathParameters', 'stageVariables']);

/** Structure of a JSON value: key names and value kinds; dynamic maps collapse to `map|null`. */
function shape(value: unknown, key = ''): unknown {
  if (value === null) return 'null';
  if (Array.isArray(value)) return value.length ? [shape(value[0])] : [];
  if (typeof value === 'object') {
    if (MAP_FIELDS.has(key)) return 'map';
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value as object).sort()) out[k] = shape((value as Record<string, unknown>)[k], k);
    return out;
  }
  return typeof value;
}

function without<T extends Record<string, unknown>>(obj: T, path: string[]): T {
  const copy = structuredClone(obj) as Record<string, unknown>;
  let cur = copy;
  for (const p of path.slice(0, -1)) cur = cur[p] as Record<string, unknown>;
  delete cur[path[path.length - 1]!];
  return copy as T;
}

const restApi = parseConfig({ apis: [{ name: 'r', protocol: 'rest', stage: 'prod', routes: { 'POST /lambda-request': { integration: { type: 'mock' } } } }] }).apis[0]!;
const httpApi = parseConfig({ apis: [{ name: 'h', protocol: 'http', stage: '$default', routes: { 'POST /lambda': { integration: { type: 'mock' } } } }] }).apis[0]!;

function headerPairs(h: Record<string, string>): Array<[string, string]> {
  return Object.entries(h);
}

test('REST TOKEN event equals the real capture (apigw-rest__authorizer-token)', () => {
  const f = fixture('powertools-typescript/apigw-rest__authorizer-token.json');
  const arn = buildMethodArn({ region: 'eu-west-1', accountId: '123456789012', apiId: 'puhdx84jy9', stage: 'prod', method: 'POST', path: arnPathOf('/prod/lambda-token', 'prod') });
  const e = buildTokenEvent('Bearer foo', arn);
  assert.deepEqual(e, f);
  assert.deepEqual(Object.keys(e).sort(), Object.keys(f).sort());
});

test('REST REQUEST event has the shape and values of the real capture (apigw-rest__authorizer-request)', () => {
  const f = fixture('powertools-typescript/apigw-rest__authorizer-request.json');
  const input = makeInput(restApi, {
    method: 'POST',
    rawPath: '/prod/lambda-request',
    headers: headerPairs((f['headers'] as Record<string, string>)),
    stage: 'prod',
    routeKey: 'POST /lambda-request',
    resourcePath: '/lambda-request',
  });
  const arn = buildMethodArn({ region: 'eu-west-1', accountId: '123456789012', apiId: 'puhdx84jy9', stage: 'prod', method: 'POST', path: arnPathOf(input.request.rawPath, 'prod') });
  const e = buildRestRequestEvent(input, arn) as unknown as Record<string, unknown>;
  assert.deepEqual(shape(e), shape(f));
  assert.deepEqual(Object.keys(e), Object.keys(f), 'top-level key order');
  assert.equal(e['methodArn'], f['methodArn']);
  for (const k of ['type', 'resource', 'path', 'httpMethod', 'queryStringParameters', 'multiValueQueryStringParameters', 'pathParameters', 'stageVariables']) {
    assert.deepEqual(e[k], f[k], k);
  }
  const rc = e['requestContext'] as Record<string, unknown>;
  const frc = f['requestContext'] as Record<string, unknown>;
  assert.deepEqual(Object.keys(rc), Object.keys(frc), 'requestContext key order');
  for (const k of ['resourcePath', 'httpMethod', 'path', 'accountId', 'protocol', 'stage']) assert.deepEqual(rc[k], frc[k], `requestContext.${k}`);
  // Whole header values, original casing.
  assert.equal((e['headers'] as Record<string, string>)['Authorization'], 'Bearer foo');
  assert.deepEqual((e['multiValueHeaders'] as Record<string, string[]>)['CloudFront-Viewer-ASN'], ['7224']);
});

test('REST REQUEST event: empty maps are {} (not null as in proxy events)', () => {
  const input = makeInput(restApi, { rawPath: '/prod/x', stage: 'prod', routeKey: 'GET /x', resourcePath: '/x' });
  const e = buildRestRequestEvent(input, 'arn');
  assert.deepEqual(e.queryStringParameters, {});
  assert.deepEqual(e.multiValueQueryStringParameters, {});
  assert.deepEqual(e.pathParameters, {});
  assert.deepEqual(e.stageVariables, {});
});

test('REST REQUEST event matches the aws-lambda-go sample shape (apigw-custom-auth-request-type-request)', () => {
  const f = fixture('aws-lambda-go/apigw-custom-auth-request-type-request.json');
  const input = makeInput(restApi, { rawPath: '/test/request', rawQueryString: 'QueryString1=queryValue1', headers: headerPairs(f['headers'] as Record<string, string>), stage: 'test', routeKey: 'GET /request', resourcePath: '/request', stageVariables: { StageVar1: 'stageValue1' } });
  const e = buildRestRequestEvent(input, 'arn') as unknown as Record<string, unknown>;
  // The sample predates several requestContext fields and carries an mTLS clientCert; compare the rest.
  const fe = without(f, ['requestContext', 'identity']);
  const ee = without(e, ['requestContext', 'identity']);
  const sampleKeys = Object.keys(fe['requestContext'] as object);
  const rc = ee['requestContext'] as Record<string, unknown>;
  for (const k of sampleKeys) assert.ok(k in rc, `requestContext.${k}`);
  assert.deepEqual(Object.keys(ee).sort(), Object.keys(fe).sort());
  assert.deepEqual(e['queryStringParameters'], f['queryStringParameters']);
  assert.deepEqual(e['multiValueQueryStringParameters'], f['multiValueQueryStringParameters']);
  assert.deepEqual(e['stageVariables'], f['stageVariables']);
});

test('HTTP API 2.0 event has the shape, key order and values of the real capture (apigw-http__authorizer-request)', () => {
  const f = fixture('powertools-typescript/apigw-http__authorizer-request.json');
  const input = makeInput(httpApi, {
    method: 'POST',
    rawPath: '/lambda',
    headers: headerPairs(f['headers'] as Record<string, string>),
    stage: '$default',
    routeKey: 'POST /lambda',
    resourcePath: '/lambda',
  });
  const arn = buildRouteArn({ region: 'eu-west-1', accountId: '123456789012', apiId: 'lsw1ro4ipb', stage: '$default', method: 'POST', path: arnPathOf('/lambda', '$default') });
  const sel = compileIdentitySource('$request.header.Authorization', 'http');
  assert.ok(sel.ok);
  const identity = resolveIdentity(sel.value, input, 'http');
  const e = buildHttpRequestEventV2(input, arn, [identity!]) as unknown as Record<string, unknown>;
  assert.deepEqual(shape(e), shape(f));
  assert.deepEqual(Object.keys(e), Object.keys(f), 'top-level key order');
  for (const k of ['version', 'type', 'routeArn', 'identitySource', 'routeKey', 'rawPath', 'rawQueryString']) assert.deepEqual(e[k], f[k], k);
  const rc = e['requestContext'] as Record<string, unknown>;
  const frc = f['requestContext'] as Record<string, unknown>;
  assert.deepEqual(shape(rc), shape(frc));
  assert.deepEqual(rc['http'] && Object.keys(rc['http'] as object), Object.keys(frc['http'] as object));
  assert.equal((e['headers'] as Record<string, string>)['authorization'], 'Bearer foo');
});

test('HTTP API 2.0 event with cookies, query, path parameters and stage variables matches the sample shape (apigw-v2-custom-authorizer-v2-request)', () => {
  const f = fixture('aws-lambda-go/apigw-v2-custom-authorizer-v2-request.json');
  const input = makeInput(httpApi, {
    method: 'POST',
    rawPath: '/my/path',
    rawQueryString: 'parameter1=value1&parameter1=value2&parameter2=value',
    headers: [['Header1', 'value1'], ['Header2', 'value2'], ['Cookie', 'cookie1; cookie2']],
    stage: '$default',
    routeKey: '$default',
    resourcePath: '$default',
    pathParameters: { parameter1: 'value1' },
    stageVariables: { stageVariable1: 'value1', stageVariable2: 'value2' },
  });
  const e = buildHttpRequestEventV2(input, 'arn', ['user1', '123']) as unknown as Record<string, unknown>;
  assert.deepEqual(shape(e), shape(without(f, ['requestContext', 'authentication'])), 'same shape apart from mTLS');
  assert.deepEqual(e['cookies'], ['cookie1', 'cookie2']);
  assert.deepEqual(e['queryStringParameters'], f['queryStringParameters']);
  assert.deepEqual(e['identitySource'], ['user1', '123']);
  assert.equal('cookie' in (e['headers'] as object), false);
});

test('HTTP API 2.0 event omits cookies / queryStringParameters / pathParameters / stageVariables when empty', () => {
  const input = makeInput(httpApi, { rawPath: '/x', stage: '$default', routeKey: 'GET /x', resourcePath: '/x' });
  const e = buildHttpRequestEventV2(input, 'arn', []);
  for (const k of ['cookies', 'queryStringParameters', 'pathParameters', 'stageVariables', 'body', 'isBase64Encoded']) assert.equal(k in e, false, k);
});

test('HTTP API 1.0 event matches the sample (apigw-v2-custom-authorizer-v1-request): comma-joined identity', () => {
  const f = fixture('aws-lambda-go/apigw-v2-custom-authorizer-v1-request.json');
  const input = makeInput(httpApi, {
    method: 'GET',
    rawPath: '/request',
    rawQueryString: 'QueryString1=queryValue1',
    headers: headerPairs(f['headers'] as Record<string, string>),
    stage: 'test',
    routeKey: 'GET /request',
    resourcePath: '/request',
    stageVariables: { StageVar1: 'stageValue1' },
  });
  const e = buildHttpRequestEventV1(input, f['methodArn'] as string, ['user1', '123']) as unknown as Record<string, unknown>;
  // The sample was taken with an API key and mTLS; without them `apiKey` is null and there is no clientCert.
  assert.deepEqual(shape(without(e, ['requestContext', 'identity', 'apiKey'])), shape(without(without(f, ['requestContext', 'identity', 'clientCert']), ['requestContext', 'identity', 'apiKey'])));
  assert.deepEqual(Object.keys(e), Object.keys(f), 'key order');
  for (const k of ['version', 'type', 'methodArn', 'identitySource', 'authorizationToken', 'resource', 'path', 'httpMethod', 'queryStringParameters', 'pathParameters', 'stageVariables']) {
    assert.deepEqual(e[k], f[k], k);
  }
});

test('identity sources resolve whole values and treat missing / blank as absent', () => {
  const input: AuthorizerEventSource = makeInput(restApi, {
    rawPath: '/prod/x',
    rawQueryString: 'q=1&q=2&blank=',
    headers: [['authorization', 'Bearer  a.b.c '], ['X-Multi', 'a'], ['x-multi', 'b']],
    stage: 'prod',
    routeKey: 'GET /x',
    resourcePath: '/x',
    stageVariables: { env: 'dev' },
  });
  const rest = (e: string) => {
    const c = compileIdentitySource(e, 'rest');
    assert.ok(c.ok, e);
    return resolveIdentity(c.value, input, 'rest');
  };
  const http = (e: string) => {
    const c = compileIdentitySource(e, 'http');
    assert.ok(c.ok, e);
    return resolveIdentity(c.value, input, 'http');
  };
  assert.equal(rest('method.request.header.Authorization'), 'Bearer  a.b.c ');
  assert.equal(rest('method.request.header.x-multi'), 'b');
  assert.equal(http('$request.header.X-Multi'), 'a,b');
  assert.equal(rest('method.request.querystring.q'), '2');
  assert.equal(http('$request.querystring.q'), '1,2');
  assert.equal(rest('method.request.querystring.blank'), undefined);
  assert.equal(rest('method.request.querystring.Q'), undefined, 'query names are case-sensitive');
  assert.equal(rest('stageVariables.env'), 'dev');
  assert.equal(rest('stageVariables.nope'), undefined);
  assert.equal(rest('context.httpMethod'), 'GET');
  assert.equal(http('$context.routeKey'), 'GET /x');
  assert.equal(http('$context.identity.sourceIp'), '203.0.113.9');
  assert.equal(compileIdentitySource('$request.header.X', 'rest').ok, false);
  assert.equal(compileIdentitySource('method.request.path.id', 'rest').ok, false, 'path parameters cannot be identity sources');
  assert.equal(compileIdentitySource('$context.unknownThing', 'http').ok, false);
});

test('arnPathOf strips a named stage prefix and keeps the root as /', () => {
  assert.equal(arnPathOf('/prod', 'prod'), '/');
  assert.equal(arnPathOf('/prod/', 'prod'), '/');
  assert.equal(arnPathOf('/prod/a%20b', 'prod'), '/a%20b');
  assert.equal(arnPathOf('/production/x', 'prod'), '/production/x');
  assert.equal(arnPathOf('/x', '$default'), '/x');
});

// ---------------------------------------------------------------------------------------------
// Compile-time contract with @types/aws-lambda (checked by `tsc --noEmit`). Known, documented
// differences: the real REST event has no `apiKey`/`apiKeyId`/`clientCert` in `identity` without
// API keys / mTLS (the typings require them) and no `authorizer`; AWS omits `cookies` in 2.0
// events when there are none (the typings require it).

type RestRequestEventType = Omit<APIGatewayRequestAuthorizerEvent, 'requestContext'> & {
  requestContext: Omit<APIGatewayEventRequestContextWithAuthorizer<undefined>, 'identity' | 'authorizer'>;
};
type HttpV2EventType = Omit<APIGatewayRequestAuthorizerEventV2, 'cookies'> & { cookies?: string[] };

test('built events are assignable to the @types/aws-lambda event types', () => {
  const input = makeInput(restApi, { rawPath: '/prod/x', stage: 'prod', routeKey: 'GET /x', resourcePath: '/x' });
  const token: APIGatewayTokenAuthorizerEvent = buildTokenEvent('t', 'arn');
  const rest: RestRequestEventType = buildRestRequestEvent(input, 'arn');
  const v2: HttpV2EventType = buildHttpRequestEventV2(input, 'arn', ['a']);
  const v1: Omit<RestRequestEventType, 'requestContext' | 'multiValueHeaders' | 'multiValueQueryStringParameters' | 'type'> = buildHttpRequestEventV1(input, 'arn', ['a']);
  assert.ok(token && rest && v2 && v1);
});
