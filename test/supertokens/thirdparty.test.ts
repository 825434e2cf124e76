// ThirdParty sign-in-up and third-party users in the user APIs (list, count, search, by-accountinfo,
// /user/id, removal), on SQLite and on PostgreSQL (with CI=true; skipped with the reason otherwise).
import { after, before, describe, it } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { cdiClient, startTestCoreOrSkip, type StoreKind, type TestCore } from './helpers.ts';

for (const kind of ['sqlite', 'postgres'] as StoreKind[]) {
  describe(`third-party users (${kind})`, () => {
    let t: TestCore | undefined;
    let skip: string | undefined;

    before(async () => {
      const started = await startTestCoreOrSkip(kind, { tenantIds: ['public', 't2'] });
      if ('skip' in started) {
        skip = started.skip;
        return;
      }
      t = started;
    });
    after(async () => {
      await t?.dispose();
    });

    const signInUp = (tenant: string, thirdPartyUserId: string, email: string, isVerified = false, version = '5.4') =>
      cdiClient(t!.core.url, { 'cdi-version': version }).post(`/${tenant}/recipe/signinup`, {
        thirdPartyId: 'google',
        thirdPartyUserId,
        email: { id: email, isVerified },
      });

    it('one user per (tenant, provider, provider user id); the email follows the provider; isVerified marks it verified', async (ctx) => {
      if (skip !== undefined) return ctx.skip(skip);
      const first = (await signInUp('public', 'g-1', ' Ann@Example.com ')).json;
      assert.equal(first.status, 'OK');
      assert.equal(first.createdNewUser, true);
      assert.equal(first.recipeUserId, first.user.id);
      assert.deepEqual(first.user.thirdParty, [{ id: 'google', userId: 'g-1' }]);
      assert.deepEqual(first.user.emails, ['ann@example.com']);
      const method = first.user.loginMethods[0];
      assert.deepEqual([method.recipeId, method.verified, method.thirdParty], ['thirdparty', false, { id: 'google', userId: 'g-1' }]);
      const again = (await signInUp('public', 'g-1', 'ann.new@example.com', true)).json;
      assert.equal(again.createdNewUser, false);
      assert.equal(again.user.id, first.user.id);
      assert.deepEqual(again.user.emails, ['ann.new@example.com']);
      assert.equal(again.user.loginMethods[0].verified, true);
      const otherTenant = (await signInUp('t2', 'g-1', 'ann@example.com')).json;
      assert.equal(otherTenant.createdNewUser, true);
      assert.notEqual(otherTenant.user.id, first.user.id);
      // Before CDI 4.0: the legacy user, with thirdParty, and no recipeUserId.
      const legacy = (await signInUp('public', 'g-1', 'ann.new@example.com', false, '3.0')).json;
      assert.deepEqual(legacy, {
        status: 'OK',
        createdNewUser: false,
        user: { id: first.user.id, email: 'ann.new@example.com', timeJoined: first.user.timeJoined, thirdParty: { id: 'google', userId: 'g-1' }, tenantIds: ['public'] },
      });
      const legacyGet = await cdiClient(t!.core.url, { 'cdi-version': '2.21', rid: 'thirdparty' }).get(`/recipe/user?userId=${first.user.id}`);
      assert.equal(legacyGet.json.user.thirdParty.userId, 'g-1');
      for (const bad of [{ thirdPartyId: 'google', thirdPartyUserId: 'x' }, { thirdPartyId: '', thirdPartyUserId: 'x', email: { id: 'a@b.c' } }]) {
        assert.equal((await cdiClient(t!.core.url).post('/public/recipe/signinup', bad)).status, 400);
      }
    });

    it('third-party users are listed, counted, searched (email and provider) and found beside email/password users', async (ctx) => {
      if (skip !== undefined) return ctx.skip(skip);
      const c = cdiClient(t!.core.url);
      const tp = (await signInUp('public', 'g-2', 'shared@example.com')).json.user;
      const ep = (await c.post('/public/recipe/signup', { email: 'shared@example.com', password: 'pw-123456' })).json.user;
      const count = async (q: string) => (await c.get(`/public/users/count${q}`)).json.count as number;
      const [all, thirdParty, emailPassword] = [await count(''), await count('?includeRecipeIds=thirdparty'), await count('?includeRecipeIds=emailpassword')];
      assert.ok(thirdParty >= 2 && emailPassword >= 1);
      assert.equal(all, thirdParty + emailPassword);
      const byEmail = (await c.get('/public/users/by-accountinfo?email=shared@example.com')).json.users.map((u: { id: string }) => u.id);
      assert.deepEqual(byEmail.sort(), [tp.id, ep.id].sort());
      const byProvider = (await c.get('/public/users/by-accountinfo?thirdPartyId=google&thirdPartyUserId=g-2')).json.users;
      assert.deepEqual(byProvider.map((u: { id: string }) => u.id), [tp.id]);
      assert.deepEqual((await c.get('/public/users/by-accountinfo?thirdPartyId=google&thirdPartyUserId=g-2&email=other@example.com')).json.users, []);
      assert.equal((await c.get(`/user/id?userId=${tp.id}`)).json.user.loginMethods[0].recipeId, 'thirdparty');
      const search = (q: string) => c.get(`/public/users?limit=500&${q}`).then((r) => r.json.users.map((u: { id: string }) => u.id) as string[]);
      assert.ok((await search('provider=goo')).includes(tp.id));
      assert.ok(!(await search('provider=goo')).includes(ep.id));
      assert.deepEqual((await search('provider=github')), []);
      assert.deepEqual((await search('email=shared')).sort(), [tp.id, ep.id].sort());
      assert.ok(!(await search('includeRecipeIds=emailpassword')).includes(tp.id));
      const legacyList = (await cdiClient(t!.core.url, { 'cdi-version': '3.0' }).get('/public/users?limit=500')).json.users;
      assert.equal(legacyList.find((u: { user: { id: string } }) => u.user.id === tp.id).recipeId, 'thirdparty');
      assert.deepEqual((await c.post('/user/remove', { userId: tp.id })).json, { status: 'OK' });
      assert.deepEqual((await c.get(`/user/id?userId=${tp.id}`)).json, { status: 'UNKNOWN_USER_ID_ERROR' });
      assert.deepEqual((await search('provider=goo')).includes(tp.id), false);
    });
  });
}
