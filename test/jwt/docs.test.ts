/** Every YAML example in docs/jwt-authorizers.md is a valid config. */
import { test } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseConfigText } from '../../src/io/config-file.ts';

const doc = readFileSync(new URL('../../docs/jwt-authorizers.md', import.meta.url), 'utf8');
const blocks = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);

test('docs/jwt-authorizers.md has YAML examples and all of them parse', () => {
  assert.ok(blocks.length >= 2);
  for (const yaml of blocks) {
    const config = parseConfigText(yaml);
    assert.ok(Object.values(config.apis[0]!.authorizers).some((a) => a.authorizerType === 'JWT'));
  }
});
