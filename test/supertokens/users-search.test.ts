// GET /users/count and the user list's search filters (email, phone, provider), on SQLite and on
// PostgreSQL (with CI=true; skipped with the reason otherwise).
import { after, before, describe, it } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { cdiClient, startTestCoreOrSkip, type StoreKind, type TestCore } from './helpers.ts';

for (const kind of ['sqlite', 'postgres'] as StoreKind[]) {
  describe(`user count and search (${kind})`, () => {
    let t: TestCore | undefined;
    let skip: string | undefined;
    const ids = new Map<string, string>();

    before(async () => {
      const started = await startTestCoreOrSkip(kind, { tenantIds: ['public', 't2'] });
      if ('skip' in started) {
        skip = started.skip;
        return;
      }
      t = started;
      const c = cdiClient(t.core.url);
      for (const [tenant, email] of [
        ['public', 'alice@example.com'],
        ['public', 'alina@corp.io'],
        ['public', 'bob@example.org'],
        ['public', 'a%b_c@weird.net'],
        ['public', 'axbyc@weird.net'],
        ['t2', 'carol@example.com'],
      ] as const) {
        const res = await c.post(`/${tenant}/recipe/signup`, { email, password: 'pw-123456' });
        assert.equal(res.json.status, 'OK');
        ids.set(email, res.json.user.id);
      }
    });
    after(async () => {
      await t?.dispose();
    });

    const emailsOf = (json: any) => json.users.map((u: any) => u.emails[0]).sort();

    it('counts users per tenant, across tenants, and per recipe', async (ctx) => {
      if (skip !== undefined) return ctx.skip(skip);
      const c = cdiClient(t!.core.url);
      assert.deepEqual((await c.get('/public/users/count')).json, { status: 'OK', count: 5 });
      assert.deepEqual((await c.get('/t2/users/count')).json, { status: 'OK', count: 1 });
      assert.deepEqual((await c.get('/public/users/count?includeAllTenants=true')).json, { status: 'OK', count: 6 });
      assert.deepEqual((await c.get('/public/users/count?includeRecipeIds=emailpassword,thirdparty')).json, { status: 'OK', count: 5 });
      assert.deepEqual((await c.get('/public/users/count?includeRecipeIds=thirdparty')).json, { status: 'OK', count: 0 });
    });

    it('email tags match a prefix of the address or of its domain, exactly, in the tenant only', async (ctx) => {
      if (skip !== undefined) return ctx.skip(skip);
      const c = cdiClient(t!.core.url);
      assert.deepEqual(emailsOf((await c.get('/public/users?email=ali')).json), ['alice@example.com', 'alina@corp.io']);
      assert.deepEqual(emailsOf((await c.get('/public/users?email=ALICE')).json), ['alice@example.com']);
      assert.deepEqual(emailsOf((await c.get('/public/users?email=example')).json), ['alice@example.com', 'bob@example.org']);
      assert.deepEqual(emailsOf((await c.get('/public/users?email=lice')).json), [], 'not a substring match');
      assert.deepEqual(emailsOf((await c.get('/public/users?email=carol')).json), [], 'another tenant');
      assert.deepEqual(emailsOf((await c.get('/t2/users?email=carol')).json), ['carol@example.com']);
      // LIKE wildcards in a tag are literal characters.
      assert.deepEqual(emailsOf((await c.get(`/public/users?email=${encodeURIComponent('a%b_')}`)).json), ['a%b_c@weird.net']);
      // A ;-separated list: any tag matches.
      assert.deepEqual(emailsOf((await c.get('/public/users?email=bob;corp')).json), ['alina@corp.io', 'bob@example.org']);
    });

    it('phone and provider tags match nobody (no such users here); an empty filter lists everyone', async (ctx) => {
      if (skip !== undefined) return ctx.skip(skip);
      const c = cdiClient(t!.core.url);
      assert.deepEqual((await c.get('/public/users?phone=%2B1')).json.users, []);
      assert.deepEqual((await c.get('/public/users?provider=google')).json.users, []);
      assert.deepEqual(emailsOf((await c.get('/public/users?provider=google&email=bob')).json), ['bob@example.org']);
      assert.equal((await c.get('/public/users?email=')).json.users.length, 5);
    });

    it('search results paginate', async (ctx) => {
      if (skip !== undefined) return ctx.skip(skip);
      const c = cdiClient(t!.core.url);
      const first = (await c.get('/public/users?email=a&limit=2')).json;
      assert.equal(first.users.length, 2);
      assert.ok(first.nextPaginationToken);
      const second = (await c.get(`/public/users?email=a&limit=2&paginationToken=${first.nextPaginationToken}`)).json;
      const all = [...emailsOf(first), ...emailsOf(second)].sort();
      assert.deepEqual(all, ['a%b_c@weird.net', 'alice@example.com', 'alina@corp.io', 'axbyc@weird.net']);
      assert.equal(second.nextPaginationToken, undefined);
    });
  });
}
