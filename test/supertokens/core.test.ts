// The core over raw CDI HTTP: gatekeeping texts, session state machine with an injected clock,
// key rotation, cleanup, password import. SQLite; the PostgreSQL paths run in concurrency.test.ts.
import { after, before, describe, it } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import bcrypt from 'bcryptjs';
import { hash as argon2Hash } from '@node-rs/argon2';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { createManualClock } from '../../src/core/clock.ts';
import { cdiClient, decodeJwtPart, startTestCore, type TestCore } from './helpers.ts';
import { coreConfigSchema } from '../../src/supertokens/index.ts';

const HOUR = 3_600_000;

function createBody(userId: string, extra: Record<string, unknown> = {}) {
  return { userId, userDataInJWT: { iss: 'https://x/auth' }, userDataInDatabase: {}, useDynamicSigningKey: true, enableAntiCsrf: false, ...extra };
}

describe('CDI gatekeeping', () => {
  let t: TestCore;
  let cdi: ReturnType<typeof cdiClient>;
  before(async () => {
    t = await startTestCore('sqlite', { tenantIds: ['public', 'tenant1'] });
    cdi = cdiClient(t.core.url);
  });
  after(() => t.dispose());

  it('GET /hello and /apiversion answer without cdi-version; /apiversion advertises 2.21 to 5.4', async () => {
    const hello = await cdiClient(t.core.url, {}).get('/hello');
    assert.equal(hello.text, 'Hello');
    assert.match(hello.headers.get('content-type') ?? '', /^text\/plain/);
    assert.deepEqual((await cdiClient(t.core.url, {}).get('/apiversion?apiDomain=x&websiteDomain=y')).json, {
      versions: ['2.21', '3.0', '3.1', '4.0', '5.0', '5.1', '5.2', '5.3', '5.4'],
    });
  });

  it('cdi-version is required and checked', async () => {
    const missing = await cdiClient(t.core.url, {}).get('/recipe/roles');
    assert.deepEqual([missing.status, missing.text], [400, 'cdi-version not provided']);
    for (const version of ['2.9', '5.5', '5', 'x']) {
      const wrong = await cdiClient(t.core.url, { 'cdi-version': version }).get('/recipe/roles');
      assert.deepEqual(
        [wrong.status, wrong.text],
        [400, `cdi-version ${version} not supported; this core supports 2.21 to 5.4 (2.21, 3.0, 3.1, 4.0, 5.0, 5.1, 5.2, 5.3, 5.4)`],
      );
    }
  });

  it('input errors are 400 with the core texts', async () => {
    const badJson = await cdi.post('/public/recipe/session', '{not json');
    assert.deepEqual([badJson.status, badJson.text], [400, 'Invalid Json Input']);
    const missingField = await cdi.post('/public/recipe/session', { userDataInJWT: {} });
    assert.deepEqual([missingField.status, missingField.text], [400, "Field name 'userId' is invalid in JSON input"]);
    const missingQuery = await cdi.get('/recipe/session');
    assert.deepEqual([missingQuery.status, missingQuery.text], [400, "Field name 'sessionHandle' is missing in GET request"]);
    const emptyPassword = await cdi.post('/public/recipe/signup', { email: 'a@b.c', password: '' });
    assert.deepEqual([emptyPassword.status, emptyPassword.text], [400, 'Password cannot be an empty string']);
    for (const field of ['sub', 'exp', 'iat', 'sessionHandle', 'refreshTokenHash1', 'parentRefreshTokenHash1', 'antiCsrfToken', 'tId', 'rsub']) {
      const r = await cdi.post('/public/recipe/session', createBody('u', { userDataInJWT: { [field]: 'x' } }));
      assert.deepEqual([r.status, r.text], [400, 'The user payload contains protected field'], field);
    }
  });

  it('tenant and app prefixes: public defaults, case-insensitive, unknown ones refused, app APIs public-only', async () => {
    assert.equal((await cdi.get('/PUBLIC/recipe/user/roles?userId=u')).json.status, 'OK');
    assert.equal((await cdi.get('/appid-public/tenant1/recipe/user/roles?userId=u')).json.status, 'OK');
    assert.equal((await cdi.get('/appid-PUBLIC/recipe/roles')).json.status, 'OK');
    const unknownTenant = await cdi.get('/nope/recipe/user/roles?userId=u');
    assert.equal(unknownTenant.status, 400);
    assert.match(unknownTenant.text, /^AppId or tenantId not found => .*\(, public, nope\)$/);
    const appOnly = await cdi.get('/tenant1/recipe/roles');
    assert.deepEqual([appOnly.status, appOnly.text], [403, 'Only public tenantId can call this app specific API']);
    assert.equal((await cdi.get('/no/such/api')).status, 404);
    assert.equal((await cdi.call('DELETE', '/recipe/roles')).status, 405);
  });

  it('sessions and users are tenant-scoped; the handle carries the tenant', async () => {
    const created = await cdi.post('/tenant1/recipe/session', createBody('u-t'));
    assert.equal(created.json.session.tenantId, 'tenant1');
    assert.match(created.json.session.handle, /_tenant1$/);
    assert.equal(decodeJwtPart(created.json.accessToken.token, 1).tId, 'tenant1');
    const signUp = await cdi.post('/tenant1/recipe/signup', { email: 'T@x.io', password: 'pw' });
    assert.deepEqual(signUp.json.user.tenantIds, ['tenant1']);
    assert.deepEqual((await cdi.get('/public/users/by-accountinfo?email=t@x.io&doUnionOfAccountInfo=true')).json.users, []);
    assert.equal((await cdi.get('/tenant1/users/by-accountinfo?email=t@x.io')).json.users.length, 1);
    assert.deepEqual((await cdi.get('/tenant1/recipe/multitenancy/tenant/v2')).json, {
      status: 'OK',
      tenantId: 'tenant1',
      thirdParty: { providers: [] },
      coreConfig: {},
    });
  });

  it('imported bcrypt ($2a/$2b/$2y) and argon2 hashes verify at sign-in; malformed hashes are refused', async () => {
    for (const [i, prefix] of ['$2a$', '$2b$', '$2y$'].entries()) {
      const hash = prefix + bcrypt.hashSync('imported-pw', 4).slice(4);
      const r = await cdi.post('/public/recipe/user/passwordhash/import', { email: `imp${i}@x.io`, passwordHash: hash });
      assert.equal(r.json.status, 'OK');
      assert.equal((await cdi.post('/public/recipe/signin', { email: `imp${i}@x.io`, password: 'imported-pw' })).json.status, 'OK');
      assert.equal((await cdi.post('/public/recipe/signin', { email: `imp${i}@x.io`, password: 'nope' })).json.status, 'WRONG_CREDENTIALS_ERROR');
    }
    const argon = await argon2Hash('argon-pw', { memoryCost: 1024, timeCost: 1 });
    assert.equal((await cdi.post('/public/recipe/user/passwordhash/import', { email: 'argon@x.io', passwordHash: argon })).json.status, 'OK');
    assert.equal((await cdi.post('/public/recipe/signin', { email: 'argon@x.io', password: 'argon-pw' })).json.status, 'OK');
    const bad = await cdi.post('/public/recipe/user/passwordhash/import', { email: 'x@x.io', passwordHash: 'plaintext' });
    assert.equal(bad.status, 400);
  });
});

describe('password reset tokens', () => {
  let t: TestCore;
  let cdi: ReturnType<typeof cdiClient>;
  before(async () => {
    t = await startTestCore('sqlite');
    cdi = cdiClient(t.core.url);
  });
  after(() => t.dispose());

  it('a token is issued only for the user\'s own email (trimmed, any case); another email or a missing one is refused', async () => {
    const alice = (await cdi.post('/public/recipe/signup', { email: 'alice@example.com', password: 'pw-alice-1' })).json.user.id as string;
    await cdi.post('/public/recipe/signup', { email: 'bob@example.com', password: 'pw-bob-1' });
    for (const email of ['attacker@evil.com', 'bob@example.com']) {
      const refused = await cdi.post('/public/recipe/user/password/reset/token', { userId: alice, email });
      assert.deepEqual([refused.status, refused.json], [200, { status: 'UNKNOWN_USER_ID_ERROR' }], email);
    }
    const missing = await cdi.post('/public/recipe/user/password/reset/token', { userId: alice });
    assert.deepEqual([missing.status, missing.text], [400, "Field name 'email' is invalid in JSON input"]);
    const unknown = await cdi.post('/public/recipe/user/password/reset/token', { userId: 'no-such-user', email: 'alice@example.com' });
    assert.deepEqual(unknown.json, { status: 'UNKNOWN_USER_ID_ERROR' });

    const issued = await cdi.post('/public/recipe/user/password/reset/token', { userId: alice, email: ' Alice@Example.COM ' });
    assert.equal(issued.json.status, 'OK');
    const consumed = await cdi.post('/public/recipe/user/password/reset/token/consume', { token: issued.json.token });
    assert.deepEqual(consumed.json, { status: 'OK', userId: alice, email: 'alice@example.com' });
    const again = await cdi.post('/public/recipe/user/password/reset/token/consume', { token: issued.json.token });
    assert.deepEqual(again.json, { status: 'RESET_PASSWORD_INVALID_TOKEN_ERROR' });
  });
});

describe('session semantics with an injected clock', () => {
  const clock = createManualClock(Date.UTC(2030, 0, 1));
  let t: TestCore;
  let cdi: ReturnType<typeof cdiClient>;
  before(async () => {
    t = await startTestCore('sqlite', {
      clock,
      disableTimers: true,
      accessTokenValiditySeconds: 60,
      accessTokenValidityJitterRatio: 0,
      refreshTokenValidityMinutes: 10,
      accessTokenSigningKeyUpdateIntervalHours: 1,
      accessTokenSigningKeyPublishAheadSeconds: 600,
    });
    cdi = cdiClient(t.core.url);
  });
  after(() => t.dispose());

  it('create returns the CDI shape with ms times and exp = expiry / 1000', async () => {
    const r = await cdi.post('/public/recipe/session', createBody('u1'));
    assert.equal(r.json.status, 'OK');
    assert.deepEqual(Object.keys(r.json.session), ['handle', 'userId', 'recipeUserId', 'userDataInJWT', 'tenantId']);
    assert.equal(r.json.accessToken.createdTime, clock.nowMs());
    assert.equal(r.json.accessToken.expiry, clock.nowMs() + 60_000);
    assert.equal(r.json.refreshToken.expiry, clock.nowMs() + 600_000);
    assert.equal(decodeJwtPart(r.json.accessToken.token, 1).exp * 1000, r.json.accessToken.expiry);
    assert.equal(r.json.antiCsrfToken, undefined);
  });

  it('verify: expired → TRY_REFRESH_TOKEN; bad signature → TRY_REFRESH_TOKEN; anti-csrf mismatch → TRY_REFRESH_TOKEN', async () => {
    const r = await cdi.post('/public/recipe/session', createBody('u2', { enableAntiCsrf: true }));
    const at = r.json.accessToken.token;
    const verify = (body: Record<string, unknown>) => cdi.post('/recipe/session/verify', { accessToken: at, doAntiCsrfCheck: false, enableAntiCsrf: true, checkDatabase: false, ...body });
    assert.deepEqual((await verify({})).json.status, 'OK');
    assert.deepEqual((await verify({ doAntiCsrfCheck: true, antiCsrfToken: 'nope' })).json, { status: 'TRY_REFRESH_TOKEN', message: 'anti-csrf check failed' });
    assert.equal((await verify({ doAntiCsrfCheck: true, antiCsrfToken: r.json.antiCsrfToken })).json.status, 'OK');
    const forged = `${at.split('.').slice(0, 2).join('.')}.${Buffer.from('x'.repeat(256)).toString('base64url')}`;
    assert.equal((await verify({ accessToken: forged })).json.status, 'TRY_REFRESH_TOKEN');
    clock.advance(61_000);
    assert.deepEqual((await verify({})).json, { status: 'TRY_REFRESH_TOKEN', message: 'Access token expired' });
  });

  it('checkDatabase reports a revoked session as UNAUTHORISED and refreshes a changed payload', async () => {
    const r = await cdi.post('/public/recipe/session', createBody('u3'));
    const handle = r.json.session.handle;
    const body = { accessToken: r.json.accessToken.token, doAntiCsrfCheck: false, enableAntiCsrf: false, checkDatabase: true };
    assert.equal((await cdi.post('/recipe/session/verify', body)).json.accessToken, undefined);
    assert.equal((await cdi.put('/recipe/jwt/data', { sessionHandle: handle, userDataInJWT: { iss: 'https://x/auth', plan: 'gold' } })).json.status, 'OK');
    const updated = await cdi.post('/recipe/session/verify', body);
    assert.equal(decodeJwtPart(updated.json.accessToken.token, 1).plan, 'gold');
    await cdi.post('/recipe/session/remove', { sessionHandles: [handle] });
    assert.deepEqual((await cdi.post('/recipe/session/verify', body)).json, {
      status: 'UNAUTHORISED',
      message: 'Either the session has ended or has been blacklisted',
    });
  });

  it('refresh: case A does not write, case B promotes with sliding expiry, theft only after commit', async () => {
    const created = await cdi.post('/public/recipe/session', createBody('u4'));
    const rt0 = created.json.refreshToken.token;
    const refresh = (refreshToken: string) => cdi.post('/recipe/session/refresh', { refreshToken, enableAntiCsrf: false, useDynamicSigningKey: true });
    clock.advance(9 * 60_000);
    const a1 = await refresh(rt0);
    const a2 = await refresh(rt0);
    assert.equal(a1.json.status, 'OK');
    assert.equal(a2.json.status, 'OK', 'the parent may be used again while no child is committed');
    assert.notEqual(a1.json.refreshToken.token, a2.json.refreshToken.token);
    const rt1 = a1.json.refreshToken.token;
    clock.advance(2 * 60_000); // 11 min after create: the uncommitted session would have expired…
    const info = await cdi.get(`/recipe/session?sessionHandle=${created.json.session.handle}`);
    assert.deepEqual(info.json, { status: 'UNAUTHORISED', message: 'Session does not exist.' });
    assert.deepEqual((await refresh(rt1)).json, { status: 'UNAUTHORISED', message: 'Session missing in db or has expired' });

    // Again, promoting in time: the expiry slides.
    const c2 = await cdi.post('/public/recipe/session', createBody('u5'));
    clock.advance(9 * 60_000);
    const b1 = await refresh(c2.json.refreshToken.token);
    const b1sibling = await refresh(c2.json.refreshToken.token);
    const rt1b = b1.json.refreshToken.token;
    const b2 = await refresh(rt1b); // case B: commits rt1b, returns a grandchild
    assert.equal(b2.json.status, 'OK');
    clock.advance(9 * 60_000); // 18 min after create, 9 after promotion
    assert.equal((await refresh(rt1b)).json.status, 'OK', 'rt1b is now the current token (case A)');
    const theft = await refresh(c2.json.refreshToken.token);
    assert.deepEqual(theft.json, { status: 'TOKEN_THEFT_DETECTED', session: { handle: c2.json.session.handle, userId: 'u5', recipeUserId: 'u5' } });
    const sibling = await refresh(b1sibling.json.refreshToken.token);
    assert.equal(sibling.json.status, 'TOKEN_THEFT_DETECTED', 'an uncommitted sibling of the committed child is theft');
    assert.deepEqual((await refresh('garbage.P1')).json, { status: 'UNAUTHORISED', message: 'Invalid refresh token' });
  });

  it('verify of a child promotes it and returns a replacement with parentRefreshTokenHash1 = null', async () => {
    const created = await cdi.post('/public/recipe/session', createBody('u6'));
    const refreshed = await cdi.post('/recipe/session/refresh', { refreshToken: created.json.refreshToken.token, enableAntiCsrf: false, useDynamicSigningKey: true });
    const child = refreshed.json.accessToken.token;
    assert.notEqual(decodeJwtPart(child, 1).parentRefreshTokenHash1, null);
    const verify = () => cdi.post('/recipe/session/verify', { accessToken: child, doAntiCsrfCheck: false, enableAntiCsrf: false, checkDatabase: false });
    const v1 = await verify();
    assert.equal(v1.json.status, 'OK');
    const replacement = decodeJwtPart(v1.json.accessToken.token, 1);
    assert.equal(replacement.parentRefreshTokenHash1, null);
    assert.equal(replacement.refreshTokenHash1, decodeJwtPart(child, 1).refreshTokenHash1);
    assert.equal(replacement.exp * 1000, clock.nowMs() - (clock.nowMs() % 1000) + 60_000);
    // An authorizer keeps presenting the child: each verify mints a fresh replacement (spec §2.3).
    assert.ok((await verify()).json.accessToken);
    // The old parent is now theft.
    const theft = await cdi.post('/recipe/session/refresh', { refreshToken: created.json.refreshToken.token, enableAntiCsrf: false, useDynamicSigningKey: true });
    assert.equal(theft.json.status, 'TOKEN_THEFT_DETECTED');
  });

  it('regenerate keeps exp, parent hash and anti-csrf; an expired token only updates the payload', async () => {
    const created = await cdi.post('/public/recipe/session', createBody('u7', { enableAntiCsrf: true }));
    const at = created.json.accessToken.token;
    clock.advance(5000);
    const r = await cdi.post('/recipe/session/regenerate', { accessToken: at, userDataInJWT: { iss: 'https://x/auth', v: 2 } });
    assert.equal(r.json.status, 'OK');
    const before = decodeJwtPart(at, 1);
    const afterPayload = decodeJwtPart(r.json.accessToken.token, 1);
    assert.equal(afterPayload.exp, before.exp);
    assert.equal(afterPayload.antiCsrfToken, before.antiCsrfToken);
    assert.equal(afterPayload.v, 2);
    assert.equal(afterPayload.iat, Math.floor(clock.nowMs() / 1000));
    const protectedField = await cdi.post('/recipe/session/regenerate', { accessToken: at, userDataInJWT: { rsub: 'x' } });
    assert.equal(protectedField.status, 400);
    clock.advance(120_000);
    const expired = await cdi.post('/recipe/session/regenerate', { accessToken: at, userDataInJWT: { v: 3 } });
    assert.equal(expired.json.status, 'OK');
    assert.equal(expired.json.accessToken, undefined);
    assert.deepEqual(expired.json.session.userDataInJWT, { v: 3 });
  });

  it('static keys: s-<uuid> kid, the session remembers the choice, refresh can switch', async () => {
    const created = await cdi.post('/public/recipe/session', createBody('u8', { useDynamicSigningKey: false }));
    assert.match(decodeJwtPart(created.json.accessToken.token, 0).kid, /^s-[0-9a-f-]{36}$/);
    const refreshed = await cdi.post('/recipe/session/refresh', { refreshToken: created.json.refreshToken.token, enableAntiCsrf: false, useDynamicSigningKey: true });
    assert.match(decodeJwtPart(refreshed.json.accessToken.token, 0).kid, /^d-\d+$/);
    const verified = await cdi.post('/recipe/session/verify', { accessToken: refreshed.json.accessToken.token, doAntiCsrfCheck: false, enableAntiCsrf: false, checkDatabase: false });
    assert.match(decodeJwtPart(verified.json.accessToken.token, 0).kid, /^d-/, 'the replacement follows the switched choice');
  });

  it('signing keys rotate on the interval, are published ahead of use, and retire after their tokens expire', async () => {
    const jwks = async () => {
      const r = await cdiClient(t.core.url, {}).get('/.well-known/jwks.json');
      return { kids: r.json.keys.map((k: { kid: string }) => k.kid) as string[], cacheControl: r.headers.get('cache-control') };
    };
    const signingKid = async () => decodeJwtPart((await cdi.post('/public/recipe/session', createBody('k'))).json.accessToken.token, 0).kid as string;
    await t.core.runMaintenance();
    const start = await jwks();
    const dynamic0 = start.kids.filter((k) => k.startsWith('d-'));
    const current = await signingKid();
    assert.ok(dynamic0.includes(current));
    assert.ok(start.kids.at(-1)!.startsWith('s-'), 'the static key is listed last');
    const maxAge = Number(/max-age=(\d+), must-revalidate/.exec(start.cacheControl ?? '')?.[1]);
    assert.ok(maxAge >= 1 && maxAge <= 3600);

    clock.advance(maxAge * 1000 + 1000); // the next key is due
    const rotated = await jwks();
    const fresh = rotated.kids.filter((k) => k.startsWith('d-') && !dynamic0.includes(k));
    assert.equal(fresh.length, 1, 'one new key is published');
    assert.equal(rotated.kids[0], fresh[0], 'newest first');
    assert.equal(await signingKid(), current, 'the new key does not sign before it has been published for publishAhead');
    clock.advance(601_000);
    assert.equal(await signingKid(), fresh[0], 'after publishAhead the new key signs');
    await t.core.runMaintenance();
    assert.ok((await jwks()).kids.includes(current), 'the old key stays while its tokens may live');
    clock.advance(2 * 60_000 + 1000);
    await t.core.runMaintenance();
    assert.ok(!(await jwks()).kids.includes(current), 'retired after 2 × access-token validity');

    // A JWT authorizer-style verifier with a cached JWKS validates tokens from the new key.
    const token = (await cdi.post('/public/recipe/session', createBody('k2'))).json.accessToken.token;
    const remote = createRemoteJWKSet(new URL(`${t.core.url}/.well-known/jwks.json`));
    await jwtVerify(token, remote, { currentDate: new Date(clock.nowMs()) });
  });

  it('cleanup deletes expired sessions', async () => {
    const created = await cdi.post('/public/recipe/session', createBody('gone'));
    clock.advance(11 * 60_000);
    const result = await t.core.runMaintenance();
    assert.ok(result.sessions >= 1);
    const handles = await cdi.get('/public/recipe/session/user?userId=gone');
    assert.deepEqual(handles.json.sessionHandles, []);
    assert.deepEqual((await cdi.get(`/recipe/session?sessionHandle=${created.json.session.handle}`)).json.status, 'UNAUTHORISED');
  });
});

describe('core config schema', () => {
  it('defaults are a complete configuration', () => {
    const cfg = coreConfigSchema.parse({});
    assert.equal(cfg.port, 3567);
    assert.equal(cfg.host, '127.0.0.1');
    assert.deepEqual(cfg.database, { kind: 'sqlite' });
    assert.equal(cfg.accessTokenSigningKeyPublishAheadSeconds, 10_800);
  });
  it('rejects short API keys, unknown keys and a publish-ahead longer than the interval', () => {
    assert.equal(coreConfigSchema.safeParse({ apiKeys: ['short'] }).success, false);
    assert.equal(coreConfigSchema.safeParse({ portt: 1 }).success, false);
    assert.equal(coreConfigSchema.safeParse({ accessTokenSigningKeyUpdateIntervalHours: 1, accessTokenSigningKeyPublishAheadSeconds: 3600 }).success, false);
  });
});
