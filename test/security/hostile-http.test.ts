/**
 * Hostile HTTP against the real listener: each case gets the right status, never a crash, and the
 * gateway keeps serving afterwards.
 */
import { test, before, after } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { startGateway, startUpstream, type TestGateway, type TestUpstream } from '../helpers/gateway.ts';

let gw: TestGateway;
let up: TestUpstream;
before(async () => {
  up = await startUpstream();
  gw = await startGateway({
    server: { headersTimeoutMs: 500, requestTimeoutMs: 1500 },
    apis: [{
      name: 'h', protocol: 'http', stage: '$default', maxBodyBytes: 64 * 1024,
      routes: {
        'ANY /files/{proxy+}': { integration: { type: 'http', uri: `${up.url}/files/{proxy}` } },
        'POST /echo': { integration: { type: 'http', uri: `${up.url}/echo` } },
        'GET /ok': { integration: { type: 'mock', body: 'ok' } },
      },
    }],
  });
});
after(async () => {
  await gw.close();
  await up.close();
});

/** Sends raw bytes and returns the first response's status line and the whole reply. */
function raw(bytes: string | Buffer, { waitMs = 3000 }: { waitMs?: number } = {}): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(gw.port, '127.0.0.1');
    let text = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), text });
    }, waitMs);
    socket.on('data', (d) => (text += d.toString('latin1')));
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), text });
    });
    socket.on('error', (e) => {
      clearTimeout(timer);
      if (text) resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), text });
      else reject(e);
    });
    socket.write(bytes);
  });
}

async function stillServing() {
  const r = await fetch(`${gw.url}/ok`);
  assert.equal(r.status, 200);
  assert.equal(await r.text(), 'ok');
}

test('a malformed request line is 400', async () => {
  const r = await raw('GARBAGE\r\n\r\n');
  assert.equal(r.status, 400);
  await stillServing();
});

test('a header section over the limit is 431', async () => {
  const r = await raw(`GET /ok HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
  assert.equal(r.status, 431);
  await stillServing();
});

test('thousands of small headers are refused, not processed', async () => {
  const many = Array.from({ length: 3000 }, (_, i) => `X-H${i}: v`).join('\r\n');
  const r = await raw(`GET /ok HTTP/1.1\r\nHost: x\r\n${many}\r\n\r\n`);
  assert.ok(r.status === 431 || r.status === 400, `status ${r.status}`);
  await stillServing();
});

test('Content-Length together with Transfer-Encoding (request smuggling) is refused', async () => {
  const before = up.requests.length;
  const r = await raw('POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /files/smuggled HTTP/1.1\r\nHost: x\r\n\r\n');
  assert.equal(r.status, 400);
  assert.ok(!up.requests.slice(before).some((q) => q.url.includes('smuggled')), 'no smuggled request reached the upstream');
  await stillServing();
});

test('duplicate Content-Length headers with different values are refused', async () => {
  const r = await raw('POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 5\r\n\r\nabcde');
  assert.equal(r.status, 400);
  await stillServing();
});

test('a duplicated Authorization header is joined, never silently reduced to one value', async () => {
  const r = await raw('GET /files/a HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer one\r\nAuthorization: Bearer two\r\nConnection: close\r\n\r\n');
  assert.equal(r.status, 200);
  assert.equal(up.requests.at(-1)!.headers['authorization'], 'Bearer one,Bearer two');
});

test('a slowloris client that never finishes its headers is cut off', async () => {
  const started = Date.now();
  const r = await raw('GET /ok HTTP/1.1\r\nHost: x\r\nX-Slow: ', { waitMs: 5000 });
  assert.ok(Date.now() - started < 4500, 'the socket was closed by the server');
  assert.ok(r.status === 408 || r.status === 0, `status ${r.status}`);
  await stillServing();
});

test('a slow body that never completes is cut off by the request timeout', async () => {
  const started = Date.now();
  await raw('POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nabc', { waitMs: 5000 });
  assert.ok(Date.now() - started < 4500, 'the socket was closed by the server');
  await stillServing();
});

test('a huge declared body is 413 without being read', async () => {
  const r = await raw(`POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: ${1024 * 1024 * 1024}\r\nConnection: close\r\n\r\n`);
  assert.equal(r.status, 413);
  await stillServing();
});

test('dot segments, literal or percent-encoded, are resolved before routing; an encoded slash inside {proxy+} stays encoded upstream', async () => {
  // A literal traversal is resolved first: /files/../ok is the route GET /ok.
  const r = await raw('GET /files/../ok HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  assert.equal(r.status, 200);
  assert.match(r.text, /\r\n\r\nok$/);
  // Climbing above the root stays at the root.
  const top = await raw('GET /../../files/x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  assert.equal(top.status, 200);
  assert.equal(up.requests.at(-1)!.url, '/files/x');
  // Encoded slashes stay encoded: `a%2F..%2F..` is one segment upstream, never a separator or a dot segment.
  await raw('GET /files/a%2F..%2F..%2Fetc%2Fpasswd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  assert.equal(up.requests.at(-1)!.url, '/files/a%2F..%2F..%2Fetc%2Fpasswd');
  // Percent-encoded dot segments are resolved like literal ones (WHATWG URL): /files/%2E%2E/secret is /secret.
  const before = up.requests.length;
  const enc = await raw('GET /files/%2E%2E/secret HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  assert.equal(enc.status, 404);
  assert.equal(up.requests.length, before);
});

test('non-UTF-8 bytes in the path and headers do not crash the gateway', async () => {
  const r = await raw(Buffer.concat([Buffer.from('GET /files/'), Buffer.from([0xff, 0xfe, 0x80]), Buffer.from(' HTTP/1.1\r\nHost: x\r\nX-Bin: '), Buffer.from([0xc3, 0x28]), Buffer.from('\r\nConnection: close\r\n\r\n')]));
  assert.ok(r.status >= 200 && r.status < 500, `status ${r.status}`);
  const bad = await raw('GET /files/%E0%A4%A HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  assert.ok(bad.status >= 200 && bad.status < 500, `status ${bad.status}`);
  await stillServing();
});
