/**
 * @module supertokens/routes/useridmapping — the UserIdMapping recipe (`/recipe/userid/map*`,
 * `/recipe/userid/external-user-id-info`) and the id translation the auth recipes apply. [glue]
 *
 * As in the Java core, a mapped user is known to callers by its external id: the auth recipes
 * (EmailPassword, the user APIs) answer with it and accept it wherever they take a user id
 * (`resolveUserId`), while the non-auth recipes (sessions, roles, metadata, email verification)
 * store the id they are given, which the SDK takes from those answers.
 */
import { badInput, invalidField } from '../errors.ts';
import type { Store } from '../store.ts';
import { ok, optionalBoolean, outcome, requireQuery, requireString, type Route, type RouteRequest } from './types.ts';

/** The SuperTokens user id a caller's id names: the mapped one for an external id, else the id itself. */
export async function resolveUserId(store: Store, appId: string, userId: string): Promise<string> {
  return (await store.getUserIdMappingByExternalId(appId, userId))?.superTokensUserId ?? userId;
}

/** The id each SuperTokens user id is known by to callers (its external id when mapped). */
export async function publicUserIds(store: Store, appId: string, superTokensUserIds: readonly string[]): Promise<Map<string, string>> {
  const mapped = await store.externalUserIds(appId, superTokensUserIds);
  return new Map(superTokensUserIds.map((id) => [id, mapped.get(id) ?? id]));
}

type UserIdType = 'SUPERTOKENS' | 'EXTERNAL' | 'ANY';

function userIdType(value: unknown): UserIdType {
  if (value !== undefined && value !== null && typeof value !== 'string') throw invalidField('userIdType');
  const type = (value ?? 'ANY').toUpperCase();
  if (type !== 'SUPERTOKENS' && type !== 'EXTERNAL' && type !== 'ANY') throw invalidField('userIdType');
  return type;
}

/** The mapping a caller's id names: by SuperTokens id, by external id, or (`ANY`) either, SuperTokens id first. */
export async function findMapping(req: RouteRequest, userId: string, type: UserIdType) {
  const { store } = req.runtime;
  if (type !== 'EXTERNAL') {
    const bySuperTokensId = await store.getUserIdMappingBySuperTokensId(req.appId, userId);
    if (bySuperTokensId !== undefined || type === 'SUPERTOKENS') return bySuperTokensId;
  }
  return store.getUserIdMappingByExternalId(req.appId, userId);
}

function nonEmpty(req: RouteRequest, name: string): string {
  const value = requireString(req.body, name).trim();
  if (value === '') throw badInput(`${name} cannot be an empty String`);
  return value;
}

function updateInfoRoute(method: 'PUT' | 'POST'): Route {
  return {
    method,
    path: '/recipe/userid/external-user-id-info',
    scope: 'app',
    async handle(req) {
      // Absent or null clears the info (the SDKs omit it to delete).
      const info = req.body.externalUserIdInfo ?? null;
      if (info !== null && typeof info !== 'string') throw invalidField('externalUserIdInfo');
      const mapping = await findMapping(req, requireString(req.body, 'userId'), userIdType(req.body.userIdType));
      if (mapping === undefined) return outcome('UNKNOWN_MAPPING_ERROR');
      await req.runtime.store.updateExternalUserIdInfo(req.appId, mapping.superTokensUserId, info);
      return ok();
    },
  };
}

export const userIdMappingRoutes: Route[] = [
  {
    method: 'POST',
    path: '/recipe/userid/map',
    scope: 'app',
    async handle(req) {
      const superTokensUserId = nonEmpty(req, 'superTokensUserId');
      const externalUserId = nonEmpty(req, 'externalUserId');
      const info = req.body.externalUserIdInfo;
      if (info !== undefined && info !== null && typeof info !== 'string') throw invalidField('externalUserIdInfo');
      const force = optionalBoolean(req.body, 'force', false);
      const { store } = req.runtime;
      const exists = async (id: string) =>
        (await store.getUser(req.appId, id)) !== undefined ||
        (await store.getThirdPartyUser(req.appId, id)) !== undefined ||
        (await store.getPasswordlessUser(req.appId, id)) !== undefined;
      // The Java core's order: an external id mapped already, an unknown SuperTokens id, then (unless
      // forced) the external id being a SuperTokens user's id and the SuperTokens id used by a non-auth recipe.
      const mappedExternal = await store.getUserIdMappingByExternalId(req.appId, externalUserId);
      if (mappedExternal !== undefined) {
        return outcome('USER_ID_MAPPING_ALREADY_EXISTS_ERROR', {
          doesSuperTokensUserIdExist: mappedExternal.superTokensUserId === superTokensUserId,
          doesExternalUserIdExist: true,
        });
      }
      if (!(await exists(superTokensUserId))) return outcome('UNKNOWN_SUPERTOKENS_USER_ID_ERROR');
      if (!force) {
        if (await exists(externalUserId)) throw badInput('Cannot create a userId mapping where the externalId is also a SuperTokens userID');
        const used = await store.nonAuthRecipesUsingUserId(req.appId, superTokensUserId, req.runtime.clock.nowMs());
        // From CDI 4.0 email verification alone does not block: it moves to the external id (a third-party
        // or passwordless sign-in verifies the email before the app can map the new user).
        if (req.cdi.hasAccountLinking && used.length === 1 && used[0] === 'EmailVerification') {
          await store.moveEmailVerificationToUserId(req.appId, superTokensUserId, externalUserId);
        } else if (used[0] !== undefined) {
          throw badInput(`UserId is already in use in ${used[0]} recipe`);
        }
      }
      const inserted = await store.insertUserIdMapping(req.appId, { superTokensUserId, externalUserId, externalUserIdInfo: typeof info === 'string' ? info : null });
      if (!inserted) {
        return outcome('USER_ID_MAPPING_ALREADY_EXISTS_ERROR', {
          doesSuperTokensUserIdExist: (await store.getUserIdMappingBySuperTokensId(req.appId, superTokensUserId)) !== undefined,
          doesExternalUserIdExist: (await store.getUserIdMappingByExternalId(req.appId, externalUserId)) !== undefined,
        });
      }
      return ok();
    },
  },
  {
    method: 'GET',
    path: '/recipe/userid/map',
    scope: 'app',
    async handle(req) {
      const mapping = await findMapping(req, requireQuery(req.query, 'userId'), userIdType(req.query.get('userIdType')));
      if (mapping === undefined) return outcome('UNKNOWN_MAPPING_ERROR');
      return ok({
        superTokensUserId: mapping.superTokensUserId,
        externalUserId: mapping.externalUserId,
        ...(mapping.externalUserIdInfo === null ? {} : { externalUserIdInfo: mapping.externalUserIdInfo }),
      });
    },
  },
  {
    method: 'POST',
    path: '/recipe/userid/map/remove',
    scope: 'app',
    async handle(req) {
      const mapping = await findMapping(req, requireString(req.body, 'userId'), userIdType(req.body.userIdType));
      optionalBoolean(req.body, 'force', false);
      if (mapping === undefined) return ok({ didMappingExist: false });
      return ok({ didMappingExist: await req.runtime.store.deleteUserIdMapping(req.appId, mapping.superTokensUserId) });
    },
  },
  updateInfoRoute('PUT'),
  // supertokens-python (0.25-0.31) sends this one as POST; the CDI names PUT.
  updateInfoRoute('POST'),
];
