/**
 * Bounded body memory: Lambda's invocation payload limit (413), and the cap on request-body bytes
 * buffered at once across all requests (`server.maxBufferedBodyBytes`: 503 + Retry-After), through a
 * real gateway and real handler modules. No timings: the held request is synchronised on the
 * gateway's own `portcullis_buffered_body_bytes` gauge.
 */
import { test } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { startGateway, startUpstream, tempDir, type TestGateway } from '../helpers/gateway.ts';
import { eventually, send } from '../operations/helpers.ts';

const LIMIT = 6 * 1024 * 1024;

const dir = tempDir({
  'size.mjs': `export const handler = async (event) => ({ statusCode: 200, body: JSON.stringify({ bytes: event.body ? Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8').length : 0 }) });`,
});

function bufferedBytes(gw: TestGateway): number {
  const m = /^portcullis_buffered_body_bytes (\d+)$/m.exec(gw.metrics.render());
  return m ? Number(m[1]) : NaN;
}

/** A request whose headers and first bytes are sent now; `finish()` sends the rest and resolves with the answer. */
function heldUpload(url: string, headers: Record<string, string>, first: Buffer, rest: Buffer): { req: ClientRequest; finish(): Promise<{ status: number; body: string }> } {
  const req = httpRequest(url, { method: 'POST', headers: { connection: 'close', ...headers }, agent: false });
  const answered = new Promise<{ status: number; body: string }>((resolve, reject) => {
    req.on('response', (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
  });
  req.write(first);
  return {
    req,
    finish() {
      req.end(rest);
      return answered;
    },
  };
}

test('Lambda integrations refuse an invocation payload over 6 MB (6,291,456 bytes) with 413, counting the whole event', async (t) => {
  const gw = await startGateway({
    apis: [
      { name: 'h', protocol: 'http', stage: '$default', routes: { 'POST /size': { integration: { type: 'lambda', handler: './size.mjs' } } } },
      { name: 'r', protocol: 'rest', stage: 'prod', routes: { 'POST /size': { integration: { type: 'lambda', handler: './size.mjs' } } } },
    ],
  }, { baseDir: dir, t });
  for (const path of ['/size', '/prod/size']) {
    // Declared over the limit: refused before a byte is read.
    const over = await send('POST', `${gw.url}${path}`, { 'content-type': 'text/plain' }, 'a'.repeat(LIMIT + 1));
    assert.equal(over.status, 413, path);
    assert.match(over.body, /Request Too Long/);
    // The body alone fits, the event does not: base64 makes 5 MB of bytes 6.67 MB of event.
    const inflated = await send('POST', `${gw.url}${path}`, { 'content-type': 'application/octet-stream', 'content-encoding': 'gzip' }, 'a'.repeat(5 * 1024 * 1024));
    assert.equal(inflated.status, 413, path);
    // Text just under the limit, less than the rest of the event: 413 too.
    const edge = await send('POST', `${gw.url}${path}`, { 'content-type': 'text/plain' }, 'a'.repeat(LIMIT - 100));
    assert.equal(edge.status, 413, path);
    const fits = await send('POST', `${gw.url}${path}`, { 'content-type': 'text/plain' }, 'a'.repeat(LIMIT - 4096));
    assert.equal(fits.status, 200, path);
    assert.deepEqual(JSON.parse(fits.body), { bytes: LIMIT - 4096 });
  }
  // Chunked (no declared length): cut once the bytes read pass the limit.
  const chunked = heldUpload(`${gw.url}/size`, { 'content-type': 'text/plain', 'transfer-encoding': 'chunked' }, Buffer.alloc(LIMIT, 'a'), Buffer.from('ab'));
  const answer = await chunked.finish();
  assert.equal(answer.status, 413);
  assert.equal(bufferedBytes(gw), 0, 'nothing stays counted');
});

test('with server.maxBufferedBodyBytes 1 MiB, a second large body gets 503 + Retry-After while the first is held; afterwards one is accepted; streamed HTTP bodies do not count', async (t) => {
  const upstream = await startUpstream(t);
  const gw = await startGateway({
    server: { maxBufferedBodyBytes: 1024 * 1024 },
    apis: [{
      name: 'h', protocol: 'http', stage: '$default',
      routes: {
        'POST /size': { integration: { type: 'lambda', handler: './size.mjs' } },
        'POST /proxy': { integration: { type: 'http', uri: `${upstream.url}/in` } },
      },
    }],
  }, { baseDir: dir, t });
  const large = 700 * 1024;
  const headers = { 'content-type': 'application/octet-stream', 'content-length': String(large) };
  const first = heldUpload(`${gw.url}/size`, headers, Buffer.alloc(1024, 1), Buffer.alloc(large - 1024, 2));
  t.after(() => first.req.destroy());
  await eventually(() => bufferedBytes(gw) === large, 10_000, 'the first body counted');

  const second = await send('POST', `${gw.url}/size`, headers, 'x'.repeat(large));
  assert.equal(second.status, 503);
  assert.equal(second.headers['retry-after'], '1');
  assert.deepEqual(JSON.parse(second.body), { message: 'Service Unavailable' });
  // A chunked body is counted as it arrives: refused as well once it passes the room left.
  const chunked = await send('POST', `${gw.url}/size`, { 'content-type': 'text/plain', 'transfer-encoding': 'chunked' }, 'y'.repeat(large));
  assert.equal(chunked.status, 503);
  // A small body still fits beside the held one, and an HTTP integration streams (counts nothing).
  assert.equal((await send('POST', `${gw.url}/size`, { 'content-type': 'text/plain' }, 'small')).status, 200);
  const proxied = await send('POST', `${gw.url}/proxy`, { 'content-type': 'text/plain' }, 'z'.repeat(2 * 1024 * 1024));
  assert.equal(proxied.status, 200);
  // A body larger than the whole cap could never fit: 413, not a retry that cannot succeed.
  assert.equal((await send('POST', `${gw.url}/size`, { 'content-type': 'text/plain' }, 'w'.repeat(1024 * 1024 + 1))).status, 413);

  const done = await first.finish();
  assert.equal(done.status, 200);
  assert.deepEqual(JSON.parse(done.body), { bytes: large });
  await eventually(() => bufferedBytes(gw) === 0, 10_000, 'the first body given back');
  const again = await send('POST', `${gw.url}/size`, headers, 'x'.repeat(large));
  assert.equal(again.status, 200);
  assert.equal(bufferedBytes(gw), 0);
});

test('a client that goes away mid-body gives its buffered bytes back', async (t) => {
  const gw = await startGateway({
    server: { maxBufferedBodyBytes: 1024 * 1024 },
    apis: [{ name: 'h', protocol: 'http', stage: '$default', routes: { 'POST /size': { integration: { type: 'lambda', handler: './size.mjs' } } } }],
  }, { baseDir: dir, t });
  const large = 700 * 1024;
  const framings: Array<Record<string, string>> = [{ 'content-length': String(large) }, { 'transfer-encoding': 'chunked' }];
  for (const headers of framings) {
    const upload = heldUpload(`${gw.url}/size`, { 'content-type': 'application/octet-stream', ...headers }, Buffer.alloc(64 * 1024, 1), Buffer.alloc(0));
    upload.finish().catch(() => undefined); // never completes: the client leaves first
    await eventually(() => bufferedBytes(gw) > 0, 10_000, 'the body counted');
    upload.req.destroy();
    await eventually(() => bufferedBytes(gw) === 0, 10_000, 'the bytes given back');
  }
  const after = await send('POST', `${gw.url}/size`, { 'content-type': 'text/plain' }, 'x'.repeat(large));
  assert.equal(after.status, 200);
});

test('server.maxBufferedBodyBytes is validated', async () => {
  await assert.rejects(startGateway({ server: { maxBufferedBodyBytes: 1000 } }), /server\.maxBufferedBodyBytes/);
});
