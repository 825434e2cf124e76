/**
 * Regression: header and query-string names that are Object.prototype members (`constructor`,
 * `toString`, `__proto__`) crashed the Lambda event builders (`multiValueHeaders[key].push is not a
 * function`), so any client could turn a Lambda route or a REQUEST authorizer into a 500, and the
 * HTTP API header join turned `constructor: x` into `function Object() { [native code] },x`.
 * Found by test/security/fuzz-events.test.ts.
 */
import { test, before, after } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { eventParts } from '../../src/core/lambda-events.ts';
import type { GatewayRequest } from '../../src/core/model.ts';
import { startGateway, startUpstream, tempDir, type TestGateway, type TestUpstream } from '../helpers/gateway.ts';

const ECHO = `export const handler = async (event) => ({ statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(event) });`;
const AUTH = `export const handler = async (event) => ({ isAuthorized: true, context: { q: JSON.stringify(event.queryStringParameters ?? null), h: event.headers?.constructor ?? null } });`;

let gw: TestGateway;
let up: TestUpstream;
before(async () => {
  const dir = tempDir({ 'echo.mjs': ECHO, 'auth.mjs': AUTH });
  up = await startUpstream();
  gw = await startGateway({
    apis: [
      {
        name: 'p', protocol: 'http', stage: '$default',
        authorizers: { req: { authorizerType: 'REQUEST', function: { handler: './auth.mjs' }, identitySource: ['$request.header.x-id'], enableSimpleResponses: true, authorizerPayloadFormatVersion: '2.0' } },
        routes: {
          'GET /lambda': { integration: { type: 'lambda', handler: './echo.mjs' } },
          'GET /lambda1': { integration: { type: 'lambda', handler: './echo.mjs', payloadFormatVersion: '1.0' } },
          'GET /authed': { authorizerId: 'req', integration: { type: 'lambda', handler: './echo.mjs' } },
          'GET /http': { integration: { type: 'http', uri: `${up.url}/h` } },
        },
      },
      { name: 'r', protocol: 'rest', stage: 'prod', routes: { 'GET /lambda': { integration: { type: 'lambda', handler: './echo.mjs' } } } },
    ],
  }, { baseDir: dir });
});
after(async () => {
  await gw.close();
  await up.close();
});

/** Raw request: fetch would refuse nothing here, but raw bytes keep header names exactly. */
function raw(path: string, headers: string[]): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const s = connect(gw.port, '127.0.0.1');
    let text = '';
    s.on('data', (d) => (text += d.toString('utf8')));
    s.on('error', reject);
    s.on('close', () => {
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
      const body = text.slice(text.indexOf('\r\n\r\n') + 4);
      const chunked = /transfer-encoding: chunked/i.test(text.slice(0, text.indexOf('\r\n\r\n')));
      resolve({ status, body: chunked ? dechunk(body) : body });
    });
    s.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n${headers.map((h) => `${h}\r\n`).join('')}Connection: close\r\n\r\n`);
  });
}
function dechunk(s: string): string {
  let out = '';
  for (let i = 0; ;) {
    const nl = s.indexOf('\r\n', i);
    const n = parseInt(s.slice(i, nl), 16);
    if (!n) return out;
    out += s.slice(nl + 2, nl + 2 + n);
    i = nl + 2 + n + 2;
  }
}

test('eventParts treats constructor / toString / __proto__ as ordinary header and query names', () => {
  const request = {
    method: 'GET', rawPath: '/', rawQueryString: 'constructor=1&__proto__=a&__proto__=b&toString=2',
    headers: {}, rawHeaders: ['constructor', 'x', 'toString', 'y', '__proto__', 'z', 'Constructor', 'w'],
    sourceIp: '10.0.0.1', protocol: 'HTTP/1.1', scheme: 'http', port: 80, requestId: 'r', requestTimeEpoch: 0,
  } as unknown as GatewayRequest;
  const p = eventParts(request);
  assert.equal(p.headersV2['constructor'], 'x,w');
  assert.equal(p.headersV2['tostring'], 'y');
  assert.ok(Object.hasOwn(p.headersV2, '__proto__'));
  assert.equal(p.headersV2['__proto__'], 'z');
  assert.deepEqual(p.multiValueHeaders['constructor'], ['x', 'w']);
  assert.deepEqual(p.multiValueQuery['__proto__'], ['a', 'b']);
  assert.equal(p.queryV2['constructor'], '1');
  assert.equal(p.queryV1['toString'], '2');
  assert.equal(Object.getPrototypeOf(p.queryV2), Object.prototype, 'no prototype was replaced');
});

test('a Lambda integration gets prototype-named headers and query parameters as data (2.0, 1.0, REST)', async () => {
  for (const path of ['/lambda', '/lambda1', '/prod/lambda']) {
    const r = await raw(`${path}?constructor=1&__proto__=p&toString=t`, ['constructor: c', 'toString: t', '__proto__: p']);
    assert.equal(r.status, 200, `${path}: ${r.body}`);
    const event = JSON.parse(r.body) as { headers: Record<string, string>; queryStringParameters: Record<string, string> };
    assert.equal(event.headers[path === '/lambda' ? 'constructor' : 'constructor'], 'c', path);
    assert.equal(event.queryStringParameters['constructor'], '1', path);
    assert.equal(event.queryStringParameters['__proto__'], 'p', path);
  }
});

test('a REQUEST authorizer event is built for prototype-named headers and queries (no 500)', async () => {
  const r = await raw('/authed?constructor=1', ['x-id: someone', 'constructor: c']);
  assert.equal(r.status, 200, r.body);
  const event = JSON.parse(r.body) as { requestContext: { authorizer: { lambda: { q: string; h: string } } } };
  assert.equal(event.requestContext.authorizer.lambda.h, 'c');
  assert.deepEqual(JSON.parse(event.requestContext.authorizer.lambda.q), { constructor: '1' });
});

test('an HTTP integration forwards `constructor: c` as c, not as a stringified Object function', async () => {
  const r = await raw('/http', ['constructor: c']);
  assert.equal(r.status, 200);
  assert.equal(up.requests.at(-1)!.headers['constructor'], 'c');
});
