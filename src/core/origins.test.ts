import { test } from '../../test/helpers/node-test.ts';
import assert from 'node:assert/strict';
import { compileOriginPattern, parseOrigin } from './origins.ts';
import { compileCors } from './cors.ts';

const PATTERNS = ['http://localhost:*', 'https://*.example.com', 'https://app.example.org', 'http://*'];

// [origin, allowed by PATTERNS]
const cases: Array<[string, boolean]> = [
  // port wildcard: a port number, nothing else
  ['http://localhost:3000', true],
  ['http://localhost:65535', true],
  ['http://localhost', true],
  ['http://localhost:3000.evil.com', false],
  ['http://localhost:abc', false],
  ['http://localhost:', false],
  ['http://localhost:0', false],
  ['http://localhost:65536', false],
  ['http://localhost:03000', false],
  ['http://localhost:3000/', false],
  ['http://localhost:3000?x', false],
  ['http://localhost:3000#x', false],
  ['http://localhost:3000/path', false],
  ['https://localhost:3000', false],
  // subdomain wildcard: whole labels under .example.com
  ['https://app.example.com', true],
  ['https://a.b.example.com', true],
  ['https://APP.Example.COM', true],
  ['https://example.com', false],
  ['https://evil.com/.example.com', false],
  ['https://evil.com?.example.com', false],
  ['https://evil.com#.example.com', false],
  ['https://evilexample.com', false],
  ['https://user@app.example.com', false],
  ['https://app.example.com:8443', false],
  ['https://-bad.example.com', false],
  ['https://a..example.com', false],
  ['https://.example.com', false],
  ['https://app.example.com.evil.com', false],
  // exact entry: the normalized origin
  ['https://app.example.org', true],
  ['HTTPS://APP.EXAMPLE.ORG', true],
  ['https://app.example.org:443', true],
  ['https://app.example.org/', false],
  ['https://app.example.org.evil.com', false],
  ['https://app.example.org:444', false],
  // scheme wildcard: any well-formed origin of that scheme
  ['http://anything.test', true],
  ['http://10.0.0.1:8080', true],
  ['http://[::1]:8080', true],
  ['http://evil.test/x', false],
  ['http://evil.test:80@x', false],
  // not origins at all
  ['null', false],
  ['', false],
  ['localhost:3000', false],
  ['http://', false],
  ['http://local host', false],
  ['http://localhost:3000\r\nx: y', false],
];

const cors = compileCors({ allowOrigins: PATTERNS, allowMethods: ['GET'], allowHeaders: [], exposeHeaders: [], allowCredentials: true, preflightStatusCode: 204 });
for (const [origin, allowed] of cases) {
  test(`CORS origin ${JSON.stringify(origin)} is ${allowed ? 'allowed' : 'refused'} by ${PATTERNS.join(' ')}`, () => {
    const allowOrigin = cors.responseHeaders(origin).find(([k]) => k === 'access-control-allow-origin')?.[1];
    assert.equal(allowOrigin, allowed ? origin : undefined);
    const preflight = cors.preflightHeaders(origin, 'GET', undefined).find(([k]) => k === 'access-control-allow-origin')?.[1];
    assert.equal(preflight, allowed ? origin : undefined);
  });
}

test('parseOrigin: scheme, lowercased host, port (the default port is implied)', () => {
  assert.deepEqual(parseOrigin('HTTP://LocalHost:3000'), { scheme: 'http', host: 'localhost', port: 3000 });
  assert.deepEqual(parseOrigin('https://a.example.com:443'), { scheme: 'https', host: 'a.example.com', port: undefined });
  assert.equal(parseOrigin('https://a.example.com/'), undefined);
});

test('allowOrigins entries with a "*" anywhere but the documented places do not compile', () => {
  for (const bad of ['https://app-*.example.com', 'https://*example.com', 'https://a.*.example.com', '*.example.com', 'https://example.com/*', 'https://x.com:8*', 'https://x.com:99999', 'https://x.com/path']) {
    assert.equal(typeof compileOriginPattern(bad), 'string', bad);
  }
  for (const good of ['*', 'https://*', 'http://localhost:*', 'https://*.example.com', 'https://*.example.com:*', 'https://app.example.com/', 'http://[::1]:*']) {
    assert.equal(typeof compileOriginPattern(good), 'function', good);
  }
});
