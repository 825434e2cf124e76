// CDI version negotiation: each request's cdi-version selects the shapes the Java core answers with
// for that version (docs/supertokens.md "CDI versions"). Raw CDI calls on SQLite; the SDK releases
// that send these versions run in test/compat/node-sdk.test.ts.
import { after, before, describe, it } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { cdiClient, decodeJwtPart, startTestCore, type TestCore } from './helpers.ts';

let t: TestCore;
let serial = 0;
const email = () => `cdi-${process.pid}-${++serial}@example.com`;

describe('CDI versions 2.21 to 5.4', () => {
  before(async () => {
    t = await startTestCore('sqlite');
  });
  after(() => t.dispose());

  const at = (version: string) => cdiClient(t.core.url, { 'cdi-version': version, rid: 'emailpassword' });

  it('the user object: legacy before 4.0 (tenantIds from 3.0), User with loginMethods and recipeUserId from 4.0', async () => {
    const old = await at('2.21').post('/recipe/signup', { email: email(), password: 'pw-123456' });
    assert.deepEqual(Object.keys(old.json), ['status', 'user']);
    assert.deepEqual(Object.keys(old.json.user), ['id', 'email', 'timeJoined']);
    const mt = await at('3.0').post('/public/recipe/signup', { email: email(), password: 'pw-123456' });
    assert.deepEqual(mt.json.user.tenantIds, ['public']);
    assert.equal(mt.json.recipeUserId, undefined);
    const linked = await at('4.0').post('/public/recipe/signup', { email: email(), password: 'pw-123456' });
    assert.equal(linked.json.recipeUserId, linked.json.user.id);
    assert.equal(linked.json.user.loginMethods[0].recipeId, 'emailpassword');
    const signIn = await at('2.21').post('/recipe/signin', { email: linked.json.user.emails[0], password: 'pw-123456' });
    assert.deepEqual(signIn.json, { status: 'OK', user: { id: linked.json.user.id, email: linked.json.user.emails[0], timeJoined: linked.json.user.timeJoined } });
  });

  it('GET /recipe/user (CDI < 4.0) by userId and by email; unknown ones get their statuses', async () => {
    const address = email();
    const created = (await at('3.0').post('/public/recipe/signup', { email: address, password: 'pw-123456' })).json.user;
    assert.deepEqual((await at('3.0').get(`/recipe/user?userId=${created.id}`)).json, { status: 'OK', user: created });
    assert.deepEqual((await at('3.0').get(`/public/recipe/user?email=${encodeURIComponent(address.toUpperCase())}`)).json, { status: 'OK', user: created });
    assert.deepEqual((await at('3.0').get('/recipe/user?userId=nobody')).json, { status: 'UNKNOWN_USER_ID_ERROR' });
    assert.deepEqual((await at('3.0').get('/recipe/user?email=nobody%40example.com')).json, { status: 'UNKNOWN_EMAIL_ERROR' });
    assert.equal((await at('3.0').get('/recipe/user')).status, 400);
  });

  it('password reset: before 4.0 the token needs no email and POST /recipe/user/password/reset sets the password', async () => {
    const address = email();
    const user = (await at('2.21').post('/recipe/signup', { email: address, password: 'pw-123456' })).json.user;
    const token = await at('2.21').post('/recipe/user/password/reset/token', { userId: user.id });
    assert.equal(token.json.status, 'OK');
    assert.deepEqual((await at('2.21').post('/recipe/user/password/reset/token', { userId: 'nobody' })).json, { status: 'UNKNOWN_USER_ID_ERROR' });
    const reset = await at('2.21').post('/recipe/user/password/reset', { method: 'token', token: token.json.token, newPassword: 'pw-654321' });
    assert.deepEqual(reset.json, { status: 'OK', userId: user.id });
    const again = await at('2.21').post('/recipe/user/password/reset', { method: 'token', token: token.json.token, newPassword: 'pw-000000' });
    assert.deepEqual(again.json, { status: 'RESET_PASSWORD_INVALID_TOKEN_ERROR' });
    assert.equal((await at('2.21').post('/recipe/signin', { email: address, password: 'pw-654321' })).json.status, 'OK');
    // From 4.0 the email is required (the Java core's 400).
    const v4 = await at('4.0').post('/public/recipe/user/password/reset/token', { userId: user.id });
    assert.deepEqual([v4.status, v4.text], [400, "Field name 'email' is invalid in JSON input"]);
  });

  it('access tokens: v3 for 2.21, v4 (tId) for 3.x, v5 (rsub) from 4.0; replacements keep the presented version', async () => {
    const expected: [string, string, string[]][] = [
      ['2.21', '3', []],
      ['3.0', '4', ['tId']],
      ['3.1', '4', ['tId']],
      ['4.0', '5', ['tId', 'rsub']],
      ['5.4', '5', ['tId', 'rsub']],
    ];
    for (const [version, tokenVersion, claims] of expected) {
      const client = cdiClient(t.core.url, { 'cdi-version': version, rid: 'session' });
      const created = await client.post('/public/recipe/session', { userId: 'u1', userDataInJWT: { a: 1 }, userDataInDatabase: {}, enableAntiCsrf: false });
      assert.equal(created.json.status, 'OK', version);
      const header = decodeJwtPart(created.json.accessToken.token, 0);
      const payload = decodeJwtPart(created.json.accessToken.token, 1);
      assert.equal(header.version, tokenVersion, `CDI ${version}`);
      assert.deepEqual(['tId', 'rsub'].filter((c) => c in payload), claims, `CDI ${version}`);
      assert.equal(payload.a, 1);
      const refreshed = await client.post('/recipe/session/refresh', { refreshToken: created.json.refreshToken.token, enableAntiCsrf: false });
      assert.equal(decodeJwtPart(refreshed.json.accessToken.token, 0).version, tokenVersion, `refresh at CDI ${version}`);
      // Verifying the uncommitted child commits it and mints a replacement of the same version,
      // even when a newer-CDI caller verifies it.
      const verified = await cdiClient(t.core.url, { 'cdi-version': '5.4' }).post('/recipe/session/verify', {
        accessToken: refreshed.json.accessToken.token,
        doAntiCsrfCheck: false,
        enableAntiCsrf: false,
      });
      assert.equal(verified.json.status, 'OK');
      assert.equal(verified.json.session.userId, 'u1');
      assert.equal(decodeJwtPart(verified.json.accessToken.token, 0).version, tokenVersion, `verify of a CDI ${version} token`);
    }
  });

  it('the user list: { recipeId, user } entries before 4.0, User objects from 4.0', async () => {
    const address = email();
    await at('3.0').post('/public/recipe/signup', { email: address, password: 'pw-123456' });
    const old = await at('3.0').get('/public/users?limit=500&timeJoinedOrder=DESC');
    assert.deepEqual(Object.keys(old.json.users[0]), ['recipeId', 'user']);
    assert.equal(old.json.users[0].recipeId, 'emailpassword');
    assert.equal(old.json.users[0].user.email, address);
    const current = await at('5.4').get('/public/users?limit=500&timeJoinedOrder=DESC');
    assert.equal(current.json.users[0].emails[0], address);
  });

  it('multitenancy: the v1 tenant shape (enabled flags) beside v2', async () => {
    const v1 = await at('5.0').get('/public/recipe/multitenancy/tenant');
    assert.deepEqual(v1.json, {
      status: 'OK',
      tenantId: 'public',
      emailPassword: { enabled: true },
      passwordless: { enabled: true },
      thirdParty: { enabled: true, providers: [] },
      coreConfig: {},
    });
    const list = await at('5.0').get('/recipe/multitenancy/tenant/list');
    assert.deepEqual(list.json.tenants.map((x: { tenantId: string }) => x.tenantId), ['public']);
  });
});
