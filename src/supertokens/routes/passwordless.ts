/**
 * @module supertokens/routes/passwordless — the Passwordless recipe (magic links and one-time codes):
 * create a code (`POST /<t>/recipe/signinup/code`), consume or check it (`…/code/consume`,
 * `…/code/check`), list codes (`GET /<t>/recipe/signinup/codes`), revoke them (`…/code/remove`,
 * `…/codes/remove`), update a user's email or phone number (`PUT /recipe/user`, rid `passwordless`)
 * and, before CDI 4.0, read a user (`GET /recipe/user`). [glue]
 *
 * Codes as the Java core makes them: a device is a random 32-byte `deviceId` (base64) whose SHA-256
 * (base64url) is the `preAuthSessionId`; each code of the device has a `userInputCode` (given, or 6
 * random digits) and the `linkCode` = HMAC-SHA256(key: the deviceId's bytes, the userInputCode),
 * base64url. Only `sha256(linkCode)` is stored, so the link code and the typed code (with its
 * deviceId) lead to the same row and nothing stored can be replayed. A code lives
 * `passwordlessCodeLifetimeSeconds` (900); a device survives `passwordlessMaxCodeInputAttempts` (5)
 * wrong or expired typed codes, the last of which removes it (`RESTART_FLOW_ERROR`). A consumed code
 * removes every device of that email or phone number in the tenant. The user is one per (tenant,
 * email) or (tenant, phone number); emails are trimmed and lowercased, phone numbers trimmed (the
 * SDKs send them in E.164). From CDI 4.0 consuming a code sent to an email marks that email verified,
 * as the Java core does.
 */
import { createHash, createHmac, randomBytes, randomInt, randomUUID } from 'node:crypto';
import { badInput, invalidField } from '../errors.ts';
import type { PasswordlessDeviceRow } from '../store.ts';
import type { Json } from '../store/sql.ts';
import { normaliseEmail, ok, optionalString, outcome, requireString, type Route, type RouteRequest, type RouteResponse } from './types.ts';
import { passwordlessAuthUser, legacyUsersToJson, userJsonFor, signedInUserFields } from './users.ts';
import { publicUserIds, resolveUserId } from './useridmapping.ts';

const b64url = (data: Buffer) => data.toString('base64url');
const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest();

/** `preAuthSessionId` of a deviceId. */
export function deviceIdHashOf(deviceId: string): string {
  return b64url(sha256(Buffer.from(deviceId, 'base64')));
}

export function linkCodeOf(deviceId: string, userInputCode: string): string {
  return b64url(createHmac('sha256', Buffer.from(deviceId, 'base64')).update(userInputCode).digest());
}

export function linkCodeHashOf(linkCode: string): string {
  return b64url(sha256(linkCode));
}

function nonEmptyOptional(req: RouteRequest, name: string): string | undefined {
  const value = optionalString(req.body, name);
  if (value !== undefined && value.trim() === '') throw invalidField(name);
  return value;
}

/** Exactly one of `email` / `phoneNumber`, normalised. */
function accountOf(req: RouteRequest): { email: string } | { phoneNumber: string } {
  const email = nonEmptyOptional(req, 'email');
  const phoneNumber = nonEmptyOptional(req, 'phoneNumber');
  if ((email === undefined) === (phoneNumber === undefined)) throw badInput('Please provide exactly one of email or phoneNumber');
  return email !== undefined ? { email: normaliseEmail(email) } : { phoneNumber: phoneNumber!.trim() };
}

function newCode(req: RouteRequest, deviceId: string) {
  const given = nonEmptyOptional(req, 'userInputCode');
  const userInputCode = given ?? String(randomInt(0, 1_000_000)).padStart(6, '0');
  const linkCode = linkCodeOf(deviceId, userInputCode);
  const createdAtMs = req.runtime.clock.nowMs();
  const expiresAtMs = createdAtMs + req.runtime.config.passwordlessCodeLifetimeSeconds * 1000;
  const code = { codeId: randomUUID(), linkCodeHash: linkCodeHashOf(linkCode), createdAtMs, expiresAtMs };
  return { userInputCode, linkCode, code };
}

function codeCreated(req: RouteRequest, deviceId: string, made: ReturnType<typeof newCode>): RouteResponse {
  return ok({
    preAuthSessionId: deviceIdHashOf(deviceId),
    codeId: made.code.codeId,
    deviceId,
    userInputCode: made.userInputCode,
    linkCode: made.linkCode,
    timeCreated: made.code.createdAtMs,
    codeLifetime: req.runtime.config.passwordlessCodeLifetimeSeconds * 1000,
  });
}

function deviceJson(req: RouteRequest, device: PasswordlessDeviceRow): Record<string, Json> {
  return {
    preAuthSessionId: device.deviceIdHash,
    failedCodeInputAttemptCount: device.failedAttempts,
    ...(device.email === undefined ? {} : { email: device.email }),
    ...(device.phoneNumber === undefined ? {} : { phoneNumber: device.phoneNumber }),
    codes: device.codes.map((c) => ({ codeId: c.codeId, timeCreated: c.createdAtMs, codeLifetime: c.expiresAtMs - c.createdAtMs })),
  };
}

/**
 * Consume or check: by `linkCode` (+ `preAuthSessionId`) or by `deviceId` + `userInputCode` +
 * `preAuthSessionId`. Returns the consumed device, or the error response.
 */
async function takeCode(req: RouteRequest, consumesOnSuccess: boolean): Promise<{ device: PasswordlessDeviceRow } | { response: RouteResponse }> {
  const { store, clock, config } = req.runtime;
  const linkCode = nonEmptyOptional(req, 'linkCode');
  const preAuthSessionId = nonEmptyOptional(req, 'preAuthSessionId');
  let linkCodeHash: string;
  let deviceIdHash = preAuthSessionId;
  let countsAttempt = false;
  if (linkCode !== undefined) {
    linkCodeHash = linkCodeHashOf(linkCode);
  } else {
    const deviceId = nonEmptyOptional(req, 'deviceId');
    const userInputCode = nonEmptyOptional(req, 'userInputCode');
    if (deviceId === undefined || userInputCode === undefined || preAuthSessionId === undefined) {
      throw badInput('Please provide either linkCode or preAuthSessionId, deviceId and userInputCode');
    }
    if (deviceIdHashOf(deviceId) !== preAuthSessionId) throw badInput('preAuthSessionId and deviceId doesn\'t match');
    linkCodeHash = linkCodeHashOf(linkCodeOf(deviceId, userInputCode));
    deviceIdHash = preAuthSessionId;
    countsAttempt = true;
  }
  const maxAttempts = config.passwordlessMaxCodeInputAttempts;
  const result = await store.consumePasswordlessCode(req.appId, req.tenantId, {
    linkCodeHash,
    deviceIdHash,
    countsAttempt,
    consumesOnSuccess,
    nowMs: clock.nowMs(),
    maxAttempts,
  });
  switch (result.status) {
    case 'OK':
      return { device: result.device };
    case 'RESTART_FLOW':
      return { response: outcome('RESTART_FLOW_ERROR') };
    case 'INCORRECT':
    case 'EXPIRED':
      return {
        response: outcome(result.status === 'INCORRECT' ? 'INCORRECT_USER_INPUT_CODE_ERROR' : 'EXPIRED_USER_INPUT_CODE_ERROR', {
          failedCodeInputAttemptCount: result.failedAttempts,
          maximumCodeInputAttempts: maxAttempts,
        }),
      };
  }
}

function consumedDeviceJson(device: PasswordlessDeviceRow): Record<string, Json> {
  return {
    preAuthSessionId: device.deviceIdHash,
    failedCodeInputAttemptCount: device.failedAttempts,
    ...(device.email === undefined ? {} : { email: device.email }),
    ...(device.phoneNumber === undefined ? {} : { phoneNumber: device.phoneNumber }),
  };
}

/** A JSON field that may be a string, `null` (clear it) or absent (leave it). */
function nullableString(req: RouteRequest, name: string): string | null | undefined {
  const value = req.body[name];
  if (value === undefined || value === null) return value;
  if (typeof value !== 'string' || value.trim() === '') throw invalidField(name);
  return value;
}

export const passwordlessRoutes: Route[] = [
  {
    method: 'POST',
    path: '/recipe/signinup/code',
    scope: 'tenant',
    async handle(req) {
      const { store } = req.runtime;
      const deviceId = nonEmptyOptional(req, 'deviceId');
      if (deviceId !== undefined) {
        // createNewCodeForDevice: another code for the device (resend).
        const made = newCode(req, deviceId);
        const created = await store.createPasswordlessCode(req.appId, req.tenantId, deviceIdHashOf(deviceId), made.code);
        if (created === 'RESTART_FLOW') return outcome('RESTART_FLOW_ERROR');
        if (created === 'CODE_USED') return outcome('USER_INPUT_CODE_ALREADY_USED_ERROR');
        return codeCreated(req, deviceId, made);
      }
      const account = accountOf(req);
      const newDeviceId = randomBytes(32).toString('base64');
      const made = newCode(req, newDeviceId);
      const created = await store.createPasswordlessDevice(req.appId, req.tenantId, { deviceIdHash: deviceIdHashOf(newDeviceId), ...account }, made.code);
      if (!created) throw new Error('passwordless device id collision');
      return codeCreated(req, newDeviceId, made);
    },
  },
  {
    method: 'POST',
    path: '/recipe/signinup/code/consume',
    scope: 'tenant',
    async handle(req) {
      const { store, clock } = req.runtime;
      const taken = await takeCode(req, true);
      if ('response' in taken) return taken.response;
      const { device } = taken;
      const { created, user } = await store.signInUpPasswordlessUser({
        appId: req.appId,
        userId: randomUUID(),
        tenantId: req.tenantId,
        ...(device.email === undefined ? { phoneNumber: device.phoneNumber ?? '' } : { email: device.email }),
        timeJoinedMs: clock.nowMs(),
      });
      const authUser = passwordlessAuthUser(user);
      if (!req.cdi.hasAccountLinking) {
        return ok({ createdNewUser: created, user: await userJsonFor(req.cdi, store, req.appId, authUser) });
      }
      if (device.email !== undefined && user.email === device.email) {
        const publicId = (await publicUserIds(store, req.appId, [user.userId])).get(user.userId) ?? user.userId;
        await store.setEmailVerified(req.appId, publicId, device.email, true);
      }
      return ok({ createdNewUser: created, ...(await signedInUserFields(store, req.appId, authUser)), consumedDevice: consumedDeviceJson(device) });
    },
  },
  {
    // Passwordless.checkCode (CDI 5.0+, MFA): the code is verified and left in place (a wrong typed code
    // still counts an attempt), no user is touched; the SDK consumes it afterwards, as with the Java core.
    method: 'POST',
    path: '/recipe/signinup/code/check',
    scope: 'tenant',
    async handle(req) {
      const taken = await takeCode(req, false);
      if ('response' in taken) return taken.response;
      return ok({ consumedDevice: consumedDeviceJson(taken.device) });
    },
  },
  {
    method: 'GET',
    path: '/recipe/signinup/codes',
    scope: 'tenant',
    async handle(req) {
      const { store } = req.runtime;
      const email = req.query.get('email');
      const phoneNumber = req.query.get('phoneNumber');
      const deviceId = req.query.get('deviceId');
      const preAuthSessionId = req.query.get('preAuthSessionId');
      let devices: PasswordlessDeviceRow[];
      if (email !== null) devices = await store.listPasswordlessDevices(req.appId, req.tenantId, { email: normaliseEmail(email) });
      else if (phoneNumber !== null) devices = await store.listPasswordlessDevices(req.appId, req.tenantId, { phoneNumber: phoneNumber.trim() });
      else if (deviceId !== null || preAuthSessionId !== null) {
        const device = await store.getPasswordlessDevice(req.appId, req.tenantId, deviceId !== null ? deviceIdHashOf(deviceId) : preAuthSessionId!);
        devices = device === undefined ? [] : [device];
      } else throw badInput('Please provide exactly one of email, phoneNumber, deviceId or preAuthSessionId');
      return ok({ devices: devices.map((d) => deviceJson(req, d)) });
    },
  },
  {
    method: 'POST',
    path: '/recipe/signinup/code/remove',
    scope: 'tenant',
    async handle(req) {
      await req.runtime.store.removePasswordlessCode(req.appId, req.tenantId, requireString(req.body, 'codeId'));
      return ok();
    },
  },
  {
    method: 'POST',
    path: '/recipe/signinup/codes/remove',
    scope: 'tenant',
    async handle(req) {
      await req.runtime.store.removePasswordlessDevices(req.appId, req.tenantId, accountOf(req));
      return ok();
    },
  },
  {
    // Passwordless.updateUser: `email` / `phoneNumber` a string sets it, `null` clears it, absent keeps it.
    method: 'PUT',
    path: '/recipe/user',
    scope: 'app',
    rid: 'passwordless',
    async handle(req) {
      const { store } = req.runtime;
      const given = optionalString(req.body, 'recipeUserId') ?? requireString(req.body, 'userId');
      const userId = await resolveUserId(store, req.appId, given);
      const email = nullableString(req, 'email');
      const phoneNumber = nullableString(req, 'phoneNumber');
      const user = await store.getPasswordlessUser(req.appId, userId);
      if (user === undefined) return outcome('UNKNOWN_USER_ID_ERROR');
      const nextEmail = email === undefined ? user.email : email;
      const nextPhone = phoneNumber === undefined ? user.phoneNumber : phoneNumber;
      if ((nextEmail ?? null) === null && (nextPhone ?? null) === null) {
        throw badInput('You cannot clear both email and phone number of a user');
      }
      // The account-linking rule (a linked user may not take an email or phone number of another primary
      // user) and uniqueness are checked in the update's transaction (store/passwordless.ts).
      const result = await store.updatePasswordlessUser(req.appId, userId, {
        ...(email === undefined ? {} : { email: email === null ? null : normaliseEmail(email) }),
        ...(phoneNumber === undefined ? {} : { phoneNumber: phoneNumber === null ? null : phoneNumber.trim() }),
      });
      if (result === 'UNKNOWN_USER') return outcome('UNKNOWN_USER_ID_ERROR');
      if (result === 'EMAIL_CHANGE_NOT_ALLOWED') return outcome('EMAIL_CHANGE_NOT_ALLOWED_ERROR', { reason: 'New email is associated with another primary user ID' });
      if (result === 'PHONE_CHANGE_NOT_ALLOWED') {
        return outcome('PHONE_NUMBER_CHANGE_NOT_ALLOWED_ERROR', { reason: 'New phone number is associated with another primary user ID' });
      }
      if (result === 'EMAIL_EXISTS') return outcome('EMAIL_ALREADY_EXISTS_ERROR');
      if (result === 'PHONE_EXISTS') return outcome('PHONE_NUMBER_ALREADY_EXISTS_ERROR');
      return ok();
    },
  },
  {
    // CDI < 4.0 (supertokens-node 14, 15): one passwordless user by `userId`, `email` or `phoneNumber`.
    method: 'GET',
    path: '/recipe/user',
    scope: 'tenant',
    rid: 'passwordless',
    async handle(req) {
      const { store } = req.runtime;
      const userId = req.query.get('userId');
      const email = req.query.get('email');
      const phoneNumber = req.query.get('phoneNumber');
      let user;
      if (userId !== null) user = await store.getPasswordlessUser(req.appId, await resolveUserId(store, req.appId, userId));
      else if (email !== null) user = await store.getPasswordlessUserByAccount(req.appId, req.tenantId, { email: normaliseEmail(email) });
      else if (phoneNumber !== null) user = await store.getPasswordlessUserByAccount(req.appId, req.tenantId, { phoneNumber: phoneNumber.trim() });
      else throw badInput('Please provide exactly one of userId, email or phoneNumber');
      if (user === undefined) return outcome('UNKNOWN_USER_ID_ERROR');
      return ok({ user: (await legacyUsersToJson(store, req.appId, req.cdi, [passwordlessAuthUser(user)]))[0] });
    },
  },
];
