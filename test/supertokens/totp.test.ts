// TOTP: RFC 6238 / RFC 4648 vectors for the code generator, then every CDI endpoint and error of the
// recipe (devices: create with generated names, rename, list, remove, import; verifying a device and
// a code; codes used once; the skew window; the failed-attempt lockout and its cooldown under an
// injected clock, per tenant, with the tenant's coreConfig override; CDI < 5.0 shapes; user removal;
// cleanup), and the upgrade of a schema-8 database (migration 9), on SQLite and on PostgreSQL (with
// CI=true; skipped with the reason otherwise).
import { after, before, describe, it } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { startCore } from '../../src/supertokens/index.ts';
import { createManualClock } from '../../src/core/clock.ts';
import { base32Decode, base32Encode, checkTotpCode, generatedDeviceName, hotp, totpAt } from '../../src/supertokens/totp.ts';
import { cdiClient, rollBackSchema, startTestCoreOrSkip, type StoreKind, type TestCore } from './helpers.ts';

describe('TOTP codes (RFC 6238 appendix B, RFC 4226 appendix D, RFC 4648 §10)', () => {
  it('computes the RFC 6238 test vectors for SHA-1, SHA-256 and SHA-512 (8 digits, 30 s)', () => {
    const keys = {
      sha1: Buffer.from('12345678901234567890'),
      sha256: Buffer.from('12345678901234567890123456789012'),
      sha512: Buffer.from('1234567890123456789012345678901234567890123456789012345678901234'),
    } as const;
    const vectors: [number, string, string, string][] = [
      [59, '94287082', '46119246', '90693936'],
      [1111111109, '07081804', '68084774', '25091201'],
      [1111111111, '14050471', '67062674', '99943326'],
      [1234567890, '89005924', '91819424', '93441116'],
      [2000000000, '69279037', '90698825', '38618901'],
      [20000000000, '65353130', '77737706', '47863826'],
    ];
    for (const [seconds, sha1, sha256, sha512] of vectors) {
      assert.equal(totpAt(keys.sha1, seconds * 1000, 30, 8, 'sha1'), sha1, `sha1 at ${seconds}`);
      assert.equal(totpAt(keys.sha256, seconds * 1000, 30, 8, 'sha256'), sha256, `sha256 at ${seconds}`);
      assert.equal(totpAt(keys.sha512, seconds * 1000, 30, 8, 'sha512'), sha512, `sha512 at ${seconds}`);
    }
  });

  it('computes the RFC 4226 HOTP values (6 digits)', () => {
    const expected = ['755224', '287082', '359152', '969429', '338314', '254676', '287922', '162583', '399871', '520489'];
    expected.forEach((code, counter) => assert.equal(hotp(Buffer.from('12345678901234567890'), counter), code));
  });

  it('encodes and decodes base32 as RFC 4648 (unpadded out; padding, case and stray characters ignored in)', () => {
    const vectors: [string, string][] = [['', ''], ['f', 'MY'], ['fo', 'MZXQ'], ['foo', 'MZXW6'], ['foob', 'MZXW6YQ'], ['fooba', 'MZXW6YTB'], ['foobar', 'MZXW6YTBOI']];
    for (const [plain, encoded] of vectors) {
      assert.equal(base32Encode(Buffer.from(plain)), encoded);
      assert.equal(base32Decode(encoded.padEnd(Math.ceil(encoded.length / 8) * 8, '=')).toString(), plain);
      assert.equal(base32Decode(encoded.toLowerCase()).toString(), plain);
    }
    assert.equal(base32Decode('MZXW 6YTB-OI').toString(), 'foobar');
  });

  it('names unnamed devices "TOTP Device <verified count>", skipping names verified devices hold', () => {
    assert.equal(generatedDeviceName([]), 'TOTP Device 0');
    assert.equal(generatedDeviceName([{ name: 'TOTP Device 0', verified: false }]), 'TOTP Device 0');
    assert.equal(generatedDeviceName([{ name: 'TOTP Device 1', verified: true }]), 'TOTP Device 2');
    assert.equal(generatedDeviceName([{ name: 'phone', verified: true }]), 'TOTP Device 1');
  });

  it('locks out after maxAttempts consecutive invalid codes within one cooldown, and counts from 0 after it', () => {
    const limits = { maxAttempts: 3, cooldownMs: 10_000 };
    const invalid = (createdAtMs: number) => ({ code: '000000', isValid: false, expiresAtMs: createdAtMs + 90_000, createdAtMs });
    const base = { code: '123', devices: [], usedCodes: [], nowMs: 100_000 };
    assert.deepEqual(checkTotpCode({ ...base, usedCodes: [invalid(95_000), invalid(94_000), invalid(93_000)] }, limits), {
      kind: 'LIMIT_REACHED',
      retryAfterMs: 5000,
      currentAttempts: 3,
      maxAttempts: 3,
    });
    // Spread over more than one cooldown: not a lockout (the oldest is outside the newest's window).
    const spread = checkTotpCode({ ...base, usedCodes: [invalid(95_000), invalid(94_000), invalid(85_000)] }, limits);
    assert.equal(spread.kind === 'RECORD' && spread.failedAttempts, 3);
    // A valid code in between resets the count.
    const reset = checkTotpCode({ ...base, usedCodes: [invalid(95_000), { ...invalid(94_000), isValid: true }, invalid(93_000)] }, limits);
    assert.equal(reset.kind === 'RECORD' && reset.failedAttempts, 2);
    // After the cooldown the count starts again.
    const after = checkTotpCode({ ...base, nowMs: 106_000, usedCodes: [invalid(95_000), invalid(94_000), invalid(93_000)] }, limits);
    assert.equal(after.kind === 'RECORD' && after.failedAttempts, 1);
    assert.deepEqual(checkTotpCode({ ...base, code: '123456789' }, limits), { kind: 'INVALID_UNRECORDED', currentAttempts: 1, maxAttempts: 3 });
  });
});

const T0 = 1_800_000_000_000;

for (const kind of ['sqlite', 'postgres'] as StoreKind[]) {
  describe(`TOTP over the CDI (${kind})`, { timeout: 60_000 }, () => {
    let t: TestCore | undefined;
    let skip: string | undefined;
    const clock = createManualClock(T0);

    before(async () => {
      const started = await startTestCoreOrSkip(kind, { tenantIds: ['public', 't2'], clock });
      if ('skip' in started) skip = started.skip;
      else t = started;
    });
    after(async () => {
      await t?.dispose();
    });

    const c = (version = '5.4') => cdiClient(t!.core.url, { 'cdi-version': version });
    let serial = 0;
    const newUser = () => `totp-user-${kind}-${++serial}`;
    const createDevice = async (body: Record<string, unknown>) => {
      clock.advance(1);
      return (await c().post('/recipe/totp/device', { skew: 1, period: 30, ...body })).json;
    };
    const codeOf = (secret: string, atMs = clock.nowMs(), period = 30) => totpAt(base32Decode(secret), atMs, period);
    // Each check moves the clock 1 ms first: used codes are keyed by their ms (as in the Java core,
    // a second check of a user in the same ms is refused), and a real clock never stands still.
    const verifyDevice = async (userId: string, deviceName: string, totp: string, tenant = 'public', version = '5.4') => {
      clock.advance(1);
      return (await c(version).post(`/${tenant}/recipe/totp/device/verify`, { userId, deviceName, totp })).json;
    };
    const verify = async (userId: string, totp: string, tenant = 'public', version = '5.4') => {
      clock.advance(1);
      return (await c(version).post(`/${tenant}/recipe/totp/verify`, { userId, totp })).json;
    };
    const list = async (userId: string) => (await c().get(`/recipe/totp/device/list?userId=${encodeURIComponent(userId)}`)).json;
    /** A verified device: created, then verified with its current code. */
    const verifiedDevice = async (userId: string, deviceName?: string) => {
      const created = await createDevice({ userId, ...(deviceName === undefined ? {} : { deviceName }) });
      assert.equal(created.status, 'OK', JSON.stringify(created));
      assert.deepEqual(await verifyDevice(userId, created.deviceName, codeOf(created.secret)), { status: 'OK', wasAlreadyVerified: false });
      return created as { deviceName: string; secret: string };
    };

    it('creates devices: generated names, base32 secrets, an unverified device replaced, a verified one refused', async (ctx) => {
      if (skip !== undefined) return ctx.skip(skip);
      const userId = newUser();
      const first = await createDevice({ userId });
      assert.equal(first.status, 'OK');
      assert.equal(first.deviceName, 'TOTP Device 0');
      assert.match(first.secret, /^[A-Z2-7]{32}$/);
      assert.deepEqual(await list(userId), {
        status: 'OK',
        devices: [{ name: 'TOTP Device 0', period: 30, skew: 1, verified: false }],
      });
      // Unverified: the same generated name, a new secret (the old one no longer verifies).
      const again = await createDevice({ userId, skew: 2, period: 60 });
      assert.equal(again.deviceName, 'TOTP Device 0');
      assert.notEqual(again.secret, first.secret);
      assert.deepEqual((await list(userId)).devices, [{ name: 'TOTP Device 0', period: 60, skew: 2, verified: false }]);
      assert.equal((await verifyDevice(userId, 'TOTP Device 0', codeOf(first.secret, clock.nowMs(), 60))).status, 'INVALID_TOTP_ERROR');
      assert.deepEqual(await verifyDevice(userId, 'TOTP Device 0', codeOf(again.secret, clock.nowMs(), 60)), { status: 'OK', wasAlreadyVerified: false });
      // Verified: the next unnamed device is number 1; the same name is refused.
      assert.equal((await createDevice({ userId })).deviceName, 'TOTP Device 1');
      assert.deepEqual(await createDevice({ userId, deviceName: 'TOTP Device 0' }), { status: 'DEVICE_ALREADY_EXISTS_ERROR' });
      const named = await createDevice({ userId, deviceName: 'Phone' });
      assert.deepEqual([named.status, named.deviceName], ['OK', 'Phone']);
      assert.deepEqual(
        (await list(userId)).devices.map((d: { name: string; verified: boolean }) => [d.name, d.verified]),
        [['TOTP Device 0', true], ['TOTP Device 1', false], ['Phone', false]],
      );
    });

    it('refuses bad input with the core texts; device paths are app-wide (403 under another tenant)', async (ctx) => {
      if (skip !== undefined) return ctx.skip(skip);
      const post = async (path: string, body: unknown) => {
        const res = await c().post(path, body);
        return [res.status, res.text];
      };
      assert.deepEqual(await post('/recipe/totp/device', { userId: '', skew: 1, period: 30 }), [400, 'userId cannot be empty']);
      assert.deepEqual(await post('/recipe/totp/device', { userId: 'u', deviceName: '', skew: 1, period: 30 }), [400, 'deviceName cannot be empty']);
      assert.deepEqual(await post('/recipe/totp/device', { userId: 'u', skew: -1, period: 30 }), [400, 'skew must be >= 0']);
      assert.deepEqual(await post('/recipe/totp/device', { userId: 'u', skew: 1, period: 0 }), [400, 'period must be > 0']);
      assert.deepEqual(await post('/recipe/totp/device', { userId: 'u', period: 30 }), [400, "Field name 'skew' is invalid in JSON input"]);
      assert.deepEqual(await post('/recipe/totp/device/remove', { userId: 'u', deviceName: '' }), [400, 'deviceName cannot be empty']);
      assert.deepEqual(await post('/public/recipe/totp/verify', { userId: 'u' }), [400, "Field name 'totp' is invalid in JSON input"]);
      assert.deepEqual(await post('/public/recipe/totp/device/verify', { userId: 'u', deviceName: '', totp: '1' }), [400, 'deviceName cannot be empty']);
      const listed = await c().get('/recipe/totp/device/list');
      assert.deepEqual([listed.status, listed.text], [400, "Field name 'userId' is missing in GET request"]);
      const underTenant = await c().post('/t2/recipe/totp/device', { userId: 'u', skew: 1, period: 30 });
      assert.deepEqual([underTenant.status, underTenant.text], [403, 'Only public tenantId can call this app specific API']);
      assert.deepEqual((await c().get('/recipe/totp/device/list?userId=nobody')).json, { status: 'OK', devices: [] });
    });

    it('renames and removes devices; the last device takes the user with it', async (ctx) => {
      if (skip !== undefined) return ctx.skip(skip);
      const userId = newUser();
      await verifiedDevice(userId, 'a');
      await createDevice({ userId, deviceName: 'b' });
      const rename = async (existingDeviceName: string, newDeviceName: string) =>
        (await c().put('/recipe/totp/device', { userId, existingDeviceName, newDeviceName })).json;
      assert.deepEqual(await rename('a', 'laptop'), { status: 'OK' });
      assert.deepEqual(await rename('a', 'x'), { status: 'UNKNOWN_DEVICE_ERROR' });
      assert.deepEqual(await rename('laptop', 'b'), { status: 'DEVICE_ALREADY_EXISTS_ERROR' });
      assert.deepEqual(await rename('laptop', 'laptop'), { status: 'OK' });
      assert.deepEqual((await list(userId)).devices.map((d: { name: string }) => d.name), ['laptop', 'b']);
      const remove = async (deviceName: string) => (await c().post('/recipe/totp/device/remove', { userId, deviceName })).json;
      assert.deepEqual(await remove('nope'), { status: 'OK', didDeviceExist: false });
      assert.deepEqual(await remove('laptop'), { status: 'OK', didDeviceExist: true });
      assert.deepEqual(await verify(userId, '123456'), { status: 'INVALID_TOTP_ERROR', currentNumberOfFailedAttempts: 1, maxNumberOfFailedAttempts: 5 });
      assert.deepEqual(await remove('b'), { status: 'OK', didDeviceExist: true });
      assert.deepEqual(await verify(userId, '123456'), { status: 'UNKNOWN_USER_ID_ERROR' });
      assert.deepEqual(await verifyDevice(userId, 'b', '123456'), { status: 'UNKNOWN_DEVICE_ERROR' });
    });

    it('verifies a device once; a code verifies once, within the skew window only; CDI < 5.0 has no counts', async (ctx) => {
      if (skip !== undefined) return ctx.skip(skip);
      const userId = newUser();
      const created = await createDevice({ userId });
      assert.deepEqual(await verifyDevice(userId, 'other', codeOf(created.secret)), { status: 'UNKNOWN_DEVICE_ERROR' });
      assert.deepEqual(await verifyDevice(userId, created.deviceName, '000000'), {
        status: 'INVALID_TOTP_ERROR',
        currentNumberOfFailedAttempts: 1,
        maxNumberOfFailedAttempts: 5,
      });
      // An unverified device's codes do not pass verifyTOTP.
      assert.equal((await verify(userId, codeOf(created.secret))).status, 'INVALID_TOTP_ERROR');
      clock.advance(30_000);
      assert.deepEqual(await verifyDevice(userId, created.deviceName, codeOf(created.secret)), { status: 'OK', wasAlreadyVerified: false });
      // Already verified: OK whatever the code, as the Java core answers.
      assert.deepEqual(await verifyDevice(userId, created.deviceName, 'garbage'), { status: 'OK', wasAlreadyVerified: true });
      // The code that verified the device was used: it is refused now.
      assert.equal((await verify(userId, codeOf(created.secret))).status, 'INVALID_TOTP_ERROR');
      // skew 1, period 30: the next period's code is accepted now, the one after is not.
      assert.equal((await verify(userId, codeOf(created.secret, clock.nowMs() + 60_000))).status, 'INVALID_TOTP_ERROR');
      assert.deepEqual(await verify(userId, codeOf(created.secret, clock.nowMs() + 30_000)), { status: 'OK' });
      assert.deepEqual(await verify(userId, codeOf(created.secret, clock.nowMs() - 30_000)), { status: 'OK' });
      // Before CDI 5.0 the failure carries no counts.
      assert.deepEqual(await verify(userId, '111111', 'public', '4.0'), { status: 'INVALID_TOTP_ERROR' });
      // Longer than 8 characters: refused without being recorded (one invalid code since the last valid one).
      assert.deepEqual(await verify(userId, '123456789'), { status: 'INVALID_TOTP_ERROR', currentNumberOfFailedAttempts: 2, maxNumberOfFailedAttempts: 5 });
      assert.deepEqual(await verify(userId, '1234567890'), { status: 'INVALID_TOTP_ERROR', currentNumberOfFailedAttempts: 2, maxNumberOfFailedAttempts: 5 });
    });

    it('locks a user out after 5 invalid codes for 900 s, per tenant; a valid code after the cooldown passes', async (ctx) => {
      if (skip !== undefined) return ctx.skip(skip);
      const userId = newUser();
      const device = await verifiedDevice(userId);
      clock.advance(90_000);
      let lastInvalidAt = 0;
      for (let i = 1; i <= 5; i++) {
        clock.advance(1000);
        assert.deepEqual(await verify(userId, '000000'), { status: 'INVALID_TOTP_ERROR', currentNumberOfFailedAttempts: i, maxNumberOfFailedAttempts: 5 });
        lastInvalidAt = clock.nowMs();
      }
      const locked = () => ({
        status: 'LIMIT_REACHED_ERROR',
        retryAfterMs: 900_000 - (clock.nowMs() - lastInvalidAt),
        currentNumberOfFailedAttempts: 5,
        maxNumberOfFailedAttempts: 5,
      });
      assert.deepEqual(await verify(userId, codeOf(device.secret)), locked(), 'even a valid code is refused');
      assert.deepEqual(await verifyDevice(userId, 'new', '000000'), { status: 'UNKNOWN_DEVICE_ERROR' });
      await createDevice({ userId, deviceName: 'new' });
      assert.deepEqual(await verifyDevice(userId, 'new', '000000'), locked(), 'the lockout covers verifying a device');
      assert.deepEqual(await verify(userId, '000000', 'public', '4.0'), { status: 'LIMIT_REACHED_ERROR', retryAfterMs: locked().retryAfterMs });
      // Refused attempts are not recorded: the lockout still ends 900 s after the last invalid code.
      // Counters are per tenant.
      assert.deepEqual(await verify(userId, codeOf(device.secret), 't2'), { status: 'OK' });
      clock.set(lastInvalidAt + 899_000 - 1);
      assert.equal((await verify(userId, codeOf(device.secret))).retryAfterMs, 1000);
      clock.set(lastInvalidAt + 900_000 - 1);
      assert.deepEqual(await verify(userId, codeOf(device.secret)), { status: 'OK' });
      assert.equal((await verify(userId, '000000')).currentNumberOfFailedAttempts, 1);
    });

    it("honours the tenant's coreConfig totp_max_attempts and totp_rate_limit_cooldown_sec", async (ctx) => {
      if (skip !== undefined) return ctx.skip(skip);
      const put = await c().put('/recipe/multitenancy/tenant/v2', { tenantId: 'strict', coreConfig: { totp_max_attempts: 2, totp_rate_limit_cooldown_sec: 60 } });
      assert.equal(put.json.status, 'OK', put.text);
      const userId = newUser();
      await verifiedDevice(userId);
      assert.equal((await verify(userId, '000000', 'strict')).maxNumberOfFailedAttempts, 2);
      assert.equal((await verify(userId, '000000', 'strict')).currentNumberOfFailedAttempts, 2);
      assert.deepEqual(await verify(userId, '000000', 'strict'), {
        status: 'LIMIT_REACHED_ERROR',
        retryAfterMs: 60_000 - 1,
        currentNumberOfFailedAttempts: 2,
        maxNumberOfFailedAttempts: 2,
      });
      assert.equal((await verify(userId, '000000')).currentNumberOfFailedAttempts, 1, 'public keeps the core defaults');
      // A deleted tenant takes its used codes (and lockouts) with it: created again, it starts clean.
      assert.equal((await c().post('/recipe/multitenancy/tenant/remove', { tenantId: 'strict' })).json.didExist, true);
      assert.equal((await c().put('/recipe/multitenancy/tenant/v2', { tenantId: 'strict', coreConfig: { totp_max_attempts: 2 } })).json.status, 'OK');
      assert.equal((await verify(userId, '000000', 'strict')).currentNumberOfFailedAttempts, 1);
    });

    it('imports a verified device with its secret; removing the user removes its devices', async (ctx) => {
      if (skip !== undefined) return ctx.skip(skip);
      const signUp = (await c().post('/public/recipe/signup', { email: `totp-${kind}@example.com`, password: 'correct-horse-1' })).json;
      const userId = signUp.user.id as string;
      const secret = 'JBSWY3DPEHPK3PXP';
      const imported = (await c().post('/recipe/totp/device/import', { userId, secretKey: secret, skew: 0, period: 30 })).json;
      assert.deepEqual(imported, { status: 'OK', deviceName: 'TOTP Device 0' });
      assert.deepEqual((await c().post('/recipe/totp/device/import', { userId, deviceName: 'TOTP Device 0', secretKey: secret, skew: 0, period: 30 })).json, {
        status: 'DEVICE_ALREADY_EXISTS_ERROR',
      });
      assert.deepEqual((await list(userId)).devices, [{ name: 'TOTP Device 0', period: 30, skew: 0, verified: true }]);
      assert.deepEqual(await verify(userId, codeOf(secret)), { status: 'OK' });
      assert.deepEqual((await c().post('/user/remove', { userId })).json, { status: 'OK' });
      assert.deepEqual((await list(userId)).devices, []);
    });

    it('cleanup deletes used codes a cooldown after they expire, not before', async (ctx) => {
      if (skip !== undefined) return ctx.skip(skip);
      const userId = newUser();
      const device = await verifiedDevice(userId);
      const usedAt = clock.nowMs();
      const code = codeOf(device.secret);
      // The code expires 90 s (30 · (2·1 + 1)) after its use and is kept 900 s longer.
      clock.set(usedAt + 90_000 + 899_000);
      await t!.core.runMaintenance();
      clock.set(usedAt + 5);
      assert.equal((await verify(userId, code)).status, 'INVALID_TOTP_ERROR', 'still known as used');
      clock.set(usedAt + 90_000 + 901_000);
      await t!.core.runMaintenance();
      clock.set(usedAt + 10);
      assert.deepEqual(await verify(userId, code), { status: 'OK' }, 'forgotten once cleaned up');
    });

    it('under concurrency a code is accepted once and every wrong code is counted', async (ctx) => {
      if (skip !== undefined) return ctx.skip(skip);
      // A clock that moves 1 ms per reading: concurrent checks get distinct used-code keys, so only the
      // user's lock keeps them from reading the same used codes.
      let ms = T0;
      const ticking = await startTestCoreOrSkip(kind, { clock: { nowMs: () => ms++ } });
      if ('skip' in ticking) return ctx.skip(ticking.skip);
      try {
        const cc = cdiClient(ticking.core.url);
        const device = (await cc.post('/recipe/totp/device', { userId: 'racer', skew: 1, period: 30 })).json;
        const code = totpAt(base32Decode(device.secret), T0, 30);
        assert.deepEqual((await cc.post('/public/recipe/totp/device/verify', { userId: 'racer', deviceName: device.deviceName, totp: code })).json.status, 'OK');
        const next = totpAt(base32Decode(device.secret), T0 + 30_000, 30);
        // Five checks of one valid code at once: one is accepted, the four others are replays, counted 1…4.
        const answers = await Promise.all(Array.from({ length: 5 }, () => cc.post('/public/recipe/totp/verify', { userId: 'racer', totp: next })));
        assert.deepEqual(answers.map((a) => a.json.status).sort(), ['INVALID_TOTP_ERROR', 'INVALID_TOTP_ERROR', 'INVALID_TOTP_ERROR', 'INVALID_TOTP_ERROR', 'OK']);
        const counts = answers.filter((a) => a.json.status !== 'OK').map((a) => a.json.currentNumberOfFailedAttempts as number);
        assert.deepEqual(counts.sort(), [1, 2, 3, 4]);
        // Six wrong codes at once: the first is the fifth failure, the five others find the user locked out.
        const wrong = await Promise.all(Array.from({ length: 6 }, () => cc.post('/public/recipe/totp/verify', { userId: 'racer', totp: '000000' })));
        const outcomes = wrong.map((a) => `${a.json.status}:${a.json.currentNumberOfFailedAttempts}`).sort();
        assert.deepEqual(outcomes, ['INVALID_TOTP_ERROR:5', ...Array(5).fill('LIMIT_REACHED_ERROR:5')]);
      } finally {
        await ticking.dispose();
      }
    });

    it('upgrades a schema-8 database (the one before TOTP) in place; its sessions survive', async (ctx) => {
      if (skip !== undefined) return ctx.skip(skip);
      const old = await startTestCoreOrSkip(kind, {});
      if ('skip' in old) return ctx.skip(old.skip);
      try {
        const c1 = cdiClient(old.core.url);
        const created = (await c1.post('/public/recipe/session', { userId: 'u-old', userDataInJWT: {}, userDataInDatabase: { kept: true }, enableAntiCsrf: false })).json;
        assert.equal(created.status, 'OK');
        await old.core.close();
        // Back to schema 8 (7 and 8 are account linking's and tenant membership's): only migration 9's
        // tables go.
        const dropped = await rollBackSchema(old.options, 8);
        assert.deepEqual(dropped, ['st_totp_users', 'st_totp_devices', 'st_totp_used_codes']);
        const upgraded = await startCore(old.options);
        try {
          const c2 = cdiClient(upgraded.url);
          const refreshed = (await c2.post('/recipe/session/refresh', { refreshToken: created.refreshToken.token, enableAntiCsrf: false })).json;
          assert.equal(refreshed.status, 'OK', 'the session written before the upgrade refreshes');
          const device = (await c2.post('/recipe/totp/device', { userId: 'u-old', skew: 1, period: 30 })).json;
          assert.equal(device.status, 'OK');
          const code = totpAt(base32Decode(device.secret), Date.now(), 30);
          assert.deepEqual((await c2.post('/public/recipe/totp/device/verify', { userId: 'u-old', deviceName: device.deviceName, totp: code })).json, {
            status: 'OK',
            wasAlreadyVerified: false,
          });
        } finally {
          await upgraded.close();
        }
      } finally {
        await old.dispose();
      }
    });
  });
}
