/** Every YAML example in docs/claims.md, docs/console.md and docs/dev-tokens.md is a valid config. */
import { test } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseConfigText } from '../../src/io/config-file.ts';

for (const name of ['claims.md', 'console.md', 'dev-tokens.md']) {
  test(`docs/${name}: every YAML example parses`, () => {
    const doc = readFileSync(new URL(`../../docs/${name}`, import.meta.url), 'utf8');
    const blocks = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);
    assert.ok(blocks.length >= 1);
    for (const yaml of blocks) {
      // A fragment such as `claimValidationResponse: {…}` is shown inside a JWT authorizer.
      const text = /^(apis|server|admin|decisionLog):/m.test(yaml)
        ? yaml
        : `apis: [{ name: a, protocol: http, stage: $default, routes: {}, authorizers: { j: { authorizerType: JWT, jwtConfiguration: { issuer: https://i.example, audience: [a] }, ${yaml.trim().replace(/\s+#.*$/gm, '')} } } }]`;
      assert.doesNotThrow(() => parseConfigText(text, { PORTCULLIS_ADMIN_TOKEN: 'a-long-admin-token-for-docs' }), `${name}:\n${yaml}`);
    }
  });
}
