/**
 * Property tests for cookie splitting and header / query joining in the Lambda event builders
 * (core/lambda-events.ts `eventParts()`), against a slow reference, and on the wire through the
 * real listener (io/server.ts header join → Lambda 2.0 event). Seeded: FC_SEED reproduces, FC_RUNS
 * lengthens (`FC_RUNS=100000 node scripts/run-tests.mjs test/security/fuzz-events`).
 */
import { test, before, after } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import fc from 'fast-check';
import { decodeQueryComponent, eventParts } from '../../src/core/lambda-events.ts';
import type { GatewayRequest } from '../../src/core/model.ts';
import { startGateway, tempDir, type TestGateway } from '../helpers/gateway.ts';

const seed = Number(process.env.FC_SEED ?? 20261122);
const numRuns = Number(process.env.FC_RUNS ?? 300);

const FORWARDED = new Set(['x-forwarded-for', 'x-forwarded-port', 'x-forwarded-proto']);
const TCHAR = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&\'*+-.^_`|~';
/** Header names: RFC 9110 tokens, biased towards the interesting ones. */
const headerName = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: fc.constantFrom(...TCHAR), minLength: 1, maxLength: 12 }) },
  { weight: 2, arbitrary: fc.constantFrom('Cookie', 'cookie', 'COOKIE', 'Authorization', 'X-Forwarded-For', 'x-forwarded-proto', 'constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf', 'Host', 'content-type') },
);
/** Header values as node:http delivers them: visible ASCII and inner spaces/tabs, no CR/LF. */
const headerValue = fc
  .string({ unit: fc.oneof(fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)), fc.constantFrom(' ', ';', ',', '=', '\t', ';;', ' ; ')), maxLength: 24 })
  .map((v) => v.trim());
const rawHeaders = fc.array(fc.tuple(headerName, headerValue), { maxLength: 12 });
const queryPart = fc.oneof(
  fc.string({ maxLength: 6 }),
  fc.constantFrom('constructor', '__proto__', 'toString', '%', '%E0%A4%A', '%2F', '+', 'a+b', '%ZZ', ''),
);
const rawQuery = fc.array(fc.tuple(queryPart, fc.option(queryPart, { nil: undefined })), { maxLength: 8 })
  .map((pairs) => pairs.map(([k, v]) => (v === undefined ? encodeURI(k) : `${encodeURI(k)}=${encodeURI(v)}`).replace(/[&#]/g, '')).join('&'));

function request(raw: Array<[string, string]>, rawQueryString: string): GatewayRequest {
  return {
    method: 'GET', rawPath: '/', rawQueryString, headers: {}, rawHeaders: raw.flat(), sourceIp: '10.1.2.3',
    protocol: 'HTTP/1.1', scheme: 'http', port: 80, requestId: 'r', requestTimeEpoch: 0,
  } as unknown as GatewayRequest;
}

/** Slow reference: AWS's rules written as plainly as possible. */
function reference(raw: Array<[string, string]>) {
  const kept = raw.filter(([n]) => !FORWARDED.has(n.toLowerCase()));
  const cookies = kept.filter(([n]) => n.toLowerCase() === 'cookie').flatMap(([, v]) => v.split(';').map((c) => c.trim()).filter((c) => c !== ''));
  const v2 = new Map<string, string[]>();
  for (const [n, v] of kept) if (n.toLowerCase() !== 'cookie') v2.set(n.toLowerCase(), [...(v2.get(n.toLowerCase()) ?? []), v]);
  return { cookies, headersV2: new Map([...[...v2].map(([k, vs]) => [k, vs.join(',')] as [string, string])]), keptCount: kept.length };
}

test('eventParts: cookies split on ";" and trimmed, headers joined with "," in order, prototype names are data', () => {
  fc.assert(
    fc.property(rawHeaders, rawQuery, (raw, q) => {
      const parts = eventParts(request(raw, q));
      const ref = reference(raw);
      assert.deepEqual(parts.cookies, ref.cookies);
      for (const c of parts.cookies) assert.ok(!c.includes(';') && c === c.trim() && c !== '');
      for (const [k, v] of ref.headersV2) assert.equal(parts.headersV2[k], v, `header ${k}`);
      const own = Object.keys(parts.headersV2).filter((k) => !FORWARDED.has(k));
      assert.deepEqual(new Set(own), new Set(ref.headersV2.keys()), 'no header invented or lost; cookie kept out of headers');
      assert.equal(parts.headersV2['x-forwarded-for'], '10.1.2.3', 'the client cannot set X-Forwarded-For alone');
      const multiCount = Object.entries(parts.multiValueHeaders).filter(([k]) => !FORWARDED.has(k.toLowerCase())).reduce((n, [, v]) => n + v.length, 0);
      assert.equal(multiCount, ref.keptCount, 'every header value is in multiValueHeaders once');
      for (const o of [parts.headersV2, parts.headersV1, parts.multiValueHeaders, parts.queryV1, parts.queryV2, parts.multiValueQuery]) {
        assert.equal(Object.getPrototypeOf(o), Object.prototype);
      }
    }),
    { seed, numRuns },
  );
});

test('eventParts: query pairs decode without throwing; 2.0 joins repeats with ",", 1.0 keeps the last', () => {
  fc.assert(
    fc.property(rawQuery, (q) => {
      const parts = eventParts(request([], q));
      const pairs = q.split('&').filter(Boolean).map((p) => {
        const eq = p.indexOf('=');
        return [decodeQueryComponent(eq < 0 ? p : p.slice(0, eq)), eq < 0 ? '' : decodeQueryComponent(p.slice(eq + 1))] as const;
      });
      const byName = new Map<string, string[]>();
      for (const [k, v] of pairs) byName.set(k, [...(byName.get(k) ?? []), v]);
      assert.equal(Object.keys(parts.multiValueQuery).length, byName.size);
      for (const [k, vs] of byName) {
        assert.deepEqual(parts.multiValueQuery[k], vs);
        assert.equal(parts.queryV2[k], vs.join(','));
        assert.equal(parts.queryV1[k], vs.at(-1));
      }
    }),
    { seed, numRuns },
  );
});

// --- On the wire: io/server.ts parsing + the 2.0 event, through the real listener -------------

const ECHO = `export const handler = async (event) => ({ statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ headers: event.headers, cookies: event.cookies ?? [] }) });`;
let gw: TestGateway;
before(async () => {
  gw = await startGateway({ apis: [{ name: 'e', protocol: 'http', stage: '$default', routes: { 'ANY /e': { integration: { type: 'lambda', handler: './echo.mjs' } } } }] }, { baseDir: tempDir({ 'echo.mjs': ECHO }) });
});
after(() => gw.close());

function send(headers: Array<[string, string]>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const s = connect(gw.port, '127.0.0.1');
    let text = '';
    s.on('data', (d) => (text += d.toString('utf8')));
    s.on('error', reject);
    s.on('close', () => resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), body: text.slice(text.indexOf('\r\n\r\n') + 4) }));
    s.write(`GET /e HTTP/1.1\r\nHost: h\r\n${headers.map(([n, v]) => `${n}: ${v}\r\n`).join('')}Connection: close\r\n\r\n`);
  });
}

test('on the wire: the 2.0 event has exactly the reference headers and cookies for random header sets', async () => {
  // Host, Content-Length, Transfer-Encoding and Connection are framing: node:http owns them.
  const wireName = headerName.filter((n) => !['host', 'content-length', 'transfer-encoding', 'connection', 'expect', 'upgrade'].includes(n.toLowerCase()));
  await fc.assert(
    fc.asyncProperty(fc.array(fc.tuple(wireName, headerValue), { maxLength: 10 }), async (headers) => {
      const r = await send(headers);
      assert.equal(r.status, 200, r.body.slice(0, 200));
      const event = JSON.parse(r.body.replace(/^[0-9a-f]+\r\n/, '').replace(/\r\n0\r\n\r\n$/, '')) as { headers: Record<string, string>; cookies: string[] };
      const ref = reference([['Host', 'h'], ...headers, ['Connection', 'close']]);
      assert.deepEqual(event.cookies, ref.cookies);
      for (const [k, v] of ref.headersV2) assert.equal(event.headers[k], v, `header ${k}`);
    }),
    { seed, numRuns: Math.max(20, Math.ceil(numRuns / 6)) },
  );
});
