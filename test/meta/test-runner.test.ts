/**
 * The suite cannot hang: scripts/run-tests.mjs and test/helpers/node-test.ts turn a leaked handle, a
 * stuck await, a spinning test and a run past its limit into a red run that names the culprit.
 * Each case runs the real runner on small test files written to a temporary folder.
 */
import { test } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const ROOT = new URL('../..', import.meta.url).pathname;
const RUNNER = join(ROOT, 'scripts/run-tests.mjs');
const HELPER = pathToFileURL(join(ROOT, 'test/helpers/node-test.ts')).href;

function writeTests(t: { after(fn: () => void): void }, files: Record<string, string>): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-runner-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return Object.entries(files).map(([name, body]) => {
    const path = join(dir, name);
    writeFileSync(path, `import { test } from '${HELPER}';\n${body}\n`);
    return path;
  });
}

/** Runs the runner; resolves with its exit code, output and wall time. Killed (and rejected) past `limitMs`. */
function runRunner(t: { after(fn: () => void): void }, files: string[], env: Record<string, string>, limitMs: number): Promise<{ code: number | null; out: string; ms: number }> {
  const startedAt = Date.now();
  const child = spawn(process.execPath, [RUNNER, ...files], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => void child.kill('SIGKILL'));
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      reject(new Error(`the runner itself did not end within ${limitMs} ms:\n${out}`));
    }, limitMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out, ms: Date.now() - startedAt });
    });
  });
}

/** Running (a killed process that nobody has reaped yet is a zombie: dead). */
function isAlive(pid: number): boolean {
  if (!existsSync('/proc/self/stat')) {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

test('a failing test that leaks a server, a stuck await and a spinning test each fail by name, and the run ends', { timeout: 90_000 }, async (t) => {
  const files = writeTests(t, {
    'leak.test.ts': `import { createServer } from 'node:http';
test('leaks a listening server, then fails', async () => {
  const server = createServer();
  await new Promise((r) => server.listen(0, '127.0.0.1', () => r(undefined)));
  throw new Error('deliberate failure before cleanup');
});`,
    'stuck.test.ts': `test('awaits a promise that never settles', async () => { await new Promise(() => setInterval(() => {}, 1000)); });`,
    'spin.test.ts': `test('spins the event loop for ever', () => { for (;;) {} });`,
    'fine.test.ts': `test('passes', () => {});`,
  });
  const { code, out } = await runRunner(t, files, { TEST_TIMEOUT_MS: '2000', TEST_FILE_TIMEOUT_MS: '8000', TEST_CONCURRENCY: '2' }, 60_000);
  assert.equal(code, 1, out);
  assert.match(out, /✖ leaks a listening server, then fails/);
  assert.match(out, /✖ awaits a promise that never settles[^\n]*\n[^\n]*test timed out after 2000ms/);
  assert.match(out, /spin\.test\.ts: still running after the file limit of 8 s \(TEST_FILE_TIMEOUT_MS\); killed\. Running at the time:\n\s+spins the event loop for ever/);
  assert.match(out, /^tests: 1 passed, 3 failed, 0 skipped$/m);
});

test('past the whole-run limit the runner names the files and tests still running, kills them and exits 1', { timeout: 60_000 }, async (t) => {
  const marker = join(mkdtempSync(join(tmpdir(), 'portcullis-runner-child-')), 'pid');
  t.after(() => rmSync(join(marker, '..'), { recursive: true, force: true }));
  const files = writeTests(t, {
    'forever.test.ts': `import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
test('starts a child process and waits for it', async () => {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  writeFileSync(${JSON.stringify(marker)}, String(child.pid));
  await new Promise(() => {});
});`,
  });
  const { code, out, ms } = await runRunner(t, files, { TEST_TIMEOUT_MS: '600000', TEST_RUN_TIMEOUT_MS: '4000' }, 40_000);
  assert.equal(code, 1, out);
  assert.match(out, /the run passed its limit of 4 s \(TEST_RUN_TIMEOUT_MS\)\. Files still running:\n\s+\S*forever\.test\.ts \(\d+ s\):\n\s+starts a child process and waits for it/);
  assert.ok(ms < 30_000, `ended in ${ms} ms`);
  // The file's whole process group went, grandchildren included.
  const pid = Number(readFileSync(marker, 'utf8'));
  const deadline = Date.now() + 5_000;
  while (isAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  assert.equal(isAlive(pid), false, 'the test file\'s child process was killed with it');
});

test('test files import test functions from test/helpers/node-test.ts, so every test and hook has a time limit', () => {
  const offenders: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (/\.[cm]?[jt]s$/.test(entry.name) && !path.endsWith('test/helpers/node-test.ts')) {
        const text = readFileSync(path, 'utf8');
        // A value import of node:test (type-only imports are fine).
        if (/^import\s+(?!type\b)[^;]*from\s+['"]node:test['"]/m.test(text)) offenders.push(path.slice(ROOT.length));
      }
    }
  };
  for (const dir of ['src', 'test', 'bench']) walk(join(ROOT, dir));
  assert.deepEqual(offenders, [], 'import test/it/describe/before/after from test/helpers/node-test.ts instead');
});
