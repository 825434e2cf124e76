// Multitenancy through the CDI: create/update/read/list/delete tenants (v2 and the v1 shapes of
// CDI <= 5.0), users and sessions scoped to a created tenant, unknown tenants refused, the public and
// configured tenants protected — on SQLite and on PostgreSQL (with CI=true; skipped with the reason otherwise).
import { after, before, describe, it } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { cdiClient, startTestCoreOrSkip, type StoreKind, type TestCore } from './helpers.ts';
import { startCore, type RunningCore } from '../../src/supertokens/index.ts';

for (const kind of ['sqlite', 'postgres'] as StoreKind[]) {
  describe(`multitenancy (${kind})`, () => {
    let t: TestCore | undefined;
    let skip: string | undefined;

    before(async () => {
      const started = await startTestCoreOrSkip(kind, { tenantIds: ['public', 'configured'] });
      if ('skip' in started) {
        skip = started.skip;
        return;
      }
      t = started;
    });
    let restarted: RunningCore | undefined;
    after(async () => {
      await restarted?.close();
      await t?.dispose();
    });

    it('creates, updates (absent keeps, null clears, coreConfig merges), reads and lists tenants', async (ctx) => {
      if (skip !== undefined) return ctx.skip(skip);
      const c = cdiClient(t!.core.url);
      const created = await c.put('/recipe/multitenancy/tenant/v2', { tenantId: 'Acme', firstFactors: ['emailpassword'], coreConfig: { password_reset_token_lifetime: 60000 } });
      assert.deepEqual(created.json, { status: 'OK', createdNew: true });
      assert.deepEqual((await c.get('/acme/recipe/multitenancy/tenant/v2')).json, {
        status: 'OK',
        tenantId: 'acme',
        thirdParty: { providers: [] },
        firstFactors: ['emailpassword'],
        coreConfig: { password_reset_token_lifetime: 60000 },
      });
      const updated = await c.put('/recipe/multitenancy/tenant/v2', { tenantId: 'acme', requiredSecondaryFactors: ['totp'], coreConfig: { email_verification_token_lifetime: 1000, password_reset_token_lifetime: null } });
      assert.deepEqual(updated.json, { status: 'OK', createdNew: false });
      const read = (await c.get('/acme/recipe/multitenancy/tenant/v2')).json;
      assert.deepEqual([read.firstFactors, read.requiredSecondaryFactors, read.coreConfig], [['emailpassword'], ['totp'], { email_verification_token_lifetime: 1000 }]);
      await c.put('/recipe/multitenancy/tenant/v2', { tenantId: 'acme', firstFactors: null });
      assert.equal('firstFactors' in (await c.get('/acme/recipe/multitenancy/tenant/v2')).json, false);
      // A configured tenant exists without a row: updating it is not "created".
      assert.deepEqual((await c.put('/recipe/multitenancy/tenant/v2', { tenantId: 'configured', firstFactors: ['thirdparty'] })).json, { status: 'OK', createdNew: false });
      const list = (await c.get('/recipe/multitenancy/tenant/list/v2')).json;
      assert.equal(list.status, 'OK');
      assert.deepEqual(list.tenants.map((x: { tenantId: string }) => x.tenantId), ['public', 'configured', 'acme']);
      assert.deepEqual(list.tenants[1].firstFactors, ['thirdparty']);
      // v1 (supertokens-node 16–18): per-recipe flags, mapped to first factors.
      const v1 = cdiClient(t!.core.url, { 'cdi-version': '3.0' });
      assert.deepEqual((await v1.put('/recipe/multitenancy/tenant', { tenantId: 'legacy', emailPasswordEnabled: true, thirdPartyEnabled: false, passwordlessEnabled: false })).json, { status: 'OK', createdNew: true });
      assert.deepEqual((await v1.get('/legacy/recipe/multitenancy/tenant')).json, {
        status: 'OK',
        tenantId: 'legacy',
        emailPassword: { enabled: true },
        passwordless: { enabled: false },
        thirdParty: { enabled: false, providers: [] },
        coreConfig: {},
      });
      assert.deepEqual((await c.get('/legacy/recipe/multitenancy/tenant/v2')).json.firstFactors, ['emailpassword']);
      // CDI 5.0 (supertokens-node 18) adds the v2 fields to the v1 shapes.
      const v5 = cdiClient(t!.core.url, { 'cdi-version': '5.0' });
      await v5.put('/recipe/multitenancy/tenant', { tenantId: 'mfa', emailPasswordEnabled: true, firstFactors: ['emailpassword', 'otp-email'], requiredSecondaryFactors: ['totp'] });
      const mfa = (await v5.get('/mfa/recipe/multitenancy/tenant')).json;
      assert.deepEqual([mfa.firstFactors, mfa.requiredSecondaryFactors, mfa.passwordless.enabled, mfa.thirdParty.enabled], [['emailpassword', 'otp-email'], ['totp'], true, false]);
      const v1List = (await v1.get('/recipe/multitenancy/tenant/list')).json.tenants;
      assert.deepEqual(v1List.find((x: { tenantId: string }) => x.tenantId === 'acme').emailPassword, { enabled: true });
      // Bad input: a specific 400, never a crash.
      for (const bad of [{}, { tenantId: '' }, { tenantId: 'a/b' }, { tenantId: 'ok', firstFactors: 'emailpassword' }, { tenantId: 'ok', coreConfig: [] }]) {
        assert.equal((await c.put('/recipe/multitenancy/tenant/v2', bad)).status, 400, JSON.stringify(bad));
      }
      assert.match((await c.put('/recipe/multitenancy/tenant/v2', { tenantId: 'recipe' })).text, /Cannot use 'recipe' as a tenantId/);
      assert.equal((await c.put('/acme/recipe/multitenancy/tenant/v2', { tenantId: 'x' })).status, 403);
    });

    it('users and sessions belong to their tenant; an unknown tenant is refused as the real core does', async (ctx) => {
      if (skip !== undefined) return ctx.skip(skip);
      const c = cdiClient(t!.core.url);
      const unknown = await c.post('/nowhere/recipe/signup', { email: 'a@example.com', password: 'pw-123456' });
      assert.equal(unknown.status, 400);
      assert.equal(unknown.text, 'AppId or tenantId not found => Tenant with the following connectionURIDomain, appId and tenantId combination not found: (, public, nowhere)');
      assert.deepEqual((await c.get('/nowhere/recipe/multitenancy/tenant/v2')).json, { status: 'TENANT_NOT_FOUND_ERROR' });
      await c.put('/recipe/multitenancy/tenant/v2', { tenantId: 'beta' });
      const signUp = (await c.post('/beta/recipe/signup', { email: 'b@example.com', password: 'pw-123456' })).json;
      assert.equal(signUp.status, 'OK');
      assert.deepEqual(signUp.user.tenantIds, ['beta']);
      assert.equal((await c.post('/beta/recipe/signin', { email: 'b@example.com', password: 'pw-123456' })).json.status, 'OK');
      assert.equal((await c.post('/public/recipe/signin', { email: 'b@example.com', password: 'pw-123456' })).json.status, 'WRONG_CREDENTIALS_ERROR');
      const ids = async (tenant: string) => (await c.get(`/${tenant}/users?limit=500`)).json.users.map((u: { id: string }) => u.id) as string[];
      assert.deepEqual(await ids('beta'), [signUp.user.id]);
      assert.equal((await ids('public')).includes(signUp.user.id), false);
      assert.equal((await c.get('/beta/users/count')).json.count, 1);
      const session = (await c.post('/beta/recipe/session', { userId: signUp.user.id, userDataInJWT: {}, userDataInDatabase: {}, enableAntiCsrf: false })).json;
      assert.equal(session.status, 'OK');
      const handle = session.session.handle as string;
      assert.equal((await c.get(`/recipe/session?sessionHandle=${handle}`)).json.tenantId, 'beta');
      await c.put('/recipe/role', { role: 'admin', permissions: [] });
      assert.equal((await c.put('/beta/recipe/user/role', { userId: signUp.user.id, role: 'admin' })).json.status, 'OK');
      // Deleting the tenant ends its sessions and role assignments and closes its paths.
      assert.deepEqual((await c.post('/recipe/multitenancy/tenant/remove', { tenantId: 'beta' })).json, { status: 'OK', didExist: true });
      assert.deepEqual((await c.post('/recipe/multitenancy/tenant/remove', { tenantId: 'beta' })).json, { status: 'OK', didExist: false });
      assert.equal((await c.get(`/recipe/session?sessionHandle=${handle}`)).json.status, 'UNAUTHORISED');
      // Recreated, the tenant starts without the old assignments.
      await c.put('/recipe/multitenancy/tenant/v2', { tenantId: 'beta' });
      assert.deepEqual((await c.get('/beta/recipe/role/users?role=admin')).json.users, []);
      await c.post('/recipe/multitenancy/tenant/remove', { tenantId: 'beta' });
      assert.equal((await c.post('/beta/recipe/signin', { email: 'b@example.com', password: 'pw-123456' })).status, 400);
      assert.equal((await c.get('/recipe/multitenancy/tenant/list/v2')).json.tenants.some((x: { tenantId: string }) => x.tenantId === 'beta'), false);
      const pub = await c.post('/recipe/multitenancy/tenant/remove', { tenantId: 'public' });
      assert.deepEqual([pub.status, pub.text], [403, 'Cannot delete public tenant, use remove app API instead']);
      assert.equal((await c.post('/recipe/multitenancy/tenant/remove', { tenantId: 'configured' })).status, 403);
    });

    it('created tenants survive a restart on the same database', async (ctx) => {
      if (skip !== undefined) return ctx.skip(skip);
      const c = cdiClient(t!.core.url);
      await c.put('/recipe/multitenancy/tenant/v2', { tenantId: 'durable', firstFactors: ['emailpassword'] });
      await t!.core.close();
      restarted = await startCore(t!.options);
      const again = cdiClient(restarted.url);
      assert.deepEqual((await again.get('/durable/recipe/multitenancy/tenant/v2')).json.firstFactors, ['emailpassword']);
      assert.equal((await again.post('/durable/recipe/signup', { email: 'd@example.com', password: 'pw-123456' })).json.status, 'OK');
    });
  });
}
