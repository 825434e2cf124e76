// The README's supported-range table is generated from the compatibility matrix (sdk-cache.ts):
// the two cannot drift apart.
import { test } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { renderSupportTable } from './sdk-cache.ts';

test('README.md holds the table rendered from the compatibility matrix', () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const found = /<!-- compat-matrix:start[^>]*-->\n([\s\S]*?)\n<!-- compat-matrix:end -->/.exec(readme)?.[1];
  assert.ok(found !== undefined, 'README.md has the <!-- compat-matrix:start --> … <!-- compat-matrix:end --> block');
  assert.equal(found, renderSupportTable(), `replace the README block with:\n${renderSupportTable()}`);
});
