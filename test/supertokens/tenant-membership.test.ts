// Users in several tenants through the CDI, as the Java core's AssociateUserToTenantAPI /
// DisassociateUserFromTenant answer: association (every recipe, every clash, user-id mapping, CDI 3.x
// `userId` vs 4.0+ `recipeUserId`), per-tenant sign-in, lists, counts and account-info lookups,
// disassociation (with the user's sessions, roles and tokens in that tenant), a user in no tenant,
// tenant deletion, concurrent associations, user-id mapping creation checks, and the upgrade from a
// database of the previous schema — on SQLite and on PostgreSQL (with CI=true; skipped with the reason otherwise).
import { after, before, describe, it } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { cdiClient, rollBackSchema, startTestCoreOrSkip, type StoreKind, type TestCore } from './helpers.ts';
import { startCore } from '../../src/supertokens/index.ts';

type Client = ReturnType<typeof cdiClient>;

async function createTenant(c: Client, tenantId: string): Promise<void> {
  const res = await c.put('/recipe/multitenancy/tenant/v2', { tenantId });
  assert.equal(res.json.status, 'OK', res.text);
}

async function signUp(c: Client, tenantId: string, email: string): Promise<string> {
  const res = await c.post(`/${tenantId}/recipe/signup`, { email, password: 'pass-w0rd' });
  assert.equal(res.json.status, 'OK', res.text);
  return res.json.user.id as string;
}

async function passwordlessUser(c: Client, tenantId: string, account: { email: string } | { phoneNumber: string }): Promise<string> {
  const code = (await c.post(`/${tenantId}/recipe/signinup/code`, account)).json;
  const consumed = (await c.post(`/${tenantId}/recipe/signinup/code/consume`, { preAuthSessionId: code.preAuthSessionId, linkCode: code.linkCode })).json;
  assert.equal(consumed.status, 'OK');
  return consumed.user.id as string;
}

async function thirdPartyUser(c: Client, tenantId: string, thirdPartyUserId: string, email: string): Promise<string> {
  const res = (await c.post(`/${tenantId}/recipe/signinup`, { thirdPartyId: 'google', thirdPartyUserId, email: { id: email, isVerified: false } })).json;
  assert.equal(res.status, 'OK');
  return res.user.id as string;
}

const associate = (c: Client, tenantId: string, recipeUserId: string) => c.post(`/${tenantId}/recipe/multitenancy/tenant/user`, { recipeUserId });
const disassociate = (c: Client, tenantId: string, recipeUserId: string) => c.post(`/${tenantId}/recipe/multitenancy/tenant/user/remove`, { recipeUserId });

for (const kind of ['sqlite', 'postgres'] as StoreKind[]) {
  describe(`users in several tenants (${kind})`, () => {
    let t: TestCore | undefined;
    let skip: string | undefined;
    let c: Client;

    before(async () => {
      const started = await startTestCoreOrSkip(kind, {});
      if ('skip' in started) {
        skip = started.skip;
        return;
      }
      t = started;
      c = cdiClient(t.core.url);
      for (const tenant of ['t1', 't2', 't3']) await createTenant(c, tenant);
    });
    after(async () => {
      await t?.dispose();
    });

    it('associates an email/password user: sign-in, user objects, lists, counts and lookups in both tenants', { timeout: 30_000 }, async (ctx) => {
      if (skip !== undefined) return ctx.skip(skip);
      const id = await signUp(c, 't1', 'ann@example.com');
      assert.equal((await c.post('/t2/recipe/signin', { email: 'ann@example.com', password: 'pass-w0rd' })).json.status, 'WRONG_CREDENTIALS_ERROR');
      assert.deepEqual((await associate(c, 't2', id)).json, { status: 'OK', wasAlreadyAssociated: false });
      assert.deepEqual((await associate(c, 't2', id)).json, { status: 'OK', wasAlreadyAssociated: true });
      const signIn = (await c.post('/t2/recipe/signin', { email: 'ann@example.com', password: 'pass-w0rd' })).json;
      assert.deepEqual([signIn.status, signIn.user.id], ['OK', id]);
      const user = (await c.get(`/user/id?userId=${id}`)).json.user;
      assert.deepEqual(user.tenantIds, ['t1', 't2']);
      assert.deepEqual(user.loginMethods[0].tenantIds, ['t1', 't2']);
      // The legacy (CDI 3.x) user lists them too.
      const legacy = (await cdiClient(t!.core.url, { 'cdi-version': '3.0' }).get(`/t2/recipe/user?email=ann@example.com`, { rid: 'emailpassword' })).json;
      assert.deepEqual([legacy.status, legacy.user.id, legacy.user.tenantIds], ['OK', id, ['t1', 't2']]);
      const inT2 = (await c.get('/t2/users')).json.users.map((u: { id: string }) => u.id);
      assert.ok(inT2.includes(id));
      assert.ok((await c.get('/t3/users')).json.users.every((u: { id: string }) => u.id !== id));
      const byInfo = (await c.get('/t2/users/by-accountinfo?email=ann@example.com')).json.users;
      assert.deepEqual(byInfo.map((u: { id: string }) => u.id), [id]);
      // Counted in each tenant, once across tenants.
      const before3 = (await c.get('/users/count?includeAllTenants=true')).json.count;
      await associate(c, 't3', id);
      assert.equal((await c.get('/users/count?includeAllTenants=true')).json.count, before3);
      assert.equal((await c.get('/t3/users/count')).json.count >= 1, true);
      // The email is now taken in t2 for another email/password sign-up.
      assert.equal((await c.post('/t2/recipe/signup', { email: 'ann@example.com', password: 'x-pass-w0rd' })).json.status, 'EMAIL_ALREADY_EXISTS_ERROR');
    });

    it('refuses an association whose account info another user of the recipe has in that tenant', { timeout: 30_000 }, async (ctx) => {
      if (skip !== undefined) return ctx.skip(skip);
      const a = await signUp(c, 't1', 'bob@example.com');
      await signUp(c, 't2', 'bob@example.com');
      assert.deepEqual((await associate(c, 't2', a)).json, { status: 'EMAIL_ALREADY_EXISTS_ERROR' });
      const tpA = await thirdPartyUser(c, 't1', 'g-bob', 'bob@example.com');
      await thirdPartyUser(c, 't2', 'g-bob', 'bob@example.com');
      assert.deepEqual((await associate(c, 't2', tpA)).json, { status: 'THIRD_PARTY_USER_ALREADY_EXISTS_ERROR' });
      const plEmail = await passwordlessUser(c, 't1', { email: 'pl@example.com' });
      await passwordlessUser(c, 't2', { email: 'pl@example.com' });
      assert.deepEqual((await associate(c, 't2', plEmail)).json, { status: 'EMAIL_ALREADY_EXISTS_ERROR' });
      const plPhone = await passwordlessUser(c, 't1', { phoneNumber: '+14155550100' });
      await passwordlessUser(c, 't2', { phoneNumber: '+14155550100' });
      assert.deepEqual((await associate(c, 't2', plPhone)).json, { status: 'PHONE_NUMBER_ALREADY_EXISTS_ERROR' });
      // Different recipes never clash: the email/password user and the third-party user share an email.
      assert.deepEqual((await associate(c, 't3', a)).json, { status: 'OK', wasAlreadyAssociated: false });
      assert.deepEqual((await associate(c, 't3', tpA)).json, { status: 'OK', wasAlreadyAssociated: false });
      // A third-party user associated with t3 signs in there as itself (no new user).
      const again = (await c.post('/t3/recipe/signinup', { thirdPartyId: 'google', thirdPartyUserId: 'g-bob', email: { id: 'bob@example.com', isVerified: false } })).json;
      assert.deepEqual([again.createdNewUser, again.user.id], [false, tpA]);
      // A passwordless user associated with t3 consumes a code there as itself.
      assert.deepEqual((await associate(c, 't3', plPhone)).json, { status: 'OK', wasAlreadyAssociated: false });
      assert.equal(await passwordlessUser(c, 't3', { phoneNumber: '+14155550100' }), plPhone);
    });

    it('refuses an email change that clashes in any tenant of the user', { timeout: 30_000 }, async (ctx) => {
      if (skip !== undefined) return ctx.skip(skip);
      const a = await signUp(c, 't1', 'cat@example.com');
      await signUp(c, 't2', 'dog@example.com');
      assert.equal((await c.put('/recipe/user', { recipeUserId: a, email: 'dog@example.com' })).json.status, 'OK', 'no clash while only in t1');
      assert.equal((await c.put('/recipe/user', { recipeUserId: a, email: 'cat@example.com' })).json.status, 'OK');
      await associate(c, 't2', a);
      assert.equal((await c.put('/recipe/user', { recipeUserId: a, email: 'dog@example.com' })).json.status, 'EMAIL_ALREADY_EXISTS_ERROR');
      assert.equal((await c.put('/recipe/user', { recipeUserId: a, email: 'cat2@example.com' })).json.status, 'OK');
      assert.equal((await c.post('/t2/recipe/signin', { email: 'cat2@example.com', password: 'pass-w0rd' })).json.status, 'OK', 'the new email signs in in t2');
      const pl = await passwordlessUser(c, 't1', { email: 'pl-cat@example.com' });
      await passwordlessUser(c, 't2', { email: 'pl-dog@example.com' });
      await associate(c, 't2', pl);
      assert.equal((await c.put('/recipe/user', { recipeUserId: pl, email: 'pl-dog@example.com' }, { rid: 'passwordless' })).json.status, 'EMAIL_ALREADY_EXISTS_ERROR');
    });

    it('input errors: unknown user, unknown tenant, empty id, CDI 3.x `userId`, external ids', { timeout: 30_000 }, async (ctx) => {
      if (skip !== undefined) return ctx.skip(skip);
      assert.deepEqual((await associate(c, 't2', 'no-such-user')).json, { status: 'UNKNOWN_USER_ID_ERROR' });
      const unknownTenant = await associate(c, 'nope', 'x');
      assert.equal(unknownTenant.status, 400);
      assert.match(unknownTenant.text, /AppId or tenantId not found/);
      const empty = await associate(c, 't2', '  ');
      assert.deepEqual([empty.status, empty.text], [400, "Field name 'userId' cannot be an empty String"]);
      const wrongField = await c.post('/t2/recipe/multitenancy/tenant/user', { userId: 'x' });
      assert.deepEqual([wrongField.status, wrongField.text], [400, "Field name 'recipeUserId' is invalid in JSON input"], 'CDI 4.0+ reads recipeUserId');
      const id = await signUp(c, 't1', 'legacy@example.com');
      const v3 = cdiClient(t!.core.url, { 'cdi-version': '3.0' });
      assert.deepEqual((await v3.post('/t2/recipe/multitenancy/tenant/user', { userId: id })).json, { status: 'OK', wasAlreadyAssociated: false });
      assert.deepEqual((await v3.post('/t2/recipe/multitenancy/tenant/user/remove', { userId: id })).json, { status: 'OK', wasAssociated: true });
      // Either id of a mapped user.
      assert.equal((await c.post('/recipe/userid/map', { superTokensUserId: id, externalUserId: 'ext-legacy' })).json.status, 'OK');
      assert.deepEqual((await associate(c, 't3', 'ext-legacy')).json, { status: 'OK', wasAlreadyAssociated: false });
      assert.deepEqual((await c.get('/user/id?userId=ext-legacy')).json.user.tenantIds, ['t1', 't3']);
      assert.deepEqual((await disassociate(c, 't3', 'ext-legacy')).json, { status: 'OK', wasAssociated: true });
      assert.deepEqual((await c.get('/user/id?userId=ext-legacy')).json.user.tenantIds, ['t1']);
    });

    it('disassociates: sessions, roles and tokens of that tenant go; a user in no tenant still exists', { timeout: 30_000 }, async (ctx) => {
      if (skip !== undefined) return ctx.skip(skip);
      const id = await signUp(c, 't1', 'eve@example.com');
      await associate(c, 't2', id);
      const session = (await c.post('/t2/recipe/session', { userId: id, userDataInJWT: {}, userDataInDatabase: {}, enableAntiCsrf: false })).json;
      const sessionT1 = (await c.post('/t1/recipe/session', { userId: id, userDataInJWT: {}, userDataInDatabase: {}, enableAntiCsrf: false })).json;
      await c.put('/recipe/role', { role: 'admin' });
      assert.equal((await c.put('/t2/recipe/user/role', { userId: id, role: 'admin' })).json.status, 'OK');
      assert.equal((await c.put('/t1/recipe/user/role', { userId: id, role: 'admin' })).json.status, 'OK');
      assert.deepEqual((await disassociate(c, 't2', id)).json, { status: 'OK', wasAssociated: true });
      assert.deepEqual((await disassociate(c, 't2', id)).json, { status: 'OK', wasAssociated: false });
      assert.equal((await c.get(`/recipe/session?sessionHandle=${session.session.handle}`)).json.status, 'UNAUTHORISED', 'the t2 session is gone');
      assert.equal((await c.get(`/recipe/session?sessionHandle=${sessionT1.session.handle}`)).json.status, 'OK', 'the t1 session stays');
      assert.deepEqual((await c.get(`/t2/recipe/user/roles?userId=${id}`)).json.roles, []);
      assert.deepEqual((await c.get(`/t1/recipe/user/roles?userId=${id}`)).json.roles, ['admin']);
      assert.equal((await c.post('/t2/recipe/signin', { email: 'eve@example.com', password: 'pass-w0rd' })).json.status, 'WRONG_CREDENTIALS_ERROR');
      // Only non-auth data in the tenant (an id no auth recipe knows) still counts as "was associated".
      await c.post('/t3/recipe/session', { userId: 'only-a-session', userDataInJWT: {}, userDataInDatabase: {}, enableAntiCsrf: false });
      assert.deepEqual((await disassociate(c, 't3', 'only-a-session')).json, { status: 'OK', wasAssociated: true });
      // Out of its last tenant: still a user (tenantIds []), in no list or count, its email free again.
      const countBefore = (await c.get('/users/count?includeAllTenants=true')).json.count;
      assert.deepEqual((await disassociate(c, 't1', id)).json, { status: 'OK', wasAssociated: true });
      const orphan = (await c.get(`/user/id?userId=${id}`)).json;
      assert.deepEqual([orphan.status, orphan.user.tenantIds, orphan.user.emails], ['OK', [], ['eve@example.com']]);
      assert.equal((await c.get('/users/count?includeAllTenants=true')).json.count, countBefore - 1);
      assert.ok((await c.get('/t1/users?limit=500')).json.users.every((u: { id: string }) => u.id !== id));
      const newcomer = await signUp(c, 't1', 'eve@example.com');
      assert.notEqual(newcomer, id);
      assert.deepEqual((await associate(c, 't1', id)).json, { status: 'EMAIL_ALREADY_EXISTS_ERROR' });
      assert.deepEqual((await associate(c, 't2', id)).json, { status: 'OK', wasAlreadyAssociated: false });
      assert.equal((await c.post('/t2/recipe/signin', { email: 'eve@example.com', password: 'pass-w0rd' })).json.user.id, id);
    });

    it('concurrent associations of two users with one email: exactly one joins the tenant', { timeout: 30_000 }, async (ctx) => {
      if (skip !== undefined) return ctx.skip(skip);
      await createTenant(c, 'race');
      const a = await signUp(c, 't1', 'race@example.com');
      const b = await signUp(c, 't2', 'race@example.com');
      const results = await Promise.all([associate(c, 'race', a), associate(c, 'race', b), signUpRaw(c)]);
      const statuses = results.map((r) => r.json.status).sort();
      assert.deepEqual(statuses, ['EMAIL_ALREADY_EXISTS_ERROR', 'EMAIL_ALREADY_EXISTS_ERROR', 'OK'], JSON.stringify(results.map((r) => r.json)));
      assert.equal((await c.get('/race/users/by-accountinfo?email=race@example.com')).json.users.length, 1);
    });

    it('deleting a tenant removes its memberships; its users stay, and a tenant re-created with its id has none', { timeout: 30_000 }, async (ctx) => {
      if (skip !== undefined) return ctx.skip(skip);
      await createTenant(c, 'gone');
      const only = await signUp(c, 'gone', 'only@example.com');
      const both = await signUp(c, 't1', 'both@example.com');
      await associate(c, 'gone', both);
      const pending = await c.post('/gone/recipe/signinup/code', { email: 'code@example.com' });
      assert.equal(pending.json.status, 'OK');
      assert.deepEqual((await c.post('/recipe/multitenancy/tenant/remove', { tenantId: 'gone' })).json, { status: 'OK', didExist: true });
      assert.deepEqual((await c.get(`/user/id?userId=${both}`)).json.user.tenantIds, ['t1']);
      assert.deepEqual((await c.get(`/user/id?userId=${only}`)).json.user.tenantIds, []);
      await createTenant(c, 'gone');
      assert.equal((await c.get('/gone/users/count')).json.count, 0);
      assert.equal((await c.post('/gone/recipe/signin', { email: 'only@example.com', password: 'pass-w0rd' })).json.status, 'WRONG_CREDENTIALS_ERROR');
      const stale = await c.post('/gone/recipe/signinup/code/consume', { preAuthSessionId: pending.json.preAuthSessionId, linkCode: pending.json.linkCode });
      assert.equal(stale.json.status, 'RESTART_FLOW_ERROR', 'the deleted tenant\'s codes went with it');
      assert.notEqual(await signUp(c, 'gone', 'only@example.com'), only, 'the email is free in the re-created tenant');
    });

    it('account linking sees memberships: a linked user is vetoed from a tenant where another primary user has its email; tenants are unions', { timeout: 30_000 }, async (ctx) => {
      if (skip !== undefined) return ctx.skip(skip);
      const primary = (id: string) => c.post('/recipe/accountlinking/user/primary', { recipeUserId: id });
      // Ann (email/password, t1) is primary; Bea (passwordless, t2) with the same email is primary too
      // (no other primary user has that email in t2).
      const ann = await signUp(c, 't1', 'al-same@example.com');
      assert.equal((await primary(ann)).json.status, 'OK');
      const bea = await passwordlessUser(c, 't2', { email: 'al-same@example.com' });
      assert.equal((await primary(bea)).json.status, 'OK');
      // Bea may not join t1, where Ann (another primary user) has the email.
      const vetoed = (await associate(c, 't1', bea)).json;
      assert.equal(vetoed.status, 'ASSOCIATION_NOT_ALLOWED_ERROR', JSON.stringify(vetoed));
      assert.equal(vetoed.reason, `Another primary user with email already exists: ${ann}`);
      assert.deepEqual((await c.get(`/user/id?userId=${bea}`)).json.user.tenantIds, ['t2'], 'nothing changed');
      // Ann joins t3; a third-party login of another email in t3 links to her: the group's tenants are the union.
      assert.equal((await associate(c, 't3', ann)).json.status, 'OK');
      const tp = await thirdPartyUser(c, 't3', 'al-tp-1', 'al-other@example.com');
      assert.equal((await c.post('/recipe/accountlinking/user/link', { recipeUserId: tp, primaryUserId: ann })).json.status, 'OK');
      const user = (await c.get(`/user/id?userId=${tp}`)).json.user;
      assert.equal(user.id, ann);
      assert.deepEqual(user.tenantIds, ['t1', 't3']);
      assert.deepEqual(user.loginMethods.map((m: { recipeUserId: string; tenantIds: string[] }) => [m.recipeUserId, m.tenantIds]), [[ann, ['t1', 't3']], [tp, ['t3']]]);
      // After Ann leaves t1, Bea may join it: the check reads memberships, not the tenant of sign-up.
      assert.deepEqual((await disassociate(c, 't1', ann)).json, { status: 'OK', wasAssociated: true });
      assert.deepEqual((await associate(c, 't1', bea)).json, { status: 'OK', wasAlreadyAssociated: false });
      // t3 lists Ann's group once, under her id (her third-party login is not a second entry).
      const listed = (await c.get('/t3/users?limit=500')).json.users.map((u: { id: string }) => u.id);
      assert.deepEqual([listed.filter((id: string) => id === ann).length, listed.includes(tp)], [1, false]);
    });

    it('user-id mapping: refused while the SuperTokens id is used by a non-auth recipe, unless forced', { timeout: 30_000 }, async (ctx) => {
      if (skip !== undefined) return ctx.skip(skip);
      const map = (superTokensUserId: string, externalUserId: string, extra: Record<string, unknown> = {}, client: Client = c) =>
        client.post('/recipe/userid/map', { superTokensUserId, externalUserId, ...extra });
      const withSession = await signUp(c, 'public', 'm-session@example.com');
      await c.post('/public/recipe/session', { userId: withSession, userDataInJWT: {}, userDataInDatabase: {}, enableAntiCsrf: false });
      const refused = await map(withSession, 'ext-session');
      assert.deepEqual([refused.status, refused.text], [400, 'UserId is already in use in Session recipe']);
      const withMetadata = await signUp(c, 'public', 'm-meta@example.com');
      await c.put('/recipe/user/metadata', { userId: withMetadata, metadataUpdate: { a: 1 } });
      assert.equal((await map(withMetadata, 'ext-meta')).text, 'UserId is already in use in UserMetadata recipe');
      const withRole = await signUp(c, 'public', 'm-role@example.com');
      await c.put('/recipe/role', { role: 'viewer' });
      await c.put('/t1/recipe/user/role', { userId: withRole, role: 'viewer' });
      assert.equal((await map(withRole, 'ext-role')).text, 'UserId is already in use in UserRoles recipe');
      assert.deepEqual((await map(withRole, 'ext-role', { force: true })).json, { status: 'OK' }, 'force skips the check');
      const withTotp = await signUp(c, 'public', 'm-totp@example.com');
      assert.equal((await c.post('/recipe/totp/device', { userId: withTotp, skew: 1, period: 30 })).json.status, 'OK');
      assert.equal((await map(withTotp, 'ext-totp')).text, 'UserId is already in use in TOTP recipe');
      // Email verification alone: refused before CDI 4.0, moved to the external id from 4.0.
      const verified = await signUp(c, 'public', 'm-ev@example.com');
      const token = (await c.post('/public/recipe/user/email/verify/token', { userId: verified, email: 'm-ev@example.com' })).json.token;
      assert.equal((await c.post('/public/recipe/user/email/verify', { method: 'token', token })).json.status, 'OK');
      const v3 = cdiClient(t!.core.url, { 'cdi-version': '3.0' });
      assert.equal((await map(verified, 'ext-ev', {}, v3)).text, 'UserId is already in use in EmailVerification recipe');
      assert.deepEqual((await map(verified, 'ext-ev')).json, { status: 'OK' });
      assert.equal((await c.get('/public/recipe/user/email/verify?userId=ext-ev&email=m-ev@example.com')).json.isVerified, true);
      assert.equal((await c.get(`/public/recipe/user/email/verify?userId=${verified}&email=m-ev@example.com`)).json.isVerified, false);
      assert.equal((await c.get('/user/id?userId=ext-ev')).json.user.loginMethods[0].verified, true);
      // An external id mapped already is reported before anything else.
      const other = await signUp(c, 'public', 'm-other@example.com');
      assert.deepEqual((await map(other, 'ext-ev')).json, { status: 'USER_ID_MAPPING_ALREADY_EXISTS_ERROR', doesSuperTokensUserIdExist: false, doesExternalUserIdExist: true });
      assert.equal((await map(other, withSession)).text, 'Cannot create a userId mapping where the externalId is also a SuperTokens userID');
    });

    it('a database of schema version 6 is upgraded: memberships back-filled, sessions kept', { timeout: 60_000 }, async (ctx) => {
      if (skip !== undefined) return ctx.skip(skip);
      const old = await startTestCoreOrSkip(kind, {});
      if ('skip' in old) return ctx.skip(old.skip);
      try {
        const c1 = cdiClient(old.core.url);
        await createTenant(c1, 'acme');
        const ep = await signUp(c1, 'acme', 'old@example.com');
        const tp = await thirdPartyUser(c1, 'public', 'g-old', 'old@example.com');
        const pl = await passwordlessUser(c1, 'acme', { phoneNumber: '+14155550199' });
        const created = (await c1.post('/acme/recipe/session', { userId: ep, userDataInJWT: {}, userDataInDatabase: { kept: true }, enableAntiCsrf: false })).json;
        await old.core.close();
        const dropped = await rollBackSchema(old.options, 6);
        assert.ok(dropped.includes('st_user_tenants'), `migration 8's table is rolled back: ${dropped.join(', ')}`);
        if (kind === 'sqlite') {
          // The old schema really is back: its per-tenant UNIQUE constraint on st_users.
          const db = new Database(join(old.options.dataDir!, 'core.sqlite'), { readonly: true });
          try {
            const ddl = db.prepare("SELECT sql FROM sqlite_master WHERE name = 'st_users'").get() as { sql: string };
            assert.match(ddl.sql, /UNIQUE \(app_id, tenant_id, email\)/);
          } finally {
            db.close();
          }
        }
        const upgraded = await startCore(old.options);
        try {
          const c2 = cdiClient(upgraded.url);
          const refreshed = (await c2.post('/recipe/session/refresh', { refreshToken: created.refreshToken.token, enableAntiCsrf: false })).json;
          assert.equal(refreshed.status, 'OK', 'the session written before the upgrade refreshes');
          assert.deepEqual((await c2.get(`/recipe/session?sessionHandle=${created.session.handle}`)).json.userDataInDatabase, { kept: true });
          assert.deepEqual((await c2.get(`/user/id?userId=${ep}`)).json.user.tenantIds, ['acme']);
          assert.deepEqual((await c2.get(`/user/id?userId=${tp}`)).json.user.tenantIds, ['public']);
          assert.deepEqual((await c2.get(`/user/id?userId=${pl}`)).json.user.tenantIds, ['acme']);
          assert.equal((await c2.post('/acme/recipe/signin', { email: 'old@example.com', password: 'pass-w0rd' })).json.user.id, ep);
          assert.equal((await c2.post('/acme/recipe/signup', { email: 'old@example.com', password: 'pass-w0rd' })).json.status, 'EMAIL_ALREADY_EXISTS_ERROR');
          assert.deepEqual((await associate(c2, 'public', ep)).json, { status: 'OK', wasAlreadyAssociated: false });
          assert.equal((await c2.get('/acme/users/count')).json.count, 2);
        } finally {
          await upgraded.close();
        }
      } finally {
        await old.dispose();
      }
    });
  });
}

/** A sign-up racing the associations in `race` (same email). */
function signUpRaw(c: Client) {
  return c.post('/race/recipe/signup', { email: 'race@example.com', password: 'pass-w0rd' });
}
