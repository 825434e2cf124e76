// Passwordless: codes (create, resend, list, revoke), consuming by typed code or link code with
// expiry and the attempt limit, users by email and by phone in the user APIs (list, count, search,
// by-accountinfo, /user/id, update, removal, user-id mapping), concurrency, hashed storage, cleanup,
// and the upgrade of a schema-4 database (migration 5), on SQLite and on PostgreSQL (with CI=true;
// skipped with the reason otherwise).
import { after, before, describe, it } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { startCore } from '../../src/supertokens/index.ts';
import { join } from 'node:path';
import { createManualClock } from '../../src/core/clock.ts';
import { cdiClient, rollBackSchema, startTestCoreOrSkip, type StoreKind, type TestCore } from './helpers.ts';

for (const kind of ['sqlite', 'postgres'] as StoreKind[]) {
  describe(`passwordless (${kind})`, () => {
    let t: TestCore | undefined;
    let skip: string | undefined;
    const clock = createManualClock(1_800_000_000_000);

    before(async () => {
      const started = await startTestCoreOrSkip(kind, { tenantIds: ['public', 't2'], clock });
      if ('skip' in started) {
        skip = started.skip;
        return;
      }
      t = started;
    });
    after(async () => {
      await t?.dispose();
    });

    const c = () => cdiClient(t!.core.url);
    const createCode = async (body: Record<string, unknown>, tenant = 'public') => {
      const res = await c().post(`/${tenant}/recipe/signinup/code`, body);
      assert.equal(res.status, 200, res.text);
      return res.json;
    };
    const consume = async (body: Record<string, unknown>, tenant = 'public', version = '5.4') =>
      (await cdiClient(t!.core.url, { 'cdi-version': version }).post(`/${tenant}/recipe/signinup/code/consume`, body)).json;

    it('a typed code or its link code signs in; wrong codes count; a resend adds a code; a consumed device is gone', async (ctx) => {
      if (skip !== undefined) return ctx.skip(skip);
      const code = await createCode({ email: ' Pat@Example.com ', userInputCode: '123456' });
      assert.equal(code.status, 'OK');
      assert.equal(code.userInputCode, '123456');
      assert.equal(code.codeLifetime, 900_000);
      assert.equal(code.timeCreated, clock.nowMs());
      for (const field of ['preAuthSessionId', 'codeId', 'deviceId', 'linkCode']) assert.equal(typeof code[field], 'string', field);
      const listed = (await c().get('/public/recipe/signinup/codes?email=pat@example.com')).json;
      assert.deepEqual(listed, {
        status: 'OK',
        devices: [{ preAuthSessionId: code.preAuthSessionId, failedCodeInputAttemptCount: 0, email: 'pat@example.com', codes: [{ codeId: code.codeId, timeCreated: code.timeCreated, codeLifetime: 900_000 }] }],
      });
      const byDevice = (await c().get(`/public/recipe/signinup/codes?deviceId=${encodeURIComponent(code.deviceId)}`)).json.devices;
      const byPreAuth = (await c().get(`/public/recipe/signinup/codes?preAuthSessionId=${code.preAuthSessionId}`)).json.devices;
      assert.deepEqual(byDevice, listed.devices);
      assert.deepEqual(byPreAuth, listed.devices);
      const typed = { preAuthSessionId: code.preAuthSessionId, deviceId: code.deviceId };
      assert.deepEqual(await consume({ ...typed, userInputCode: '000000' }), { status: 'INCORRECT_USER_INPUT_CODE_ERROR', failedCodeInputAttemptCount: 1, maximumCodeInputAttempts: 5 });
      const resend = await createCode({ deviceId: code.deviceId, userInputCode: '654321' });
      assert.equal(resend.preAuthSessionId, code.preAuthSessionId);
      assert.notEqual(resend.linkCode, code.linkCode);
      assert.deepEqual(await createCode({ deviceId: code.deviceId, userInputCode: '654321' }), { status: 'USER_INPUT_CODE_ALREADY_USED_ERROR' });
      assert.deepEqual(await createCode({ deviceId: Buffer.alloc(32, 7).toString('base64') }), { status: 'RESTART_FLOW_ERROR' });
      const listedTwo = (await c().get('/public/recipe/signinup/codes?email=pat@example.com')).json.devices;
      assert.deepEqual([listedTwo[0].codes.length, listedTwo[0].failedCodeInputAttemptCount], [2, 1]);
      // The other tenant sees neither the device nor can it consume the code.
      assert.deepEqual((await c().get('/t2/recipe/signinup/codes?email=pat@example.com')).json.devices, []);
      assert.deepEqual(await consume({ ...typed, userInputCode: '654321' }, 't2'), { status: 'RESTART_FLOW_ERROR' });
      const signedUp = await consume({ ...typed, userInputCode: '654321' });
      assert.equal(signedUp.status, 'OK');
      assert.equal(signedUp.createdNewUser, true);
      assert.equal(signedUp.recipeUserId, signedUp.user.id);
      assert.deepEqual(signedUp.consumedDevice, { preAuthSessionId: code.preAuthSessionId, failedCodeInputAttemptCount: 1, email: 'pat@example.com' });
      assert.deepEqual(signedUp.user.emails, ['pat@example.com']);
      assert.deepEqual(signedUp.user.phoneNumbers, []);
      const method = signedUp.user.loginMethods[0];
      assert.deepEqual([method.recipeId, method.email, method.verified, method.phoneNumber], ['passwordless', 'pat@example.com', true, undefined]);
      // The whole device is gone: its other code and the consumed one.
      assert.deepEqual(await consume({ preAuthSessionId: code.preAuthSessionId, linkCode: code.linkCode }), { status: 'RESTART_FLOW_ERROR' });
      assert.deepEqual((await c().get('/public/recipe/signinup/codes?email=pat@example.com')).json.devices, []);
      // Signing in again (by link code, no preAuthSessionId needed) finds the same user.
      const again = await createCode({ email: 'pat@example.com' });
      assert.match(again.userInputCode, /^\d{6}$/);
      const signedIn = await consume({ linkCode: again.linkCode, preAuthSessionId: again.preAuthSessionId });
      assert.deepEqual([signedIn.status, signedIn.createdNewUser, signedIn.user.id], ['OK', false, signedUp.user.id]);
      const third = await createCode({ email: 'pat@example.com' });
      const legacy = await consume({ linkCode: third.linkCode }, 'public', '2.21');
      assert.deepEqual(legacy, { status: 'OK', createdNewUser: false, user: { id: signedUp.user.id, email: 'pat@example.com', timeJoined: signedUp.user.timeJoined } });
      for (const bad of [{}, { email: 'a@b.c', phoneNumber: '+14155550100' }, { email: '' }, { email: 3 }]) {
        assert.equal((await c().post('/public/recipe/signinup/code', bad)).status, 400, JSON.stringify(bad));
      }
      assert.equal((await c().post('/public/recipe/signinup/code/consume', { preAuthSessionId: code.preAuthSessionId, userInputCode: '1' })).status, 400);
      assert.equal((await c().post('/public/recipe/signinup/code/consume', { preAuthSessionId: 'other', deviceId: code.deviceId, userInputCode: '1' })).status, 400);
      assert.equal((await c().get('/public/recipe/signinup/codes')).status, 400);
    });

    it('the attempt limit restarts the flow; an expired code counts as an attempt; an expired link code restarts', async (ctx) => {
      if (skip !== undefined) return ctx.skip(skip);
      const code = await createCode({ phoneNumber: '+14155550101', userInputCode: '111111' });
      const typed = { preAuthSessionId: code.preAuthSessionId, deviceId: code.deviceId };
      for (let n = 1; n <= 4; n++) {
        assert.deepEqual(await consume({ ...typed, userInputCode: `x${n}` }), { status: 'INCORRECT_USER_INPUT_CODE_ERROR', failedCodeInputAttemptCount: n, maximumCodeInputAttempts: 5 });
      }
      assert.deepEqual(await consume({ ...typed, userInputCode: 'x5' }), { status: 'RESTART_FLOW_ERROR' });
      assert.deepEqual(await consume({ ...typed, userInputCode: '111111' }), { status: 'RESTART_FLOW_ERROR' });
      assert.deepEqual((await c().get('/public/recipe/signinup/codes?phoneNumber=%2B14155550101')).json.devices, []);

      const expiring = await createCode({ phoneNumber: '+14155550101', userInputCode: '222222' });
      clock.advance(900_000);
      assert.deepEqual(await consume({ preAuthSessionId: expiring.preAuthSessionId, deviceId: expiring.deviceId, userInputCode: '222222' }), {
        status: 'EXPIRED_USER_INPUT_CODE_ERROR',
        failedCodeInputAttemptCount: 1,
        maximumCodeInputAttempts: 5,
      });
      const fresh = await createCode({ deviceId: expiring.deviceId, userInputCode: '333333' });
      clock.advance(899_999);
      const ok = await consume({ preAuthSessionId: fresh.preAuthSessionId, deviceId: fresh.deviceId, userInputCode: '333333' });
      assert.equal(ok.status, 'OK');
      assert.deepEqual(ok.user.phoneNumbers, ['+14155550101']);
      assert.deepEqual(ok.user.emails, []);
      assert.deepEqual([ok.user.loginMethods[0].phoneNumber, ok.user.loginMethods[0].email], ['+14155550101', undefined]);
      const late = await createCode({ phoneNumber: '+14155550101' });
      clock.advance(900_000);
      assert.deepEqual(await consume({ preAuthSessionId: late.preAuthSessionId, linkCode: late.linkCode }), { status: 'RESTART_FLOW_ERROR' });
      // checkCode verifies a code without touching users.
      const check = await createCode({ phoneNumber: '+14155550199', userInputCode: '444444' });
      const checked = (await c().post('/public/recipe/signinup/code/check', { preAuthSessionId: check.preAuthSessionId, deviceId: check.deviceId, userInputCode: '444444' })).json;
      assert.deepEqual(checked, { status: 'OK', consumedDevice: { preAuthSessionId: check.preAuthSessionId, failedCodeInputAttemptCount: 0, phoneNumber: '+14155550199' } });
      assert.deepEqual((await c().get('/public/users/by-accountinfo?phoneNumber=%2B14155550199')).json.users, []);
    });

    it('checkCode leaves a right code in place for consumeCode (the SDK checks, then consumes, in an MFA flow); a wrong one counts an attempt', async (ctx) => {
      if (skip !== undefined) return ctx.skip(skip);
      // Regression: checkCode used to consume the code, so supertokens-node's consumeCodePOST (which checks
      // a code sent to the session user's unverified email before consuming it) answered RESTART_FLOW_ERROR.
      // The Java core's CheckCodeAPI calls checkCodeAndReturnDevice(…, deleteCodeOnSuccess = false).
      const check = (body: Record<string, unknown>) => c().post('/public/recipe/signinup/code/check', body).then((r) => r.json);
      const code = await createCode({ email: 'check-then-consume@example.com', userInputCode: '555555' });
      const typed = { preAuthSessionId: code.preAuthSessionId, deviceId: code.deviceId };
      assert.deepEqual(await check({ ...typed, userInputCode: '000000' }), { status: 'INCORRECT_USER_INPUT_CODE_ERROR', failedCodeInputAttemptCount: 1, maximumCodeInputAttempts: 5 });
      const checked = await check({ ...typed, userInputCode: '555555' });
      assert.deepEqual(checked, { status: 'OK', consumedDevice: { preAuthSessionId: code.preAuthSessionId, failedCodeInputAttemptCount: 1, email: 'check-then-consume@example.com' } });
      assert.equal((await check({ ...typed, userInputCode: '555555' })).status, 'OK', 'checking again still finds the code');
      assert.equal((await check({ preAuthSessionId: code.preAuthSessionId, linkCode: code.linkCode })).status, 'OK', 'and by its link code');
      const listed = (await c().get('/public/recipe/signinup/codes?email=check-then-consume@example.com')).json.devices;
      assert.equal(listed.length, 1, 'the device is still there');
      assert.equal(listed[0].codes.length, 1, 'with its code');
      const consumed = await consume({ ...typed, userInputCode: '555555' });
      assert.equal(consumed.status, 'OK');
      assert.deepEqual(consumed.user.emails, ['check-then-consume@example.com']);
      assert.deepEqual(await check({ ...typed, userInputCode: '555555' }), { status: 'RESTART_FLOW_ERROR' }, 'consumed: gone');
    });

    it('revoking a code or all codes of an email; a consumed code ends every device of that email', async (ctx) => {
      if (skip !== undefined) return ctx.skip(skip);
      const a = await createCode({ email: 'rev@example.com' });
      const b = await createCode({ email: 'rev@example.com' });
      assert.equal((await c().get('/public/recipe/signinup/codes?email=rev@example.com')).json.devices.length, 2);
      assert.deepEqual((await c().post('/public/recipe/signinup/code/remove', { codeId: a.codeId })).json, { status: 'OK' });
      assert.deepEqual(await consume({ preAuthSessionId: a.preAuthSessionId, linkCode: a.linkCode }), { status: 'RESTART_FLOW_ERROR' });
      assert.equal((await c().get('/public/recipe/signinup/codes?email=rev@example.com')).json.devices.length, 1);
      assert.deepEqual((await c().post('/public/recipe/signinup/codes/remove', { email: 'REV@example.com' })).json, { status: 'OK' });
      assert.deepEqual(await consume({ preAuthSessionId: b.preAuthSessionId, linkCode: b.linkCode }), { status: 'RESTART_FLOW_ERROR' });
      const d1 = await createCode({ email: 'rev@example.com' });
      const d2 = await createCode({ email: 'rev@example.com' });
      assert.equal((await consume({ preAuthSessionId: d1.preAuthSessionId, linkCode: d1.linkCode })).status, 'OK');
      assert.deepEqual(await consume({ preAuthSessionId: d2.preAuthSessionId, linkCode: d2.linkCode }), { status: 'RESTART_FLOW_ERROR' });
    });

    it('one code signs in once under concurrency; codes are stored hashed; maintenance drops expired devices', async (ctx) => {
      if (skip !== undefined) return ctx.skip(skip);
      const code = await createCode({ email: 'race@example.com', userInputCode: '987654' });
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          consume(i % 2 === 0 ? { preAuthSessionId: code.preAuthSessionId, linkCode: code.linkCode } : { preAuthSessionId: code.preAuthSessionId, deviceId: code.deviceId, userInputCode: '987654' }),
        ),
      );
      assert.equal(results.filter((r) => r.status === 'OK').length, 1, JSON.stringify(results.map((r) => r.status)));
      assert.ok(results.every((r) => r.status === 'OK' || r.status === 'RESTART_FLOW_ERROR'));
      const kept = await createCode({ email: 'stored@example.com', userInputCode: '192837' });
      if (kind === 'sqlite') {
        const db = new Database(join(t!.options.dataDir!, 'core.sqlite'), { readonly: true });
        try {
          const rows = JSON.stringify([
            ...db.prepare('SELECT * FROM st_passwordless_codes').all(),
            ...db.prepare('SELECT * FROM st_passwordless_devices').all(),
          ]);
          assert.ok(rows.includes(kept.preAuthSessionId), 'the device is there, keyed by its hash');
          for (const secret of [kept.linkCode, kept.deviceId, kept.userInputCode]) assert.ok(!rows.includes(secret), `${secret} is not stored`);
        } finally {
          db.close();
        }
      }
      const fresh = await createCode({ email: 'stored2@example.com' });
      clock.advance(900_001);
      const resent = await createCode({ deviceId: fresh.deviceId });
      const cleaned = await t!.core.runMaintenance();
      assert.ok(cleaned.passwordlessDevices >= 1);
      assert.deepEqual((await c().get(`/public/recipe/signinup/codes?preAuthSessionId=${kept.preAuthSessionId}`)).json.devices, []);
      const survivor = (await c().get(`/public/recipe/signinup/codes?preAuthSessionId=${fresh.preAuthSessionId}`)).json.devices;
      assert.deepEqual(survivor[0].codes.map((x: { codeId: string }) => x.codeId), [resent.codeId], 'a device with a live code stays, its expired code goes');
    });

    it('passwordless users are listed, counted, searched by phone, found by account info, updated, mapped and removed', async (ctx) => {
      if (skip !== undefined) return ctx.skip(skip);
      const signIn = async (account: Record<string, string>) => {
        const code = await createCode(account);
        return (await consume({ preAuthSessionId: code.preAuthSessionId, linkCode: code.linkCode })).user;
      };
      const byPhone = await signIn({ phoneNumber: '+442071838750' });
      const byEmail = await signIn({ email: 'lee@example.com' });
      const ep = (await c().post('/public/recipe/signup', { email: 'lee@example.com', password: 'pw-123456' })).json.user;
      const count = async (q: string) => (await c().get(`/public/users/count${q}`)).json.count as number;
      assert.ok((await count('?includeRecipeIds=passwordless')) >= 2);
      assert.equal(await count(''), (await count('?includeRecipeIds=passwordless')) + (await count('?includeRecipeIds=emailpassword,thirdparty')));
      const search = (q: string) => c().get(`/public/users?limit=500&${q}`).then((r) => r.json.users.map((u: { id: string }) => u.id) as string[]);
      assert.deepEqual(await search('phone=%2B4420'), [byPhone.id]);
      assert.deepEqual(await search('phone=%2B1999'), []);
      assert.deepEqual((await search('email=lee@')).sort(), [byEmail.id, ep.id].sort());
      assert.ok((await search('includeRecipeIds=passwordless')).includes(byPhone.id));
      assert.ok(!(await search('includeRecipeIds=passwordless')).includes(ep.id));
      const accountInfo = (q: string) => c().get(`/public/users/by-accountinfo?${q}`).then((r) => r.json.users.map((u: { id: string }) => u.id) as string[]);
      assert.deepEqual(await accountInfo('phoneNumber=%2B442071838750'), [byPhone.id]);
      assert.deepEqual((await accountInfo('email=lee@example.com')).sort(), [byEmail.id, ep.id].sort());
      assert.deepEqual(await accountInfo('phoneNumber=%2B442071838750&email=lee@example.com'), []);
      assert.deepEqual((await accountInfo('phoneNumber=%2B442071838750&email=lee@example.com&doUnionOfAccountInfo=true')).sort(), [byPhone.id, byEmail.id, ep.id].sort());
      assert.equal((await c().get(`/user/id?userId=${byPhone.id}`)).json.user.loginMethods[0].recipeId, 'passwordless');
      const legacyList = (await cdiClient(t!.core.url, { 'cdi-version': '3.0' }).get('/public/users?limit=500')).json.users;
      assert.deepEqual(legacyList.find((u: { user: { id: string } }) => u.user.id === byPhone.id), {
        recipeId: 'passwordless',
        user: { id: byPhone.id, phoneNumber: '+442071838750', timeJoined: byPhone.timeJoined, tenantIds: ['public'] },
      });
      const legacyGet = await cdiClient(t!.core.url, { 'cdi-version': '2.21', rid: 'passwordless' }).get('/recipe/user?phoneNumber=%2B442071838750');
      assert.equal(legacyGet.json.user.id, byPhone.id);

      // Update (rid passwordless): add an email, refuse a taken one, refuse clearing both.
      const put = (body: unknown) => c().put('/recipe/user', body, { rid: 'passwordless' });
      assert.deepEqual((await put({ recipeUserId: byPhone.id, email: 'New@Example.com' })).json, { status: 'OK' });
      assert.deepEqual((await put({ recipeUserId: byPhone.id, email: 'lee@example.com' })).json, { status: 'EMAIL_ALREADY_EXISTS_ERROR' });
      assert.deepEqual((await put({ recipeUserId: byEmail.id, phoneNumber: '+442071838750' })).json, { status: 'PHONE_NUMBER_ALREADY_EXISTS_ERROR' });
      assert.deepEqual((await put({ recipeUserId: 'nobody', email: 'x@example.com' })).json, { status: 'UNKNOWN_USER_ID_ERROR' });
      assert.deepEqual((await put({ recipeUserId: byPhone.id, phoneNumber: null })).json, { status: 'OK' });
      assert.equal((await put({ recipeUserId: byPhone.id, email: null })).status, 400);
      const updated = (await c().get(`/user/id?userId=${byPhone.id}`)).json.user;
      assert.deepEqual([updated.emails, updated.phoneNumbers], [['new@example.com'], []]);

      // User-id mapping: the external id is accepted and returned everywhere.
      assert.deepEqual((await c().post('/recipe/userid/map', { superTokensUserId: byEmail.id, externalUserId: 'ext-lee' })).json, { status: 'OK' });
      const mapped = await signIn({ email: 'lee@example.com' });
      assert.equal(mapped.id, 'ext-lee');
      assert.deepEqual((await put({ recipeUserId: 'ext-lee', phoneNumber: '+14155550177' })).json, { status: 'OK' });
      assert.deepEqual((await c().get('/user/id?userId=ext-lee')).json.user.phoneNumbers, ['+14155550177']);
      assert.deepEqual((await c().post('/user/remove', { userId: 'ext-lee' })).json, { status: 'OK' });
      assert.deepEqual((await c().get(`/user/id?userId=${byEmail.id}`)).json, { status: 'UNKNOWN_USER_ID_ERROR' });
      assert.deepEqual(await accountInfo('phoneNumber=%2B14155550177'), []);
    });

    it('a database of schema version 4 (before passwordless) is upgraded in place; its sessions and users survive', async (ctx) => {
      if (skip !== undefined) return ctx.skip(skip);
      const old = await startTestCoreOrSkip(kind, {});
      if ('skip' in old) return ctx.skip(old.skip);
      try {
        const c1 = cdiClient(old.core.url);
        const created = (await c1.post('/public/recipe/session', { userId: 'u-old', userDataInJWT: {}, userDataInDatabase: { kept: true }, enableAntiCsrf: false })).json;
        const tp = (await c1.post('/public/recipe/signinup', { thirdPartyId: 'google', thirdPartyUserId: 'g-old', email: { id: 'old@example.com' } })).json;
        assert.deepEqual([created.status, tp.status], ['OK', 'OK']);
        await old.core.close();
        // Back to schema 4: drop every table migration 5 and later created.
        const added = await rollBackSchema(old.options, 4);
        assert.ok(added.includes('st_passwordless_codes'));
        const upgraded = await startCore(old.options);
        try {
          const c2 = cdiClient(upgraded.url);
          const refreshed = (await c2.post('/recipe/session/refresh', { refreshToken: created.refreshToken.token, enableAntiCsrf: false })).json;
          assert.equal(refreshed.status, 'OK', 'the session written before the upgrade refreshes');
          assert.equal((await c2.get(`/user/id?userId=${tp.user.id}`)).json.user.loginMethods[0].recipeId, 'thirdparty');
          const code = (await c2.post('/public/recipe/signinup/code', { email: 'new@example.com' })).json;
          const consumed = (await c2.post('/public/recipe/signinup/code/consume', { preAuthSessionId: code.preAuthSessionId, linkCode: code.linkCode })).json;
          assert.deepEqual([consumed.status, consumed.createdNewUser], ['OK', true]);
        } finally {
          await upgraded.close();
        }
      } finally {
        await old.dispose();
      }
    });
  });
}
