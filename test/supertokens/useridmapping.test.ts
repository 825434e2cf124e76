// UserIdMapping: the recipe's four endpoints, and the external id in every auth-recipe answer and
// input, on SQLite and on PostgreSQL (with CI=true; skipped with the reason otherwise). Also: a
// database written by the schema before this recipe (version 1) is upgraded in place at start-up,
// and its sessions survive.
import { after, before, describe, it } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { startCore } from '../../src/supertokens/index.ts';
import { MIGRATIONS } from '../../src/supertokens/store/migrations.ts';
import { cdiClient, rollBackSchema, startTestCoreOrSkip, type StoreKind, type TestCore } from './helpers.ts';

for (const kind of ['sqlite', 'postgres'] as StoreKind[]) {
  describe(`user id mapping (${kind})`, () => {
    let t: TestCore | undefined;
    let skip: string | undefined;

    before(async () => {
      const started = await startTestCoreOrSkip(kind, {});
      if ('skip' in started) {
        skip = started.skip;
        return;
      }
      t = started;
    });
    after(async () => {
      await t?.dispose();
    });

    it('create, get (by either id), update the info, remove', async (ctx) => {
      if (skip !== undefined) return ctx.skip(skip);
      const c = cdiClient(t!.core.url);
      const user = (await c.post('/public/recipe/signup', { email: `map-a-${kind}@example.com`, password: 'pw-123456' })).json.user;
      assert.deepEqual((await c.post('/recipe/userid/map', { superTokensUserId: 'nobody', externalUserId: 'ext-0' })).json, {
        status: 'UNKNOWN_SUPERTOKENS_USER_ID_ERROR',
      });
      assert.deepEqual((await c.post('/recipe/userid/map', { superTokensUserId: user.id, externalUserId: 'ext-a', externalUserIdInfo: 'from LDAP' })).json, { status: 'OK' });
      assert.deepEqual((await c.post('/recipe/userid/map', { superTokensUserId: user.id, externalUserId: 'ext-b' })).json, {
        status: 'USER_ID_MAPPING_ALREADY_EXISTS_ERROR',
        doesSuperTokensUserIdExist: true,
        doesExternalUserIdExist: false,
      });
      const expected = { status: 'OK', superTokensUserId: user.id, externalUserId: 'ext-a', externalUserIdInfo: 'from LDAP' };
      assert.deepEqual((await c.get('/recipe/userid/map?userId=ext-a')).json, expected);
      assert.deepEqual((await c.get(`/recipe/userid/map?userId=${user.id}&userIdType=SUPERTOKENS`)).json, expected);
      assert.deepEqual((await c.get(`/recipe/userid/map?userId=${user.id}&userIdType=EXTERNAL`)).json, { status: 'UNKNOWN_MAPPING_ERROR' });
      assert.equal((await c.get('/recipe/userid/map?userId=x&userIdType=bogus')).status, 400);
      assert.deepEqual((await c.put('/recipe/userid/external-user-id-info', { userId: 'ext-a', externalUserIdInfo: null })).json, { status: 'OK' });
      assert.equal((await c.get('/recipe/userid/map?userId=ext-a')).json.externalUserIdInfo, undefined);
      assert.deepEqual((await c.put('/recipe/userid/external-user-id-info', { userId: 'nope', externalUserIdInfo: 'x' })).json, { status: 'UNKNOWN_MAPPING_ERROR' });
      assert.deepEqual((await c.post('/recipe/userid/map/remove', { userId: 'ext-a' })).json, { status: 'OK', didMappingExist: true });
      assert.deepEqual((await c.post('/recipe/userid/map/remove', { userId: 'ext-a' })).json, { status: 'OK', didMappingExist: false });
      const other = (await c.post('/public/recipe/signup', { email: `map-b-${kind}@example.com`, password: 'pw-123456' })).json.user;
      const clash = await c.post('/recipe/userid/map', { superTokensUserId: user.id, externalUserId: other.id });
      assert.deepEqual([clash.status, clash.text], [400, 'Cannot create a userId mapping where the externalId is also a SuperTokens userID']);
    });

    it('a mapped user is known by its external id in answers and inputs (CDI 5.4 and 2.21)', async (ctx) => {
      if (skip !== undefined) return ctx.skip(skip);
      const c = cdiClient(t!.core.url);
      const email = `map-c-${kind}@example.com`;
      const user = (await c.post('/public/recipe/signup', { email, password: 'pw-123456' })).json.user;
      await c.post('/recipe/userid/map', { superTokensUserId: user.id, externalUserId: 'ext-c' });
      const signIn = (await c.post('/public/recipe/signin', { email, password: 'pw-123456' })).json;
      assert.equal(signIn.user.id, 'ext-c');
      assert.equal(signIn.recipeUserId, 'ext-c');
      assert.equal(signIn.user.loginMethods[0].recipeUserId, 'ext-c');
      assert.equal((await c.get('/user/id?userId=ext-c')).json.user.id, 'ext-c');
      assert.equal((await c.get(`/user/id?userId=${user.id}`)).json.user.id, 'ext-c');
      assert.equal((await c.get(`/public/users/by-accountinfo?email=${email}`)).json.users[0].id, 'ext-c');
      assert.ok((await c.get('/public/users?limit=500')).json.users.some((u: { id: string }) => u.id === 'ext-c'));
      // Email verification holds the id it is given: the external one.
      const token = (await c.post('/public/recipe/user/email/verify/token', { userId: 'ext-c', email })).json.token;
      assert.equal((await c.post('/public/recipe/user/email/verify', { method: 'token', token })).json.status, 'OK');
      assert.equal((await c.get('/user/id?userId=ext-c')).json.user.loginMethods[0].verified, true);
      // Inputs: password reset and PUT /recipe/user take the external id.
      const reset = (await c.post('/public/recipe/user/password/reset/token', { userId: 'ext-c', email })).json;
      assert.equal(reset.status, 'OK');
      assert.deepEqual((await c.post('/public/recipe/user/password/reset/token/consume', { token: reset.token })).json, { status: 'OK', userId: 'ext-c', email });
      assert.deepEqual((await c.put('/recipe/user', { recipeUserId: 'ext-c', password: 'pw-654321' }, { rid: 'emailpassword' })).json, { status: 'OK' });
      assert.equal((await c.post('/public/recipe/signin', { email, password: 'pw-654321' })).json.status, 'OK');
      const legacy = cdiClient(t!.core.url, { 'cdi-version': '2.21', rid: 'emailpassword' });
      assert.equal((await legacy.post('/recipe/signin', { email, password: 'pw-654321' })).json.user.id, 'ext-c');
      assert.equal((await legacy.get('/recipe/user?userId=ext-c')).json.user.id, 'ext-c');
      // Removing the user by its external id removes the row, what non-auth recipes hold and the mapping.
      await c.put('/recipe/user/metadata', { userId: 'ext-c', metadataUpdate: { a: 1 } });
      assert.deepEqual((await c.post('/user/remove', { userId: 'ext-c' })).json, { status: 'OK' });
      assert.deepEqual((await c.get(`/user/id?userId=${user.id}`)).json, { status: 'UNKNOWN_USER_ID_ERROR' });
      assert.deepEqual((await c.get('/recipe/userid/map?userId=ext-c')).json, { status: 'UNKNOWN_MAPPING_ERROR' });
      assert.deepEqual((await c.get('/recipe/user/metadata?userId=ext-c')).json.metadata, {});
    });

    it('a database of schema version 1 is upgraded at start-up and its sessions survive', async (ctx) => {
      if (skip !== undefined) return ctx.skip(skip);
      const old = await startTestCoreOrSkip(kind, {});
      if ('skip' in old) return ctx.skip(old.skip);
      try {
        const c = cdiClient(old.core.url);
        const created = (await c.post('/public/recipe/session', { userId: 'u-old', userDataInJWT: {}, userDataInDatabase: { kept: true }, enableAntiCsrf: false })).json;
        assert.equal(created.status, 'OK');
        await old.core.close();
        // Back to schema 1 (as released before issue 21): drop every table a later migration created.
        const added = await rollBackSchema(old.options, 1);
        assert.ok(added.includes('st_userid_mapping'));
        const upgraded = await startCore(old.options);
        try {
          const c2 = cdiClient(upgraded.url);
          const refreshed = (await c2.post('/recipe/session/refresh', { refreshToken: created.refreshToken.token, enableAntiCsrf: false })).json;
          assert.equal(refreshed.status, 'OK', 'the session written before the upgrade refreshes');
          assert.deepEqual((await c2.get(`/recipe/session?sessionHandle=${created.session.handle}`)).json.userDataInDatabase, { kept: true });
          assert.equal((await c2.get('/recipe/userid/map?userId=x')).json.status, 'UNKNOWN_MAPPING_ERROR', 'the new tables exist');
          const tp = await c2.post('/public/recipe/signinup', { thirdPartyId: 'google', thirdPartyUserId: 'g-1', email: { id: 'g@example.com', isVerified: false } });
          assert.equal(tp.json.status, 'OK');
        } finally {
          await upgraded.close();
        }
        assert.equal(MIGRATIONS.length >= 2, true);
      } finally {
        await old.dispose();
      }
    });
  });
}
