import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { startUpstream, tempDir, closedPort } from '../helpers/gateway.ts';

const BIN = new URL('../../bin/portcullis.mjs', import.meta.url).pathname;

/** Starts `portcullis start` and resolves once it prints its listening line. */
async function startCli(args: string[]): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const child = spawn(process.execPath, [BIN, 'start', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no listening line in 15 s:\n${out}`)), 15_000);
    child.stdout!.on('data', () => {
      const m = /gateway listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited ${code}:\n${out}`));
    });
  });
  return { child, url, output: () => out };
}

test('SIGTERM drains in-flight requests, then exits 0', async () => {
  const up = await startUpstream((_req, res) => setTimeout(() => res.end('finished'), 700));
  const dir = tempDir();
  const cfg = join(dir, 'portcullis.yaml');
  writeFileSync(cfg, `apis:\n  - name: a\n    protocol: http\n    stage: $default\n    routes:\n      "GET /slow":\n        integration: { type: http, uri: "${up.url}/" }\n`);
  const port = await closedPort();
  const { child, url } = await startCli(['--config', cfg, '--port', String(port)]);
  const inFlight = fetch(`${url}/slow`);
  await new Promise((r) => setTimeout(r, 200));
  child.kill('SIGTERM');
  const res = await inFlight;
  assert.equal(res.status, 200);
  assert.equal(await res.text(), 'finished');
  const [code] = await once(child, 'exit');
  assert.equal(code, 0);
  await assert.rejects(fetch(`${url}/slow`), 'the listener is closed after the drain');
  await up.close();
});

test('a port in use exits 1 with one clear line', async () => {
  const up = await startUpstream();
  const dir = tempDir();
  const cfg = join(dir, 'portcullis.yaml');
  writeFileSync(cfg, 'apis: []\n');
  const child = spawn(process.execPath, [BIN, 'start', '--config', cfg, '--port', String(up.port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  const [code] = await once(child, 'exit');
  assert.equal(code, 1);
  assert.equal(err.trim(), `portcullis: port ${up.port} on 127.0.0.1 is already in use`);
  await up.close();
});

test('an invalid config exits 2, prints every problem and listens on nothing', async () => {
  const dir = tempDir();
  const cfg = join(dir, 'portcullis.yaml');
  writeFileSync(cfg, 'server: { port: 3999 }\napis:\n  - name: a\n    protocol: http\n    stage: $default\n    routes:\n      "GET /x": { integration: { type: http, uri: nope } }\n      "GET /y": { authorizerId: ghost, integration: { type: mock } }\n');
  const child = spawn(process.execPath, [BIN, 'start', '--config', cfg], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  const [code] = await once(child, 'exit');
  assert.equal(code, 2);
  assert.match(err, /invalid configuration \(2 problems\)/);
  assert.match(err, /apis\[0\]\.routes\["GET \/x"\]\.integration\.uri: must be an absolute http\(s\) URL/);
  assert.match(err, /apis\[0\]\.routes\["GET \/y"\]\.authorizerId: unknown authorizer "ghost" \(known: none\)/);
});
