/**
 * @module supertokens/routes/emailpassword — EmailPassword recipe CDI endpoints (spec §8.2). [glue]
 *
 * Emails are normalised (trim + lowercase) as the core does; users are scoped to the tenant they
 * signed up in. Passwords are hashed off the event loop (`passwords.ts`). Reset tokens are random,
 * stored only as SHA-256 hashes, single use, and all of a user's reset tokens die with the first use.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { badInput, invalidField } from '../errors.ts';
import { hashPassword, isSupportedPasswordHash, verifyPassword } from '../passwords.ts';
import { sha256 } from '../../core/digest.ts';
import type { UserRow } from '../store.ts';
import { normaliseEmail, ok, optionalString, outcome, requireString, type Route, type RouteRequest, type RouteResponse } from './types.ts';
import { signedInUserFields, userJsonFor, usersToJsonByIds } from './users.ts';
import { publicUserIds, resolveUserId } from './useridmapping.ts';
import { signInAccountKey, signInClientKey } from '../rate-limit.ts';

/** A random, URL-safe single-use token (the SDK puts it into links). */
export function newOpaqueToken(): string {
  return randomBytes(48).toString('base64url');
}

function requirePassword(req: RouteRequest): string {
  const password = requireString(req.body, 'password');
  if (password === '') throw badInput('Password cannot be an empty string');
  return password;
}

/**
 * A sign-in for an unknown email still runs one hash verification, so response time does not
 * reveal whether the email is registered.
 */
let timingDecoyHash: Promise<string> | undefined;
function decoyHash(req: RouteRequest): Promise<string> {
  timingDecoyHash ??= hashPassword(randomUUID(), req.runtime.config.passwordHashing);
  return timingDecoyHash;
}

/** Sign-up / sign-in answer: `recipeUserId` beside the `User` from CDI 4.0; the legacy user before. */
async function signedInUser(req: RouteRequest, user: UserRow): Promise<RouteResponse> {
  if (!req.cdi.hasAccountLinking) return ok({ user: await userJsonFor(req.cdi, req.runtime.store, req.appId, user) });
  return ok({ ...(await signedInUserFields(req.runtime.store, req.appId, user)) });
}

/**
 * The email a password-reset token may be issued for, or undefined (answered `UNKNOWN_USER_ID_ERROR`).
 * Before CDI 4.0 the body has no email: the token is for the email/password user's own. From 4.0
 * `email` is required (the Java core: 400 "Field name 'email' is invalid in JSON input") and may be
 * the email of any login method of the user (its primary user's group, store/accountlinking.ts): the
 * user may be a primary user without an email/password login method, which the SDK's reset then adds
 * with that email and links.
 * DIVERGENCE: the Java core (EmailPassword.generatePasswordResetToken) stores whatever email the
 * caller names. A token for an email none of the user's login methods has, mailed to that address,
 * would reset this user's password or add a login method with a foreign email (supertokens-node's
 * passwordResetPOST does not compare the emails for a user that is not primary) and mark that email
 * verified; we answer it as the Java core answers an unknown user.
 */
async function passwordResetEmail(req: RouteRequest, userId: string): Promise<string | undefined> {
  if (!req.cdi.hasAccountLinking) return (await req.runtime.store.getUser(req.appId, userId))?.email;
  const email = normaliseEmail(requireString(req.body, 'email'));
  const [user] = await usersToJsonByIds(req.runtime.store, req.appId, [userId]);
  return user?.loginMethods.some((m) => m.email === email) ? email : undefined;
}

export const emailPasswordRoutes: Route[] = [
  {
    method: 'POST',
    path: '/recipe/signup',
    scope: 'tenant',
    async handle(req) {
      const email = normaliseEmail(requireString(req.body, 'email'));
      const password = requirePassword(req);
      const { store, clock, config } = req.runtime;
      if ((await store.getUserByEmail(req.appId, req.tenantId, email)) !== undefined) return outcome('EMAIL_ALREADY_EXISTS_ERROR');
      const user: UserRow = {
        appId: req.appId,
        userId: randomUUID(),
        tenantId: req.tenantId,
        email,
        passwordHash: await hashPassword(password, config.passwordHashing),
        timeJoinedMs: clock.nowMs(),
      };
      // The unique (app, tenant, email) constraint settles concurrent sign-ups with one email.
      if (!(await store.insertUser(user))) return outcome('EMAIL_ALREADY_EXISTS_ERROR');
      return signedInUser(req, user);
    },
  },
  {
    method: 'POST',
    path: '/recipe/signin',
    scope: 'tenant',
    async handle(req) {
      const email = normaliseEmail(requireString(req.body, 'email'));
      const password = requireString(req.body, 'password');
      const { store, signInLimiter, config } = req.runtime;
      const limitKey = { account: signInAccountKey(req.appId, req.tenantId, email), client: signInClientKey(config.signInRateLimit, req.headers, req.remoteAddress) };
      // Rate limited: refused without hashing, with the answer the SDK already handles (rate-limit.ts).
      if (!(await signInLimiter.attempt(limitKey)).allowed) return outcome('WRONG_CREDENTIALS_ERROR');
      const user = await store.getUserByEmail(req.appId, req.tenantId, email);
      if (user === undefined) {
        await verifyPassword(password, await decoyHash(req));
        return outcome('WRONG_CREDENTIALS_ERROR');
      }
      const valid = await verifyPassword(password, user.passwordHash);
      await signInLimiter.recordResult(limitKey, valid);
      if (!valid) return outcome('WRONG_CREDENTIALS_ERROR');
      return signedInUser(req, user);
    },
  },
  {
    method: 'POST',
    path: '/recipe/user/password/reset/token',
    scope: 'tenant',
    async handle(req) {
      const { store, clock, config } = req.runtime;
      const userId = await resolveUserId(store, req.appId, requireString(req.body, 'userId'));
      const email = await passwordResetEmail(req, userId);
      if (email === undefined) return outcome('UNKNOWN_USER_ID_ERROR');
      const token = newOpaqueToken();
      await store.insertPasswordResetToken(req.appId, req.tenantId, sha256(token, 'hex'), userId, email, clock.nowMs() + config.passwordResetTokenLifetimeSeconds * 1000);
      return ok({ token });
    },
  },
  {
    method: 'POST',
    path: '/recipe/user/password/reset/token/consume',
    scope: 'tenant',
    async handle(req) {
      const token = requireString(req.body, 'token');
      const consumed = await req.runtime.store.consumePasswordResetToken(req.appId, sha256(token, 'hex'), req.runtime.clock.nowMs());
      if (consumed === undefined) return outcome('RESET_PASSWORD_INVALID_TOKEN_ERROR');
      const ids = await publicUserIds(req.runtime.store, req.appId, [consumed.userId]);
      return ok({ userId: ids.get(consumed.userId), email: consumed.email });
    },
  },
  {
    // CDI < 4.0: consumes a reset token and sets the new password in one call (4.0 split it into
    // …/reset/token/consume and PUT /recipe/user).
    method: 'POST',
    path: '/recipe/user/password/reset',
    scope: 'tenant',
    async handle(req) {
      const method = requireString(req.body, 'method');
      if (method !== 'token') throw invalidField('method');
      const token = requireString(req.body, 'token');
      const newPassword = requireString(req.body, 'newPassword');
      if (newPassword === '') throw badInput('Password cannot be an empty string');
      const { store, clock, config } = req.runtime;
      const consumed = await store.consumePasswordResetToken(req.appId, sha256(token, 'hex'), clock.nowMs());
      if (consumed === undefined) return outcome('RESET_PASSWORD_INVALID_TOKEN_ERROR');
      const result = await store.updateUser(req.appId, consumed.userId, { passwordHash: await hashPassword(newPassword, config.passwordHashing) });
      if (result === 'unknown-user') return outcome('RESET_PASSWORD_INVALID_TOKEN_ERROR');
      return ok({ userId: (await publicUserIds(store, req.appId, [consumed.userId])).get(consumed.userId) });
    },
  },
  {
    // CDI < 4.0 (supertokens-node 14, 15): one email/password user by `userId` or by `email` (in the
    // request's tenant). From 4.0 the SDKs read `GET /user/id` and `/users/by-accountinfo`.
    method: 'GET',
    path: '/recipe/user',
    scope: 'tenant',
    rid: 'emailpassword',
    async handle(req) {
      const { store } = req.runtime;
      const userId = req.query.get('userId');
      const email = req.query.get('email');
      if (userId !== null) {
        const user = await store.getUser(req.appId, await resolveUserId(store, req.appId, userId));
        return user === undefined ? outcome('UNKNOWN_USER_ID_ERROR') : ok({ user: await userJsonFor(req.cdi, store, req.appId, user) });
      }
      if (email === null) throw badInput('Please provide one of userId or email');
      const user = await store.getUserByEmail(req.appId, req.tenantId, normaliseEmail(email));
      return user === undefined ? outcome('UNKNOWN_EMAIL_ERROR') : ok({ user: await userJsonFor(req.cdi, store, req.appId, user) });
    },
  },
  {
    method: 'PUT',
    path: '/recipe/user',
    scope: 'app',
    rid: 'emailpassword',
    async handle(req) {
      const given = optionalString(req.body, 'recipeUserId') ?? requireString(req.body, 'userId');
      const userId = await resolveUserId(req.runtime.store, req.appId, given);
      const email = optionalString(req.body, 'email');
      const password = optionalString(req.body, 'password');
      if (password === '') throw badInput('Password cannot be an empty string');
      const change: { email?: string; passwordHash?: string } = {};
      if (email !== undefined) change.email = normaliseEmail(email);
      if (password !== undefined) change.passwordHash = await hashPassword(password, req.runtime.config.passwordHashing);
      // The account-linking rule (a linked user may not take an email of another primary user) and the
      // email's uniqueness are checked in the update's transaction (store/emailpassword.ts).
      const result = await req.runtime.store.updateUser(req.appId, userId, change);
      if (result === 'unknown-user') return outcome('UNKNOWN_USER_ID_ERROR');
      if (result === 'email-change-not-allowed') return outcome('EMAIL_CHANGE_NOT_ALLOWED_ERROR', { reason: 'New email is associated with another primary user ID' });
      if (result === 'email-taken') return outcome('EMAIL_ALREADY_EXISTS_ERROR');
      return ok();
    },
  },
  {
    // Import a user with an existing bcrypt or argon2 hash (the core's passwordhash/import API).
    method: 'POST',
    path: '/recipe/user/passwordhash/import',
    scope: 'tenant',
    async handle(req) {
      const email = normaliseEmail(requireString(req.body, 'email'));
      const passwordHash = requireString(req.body, 'passwordHash');
      if (!isSupportedPasswordHash(passwordHash)) throw badInput('Invalid password hash for bcrypt or argon2 format');
      const { store, clock } = req.runtime;
      const existing = await store.getUserByEmail(req.appId, req.tenantId, email);
      if (existing !== undefined) {
        await store.updateUser(req.appId, existing.userId, { passwordHash });
        const user = { ...existing, passwordHash };
        return ok({ didUserAlreadyExist: true, user: await userJsonFor(req.cdi, store, req.appId, user) });
      }
      const user: UserRow = { appId: req.appId, userId: randomUUID(), tenantId: req.tenantId, email, passwordHash, timeJoinedMs: clock.nowMs() };
      if (!(await store.insertUser(user))) return outcome('EMAIL_ALREADY_EXISTS_ERROR');
      return ok({ didUserAlreadyExist: false, user: await userJsonFor(req.cdi, store, req.appId, user) });
    },
  },
];
