/**
 * @module supertokens/routes/session — Session recipe CDI endpoints (spec §8.2 "Session"). [glue]
 */
import { protectedFieldError } from '../errors.ts';
import { hasProtectedProp } from '../tokens.ts';
import { linkedPublicUserIds } from './accountlinking.ts';
import {
  ok,
  optionalBoolean,
  optionalObject,
  optionalString,
  optionalStringArray,
  outcome,
  requireObject,
  requireQuery,
  requireString,
  type Route,
  type RouteRequest,
  type RouteResponse,
} from './types.ts';

/**
 * The user ids whose sessions a per-user session call covers: with `forLinkedAccounts` (the default)
 * every login method of the user's primary user (sessions are stored under the recipe user id they
 * were created for), else the id alone.
 */
async function sessionOwnerIds(req: RouteRequest, userId: string, forLinkedAccounts: boolean): Promise<string[]> {
  return forLinkedAccounts ? linkedPublicUserIds(req.runtime.store, req.appId, userId) : [userId];
}

async function removeSessions(req: RouteRequest): Promise<RouteResponse> {
  const { store } = req.runtime;
  const handles = optionalStringArray(req.body, 'sessionHandles');
  if (handles !== undefined) {
    const revoked = await store.deleteSessions(req.appId, handles);
    req.runtime.metrics?.sessionOperation('revoke', 'ok');
    return ok({ sessionHandlesRevoked: revoked });
  }
  const acrossTenants = optionalBoolean(req.body, 'revokeAcrossAllTenants', false);
  const userIds = await sessionOwnerIds(req, requireString(req.body, 'userId'), optionalBoolean(req.body, 'revokeSessionsForLinkedAccounts', true));
  // Expired rows are revoked too (they are garbage either way): list from time 0.
  const owned: string[] = [];
  for (const userId of userIds) owned.push(...(await store.listSessionHandlesForUser(req.appId, acrossTenants ? null : req.tenantId, userId, 0)));
  const revoked = await store.deleteSessions(req.appId, owned);
  req.runtime.metrics?.sessionOperation('revoke', 'ok');
  return ok({ sessionHandlesRevoked: revoked });
}

export const sessionRoutes: Route[] = [
  {
    method: 'POST',
    path: '/recipe/session',
    scope: 'tenant',
    async handle(req) {
      const userId = requireString(req.body, 'userId');
      const userDataInJWT = requireObject(req.body, 'userDataInJWT');
      const userDataInDatabase = optionalObject(req.body, 'userDataInDatabase') ?? {};
      if (hasProtectedProp(userDataInJWT)) throw protectedFieldError();
      const result = await req.app.sessions.create({
        tenantId: req.tenantId,
        userId,
        userDataInJWT,
        userDataInDatabase,
        useDynamicSigningKey: optionalBoolean(req.body, 'useDynamicSigningKey', true),
        enableAntiCsrf: optionalBoolean(req.body, 'enableAntiCsrf', false),
        tokenVersion: req.cdi.accessTokenVersion,
      });
      req.runtime.metrics?.sessionOperation('create', 'ok');
      return { json: result };
    },
  },
  {
    method: 'POST',
    path: '/recipe/session/verify',
    scope: 'app',
    async handle(req) {
      const result = await req.app.sessions.verify({
        accessToken: requireString(req.body, 'accessToken'),
        antiCsrfToken: optionalString(req.body, 'antiCsrfToken'),
        doAntiCsrfCheck: optionalBoolean(req.body, 'doAntiCsrfCheck', false),
        enableAntiCsrf: optionalBoolean(req.body, 'enableAntiCsrf', false),
        checkDatabase: optionalBoolean(req.body, 'checkDatabase', false),
      });
      req.runtime.metrics?.sessionOperation('verify', result.status === 'OK' ? 'ok' : 'error');
      return { json: result };
    },
  },
  {
    method: 'POST',
    path: '/recipe/session/refresh',
    scope: 'app',
    async handle(req) {
      const result = await req.app.sessions.refresh({
        refreshToken: requireString(req.body, 'refreshToken'),
        antiCsrfToken: optionalString(req.body, 'antiCsrfToken'),
        enableAntiCsrf: optionalBoolean(req.body, 'enableAntiCsrf', false),
        useDynamicSigningKey: optionalBoolean(req.body, 'useDynamicSigningKey', true),
        tokenVersion: req.cdi.accessTokenVersion,
      });
      if (result.status === 'TOKEN_THEFT_DETECTED') req.runtime.metrics?.sessionOperation('theft', 'ok');
      else req.runtime.metrics?.sessionOperation('refresh', result.status === 'OK' ? 'ok' : 'error');
      return { json: result };
    },
  },
  {
    method: 'POST',
    path: '/recipe/session/regenerate',
    scope: 'app',
    async handle(req) {
      const userDataInJWT = optionalObject(req.body, 'userDataInJWT') ?? {};
      if (hasProtectedProp(userDataInJWT)) throw protectedFieldError();
      const result = await req.app.sessions.regenerate({ accessToken: requireString(req.body, 'accessToken'), userDataInJWT });
      return { json: result };
    },
  },
  { method: 'POST', path: '/recipe/session/remove', scope: 'tenant', handle: removeSessions },
  {
    method: 'GET',
    path: '/recipe/session',
    scope: 'app',
    async handle(req) {
      const handle = requireQuery(req.query, 'sessionHandle');
      const row = await req.runtime.store.getSession(req.appId, handle);
      if (row === undefined || row.expiresAtMs < req.runtime.clock.nowMs()) {
        return outcome('UNAUTHORISED', { message: 'Session does not exist.' });
      }
      return ok({
        sessionHandle: row.handle,
        userId: await req.runtime.store.primaryPublicUserId(req.appId, row.userId),
        recipeUserId: row.userId,
        userDataInDatabase: row.sessionData,
        userDataInJWT: row.jwtPayload,
        expiry: row.expiresAtMs,
        timeCreated: row.createdAtMs,
        tenantId: row.tenantId,
      });
    },
  },
  {
    method: 'GET',
    path: '/recipe/session/user',
    scope: 'tenant',
    async handle(req) {
      const acrossTenants = req.query.get('fetchAcrossAllTenants') === 'true';
      const userIds = await sessionOwnerIds(req, requireQuery(req.query, 'userId'), req.query.get('fetchSessionsForAllLinkedAccounts') !== 'false');
      const handles: string[] = [];
      for (const userId of userIds) {
        handles.push(...(await req.runtime.store.listSessionHandlesForUser(req.appId, acrossTenants ? null : req.tenantId, userId, req.runtime.clock.nowMs())));
      }
      return ok({ sessionHandles: handles });
    },
  },
  {
    method: 'PUT',
    path: '/recipe/session/data',
    scope: 'app',
    async handle(req) {
      const handle = requireString(req.body, 'sessionHandle');
      const data = requireObject(req.body, 'userDataInDatabase');
      const updated = await req.runtime.store.updateSessionData(req.appId, handle, data);
      return updated ? ok() : outcome('UNAUTHORISED', { message: 'Session does not exist.' });
    },
  },
  {
    method: 'PUT',
    path: '/recipe/jwt/data',
    scope: 'app',
    async handle(req) {
      const handle = requireString(req.body, 'sessionHandle');
      const payload = requireObject(req.body, 'userDataInJWT');
      if (hasProtectedProp(payload)) throw protectedFieldError();
      const updated = await req.runtime.store.updateSessionJwtPayload(req.appId, handle, payload);
      return updated ? ok() : outcome('UNAUTHORISED', { message: 'Session does not exist.' });
    },
  },
];
