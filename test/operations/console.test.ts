/**
 * The decision log and the console's API (beyond AWS), against a real gateway on 127.0.0.1:0 with
 * real RS256 tokens and real Lambda authorizers: every decision is recorded with its reason in words
 * (signature invalid, both issuers on a mismatch, the failed claim rule, policy Deny on the ARN, a
 * cached decision), principal, client address and latency; secrets never appear; the SSE stream
 * delivers batches; the JSON-lines audit file rotates; an admin token guards the console.
 */
import { after, before, describe, test } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { parseConfig } from '../../src/config.ts';
import { ConfigError } from '../../src/core/errors.ts';
import { createDecisionLog, type DecisionInput } from '../../src/io/decision-log.ts';
import { startGateway, tempDir, type TestGateway } from '../helpers/gateway.ts';
import { makeKey, sign, startIdp, type Idp, type TestKey } from '../jwt/fixtures.ts';
import { AUTH_HANDLER, eventually, send } from './helpers.ts';

/** IAM-policy REQUEST authorizer: Allow unless the path is /admin; hands back a cookie in its context. */
const POLICY_HANDLER = String.raw`
export async function handler(event) {
  const deny = event.rawPath === '/policy/admin';
  return { principalId: 'ada', policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: deny ? 'Deny' : 'Allow', Resource: event.routeArn }] }, context: { setCookie: 'sAccessToken=secret-value', plan: 'pro' } };
}
`;

const mock = { type: 'mock', statusCode: 200, body: 'ok' };
let idp: Idp;
let key: TestKey;
let other: TestKey;
let issuer: string;
let gw: TestGateway;
let dir: string;

before(async () => {
  dir = tempDir({ 'auth.mjs': AUTH_HANDLER, 'policy.mjs': POLICY_HANDLER });
  idp = await startIdp();
  key = await makeKey('con-1');
  other = await makeKey('con-1', 'RS256', { modulusLength: 3072 }); // same kid, another key
  issuer = idp.tenant('console', [key.jwk]).issuer;
  gw = await startGateway(
    {
      admin: { port: 0 },
      decisionLog: { ringSize: 50, file: 'audit/decisions.jsonl', maxFileBytes: 4096, maxFiles: 2 },
      apis: [
        {
          name: 'shop',
          protocol: 'http',
          stage: '$default',
          authorizers: {
            jwt: { authorizerType: 'JWT', jwtConfiguration: { issuer, audience: ['api'] } },
            lam: { authorizerType: 'REQUEST', authorizerPayloadFormatVersion: '2.0', enableSimpleResponses: true, identitySource: '$request.header.Authorization', authorizerResultTtlInSeconds: 300, function: { handler: './auth.mjs' } },
            pol: { authorizerType: 'REQUEST', authorizerPayloadFormatVersion: '2.0', identitySource: '$request.header.x-id', function: { handler: './policy.mjs' } },
          },
          routes: {
            'GET /wishlist': { authorizerId: 'jwt', claims: { 'st-ev.v': true }, integration: mock },
            'GET /lam': { authorizerId: 'lam', integration: mock },
            'GET /policy/{p}': { authorizerId: 'pol', integration: mock },
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
});

const token = (claims: Record<string, unknown> = {}, k = key) => {
  const now = Math.floor(Date.now() / 1000);
  return sign(k, { iss: issuer, sub: 'user-1', aud: 'api', iat: now, exp: now + 600, 'st-ev': { v: true, t: 1 }, sessionHandle: 'sh-secret-88', refreshTokenHash1: 'rth-secret-77', ...claims });
};

async function decisions() {
  const r = await send('GET', `${gw.adminUrl}/console/api/decisions?limit=100`);
  assert.equal(r.status, 200);
  return (JSON.parse(r.body) as { decisions: Array<Record<string, any>> }).decisions;
}

describe('decision log', () => {
  test('each decision has its reason in words, principal, client address and latency; nothing secret', async () => {
    const good = await token();
    assert.equal((await send('GET', `${gw.url}/wishlist`, { authorization: `Bearer ${good}` })).status, 200);
    assert.equal((await send('GET', `${gw.url}/wishlist`, { authorization: `Bearer ${good}` })).status, 200);
    assert.equal((await send('GET', `${gw.url}/wishlist`, { authorization: `Bearer ${await token({}, other)}` })).status, 401);
    assert.equal((await send('GET', `${gw.url}/wishlist`, { authorization: `Bearer ${await token({ iss: `${issuer}/` })}` })).status, 401);
    assert.equal((await send('GET', `${gw.url}/wishlist`, { authorization: `Bearer ${await token({ 'st-ev': { v: false, t: 1 } })}` })).status, 403);
    assert.equal((await send('GET', `${gw.url}/lam`, { authorization: 'allow' })).status, 200);
    assert.equal((await send('GET', `${gw.url}/lam`, { authorization: 'allow' })).status, 200);
    assert.equal((await send('GET', `${gw.url}/policy/admin`, { 'x-id': 'a' })).status, 403);
    assert.equal((await send('GET', `${gw.url}/policy/home`, { 'x-id': 'a' })).status, 200);
    const ds = (await decisions()).slice(-9);
    assert.deepEqual(ds.map((d) => [d.routeKey, d.outcome, d.reason]), [
      ['GET /wishlist', 'allow', 'token verified'],
      ['GET /wishlist', 'allow', 'token verified (cached verification)'],
      ['GET /wishlist', 'unauthorized', 'signature is invalid'],
      ['GET /wishlist', 'unauthorized', `issuer ${issuer}/ ≠ configured ${issuer}; the token's issuer ends with "/": set jwtConfiguration.issuer to "${issuer}/"`],
      ['GET /wishlist', 'deny', 'claim st-ev.v is false (required: true)'],
      ['GET /lam', 'allow', 'isAuthorized: true'],
      ['GET /lam', 'allow', 'cached decision: isAuthorized: true'],
      ['GET /policy/{p}', 'deny', `policy Deny on arn:aws:execute-api:us-east-1:123456789012:${gw.gateway.apis[0]!.apiId}/$default/GET/policy/admin`],
      ['GET /policy/{p}', 'allow', `policy Allow on arn:aws:execute-api:us-east-1:123456789012:${gw.gateway.apis[0]!.apiId}/$default/GET/policy/home`],
    ]);
    assert.equal(ds[0]!.principal, 'user-1');
    assert.equal(ds[6]!.cached, true);
    assert.equal(ds[7]!.principal, 'ada');
    assert.match(ds[0]!.sourceIp, /^127\.0\.0\.1$|^::ffff:127\.0\.0\.1$/);
    assert.ok(ds.every((d) => typeof d.latencyMs === 'number' && d.status === (d.outcome === 'allow' ? null : d.outcome === 'deny' ? 403 : 401)));
    // Drill-down: decoded header and claims, signature redacted, the failed rule, the policy.
    const claimDenied = JSON.parse((await send('GET', `${gw.adminUrl}/console/api/decisions/${ds[4]!.seq}`)).body);
    assert.equal(claimDenied.token.header.kid, 'con-1');
    assert.deepEqual(claimDenied.token.payload['st-ev'], { v: false, t: 1 });
    assert.equal(claimDenied.token.signature, '[redacted]');
    assert.deepEqual(claimDenied.failedRules, [{ path: 'st-ev.v', id: 'st-ev', explanation: 'claim st-ev.v is false (required: true)' }]);
    assert.equal(ds[7]!.policy.statements[0].effect, 'Deny');
    assert.equal(ds[7]!.context.setCookie, '[redacted]');
    assert.equal(ds[7]!.context.plan, 'pro');
    // Never a secret: no raw token, no signature, no refresh-token hash, no cookie value.
    const all = JSON.stringify(await decisions());
    for (const secret of [good, good.split('.')[2]!, 'rth-secret-77', 'sh-secret-88', 'secret-value']) assert.ok(!all.includes(secret), `decision log leaks ${secret.slice(0, 12)}`);
  });

  test('the audit file gets every decision as a JSON line, rotated by size, with no secret', async () => {
    const good = await token();
    for (let i = 0; i < 40; i++) await send('GET', `${gw.url}/wishlist`, { authorization: `Bearer ${good}` });
    const file = join(dir, 'audit', 'decisions.jsonl');
    await eventually(() => existsSync(`${file}.1`), 5000, 'a rotated audit file');
    const lines = readFileSync(`${file}.1`, 'utf8').trim().split('\n');
    assert.ok(lines.length >= 1);
    const d = JSON.parse(lines[0]!);
    assert.equal(typeof d.seq, 'number');
    assert.equal(typeof d.reason, 'string');
    assert.ok(!readFileSync(`${file}.1`, 'utf8').includes(good.split('.')[2]!));
    assert.ok(!existsSync(`${file}.3`), 'maxFiles: 2 keeps two rotated files');
  });

  test('the SSE stream delivers batches of new decisions', async () => {
    const events: string[] = [];
    const req = request(`${gw.adminUrl}/console/api/stream`);
    const got = new Promise<void>((resolveGot, reject) => {
      req.on('response', (res) => {
        assert.equal(res.headers['content-type'], 'text/event-stream');
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          events.push(chunk);
          if (events.join('').includes('"path":"/lam","routeKey":"GET /lam"')) resolveGot();
        });
      });
      req.on('error', reject);
    });
    req.end();
    try {
      await new Promise((r) => setTimeout(r, 50));
      await send('GET', `${gw.url}/lam`, { authorization: 'allow-sse' });
      await got;
      const batches = [...events.join('').matchAll(/event: batch\ndata: (.*)\n/g)].map((m) => JSON.parse(m[1]!) as { decisions: Array<{ routeKey: string }>; omitted: number });
      assert.equal(batches.at(-1)!.decisions.at(-1)!.routeKey, 'GET /lam');
      assert.ok(batches.every((b) => b.omitted === 0));
    } finally {
      req.destroy();
    }
  });

  test('health: JWKS keys and last fetch, cache hits per authorizer', async () => {
    const h = JSON.parse((await send('GET', `${gw.adminUrl}/console/api/health`)).body);
    assert.equal(h.devTokens, false);
    const jwt = h.authorizers.find((a: { id: string }) => a.id === 'jwt');
    assert.equal(jwt.issuer, issuer);
    assert.equal(jwt.keys.keyCount, 1);
    assert.equal(typeof jwt.keys.fetchedAt, 'number');
    assert.ok(jwt.cache.hits >= 1);
    const lam = h.authorizers.find((a: { id: string }) => a.id === 'lam');
    assert.ok(lam.cache.hits >= 1);
  });

  test('the page is served on loopback', async () => {
    const r = await send('GET', `${gw.adminUrl}/console`);
    assert.equal(r.status, 200);
    assert.match(r.headers['content-type'] as string, /^text\/html/);
    assert.match(r.body, /authorization decisions/);
  });
});

describe('console access', () => {
  test('with admin.token: 401 without it, the token as bearer or via the cookie /console?token= sets', async () => {
    const adminToken = 'a-long-admin-token-0123456789';
    const g = await startGateway({ admin: { port: 0, token: adminToken }, apis: [] });
    try {
      assert.equal((await send('GET', `${g.adminUrl}/console/api/decisions`)).status, 401);
      assert.equal((await send('GET', `${g.adminUrl}/console/api/decisions`, { authorization: 'Bearer wrong' })).status, 401);
      assert.equal((await send('GET', `${g.adminUrl}/console/api/decisions`, { authorization: `Bearer ${adminToken}` })).status, 200);
      assert.equal((await send('GET', `${g.adminUrl}/console?token=nope`)).status, 401);
      assert.equal((await send('GET', `${g.adminUrl}/console/api/decisions`, { cookie: 'portcullis_admin=%E0%A4%A' })).status, 401, 'a malformed cookie is no token (and no crash)');
      const login = await send('GET', `${g.adminUrl}/console?token=${adminToken}`);
      assert.equal(login.status, 303);
      const cookie = String(login.headers['set-cookie']).split(';')[0]!;
      assert.match(String(login.headers['set-cookie']), /HttpOnly; SameSite=Strict/);
      assert.equal((await send('GET', `${g.adminUrl}/console`, { cookie })).status, 200);
      assert.equal((await send('GET', `${g.adminUrl}/metrics`)).status, 200, '/metrics stays open for scrapers');
    } finally {
      await g.close();
    }
  });

  test('a console on a public address without a token is a config error', () => {
    assert.throws(() => parseConfig({ admin: { host: '0.0.0.0', port: 9999, console: true } }, {}), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.deepEqual(err.issues.map((i) => `${i.path}: ${i.message}`), ['admin.token: is required to serve the console on 0.0.0.0, a non-loopback address (the console shows every authorization decision)']);
      return true;
    });
  });
});

test('the ring is bounded and batches are capped at high rates (what was left out is counted)', async () => {
  const log = createDecisionLog({ ringSize: 100 });
  const batches: Array<{ n: number; omitted: number }> = [];
  const stop = log.subscribe((b) => batches.push({ n: b.decisions.length, omitted: b.omitted }));
  const d: DecisionInput = { timeMs: 0, requestId: 'r', api: 'a', method: 'GET', path: '/', routeKey: 'GET /', authorizerId: 'j', authorizerKind: 'jwt', outcome: 'allow', status: null, error: null, principal: null, sourceIp: '127.0.0.1', latencyMs: 0, audit: undefined };
  for (let i = 0; i < 1000; i++) log.record(d);
  await eventually(() => batches.length > 0, 2000, 'a batch');
  stop();
  await log.close();
  assert.equal(log.size, 100);
  assert.equal(log.total, 1000);
  assert.deepEqual(batches, [{ n: 100, omitted: 900 }]);
});

test('with server.workers: 2, the primary\'s console shows every worker\'s decisions and health', { timeout: 60_000 }, async (t) => {
  const { killChildren, startCli, listeningUrl, adminUrlOf } = await import('./helpers.ts');
  t.after(() => killChildren());
  const d = tempDir({
    'auth.mjs': AUTH_HANDLER,
    'portcullis.yaml': `server: { port: 0, workers: 2 }
admin: { port: 0 }
apis:
  - name: shop
    protocol: http
    stage: $default
    authorizers:
      lam: { authorizerType: REQUEST, authorizerPayloadFormatVersion: '2.0', enableSimpleResponses: true, identitySource: $request.header.Authorization, function: { handler: ./auth.mjs } }
    routes:
      GET /lam: { authorizerId: lam, integration: { type: mock, body: ok } }
`,
  });
  const child = startCli(['start', '--config', 'portcullis.yaml'], { cwd: d });
  await child.waitFor('portcullis admin');
  const url = listeningUrl(child);
  const admin = adminUrlOf(child);
  for (let i = 0; i < 6; i++) assert.equal((await send('GET', `${url}/lam`, { authorization: i % 2 ? 'allow' : 'deny' }, undefined)).status, i % 2 ? 200 : 403);
  let seen: Array<{ outcome: string; reason: string }> = [];
  await eventually(async () => {
    seen = JSON.parse((await send('GET', `${admin}/console/api/decisions`)).body).decisions;
    return seen.length >= 6;
  }, 5000, 'six decisions at the primary');
  assert.deepEqual(seen.map((x) => x.outcome).sort(), ['allow', 'allow', 'allow', 'deny', 'deny', 'deny']);
  assert.ok(seen.some((x) => x.reason === 'isAuthorized: false'));
  const health = JSON.parse((await send('GET', `${admin}/console/api/health`)).body) as { authorizers: Array<{ id: string; worker: number }> };
  assert.equal(health.authorizers.length, 2, 'one entry per worker');
  assert.equal(new Set(health.authorizers.map((a) => a.worker)).size, 2);
  child.kill();
  await child.exited;
});
