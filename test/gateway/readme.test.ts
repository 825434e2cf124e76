/**
 * The README tells the truth: its walkthrough is the one the end-to-end tests run verbatim, and
 * the "Your own config" example works as pasted.
 */
import { test } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { closedPort, tempDir } from '../helpers/gateway.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

test('README opens with the two set-up commands', () => {
  const blocks = [...readme.matchAll(/```bash\n([^`]+?)```/g)].map((m) => m[1]!.trim());
  assert.match(blocks[0]!, /^npm ci && npm start\b/);
  assert.match(blocks[1]!, /^npm ci && npm test\b/);
  assert.ok(readme.indexOf(blocks[0]!) < readme.indexOf('## The two scenarios'));
});

test('the README walkthrough is examples/seeds/WALKTHROUGH.md, which the e2e tests run verbatim', () => {
  const walkthrough = readFileSync(join(ROOT, 'examples/seeds/WALKTHROUGH.md'), 'utf8').trim();
  assert.ok(readme.includes(walkthrough), 'README.md must contain WALKTHROUGH.md unchanged');
});

test('the "Your own config" example runs as pasted', async () => {
  const yaml = /```yaml\n# portcullis\.yaml\n([\s\S]+?)\n```/.exec(readme)?.[1];
  const js = /```js\n\/\/ hello\.mjs\n([\s\S]+?)\n```/.exec(readme)?.[1];
  assert.ok(yaml && js, 'README has the portcullis.yaml and hello.mjs blocks');
  const dir = tempDir({ 'portcullis.yaml': yaml, 'hello.mjs': js });
  const port = await closedPort();
  const child = spawn(process.execPath, [join(ROOT, 'bin/portcullis.mjs'), 'start', '--config', join(dir, 'portcullis.yaml'), '--port', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  // Listened for from the spawn on: a child that has already exited when the finally runs is still seen.
  const exited = once(child, 'exit');
  try {
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    const deadline = Date.now() + 15_000;
    while (!/gateway listening/.test(out)) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(out);
      await new Promise((r) => setTimeout(r, 50));
    }
    const hello = await fetch(`http://127.0.0.1:${port}/hello/world`);
    assert.equal(hello.status, 200);
    assert.ok(hello.headers.get('apigw-requestid'));
    assert.equal(await hello.text(), 'hello world');
    const nope = await fetch(`http://127.0.0.1:${port}/nope`);
    assert.equal(nope.status, 404);
    assert.equal(await nope.text(), '{"message":"Not Found"}');
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
});
