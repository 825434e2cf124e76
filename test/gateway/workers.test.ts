import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { tempDir, closedPort, rawRequest } from '../helpers/gateway.ts';

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
