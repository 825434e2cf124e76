/**
 * `--dev-tokens` and `portcullis token mint` (beyond AWS): tokens for an issuer the machine cannot
 * reach (a Cognito user pool, as in the seeds' example), minted offline with the authorizer's
 * configured `iss` and first `aud`, accepted by a gateway started with `--dev-tokens` (real CLI
 * processes on 127.0.0.1:0) and by nothing else; the loud warnings; the refusal on a public address;
 * `POST /dev-tokens` on the admin listener; `portcullis token` naming the failed claim rule and the
 * discovery issuer mismatch with its fix.
 */
import { after, before, describe, test } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runTokenCommandWith } from '../../src/cli/token.ts';
import { createManualClock, systemClock } from '../../src/core/clock.ts';
import { tempDir } from '../helpers/gateway.ts';
import { adminUrlOf, killChildren, listeningUrl, send, startCli } from '../operations/helpers.ts';
import { claims, makeKey, NOW_MS, sign, startIdp, type Idp, type TestKey } from './fixtures.ts';

// A Cognito issuer nobody can reach from here (the .invalid TLD never resolves): only dev tokens pass.
const COGNITO = 'https://cognito-idp.eu-west-1.amazonaws.invalid/eu-west-1_Example';

function configText(host = '127.0.0.1') {
  return `server: { host: ${host}, port: 0, workers: 1 }
admin: { host: ${host}, port: 0 }
apis:
  - name: shop
    protocol: http
    stage: $default
    authorizers:
      cognito:
        authorizerType: JWT
        jwtConfiguration: { issuer: ${COGNITO}, audience: [app-client-1, app-client-2] }
        jwtTimeoutInMillis: 200
    routes:
      GET /orders:
        authorizerId: cognito
        authorizationScopes: [orders/read]
        integration: { type: mock, body: orders }
      POST /orders:
        authorizerId: cognito
        claims: { cognito:groups: { includes: editors } }
        integration: { type: mock, body: created }
`.replace('jwtTimeoutInMillis', 'jwksTimeoutInMillis');
}

async function run(argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runTokenCommandWith(argv, { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), readStdin: () => '', env: {}, clock: systemClock });
  return { code, stdout, stderr };
}

after(() => killChildren());

describe('dev tokens', () => {
  let dir: string;
  let config: string;
  before(() => {
    dir = tempDir();
    config = join(dir, 'portcullis.yaml');
    writeFileSync(config, configText());
  });

  test('a minted token carries the configured iss and first aud, and passes only a --dev-tokens gateway', { timeout: 60_000 }, async () => {
    const minted = await run(['mint', '--config', config, '--authorizer', 'cognito', '--claims', '{"sub":"u1","scope":"orders/read","cognito:groups":["readers"]}']);
    assert.equal(minted.code, 0, minted.stderr);
    const token = minted.stdout.trim();
    const payload = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString());
    assert.equal(payload.iss, COGNITO);
    assert.equal(payload.aud, 'app-client-1');
    assert.equal(payload.exp - payload.iat, 3600);
    assert.match(minted.stderr, /valid only for a gateway started with --dev-tokens/);

    const dev = startCli(['start', '--config', config, '--dev-tokens'], { cwd: dir });
    await dev.waitFor('portcullis admin');
    assert.match(dev.stderr(), /DEV TOKENS ARE ON/);
    const url = listeningUrl(dev);
    const admin = adminUrlOf(dev);
    assert.equal((await send('GET', `${url}/orders`, { authorization: `Bearer ${token}` })).status, 200);
    // The route's own rules still apply to dev tokens: scopes, claims.
    const post = await send('POST', `${url}/orders`, { authorization: `Bearer ${token}` });
    assert.equal(post.status, 403);
    assert.equal(JSON.parse(post.body).claimValidationErrors[0].id, 'cognito:groups');
    // Another process mints with the same key file; the admin listener mints too.
    const editor = (await run(['mint', '--config', config, '--authorizer', 'cognito', '--claims', '{"sub":"u2","cognito:groups":["editors"]}'])).stdout.trim();
    assert.equal((await send('POST', `${url}/orders`, { authorization: `Bearer ${editor}` })).status, 200);
    const viaAdmin = await send('POST', `${admin}/dev-tokens`, { 'content-type': 'application/json' }, JSON.stringify({ authorizer: 'cognito', claims: { sub: 'u3', scope: 'orders/read' }, expiresInSeconds: 60 }));
    assert.equal(viaAdmin.status, 200, viaAdmin.body);
    assert.equal((await send('GET', `${url}/orders`, { authorization: `Bearer ${JSON.parse(viaAdmin.body).token}` })).status, 200);
    assert.equal((await send('POST', `${admin}/dev-tokens`, { 'content-type': 'application/json' }, '{"authorizer":"nope"}')).status, 400);
    // /readyz says it loudly.
    const ready = JSON.parse((await send('GET', `${admin}/readyz`)).body) as { checks: Array<{ name: string; detail: string }> };
    assert.match(ready.checks.find((c) => c.name === 'dev tokens')!.detail, /WARNING: --dev-tokens is on/);
    dev.kill();
    await dev.exited;

    // The same config without --dev-tokens: the minted token is worth nothing.
    const real = startCli(['start', '--config', config], { cwd: dir });
    await real.waitFor('portcullis admin');
    const refused = await send('GET', `${listeningUrl(real)}/orders`, { authorization: `Bearer ${token}` });
    assert.equal(refused.status, 401);
    assert.equal((await send('POST', `${adminUrlOf(real)}/dev-tokens`, { 'content-type': 'application/json' }, '{"authorizer":"cognito"}')).status, 404);
    real.kill();
    await real.exited;
  });

  test('portcullis token --dev-tokens checks a minted token as the --dev-tokens gateway would', async () => {
    const token = (await run(['mint', '--config', config, '--authorizer', 'cognito', '--claims', '{"sub":"u1","scope":"orders/read"}'])).stdout.trim();
    const admitted = await run(['--config', config, '--route', 'GET /orders', '--dev-tokens', token]);
    assert.equal(admitted.code, 0, admitted.stdout + admitted.stderr);
    assert.match(admitted.stdout, /result: {2}ADMITTED/);
    const refused = await run(['--config', config, '--route', 'POST /orders', '--dev-tokens', token]);
    assert.equal(refused.code, 1);
    assert.match(refused.stdout, /failed rule: claims\["cognito:groups"\]: claim cognito:groups is absent \(required to include "editors"\)/);
    const withoutFlag = await run(['--config', config, '--route', 'GET /orders', token]);
    assert.equal(withoutFlag.code, 1);
    assert.match(withoutFlag.stdout, /result: {2}REFUSED 401/);
  });

  test('refused on a non-loopback listener unless forced', async () => {
    const d = tempDir({ 'portcullis.yaml': configText('0.0.0.0') });
    const child = startCli(['start', '--config', 'portcullis.yaml', '--dev-tokens'], { cwd: d });
    const { code } = await child.exited;
    assert.equal(code, 2);
    assert.match(child.stderr(), /--dev-tokens refused: 0\.0\.0\.0, 0\.0\.0\.0 is not a loopback address.*--force-dev-tokens/);
  });

  test('mint: unknown authorizer and bad claims are usage errors naming what exists', async () => {
    const a = await run(['mint', '--config', config, '--authorizer', 'cognitoo']);
    assert.equal(a.code, 2);
    assert.match(a.stderr, /no JWT authorizer "cognitoo" \(JWT authorizers: "cognito" \(API "shop"\)\)/);
    const b = await run(['mint', '--config', config, '--authorizer', 'cognito', '--claims', '[1]']);
    assert.equal(b.code, 2);
    assert.match(b.stderr, /--claims must be a JSON object/);
  });
});

describe('portcullis token explains more', () => {
  let idp: Idp;
  let key: TestKey;
  before(async () => {
    idp = await startIdp();
    key = await makeKey('exp-1');
  });
  after(() => idp.close());

  const cli = async (argv: string[]) => {
    let stdout = '';
    let stderr = '';
    const code = await runTokenCommandWith(argv, { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), readStdin: () => '', env: {}, clock: createManualClock(NOW_MS) });
    return { code, stdout, stderr };
  };

  test('the failed claim rule, by path, with SuperTokens\' body', async () => {
    const { issuer } = idp.tenant('rules', [key.jwk]);
    const dir = tempDir();
    const file = join(dir, 'p.yaml');
    writeFileSync(file, `apis:
  - name: a
    protocol: http
    stage: $default
    authorizers: { st: { authorizerType: JWT, jwtConfiguration: { issuer: ${issuer}, audience: [api://default] } } }
    routes:
      GET /wishlist: { authorizerId: st, claims: { st-ev.v: true }, integration: { type: mock } }
`);
    const token = await sign(key, claims(issuer, { 'st-ev': { v: false, t: 0 } }));
    const r = await cli(['--config', file, '--route', 'GET /wishlist', token]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /result: {2}REFUSED 403 \{"message":"invalid claim","claimValidationErrors":\[\{"id":"st-ev"/);
    assert.match(r.stdout, /failed rule: claims\["st-ev\.v"\]: claim st-ev\.v is false \(required: true\)/);
  });

  test("the Auth0 thread: discovery's issuer has a trailing slash the config lacks; both values and the fix", async () => {
    const tenant = idp.tenant('auth0', [key.jwk]);
    tenant.state.discoveryIssuer = `${tenant.issuer}/`;
    const dir = tempDir();
    const file = join(dir, 'p.yaml');
    writeFileSync(file, `apis:
  - name: a
    protocol: http
    stage: $default
    authorizers: { auth0: { authorizerType: JWT, jwtConfiguration: { issuer: ${tenant.issuer}, audience: [api://default] } } }
    routes:
      GET /x: { authorizerId: auth0, integration: { type: mock } }
`);
    const r = await cli(['--config', file, '--route', 'GET /x', await sign(key, claims(tenant.issuer))]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /reason: {2}unable to get the issuer's signing keys: the issuer in the OIDC discovery endpoint metadata does not match the configured issuer/);
    assert.ok(r.stdout.includes(`discovery: the OIDC discovery document of ${tenant.issuer} says its issuer is "${tenant.issuer}/"`), r.stdout);
    assert.ok(r.stdout.includes(`fix:     discovery issuer ${tenant.issuer}/ ≠ configured ${tenant.issuer}; the discovery document's issuer ends with "/": set jwtConfiguration.issuer to "${tenant.issuer}/"`), r.stdout);
  });

  test("a token whose iss differs: both values in the why line", async () => {
    const { issuer } = idp.tenant('iss', [key.jwk]);
    const dir = tempDir();
    const file = join(dir, 'p.yaml');
    writeFileSync(file, `apis:
  - name: a
    protocol: http
    stage: $default
    authorizers: { j: { authorizerType: JWT, jwtConfiguration: { issuer: ${issuer}, audience: [api://default] } } }
    routes:
      GET /x: { authorizerId: j, integration: { type: mock } }
`);
    const r = await cli(['--config', file, '--route', 'GET /x', await sign(key, claims(`${issuer}/`))]);
    assert.equal(r.code, 1);
    assert.ok(r.stdout.includes(`why:     issuer ${issuer}/ ≠ configured ${issuer}; the token's issuer ends with "/": set jwtConfiguration.issuer to "${issuer}/"`), r.stdout);
  });
});
