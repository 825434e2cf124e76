/**
 * HTTP API CORS through the real listener (spec §6): the preflight matrix, preflights answered
 * before routes / authorizers / integrations, CORS headers replacing the backend's on every
 * response (401/403/404/5xx included), and OPTIONS as an ordinary method when CORS is off.
 */
import { after, before, describe, test } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { ConfigError } from '../../src/core/errors.ts';
import { parseConfig } from '../../src/config.ts';
import { closedPort, startGateway, startUpstream, tempDir, type TestGateway, type TestUpstream } from '../helpers/gateway.ts';
import { AUTH_HANDLER, ECHO_HANDLER, corsHeadersOf, fileLines, send } from './helpers.ts';

const APP = 'https://app.example.com';
const EVIL = 'https://evil.example.net';

let gw: TestGateway;
let upstream: TestUpstream;
let dir: string;
const invocations = () => fileLines(`${dir}/invocations.log`).length;

before(async () => {
  dir = tempDir({ 'auth.mjs': AUTH_HANDLER, 'echo.mjs': ECHO_HANDLER });
  upstream = await startUpstream((_req, res) => {
    // A backend with its own (wrong) CORS opinion: the gateway must replace it.
    res.writeHead(200, { 'content-type': 'application/json', 'access-control-allow-origin': 'https://backend-says.example', 'access-control-allow-methods': 'PUT', 'x-request-id': 'r-1' });
    res.end('{"ok":true}');
  });
  const dead = await closedPort();
  const authorizers = {
    a: { authorizerType: 'REQUEST', authorizerPayloadFormatVersion: '2.0', enableSimpleResponses: true, identitySource: '$request.header.Authorization', function: { handler: './auth.mjs' } },
  };
  gw = await startGateway(
    {
      apis: [
        {
          name: 'main',
          protocol: 'http',
          stage: '$default',
          authorizers,
          cors: { allowOrigins: [APP, 'http://localhost:5173'], allowMethods: ['GET', 'POST'], allowHeaders: ['authorization', 'content-type', 'x-custom'], exposeHeaders: ['x-request-id'], maxAge: 600, allowCredentials: true },
          routes: {
            'GET /open': { integration: { type: 'http', uri: `${upstream.url}/open` } },
            'GET /private': { authorizerId: 'a', integration: { type: 'http', uri: `${upstream.url}/private` } },
            'GET /down': { integration: { type: 'http', uri: `http://127.0.0.1:${dead}/`, timeoutInMillis: 1000 } },
            'GET /lambda': { integration: { type: 'lambda', handler: './echo.mjs' } },
          },
        },
        {
          name: 'wild',
          protocol: 'http',
          stage: 'wild',
          cors: { allowOrigins: ['https://*'], allowMethods: ['GET'], allowHeaders: ['x-custom'] },
          routes: { 'GET /x': { integration: { type: 'mock', body: 'x' } } },
        },
        {
          name: 'patterns',
          protocol: 'http',
          stage: 'patterns',
          cors: { allowOrigins: ['http://localhost:*', 'https://*.example.com'], allowMethods: ['GET'], allowCredentials: true },
          routes: { 'GET /x': { integration: { type: 'http', uri: `${upstream.url}/x` } } },
        },
        {
          name: 'star',
          protocol: 'http',
          stage: 'star',
          cors: { allowOrigins: ['*'], allowMethods: ['*'], allowHeaders: ['*'], preflightStatusCode: 200 },
          routes: { 'GET /x': { integration: { type: 'mock', body: 'x' } } },
        },
        {
          // No CORS: OPTIONS is routed like any method (the seed forum's workaround works).
          name: 'plain',
          protocol: 'http',
          stage: 'plain',
          authorizers,
          routes: {
            'OPTIONS /{proxy+}': { integration: { type: 'mock', statusCode: 204, headers: { 'access-control-allow-origin': APP, 'access-control-allow-methods': 'GET' } } },
            'GET /private': { authorizerId: 'a', integration: { type: 'mock', body: 'secret' } },
            'ANY /guarded/{proxy+}': { authorizerId: 'a', integration: { type: 'mock', body: 'g' } },
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

const preflight = (path: string, origin: string, method: string, headers?: string) =>
  send('OPTIONS', `${gw.url}${path}`, { origin, 'access-control-request-method': method, ...(headers ? { 'access-control-request-headers': headers } : {}) });

describe('origins are parsed as scheme://host[:port] before a wildcard applies (port and subdomain wildcards)', () => {
  // [origin, allowed by ['http://localhost:*', 'https://*.example.com']]
  const origins: Array<[string, boolean]> = [
    ['http://localhost:3000', true],
    ['https://app.example.com', true],
    ['http://localhost:3000.evil.com', false],
    ['https://evil.com/.example.com', false],
    ['http://localhost:abc', false],
    ['http://localhost:3000?x', false],
    ['https://evil.com#.example.com', false],
    ['https://user@app.example.com', false],
    ['https://example.com', false],
  ];
  for (const [origin, allowed] of origins) {
    test(`${origin}: ${allowed ? 'echoed' : 'no CORS headers'} on the preflight and on the actual request`, async () => {
      const pre = await preflight('/patterns/x', origin, 'GET');
      assert.equal(pre.status, 204);
      const actual = await send('GET', `${gw.url}/patterns/x`, { origin });
      assert.equal(actual.status, 200);
      for (const r of [pre, actual]) {
        assert.deepEqual(corsHeadersOf(r), allowed ? { 'access-control-allow-origin': origin, 'access-control-allow-credentials': 'true', ...(r === pre ? { 'access-control-allow-methods': 'GET' } : {}) } : {});
        assert.equal(r.headers['vary'], 'Origin');
      }
    });
  }

  test('an allowOrigins entry with "*" elsewhere is a config error naming the entry', () => {
    assert.throws(
      () => parseConfig({ apis: [{ name: 'x', protocol: 'http', stage: '$default', cors: { allowOrigins: [APP, 'https://app-*.example.com'] }, routes: { 'GET /': { integration: { type: 'mock' } } } }] }),
      (err: unknown) => err instanceof ConfigError && err.issues.some((i) => i.path === 'apis[0].cors.allowOrigins[1]' && /app-\*/.test(i.message)),
    );
  });
});

describe('preflight matrix (answered by the gateway)', () => {
  test('allowed origin, listed method and headers: 204, origin echoed, credentials, lists, max-age, Vary', async () => {
    const r = await preflight('/private', APP, 'GET', 'authorization,x-custom');
    assert.equal(r.status, 204);
    assert.equal(r.body, '');
    assert.deepEqual(corsHeadersOf(r), {
      'access-control-allow-origin': APP,
      'access-control-allow-credentials': 'true',
      'access-control-allow-methods': 'GET,POST',
      'access-control-allow-headers': 'authorization,content-type,x-custom',
      'access-control-expose-headers': 'x-request-id',
      'access-control-max-age': '600',
    });
    assert.equal(r.headers['vary'], 'Origin');
  });

  test('origins match case-insensitively and without a trailing slash in config', async () => {
    const r = await preflight('/open', 'http://LOCALHOST:5173', 'GET');
    assert.equal(r.headers['access-control-allow-origin'], 'http://LOCALHOST:5173');
  });

  test('denied origin: 204 without any Access-Control-* header (the browser blocks the call)', async () => {
    const r = await preflight('/private', EVIL, 'GET', 'authorization');
    assert.equal(r.status, 204);
    assert.deepEqual(corsHeadersOf(r), {});
    assert.equal(r.headers['vary'], 'Origin');
  });

  test('unlisted method: the answer lists only the configured methods', async () => {
    const r = await preflight('/open', APP, 'DELETE');
    assert.equal(r.status, 204);
    assert.equal(r.headers['access-control-allow-methods'], 'GET,POST');
    assert.ok(!r.headers['access-control-allow-methods']!.includes('DELETE'));
  });

  test('unlisted request header: not in Access-Control-Allow-Headers', async () => {
    const r = await preflight('/open', APP, 'GET', 'x-other');
    assert.ok(!r.headers['access-control-allow-headers']!.split(',').includes('x-other'));
  });

  test('wildcard `https://*` admits any https origin and no http one; no credentials header when off', async () => {
    const ok = await preflight('/wild/x', 'https://anything.example.org:8443', 'GET');
    assert.equal(ok.headers['access-control-allow-origin'], 'https://anything.example.org:8443');
    assert.equal(ok.headers['access-control-allow-credentials'], undefined);
    const no = await preflight('/wild/x', 'http://anything.example.org', 'GET');
    assert.deepEqual(corsHeadersOf(no), {});
  });

  test('`*` origins without credentials answer `*`; `*` methods/headers answer what was asked; status configurable', async () => {
    const r = await preflight('/star/x', EVIL, 'PATCH', 'x-a,x-b');
    assert.equal(r.status, 200);
    assert.equal(r.headers['access-control-allow-origin'], '*');
    assert.equal(r.headers['access-control-allow-methods'], 'PATCH');
    assert.equal(r.headers['access-control-allow-headers'], 'x-a,x-b');
    assert.equal(r.headers['vary'], undefined);
  });

  test('preflights run no route, authorizer or integration (even for paths with no route)', async () => {
    const before = { auth: invocations(), upstream: upstream.requests.length };
    for (const path of ['/private', '/open', '/no/such/route']) {
      const r = await preflight(path, APP, 'GET', 'authorization');
      assert.equal(r.status, 204, path);
      assert.equal(r.headers['access-control-allow-origin'], APP);
    }
    assert.equal(invocations(), before.auth);
    assert.equal(upstream.requests.length, before.upstream);
  });

  test('OPTIONS without Access-Control-Request-Method is not a preflight: routed (404 here), CORS headers added', async () => {
    const r = await send('OPTIONS', `${gw.url}/open`, { origin: APP });
    assert.equal(r.status, 404);
    assert.equal(r.headers['access-control-allow-origin'], APP);
  });
});

describe('CORS headers on actual responses replace the backend\'s', () => {
  test('200 from an HTTP backend: backend Access-Control-* dropped, ours added, other headers kept', async () => {
    const r = await send('GET', `${gw.url}/open`, { origin: APP });
    assert.equal(r.status, 200);
    assert.deepEqual(corsHeadersOf(r), { 'access-control-allow-origin': APP, 'access-control-allow-credentials': 'true', 'access-control-expose-headers': 'x-request-id' });
    assert.equal(r.headers['x-request-id'], 'r-1');
    assert.equal(r.rawHeaders.filter(([k]) => k === 'access-control-allow-origin').length, 1);
  });

  test('200 from a Lambda: its access-control-allow-origin is replaced', async () => {
    const r = await send('GET', `${gw.url}/lambda`, { origin: APP });
    assert.equal(r.status, 200);
    assert.equal(r.headers['access-control-allow-origin'], APP);
  });

  test('no Origin header: no CORS headers at all, the backend\'s removed too', async () => {
    const r = await send('GET', `${gw.url}/open`);
    assert.deepEqual(corsHeadersOf(r), {});
  });

  test('denied origin: the backend\'s headers are removed and none are added', async () => {
    const r = await send('GET', `${gw.url}/open`, { origin: EVIL });
    assert.deepEqual(corsHeadersOf(r), {});
    assert.equal(r.headers['vary'], 'Origin');
  });

  const errorCases: Array<[string, string, Record<string, string>, number]> = [
    ['401 (no identity source: authorizer not called)', '/private', {}, 401],
    ['401 (authorizer says Unauthorized)', '/private', { authorization: 'unauthorized' }, 401],
    ['403 (authorizer denies)', '/private', { authorization: 'deny' }, 403],
    ['404 (no route)', '/nope', {}, 404],
    ['500 (authorizer throws)', '/private', { authorization: 'boom' }, 500],
    ['5xx (integration unreachable)', '/down', {}, 0],
    ['500 (Lambda integration throws)', '/lambda?crash=1', {}, 500],
  ];
  for (const [name, path, headers, status] of errorCases) {
    test(`${name} carries the CORS headers`, async () => {
      const r = await send('GET', `${gw.url}${path}`, { origin: APP, ...headers });
      if (status) assert.equal(r.status, status);
      else assert.ok(r.status >= 500, `status ${r.status}`);
      assert.equal(r.headers['access-control-allow-origin'], APP);
      assert.equal(r.headers['access-control-allow-credentials'], 'true');
      assert.equal(r.headers['access-control-expose-headers'], 'x-request-id');
    });
  }

  test('an allowed request through the authorizer carries them too', async () => {
    const r = await send('GET', `${gw.url}/private`, { origin: APP, authorization: 'allow' });
    assert.equal(r.status, 200);
    assert.equal(r.headers['access-control-allow-origin'], APP);
  });
});

describe('without CORS configuration', () => {
  test('a preflight reaches the OPTIONS route (no authorizer) and keeps its own headers', async () => {
    const before = invocations();
    const r = await preflight('/plain/private', APP, 'GET', 'authorization');
    assert.equal(r.status, 204);
    assert.equal(r.headers['access-control-allow-origin'], APP);
    assert.equal(r.headers['access-control-allow-methods'], 'GET');
    assert.equal(invocations(), before);
  });

  test('OPTIONS on an ANY route with an authorizer runs the authorizer (401 without a token), as AWS does', async () => {
    // `OPTIONS /{proxy+}` and `ANY /guarded/{proxy+}`: the more specific path wins.
    const r = await preflight('/plain/guarded/x', APP, 'GET');
    assert.equal(r.status, 401);
    assert.equal(r.headers['access-control-allow-origin'], undefined);
  });

  test('responses keep the backend\'s CORS headers untouched', async () => {
    const r = await send('GET', `${gw.url}/plain/private`, { origin: APP, authorization: 'allow' });
    assert.equal(r.status, 200);
    assert.deepEqual(corsHeadersOf(r), {});
  });
});

describe('CORS config validation', () => {
  test('allowCredentials with a `*` origin is a config error naming the path', () => {
    assert.throws(
      () => parseConfig({ apis: [{ name: 'x', protocol: 'http', stage: '$default', cors: { allowOrigins: ['*'], allowCredentials: true }, routes: { 'GET /': { integration: { type: 'mock' } } } }] }),
      (err: unknown) => err instanceof ConfigError && err.issues.some((i) => i.path === 'apis[0].cors.allowCredentials' && /"\*"/.test(i.message)),
    );
  });

  test('CORS on a REST API is a config error pointing at the OPTIONS mock recipe', () => {
    assert.throws(
      () => parseConfig({ apis: [{ name: 'x', protocol: 'rest', stage: 'prod', cors: { allowOrigins: [APP] }, routes: { 'GET /': { integration: { type: 'mock' } } } }] }),
      (err: unknown) => err instanceof ConfigError && err.issues.some((i) => i.path === 'apis[0].cors' && /OPTIONS/.test(i.message)),
    );
  });
});
