/**
 * The gateway's own logs are JSON lines (level, time, msg), quiet by default, and never contain
 * tokens, cookies or passwords: requests carrying a bearer JWT, session cookies and a password
 * body go through failing paths (bad/expired/unknown-kid tokens, denying and crashing
 * authorizers, crashing and unreachable integrations, oversized bodies, unknown routes) against
 * the real CLI at debug level, and stdout, stderr and the access log are searched for them.
 */
import { after, before, describe, test } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { closedPort, tempDir } from '../helpers/gateway.ts';
import { makeKey, sign, startIdp, type Idp } from '../jwt/fixtures.ts';
import { AUTH_HANDLER, ECHO_HANDLER, killChildren, listeningUrl, send, startCli, type Child } from './helpers.ts';

const PASSWORD = 'hunter2-PASSWORD-7f3a9';
const REFRESH = 'opaque-refresh-SECRET-51c2';
const SESSION = 'cookie-SECRET-88d1e';
const BASIC = Buffer.from(`ada:${PASSWORD}`).toString('base64');

let idp: Idp;
let dir: string;

before(async () => {
  idp = await startIdp();
  dir = tempDir({ 'auth.mjs': AUTH_HANDLER, 'echo.mjs': ECHO_HANDLER });
});

after(async () => {
  await killChildren();
  await idp.close();
});

/** Every access-log variable that could carry request-derived text. */
const ACCESS_FORMAT = JSON.stringify({
  id: '$context.requestId', route: '$context.routeKey', path: '$context.path', status: '$context.status',
  authError: '$context.authorizer.error', message: '$context.error.message', messageString: '$context.error.messageString',
  type: '$context.error.responseType', integrationError: '$context.integrationErrorMessage', sub: '$context.authorizer.claims.sub',
  principal: '$context.authorizer.principalId',
});

describe('no secrets in logs', () => {
  let child: Child;
  const secrets: string[] = [PASSWORD, REFRESH, SESSION, BASIC];

  test('failing requests with a bearer JWT, cookies and a password body leave no trace of them', async () => {
    const known = await makeKey('sec-known');
    const unknown = await makeKey('sec-unknown');
    const { issuer } = idp.tenant('sec', [known.jwk]);
    const now = Math.floor(Date.now() / 1000);
    const base = { iss: issuer, sub: 'user-1', aud: 'api://default', iat: now - 10 };
    const tokens = {
      wrongAud: await sign(known, { ...base, aud: 'elsewhere', exp: now + 600 }),
      expired: await sign(known, { ...base, exp: now - 60 }),
      unknownKid: await sign(unknown, { ...base, exp: now + 600 }),
      valid: await sign(known, { ...base, exp: now + 600 }),
    };
    const tampered = `${tokens.valid.slice(0, -6)}AAAAAA`;
    for (const t of [...Object.values(tokens), tampered]) secrets.push(t, t.split('.')[2]!);
    const dead = await closedPort();
    writeFileSync(join(dir, 'portcullis.json'), JSON.stringify({
      server: { port: 0 },
      apis: [
        {
          name: 'http', protocol: 'http', stage: '$default',
          accessLogSettings: { format: ACCESS_FORMAT, destination: './access.log' },
          maxBodyBytes: 64,
          authorizers: {
            jwt: { authorizerType: 'JWT', jwtConfiguration: { issuer, audience: ['api://default'] }, jwksCooldownSeconds: 0 },
            lam: { authorizerType: 'REQUEST', authorizerPayloadFormatVersion: '2.0', enableSimpleResponses: true, identitySource: '$request.header.Authorization', function: { handler: './auth.mjs' } },
          },
          routes: {
            'POST /jwt': { authorizerId: 'jwt', integration: { type: 'lambda', handler: './echo.mjs' } },
            'POST /lam': { authorizerId: 'lam', integration: { type: 'lambda', handler: './echo.mjs' } },
            'POST /crash': { integration: { type: 'lambda', handler: './echo.mjs' } },
            'POST /down': { integration: { type: 'http', uri: `http://127.0.0.1:${dead}/x`, timeoutInMillis: 500 } },
          },
        },
        {
          name: 'rest', protocol: 'rest', stage: 'prod',
          accessLogSettings: { format: ACCESS_FORMAT, destination: './access.log' },
          authorizers: { tok: { authorizerType: 'TOKEN', identityValidationExpression: '^Bearer [a-z]+$', function: { handler: './auth.mjs' } } },
          routes: { 'POST /profile': { authorizerId: 'tok', integration: { type: 'mock', body: 'ok' } } },
        },
      ],
    }));
    child = startCli(['start', '--config', join(dir, 'portcullis.json')], { cwd: dir, env: { PORTCULLIS_LOG_LEVEL: 'debug' } });
    await child.waitFor('gateway listening on');
    const url = listeningUrl(child);
    const cookie = `sAccessToken=${tokens.valid}; sRefreshToken=${REFRESH}; session=${SESSION}`;
    const body = JSON.stringify({ email: 'ada@example.com', password: PASSWORD });
    const attempts: Array<[string, string, number]> = [
      ['/jwt', `Bearer ${tokens.wrongAud}`, 401],
      ['/jwt', `Bearer ${tokens.expired}`, 401],
      ['/jwt', `Bearer ${tokens.unknownKid}`, 401],
      ['/jwt', `Bearer ${tampered}`, 401],
      ['/jwt', `Basic ${BASIC}`, 401],
      ['/jwt', tokens.valid, 200], // AWS accepts the token without a "Bearer" prefix
      ['/lam', 'deny', 403],
      ['/lam', 'boom', 500],
      ['/crash?crash=1', `Bearer ${tokens.valid}`, 500],
      ['/down', `Bearer ${tokens.valid}`, 0],
      ['/nothing', `Bearer ${tokens.valid}`, 404],
      ['/prod/profile', `Bearer ${tokens.valid}`, 401], // TOKEN regex fails
      ['/prod/nothing', `Bearer ${tokens.valid}`, 403],
    ];
    for (const [path, authorization, status] of attempts) {
      const r = await send('POST', `${url}${path}`, { authorization, cookie, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) }, body);
      if (status) assert.equal(r.status, status, `${path}: ${r.body}`);
      else assert.ok(r.status >= 500, `${path}: ${r.status}`);
      for (const s of secrets) assert.ok(!r.body.includes(s), `response body of ${path} echoes a secret`);
    }
    // Oversized body (over maxBodyBytes): refused before any read.
    const big = JSON.stringify({ password: PASSWORD, pad: 'x'.repeat(200) });
    assert.equal((await send('POST', `${url}/jwt`, { authorization: `Bearer ${tokens.valid}`, cookie }, big)).status, 413);

    child.kill('SIGTERM');
    assert.equal((await child.exited).code, 0, child.stderr());
    const accessLog = readFileSync(join(dir, 'access.log'), 'utf8');
    assert.equal(accessLog.split('\n').filter(Boolean).length, attempts.length + 1);
    // The denials are explained without the credentials themselves.
    assert.match(accessLog, /the token does not have a valid audience/);
    const places: Array<[string, string]> = [['stdout', child.stdout()], ['stderr', child.stderr()], ['access log', accessLog]];
    for (const [where, text] of places) {
      for (const s of secrets) assert.ok(!text.includes(s), `${where} contains a secret (${s.slice(0, 12)}…)`);
      assert.ok(!/eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/.test(text), `${where} contains a JWT`);
    }
    // Whatever the gateway logged at debug level is JSON lines with level, time and msg.
    for (const line of child.stderr().split('\n').filter(Boolean)) {
      const parsed = JSON.parse(line) as Record<string, unknown>;
      assert.ok(typeof parsed.level === 'string' && typeof parsed.time === 'string' && typeof parsed.msg === 'string', line);
    }
  });

  test('quiet by default: a run of failing requests at the default level writes nothing to stderr', async () => {
    const quiet = startCli(['start', '--config', join(dir, 'portcullis.json')], { cwd: dir });
    try {
      await quiet.waitFor('gateway listening on');
      const url = listeningUrl(quiet);
      for (const path of ['/jwt', '/lam', '/nothing', '/prod/profile']) await send('POST', `${url}${path}`, { authorization: 'deny' });
    } finally {
      quiet.kill('SIGTERM');
      await quiet.exited;
    }
    assert.equal(quiet.stderr(), '');
  });
});
