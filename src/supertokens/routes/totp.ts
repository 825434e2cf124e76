/**
 * @module supertokens/routes/totp — the TOTP recipe (a second factor for `MultiFactorAuth`): devices
 * (`POST`/`PUT /recipe/totp/device`, `GET …/device/list`, `POST …/device/remove`,
 * `POST …/device/import`), verifying a new device with a code (`POST /<t>/recipe/totp/device/verify`)
 * and checking a code against the user's verified devices (`POST /<t>/recipe/totp/verify`). [glue]
 *
 * Shapes and rules are the Java core's (`webserver/api/totp/*`, `totp/Totp.java`): devices are
 * app-wide, named per user (unnamed ones are "TOTP Device <n>"); codes are checked per tenant, each
 * accepted code once, with `totpMaxAttempts` consecutive invalid codes locking the user out for
 * `totpRateLimitCooldownSeconds` (both overridable per tenant by its `coreConfig`'s
 * `totp_max_attempts` / `totp_rate_limit_cooldown_sec`, as in the Java core). The rules themselves
 * are in `../totp.ts`. Served without a licence key.
 */
import { badInput, invalidField } from '../errors.ts';
import type { TotpDeviceRow } from '../store.ts';
import { checkTotpCode, generatedDeviceName, newTotpSecret, type TotpDeviceSpec, type TotpLimits } from '../totp.ts';
import type { TotpRecordDecision } from '../store/totp.ts';
import { ok, optionalString, outcome, requireQuery, requireString, type Route, type RouteRequest, type RouteResponse } from './types.ts';

/** A required string the Java core also refuses when empty (400 `<name> cannot be empty`). */
function requireNonEmpty(value: string, name: string): string {
  if (value === '') throw badInput(`${name} cannot be empty`);
  return value;
}

function requireBodyString(req: RouteRequest, name: string): string {
  return requireNonEmpty(requireString(req.body, name), name);
}

function requireInteger(req: RouteRequest, name: string): number {
  const value = req.body[name];
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw invalidField(name);
  return value;
}

/** `deviceName` (absent: generated), `skew` >= 0 and `period` > 0, as create and import take them. */
function deviceInput(req: RouteRequest) {
  const userId = requireBodyString(req, 'userId');
  const name = optionalString(req.body, 'deviceName');
  if (name === '') throw badInput('deviceName cannot be empty');
  const skew = requireInteger(req, 'skew');
  const periodSeconds = requireInteger(req, 'period');
  if (skew < 0) throw badInput('skew must be >= 0');
  if (periodSeconds <= 0) throw badInput('period must be > 0');
  return { userId, name, skew, periodSeconds };
}

/** The limits for the request's tenant: the core's config, unless the tenant's `coreConfig` sets them. */
async function limitsFor(req: RouteRequest): Promise<TotpLimits> {
  const { config, store } = req.runtime;
  const tenantConfig = (await store.getTenant(req.appId, req.tenantId))?.coreConfig ?? {};
  const positive = (value: unknown, fallback: number) => (typeof value === 'number' && Number.isSafeInteger(value) && value > 0 ? value : fallback);
  return {
    maxAttempts: positive(tenantConfig.totp_max_attempts, config.totpMaxAttempts),
    cooldownMs: positive(tenantConfig.totp_rate_limit_cooldown_sec, config.totpRateLimitCooldownSeconds) * 1000,
  };
}

type CodeResult = { status: 'OK' } | { status: 'INVALID'; current: number; max: number } | { status: 'LIMIT'; retryAfterMs: number; current: number; max: number };

/** Checks `code` against `devices` and records it for the (tenant, user): `checkTotpCode` under the user's lock. */
async function checkAndRecord(req: RouteRequest, userId: string, devices: readonly TotpDeviceRow[], code: string): Promise<CodeResult | 'UNKNOWN_USER'> {
  const limits = await limitsFor(req);
  const nowMs = req.runtime.clock.nowMs();
  const specs: TotpDeviceSpec[] = devices.map((d) => ({ secret: d.secret, periodSeconds: d.periodSeconds, skew: d.skew }));
  return req.runtime.store.recordTotpCode(req.appId, req.tenantId, userId, (usedCodes): TotpRecordDecision<CodeResult> => {
    const check = checkTotpCode({ code, devices: specs, usedCodes, nowMs }, limits);
    switch (check.kind) {
      case 'LIMIT_REACHED':
        return { result: { status: 'LIMIT', retryAfterMs: check.retryAfterMs, current: check.currentAttempts, max: check.maxAttempts } };
      case 'INVALID_UNRECORDED':
        return { result: { status: 'INVALID', current: check.currentAttempts, max: check.maxAttempts } };
      case 'RECORD':
        return {
          record: check.record,
          result: check.record.isValid ? { status: 'OK' } : { status: 'INVALID', current: check.failedAttempts, max: check.maxAttempts },
          resultIfRecordFails: { status: 'INVALID', current: check.failedAttemptsIfRecordFails, max: check.maxAttempts },
        };
    }
  });
}

/** The failure answers; the attempt counts only from CDI 5.0, as the Java core sends them. */
function codeFailure(req: RouteRequest, result: Exclude<CodeResult, { status: 'OK' }>): RouteResponse {
  const counts = req.cdi.atLeast('5.0') ? { currentNumberOfFailedAttempts: result.current, maxNumberOfFailedAttempts: result.max } : {};
  if (result.status === 'LIMIT') return outcome('LIMIT_REACHED_ERROR', { retryAfterMs: result.retryAfterMs, ...counts });
  return outcome('INVALID_TOTP_ERROR', counts);
}

async function createDevice(req: RouteRequest, secret: string, verified: boolean) {
  const input = deviceInput(req);
  return req.runtime.store.createTotpDevice(
    req.appId,
    { userId: input.userId, name: input.name, secret, periodSeconds: input.periodSeconds, skew: input.skew, verified, createdAtMs: req.runtime.clock.nowMs() },
    generatedDeviceName,
  );
}

export const totpRoutes: Route[] = [
  {
    // Totp.createDevice: a new, unverified device; the secret goes to the user's authenticator app.
    method: 'POST',
    path: '/recipe/totp/device',
    scope: 'app',
    async handle(req) {
      const device = await createDevice(req, newTotpSecret(), false);
      if (device === 'DEVICE_EXISTS') return outcome('DEVICE_ALREADY_EXISTS_ERROR');
      return ok({ deviceName: device.name, secret: device.secret });
    },
  },
  {
    // Bulk import of a device another system verified: created verified, with its secret.
    method: 'POST',
    path: '/recipe/totp/device/import',
    scope: 'app',
    async handle(req) {
      const secret = requireBodyString(req, 'secretKey');
      const device = await createDevice(req, secret, true);
      if (device === 'DEVICE_EXISTS') return outcome('DEVICE_ALREADY_EXISTS_ERROR');
      return ok({ deviceName: device.name });
    },
  },
  {
    // Totp.updateDevice: rename.
    method: 'PUT',
    path: '/recipe/totp/device',
    scope: 'app',
    async handle(req) {
      const userId = requireBodyString(req, 'userId');
      const from = requireBodyString(req, 'existingDeviceName');
      const to = requireBodyString(req, 'newDeviceName');
      const renamed = await req.runtime.store.renameTotpDevice(req.appId, userId, from, to);
      if (renamed === 'UNKNOWN_DEVICE') return outcome('UNKNOWN_DEVICE_ERROR');
      if (renamed === 'DEVICE_EXISTS') return outcome('DEVICE_ALREADY_EXISTS_ERROR');
      return ok();
    },
  },
  {
    method: 'GET',
    path: '/recipe/totp/device/list',
    scope: 'app',
    async handle(req) {
      const userId = requireNonEmpty(requireQuery(req.query, 'userId'), 'userId');
      const devices = await req.runtime.store.listTotpDevices(req.appId, userId);
      return ok({ devices: devices.map((d) => ({ name: d.name, period: d.periodSeconds, skew: d.skew, verified: d.verified })) });
    },
  },
  {
    method: 'POST',
    path: '/recipe/totp/device/remove',
    scope: 'app',
    async handle(req) {
      const userId = requireBodyString(req, 'userId');
      const name = requireBodyString(req, 'deviceName');
      return ok({ didDeviceExist: await req.runtime.store.removeTotpDevice(req.appId, userId, name) });
    },
  },
  {
    // Totp.verifyDevice: a code of the (unverified) device verifies it. An already verified device
    // answers OK without looking at the code, as in the Java core.
    method: 'POST',
    path: '/recipe/totp/device/verify',
    scope: 'tenant',
    async handle(req) {
      const { store } = req.runtime;
      const userId = requireBodyString(req, 'userId');
      const name = requireBodyString(req, 'deviceName');
      const code = requireString(req.body, 'totp');
      const device = (await store.listTotpDevices(req.appId, userId)).find((d) => d.name === name);
      if (device === undefined) return outcome('UNKNOWN_DEVICE_ERROR');
      if (device.verified) return ok({ wasAlreadyVerified: true });
      const result = await checkAndRecord(req, userId, [device], code);
      if (result === 'UNKNOWN_USER') return outcome('UNKNOWN_DEVICE_ERROR');
      if (result.status !== 'OK') return codeFailure(req, result);
      // Renamed or removed meanwhile: the code was good, but there is no such device to verify.
      if (!(await store.markTotpDeviceVerified(req.appId, userId, name))) return outcome('UNKNOWN_DEVICE_ERROR');
      return ok({ wasAlreadyVerified: false });
    },
  },
  {
    // Totp.verifyTOTP: a code of any verified device of the user.
    method: 'POST',
    path: '/recipe/totp/verify',
    scope: 'tenant',
    async handle(req) {
      const userId = requireBodyString(req, 'userId');
      const code = requireString(req.body, 'totp');
      const devices = await req.runtime.store.listTotpDevices(req.appId, userId);
      if (devices.length === 0) return outcome('UNKNOWN_USER_ID_ERROR');
      const result = await checkAndRecord(req, userId, devices.filter((d) => d.verified), code);
      if (result === 'UNKNOWN_USER') return outcome('UNKNOWN_USER_ID_ERROR');
      if (result.status !== 'OK') return codeFailure(req, result);
      return ok();
    },
  },
];
