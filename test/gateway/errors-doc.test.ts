import { test } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

test('every ERR_GW_* code in src/core/errors.ts is documented in docs/errors.md, and nothing else is', () => {
  const source = readFileSync(new URL('../../src/core/errors.ts', import.meta.url), 'utf8');
  const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
  const union = /export type GatewayErrorCode =([^;]+);/.exec(source)![1]!;
  const codes = [...union.matchAll(/'(ERR_GW_[A-Z_]+)'/g)].map((m) => m[1]!);
  const documented = [...doc.matchAll(/^\| `(ERR_GW_[A-Z_]+)`/gm)].map((m) => m[1]!);
  assert.equal(new Set(codes).size, codes.length, 'codes are unique');
  assert.deepEqual([...documented].sort(), [...codes].sort());
});
