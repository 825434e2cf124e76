/**
 * Request bodies reach a Lambda byte-exact: random bodies through a real gateway to a real handler
 * module that answers the sha256 of the body it decoded (fast-check, seeded: FC_SEED / FC_RUNS).
 */
import { test, before, after } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { startGateway, tempDir, type TestGateway } from '../helpers/gateway.ts';

const seed = Number(process.env.FC_SEED ?? 20261206);
const numRuns = Number(process.env.FC_RUNS ?? 60);

const dir = tempDir({
  'digest.mjs': `import { createHash } from 'node:crypto';
export const handler = async (event) => {
  const bytes = event.body === null || event.body === undefined ? Buffer.alloc(0) : Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8');
  return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sha256: createHash('sha256').update(bytes).digest('hex'), isBase64Encoded: event.isBase64Encoded, length: bytes.length }) };
};`,
});

let gw: TestGateway;
before(async () => {
  gw = await startGateway({
    apis: [
      {
        name: 'h', protocol: 'http', stage: '$default',
        routes: {
          'POST /v2': { integration: { type: 'lambda', handler: './digest.mjs' } },
          'POST /v1': { integration: { type: 'lambda', handler: './digest.mjs', payloadFormatVersion: '1.0' } },
        },
      },
      { name: 'r', protocol: 'rest', stage: 'plain', routes: { 'POST /in': { integration: { type: 'lambda', handler: './digest.mjs' } } } },
      { name: 'b', protocol: 'rest', stage: 'bin', binaryMediaTypes: ['application/octet-stream', 'image/*'], routes: { 'POST /in': { integration: { type: 'lambda', handler: './digest.mjs' } } } },
    ],
  }, { baseDir: dir });
});
after(() => gw.close());

interface Echo { sha256: string; isBase64Encoded: boolean; length: number }

async function send(path: string, body: Uint8Array, headers: Record<string, string>): Promise<Echo> {
  const res = await fetch(`${gw.url}${path}`, { method: 'POST', headers, body: Buffer.from(body) });
  assert.equal(res.status, 200, await res.clone().text());
  return (await res.json()) as Echo;
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const isUtf8 = (b: Uint8Array) => {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(b);
    return true;
  } catch {
    return false;
  }
};

const bodies = fc.oneof(
  fc.uint8Array({ minLength: 1, maxLength: 4096 }),
  // Valid UTF-8 text, including a leading BOM and characters outside the BMP.
  fc.string({ unit: 'binary', minLength: 1, maxLength: 512 }).map((s) => new Uint8Array(Buffer.from(s, 'utf8'))),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 64 }).map((s) => new Uint8Array(Buffer.from(`\ufeff${s}`, 'utf8'))),
);
const contentTypes = fc.constantFrom('application/json', 'text/plain; charset=utf-8', 'application/octet-stream', 'image/png', 'application/x-www-form-urlencoded', undefined);
const encodings = fc.constantFrom(undefined, 'gzip', 'br');
const paths = fc.constantFrom('/v2', '/v1', '/plain/in', '/bin/in');

test('every body reaches the handler byte-exact; a body that is not valid UTF-8 or carries a Content-Encoding is base64', async () => {
  await fc.assert(
    fc.asyncProperty(bodies, contentTypes, encodings, paths, async (body, contentType, encoding, path) => {
      const headers: Record<string, string> = {};
      if (contentType) headers['content-type'] = contentType;
      if (encoding) headers['content-encoding'] = encoding;
      const echo = await send(path, body, headers);
      assert.equal(echo.length, body.length);
      assert.equal(echo.sha256, sha256(body));
      if (encoding || !isUtf8(body)) assert.equal(echo.isBase64Encoded, true);
    }),
    { seed, numRuns },
  );
});

test('a gzip body labelled application/json reaches the Lambda base64-encoded, not as a lossy string', async () => {
  const json = JSON.stringify({ items: Array.from({ length: 2000 }, (_, i) => ({ i, name: `item ${i}` })) });
  const gz = gzipSync(json);
  for (const path of ['/v2', '/v1', '/plain/in']) {
    const echo = await send(path, gz, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
    assert.equal(echo.isBase64Encoded, true, path);
    assert.equal(echo.length, gz.length, path);
    assert.equal(echo.sha256, sha256(gz), path);
  }
});

test('which valid UTF-8 bodies stay text: HTTP APIs by content type, REST by binaryMediaTypes', async () => {
  const text = new Uint8Array(Buffer.from('{"k":"välue"}'));
  const cases: Array<[string, string, boolean]> = [
    ['/v2', 'application/json', false],
    ['/v2', 'application/octet-stream', true],
    ['/v1', 'text/plain', false],
    ['/v1', 'image/png', true],
    // REST without a matching binary media type: text, whatever the content type says.
    ['/plain/in', 'application/octet-stream', false],
    ['/bin/in', 'application/octet-stream', true],
    ['/bin/in', 'image/png; q=1', true],
    ['/bin/in', 'application/json', false],
  ];
  for (const [path, contentType, base64] of cases) {
    const echo = await send(path, text, { 'content-type': contentType });
    assert.equal(echo.isBase64Encoded, base64, `${path} ${contentType}`);
    assert.equal(echo.sha256, sha256(text));
  }
});
