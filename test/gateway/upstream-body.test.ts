// The upstream body is pushed from undici's dispatcher straight into the client response
// (src/integrations/http.ts `UpstreamExchange`): these pin what a Readable + pipe gave for free —
// back-pressure, framing, aborts in either direction — plus 1xx answers and response accounting.
import { test, after } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { request as httpRequest, type ServerResponse } from 'node:http';
import { connect } from 'node:net';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startGateway, startUpstream, tempDir, type TestUpstream } from '../helpers/gateway.ts';

const upstreams: TestUpstream[] = [];
after(async () => {
  await Promise.all(upstreams.map((u) => u.close()));
});

async function upstream(respond: (res: ServerResponse) => unknown) {
  const u = await startUpstream((_req, res) => respond(res));
  upstreams.push(u);
  return u;
}

function gatewayFor(up: TestUpstream) {
  return startGateway({ apis: [{ name: 'h', protocol: 'http', stage: '$default', routes: { 'ANY /{proxy+}': { integration: { type: 'http', uri: `${up.url}/{proxy}` } } } }] });
}

/** Writes `total` bytes in 64 KiB chunks honouring back-pressure; `state.written` counts what the socket took. */
function pump(res: ServerResponse, total: number, state: { written: number; finished: boolean; closedEarly: boolean }) {
  const chunk = Buffer.alloc(64 * 1024, 1);
  res.on('close', () => {
    if (!state.finished) state.closedEarly = true;
  });
  const go = () => {
    while (state.written < total) {
      state.written += chunk.length;
      if (!res.write(chunk)) return void res.once('drain', go);
    }
    state.finished = true;
    res.end();
  };
  go();
}

test('a client that stops reading pauses the upstream (bounded buffering), then gets every byte', async (t) => {
  const total = 48 * 1024 * 1024;
  const state = { written: 0, finished: false, closedEarly: false };
  const up = await upstream((res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(total) });
    pump(res, total, state);
  });
  const gw = await gatewayFor(up);
  t.after(() => gw.close());
  const req = httpRequest(`${gw.url}/big`);
  req.end();
  const [res] = (await once(req, 'response')) as [import('node:http').IncomingMessage];
  assert.equal(res.headers['content-length'], String(total), 'the upstream length passes through');
  res.pause();
  await new Promise((r) => setTimeout(r, 700));
  // Socket buffers on loopback hold a few MiB each way; without back-pressure the gateway would have
  // read all 48 MiB into memory by now.
  assert.ok(state.written < total / 2, `upstream wrote ${state.written} bytes while the client read nothing`);
  assert.equal(state.finished, false);
  let received = 0;
  res.on('data', (c: Buffer) => {
    received += c.length;
  });
  res.resume();
  await once(res, 'end');
  assert.equal(received, total);
  assert.equal(state.finished, true);
});

test('a client that disconnects mid-body makes the gateway drop the upstream request', async (t) => {
  const state = { written: 0, finished: false, closedEarly: false };
  const upstreamClosed = new Promise<void>((resolve) => {
    void upstream((res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.on('close', () => resolve());
      pump(res, 512 * 1024 * 1024, state);
    }).then(async (up) => {
      const gw = await gatewayFor(up);
      t.after(() => gw.close());
      const req = httpRequest(`${gw.url}/endless`);
      req.end();
      const [res] = (await once(req, 'response')) as [import('node:http').IncomingMessage];
      await once(res, 'data');
      req.destroy();
    });
  });
  await Promise.race([upstreamClosed, new Promise((_, reject) => setTimeout(() => reject(new Error('the upstream response was not aborted')), 5000))]);
  assert.equal(state.finished, false);
  assert.equal(state.closedEarly, true);
});

test('framing: an upstream length passes through; a chunked upstream body is sent chunked, byte for byte', async (t) => {
  const parts = ['first ', 'second ', 'third'];
  const up = await upstream((res) => {
    if (res.req.url === '/sized') {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '5' });
      res.end('sized');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain' });
    let i = 0;
    const next = () => (i < parts.length ? (res.write(parts[i++]), setTimeout(next, 20)) : res.end());
    next();
  });
  const gw = await gatewayFor(up);
  t.after(() => gw.close());
  const raw = async (path: string) => {
    const socket = connect(gw.port, '127.0.0.1');
    socket.write(`GET ${path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n`);
    const chunks: Buffer[] = [];
    for await (const c of socket) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('latin1');
  };
  const sized = await raw('/sized');
  assert.match(sized, /\r\ncontent-length: 5\r\n/i);
  assert.doesNotMatch(sized, /transfer-encoding/i);
  assert.ok(sized.endsWith('\r\n\r\nsized'));
  const chunked = await raw('/chunked');
  assert.match(chunked, /\r\ntransfer-encoding: chunked\r\n/i);
  const body = chunked.slice(chunked.indexOf('\r\n\r\n') + 4);
  const decoded = body.split('\r\n').filter((_, i) => i % 2 === 1).join('');
  assert.equal(decoded, parts.join(''));
});

test('1xx interim answers are not forwarded; the final answer is', async (t) => {
  const up = await upstream((res) => {
    res.writeEarlyHints({ link: '</style.css>; rel=preload; as=style' });
    setTimeout(() => {
      res.writeHead(201, { 'content-type': 'text/plain' });
      res.end('created');
    }, 20);
  });
  const gw = await gatewayFor(up);
  t.after(() => gw.close());
  const res = await fetch(`${gw.url}/x`);
  assert.equal(res.status, 201);
  assert.equal(await res.text(), 'created');
});

test('$context.responseLength counts the bytes actually sent of a streamed body', async (t) => {
  const up = await upstream((res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write('abc');
    setTimeout(() => res.end('defgh'), 20);
  });
  const dir = tempDir();
  const gw = await startGateway(
    {
      apis: [
        {
          name: 'h',
          protocol: 'http',
          stage: '$default',
          accessLogSettings: { format: '$context.responseLength $context.status', destination: './access.log' },
          routes: { 'GET /len': { integration: { type: 'http', uri: `${up.url}/len` } } },
        },
      ],
    },
    { baseDir: dir, t },
  );
  const res = await fetch(`${gw.url}/len`);
  assert.equal(await res.text(), 'abcdefgh');
  await gw.close(); // flushes the access log
  assert.equal(readFileSync(join(dir, 'access.log'), 'utf8'), '8 200\n');
});

test('a response mapping that makes an upstream answer a 204 sends no body and no Content-Length', async (t) => {
  const up = await upstream((res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '5' });
    res.end('hello');
  });
  const gw = await startGateway({
    apis: [{ name: 'h', protocol: 'http', stage: '$default', routes: { 'GET /x': { integration: { type: 'http', uri: `${up.url}/x`, responseParameters: { '200': { 'overwrite:statuscode': '204' } } } } } }],
  });
  t.after(() => gw.close());
  const socket = connect(gw.port, '127.0.0.1');
  socket.write('GET /x HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n');
  const chunks: Buffer[] = [];
  for await (const c of socket) chunks.push(c as Buffer);
  const raw = Buffer.concat(chunks).toString('latin1');
  assert.match(raw, /^HTTP\/1\.1 204 /);
  assert.doesNotMatch(raw, /content-length/i);
  assert.ok(raw.endsWith('\r\n\r\n'), JSON.stringify(raw));
  // The gateway keeps serving on its upstream pool afterwards.
  assert.equal((await fetch(`${gw.url}/x`)).status, 204);
});

test('a header value node:http refuses to write (a Lambda result with a non-Latin-1 character) is a 500, and the gateway keeps serving', async (t) => {
  const dir = tempDir({ 'bad-header.mjs': 'export const handler = async () => ({ statusCode: 200, headers: { "x-mark": "ok \\u2713" }, body: "fine" });' });
  const gw = await startGateway(
    { apis: [{ name: 'h', protocol: 'http', stage: '$default', routes: { 'GET /bad': { integration: { type: 'lambda', handler: './bad-header.mjs' } }, 'GET /ok': { integration: { type: 'mock', statusCode: 200, body: 'ok' } } } }] },
    { baseDir: dir },
  );
  t.after(() => gw.close());
  const bad = await fetch(`${gw.url}/bad`);
  assert.equal(bad.status, 500);
  assert.deepEqual(await bad.json(), { message: 'Internal Server Error' });
  assert.equal(await (await fetch(`${gw.url}/ok`)).text(), 'ok');
});
