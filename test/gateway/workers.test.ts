import { test } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { tempDir, closedPort, rawRequest } from '../helpers/gateway.ts';
import { listeningUrl, parsePrometheus, send, startCli } from '../operations/helpers.ts';

const BIN = new URL('../../bin/portcullis.mjs', import.meta.url).pathname;

// Lambda handlers run in worker threads of the gateway process that took the request, and a thread's
// process.pid is its process's: the body says which gateway process served the request.
const PID_HANDLER = `export async function handler() { return { statusCode: 200, body: String(process.pid) }; }\n`;

test('server.workers: 2 serves from two processes sharing one port; SIGTERM on the primary drains both and exits 0', async () => {
  const dir = tempDir({ 'pid.mjs': PID_HANDLER });
  const cfg = join(dir, 'portcullis.yaml');
  const port = await closedPort();
  writeFileSync(cfg, `server: { port: ${port}, workers: 2 }\napis:\n  - name: a\n    protocol: http\n    stage: $default\n    routes:\n      "GET /pid":\n        integration: { type: lambda, handler: ./pid.mjs }\n`);
  const child = spawn(process.execPath, [BIN, 'start', '--config', cfg], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no listening line in 20 s:\n${out}`)), 20_000);
      child.stdout!.on('data', () => {
        const m = /gateway listening on (http:\/\/\S+) \(2 workers: (\d+), (\d+)\)/.exec(out);
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
    assert.equal(url, `http://127.0.0.1:${port}`);
    const workerPids = /\(2 workers: (\d+), (\d+)\)/.exec(out)!.slice(1).map(Number);
    assert.equal(out.match(/gateway listening on/g)?.length, 1, 'one listening line, from the primary');

    // A new connection per request: the primary hands connections to the workers in turn.
    const served = new Set<number>();
    for (let i = 0; i < 20; i++) {
      const res = await rawRequest(`${url}/pid`, { headers: { connection: 'close' } });
      assert.equal(res.status, 200);
      served.add(Number(res.body));
    }
    assert.deepEqual([...served].sort(), [...workerPids].sort(), 'both workers served requests');
    assert.ok(!served.has(child.pid!), 'the primary serves no requests itself');

    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    assert.equal(code, 0, out);
    await assert.rejects(rawRequest(`${url}/pid`), 'the listener is closed after the drain');
    for (const pid of workerPids) assert.throws(() => process.kill(pid, 0), 'worker processes are gone');
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});

test('server.workers defaults to auto: one gateway process per core', async () => {
  const dir = tempDir({ 'pid.mjs': PID_HANDLER });
  const cfg = join(dir, 'portcullis.yaml');
  writeFileSync(cfg, `server: { port: 0 }\napis:\n  - name: a\n    protocol: http\n    stage: $default\n    routes:\n      "GET /pid":\n        integration: { type: lambda, handler: ./pid.mjs }\n`);
  const child = startCli(['start', '--config', cfg]);
  try {
    await child.waitFor('gateway listening on', 20_000);
    const cores = availableParallelism();
    if (cores > 1) assert.match(child.stdout(), new RegExp(`gateway listening on http://\\S+ \\(${cores} workers: `));
    else assert.doesNotMatch(child.stdout(), /workers:/);
  } finally {
    child.kill('SIGTERM');
    assert.equal((await child.exited).code, 0, `${child.stdout()}\n${child.stderr()}`);
  }
});

test('with 2 workers the primary serves the admin listener: /metrics sums every worker, /readyz asks each', async () => {
  const dir = tempDir({ 'pid.mjs': PID_HANDLER });
  const cfg = join(dir, 'portcullis.yaml');
  writeFileSync(cfg, `server: { port: 0, workers: 2 }\nadmin: { port: 0 }\napis:\n  - name: a\n    protocol: http\n    stage: $default\n    routes:\n      "GET /pid":\n        integration: { type: lambda, handler: ./pid.mjs }\n`);
  const child = startCli(['start', '--config', cfg]);
  try {
    await child.waitFor('portcullis admin', 20_000);
    const url = listeningUrl(child);
    const admin = /portcullis admin .* on (http:\/\/\S+)/.exec(child.stdout())![1]!;
    assert.equal(child.stdout().match(/portcullis admin/g)?.length, 1, 'one admin listener, the primary\'s');
    const pids = new Set<string>();
    for (let i = 0; i < 20; i++) pids.add((await rawRequest(`${url}/pid`, { headers: { connection: 'close' } })).body);
    assert.equal(pids.size, 2, 'both workers served');
    const m = parsePrometheus((await send('GET', `${admin}/metrics`)).body);
    assert.equal(m.sum('portcullis_requests_total', { api: 'a', route: 'GET /pid', status: '200' }), 20, 'the counts of both workers, summed');
    assert.equal(m.sum('portcullis_request_duration_seconds_count', { api: 'a' }), 20);
    assert.equal(m.sum('portcullis_workers', { state: 'live' }), 2);
    assert.equal(m.sum('portcullis_workers', { state: 'answered' }), 2);
    assert.equal(m.sum('portcullis_config_generation'), 1, 'a min-merged gauge is not summed');
    const ready = await send('GET', `${admin}/readyz`);
    assert.equal(ready.status, 200, ready.body);
    const checks = (JSON.parse(ready.body) as { checks: Array<{ name: string; ready: boolean }> }).checks;
    assert.deepEqual(checks[0], { name: 'workers', ready: true, detail: '2 of 2 workers ready' });
    const perWorker = new Set(checks.slice(1).map((c) => /^worker (\d+): /.exec(c.name)?.[1]));
    assert.equal(perWorker.size, 2, JSON.stringify(checks));
    assert.equal((await send('GET', `${admin}/healthz`)).status, 200);
  } finally {
    child.kill('SIGTERM');
    assert.equal((await child.exited).code, 0, child.stderr());
  }
});
