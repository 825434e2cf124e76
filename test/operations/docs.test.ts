/**
 * docs/operations.md stays true: its runnable example is a valid config, every `$context`
 * variable it lists compiles, and every metric it names is exported.
 */
import { test } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseConfigText } from '../../src/io/config-file.ts';
import { compileTemplate } from '../../src/core/context.ts';
import { parseConfig } from '../../src/config.ts';
import { startGateway } from '../../src/gateway.ts';
import { silentLogger } from '../../src/io/logger.ts';
import { parsePrometheus, send } from './helpers.ts';

const doc = readFileSync(new URL('../../docs/operations.md', import.meta.url), 'utf8');

test('the runnable example is a valid config with cors, an access log and an admin listener', () => {
  const first = /```yaml\n([\s\S]*?)```/.exec(doc)![1]!;
  const config = parseConfigText(first);
  assert.equal(config.admin?.port, 9100);
  assert.ok(config.apis[0]!.cors?.allowCredentials);
  assert.ok(compileTemplate(config.apis[0]!.accessLogSettings!.format).ok);
});

test('every $context variable the page names compiles', () => {
  const names = new Set([...doc.matchAll(/\$context\.([A-Za-z0-9_.:]+)/g)].map((m) => m[1]!.replace(/\.$/, '').replace(/NAME$/, 'sub')));
  names.delete('requestIdd'); // the did-you-mean example
  assert.ok(names.size >= 30, `only ${names.size} variables`);
  for (const name of names) {
    const compiled = compileTemplate(`$context.${name}`);
    assert.ok(compiled.ok, `$context.${name}: ${compiled.ok ? '' : compiled.error.join('; ')}`);
  }
});

test('every metric the page names is exported by /metrics', async () => {
  const gw = await startGateway(parseConfig({ admin: { port: 0 }, apis: [] }), { port: 0, host: '127.0.0.1', logger: silentLogger });
  try {
    const exported = parsePrometheus((await send('GET', `${gw.adminUrl}/metrics`)).body).types;
    const named = new Set([...doc.matchAll(/`((?:portcullis|process|nodejs)_[a-z_]+)`/g)].map((m) => m[1]!));
    assert.ok(named.size >= 15);
    for (const name of named) assert.ok(exported.has(name), `${name} is documented but not exported`);
  } finally {
    await gw.close();
  }
});
