/**
 * @module supertokens/routes/emailverification — EmailVerification recipe CDI endpoints (spec §8.2). [glue]
 *
 * Verification is keyed by (user id, email) exactly as given; tokens are tenant-scoped, single use,
 * stored as SHA-256 hashes, and using one deletes every token of that user and email.
 */
import { sha256 } from '../../core/digest.ts';
import { ok, outcome, requireQuery, requireString, type Route } from './types.ts';
import { newOpaqueToken } from './emailpassword.ts';

export const emailVerificationRoutes: Route[] = [
  {
    method: 'POST',
    path: '/recipe/user/email/verify/token',
    scope: 'tenant',
    async handle(req) {
      const userId = requireString(req.body, 'userId');
      const email = requireString(req.body, 'email');
      const { store, clock, config } = req.runtime;
      if (await store.isEmailVerified(req.appId, userId, email)) return outcome('EMAIL_ALREADY_VERIFIED_ERROR');
      const token = newOpaqueToken();
      await store.insertEmailVerificationToken(
        req.appId,
        req.tenantId,
        sha256(token, 'hex'),
        userId,
        email,
        clock.nowMs() + config.emailVerificationTokenLifetimeSeconds * 1000,
      );
      return ok({ token });
    },
  },
  {
    method: 'POST',
    path: '/recipe/user/email/verify',
    scope: 'tenant',
    async handle(req) {
      const method = requireString(req.body, 'method');
      const token = requireString(req.body, 'token');
      if (method !== 'token') return outcome('EMAIL_VERIFICATION_INVALID_TOKEN_ERROR');
      const consumed = await req.runtime.store.consumeEmailVerificationToken(
        req.appId,
        req.tenantId,
        sha256(token, 'hex'),
        req.runtime.clock.nowMs(),
      );
      if (consumed === undefined) return outcome('EMAIL_VERIFICATION_INVALID_TOKEN_ERROR');
      return ok({ userId: consumed.userId, email: consumed.email });
    },
  },
  {
    method: 'GET',
    path: '/recipe/user/email/verify',
    scope: 'app',
    async handle(req) {
      const userId = requireQuery(req.query, 'userId');
      const email = requireQuery(req.query, 'email');
      return ok({ isVerified: await req.runtime.store.isEmailVerified(req.appId, userId, email) });
    },
  },
  {
    method: 'POST',
    path: '/recipe/user/email/verify/remove',
    scope: 'app',
    async handle(req) {
      await req.runtime.store.setEmailVerified(req.appId, requireString(req.body, 'userId'), requireString(req.body, 'email'), false);
      return ok();
    },
  },
  {
    method: 'POST',
    path: '/recipe/user/email/verify/token/remove',
    scope: 'tenant',
    async handle(req) {
      await req.runtime.store.deleteEmailVerificationTokens(
        req.appId,
        req.tenantId,
        requireString(req.body, 'userId'),
        requireString(req.body, 'email'),
      );
      return ok();
    },
  },
];
