/**
 * Readiness recovers without traffic: a gateway started while its JWT issuer is unreachable retries
 * discovery + JWKS in the background (io/keys.ts: 1 s, then doubling up to 30 s, whatever the
 * unknown-kid cooldown), so `/readyz` turns 200 soon after the issuer comes up even though no
 * request reaches the gateway (a load balancer routing on `/readyz` would send none). The retry
 * timer stops when the gateway closes or a reload replaces the authorizer.
 */
import { describe, test } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { parseConfig } from '../../src/config.ts';
import { startGateway, type RunningGateway } from '../../src/gateway.ts';
import type { JwtAuthorizer } from '../../src/authorizers/jwt.ts';
import { silentLogger } from '../../src/io/logger.ts';
import { closedPort } from '../helpers/gateway.ts';
import { makeKey, sign, type TestKey } from '../jwt/fixtures.ts';
import { eventually, parsePrometheus, send } from './helpers.ts';

/** A real OIDC issuer on `port`: discovery and a JWKS exported by jose (fixtures.makeKey). */
async function startIssuer(port: number, key: TestKey): Promise<{ issuer: string; hits: () => number; close(): Promise<void> }> {
  const issuer = `http://127.0.0.1:${port}`;
  let hits = 0;
  const server: Server = createServer((req, res) => {
    hits++;
    const body =
      req.url === '/.well-known/openid-configuration' ? { issuer, jwks_uri: `${issuer}/jwks` } : req.url === '/jwks' ? { keys: [key.jwk] } : null;
    if (body === null) res.writeHead(404).end();
    else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    issuer,
    hits: () => hits,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function configFor(issuer: string, authorizer: Record<string, unknown> = {}) {
  return parseConfig({
    admin: { port: 0 },
    apis: [{
      name: 'api', protocol: 'http', stage: '$default',
      // The default unknown-kid cooldown (300 s) stays: the background retry must not wait for it.
      authorizers: { jwt: { authorizerType: 'JWT', jwtConfiguration: { issuer, audience: ['a'] }, ...authorizer } },
      routes: { 'GET /x': { authorizerId: 'jwt', integration: { type: 'mock', body: 'ok' } } },
    }],
  });
}

function jwtAuthorizerOf(g: RunningGateway): JwtAuthorizer {
  return g.gateway.apis[0]!.authorizers.get('jwt') as JwtAuthorizer;
}

async function jwksErrors(g: RunningGateway, issuer: string): Promise<number> {
  return parsePrometheus((await send('GET', `${g.adminUrl}/metrics`)).body).sum('portcullis_jwks_fetches_total', { issuer, outcome: 'error' });
}

describe('JWKS unreachable at start', () => {
  test('/readyz turns 200 within 10 s of the issuer coming up, with no request to the gateway', { timeout: 60_000 }, async (t) => {
    const key = await makeKey('ready-1');
    // Reserved now, listened on only later: the gateway starts against a refused port.
    const port = await closedPort();
    const issuer = `http://127.0.0.1:${port}`;
    const g = await startGateway(configFor(issuer), { port: 0, host: '127.0.0.1', logger: silentLogger });
    t.after(() => g.close());

    const down = await send('GET', `${g.adminUrl}/readyz`);
    assert.equal(down.status, 503, down.body);
    assert.match(down.body, /no keys: the OIDC discovery endpoint could not be reached \(ECONNREFUSED\)/);
    // Two start-up prefetches failed, then the first background retry (1 s later) fails too:
    // fetches go on with nothing but the timer driving them.
    await eventually(async () => (await jwksErrors(g, issuer)) >= 3, 10_000, 'a background retry while the issuer is down');
    assert.equal(jwtAuthorizerOf(g).status().keys.retryScheduled, true);

    const idp = await startIssuer(port, key);
    t.after(() => idp.close());
    const upAt = Date.now();
    await eventually(async () => (await send('GET', `${g.adminUrl}/readyz`)).status === 200, 10_000, '/readyz 200 after the issuer came up');
    const waitedMs = Date.now() - upAt;
    assert.ok(idp.hits() >= 2, 'discovery and JWKS were fetched from the issuer');
    const status = jwtAuthorizerOf(g).status();
    assert.equal(status.ready, true);
    assert.equal(status.keys.retryScheduled, false, 'retries end once keys are loaded');
    t.diagnostic(`ready ${waitedMs} ms after the issuer started listening`);

    // The keys fetched in the background admit a real token.
    const token = await sign(key, { iss: issuer, aud: 'a', sub: 'u', exp: Math.floor(Date.now() / 1000) + 60 });
    assert.equal((await send('GET', `${g.url}/x`, { authorization: `Bearer ${token}` })).status, 200);
  });

  test('the background retry stops when a reload replaces the authorizer and when the gateway closes', async (t) => {
    const issuer = `http://127.0.0.1:${await closedPort()}`;
    const g = await startGateway(configFor(issuer, { jwksTimeoutInMillis: 500 }), { port: 0, host: '127.0.0.1', logger: silentLogger });
    t.after(() => g.close());
    const first = jwtAuthorizerOf(g);
    assert.equal(first.status().ready, false);
    assert.equal(first.status().keys.retryScheduled, true);

    await g.reload(configFor(issuer, { jwksTimeoutInMillis: 400 }));
    const second = jwtAuthorizerOf(g);
    assert.notEqual(second, first);
    assert.equal(first.status().keys.retryScheduled, false, 'the replaced authorizer retries no more');
    assert.equal(second.status().keys.retryScheduled, true);

    await g.close();
    assert.equal(second.status().keys.retryScheduled, false, 'close stops the retry');
    // A failed fetch after close (a straggling request) schedules none either.
    await second.warmUp();
    assert.equal(second.status().keys.retryScheduled, false);
  });
});
