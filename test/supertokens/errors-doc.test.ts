import { test } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

test('every ERR_CORE_* code in src/supertokens/errors.ts is documented in docs/supertokens.md, and nothing else is', () => {
  const source = readFileSync(new URL('../../src/supertokens/errors.ts', import.meta.url), 'utf8');
  const doc = readFileSync(new URL('../../docs/supertokens.md', import.meta.url), 'utf8');
  // The HTTP codes (`CoreErrorCode`) and the start-up codes (`CoreStartError['code']`) share one table.
  const httpUnion = /export type CoreErrorCode =([^;]+);/.exec(source)![1]!;
  const startUnion = /class CoreStartError[\s\S]*?readonly code:([^;]+);/.exec(source)![1]!;
  const codes = new Set([...`${httpUnion}${startUnion}`.matchAll(/'(ERR_CORE_[A-Z_]+)'/g)].map((m) => m[1]!));
  const everywhere = new Set([...source.matchAll(/'(ERR_CORE_[A-Z_]+)'/g)].map((m) => m[1]!));
  assert.deepEqual([...everywhere].sort(), [...codes].sort(), 'every code in errors.ts belongs to one of the two unions');
  const documented = [...doc.matchAll(/^\| `(ERR_CORE_[A-Z_]+)`/gm)].map((m) => m[1]!);
  assert.equal(new Set(documented).size, documented.length, 'one row per code');
  assert.deepEqual([...documented].sort(), [...codes].sort());
});
