/**
 * LambdaRuntime.prewarm (the `--watch` reload path): environments start and load their module before
 * any request, as many as the runtime being replaced ran, and invocations then meet no cold start.
 */
import { test } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLambdaRuntime } from '../../src/io/lambda-runtime.ts';
import { tempDir } from '../helpers/gateway.ts';

const HANDLER = `import { appendFileSync } from 'node:fs';
appendFileSync(new URL('./inits.log', import.meta.url), 'init\\n');
export async function handler(event) {
  if (event.sleepMs) await new Promise((r) => setTimeout(r, event.sleepMs));
  return { ok: true };
}
`;

test('prewarm starts one environment per function, loads the module, and the first invocation is warm', async (t) => {
  const dir = tempDir({ 'fn.mjs': HANDLER });
  const inits = () => readFileSync(join(dir, 'inits.log'), 'utf8').split('\n').filter(Boolean).length;
  const spec = { handlerPath: join(dir, 'fn.mjs'), exportName: 'handler', timeoutMs: 5000, reservedConcurrency: 4 };
  const old = createLambdaRuntime({ region: 'us-east-1', accountId: '123456789012' });
  t.after(() => old.close());
  const oldFn = old.getFunction(spec);
  // The old runtime runs three environments at once.
  await Promise.all([1, 2, 3].map((i) => oldFn.invoke({ sleepMs: 300 }, `r${i}`)));
  assert.equal(oldFn.stats().environments, 3);
  assert.deepEqual([...old.environmentCounts!().values()], [3]);

  const next = createLambdaRuntime({ region: 'us-east-1', accountId: '123456789012' });
  t.after(() => next.close());
  const fn = next.getFunction(spec);
  const before = inits();
  await next.prewarm!(old);
  assert.ok(inits() >= before + 1, 'the module was loaded by prewarm, before any invocation');
  assert.equal(fn.stats().environments, 3, 'as many environments as the old runtime ran');
  const coldStarts = fn.stats().coldStarts;
  const r = await fn.invoke({}, 'warm');
  assert.equal(r.ok, true);
  assert.equal(fn.stats().coldStarts, coldStarts, 'no cold start for the first invocation after prewarm');

  // Without a runtime to copy: one environment.
  const solo = createLambdaRuntime({ region: 'us-east-1', accountId: '123456789012' });
  t.after(() => solo.close());
  const soloFn = solo.getFunction(spec);
  await solo.prewarm!();
  assert.equal(soloFn.stats().environments, 1);
});

test('prewarm of a module that fails to load resolves (the invocation then reports the init error)', async (t) => {
  const dir = tempDir({ 'broken.mjs': 'throw new Error("bad init");\n' });
  const rt = createLambdaRuntime({ region: 'us-east-1', accountId: '123456789012' });
  t.after(() => rt.close());
  const fn = rt.getFunction({ handlerPath: join(dir, 'broken.mjs'), exportName: 'handler', timeoutMs: 5000, reservedConcurrency: 1 });
  await rt.prewarm!(undefined, 10_000);
  const r = await fn.invoke({}, 'x');
  assert.equal(r.ok, false);
  assert.match(r.ok ? '' : `${r.error.errorType}: ${r.error.errorMessage}`, /bad init/);
});
