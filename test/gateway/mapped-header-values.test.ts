/**
 * Client input mapped into a header (request, response and gateway-response mappings) can never
 * make the gateway answer 500: a mapped value that is not a valid header value (RFC 9110 §5.5:
 * visible ASCII, SP, HTAB and Latin-1 obs-text) is a 400 naming the mapping, and the upstream never
 * sees the request; a gateway response header that cannot carry it is left out. The same input
 * mapped into `overwrite:path` is percent-encoded (a dot segment is refused), never a 500.
 */
import { after, before, describe, test } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { rawRequest, startGateway, startUpstream, tempDir, type TestGateway, type TestUpstream } from '../helpers/gateway.ts';

// Query values that cannot be header values, percent-encoded as a client sends them.
const BAD_VALUES: Array<[string, string]> = [
  ['CR', 'a%0Db'],
  ['LF', 'a%0Ab'],
  ['CRLF + a forged header', 'a%0D%0Ax-injected:%201'],
  ['NUL', 'a%00b'],
  ['DEL', 'a%7Fb'],
  ['U+2028', 'a%E2%80%A8b'],
  ['€ (beyond Latin-1)', '%E2%82%AC5'],
];

let gw: TestGateway;
let upstream: TestUpstream;

before(async () => {
  upstream = await startUpstream();
  const dir = tempDir({ 'ok.mjs': 'export async function handler() { return { statusCode: 200, body: "ok" }; }\n' });
  gw = await startGateway(
    {
      apis: [
        {
          name: 'h',
          protocol: 'http',
          stage: 'h',
          routes: {
            'GET /request': { integration: { type: 'http', uri: `${upstream.url}/request`, requestParameters: { 'append:header.x-q': '$request.querystring.q', 'overwrite:header.x-fixed': 'yes' } } },
            'GET /response/{id}': { integration: { type: 'http', uri: `${upstream.url}/response`, responseParameters: { '200': { 'overwrite:header.x-id': '$request.path.id' } } } },
            'GET /path': { integration: { type: 'http', uri: `${upstream.url}/unused`, requestParameters: { 'overwrite:path': '/base/$request.querystring.q/end' } } },
            'GET /lambda/{id}': { integration: { type: 'lambda', handler: './ok.mjs', responseParameters: { '200': { 'append:header.x-id': '$request.path.id' } } } },
          },
        },
        {
          name: 'r',
          protocol: 'rest',
          stage: 'r',
          gatewayResponses: { MISSING_AUTHENTICATION_TOKEN: { responseParameters: { 'gatewayresponse.header.x-q': 'method.request.querystring.q' } } },
          routes: {
            'GET /request': { integration: { type: 'http', uri: `${upstream.url}/request`, requestParameters: { 'integration.request.header.x-q': 'method.request.querystring.q' } } },
            'GET /response': { integration: { type: 'http', uri: `${upstream.url}/response` }, responseParameters: { 'method.response.header.x-q': 'method.request.querystring.q' } },
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

describe('a mapped value that cannot be a header value is a 400 naming the mapping, never a 500', () => {
  for (const [what, encoded] of BAD_VALUES) {
    test(`${what}: HTTP API append:header.x-q ← $request.querystring.q`, async () => {
      const before = upstream.requests.length;
      const res = await rawRequest(`${gw.url}/h/request?q=${encoded}`);
      assert.equal(res.status, 400);
      assert.deepEqual(JSON.parse(res.body), { message: 'Bad Request: the value mapped to append:header.x-q is not a valid header value' });
      assert.equal(upstream.requests.length, before, 'the upstream never sees the request');
    });

    test(`${what}: REST integration.request.header.x-q ← method.request.querystring.q`, async () => {
      const before = upstream.requests.length;
      const res = await rawRequest(`${gw.url}/r/request?q=${encoded}`);
      assert.equal(res.status, 400);
      assert.equal(res.headers['x-amzn-errortype'], 'BadRequestException');
      assert.deepEqual(JSON.parse(res.body), { message: 'Bad Request: the value mapped to integration.request.header.x-q is not a valid header value' });
      assert.equal(upstream.requests.length, before, 'the upstream never sees the request');
    });

    test(`${what}: HTTP API responseParameters and REST method.response.header fed by the request`, async () => {
      const http = await rawRequest(`${gw.url}/h/response/${encoded}`);
      assert.equal(http.status, 400);
      assert.deepEqual(JSON.parse(http.body), { message: 'Bad Request: the value mapped to 200.overwrite:header.x-id is not a valid header value' });
      const lambda = await rawRequest(`${gw.url}/h/lambda/${encoded}`);
      assert.equal(lambda.status, 400);
      assert.deepEqual(JSON.parse(lambda.body), { message: 'Bad Request: the value mapped to 200.append:header.x-id is not a valid header value' });
      const rest = await rawRequest(`${gw.url}/r/response?q=${encoded}`);
      assert.equal(rest.status, 400);
      assert.deepEqual(JSON.parse(rest.body), { message: 'Bad Request: the value mapped to method.response.header.x-q is not a valid header value' });
    });

    test(`${what}: a REST gateway response header mapped from the request is left out`, async () => {
      const res = await rawRequest(`${gw.url}/r/nowhere?q=${encoded}`);
      assert.equal(res.status, 403);
      assert.equal(res.headers['x-q'], undefined);
      assert.deepEqual(JSON.parse(res.body), { message: 'Missing Authentication Token' });
    });
  }
});

test('values a header can carry still pass: Latin-1 (é), SP, HTAB, and the empty string', async () => {
  for (const [encoded, expected] of [['caf%C3%A9', 'café'], ['a%20b%09c', 'a b\tc']] as const) {
    const res = await rawRequest(`${gw.url}/h/request?q=${encoded}`);
    assert.equal(res.status, 200);
    // node:http reads header bytes as Latin-1: 'é' arrives as the byte 0xE9.
    assert.equal(upstream.requests.at(-1)!.headers['x-q'], expected);
    const rest = await rawRequest(`${gw.url}/r/request?q=${encoded}`);
    assert.equal(rest.status, 200);
    assert.equal(upstream.requests.at(-1)!.headers['x-q'], expected);
    const mapped = await rawRequest(`${gw.url}/r/nowhere?q=${encoded}`);
    assert.equal(mapped.headers['x-q'], expected);
  }
  const empty = await rawRequest(`${gw.url}/h/request?q=`);
  assert.equal(empty.status, 200);
  assert.equal(upstream.requests.at(-1)!.headers['x-fixed'], 'yes');
});

describe('client input mapped into overwrite:path is encoded, never a 500', () => {
  // [what, encoded query value, upstream path]
  const cases: Array<[string, string, string]> = [
    ['space', 'a%20b', '/base/a%20b/end'],
    ['CR LF', 'a%0D%0Ab', '/base/a%0D%0Ab/end'],
    ['NUL', 'a%00b', '/base/a%00b/end'],
    ['U+2028', 'a%E2%80%A8b', '/base/a%E2%80%A8b/end'],
    ['€', '%E2%82%AC5', '/base/%E2%82%AC5/end'],
    ['? and # stay data', 'a%3Fx%3D1%23f', '/base/a%3Fx%3D1%23f/end'],
    ['a slash is a separator', 'a%2Fb', '/base/a/b/end'],
  ];
  for (const [what, encoded, expected] of cases) {
    test(`${what}: forwarded as ${expected}`, async () => {
      const res = await rawRequest(`${gw.url}/h/path?q=${encoded}`);
      assert.equal(res.status, 200);
      assert.equal(upstream.requests.at(-1)!.url, `${expected}?q=${encoded}`);
    });
  }

  for (const [what, encoded] of [['..', '..'], ['.. after a slash', 'x%2F..%2F..'], ['%2e%2e (decoded once by the query)', '%252e%252e'], ['.', '.']] as const) {
    test(`a dot segment (${what}) is 400 and the upstream never sees it`, async () => {
      const before = upstream.requests.length;
      const res = await rawRequest(`${gw.url}/h/path?q=${encoded}`);
      assert.equal(res.status, 400);
      assert.deepEqual(JSON.parse(res.body), { message: 'Bad Request: the value mapped to overwrite:path holds a dot segment' });
      assert.equal(upstream.requests.length, before);
    });
  }
});
