// Account linking (CDI 4.0+): the AccountLinking recipe's endpoints with every rule and error, the
// primary user in every user read (`/user/id`, `/users`, `/users/count`, `/users/by-accountinfo`,
// sign-in answers), sessions of a linked recipe user (`sub` = primary, `rsub` = recipe user),
// `/user/remove` with and without `removeAllLinkedAccounts`, the password-reset token rule, racing
// link calls, and a database written before migration 7 upgraded in place with its sessions. On SQLite
// and on PostgreSQL (with CI=true; skipped with the reason otherwise).
import { after, before, describe, it } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { startCore } from '../../src/supertokens/index.ts';
import { cdiClient, decodeJwtPart, rollBackSchema, startTestCoreOrSkip, type StoreKind, type TestCore } from './helpers.ts';

interface UserJson {
  id: string;
  isPrimaryUser: boolean;
  tenantIds: string[];
  timeJoined: number;
  emails: string[];
  phoneNumbers: string[];
  thirdParty: { id: string; userId: string }[];
  loginMethods: { recipeId: string; recipeUserId: string; email?: string; verified: boolean; timeJoined: number; tenantIds: string[] }[];
}

for (const kind of ['sqlite', 'postgres'] as StoreKind[]) {
  describe(`account linking (${kind})`, { timeout: 120_000 }, () => {
    let t: TestCore | undefined;
    let skip: string | undefined;

    before(async () => {
      const started = await startTestCoreOrSkip(kind, { tenantIds: ['public', 't2'] });
      if ('skip' in started) skip = started.skip;
      else t = started;
    });
    after(async () => {
      await t?.dispose();
    });

    const c = () => cdiClient(t!.core.url);
    let n = 0;
    /** A fresh email/password user (unique email unless given). */
    const signUp = async (email = `ep-${++n}-${kind}@example.com`, tenant = 'public'): Promise<UserJson> => {
      const res = await c().post(`/${tenant}/recipe/signup`, { email, password: 'pw-123456' });
      assert.equal(res.json.status, 'OK', res.text);
      return res.json.user;
    };
    const thirdParty = async (email: string, userId = `g-${++n}`): Promise<UserJson> => {
      const res = await c().post('/public/recipe/signinup', { thirdPartyId: 'google', thirdPartyUserId: userId, email: { id: email, isVerified: false } });
      assert.equal(res.json.status, 'OK', res.text);
      return res.json.user;
    };
    const getUser = async (id: string): Promise<UserJson> => (await c().get(`/user/id?userId=${encodeURIComponent(id)}`)).json.user;
    const primaryCheck = async (id: string) => (await c().get(`/recipe/accountlinking/user/primary/check?recipeUserId=${encodeURIComponent(id)}`)).json;
    const makePrimary = async (id: string) => (await c().post('/recipe/accountlinking/user/primary', { recipeUserId: id })).json;
    const linkCheck = async (recipeUserId: string, primaryUserId: string) =>
      (await c().get(`/recipe/accountlinking/user/link/check?recipeUserId=${encodeURIComponent(recipeUserId)}&primaryUserId=${encodeURIComponent(primaryUserId)}`)).json;
    const link = async (recipeUserId: string, primaryUserId: string) => (await c().post('/recipe/accountlinking/user/link', { recipeUserId, primaryUserId })).json;
    const unlink = async (recipeUserId: string) => (await c().post('/recipe/accountlinking/user/unlink', { recipeUserId })).json;

    it('createPrimaryUser and its check: wasAlreadyAPrimaryUser, unknown ids, a linked user, a conflicting email', async (ctx) => {
      if (skip !== undefined) return ctx.skip(skip);
      const a = await signUp();
      assert.deepEqual(await primaryCheck(a.id), { status: 'OK', wasAlreadyAPrimaryUser: false });
      assert.equal((await getUser(a.id)).isPrimaryUser, false, 'the check writes nothing');
      const created = await makePrimary(a.id);
      assert.equal(created.status, 'OK');
      assert.equal(created.wasAlreadyAPrimaryUser, false);
      assert.equal(created.user.id, a.id);
      assert.equal(created.user.isPrimaryUser, true);
      assert.deepEqual(await primaryCheck(a.id), { status: 'OK', wasAlreadyAPrimaryUser: true });
      assert.equal((await makePrimary(a.id)).wasAlreadyAPrimaryUser, true);
      for (const res of [
        await c().get('/recipe/accountlinking/user/primary/check?recipeUserId=nobody'),
        await c().post('/recipe/accountlinking/user/primary', { recipeUserId: 'nobody' }),
      ]) {
        assert.deepEqual([res.status, res.text], [400, 'Unknown user ID provided']);
      }
      // A user linked to a primary user cannot become primary.
      const b = await signUp();
      assert.equal((await link(b.id, a.id)).status, 'OK');
      assert.deepEqual(await primaryCheck(b.id), {
        status: 'RECIPE_USER_ID_ALREADY_LINKED_WITH_PRIMARY_USER_ID_ERROR',
        primaryUserId: a.id,
        description: 'This user ID is already linked to another user ID',
      });
      // Another user with the email of a primary user's login method (in the same tenant) cannot.
      const sameEmail = await thirdParty(a.emails[0]!);
      const conflict = {
        status: 'ACCOUNT_INFO_ALREADY_ASSOCIATED_WITH_ANOTHER_PRIMARY_USER_ID_ERROR',
        primaryUserId: a.id,
        description: "This user's email is already associated with another user ID",
      };
      assert.deepEqual(await primaryCheck(sameEmail.id), conflict);
      assert.deepEqual(await makePrimary(sameEmail.id), conflict);
      // ...nor one with the email of a linked (non-primary) login method of it.
      const sameAsLinked = await thirdParty(b.emails[0]!);
      assert.equal((await primaryCheck(sameAsLinked.id)).status, conflict.status);
      // The same email in another tenant is no conflict (account infos are per tenant).
      const otherTenant = await signUp(a.emails[0]!, 't2');
      assert.deepEqual(await primaryCheck(otherTenant.id), { status: 'OK', wasAlreadyAPrimaryUser: false });
    });

    it('linkAccounts and its check: the user with all login methods, already linked, not primary, linked elsewhere, conflicts', async (ctx) => {
      if (skip !== undefined) return ctx.skip(skip);
      const p = await signUp();
      const r = await thirdParty(`tp-${++n}-${kind}@example.com`);
      assert.deepEqual(await linkCheck(r.id, p.id), { status: 'INPUT_USER_IS_NOT_A_PRIMARY_USER', description: 'The input primary user ID is not a primary user' });
      assert.deepEqual(await link(r.id, p.id), { status: 'INPUT_USER_IS_NOT_A_PRIMARY_USER' });
      await makePrimary(p.id);
      assert.deepEqual(await linkCheck(r.id, p.id), { status: 'OK', accountsAlreadyLinked: false });
      assert.equal((await getUser(r.id)).id, r.id, 'the check writes nothing');
      const linked = await link(r.id, p.id);
      assert.equal(linked.status, 'OK');
      assert.equal(linked.accountsAlreadyLinked, false);
      const user: UserJson = linked.user;
      assert.equal(user.id, p.id);
      assert.equal(user.isPrimaryUser, true);
      assert.deepEqual(user.loginMethods.map((m) => [m.recipeId, m.recipeUserId]), [['emailpassword', p.id], ['thirdparty', r.id]]);
      assert.deepEqual(user.emails, [p.emails[0], r.emails[0]]);
      assert.deepEqual(user.thirdParty, r.thirdParty);
      assert.deepEqual(user.tenantIds, ['public']);
      assert.equal(user.timeJoined, p.timeJoined);
      // Either id reads the primary user.
      assert.deepEqual(await getUser(r.id), user);
      assert.deepEqual(await linkCheck(r.id, p.id), { status: 'OK', accountsAlreadyLinked: true });
      assert.equal((await link(r.id, p.id)).accountsAlreadyLinked, true);
      // A linked user's id names its primary user as `primaryUserId`.
      assert.deepEqual(await linkCheck(p.id, r.id), { status: 'OK', accountsAlreadyLinked: true });
      // Linked elsewhere: the recipe user already belongs to another primary user.
      const q = await signUp();
      await makePrimary(q.id);
      const elsewhere = await link(r.id, q.id);
      assert.equal(elsewhere.status, 'RECIPE_USER_ID_ALREADY_LINKED_WITH_ANOTHER_PRIMARY_USER_ID_ERROR');
      assert.equal(elsewhere.primaryUserId, p.id);
      assert.equal(elsewhere.description, 'The input recipe user ID is already linked to another user ID');
      assert.equal(elsewhere.user.id, p.id);
      assert.deepEqual(await linkCheck(r.id, q.id), {
        status: 'RECIPE_USER_ID_ALREADY_LINKED_WITH_ANOTHER_PRIMARY_USER_ID_ERROR',
        primaryUserId: p.id,
        description: 'The input recipe user ID is already linked to another user ID',
      });
      // A primary user cannot be linked to another one.
      assert.equal((await linkCheck(q.id, p.id)).status, 'RECIPE_USER_ID_ALREADY_LINKED_WITH_ANOTHER_PRIMARY_USER_ID_ERROR');
      // Conflicts: the user to link has the email of another primary user (q)...
      const withQsEmail = await thirdParty(q.emails[0]!);
      assert.deepEqual(await linkCheck(withQsEmail.id, p.id), {
        status: 'ACCOUNT_INFO_ALREADY_ASSOCIATED_WITH_ANOTHER_PRIMARY_USER_ID_ERROR',
        primaryUserId: q.id,
        description: "This user's email is already associated with another user ID",
      });
      assert.equal((await link(withQsEmail.id, p.id)).status, 'ACCOUNT_INFO_ALREADY_ASSOCIATED_WITH_ANOTHER_PRIMARY_USER_ID_ERROR');
      // ...or the same third-party login (the third-party user itself is in p's group; a second
      // tenant's user with that login is no conflict for q in public).
      const unknown = await c().get(`/recipe/accountlinking/user/link/check?recipeUserId=nobody&primaryUserId=${p.id}`);
      assert.deepEqual([unknown.status, unknown.text], [400, 'Unknown user ID provided']);
      const unknownPrimary = await c().post('/recipe/accountlinking/user/link', { recipeUserId: r.id, primaryUserId: 'nobody' });
      assert.deepEqual([unknownPrimary.status, unknownPrimary.text], [400, 'Unknown user ID provided']);
      assert.equal((await c().post('/recipe/accountlinking/user/link', { recipeUserId: r.id })).status, 400);
    });

    it('unlink: a linked user, a primary user alone, a primary user with others (wasRecipeUserDeleted), an unlinked user', async (ctx) => {
      if (skip !== undefined) return ctx.skip(skip);
      const p = await signUp();
      const r = await signUp();
      await makePrimary(p.id);
      await link(r.id, p.id);
      assert.deepEqual(await unlink(r.id), { status: 'OK', wasRecipeUserDeleted: false, wasLinked: true });
      assert.deepEqual((await getUser(r.id)).loginMethods.map((m) => m.recipeUserId), [r.id]);
      assert.equal((await getUser(r.id)).isPrimaryUser, false);
      assert.deepEqual(await unlink(r.id), { status: 'OK', wasRecipeUserDeleted: false, wasLinked: false });
      // A primary user alone stops being primary.
      assert.deepEqual(await unlink(p.id), { status: 'OK', wasRecipeUserDeleted: false, wasLinked: true });
      assert.equal((await getUser(p.id)).isPrimaryUser, false);
      // A primary user with linked users: its own login method is deleted, the group keeps its id.
      await makePrimary(p.id);
      await link(r.id, p.id);
      assert.deepEqual(await unlink(p.id), { status: 'OK', wasRecipeUserDeleted: true, wasLinked: true });
      const rest = await getUser(p.id);
      assert.equal(rest.id, p.id);
      assert.equal(rest.isPrimaryUser, true);
      assert.deepEqual(rest.loginMethods.map((m) => m.recipeUserId), [r.id]);
      assert.equal((await getUser(r.id)).id, p.id);
      assert.equal((await c().post('/public/recipe/signin', { email: p.emails[0], password: 'pw-123456' })).json.status, 'WRONG_CREDENTIALS_ERROR');
      const unknown = await c().post('/recipe/accountlinking/user/unlink', { recipeUserId: 'nobody' });
      assert.deepEqual([unknown.status, unknown.text], [400, 'Unknown user ID provided']);
    });

    it('lists, counts and finds a linked user once; sign-in answers the primary user and the recipe user id', async (ctx) => {
      if (skip !== undefined) return ctx.skip(skip);
      const email = `list-${kind}@example.com`;
      const p = await signUp(email);
      const r = await thirdParty(email);
      const before = (await c().get('/public/users/count')).json.count;
      await makePrimary(p.id);
      await link(r.id, p.id);
      assert.equal((await c().get('/public/users/count')).json.count, before - 1);
      const listed: UserJson[] = (await c().get('/public/users?limit=500')).json.users;
      assert.equal(listed.filter((u) => u.id === p.id).length, 1);
      assert.equal(listed.some((u) => u.id === r.id), false);
      assert.equal(listed.find((u) => u.id === p.id)!.loginMethods.length, 2);
      // Search by the third-party provider finds the primary user (through its linked login method).
      const searched: UserJson[] = (await c().get(`/public/users?limit=500&email=list-${kind}`)).json.users;
      assert.deepEqual(searched.map((u) => u.id), [p.id]);
      // Pagination walks users, not login methods: one page at a time sees p once.
      const seen: string[] = [];
      let token: string | undefined;
      do {
        const page = (await c().get(`/public/users?limit=1${token ? `&paginationToken=${token}` : ''}`)).json;
        seen.push(...page.users.map((u: UserJson) => u.id));
        token = page.nextPaginationToken;
      } while (token !== undefined);
      assert.deepEqual(seen, listed.map((u) => u.id));
      const byEmail: UserJson[] = (await c().get(`/public/users/by-accountinfo?email=${email}`)).json.users;
      assert.deepEqual(byEmail.map((u) => u.id), [p.id]);
      const byProvider: UserJson[] = (await c().get(`/public/users/by-accountinfo?thirdPartyId=google&thirdPartyUserId=${r.thirdParty[0]!.userId}`)).json.users;
      assert.deepEqual(byProvider.map((u) => u.id), [p.id]);
      const lone = await c().get('/public/users/by-accountinfo?thirdPartyId=google');
      assert.deepEqual([lone.status, lone.text], [400, "If 'thirdPartyId' is provided, 'thirdPartyUserId' must also be provided, and vice versa"]);
      // Union of infos held by different login methods of one user: listed once.
      const union: UserJson[] = (await c().get(`/public/users/by-accountinfo?email=${p.emails[0]}&thirdPartyId=google&thirdPartyUserId=${r.thirdParty[0]!.userId}&doUnionOfAccountInfo=true`)).json.users;
      assert.deepEqual(union.map((u) => u.id), [p.id]);
      const signIn = (await c().post('/public/recipe/signinup', { thirdPartyId: 'google', thirdPartyUserId: r.thirdParty[0]!.userId, email: { id: email, isVerified: false } })).json;
      assert.deepEqual([signIn.user.id, signIn.recipeUserId, signIn.createdNewUser], [p.id, r.id, false]);
      const epSignIn = (await c().post('/public/recipe/signin', { email, password: 'pw-123456' })).json;
      assert.deepEqual([epSignIn.user.id, epSignIn.recipeUserId], [p.id, p.id]);
      // CDI < 4.0 knows no linking: one entry per recipe user.
      const legacy = (await cdiClient(t!.core.url, { 'cdi-version': '3.0' }).get('/public/users?limit=500')).json.users;
      assert.equal(legacy.filter((u: { user: { id: string } }) => u.user.id === p.id || u.user.id === r.id).length, 2);
    });

    it('sessions of a linked recipe user: sub is the primary user, rsub the recipe user; linking revokes, revoke covers linked users', async (ctx) => {
      if (skip !== undefined) return ctx.skip(skip);
      const p = await signUp();
      const r = await signUp();
      await makePrimary(p.id);
      const before = (await c().post('/public/recipe/session', { userId: r.id, userDataInJWT: {}, userDataInDatabase: {}, enableAntiCsrf: false })).json;
      await link(r.id, p.id);
      assert.deepEqual((await c().get(`/public/recipe/session/user?userId=${r.id}&fetchSessionsForAllLinkedAccounts=false`)).json.sessionHandles, [], 'linking revoked the recipe user\'s sessions');
      assert.equal((await c().post('/recipe/session/refresh', { refreshToken: before.refreshToken.token, enableAntiCsrf: false })).json.status, 'UNAUTHORISED');
      const created = (await c().post('/public/recipe/session', { userId: r.id, userDataInJWT: { k: 1 }, userDataInDatabase: {}, enableAntiCsrf: false })).json;
      assert.deepEqual([created.session.userId, created.session.recipeUserId], [p.id, r.id]);
      const claims = decodeJwtPart(created.accessToken.token, 1);
      assert.deepEqual([claims.sub, claims.rsub], [p.id, r.id]);
      const verified = (await c().post('/recipe/session/verify', { accessToken: created.accessToken.token, enableAntiCsrf: false, doAntiCsrfCheck: false, checkDatabase: true })).json;
      assert.deepEqual([verified.session.userId, verified.session.recipeUserId], [p.id, r.id]);
      const info = (await c().get(`/recipe/session?sessionHandle=${created.session.handle}`)).json;
      assert.deepEqual([info.userId, info.recipeUserId], [p.id, r.id]);
      const refreshed = (await c().post('/recipe/session/refresh', { refreshToken: created.refreshToken.token, enableAntiCsrf: false })).json;
      assert.deepEqual([refreshed.session.userId, refreshed.session.recipeUserId], [p.id, r.id]);
      assert.deepEqual([decodeJwtPart(refreshed.accessToken.token, 1).sub, decodeJwtPart(refreshed.accessToken.token, 1).rsub], [p.id, r.id]);
      // The primary user's handles include the linked user's sessions; revoking for p covers them.
      assert.deepEqual((await c().get(`/public/recipe/session/user?userId=${p.id}`)).json.sessionHandles, [created.session.handle]);
      assert.deepEqual((await c().get(`/public/recipe/session/user?userId=${p.id}&fetchSessionsForAllLinkedAccounts=false`)).json.sessionHandles, []);
      assert.deepEqual((await c().post('/public/recipe/session/remove', { userId: p.id, revokeSessionsForLinkedAccounts: false })).json.sessionHandlesRevoked, []);
      assert.deepEqual((await c().post('/public/recipe/session/remove', { userId: p.id })).json.sessionHandlesRevoked, [created.session.handle]);
      // Unlinking revokes the recipe user's sessions too.
      const again = (await c().post('/public/recipe/session', { userId: r.id, userDataInJWT: {}, userDataInDatabase: {}, enableAntiCsrf: false })).json;
      await unlink(r.id);
      assert.equal((await c().get(`/recipe/session?sessionHandle=${again.session.handle}`)).json.status, 'UNAUTHORISED');
    });

    it('external ids (user-id mapping) are accepted and answered', async (ctx) => {
      if (skip !== undefined) return ctx.skip(skip);
      const p = await signUp();
      const r = await signUp();
      await c().post('/recipe/userid/map', { superTokensUserId: p.id, externalUserId: `ext-p-${kind}` });
      await c().post('/recipe/userid/map', { superTokensUserId: r.id, externalUserId: `ext-r-${kind}` });
      const created = await makePrimary(`ext-p-${kind}`);
      assert.equal(created.user.id, `ext-p-${kind}`);
      const linked = await link(`ext-r-${kind}`, `ext-p-${kind}`);
      assert.deepEqual(linked.user.loginMethods.map((m: { recipeUserId: string }) => m.recipeUserId), [`ext-p-${kind}`, `ext-r-${kind}`]);
      assert.equal((await getUser(r.id)).id, `ext-p-${kind}`);
      const other = await thirdParty(p.emails[0]!);
      assert.equal((await primaryCheck(other.id)).primaryUserId, `ext-p-${kind}`);
      const session = (await c().post('/public/recipe/session', { userId: `ext-r-${kind}`, userDataInJWT: {}, userDataInDatabase: {}, enableAntiCsrf: false })).json;
      const claims = decodeJwtPart(session.accessToken.token, 1);
      assert.deepEqual([claims.sub, claims.rsub], [`ext-p-${kind}`, `ext-r-${kind}`]);
      assert.deepEqual(await unlink(`ext-r-${kind}`), { status: 'OK', wasRecipeUserDeleted: false, wasLinked: true });
    });

    it('a linked login method may not take an email or phone number of another primary user', async (ctx) => {
      if (skip !== undefined) return ctx.skip(skip);
      const taken = `taken-${kind}@example.com`;
      const q = await thirdParty(taken);
      await makePrimary(q.id);
      const p = await signUp();
      const r = await signUp();
      await makePrimary(p.id);
      await link(r.id, p.id);
      assert.deepEqual((await c().put('/recipe/user', { recipeUserId: r.id, email: taken }, { rid: 'emailpassword' })).json, {
        status: 'EMAIL_CHANGE_NOT_ALLOWED_ERROR',
        reason: 'New email is associated with another primary user ID',
      });
      // An unlinked user may (the other user is no conflict for it).
      const free = await signUp();
      assert.deepEqual((await c().put('/recipe/user', { recipeUserId: free.id, email: taken }, { rid: 'emailpassword' })).json, { status: 'OK' });
      // A linked third-party user whose provider now reports the taken email keeps its own.
      const tp = await thirdParty(`tp-own-${kind}@example.com`, `g-own-${kind}`);
      await link(tp.id, p.id);
      assert.deepEqual((await c().post('/public/recipe/signinup', { thirdPartyId: 'google', thirdPartyUserId: `g-own-${kind}`, email: { id: taken, isVerified: false } })).json, {
        status: 'EMAIL_CHANGE_NOT_ALLOWED_ERROR',
        reason: 'Email already associated with another primary user.',
      });
      assert.ok((await getUser(tp.id)).emails.includes(`tp-own-${kind}@example.com`));
      // A linked passwordless user: neither the email nor the phone number of another primary user.
      const phone = `+1555${kind === 'sqlite' ? '1' : '2'}000001`;
      const code = (await c().post('/public/recipe/signinup/code', { phoneNumber: phone })).json;
      const pl = (await c().post('/public/recipe/signinup/code/consume', { preAuthSessionId: code.preAuthSessionId, linkCode: code.linkCode })).json.user;
      const otherPhone = `+1555${kind === 'sqlite' ? '1' : '2'}000002`;
      const code2 = (await c().post('/public/recipe/signinup/code', { phoneNumber: otherPhone })).json;
      const other = (await c().post('/public/recipe/signinup/code/consume', { preAuthSessionId: code2.preAuthSessionId, linkCode: code2.linkCode })).json.user;
      await makePrimary(other.id);
      await link(pl.id, p.id);
      const plPut = (body: Record<string, unknown>) => c().put('/recipe/user', { recipeUserId: pl.id, ...body }, { rid: 'passwordless' });
      assert.deepEqual((await plPut({ email: taken })).json, { status: 'EMAIL_CHANGE_NOT_ALLOWED_ERROR', reason: 'New email is associated with another primary user ID' });
      assert.deepEqual((await plPut({ phoneNumber: otherPhone })).json, {
        status: 'PHONE_NUMBER_CHANGE_NOT_ALLOWED_ERROR',
        reason: 'New phone number is associated with another primary user ID',
      });
    });

    it('email verification stays per recipe user and email', async (ctx) => {
      if (skip !== undefined) return ctx.skip(skip);
      const email = `ev-${kind}@example.com`;
      const p = await signUp(email);
      const r = await thirdParty(email);
      await makePrimary(p.id);
      await link(r.id, p.id);
      const token = (await c().post('/public/recipe/user/email/verify/token', { userId: r.id, email })).json.token;
      assert.equal((await c().post('/public/recipe/user/email/verify', { method: 'token', token })).json.status, 'OK');
      const user = await getUser(p.id);
      assert.deepEqual(user.loginMethods.map((m) => [m.recipeUserId, m.verified]), [[p.id, false], [r.id, true]]);
    });

    it('password reset token: for an email of any login method of the user, not another email', async (ctx) => {
      if (skip !== undefined) return ctx.skip(skip);
      const p = await thirdParty(`reset-tp-${kind}@example.com`);
      const r = await signUp(`reset-ep-${kind}@example.com`);
      await makePrimary(p.id);
      await link(r.id, p.id);
      const token = async (userId: string, email: string) => (await c().post('/public/recipe/user/password/reset/token', { userId, email })).json;
      // The primary user (a third-party login method) may get a token for the linked user's email, and
      // for its own (the SDK then adds an email/password login method with it).
      assert.equal((await token(p.id, `reset-ep-${kind}@example.com`)).status, 'OK');
      assert.equal((await token(p.id, `reset-tp-${kind}@example.com`)).status, 'OK');
      assert.equal((await token(r.id, ` Reset-TP-${kind}@example.com`)).status, 'OK');
      assert.deepEqual(await token(p.id, `someone-else-${kind}@example.com`), { status: 'UNKNOWN_USER_ID_ERROR' });
      const issued = await token(p.id, `reset-ep-${kind}@example.com`);
      const consumed = (await c().post('/public/recipe/user/password/reset/token/consume', { token: issued.token })).json;
      assert.deepEqual(consumed, { status: 'OK', userId: p.id, email: `reset-ep-${kind}@example.com` });
    });

    it('/user/remove: one login method of a linked user, or the whole user (removeAllLinkedAccounts)', async (ctx) => {
      if (skip !== undefined) return ctx.skip(skip);
      const p = await signUp();
      const r = await signUp();
      const s = await signUp();
      await makePrimary(p.id);
      await link(r.id, p.id);
      await link(s.id, p.id);
      await c().put('/recipe/user/metadata', { userId: p.id, metadataUpdate: { team: 'a' } });
      assert.deepEqual((await c().post('/user/remove', { userId: r.id, removeAllLinkedAccounts: false })).json, { status: 'OK' });
      assert.deepEqual((await getUser(p.id)).loginMethods.map((m) => m.recipeUserId), [p.id, s.id]);
      // The primary user's own login method alone: the group and its data stay.
      await c().post('/user/remove', { userId: p.id, removeAllLinkedAccounts: false });
      assert.deepEqual((await getUser(s.id)).loginMethods.map((m) => m.recipeUserId), [s.id]);
      assert.equal((await getUser(s.id)).id, p.id);
      assert.deepEqual((await c().get(`/recipe/user/metadata?userId=${p.id}`)).json.metadata, { team: 'a' });
      // Everything: the remaining login method and the primary user's data.
      const q = await signUp();
      await link(q.id, s.id);
      await c().post('/user/remove', { userId: s.id });
      assert.equal((await c().get(`/user/id?userId=${s.id}`)).json.status, 'UNKNOWN_USER_ID_ERROR');
      assert.equal((await c().get(`/user/id?userId=${q.id}`)).json.status, 'UNKNOWN_USER_ID_ERROR');
      assert.equal((await c().get(`/user/id?userId=${p.id}`)).json.status, 'UNKNOWN_USER_ID_ERROR');
      assert.deepEqual((await c().get(`/recipe/user/metadata?userId=${p.id}`)).json.metadata, {});
      // A freed email can make a new primary user.
      const again = await signUp(p.emails[0]!);
      assert.equal((await makePrimary(again.id)).status, 'OK');
    });

    it('racing link calls: one primary user per email, a recipe user in one group', async (ctx) => {
      if (skip !== undefined) return ctx.skip(skip);
      // Eight users with one email (one email/password, seven third-party logins): eight racing
      // createPrimaryUser calls make exactly one primary user.
      const email = `race-${kind}@example.com`;
      const users = [await signUp(email), ...(await Promise.all(Array.from({ length: 7 }, () => thirdParty(email))))];
      const made = await Promise.all(users.map((u) => makePrimary(u.id)));
      assert.equal(made.filter((m) => m.status === 'OK').length, 1, JSON.stringify(made.map((m) => m.status)));
      assert.equal(made.filter((m) => m.status === 'ACCOUNT_INFO_ALREADY_ASSOCIATED_WITH_ANOTHER_PRIMARY_USER_ID_ERROR').length, 7);
      // One recipe user, four primary users racing to link it: it ends in exactly one group.
      const primaries = [await signUp(), await signUp(), await signUp(), await signUp()];
      for (const p of primaries) await makePrimary(p.id);
      const r = await signUp();
      const linked = await Promise.all(primaries.map((p) => link(r.id, p.id)));
      assert.equal(linked.filter((l) => l.status === 'OK').length, 1, JSON.stringify(linked.map((l) => l.status)));
      assert.equal(linked.filter((l) => l.status === 'RECIPE_USER_ID_ALREADY_LINKED_WITH_ANOTHER_PRIMARY_USER_ID_ERROR').length, 3);
      const owner = (await getUser(r.id)).id;
      const sizes = await Promise.all(primaries.map(async (p) => (await getUser(p.id)).loginMethods.length));
      assert.deepEqual(sizes, primaries.map((p) => (p.id === owner ? 2 : 1)));
      // Two users with one email racing to link into two primary users whose emails differ: the
      // second link would give both groups that email, so one of them is refused.
      const [x, y] = [await signUp(), await signUp()];
      await makePrimary(x.id);
      await makePrimary(y.id);
      const shared = `race-shared-${kind}@example.com`;
      const [s1, s2] = [await thirdParty(shared), await thirdParty(shared)];
      const crossed = await Promise.all([link(s1.id, x.id), link(s2.id, y.id)]);
      assert.deepEqual(crossed.map((l) => l.status).sort(), ['ACCOUNT_INFO_ALREADY_ASSOCIATED_WITH_ANOTHER_PRIMARY_USER_ID_ERROR', 'OK']);
    });

    it('a database written before migration 7 is upgraded; its sessions and users survive', async (ctx) => {
      if (skip !== undefined) return ctx.skip(skip);
      const old = await startTestCoreOrSkip(kind, {});
      if ('skip' in old) return ctx.skip(old.skip);
      try {
        const c1 = cdiClient(old.core.url);
        const user = (await c1.post('/public/recipe/signup', { email: 'old@example.com', password: 'pw-123456' })).json.user;
        const created = (await c1.post('/public/recipe/session', { userId: user.id, userDataInJWT: {}, userDataInDatabase: { kept: true }, enableAntiCsrf: false })).json;
        await old.core.close();
        const added = await rollBackSchema(old.options, 6);
        assert.ok(added.includes('st_account_links'), 'migration 7 added the links table');
        const upgraded = await startCore(old.options);
        try {
          const c2 = cdiClient(upgraded.url);
          const refreshed = (await c2.post('/recipe/session/refresh', { refreshToken: created.refreshToken.token, enableAntiCsrf: false })).json;
          assert.equal(refreshed.status, 'OK', 'the session written before the upgrade refreshes');
          assert.deepEqual([refreshed.session.userId, refreshed.session.recipeUserId], [user.id, user.id]);
          assert.equal((await c2.get(`/user/id?userId=${user.id}`)).json.user.isPrimaryUser, false);
          assert.equal((await c2.post('/recipe/accountlinking/user/primary', { recipeUserId: user.id })).json.status, 'OK');
        } finally {
          await upgraded.close();
        }
      } finally {
        await old.dispose();
      }
    });
  });
}
