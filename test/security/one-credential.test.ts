/**
 * One credential per request: an identity source (header, or query parameter) sent more than once
 * with different values is refused with 401 before any authorizer runs — JWT, Lambda TOKEN, Lambda
 * REQUEST on HTTP APIs (2.0 and 1.0) and REST — so the backend never receives a credential the
 * authorizer did not validate, and a cached decision is never reused for a request that carries
 * another credential beside the cached one. Real gateway, real handler modules, a real IdP with a
 * real key, a recording upstream; duplicate headers are written on a raw socket (fetch would join them).
 */
import { after, before, describe, test } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { createManualClock } from '../../src/core/clock.ts';
import { startGateway, startUpstream, tempDir, type TestGateway, type TestUpstream } from '../helpers/gateway.ts';
import { SCENARIO_HANDLER } from '../lambda-authorizer/helpers.ts';
import { claims, makeKey, NOW_MS, sign, startIdp, type Idp } from '../jwt/fixtures.ts';

let gw: TestGateway;
let upstream: TestUpstream;
let idp: Idp;
let countFile: string;
let bobToken: string;
let aliceToken: string;

const invocations = () => (existsSync(countFile) ? readFileSync(countFile, 'utf8').split('\n').filter(Boolean).length : 0);

before(async () => {
  const dir = tempDir({ 'auth.mjs': SCENARIO_HANDLER });
  countFile = join(dir, 'count.txt');
  writeFileSync(countFile, '');
  upstream = await startUpstream();
  idp = await startIdp();
  const key = await makeKey('one-credential');
  const { issuer } = idp.tenant('one', [key.jwk]);
  bobToken = await sign(key, claims(issuer, { sub: 'bob' }));
  aliceToken = await sign(key, claims(issuer, { sub: 'alice' }));
  const fn = { handler: './auth.mjs', environment: { COUNT_FILE: countFile }, timeoutInMillis: 5000 };
  const to = (path: string) => ({ type: 'http', uri: `${upstream.url}${path}` });
  gw = await startGateway(
    {
      apis: [
        {
          name: 'h',
          protocol: 'http',
          stage: 'h',
          authorizers: {
            jwt: { authorizerType: 'JWT', jwtConfiguration: { issuer, audience: ['api://default'] } },
            req2: { authorizerType: 'REQUEST', authorizerPayloadFormatVersion: '2.0', identitySource: '$request.header.Authorization', function: fn },
            req1: { authorizerType: 'REQUEST', authorizerPayloadFormatVersion: '1.0', identitySource: '$request.header.Authorization', function: fn },
            query: { authorizerType: 'REQUEST', authorizerPayloadFormatVersion: '2.0', identitySource: '$request.querystring.token', function: fn },
          },
          routes: {
            'GET /jwt': { authorizerId: 'jwt', integration: to('/jwt') },
            'GET /req2': { authorizerId: 'req2', integration: to('/req2') },
            'GET /req1': { authorizerId: 'req1', integration: to('/req1') },
            'GET /query': { authorizerId: 'query', integration: to('/query') },
          },
        },
        {
          name: 'r',
          protocol: 'rest',
          stage: 'r',
          authorizers: {
            // Decisions cached for 300 s (REST's default): a repeated header must not ride on a cached one.
            token: { authorizerType: 'TOKEN', identitySource: 'method.request.header.Authorization', function: fn },
            request: { authorizerType: 'REQUEST', identitySource: 'method.request.header.Authorization', function: fn },
            query: { authorizerType: 'REQUEST', identitySource: 'method.request.querystring.token', function: fn },
          },
          routes: {
            'GET /token': { authorizerId: 'token', integration: to('/token') },
            'GET /request': { authorizerId: 'request', integration: to('/request') },
            'GET /query': { authorizerId: 'query', integration: to('/query') },
          },
        },
      ],
    },
    { baseDir: dir, clock: createManualClock(NOW_MS) },
  );
});

after(async () => {
  await gw.close();
  await upstream.close();
  await idp.close();
});

interface RawReply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** One HTTP/1.1 request written byte for byte, so header lines can repeat. */
function rawGet(path: string, headerLines: string[]): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const socket = connect(gw.port, '127.0.0.1');
    let text = '';
    socket.on('data', (d) => (text += d.toString('latin1')));
    socket.on('error', reject);
    socket.on('close', () => {
      const [head = '', body = ''] = text.split('\r\n\r\n');
      const [statusLine = '', ...lines] = head.split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const at = line.indexOf(':');
        headers[line.slice(0, at).toLowerCase()] = line.slice(at + 1).trim();
      }
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(statusLine)?.[1] ?? 0), headers, body });
    });
    socket.write([`GET ${path} HTTP/1.1`, 'Host: 127.0.0.1', ...headerLines, 'Connection: close', '', ''].join('\r\n'));
  });
}

describe('an identity source sent twice with different values is 401 before any authorizer runs', () => {
  // [name, path, header lines]; the handler allows any `allow:*` identity, so without the check
  // every Lambda row would reach the backend with both credentials.
  const cases: Array<[string, string, () => string[]]> = [
    ['HTTP API JWT authorizer, two Authorization headers (two valid tokens)', '/h/jwt', () => [`Authorization: Bearer ${bobToken}`, `Authorization: Bearer ${aliceToken}`]],
    ['HTTP API REQUEST 2.0, two Authorization headers', '/h/req2', () => ['Authorization: Bearer allow:bob', 'Authorization: Bearer allow:alice']],
    ['HTTP API REQUEST 1.0, two Authorization headers (names in different case)', '/h/req1', () => ['Authorization: Bearer allow:bob', 'authorization: Bearer allow:alice']],
    ['HTTP API REQUEST, token query parameter twice', '/h/query?token=allow:bob&token=allow:alice', () => []],
    ['REST TOKEN, two Authorization headers', '/r/token', () => ['Authorization: Bearer allow:bob', 'Authorization: Bearer allow:alice']],
    ['REST REQUEST, two Authorization headers', '/r/request', () => ['Authorization: Bearer allow:bob', 'Authorization: Bearer allow:alice']],
    ['REST REQUEST, token query parameter twice', '/r/query?token=allow:bob&token=allow:alice', () => []],
  ];
  for (const [name, path, lines] of cases) {
    test(name, async () => {
      const seenBefore = upstream.requests.length;
      const invokedBefore = invocations();
      const r = await rawGet(path, lines());
      assert.equal(r.status, 401);
      assert.deepEqual(JSON.parse(r.body), { message: 'Unauthorized' });
      if (path.startsWith('/r/')) assert.equal(r.headers['x-amzn-errortype'], 'UnauthorizedException');
      if (path === '/h/jwt') {
        assert.equal(r.headers['www-authenticate'], 'Bearer scope="" error="invalid_token" error_description="the token is sent more than once with different values"');
      }
      assert.equal(invocations(), invokedBefore, 'no authorizer function ran');
      assert.equal(upstream.requests.length, seenBefore, 'the backend never saw the request');
    });
  }

  test('REST TOKEN with a cached decision: a second, different Authorization beside the cached one is refused', async () => {
    const ok = await rawGet('/r/token', ['Authorization: Bearer allow:cached']);
    assert.equal(ok.status, 200);
    const seenBefore = upstream.requests.length;
    const r = await rawGet('/r/token', ['Authorization: Bearer forged', 'Authorization: Bearer allow:cached']);
    assert.equal(r.status, 401);
    assert.equal(upstream.requests.length, seenBefore, 'the backend never saw the forged credential');
  });
});

describe('what still passes', () => {
  test('one credential: the backend receives exactly the validated value', async () => {
    for (const path of ['/h/req2', '/h/req1', '/r/token', '/r/request']) {
      const r = await rawGet(path, ['Authorization: Bearer allow:bob']);
      assert.equal(r.status, 200, path);
      assert.equal(upstream.requests.at(-1)!.headers['authorization'], 'Bearer allow:bob', path);
    }
    const jwt = await rawGet('/h/jwt', [`Authorization: Bearer ${bobToken}`]);
    assert.equal(jwt.status, 200);
  });

  test('identical copies pass: every copy the backend can read is the value the authorizer saw', async () => {
    for (const path of ['/h/req2', '/r/token', '/r/request']) {
      const r = await rawGet(path, ['Authorization: Bearer allow:bob', 'Authorization: Bearer allow:bob']);
      assert.equal(r.status, 200, path);
      for (const value of String(upstream.requests.at(-1)!.headers['authorization']).split(',')) assert.equal(value.trim(), 'Bearer allow:bob', path);
    }
    const query = await rawGet('/r/query?token=allow:bob&token=allow:bob', []);
    assert.equal(query.status, 200);
  });

  test('query parameters and headers that are not identity sources may repeat', async () => {
    const r = await rawGet('/r/query?token=allow:bob&tag=a&tag=b', ['X-Trace: 1', 'X-Trace: 2']);
    assert.equal(r.status, 200);
    assert.equal(upstream.requests.at(-1)!.url, '/query?token=allow:bob&tag=a&tag=b');
    const h = await rawGet('/h/req2?tag=a&tag=b', ['Authorization: Bearer allow:bob', 'X-Trace: 1', 'X-Trace: 2']);
    assert.equal(h.status, 200);
  });
});
