import { test } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { startGateway, startUpstream } from '../helpers/gateway.ts';

// Regression: a client that went away while its request was still being handled left the request
// counted as in flight forever, so SIGTERM's drain waited the whole shutdown timeout (30 s) —
// the demo hung after a JWKS prefetch timed out against its own slow-starting auth Lambda.
test('a request whose client disconnected before the answer does not hold the drain', async (t) => {
  const up = await startUpstream(t, (_req, res) => setTimeout(() => res.end('late'), 600));
  const gw = await startGateway({ server: { shutdownTimeoutMs: 20_000 }, apis: [{ name: 'a', protocol: 'http', stage: '$default', routes: { 'GET /slow': { integration: { type: 'http', uri: `${up.url}/` } } } }] }, { t });
  const controller = new AbortController();
  const pending = fetch(`${gw.url}/slow`, { signal: controller.signal }).catch(() => 'aborted');
  await new Promise((r) => setTimeout(r, 100));
  controller.abort();
  assert.equal(await pending, 'aborted');
  await new Promise((r) => setTimeout(r, 900));
  const started = Date.now();
  await gw.close();
  assert.ok(Date.now() - started < 3000, `close took ${Date.now() - started} ms`);
});
