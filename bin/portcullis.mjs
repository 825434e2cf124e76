#!/usr/bin/env node
// The `portcullis` command. Runs the compiled JavaScript in dist/. In a clone, where src/ exists, dist/
// (`npm run build`) is used only while it is at least as new as every source file; otherwise the
// TypeScript sources run through tsx's loader (PORTCULLIS_FROM_SOURCE=1 forces them). An installed
// package ships dist/ without src/, so there is nothing to compare and dist/ is what runs.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const sources = join(root, 'src');
const compiled = join(root, 'dist', 'cli.js');

function newestMtimeMs(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    const t = entry.isDirectory() ? newestMtimeMs(path) : statSync(path).mtimeMs;
    if (t > newest) newest = t;
  }
  return newest;
}

function runCompiled() {
  if (!existsSync(sources)) {
    if (existsSync(compiled)) return true;
    console.error(`portcullis: ${compiled} is missing (this copy has neither src/ nor a built dist/); reinstall the package`);
    process.exit(1);
  }
  if (process.env.PORTCULLIS_FROM_SOURCE === '1') return false;
  const stamp = join(root, 'dist', '.build-stamp');
  return existsSync(stamp) && statSync(stamp).mtimeMs >= newestMtimeMs(sources);
}

let main;
if (runCompiled()) {
  ({ main } = await import('../dist/cli.js'));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../src/cli.ts'));
}
const code = await main(process.argv.slice(2));
process.exitCode = code;
if (code !== 0) process.exit(code);
