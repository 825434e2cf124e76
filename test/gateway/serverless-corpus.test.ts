/**
 * Real serverless.yml files nobody here wrote (test/fixtures/serverless/corpus/, sources and licences
 * in its SOURCES.md), read as they are, started, and exercised with requests: every authorizer is
 * enforced. Only the handlers beside them are ours (the originals verify real Auth0/Cognito tokens).
 * What Portcullis cannot run locally (aws_iam, a Go runtime) is refused with exit 2, never served open.
 */
import { test } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readServerless, type ReaderResult } from '../../src/readers/serverless.ts';
import { startGateway } from '../helpers/gateway.ts';
import { makeKey, sign, startIdp } from '../jwt/fixtures.ts';
import { send } from '../operations/helpers.ts';

const CORPUS = new URL('../fixtures/serverless/corpus/', import.meta.url).pathname;

function read(dir: string, options: Parameters<typeof readServerless>[2] = {}): ReaderResult & { file: string } {
  const file = join(CORPUS, dir, 'serverless.yml');
  return { ...readServerless(readFileSync(file, 'utf8'), file, { env: {}, ...options }), file };
}

async function start(t: { after(fn: () => unknown): void }, dir: string, edit?: (config: Record<string, unknown>) => void) {
  const r = read(dir);
  assert.deepEqual(r.errors, []);
  edit?.(r.config!);
  const gw = await startGateway(r.config, { baseDir: join(CORPUS, dir), t });
  return { url: gw.url, warnings: r.warnings.map((w) => `${w.path}: ${w.message}`) };
}

const json = (body: string) => JSON.parse(body) as Record<string, unknown>;

test('serverless-offline authorizer: REST TOKEN authorizers by function name (callback, async, context) under /dev', async (t) => {
  const { url, warnings } = await start(t, 'so-authorizer');
  assert.deepEqual(warnings, ['plugins: Portcullis runs no Serverless plugins; ignored: ../../../src/index.js']);
  assert.equal((await send('GET', `${url}/dev/user1`)).status, 401, 'no token: 401 before the authorizer');
  assert.equal((await send('GET', `${url}/dev/user1`, { authorization: 'Bearer nope' })).status, 401);
  assert.equal((await send('GET', `${url}/dev/user1`, { authorization: 'Bearer deny' })).status, 403);
  const ok = await send('GET', `${url}/dev/user1`, { authorization: 'Bearer allow' });
  assert.equal(ok.status, 200);
  assert.equal(json(ok.body).principalId, 'user-callback');
  assert.equal(json((await send('GET', `${url}/dev/user2`, { authorization: 'Bearer allow' })).body).principalId, 'user-async');
  const ctx = json((await send('GET', `${url}/dev/context`, { authorization: 'Bearer allow' })).body);
  assert.deepEqual(ctx.authorizer, { principalId: 'user-context', bool: 'true', number: '7', string: 'text', integrationLatency: (ctx.authorizer as Record<string, unknown>).integrationLatency });
  assert.equal((await send('GET', `${url}/user1`, { authorization: 'Bearer allow' })).status, 403, 'REST routes live under /{stage} only (AWS: Missing Authentication Token)');
});

test('serverless-offline request-authorizer: HTTP API REQUEST authorizers, payload 1.0 / 2.0 / simple responses, header and query sources', async (t) => {
  const { url } = await start(t, 'so-request-authorizer');
  const get = (path: string, headers: Record<string, string> = {}) => send('GET', `${url}${path}`, headers);
  assert.equal((await get('/user1-header')).status, 401, 'missing identity source');
  assert.equal((await get('/user1-header', { authorization: 'Bearer nope' })).status, 403);
  const v1 = await get('/user1-header', { authorization: 'Bearer allow' });
  assert.equal(v1.status, 200);
  assert.deepEqual((json(v1.body).authorizer as Record<string, unknown>).lambda, { format: 'policy' }, 'the integration gets payload 2.0 (provider.httpApi.payload unset)');
  const v2 = await get('/user2-header', { authorization: 'Bearer allow' });
  assert.equal(v2.status, 200);
  assert.deepEqual((json(v2.body).authorizer as Record<string, unknown>).lambda, { format: 'policy' });
  assert.equal((await get('/user2simple-header', { authorizationsimple: 'allow' })).status, 200);
  assert.equal((await get('/user2simple-header', { authorizationsimple: 'no' })).status, 403);
  assert.equal((await get('/user2simple-header-alternative', { authorizationsimple: 'allow' })).status, 200);
  assert.equal((await get('/user1-querystring?query1=allow')).status, 200);
  assert.equal((await get('/user2-querystring?query2=allow')).status, 200);
  assert.equal((await get('/user2-querystring?query2=no')).status, 403);
  assert.equal((await get('/user2simple-querystring')).status, 401);
  assert.equal((await get('/user1-no-authorizer')).status, 200);
  assert.equal(json((await get('/user2-no-authorizer')).body).version, '2.0');
});

test('serverless-offline restApi-authorizers: REQUEST authorizers with one and two headers, `$request.header` sources as method.request', async (t) => {
  const { url, warnings } = await start(t, 'so-restApi-authorizers');
  assert.ok(warnings.some((w) => w.startsWith('functions.restapi-authorizers.events[0].http.integration: the lambda (non-proxy) integration') && w.endsWith('(4 events)')), warnings.join('\n'));
  for (const kind of ['method', 'dollar']) {
    assert.equal((await send('GET', `${url}/dev/single-header-${kind}`)).status, 401);
    const single = await send('GET', `${url}/dev/single-header-${kind}`, { Authorization: 'allow' });
    assert.equal(json(single.body).principalId, 'single', `${single.status} ${single.body}`);
    assert.equal((await send('GET', `${url}/dev/multi-header-${kind}`, { Authorization: 'allow' })).status, 401, 'one of two identity sources missing');
    assert.equal(json((await send('GET', `${url}/dev/multi-header-${kind}`, { Authorization: 'allow', UserId: '7' })).body).principalId, 'multi-7');
  }
});

test('serverless-offline jwt-authorizer: JWT authorizers check signature, issuer, audience and scopes (issuers pointed at a local IdP)', async (t) => {
  const idp = await startIdp();
  t.after(() => idp.close());
  const key = await makeKey('corpus-1');
  const other = await makeKey('corpus-forger');
  const cognito = idp.tenant('cognito', [key.jwk]);
  const okta = idp.tenant('okta', [key.jwk]);
  // The file's issuers are Cognito's and Okta's; the test has no network, so they move to the local IdP.
  const { url } = await start(t, 'so-jwt-authorizer', (config) => {
    const auths = (config.apis as Array<{ authorizers: Record<string, { jwtConfiguration: { issuer: string; audience: string[] } }> }>)[0]!.authorizers;
    assert.equal(auths.jwtAuth!.jwtConfiguration.issuer, 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_notreal');
    assert.deepEqual(auths.oktaJwtAuthorizer!.jwtConfiguration.audience, ['api://default']);
    auths.jwtAuth!.jwtConfiguration.issuer = cognito.issuer;
    auths.oktaJwtAuthorizer!.jwtConfiguration.issuer = okta.issuer;
  });
  const now = Math.floor(Date.now() / 1000);
  const token = (iss: string, aud: string, scope?: string, k = key) => sign(k, { iss, aud, sub: 'u-1', iat: now, exp: now + 600, ...(scope ? { scope } : {}) });
  const cognitoAud = 'ZjE4ZGVlYzUtMDU1Ni00ZWM4LThkMDAtYTlkMmIzNWE4NTNj';
  const bearer = async (tok: Promise<string> | string) => ({ authorization: `Bearer ${await tok}` });
  assert.equal((await send('GET', `${url}/user1`)).status, 401);
  const ok = await send('GET', `${url}/user1`, await bearer(token(cognito.issuer, cognitoAud)));
  assert.equal(ok.status, 200, ok.body);
  // provider.httpApi.payload is 1.0 in this file: AWS's 1.0 shape is { claims, scopes } (2.0 nests it under jwt).
  const authorizer = json(ok.body) as { claims: Record<string, string>; scopes: unknown };
  assert.equal(authorizer.claims.sub, 'u-1');
  assert.equal(authorizer.claims.aud, cognitoAud);
  assert.equal(authorizer.scopes, null);
  assert.equal((await send('GET', `${url}/user1`, await bearer(token(cognito.issuer, cognitoAud, undefined, other)))).status, 401, 'forged signature');
  assert.equal((await send('GET', `${url}/user1`, await bearer(token(cognito.issuer, 'someone-else')))).status, 401, 'wrong audience');
  assert.equal((await send('GET', `${url}/user1`, await bearer(token(okta.issuer, cognitoAud)))).status, 401, 'wrong issuer');
  assert.equal((await send('GET', `${url}/user2`, await bearer(token(cognito.issuer, cognitoAud)))).status, 403, 'scope email missing');
  assert.equal((await send('GET', `${url}/user2`, await bearer(token(cognito.issuer, cognitoAud, 'email')))).status, 200);
  assert.equal((await send('GET', `${url}/user3`, await bearer(token(okta.issuer, 'api://default', 'profile')))).status, 200);
  const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ iss: okta.issuer, aud: 'api://default', scope: 'openid' })).toString('base64url')}.`;
  assert.equal((await send('GET', `${url}/user3`, { authorization: `Bearer ${none}` })).status, 401, 'alg none');
});

test('serverless-offline httpApi-cors: the HTTP API answers preflights from provider.httpApi.cors', async (t) => {
  const { url } = await start(t, 'so-httpApi-cors');
  const pre = await send('OPTIONS', `${url}/user`, { origin: 'http://www.mytestapp.com', 'access-control-request-method': 'GET' });
  assert.equal(pre.status, 204);
  assert.equal(pre.headers['access-control-allow-origin'], 'http://www.mytestapp.com');
  assert.equal(pre.headers['access-control-allow-credentials'], 'true');
  assert.equal(pre.headers['access-control-max-age'], '60');
  const get = await send('GET', `${url}/user`, { origin: 'http://www.myothertestapp.com' });
  assert.equal(get.status, 200);
  assert.equal(get.headers['access-control-expose-headers'], 'status,origin');
  const stranger = await send('GET', `${url}/user`, { origin: 'http://evil.example' });
  assert.equal(stranger.headers['access-control-allow-origin'], undefined);
});

test('serverless-offline no-identity-source-authorizer: a REST REQUEST authorizer without identity source runs on every request', async (t) => {
  const { url } = await start(t, 'so-no-identity-source-authorizer');
  assert.equal(json((await send('GET', `${url}/dev/hello`)).body).principalId, 'anonymous');
  assert.equal((await send('GET', `${url}/dev/hello?deny=1`)).status, 403);
});

test('serverless/examples auth0 custom authorizers: ${file()} variables (JSON key, PEM text), REST cors, gateway responses', async (t) => {
  const { url } = await start(t, 'ex-auth0-custom-authorizers');
  assert.equal((await send('POST', `${url}/dev/api/public`)).status, 200);
  const denied = await send('POST', `${url}/dev/api/private`, { authorization: 'Bearer bad' });
  assert.equal(denied.status, 401);
  assert.equal(denied.headers['access-control-allow-origin'], '*', 'the UNAUTHORIZED gateway response resource');
  assert.equal(denied.headers['access-control-allow-headers'], '*');
  const ok = await send('POST', `${url}/dev/api/private`, { authorization: 'Bearer ok' });
  assert.equal(ok.status, 200, ok.body);
  assert.equal(json(ok.body).principalId, 'client-id-from-secrets-json', 'provider.environment from ${file(./secrets.json):AUTH0_CLIENT_ID}');
  const pre = await send('OPTIONS', `${url}/dev/api/private`);
  assert.equal(pre.status, 200);
  assert.equal(pre.headers['access-control-allow-origin'], '*');
  assert.equal(pre.headers['access-control-allow-methods'], 'OPTIONS,POST');
});

test('serverless/examples auth0-cognito custom authorizers: token authorizer by name, lambda integration served as proxy', async (t) => {
  const { url, warnings } = await start(t, 'ex-auth0-cognito-custom-authorizers');
  assert.equal(warnings.length, 1, warnings.join('\n'));
  assert.equal((await send('GET', `${url}/dev/api/public`)).status, 200);
  assert.equal((await send('GET', `${url}/dev/api/private`)).status, 401);
  assert.equal(json((await send('GET', `${url}/dev/api/private`, { authorization: 'Bearer ok' })).body).message, 'Hi cognito-user from Private API');
});

test('what cannot run locally is refused, not served open: aws_iam authorizers, a Go runtime', () => {
  assert.deepEqual(read('so-override-authorizer').errors.map((e) => e.path), ['functions.user.events[0].http.authorizer.type', 'functions.user.events[1].httpApi.authorizer.type']);
  assert.deepEqual(read('ex-golang-auth').errors, [{ path: 'provider.runtime', message: 'go1.x: Portcullis runs Node.js, Python 3.9-3.13 and provided runtimes (nodejs18.x, nodejs20.x, nodejs22.x, python3.9, python3.10, python3.11, python3.12, python3.13, provided, provided.al2, provided.al2023)' }]);
});
