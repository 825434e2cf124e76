/**
 * The counters that live outside the pipeline are really fed: JWKS fetches from io/keys.ts and
 * session operations from the in-process core.
 */
import { test } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGateway } from '../helpers/gateway.ts';
import { createMetrics } from '../../src/io/metrics.ts';
import { startCore } from '../../src/supertokens/index.ts';
import { makeKey, startIdp } from '../jwt/fixtures.ts';
import { parsePrometheus } from './helpers.ts';

test('JWKS fetches are counted by issuer and outcome', async () => {
  const idp = await startIdp();
  const key = await makeKey('mw-1');
  const { issuer } = idp.tenant('mw', [key.jwk]);
  const gw = await startGateway({
    admin: { port: 0 },
    apis: [{ name: 'a', protocol: 'http', stage: '$default',
      authorizers: { jwt: { authorizerType: 'JWT', jwtConfiguration: { issuer, audience: ['x'] } }, down: { authorizerType: 'JWT', jwtConfiguration: { issuer: 'http://127.0.0.1:9/nope', audience: ['x'] } } },
      routes: { 'GET /a': { authorizerId: 'jwt', integration: { type: 'mock' } }, 'GET /b': { authorizerId: 'down', integration: { type: 'mock' } } } }],
  });
  try {
    const m = parsePrometheus(await (await fetch(`${gw.adminUrl}/metrics`)).text());
    assert.equal(m.sum('portcullis_jwks_fetches_total', { issuer, outcome: 'ok' }), 1);
    assert.ok(m.sum('portcullis_jwks_fetches_total', { issuer: 'http://127.0.0.1:9/nope', outcome: 'error' }) >= 1);
  } finally {
    await gw.close();
    await idp.close();
  }
});

test('the in-process core counts session create, verify, refresh, theft and revoke', async () => {
  const metrics = createMetrics();
  const dataDir = mkdtempSync(join(tmpdir(), 'pc-mw-'));
  const core = await startCore({ port: 0, dataDir, log: () => undefined, metrics });
  const post = async (path: string, body: unknown) => (await fetch(core.url + path, { method: 'POST', headers: { 'content-type': 'application/json', 'cdi-version': '5.4', rid: 'session' }, body: JSON.stringify(body) })).json() as Promise<Record<string, any>>;
  try {
    const created = await post('/public/recipe/session', { userId: 'u1', userDataInJWT: {}, userDataInDatabase: {}, useDynamicSigningKey: true, enableAntiCsrf: false });
    assert.equal(created.status, 'OK');
    await post('/recipe/session/verify', { accessToken: created.accessToken.token, doAntiCsrfCheck: false, enableAntiCsrf: false, checkDatabase: true });
    const refreshed = await post('/recipe/session/refresh', { refreshToken: created.refreshToken.token, enableAntiCsrf: false, useDynamicSigningKey: true });
    assert.equal(refreshed.status, 'OK');
    // Commit the child (refresh with it), then replay the parent: theft.
    const child = await post('/recipe/session/refresh', { refreshToken: refreshed.refreshToken.token, enableAntiCsrf: false, useDynamicSigningKey: true });
    assert.equal(child.status, 'OK');
    const theft = await post('/recipe/session/refresh', { refreshToken: created.refreshToken.token, enableAntiCsrf: false, useDynamicSigningKey: true });
    assert.equal(theft.status, 'TOKEN_THEFT_DETECTED');
    await post('/recipe/session/remove', { sessionHandles: [created.session.handle] });
    const m = parsePrometheus(metrics.render());
    for (const op of ['create', 'verify', 'theft', 'revoke']) assert.equal(m.sum('portcullis_core_session_operations_total', { operation: op, outcome: 'ok' }), 1, op);
    assert.equal(m.sum('portcullis_core_session_operations_total', { operation: 'refresh', outcome: 'ok' }), 2);
  } finally {
    await core.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
