/**
 * The repo is self-contained: a clone in an unrelated folder (nothing beside it) runs the tests that read
 * fixtures, and no tracked file points outside the repo.
 */
import { test } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = new URL('../..', import.meta.url).pathname;
const isGitCheckout = existsSync(join(ROOT, '.git'));
const skip = isGitCheckout ? false : 'not a git checkout (nothing to clone)';
if (skip && process.env.CI === 'true') throw new Error(`${skip}; CI=true requires it`);

test('no tracked file refers to ../shared or shared/ (material a user does not have)', { skip }, () => {
  // git grep exits 1 when nothing matches.
  let hits = '';
  try {
    hits = execFileSync('git', ['grep', '-n', '-E', String.raw`(\.\./|[^a-z-])shared/(spec|conformance|corpus|bench-peers|STYLE)`, '--', '.', ':!test/meta/self-contained.test.ts'], { cwd: ROOT, encoding: 'utf8' });
  } catch (err) {
    if ((err as { status?: number }).status !== 1) throw err;
  }
  assert.equal(hits, '');
});

test('a clone in an unrelated temporary folder runs the fixture-reading test files green', { skip, timeout: 180_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-clone-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const clone = join(dir, 'elsewhere', 'portcullis');
  execFileSync('git', ['clone', '--quiet', '--no-hardlinks', ROOT, clone]);
  assert.equal(existsSync(join(clone, '..', '..', 'shared')), false);
  symlinkSync(join(ROOT, 'node_modules'), join(clone, 'node_modules'));
  const files = ['test/gateway/lambda-integration.test.ts', 'test/lambda-authorizer/events.contract.test.ts'];
  const child = spawn(process.execPath, ['scripts/run-tests.mjs', ...files], { cwd: clone, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TEST_CONCURRENCY: '1' } });
  t.after(() => void child.kill('SIGKILL'));
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  assert.equal(code, 0, out.slice(-4000));
  assert.match(out, /^tests: [1-9]\d* passed, 0 failed/m);
});
