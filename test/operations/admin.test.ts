/**
 * The admin listener: Prometheus `/metrics` scraped and parsed after real traffic (requests by
 * API/route/status, latency histograms, authorizer decisions and cache lookups, JWKS state),
 * bounded label cardinality, `/healthz`, and `/readyz` turning 503 with detail when an issuer's
 * JWKS cannot be fetched or an injected check fails.
 */
import { after, before, describe, test } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { startGateway, startUpstream, tempDir, type TestGateway, type TestUpstream } from '../helpers/gateway.ts';
import { parseConfig } from '../../src/config.ts';
import { startGateway as startRaw } from '../../src/gateway.ts';
import { silentLogger } from '../../src/io/logger.ts';
import { createMetrics, escapeLabelValue, MAX_SERIES_PER_FAMILY } from '../../src/io/metrics.ts';
import { makeKey, sign, startIdp, type Idp, type TestKey } from '../jwt/fixtures.ts';
import { AUTH_HANDLER, parsePrometheus, send } from './helpers.ts';

let gw: TestGateway;
let idp: Idp;
let key: TestKey;
let issuer: string;
let upstream: TestUpstream;

before(async () => {
  const dir = tempDir({ 'auth.mjs': AUTH_HANDLER });
  idp = await startIdp();
  key = await makeKey('adm-1');
  issuer = idp.tenant('adm', [key.jwk]).issuer;
  upstream = await startUpstream();
  gw = await startGateway(
    {
      admin: { port: 0 },
      apis: [
        {
          name: 'shop',
          protocol: 'http',
          stage: '$default',
          authorizers: {
            jwt: { authorizerType: 'JWT', identitySource: '$request.header.Authorization', jwtConfiguration: { issuer, audience: ['api://default'] } },
            lam: { authorizerType: 'REQUEST', authorizerPayloadFormatVersion: '2.0', enableSimpleResponses: true, identitySource: '$request.header.Authorization', authorizerResultTtlInSeconds: 300, function: { handler: './auth.mjs' } },
          },
          routes: {
            'GET /items/{id}': { authorizerId: 'jwt', integration: { type: 'http', uri: `${upstream.url}/items/{id}` } },
            'GET /lam': { authorizerId: 'lam', integration: { type: 'mock', body: 'ok' } },
            'ANY /files/{proxy+}': { integration: { type: 'mock', body: 'f' } },
          },
        },
      ],
    },
    { baseDir: dir },
  );
});

after(async () => {
  await gw.close();
  await idp.close();
  await upstream.close();
});

async function scrape(url = gw.adminUrl!) {
  const r = await send('GET', `${url}/metrics`);
  assert.equal(r.status, 200);
  assert.equal(r.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
  return parsePrometheus(r.body);
}

async function token(claims: Record<string, unknown> = {}) {
  const now = Math.floor(Date.now() / 1000);
  return sign(key, { iss: issuer, sub: 'u', aud: 'api://default', iat: now, exp: now + 600, ...claims });
}

describe('/metrics', () => {
  test('requests by API, route key and status; histograms; authorizer decisions and cache lookups', async () => {
    const good = await token();
    for (let i = 0; i < 3; i++) assert.equal((await send('GET', `${gw.url}/items/${i}`, { authorization: `Bearer ${good}` })).status, 200);
    assert.equal((await send('GET', `${gw.url}/items/9`, { authorization: `Bearer ${await token({ aud: 'x' })}` })).status, 401);
    assert.equal((await send('GET', `${gw.url}/items/9`)).status, 401);
    for (let i = 0; i < 3; i++) assert.equal((await send('GET', `${gw.url}/lam`, { authorization: 'allow' })).status, 200);
    assert.equal((await send('GET', `${gw.url}/lam`, { authorization: 'deny' })).status, 403);
    assert.equal((await send('GET', `${gw.url}/nope`)).status, 404);

    const m = await scrape();
    assert.equal(m.types.get('portcullis_requests_total'), 'counter');
    assert.equal(m.sum('portcullis_requests_total', { api: 'shop', route: 'GET /items/{id}', status: '200' }), 3);
    assert.equal(m.sum('portcullis_requests_total', { api: 'shop', route: 'GET /items/{id}', status: '401' }), 2);
    assert.equal(m.sum('portcullis_requests_total', { api: 'shop', route: 'GET /lam', status: '403' }), 1);
    assert.equal(m.sum('portcullis_requests_total', { api: 'shop', route: '-', status: '404' }), 1);

    assert.equal(m.sum('portcullis_authorizer_decisions_total', { api: 'shop', authorizer: 'jwt', outcome: 'allow' }), 3);
    assert.equal(m.sum('portcullis_authorizer_decisions_total', { api: 'shop', authorizer: 'jwt', outcome: 'unauthorized' }), 2);
    assert.equal(m.sum('portcullis_authorizer_decisions_total', { api: 'shop', authorizer: 'lam', outcome: 'allow' }), 3);
    assert.equal(m.sum('portcullis_authorizer_decisions_total', { api: 'shop', authorizer: 'lam', outcome: 'deny' }), 1);

    // Lambda decision cache (TTL 300): 3 × "allow" = 1 miss + 2 hits; "deny" = 1 miss.
    assert.equal(m.sum('portcullis_authorizer_cache_lookups_total', { api: 'shop', authorizer: 'lam', result: 'hit' }), 2);
    assert.equal(m.sum('portcullis_authorizer_cache_lookups_total', { api: 'shop', authorizer: 'lam', result: 'miss' }), 2);

    for (const h of ['portcullis_request_duration_seconds', 'portcullis_integration_duration_seconds', 'portcullis_authorizer_duration_seconds']) {
      assert.equal(m.types.get(h), 'histogram', h);
    }
    const buckets = m.samples.filter((s) => s.name === 'portcullis_request_duration_seconds_bucket' && s.labels.route === 'GET /items/{id}');
    for (let i = 1; i < buckets.length; i++) assert.ok(buckets[i]!.value >= buckets[i - 1]!.value, 'buckets are cumulative');
    assert.equal(buckets.at(-1)!.labels.le, '+Inf');
    assert.equal(buckets.at(-1)!.value, m.sum('portcullis_request_duration_seconds_count', { route: 'GET /items/{id}' }));
    assert.equal(m.sum('portcullis_request_duration_seconds_count', { api: 'shop', route: 'GET /items/{id}' }), 5);
    assert.equal(m.sum('portcullis_integration_duration_seconds_count', { api: 'shop', route: 'GET /items/{id}' }), 3);
    assert.equal(m.sum('portcullis_authorizer_duration_seconds_count', { api: 'shop', authorizer: 'jwt' }), 5);

    assert.equal(m.sum('portcullis_jwks_ready', { authorizer: 'jwt', issuer }), 1);
    assert.ok(m.sum('portcullis_jwks_keys', { authorizer: 'jwt' }) >= 1);
    assert.equal(m.sum('portcullis_authorizer_ready', { authorizer: 'jwt' }), 1);
    assert.equal(m.sum('portcullis_config_generation'), 1);
    assert.ok(m.sum('process_resident_memory_bytes') > 0);
  });

  test('label values come from config, never raw paths: 40 distinct paths make one series per route', async () => {
    for (let i = 0; i < 20; i++) await send('GET', `${gw.url}/files/${i}/x${Math.random()}`);
    for (let i = 0; i < 20; i++) await send('GET', `${gw.url}/random-${i}-${Math.random()}`);
    const m = await scrape();
    const routes = new Set(m.samples.filter((s) => s.name === 'portcullis_requests_total').map((s) => s.labels.route));
    assert.ok(routes.has('ANY /files/{proxy+}'));
    assert.ok([...routes].every((r) => r === '-' || r === 'ANY /files/{proxy+}' || r?.startsWith('GET /')), [...routes].join(' | '));
    assert.ok(![...routes].some((r) => r?.includes('random') || r?.includes('/files/1')));
  });

  test('interfaces for plug-ins and the core: JWKS fetches and session operations', async () => {
    gw.metrics.jwksFetch(issuer, 'ok');
    gw.metrics.jwksFetch(issuer, 'error');
    gw.metrics.sessionOperation('refresh', 'ok');
    gw.metrics.sessionOperation('theft', 'ok');
    gw.metrics.authorizerCacheLookup('shop', 'lam', true);
    const m = await scrape();
    assert.equal(m.sum('portcullis_jwks_fetches_total', { issuer, outcome: 'error' }), 1);
    assert.equal(m.sum('portcullis_core_session_operations_total', { operation: 'theft' }), 1);
    // Plug-in reported lookups merge with the cacheStats() ones into one series.
    assert.equal(m.samples.filter((s) => s.name === 'portcullis_authorizer_cache_lookups_total' && s.labels.authorizer === 'lam' && s.labels.result === 'hit').length, 1);
  });

  test('only GET/HEAD; unknown admin paths are 404 with the list of endpoints', async () => {
    assert.equal((await send('POST', `${gw.adminUrl}/metrics`)).status, 405);
    const r = await send('GET', `${gw.adminUrl}/nope`);
    assert.equal(r.status, 404);
    assert.match(r.body, /\/readyz/);
  });

  test('the admin endpoints are not reachable through the gateway listener', async () => {
    assert.equal((await send('GET', `${gw.url}/metrics`)).status, 404);
    assert.equal((await send('GET', `${gw.url}/healthz`)).status, 404);
  });
});

describe('registry unit rules', () => {
  test('label values escape backslash, quote and newline', () => {
    assert.equal(escapeLabelValue('a\\b"c\nd'), 'a\\\\b\\"c\\nd');
  });

  test('past MAX_SERIES_PER_FAMILY new label sets fold into one `_other` series', () => {
    const metrics = createMetrics();
    for (let i = 0; i < MAX_SERIES_PER_FAMILY + 50; i++) metrics.sessionOperation(`op${i}` as 'create', 'ok');
    const m = parsePrometheus(metrics.render());
    const series = m.samples.filter((s) => s.name === 'portcullis_core_session_operations_total');
    assert.equal(series.length, MAX_SERIES_PER_FAMILY + 1);
    assert.equal(m.sum('portcullis_core_session_operations_total', { operation: '_other' }), 50);
  });
});

describe('/healthz and /readyz', () => {
  test('healthz: 200 with pid and uptime', async () => {
    const r = await send('GET', `${gw.adminUrl}/healthz`);
    assert.equal(r.status, 200);
    const body = JSON.parse(r.body) as { status: string; pid: number; uptimeSeconds: number };
    assert.equal(body.status, 'ok');
    assert.equal(body.pid, process.pid);
  });

  test('readyz: 200 when config is loaded and every authorizer is ready, with one check per authorizer', async () => {
    const r = await send('GET', `${gw.adminUrl}/readyz`);
    assert.equal(r.status, 200, r.body);
    const body = JSON.parse(r.body) as { ready: boolean; checks: Array<{ name: string; ready: boolean; detail: string }> };
    assert.equal(body.ready, true);
    assert.deepEqual(body.checks.map((c) => c.name), ['config', 'authorizer shop/jwt', 'authorizer shop/lam']);
  });

  test('readyz: 503 naming the authorizer whose issuer\'s JWKS was never fetched; an injected core check can fail it too', async () => {
    const downIssuer = idp.tenant('down', [key.jwk], { down: true }).issuer;
    const config = parseConfig({
      admin: { port: 0 },
      apis: [{
        name: 'api', protocol: 'http', stage: '$default',
        authorizers: { jwt: { authorizerType: 'JWT', jwtConfiguration: { issuer: downIssuer, audience: ['a'] }, jwksTimeoutInMillis: 200, jwksCooldownSeconds: 0 } },
        routes: { 'GET /x': { authorizerId: 'jwt', integration: { type: 'mock' } } },
      }],
    });
    let coreUp = true;
    const g = await startRaw(config, { port: 0, host: '127.0.0.1', logger: silentLogger, readinessChecks: { core: async () => ({ ready: coreUp, detail: coreUp ? 'database reachable' : 'database unreachable: ECONNREFUSED' }) } });
    try {
      const r = await send('GET', `${g.adminUrl}/readyz`);
      assert.equal(r.status, 503);
      const body = JSON.parse(r.body) as { ready: boolean; checks: Array<{ name: string; ready: boolean; detail: string }> };
      assert.equal(body.ready, false);
      const jwt = body.checks.find((c) => c.name === 'authorizer api/jwt')!;
      assert.equal(jwt.ready, false);
      assert.ok(jwt.detail.length > 0);
      assert.equal(body.checks.find((c) => c.name === 'core')?.ready, true);
      // Issuer comes back: ready once its keys are fetched (the next request triggers the fetch).
      idp.tenant('down', [key.jwk]);
      const t = await sign(key, { iss: downIssuer, aud: 'a', sub: 'u', exp: Math.floor(Date.now() / 1000) + 60 });
      await send('GET', `${g.url}/x`, { authorization: `Bearer ${t}` });
      const again = JSON.parse((await send('GET', `${g.adminUrl}/readyz`)).body) as { checks: Array<{ name: string; ready: boolean }> };
      assert.equal(again.checks.find((c) => c.name === 'authorizer api/jwt')?.ready, true);
      coreUp = false;
      const coreDown = await send('GET', `${g.adminUrl}/readyz`);
      assert.equal(coreDown.status, 503);
      assert.match(coreDown.body, /database unreachable/);
    } finally {
      await g.close();
    }
  });

  test('no `admin:` section, no admin listener', async () => {
    const g = await startRaw(parseConfig({ apis: [] }), { port: 0, host: '127.0.0.1', logger: silentLogger });
    try {
      assert.equal(g.adminUrl, null);
    } finally {
      await g.close();
    }
  });
});
