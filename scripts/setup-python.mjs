#!/usr/bin/env node
// Builds the Python half of the seeds' virtualenv: examples/seeds-python/.venv from
// examples/seeds-python/requirements.txt (pinned). Portcullis's python runtime uses a `.venv` in a
// function's code folder as it is (docs/runtimes.md). Re-run when requirements.txt changes: the
// file's hash is kept in .venv/.requirements-sha256 and an up-to-date venv is left alone.
//   node scripts/setup-python.mjs            (npm run setup:python)
//   PYTHON=python3.12 node scripts/setup-python.mjs
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = new URL('..', import.meta.url).pathname;
const DIR = join(ROOT, 'examples', 'seeds-python');
const VENV = join(DIR, '.venv');
const REQUIREMENTS = join(DIR, 'requirements.txt');
const STAMP = join(VENV, '.requirements-sha256');
const python = process.env.PYTHON || 'python3';

const hash = createHash('sha256').update(readFileSync(REQUIREMENTS)).digest('hex');
if (existsSync(STAMP) && readFileSync(STAMP, 'utf8').trim() === hash && existsSync(join(VENV, 'bin', 'python'))) {
  console.log(`setup-python: ${VENV} is up to date`);
  process.exit(0);
}
const run = (file, args) => {
  console.log(`setup-python: ${file} ${args.join(' ')}`);
  const r = spawnSync(file, args, { stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`setup-python: failed (${r.error?.message ?? `exit ${r.status}`})`);
    process.exit(1);
  }
};
rmSync(VENV, { recursive: true, force: true });
run(python, ['-m', 'venv', VENV]);
run(join(VENV, 'bin', 'python'), ['-m', 'pip', 'install', '--disable-pip-version-check', '--progress-bar', 'off', '-r', REQUIREMENTS]);
writeFileSync(STAMP, `${hash}\n`);
console.log(`setup-python: ${VENV} ready`);
