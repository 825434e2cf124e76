/**
 * The layer rules of docs/architecture.md, checked on the import graph of src/ rather than hoped for.
 * A failure names the offending import (file:line → target).
 */
import { test } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { findCycles, readImportGraph, type ImportEdge } from './import-graph.ts';

const ROOT = new URL('../..', import.meta.url).pathname;
const edges = readImportGraph(ROOT);
const show = (e: ImportEdge) => `${e.from}:${e.line} → ${e.to}${e.typeOnly ? ' (type)' : ''}`;
const inSrc = (e: ImportEdge) => e.to.startsWith('src/');
const under = (dir: string) => (path: string) => path.startsWith(dir);

/** Packages the pure core may use: schema validation and hashing, nothing that does I/O. */
const CORE_PACKAGES = new Set(['zod', 'node:crypto']);

/** The gateway's files (everything in src/ that is not the session core, nor the CLI that starts both). */
const isGatewaySide = (path: string) => path.startsWith('src/') && !path.startsWith('src/supertokens/') && !path.startsWith('src/cli');

/**
 * One of each primitive, below both halves: pure modules of src/core that the session core may import
 * too. They import only each other and node:crypto, so through them the session core reaches nothing
 * else of the gateway.
 */
const SHARED_PRIMITIVES = new Set(['src/core/clock.ts', 'src/core/digest.ts', 'src/core/result.ts', 'src/core/jwt-codec.ts']);

test('the graph is read (a reader that finds no imports would pass every rule)', () => {
  assert.ok(edges.length > 150, `${edges.length} imports`);
  assert.ok(edges.some((e) => e.from === 'src/pipeline.ts' && e.to === 'src/core/routes.ts'));
});

test('src/core is pure: it imports only src/core, zod and node:crypto (types from node: are fine)', () => {
  const bad = edges.filter((e) => e.from.startsWith('src/core/') && (inSrc(e) ? !e.to.startsWith('src/core/') : !CORE_PACKAGES.has(e.to) && !(e.typeOnly && e.to.startsWith('node:'))));
  assert.deepEqual(bad.map(show), []);
});

test('nothing below the glue imports the pipeline, the gateway or the CLI', () => {
  const lower = ['src/core/', 'src/io/', 'src/authorizers/', 'src/integrations/', 'src/supertokens/'];
  const top = new Set(['src/pipeline.ts', 'src/gateway.ts', 'src/cli.ts']);
  const bad = edges.filter((e) => lower.some((d) => e.from.startsWith(d)) && top.has(e.to));
  assert.deepEqual(bad.map(show), []);
});

test('the shared primitives import only each other and node:crypto', () => {
  const bad = edges.filter((e) => SHARED_PRIMITIVES.has(e.from) && (inSrc(e) ? !SHARED_PRIMITIVES.has(e.to) : e.to !== 'node:crypto'));
  assert.deepEqual(bad.map(show), []);
});

test('the gateway and the session core meet only in the CLI and the shared primitives', () => {
  // The gateway config takes the `core:` section as a mapping; the CLI passes the session core's schema in.
  const bad = edges.filter(
    (e) =>
      inSrc(e) &&
      ((isGatewaySide(e.from) && under('src/supertokens/')(e.to)) || (e.from.startsWith('src/supertokens/') && isGatewaySide(e.to) && !SHARED_PRIMITIVES.has(e.to))),
  );
  assert.deepEqual(bad.map(show), []);
});

test('no import circles in src/', () => {
  assert.deepEqual(findCycles(edges).map((c) => c.join(' → ')), []);
});

test('the circle check finds a circle', () => {
  const fake: ImportEdge[] = [
    { from: 'src/a.ts', to: 'src/b.ts', typeOnly: false, line: 1 },
    { from: 'src/b.ts', to: 'src/a.ts', typeOnly: true, line: 1 },
  ];
  assert.deepEqual(findCycles(fake), [['src/a.ts', 'src/b.ts', 'src/a.ts']]);
});
