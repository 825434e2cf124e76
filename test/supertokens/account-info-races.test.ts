// Races on account info, through real concurrent CDI calls, on SQLite and on PostgreSQL (CI=true):
// 1. email / phone-number changes racing each other and a sign-up to one value in a shared tenant answer
//    EMAIL_ALREADY_EXISTS_ERROR / PHONE_NUMBER_ALREADY_EXISTS_ERROR, never 500, and write no duplicate;
// 2. an email change (email/password, passwordless, third-party sign-in-up) racing a link that would make it
//    refused: the change and the link never both succeed (the check runs in the change's transaction);
// 3. a tenant association racing createPrimaryUser of another user with the group's email in that
//    tenant: never both succeed (ASSOCIATION_NOT_ALLOWED_ERROR is decided in the association's transaction).
// Each scenario runs many independent races at once, so an interleaving that slips between a check and
// its write is likely to happen at least once when the check is outside the write's transaction.
// Checked against the code before the fix: on PostgreSQL all three failed (500s; change and link both
// OK; association and createPrimaryUser both OK); on SQLite the second failed (the email/password change
// hashes its password between the old check and the write). SQLite serialises transactions in the
// process, so the first cannot happen there, and the old association check had no await gap wide
// enough for a link to run in (not observed in 100 races); both still guard the behaviour there.
import { after, before, describe, it } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { cdiClient, startTestCoreOrSkip, type StoreKind, type TestCore } from './helpers.ts';

interface UserJson {
  id: string;
  isPrimaryUser: boolean;
  emails: string[];
  phoneNumbers: string[];
  loginMethods: { recipeUserId: string }[];
}

const PARALLEL_RACES = 30;

for (const kind of ['sqlite', 'postgres'] as StoreKind[]) {
  describe(`account-info races (${kind})`, { timeout: 180_000 }, () => {
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
    const fresh = (prefix: string) => `${prefix}-${++n}-${kind}@example.com`;
    const signUp = async (email = fresh('ep'), tenant = 'public'): Promise<UserJson> => {
      const res = await c().post(`/${tenant}/recipe/signup`, { email, password: 'pw-123456' });
      assert.equal(res.json?.status, 'OK', res.text);
      return res.json.user;
    };
    const thirdParty = async (email: string, thirdPartyUserId: string): Promise<UserJson> => {
      const res = await c().post('/public/recipe/signinup', { thirdPartyId: 'google', thirdPartyUserId, email: { id: email, isVerified: false } });
      assert.equal(res.json?.status, 'OK', res.text);
      return res.json.user;
    };
    const passwordless = async (account: { email: string } | { phoneNumber: string }, tenant = 'public'): Promise<UserJson> => {
      const code = (await c().post(`/${tenant}/recipe/signinup/code`, account)).json;
      const res = await c().post(`/${tenant}/recipe/signinup/code/consume`, { preAuthSessionId: code.preAuthSessionId, linkCode: code.linkCode });
      assert.equal(res.json?.status, 'OK', res.text);
      return res.json.user;
    };
    const phone = () => `+1555${kind === 'sqlite' ? '3' : '4'}${String(++n).padStart(6, '0')}`;
    const makePrimary = async (id: string) => {
      const res = await c().post('/recipe/accountlinking/user/primary', { recipeUserId: id });
      return res.json?.status ?? `HTTP ${res.status}`;
    };
    const link = async (recipeUserId: string, primaryUserId: string) => {
      const res = await c().post('/recipe/accountlinking/user/link', { recipeUserId, primaryUserId });
      return res.json?.status ?? `HTTP ${res.status}`;
    };
    const getUser = async (id: string): Promise<UserJson> => (await c().get(`/user/id?userId=${encodeURIComponent(id)}`)).json.user;
    /** A CDI answer's status, or the HTTP status when it is not a JSON answer (a 500 is plain text). */
    const statusOf = (res: { status: number; json: any }) => (res.status === 200 ? (res.json?.status as string) : `HTTP ${res.status}`);
    const epPut = (recipeUserId: string, email: string) => c().put('/recipe/user', { recipeUserId, email }, { rid: 'emailpassword' });
    const plPut = (recipeUserId: string, body: Record<string, unknown>) => c().put('/recipe/user', { recipeUserId, ...body }, { rid: 'passwordless' });

    it('email and phone changes racing each other and a sign-up to one value: one wins, the others get the *_ALREADY_EXISTS status', async (ctx) => {
      if (skip !== undefined) return ctx.skip(skip);
      // Email/password: two users change to one email while a third signs up with it.
      const epRaces = await Promise.all(
        Array.from({ length: PARALLEL_RACES }, async () => {
          const [a, b] = [await signUp(), await signUp()];
          const target = fresh('ep-target');
          const [ca, cb, su] = await Promise.all([epPut(a.id, target), epPut(b.id, target), c().post('/public/recipe/signup', { email: target, password: 'pw-123456' })]);
          return { target, statuses: [statusOf(ca), statusOf(cb), statusOf(su)] };
        }),
      );
      for (const { target, statuses } of epRaces) {
        assert.equal(statuses.filter((s) => s === 'OK').length, 1, JSON.stringify(statuses));
        assert.equal(statuses.filter((s) => s === 'EMAIL_ALREADY_EXISTS_ERROR').length, 2, JSON.stringify(statuses));
        const holders = (await c().get(`/public/users?email=${encodeURIComponent(target)}`)).json.users;
        assert.equal(holders.length, 1, `one user holds ${target}`);
      }
      // Passwordless: two users change to one phone number (and two others to one email).
      const plRaces = await Promise.all(
        Array.from({ length: PARALLEL_RACES }, async () => {
          const [a, b] = [await passwordless({ phoneNumber: phone() }), await passwordless({ phoneNumber: phone() })];
          const [x, y] = [await passwordless({ email: fresh('pl') }), await passwordless({ email: fresh('pl') })];
          const [targetPhone, targetEmail] = [phone(), fresh('pl-target')];
          const answers = await Promise.all([
            plPut(a.id, { phoneNumber: targetPhone }),
            plPut(b.id, { phoneNumber: targetPhone }),
            plPut(x.id, { email: targetEmail }),
            plPut(y.id, { email: targetEmail }),
          ]);
          return answers.map(statusOf);
        }),
      );
      for (const [pa, pb, ex, ey] of plRaces) {
        assert.deepEqual([pa, pb].sort(), ['OK', 'PHONE_NUMBER_ALREADY_EXISTS_ERROR'], JSON.stringify(plRaces));
        assert.deepEqual([ex, ey].sort(), ['EMAIL_ALREADY_EXISTS_ERROR', 'OK'], JSON.stringify(plRaces));
      }
    });

    it('an email change racing a link that would refuse it: never both succeed', async (ctx) => {
      if (skip !== undefined) return ctx.skip(skip);
      // P1: a primary user with email e. R: a recipe user with another email, linked
      // concurrently to the primary user P2 while it changes its email to e. Either order is fine
      // (change first → the link is refused: R's email is P1's; link first → EMAIL_CHANGE_NOT_ALLOWED),
      // both at once is not: P1's and P2's groups would share e in the tenant.
      const setups = await Promise.all(
        Array.from({ length: PARALLEL_RACES }, async (_, i) => {
          // Each race uses one of the three ways an email changes; P1 is of another recipe than R (a
          // recipe's own unique index would refuse the change first).
          const way = (['emailpassword', 'passwordless', 'thirdparty'] as const)[i % 3];
          const e = fresh('taken');
          const p1 = way === 'passwordless' ? await signUp(e) : await passwordless({ email: e });
          assert.equal(await makePrimary(p1.id), 'OK');
          const p2 = await signUp();
          assert.equal(await makePrimary(p2.id), 'OK');
          let change: () => Promise<{ status: number; json: any }>;
          let r: UserJson;
          if (way === 'emailpassword') {
            r = await signUp();
            // With a new password too: the SDK's updateEmailOrPassword sends both.
            change = () => c().put('/recipe/user', { recipeUserId: r.id, email: e, password: 'pw-654321' }, { rid: 'emailpassword' });
          } else if (way === 'passwordless') {
            r = await passwordless({ phoneNumber: phone() });
            change = () => plPut(r.id, { email: e });
          } else {
            const providerUserId = `g-race-${++n}-${kind}`;
            r = await thirdParty(fresh('tp'), providerUserId);
            change = () => c().post('/public/recipe/signinup', { thirdPartyId: 'google', thirdPartyUserId: providerUserId, email: { id: e, isVerified: false } });
          }
          return { way, change, r: r.id, p2: p2.id, e };
        }),
      );
      // Every change and every link at once.
      const races = await Promise.all(
        setups.map(async ({ change, ...race }) => {
          const [changed, linked] = await Promise.all([change().then(statusOf), link(race.r, race.p2)]);
          return { ...race, changed, linked };
        }),
      );
      for (const race of races) {
        const bothOk = race.changed === 'OK' && race.linked === 'OK';
        assert.ok(!bothOk, `both the change and the link succeeded: ${JSON.stringify(race)}`);
        if (race.changed === 'OK') assert.equal(race.linked, 'ACCOUNT_INFO_ALREADY_ASSOCIATED_WITH_ANOTHER_PRIMARY_USER_ID_ERROR', JSON.stringify(race));
        else assert.equal(race.changed, 'EMAIL_CHANGE_NOT_ALLOWED_ERROR', JSON.stringify(race));
        const group = await getUser(race.p2);
        assert.ok(!group.emails.includes(race.e), `P2's group never holds P1's email: ${JSON.stringify(race)}`);
      }
    });

    it('a tenant association racing createPrimaryUser of a user with its email there: never both succeed', async (ctx) => {
      if (skip !== undefined) return ctx.skip(skip);
      // R (email e, in public) is linked to the primary user P2; Q (passwordless, email e) is in t2 and
      // not primary. Associating R with t2 while Q becomes primary: after either one the other must be
      // refused (ASSOCIATION_NOT_ALLOWED_ERROR, or ACCOUNT_INFO_ALREADY_ASSOCIATED_… for Q).
      const setups = await Promise.all(
        Array.from({ length: PARALLEL_RACES }, async () => {
          const e = fresh('assoc');
          const p2 = await signUp();
          assert.equal(await makePrimary(p2.id), 'OK');
          const r = await thirdParty(e, `g-assoc-${++n}-${kind}`);
          assert.equal(await link(r.id, p2.id), 'OK');
          const q = await passwordless({ email: e }, 't2');
          return { r: r.id, q: q.id };
        }),
      );
      // Every association and every createPrimaryUser at once.
      const races = await Promise.all(
        setups.map(async ({ r, q }) => {
          const [associated, primary] = await Promise.all([c().post('/t2/recipe/multitenancy/tenant/user', { recipeUserId: r }).then(statusOf), makePrimary(q)]);
          return { associated, primary };
        }),
      );
      for (const race of races) {
        assert.ok(!(race.associated === 'OK' && race.primary === 'OK'), `both succeeded: ${JSON.stringify(race)}`);
        if (race.associated === 'OK') assert.equal(race.primary, 'ACCOUNT_INFO_ALREADY_ASSOCIATED_WITH_ANOTHER_PRIMARY_USER_ID_ERROR');
        else assert.equal(race.associated, 'ASSOCIATION_NOT_ALLOWED_ERROR', JSON.stringify(race));
      }
    });
  });
}
