/**
 * @module supertokens/routes/thirdparty — the ThirdParty recipe's sign-in-up (`POST /<t>/recipe/signinup`),
 * what `ThirdParty.manuallyCreateOrUpdateUser` and every "Sign in with …" flow of the SDKs call. [glue]
 *
 * A user is one (tenant, `thirdPartyId`, `thirdPartyUserId`): the first call creates it, later calls
 * sign it in and replace its email with the one the provider now reports (emails are trimmed and
 * lowercased). `email.isVerified: true` marks that email verified for the user, as the Java core does
 * (CDI >= 4.0); `false` leaves the verification state alone. Third-party users may share an email with
 * email/password users (no account linking here: each stays its own user). The answer is
 * `{status, createdNewUser, user, recipeUserId}` from CDI 4.0, `{status, createdNewUser, user}` with
 * the legacy user (which carries `thirdParty: {id, userId}`) before.
 */
import { randomUUID } from 'node:crypto';
import { invalidField } from '../errors.ts';
import { badInput } from '../errors.ts';
import { normaliseEmail, ok, optionalBoolean, outcome, requireObject, requireQuery, requireString, type Route } from './types.ts';
import { thirdPartyAuthUser, legacyUsersToJson, userJsonFor, signedInUserFields } from './users.ts';
import { publicUserIds, resolveUserId } from './useridmapping.ts';

export const thirdPartyRoutes: Route[] = [
  {
    method: 'POST',
    path: '/recipe/signinup',
    scope: 'tenant',
    async handle(req) {
      const thirdPartyId = requireString(req.body, 'thirdPartyId');
      const thirdPartyUserId = requireString(req.body, 'thirdPartyUserId');
      if (thirdPartyId.trim() === '') throw invalidField('thirdPartyId');
      if (thirdPartyUserId.trim() === '') throw invalidField('thirdPartyUserId');
      const emailObject = requireObject(req.body, 'email');
      const email = normaliseEmail(requireString(emailObject, 'id'));
      const isVerified = optionalBoolean(emailObject, 'isVerified', false);
      const { store, clock } = req.runtime;
      const signedIn = await store.signInUpThirdPartyUser({
        appId: req.appId,
        userId: randomUUID(),
        tenantId: req.tenantId,
        thirdPartyId,
        thirdPartyUserId,
        email,
        timeJoinedMs: clock.nowMs(),
      });
      // A linked user whose provider now reports an email of another primary user keeps its email.
      if (signedIn.status === 'EMAIL_CHANGE_NOT_ALLOWED') return outcome('EMAIL_CHANGE_NOT_ALLOWED_ERROR', { reason: 'Email already associated with another primary user.' });
      const { created, user } = signedIn;
      const authUser = thirdPartyAuthUser(user);
      if (isVerified) {
        const publicId = (await publicUserIds(store, req.appId, [user.userId])).get(user.userId) ?? user.userId;
        await store.setEmailVerified(req.appId, publicId, user.email, true);
      }
      if (!req.cdi.hasAccountLinking) {
        return ok({ createdNewUser: created, user: await userJsonFor(req.cdi, store, req.appId, authUser) });
      }
      return ok({ createdNewUser: created, ...(await signedInUserFields(store, req.appId, authUser)) });
    },
  },
  {
    // CDI < 4.0 (supertokens-node 14, 15): one third-party user by `userId` or by provider ids.
    method: 'GET',
    path: '/recipe/user',
    scope: 'tenant',
    rid: 'thirdparty',
    async handle(req) {
      const { store } = req.runtime;
      const userId = req.query.get('userId');
      let user;
      if (userId !== null) user = await store.getThirdPartyUser(req.appId, await resolveUserId(store, req.appId, userId));
      else {
        const thirdPartyId = req.query.get('thirdPartyId');
        const thirdPartyUserId = req.query.get('thirdPartyUserId');
        if (thirdPartyId === null || thirdPartyUserId === null) throw badInput('Please provide one of userId or (thirdPartyId & thirdPartyUserId)');
        user = await store.getThirdPartyUserByProvider(req.appId, req.tenantId, thirdPartyId, thirdPartyUserId);
      }
      if (user === undefined) return outcome('UNKNOWN_USER_ID_ERROR');
      return ok({ user: (await legacyUsersToJson(store, req.appId, req.cdi, [thirdPartyAuthUser(user)]))[0] });
    },
  },
  {
    // CDI < 4.0: the tenant's third-party users with an email.
    method: 'GET',
    path: '/recipe/users/by-email',
    scope: 'tenant',
    rid: 'thirdparty',
    async handle(req) {
      const { store } = req.runtime;
      const users = await store.listThirdPartyUsersByEmail(req.appId, req.tenantId, normaliseEmail(requireQuery(req.query, 'email')));
      return ok({ users: await legacyUsersToJson(store, req.appId, req.cdi, users.map(thirdPartyAuthUser)) });
    },
  },
];
