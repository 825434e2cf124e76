/**
 * @module supertokens/routes/emailpassword — EmailPassword recipe CDI endpoints (spec §8.2). [glue]
 *
 * Emails are normalised (trim + lowercase) as the core does; users are scoped to the tenant they
 * signed up in. Passwords are hashed off the event loop (`passwords.ts`). Reset tokens are random,
 * stored only as SHA-256 hashes, single use, and all of a user's reset tokens die with the first use.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { badInput } from '../errors.ts';
import { hashPassword, isSupportedPasswordHash, verifyPassword } from '../passwords.ts';
import { sha256 } from '../../core/digest.ts';
import type { UserRow } from '../store.ts';
import { normaliseEmail, ok, optionalString, outcome, requireString, type Route, type RouteRequest } from './types.ts';
import { userToJson } from './users.ts';
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
      return ok({ user: await userToJson(store, req.appId, user), recipeUserId: user.userId });
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
      return ok({ user: await userToJson(store, req.appId, user), recipeUserId: user.userId });
    },
  },
  {
    method: 'POST',
    path: '/recipe/user/password/reset/token',
    scope: 'tenant',
    async handle(req) {
      const userId = requireString(req.body, 'userId');
      // CDI >= 4.0 requires `email` (the Java core: 400 "Field name 'email' is invalid in JSON input").
      const email = normaliseEmail(requireString(req.body, 'email'));
      const { store, clock, config } = req.runtime;
      const user = await store.getUser(req.appId, userId);
      // DIVERGENCE: the Java core (EmailPassword.generatePasswordResetToken, CDI >= 4.0) stores whatever
      // email the caller names, because with account linking a token may create a new email/password
      // login method for a primary user. Users here are never linked: each has exactly one
      // email/password login method, so a token for another email has no legitimate use. Mailed to that
      // address it would reset this user's password (supertokens-node's passwordResetPOST does not
      // compare the emails for a user that is not primary) and mark the foreign email verified for
      // this user. We answer it
      // as the Java core answers a user without an email/password login method (its pre-4.0 path):
      // UNKNOWN_USER_ID_ERROR.
      if (user === undefined || user.email !== email) return outcome('UNKNOWN_USER_ID_ERROR');
      const token = newOpaqueToken();
      await store.insertPasswordResetToken(
        req.appId,
        req.tenantId,
        sha256(token, 'hex'),
        user.userId,
        user.email,
        clock.nowMs() + config.passwordResetTokenLifetimeSeconds * 1000,
      );
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
      return ok({ userId: consumed.userId, email: consumed.email });
    },
  },
  {
    method: 'PUT',
    path: '/recipe/user',
    scope: 'app',
    rid: 'emailpassword',
    async handle(req) {
      const userId = optionalString(req.body, 'recipeUserId') ?? requireString(req.body, 'userId');
      const email = optionalString(req.body, 'email');
      const password = optionalString(req.body, 'password');
      if (password === '') throw badInput('Password cannot be an empty string');
      const change: { email?: string; passwordHash?: string } = {};
      if (email !== undefined) change.email = normaliseEmail(email);
      if (password !== undefined) change.passwordHash = await hashPassword(password, req.runtime.config.passwordHashing);
      const result = await req.runtime.store.updateUser(req.appId, userId, change);
      if (result === 'unknown-user') return outcome('UNKNOWN_USER_ID_ERROR');
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
        return ok({ didUserAlreadyExist: true, user: await userToJson(store, req.appId, user) });
      }
      const user: UserRow = { appId: req.appId, userId: randomUUID(), tenantId: req.tenantId, email, passwordHash, timeJoinedMs: clock.nowMs() };
      if (!(await store.insertUser(user))) return outcome('EMAIL_ALREADY_EXISTS_ERROR');
      return ok({ didUserAlreadyExist: false, user: await userToJson(store, req.appId, user) });
    },
  },
];
