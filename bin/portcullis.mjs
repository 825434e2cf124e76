#!/usr/bin/env node
// The `portcullis` command. Runs the compiled JavaScript in dist/ (`npm run build`) when it is at
// least as new as every source file; otherwise the TypeScript sources through tsx's loader.
// PORTCULLIS_FROM_SOURCE=1 forces the sources.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;

function newestMtimeMs(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    const t = entry.isDirectory() ? newestMtimeMs(path) : statSync(path).mtimeMs;
    if (t > newest) newest = t;
  }
  return newest;
}

function distIsFresh() {
  if (process.env.PORTCULLIS_FROM_SOURCE === '1') return false;
  const stamp = join(root, 'dist', '.build-stamp');
  return existsSync(stamp) && statSync(stamp).mtimeMs >= newestMtimeMs(join(root, 'src'));
}

let main;
if (distIsFresh()) {
  ({ main } = await import('../dist/cli.js'));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../src/cli.ts'));
}
const code = await main(process.argv.slice(2));
process.exitCode = code;
if (code !== 0) process.exit(code);
