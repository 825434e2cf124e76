import { after, test } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { startUpstream, tempDir, closedPort } from '../helpers/gateway.ts';
import { killChildren, listeningUrl, startCli } from '../operations/helpers.ts';

// Every CLI child this file starts is killed when the file's tests end, pass or fail.
after(killChildren);

test('SIGTERM drains in-flight requests, then exits 0', { timeout: 30_000 }, async (t) => {
  const up = await startUpstream(t, (_req, res) => setTimeout(() => res.end('finished'), 700));
  const dir = tempDir();
  const cfg = join(dir, 'portcullis.yaml');
  writeFileSync(cfg, `apis:\n  - name: a\n    protocol: http\n    stage: $default\n    routes:\n      "GET /slow":\n        integration: { type: http, uri: "${up.url}/" }\n`);
  const port = await closedPort();
  // `exited` listens from the spawn on: a child that is gone before the await below is still seen.
  const child = startCli(['start', '--config', cfg, '--port', String(port)]);
  await child.waitFor('gateway listening on');
  const url = listeningUrl(child);
  const inFlight = fetch(`${url}/slow`);
  await new Promise((r) => setTimeout(r, 200));
  child.kill('SIGTERM');
  const res = await inFlight;
  assert.equal(res.status, 200);
  assert.equal(await res.text(), 'finished');
  assert.deepEqual(await child.exited, { code: 0, signal: null });
  await assert.rejects(fetch(`${url}/slow`), 'the listener is closed after the drain');
});

for (const workers of ['auto', 1, 2, 3] as const) {
  test(`a port in use exits 1 with one clear line (workers: ${workers})`, { timeout: 30_000 }, async (t) => {
    const up = await startUpstream(t);
    const cfg = join(tempDir(), 'portcullis.yaml');
    writeFileSync(cfg, `server: { workers: ${workers} }\napis: []\n`);
    const child = startCli(['start', '--config', cfg, '--port', String(up.port)]);
    const { code } = await child.exited;
    assert.equal(code, 1);
    assert.equal(child.stderr().trim(), `portcullis: port ${up.port} on 127.0.0.1 is already in use`);
  });
}

test('an invalid config exits 2, prints every problem and listens on nothing', { timeout: 30_000 }, async () => {
  const dir = tempDir();
  const cfg = join(dir, 'portcullis.yaml');
  writeFileSync(cfg, 'server: { port: 3999 }\napis:\n  - name: a\n    protocol: http\n    stage: $default\n    routes:\n      "GET /x": { integration: { type: http, uri: nope } }\n      "GET /y": { authorizerId: ghost, integration: { type: mock } }\n');
  const child = startCli(['start', '--config', cfg]);
  const { code } = await child.exited;
  assert.equal(code, 2);
  const err = child.stderr();
  assert.match(err, /invalid configuration \(2 problems\)/);
  assert.match(err, /apis\[0\]\.routes\["GET \/x"\]\.integration\.uri: must be an absolute http\(s\) URL/);
  assert.match(err, /apis\[0\]\.routes\["GET \/y"\]\.authorizerId: unknown authorizer "ghost" \(known: none\)/);
});

test('a handler module that does not exist is reported once and exits 2, with several workers too', { timeout: 30_000 }, async () => {
  const cfg = join(tempDir(), 'portcullis.yaml');
  writeFileSync(cfg, 'server: { workers: 2 }\napis:\n  - name: a\n    protocol: http\n    stage: $default\n    routes:\n      "GET /x": { integration: { type: lambda, handler: missing.handler } }\n');
  const child = startCli(['start', '--config', cfg, '--port', '0']);
  const { code } = await child.exited;
  const err = child.stderr();
  assert.equal(code, 2, err);
  assert.equal(err.match(/^portcullis: /gm)?.length, 1, err);
  assert.match(err, /apis\[0\]\.routes\["GET \/x"\]\.integration\.handler: handler module not found: .*missing\.handler/);
});
