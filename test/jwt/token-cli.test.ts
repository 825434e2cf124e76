/**
 * `portcullis token`: decoded header and claims, the verdict and the exact reason, through the
 * same plug-in the gateway runs.
 */
import { after, before, describe, test } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runTokenCommandWith } from '../../src/cli/token.ts';
import { createManualClock } from '../../src/core/clock.ts';
import { tempDir } from '../helpers/gateway.ts';
import { claims, makeKey, NOW_MS, NOW_S, sign, signRs256Raw, startIdp, type Idp, type TestKey } from './fixtures.ts';

describe('portcullis token', () => {
  let idp: Idp;
  let rsa: TestKey;
  let issuer: string;
  let config: string;
  before(async () => {
    idp = await startIdp();
    rsa = await makeKey('rsa-1');
    issuer = idp.tenant('cli', [rsa.jwk]).issuer;
    const dir = tempDir();
    config = join(dir, 'portcullis.yaml');
    writeFileSync(
      config,
      `apis:
  - name: orders
    protocol: http
    stage: $default
    authorizers:
      main:
        authorizerType: JWT
        jwtConfiguration:
          issuer: ${issuer}
          audience: [api://default]
    routes:
      GET /orders/{id}:
        authorizerId: main
        authorizationScopes: [orders:read]
        integration: { type: mock, body: ok }
      GET /open:
        integration: { type: mock, body: ok }
  - name: billing
    protocol: http
    stage: billing
    authorizers:
      main:
        authorizerType: JWT
        identitySource: $request.querystring.token
        jwtConfiguration:
          issuer: ${issuer}
          audience: [api://default]
    routes:
      GET /orders/{id}:
        authorizerId: main
        integration: { type: mock, body: ok }
`,
    );
  });
  after(() => idp.close());

  async function run(argv: string[], stdin = '') {
    let stdout = '';
    let stderr = '';
    const code = await runTokenCommandWith(argv, {
      stdout: (t) => void (stdout += t),
      stderr: (t) => void (stderr += t),
      readStdin: () => stdin,
      env: {},
      clock: createManualClock(NOW_MS),
    });
    return { code, stdout, stderr };
  }

  test('admits a good token and prints header, claims, times, keys and what the integration sees', async () => {
    const token = await sign(rsa, claims(issuer, { scope: 'orders:read', 'cognito:groups': ['a', 'b'] }));
    const r = await run(['--config', config, '--route', 'GET /orders/42', '--api', 'orders', `Bearer ${token}`]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^header:\n  \{\n    "alg": "RS256",\n    "kid": "rsa-1",/);
    assert.match(r.stdout, /claims \(decoded, not yet verified\):\n  \{\n    "iss": /);
    assert.match(r.stdout, /times:   iat 2024-06-18T14:46:30\.000Z \(10s ago\), exp 2024-06-18T15:46:40\.000Z \(in 60m\)/);
    assert.match(r.stdout, /route:   GET \/orders\/\{id\} \(API "orders", authorizer "main", issuer http:\/\/127\.0\.0\.1:\d+\/t\/cli, scopes: orders:read\)/);
    assert.match(r.stdout, /keys:    1 key from http:\/\/127\.0\.0\.1:\d+\/t\/cli\/jwks, fetched 0s ago/);
    assert.match(r.stdout, /result:  ADMITTED/);
    assert.match(r.stdout, /"cognito:groups": "\[a b\]"/);
    assert.match(r.stdout, /scopes:  \["orders:read"\]/);
  });

  test('refuses with the exact reason and the www-authenticate header the gateway would send', async () => {
    const token = await sign(rsa, claims(issuer, { scope: 'orders:read', exp: NOW_S - 1 }));
    const r = await run(['--config', config, '--route', 'GET /orders/{id}', '--api', 'orders', token]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /result:  REFUSED 401 \{"message":"Unauthorized"\}\nreason:  token is expired\nwww-authenticate: Bearer scope="" error="invalid_token" error_description="token is expired"\n$/);
  });

  test('scope refusal is a 403; --at moves the clock; - reads stdin; --json is machine-readable', async () => {
    const token = await sign(rsa, claims(issuer, { scope: 'orders:write' }));
    const r = await run(['--config', config, '--route', 'GET /orders/1', '--api', 'orders', '--json', '-'], `${token}\n`);
    assert.equal(r.code, 1);
    const report = JSON.parse(r.stdout) as { result: { status: number; reason: string }; claims: { scope: string } };
    assert.equal(report.result.status, 403);
    assert.equal(report.result.reason, "the token does not have any of the route's authorization scopes");
    assert.equal(report.claims.scope, 'orders:write');
    const later = await run(['--config', config, '--route', 'GET /orders/1', '--api', 'billing', '--at', String(NOW_S + 7200), token]);
    assert.equal(later.code, 1);
    assert.match(later.stdout, /reason:  token is expired/);
    const ok = await run(['--config', config, '--route', 'GET /orders/1', '--api', 'billing', '--at', '2024-06-18T15:00:00Z', token]);
    assert.equal(ok.code, 0, ok.stdout);
  });

  test('the same header and time-claim checks as the gateway: crit, b64 and a null exp are refused, the header still printed', async () => {
    const good = { ...claims(issuer), scope: 'orders:read' };
    const crit = await run(['--config', config, '--route', 'GET /orders/1', '--api', 'orders', signRs256Raw(rsa, good, { crit: ['x-unknown'], 'x-unknown': true })]);
    assert.equal(crit.code, 1, crit.stdout);
    assert.match(crit.stdout, /"crit": \[\n\s+"x-unknown"\n\s+\]/);
    assert.match(crit.stdout, /reason:  token header lists a critical extension that is not supported\nwww-authenticate: Bearer scope="" error="invalid_token" error_description="token header lists a critical extension that is not supported"\n$/);
    const b64 = await run(['--config', config, '--route', 'GET /orders/1', '--api', 'orders', signRs256Raw(rsa, good, { b64: false, crit: ['b64'] })]);
    assert.equal(b64.code, 1, b64.stdout);
    assert.match(b64.stdout, /reason:  token header has a b64 parameter, which is not supported\n/);
    const nullExp = await run(['--config', config, '--route', 'GET /orders/1', '--api', 'orders', await sign(rsa, { ...good, exp: null })]);
    assert.equal(nullExp.code, 1, nullExp.stdout);
    assert.match(nullExp.stdout, /reason:  token has an invalid exp claim\n/);
    // The control: the same claims without the hostile parts are admitted.
    assert.equal((await run(['--config', config, '--route', 'GET /orders/1', '--api', 'orders', signRs256Raw(rsa, good)])).code, 0);
  });

  test('a token that does not decode still gets its reason', async () => {
    const r = await run(['--config', config, '--route', 'GET /orders/1', '--api', 'orders', 'nonsense']);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^header:  \(cannot decode: token contains an invalid number of segments\)/);
    assert.match(r.stdout, /reason:  token contains an invalid number of segments/);
  });

  test('usage and config problems exit 2 with a clear message', async () => {
    assert.deepEqual(await run(['--route', 'GET /x', 't']).then((r) => [r.code, r.stderr.split('\n')[0]]), [2, 'portcullis token: missing --config FILE']);
    const ambiguous = await run(['--config', config, '--route', 'GET /orders/1', 't']);
    assert.equal(ambiguous.code, 2);
    assert.match(ambiguous.stderr, /matches routes in several APIs \("orders", "billing"\); pick one with --api NAME/);
    assert.match((await run(['--config', config, '--route', 'GET /nope', '--api', 'orders', 't'])).stderr, /no route matches "GET \/nope" in API "orders"/);
    assert.match((await run(['--config', config, '--route', 'GET /open', 't'])).stderr, /route "GET \/open" of API "orders" has no authorizer/);
    assert.match((await run(['--config', join(config, 'missing.yaml'), '--route', 'GET /open', 't'])).stderr, /does not exist|cannot read/);
  });
});
