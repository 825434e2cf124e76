#!/usr/bin/env node
// Runs every test file with Node's own test runner (node:test) under tsx, each file in its own process
// group, and guarantees the run ends: a hang becomes a red run that names what hung, never a silent timeout.
//
//   per test   test/helpers/node-test.ts gives every test and hook a time limit (TEST_TIMEOUT_MS,
//              default 90 s): a stuck test fails with its name
//   per file   --test-force-exit: a handle a test leaked cannot keep the file alive after its tests end;
//              past TEST_FILE_TIMEOUT_MS (default 10 min) the file's process group is killed and the tests
//              it was running are named
//   whole run  past TEST_RUN_TIMEOUT_MS (default 25 min) every file still running is named and killed,
//              and the run exits 1
//
// Usage: node scripts/run-tests.mjs [filter-substring | path/to/file.test.ts ...]
// TEST_CONCURRENCY (default 2: two cores on the reference machine) files run at once.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { spawn } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const concurrency = positiveInt('TEST_CONCURRENCY', 2);
const fileTimeoutMs = positiveInt('TEST_FILE_TIMEOUT_MS', 10 * 60_000);
const runTimeoutMs = positiveInt('TEST_RUN_TIMEOUT_MS', 25 * 60_000);

function positiveInt(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) {
    console.error(`run-tests: ${name} must be a positive whole number, got "${raw}"`);
    process.exit(2);
  }
  return n;
}

function collectFiles() {
  const files = [];
  const walk = (dir) => {
    for (const name of readdirSync(dir)) {
      if (name === 'node_modules' || name.startsWith('.')) continue;
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (/\.test\.ts$/.test(name)) files.push(relative(root, path));
    }
  };
  walk(join(root, 'src'));
  walk(join(root, 'test'));
  return files.sort();
}

const args = process.argv.slice(2);
const explicit = args.filter((a) => /\.test\.[cm]?[jt]s$/.test(a) && existsSync(a)).map((a) => resolve(a));
const filters = args.filter((a) => !explicit.includes(resolve(a)));
const all = collectFiles();
const selected = [...explicit, ...(filters.length ? all.filter((f) => filters.some((x) => f.includes(x))) : explicit.length ? [] : all)];
if (selected.length === 0) {
  console.error(`run-tests: no test files match ${args.join(' ')}`);
  process.exit(1);
}

const progressDir = mkdtempSync(join(tmpdir(), 'portcullis-tests-'));
const started = Date.now();
/** Files running now: their process (group leader), progress file, start time and file-limit timer. */
const running = new Map();
const totals = { tests: 0, pass: 0, fail: 0, cancelled: 0, skipped: 0, todo: 0 };
const failedFiles = [];
let next = 0;
let finishing = false;

function readProgress(path) {
  let text = '';
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  return text.split('\n').filter(Boolean).flatMap((line) => {
    try {
      return [JSON.parse(line)];
    } catch {
      return [];
    }
  });
}

/** Tests that started and did not end (test/helpers/node-test.ts records both): what a killed file was doing. */
function unfinished(events) {
  const open = [];
  for (const e of events) {
    if (e.event === 'start') open.push(e.name);
    else if (e.event === 'end') {
      const i = open.lastIndexOf(e.name);
      if (i >= 0) open.splice(i, 1);
    }
  }
  return open;
}

/** The file's totals, from the summary node:test's spec reporter prints last. */
function countsFrom(output) {
  const counts = {};
  for (const m of output.matchAll(/^ℹ (tests|pass|fail|cancelled|skipped|todo) (\d+)$/gm)) counts[m[1]] = Number(m[2]);
  return counts;
}

/** The names under the spec reporter's "failing tests" heading. */
function failingTests(output) {
  const at = output.lastIndexOf('✖ failing tests:');
  if (at < 0) return [];
  return [...output.slice(at).matchAll(/^(\s*)✖ (.+?)(?: \([\d.]+ms\))?$/gm)].slice(1).map((m) => m[2]).filter((n, i, all) => all.indexOf(n) === i);
}

function startNext() {
  if (finishing) return;
  while (running.size < concurrency && next < selected.length) {
    const file = selected[next++];
    const progress = join(progressDir, `${next}.jsonl`);
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--test-force-exit', '--test-reporter=spec', file],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: { ...process.env, PORTCULLIS_TEST_PROGRESS: progress } },
    );
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const entry = { child, progress, startedAt: Date.now(), timer: null, killedFor: null };
    entry.timer = setTimeout(() => {
      entry.killedFor = `still running after the file limit of ${fileTimeoutMs / 1000} s (TEST_FILE_TIMEOUT_MS)`;
      killGroup(child);
    }, fileTimeoutMs);
    running.set(file, entry);
    child.on('close', (code, signal) => {
      clearTimeout(entry.timer);
      running.delete(file);
      if (finishing) return;
      const events = readProgress(progress);
      const counts = countsFrom(output);
      for (const k of Object.keys(totals)) totals[k] += counts[k] ?? 0;
      const seconds = ((Date.now() - entry.startedAt) / 1000).toFixed(1);
      let verdict = code === 0 ? 'ok' : 'FAILED';
      let failing = failingTests(output);
      if (entry.killedFor) {
        const open = unfinished(events);
        failing = open;
        output += `\n✖ ${file}: ${entry.killedFor}; killed. Running at the time:\n${open.length ? open.map((n) => `    ${n}`).join('\n') : '    (no test had started: stuck while loading)'}\n`;
        totals.fail += Math.max(1, open.length);
      } else if (code !== 0 && !counts.fail && !counts.cancelled) {
        // Crashed outside any test (an import error, a top-level throw, a signal).
        output += `\n✖ ${file}: exited with ${signal ?? `code ${code}`} outside any test\n`;
        totals.fail += 1;
      }
      if (code !== 0 || entry.killedFor) failedFiles.push({ file, failing, killedFor: entry.killedFor });
      process.stdout.write(`\n▶ ${file} — ${verdict} (${seconds} s)\n${output}`);
      startNext();
      if (running.size === 0 && next >= selected.length) finish();
    });
  }
}

function killGroup(child) {
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    child.kill('SIGKILL');
  }
}

function finish(reason) {
  if (finishing) return;
  finishing = true;
  clearTimeout(runTimer);
  if (reason) {
    console.log(`\n✖ ${reason}. Files still running:`);
    for (const [file, entry] of running) {
      const open = unfinished(readProgress(entry.progress));
      console.log(`  ${file} (${((Date.now() - entry.startedAt) / 1000).toFixed(0)} s)${open.length ? ':\n' + open.map((n) => `      ${n}`).join('\n') : ''}`);
      failedFiles.push({ file, failing: open, killedFor: reason });
      totals.fail += Math.max(1, open.length);
      killGroup(entry.child);
    }
    const notRun = selected.length - next;
    if (notRun > 0) console.log(`  (${notRun} file${notRun === 1 ? '' : 's'} not started)`);
  }
  rmSync(progressDir, { recursive: true, force: true });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (failedFiles.length) {
    console.log('\n✖ failing files:');
    for (const f of failedFiles) {
      console.log(`  ${f.file}${f.killedFor ? ` (${f.killedFor})` : ''}`);
      for (const name of f.failing) console.log(`    ✖ ${name}`);
    }
  }
  console.log(`\nℹ files ${selected.length} (${failedFiles.length} failed) in ${seconds} s`);
  for (const k of Object.keys(totals)) console.log(`ℹ ${k} ${totals[k]}`);
  const failed = totals.fail + totals.cancelled;
  console.log(`tests: ${totals.pass} passed, ${failed} failed, ${totals.skipped} skipped`);
  process.exit(failedFiles.length || failed || totals.tests === 0 ? 1 : 0);
}

const runTimer = setTimeout(() => finish(`the run passed its limit of ${runTimeoutMs / 1000} s (TEST_RUN_TIMEOUT_MS)`), runTimeoutMs);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    for (const entry of running.values()) killGroup(entry.child);
    process.exit(130);
  });
}
console.log(`running ${selected.length} test file${selected.length === 1 ? '' : 's'}, ${concurrency} at a time`);
startNext();
