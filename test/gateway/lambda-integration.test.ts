import { test, before, after } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startGateway, tempDir, type TestGateway } from '../helpers/gateway.ts';

const FIXTURES = new URL('../fixtures/aws-events/', import.meta.url);
const fixture = (path: string) => JSON.parse(readFileSync(new URL(path, FIXTURES), 'utf8')) as Record<string, unknown>;

const dir = tempDir({
  'echo.mjs': 'export const handler = async (event, context) => ({ statusCode: 200, headers: { "content-type": "application/json" }, body: JSON.stringify({ event, context: { awsRequestId: context.awsRequestId, functionName: context.functionName, remaining: context.getRemainingTimeInMillis(), env: process.env.GREETING ?? null } }) });',
  'typed.ts': 'interface E { rawPath: string }\nexport const handler = async (event: E): Promise<string> => `typed ${event.rawPath}`;',
  'named.cjs': 'exports.main = async () => ({ statusCode: 202, body: "cjs" });',
  'callback.js': 'export function handler(event, context, callback) { setTimeout(() => callback(null, { statusCode: 200, body: "via callback" }), 5); }',
  'throws.mjs': 'export const handler = async () => { throw new Error("boom"); };',
  'garbage.mjs': 'export const handler = async () => ({ statusCode: "nope" });',
  'slow.mjs': 'export const handler = async () => new Promise((r) => setTimeout(() => r({ statusCode: 200, body: "late" }), 3000));',
  'spin.mjs': 'export const handler = async () => { for (;;) {} };',
  'exit.mjs': 'export const handler = async () => { process.exit(3); };',
  'binary.mjs': 'export const handler = async (e) => ({ statusCode: 200, headers: { "content-type": "application/octet-stream" }, isBase64Encoded: true, body: Buffer.from(e.body, e.isBase64Encoded ? "base64" : "utf8").reverse().toString("base64") });',
  'pkg/node_modules/leftpad-local/package.json': '{"name":"leftpad-local","version":"1.0.0","type":"module","main":"index.js"}',
  'pkg/node_modules/leftpad-local/index.js': 'export default (s, n) => String(s).padStart(n, "0");',
  'pkg/uses-dep.mjs': 'import pad from "leftpad-local"; export const handler = async (e) => ({ statusCode: 200, body: pad(e.pathParameters.n, 5) });',
  'rest.mjs': 'export const handler = async (event) => ({ statusCode: 200, multiValueHeaders: { "x-multi": ["a", "b"] }, body: JSON.stringify(event) });',
  'missing-export.mjs': 'export const other = 1;',
  'bad-import.mjs': 'import "does-not-exist-anywhere"; export const handler = async () => ({ statusCode: 200 });',
});

let gw: TestGateway;
before(async () => {
  gw = await startGateway({
    apis: [
      {
        name: 'h', protocol: 'http', stage: '$default', stageVariables: { color: 'blue' },
        routes: {
          'POST /echo/{id}': { integration: { type: 'lambda', handler: './echo.mjs', environment: { GREETING: 'hi' } } },
          'GET /v1/{id}': { integration: { type: 'lambda', handler: './rest.mjs', payloadFormatVersion: '1.0' } },
          'GET /typed': { integration: { type: 'lambda', handler: './typed.ts' } },
          'GET /cjs': { integration: { type: 'lambda', handler: './named.cjs', exportName: 'main' } },
          'GET /callback': { integration: { type: 'lambda', handler: './callback.js' } },
          'GET /throws': { integration: { type: 'lambda', handler: './throws.mjs' } },
          'GET /garbage': { integration: { type: 'lambda', handler: './garbage.mjs' } },
          'GET /slow': { integration: { type: 'lambda', handler: './slow.mjs', timeoutInMillis: 300 } },
          'GET /spin': { integration: { type: 'lambda', handler: './spin.mjs', timeoutInMillis: 300 } },
          'GET /exit': { integration: { type: 'lambda', handler: './exit.mjs' } },
          'POST /binary': { integration: { type: 'lambda', handler: './binary.mjs' } },
          'GET /dep/{n}': { integration: { type: 'lambda', handler: './pkg/uses-dep.mjs' } },
          'GET /missing-export': { integration: { type: 'lambda', handler: './missing-export.mjs' } },
          'GET /bad-import': { integration: { type: 'lambda', handler: './bad-import.mjs' } },
        },
      },
      {
        name: 'r', protocol: 'rest', stage: 'prod',
        routes: {
          'GET /items/{id}': { integration: { type: 'lambda', handler: './rest.mjs' } },
          'GET /throws': { integration: { type: 'lambda', handler: './throws.mjs' } },
          'GET /slow': { integration: { type: 'lambda', handler: './slow.mjs', timeoutInMillis: 300 } },
          'GET /garbage': { integration: { type: 'lambda', handler: './garbage.mjs' } },
        },
      },
    ],
  }, { baseDir: dir });
});
after(() => gw.close());

function keysOf(o: unknown): string[] {
  return Object.keys(o as object).sort();
}

test('payload 2.0 event: every field AWS sends, with AWS rules', async () => {
  const res = await fetch(`${gw.url}/echo/a%20b?x=1&x=2&y=%C3%A9`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie: 'c1=v1; c2=v2', 'X-Multi': 'one', 'user-agent': 'test-agent' },
    body: '{"k":"v"}',
  });
  assert.equal(res.status, 200);
  const { event, context } = (await res.json()) as { event: Record<string, any>; context: Record<string, unknown> };
  assert.equal(event.version, '2.0');
  assert.equal(event.routeKey, 'POST /echo/{id}');
  assert.equal(event.rawPath, '/echo/a%20b');
  assert.equal(event.rawQueryString, 'x=1&x=2&y=%C3%A9');
  assert.deepEqual(event.cookies, ['c1=v1', 'c2=v2']);
  assert.equal(event.headers['x-multi'], 'one');
  assert.equal(event.headers['cookie'], undefined);
  assert.equal(event.headers['x-forwarded-proto'], 'http');
  assert.deepEqual(event.queryStringParameters, { x: '1,2', y: 'é' });
  assert.deepEqual(event.pathParameters, { id: 'a b' });
  assert.deepEqual(event.stageVariables, { color: 'blue' });
  assert.equal(event.body, '{"k":"v"}');
  assert.equal(event.isBase64Encoded, false);
  const rc = event.requestContext;
  assert.equal(rc.http.method, 'POST');
  assert.equal(rc.http.path, '/echo/a%20b');
  assert.equal(rc.http.protocol, 'HTTP/1.1');
  assert.equal(rc.http.sourceIp, '127.0.0.1');
  assert.equal(rc.http.userAgent, 'test-agent');
  assert.equal(rc.stage, '$default');
  assert.equal(rc.routeKey, 'POST /echo/{id}');
  assert.equal(rc.requestId, res.headers.get('apigw-requestid'));
  assert.match(rc.time, /^\d\d\/[A-Z][a-z]{2}\/\d{4}:\d\d:\d\d:\d\d \+0000$/);
  assert.equal(typeof rc.timeEpoch, 'number');
  assert.equal(rc.authorizer, undefined, 'no authorizer key without an authorizer');
  // Same keys as a real captured event (powertools apigw-http__no-auth), authorizer aside.
  const real = fixture('powertools-typescript/apigw-http__no-auth.json') as Record<string, any>;
  const realRc = { ...real.requestContext };
  delete realRc.authorizer;
  assert.deepEqual(keysOf(rc), keysOf(realRc));
  assert.deepEqual(keysOf(rc.http), keysOf(real.requestContext.http));
  // The Lambda context object.
  assert.match(String(context.awsRequestId), /^[0-9a-f-]{36}$/);
  assert.equal(context.functionName, 'echo');
  assert.ok(Number(context.remaining) > 0 && Number(context.remaining) <= 29_000);
  assert.equal(context.env, 'hi');
});

test('payload 2.0 omits cookies, queryStringParameters, pathParameters and body when absent', async () => {
  const res = await fetch(`${gw.url}/echo/1`, { method: 'POST' });
  const { event } = (await res.json()) as { event: Record<string, unknown> };
  for (const k of ['cookies', 'queryStringParameters', 'body']) assert.equal(k in event, false, k);
  assert.equal(event.isBase64Encoded, false);
  assert.equal(event.rawQueryString, '');
});

test('binary request bodies arrive base64-encoded and base64 results are decoded (2.0)', async () => {
  const res = await fetch(`${gw.url}/binary`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: Buffer.from([1, 2, 3, 255]) });
  assert.equal(res.status, 200);
  assert.deepEqual([...Buffer.from(await res.arrayBuffer())], [255, 3, 2, 1]);
});

test('REST proxy event (payload 1.0): original casing, multi-value maps, null empties, stage-prefixed requestContext.path', async () => {
  const res = await fetch(`${gw.url}/prod/items/9?a=1&a=2`, { headers: { 'X-Custom': 'v' } });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('x-multi'), 'a, b');
  const event = (await res.json()) as Record<string, any>;
  assert.equal(event.resource, '/items/{id}');
  assert.equal(event.path, '/items/9');
  assert.equal(event.httpMethod, 'GET');
  assert.equal(event.headers['X-Custom'], 'v');
  assert.deepEqual(event.multiValueHeaders['X-Custom'], ['v']);
  assert.deepEqual(event.queryStringParameters, { a: '2' });
  assert.deepEqual(event.multiValueQueryStringParameters, { a: ['1', '2'] });
  assert.deepEqual(event.pathParameters, { id: '9' });
  assert.equal(event.stageVariables, null);
  assert.equal(event.body, null);
  assert.equal(event.isBase64Encoded, false);
  assert.equal('version' in event, false);
  assert.equal(event.requestContext.path, '/prod/items/9');
  assert.equal(event.requestContext.stage, 'prod');
  assert.equal(event.requestContext.resourcePath, '/items/{id}');
  assert.match(event.requestContext.requestId, /^[0-9a-f-]{36}$/);
  assert.equal(event.requestContext.requestId, res.headers.get('x-amzn-requestid'));
  const real = fixture('powertools-typescript/apigw-rest__no-auth.json') as Record<string, any>;
  assert.deepEqual(keysOf(event), keysOf(real));
  assert.deepEqual(keysOf(event.requestContext), keysOf(real.requestContext));
  assert.deepEqual(keysOf(event.requestContext.identity), keysOf(real.requestContext.identity));
});

test('HTTP API payload 1.0 carries version "1.0" and the REST shape', async () => {
  const res = await fetch(`${gw.url}/v1/5`);
  const event = (await res.json()) as Record<string, any>;
  assert.equal(event.version, '1.0');
  assert.equal(event.resource, '/v1/{id}');
  assert.deepEqual(event.pathParameters, { id: '5' });
  assert.equal(event.requestContext.stage, '$default');
});

test('.ts, .cjs with a named export, and callback-style handlers all run', async () => {
  const typed = await fetch(`${gw.url}/typed`);
  assert.equal(await typed.text(), 'typed /typed');
  assert.equal(typed.headers.get('content-type'), 'application/json');
  const cjs = await fetch(`${gw.url}/cjs`);
  assert.equal(cjs.status, 202);
  assert.equal(await cjs.text(), 'cjs');
  assert.equal(await (await fetch(`${gw.url}/callback`)).text(), 'via callback');
});

test('a handler imports its own npm packages, resolved from its own directory', async () => {
  const res = await fetch(`${gw.url}/dep/42`);
  assert.equal(await res.text(), '00042');
});

test('HTTP API: a throwing or garbage-returning handler is 500 Internal Server Error', async () => {
  for (const path of ['/throws', '/garbage', '/missing-export', '/bad-import']) {
    const res = await fetch(gw.url + path);
    assert.equal(res.status, 500, path);
    assert.deepEqual(await res.json(), { message: 'Internal Server Error' }, path);
  }
});

test('REST: a throwing or garbage-returning handler is 502 Internal server error; a timeout is 504', async () => {
  for (const path of ['/prod/throws', '/prod/garbage']) {
    const res = await fetch(gw.url + path);
    assert.equal(res.status, 502, path);
    assert.deepEqual(await res.json(), { message: 'Internal server error' });
  }
  const slow = await fetch(`${gw.url}/prod/slow`);
  assert.equal(slow.status, 504);
  assert.deepEqual(await slow.json(), { message: 'Endpoint request timed out' });
});

test('HTTP API: a handler over its timeout is 503 Service Unavailable', async () => {
  const res = await fetch(`${gw.url}/slow`);
  assert.equal(res.status, 503);
  assert.deepEqual(await res.json(), { message: 'Service Unavailable' });
});

test('a handler that blocks its event loop or exits the process costs only its own worker', async () => {
  const started = Date.now();
  const [spin, healthy] = await Promise.all([fetch(`${gw.url}/spin`), fetch(`${gw.url}/typed`)]);
  assert.equal(spin.status, 503);
  assert.equal(healthy.status, 200, 'other functions keep answering while one spins');
  assert.ok(Date.now() - started < 3000);
  const exit = await fetch(`${gw.url}/exit`);
  assert.equal(exit.status, 500);
  // The spinning and exiting environments were replaced: the same functions run again.
  assert.equal((await fetch(`${gw.url}/spin`)).status, 503);
  assert.equal((await fetch(`${gw.url}/typed`)).status, 200);
});

test('a handler file that does not exist is a start-up config error with its path', async () => {
  await assert.rejects(
    startGateway({ apis: [{ name: 'x', protocol: 'http', stage: '$default', routes: { 'GET /a': { integration: { type: 'lambda', handler: './nope.mjs' } } } }] }, { baseDir: dir }),
    (err: Error) => /apis\[0\]\.routes\["GET \/a"\]\.integration\.handler: handler module not found: .*\/nope\.mjs/.test(err.message),
  );
});
