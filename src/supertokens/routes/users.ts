/**
 * @module supertokens/routes/users — the recipes the SDK always touches: users (AccountLinking's
 * read side), Multitenancy (the `public` tenant), UserMetadata, and the `User` object itself. [glue]
 */
import type { Store, UserRow } from '../store.ts';
import {
  normaliseEmail,
  ok,
  optionalBoolean,
  outcome,
  requireObject,
  requireQuery,
  requireString,
  type Route,
} from './types.ts';
import { badInput } from '../errors.ts';
import type { CdiVersion } from '../cdi.ts';
import { publicUserIds, resolveUserId } from './useridmapping.ts';

/** The CDI 4+ `User` object; the SDK constructs `new User(...)` from it, so every field is present. */
export interface UserJson {
  id: string;
  isPrimaryUser: boolean;
  tenantIds: string[];
  timeJoined: number;
  emails: string[];
  phoneNumbers: string[];
  thirdParty: { id: string; userId: string }[];
  webauthn: { credentialIds: string[] };
  loginMethods: {
    recipeId: 'emailpassword';
    recipeUserId: string;
    tenantIds: string[];
    timeJoined: number;
    verified: boolean;
    email: string;
    webauthn: { credentialIds: string[] };
  }[];
}

/** `publicId`: the id callers know the user by (its external id when mapped, routes/useridmapping.ts). */
export function toUserJson(user: UserRow, verified: boolean, publicId: string = user.userId): UserJson {
  return {
    id: publicId,
    isPrimaryUser: false,
    tenantIds: [user.tenantId],
    timeJoined: user.timeJoinedMs,
    emails: [user.email],
    phoneNumbers: [],
    thirdParty: [],
    webauthn: { credentialIds: [] },
    loginMethods: [
      {
        recipeId: 'emailpassword',
        recipeUserId: publicId,
        tenantIds: [user.tenantId],
        timeJoined: user.timeJoinedMs,
        verified,
        email: user.email,
        webauthn: { credentialIds: [] },
      },
    ],
  };
}

/** Builds `User` objects, reading `loginMethods[].verified` from the verification table in one query. */
export async function usersToJson(store: Store, appId: string, users: readonly UserRow[]): Promise<UserJson[]> {
  const ids = await publicUserIds(store, appId, users.map((u) => u.userId));
  // Email verification is a non-auth recipe: it holds the id the SDK was given, the public one.
  const verified = await store.listVerifiedEmails(appId, [...ids.values()]);
  return users.map((u) => {
    const publicId = ids.get(u.userId) ?? u.userId;
    return toUserJson(u, verified.has(`${publicId}\u0000${u.email}`), publicId);
  });
}

export async function userToJson(store: Store, appId: string, user: UserRow): Promise<UserJson> {
  return (await usersToJson(store, appId, [user]))[0]!;
}

/** The pre-account-linking (CDI < 4.0) email/password user; `tenantIds` from CDI 3.0. */
export interface LegacyUserJson {
  id: string;
  email: string;
  timeJoined: number;
  tenantIds?: string[];
}

export function toLegacyUserJson(user: UserRow, cdi: CdiVersion, publicId: string = user.userId): LegacyUserJson {
  return {
    id: publicId,
    email: user.email,
    timeJoined: user.timeJoinedMs,
    ...(cdi.hasMultitenancy ? { tenantIds: [user.tenantId] } : {}),
  };
}

/** The user object of the caller's CDI version: `User` with `loginMethods` from 4.0, the legacy one before. */
export async function userJsonFor(cdi: CdiVersion, store: Store, appId: string, user: UserRow): Promise<UserJson | LegacyUserJson> {
  if (cdi.hasAccountLinking) return userToJson(store, appId, user);
  return toLegacyUserJson(user, cdi, (await publicUserIds(store, appId, [user.userId])).get(user.userId));
}

const MAX_USERS_PAGE = 500;

function tenantV1(tenantId: string) {
  return {
    tenantId,
    emailPassword: { enabled: true },
    passwordless: { enabled: true },
    thirdParty: { enabled: true, providers: [] },
    coreConfig: {},
  };
}

export const userRoutes: Route[] = [
  {
    method: 'GET',
    path: '/user/id',
    scope: 'app',
    async handle(req) {
      const { store } = req.runtime;
      const user = await store.getUser(req.appId, await resolveUserId(store, req.appId, requireQuery(req.query, 'userId')));
      if (user === undefined) return outcome('UNKNOWN_USER_ID_ERROR');
      return ok({ user: await userToJson(req.runtime.store, req.appId, user) });
    },
  },
  {
    method: 'GET',
    path: '/users/by-accountinfo',
    scope: 'tenant',
    async handle(req) {
      // Only email/password users exist here, so phone, third-party and webauthn lookups match nobody.
      const email = req.query.get('email');
      if (email === null) return ok({ users: [] });
      const user = await req.runtime.store.getUserByEmail(req.appId, req.tenantId, normaliseEmail(email));
      return ok({ users: user === undefined ? [] : await usersToJson(req.runtime.store, req.appId, [user]) });
    },
  },
  {
    method: 'GET',
    path: '/users',
    scope: 'tenant',
    async handle(req) {
      const order = req.query.get('timeJoinedOrder') === 'DESC' ? 'DESC' : 'ASC';
      const limitText = req.query.get('limit');
      const limit = limitText === null ? 100 : Number.parseInt(limitText, 10);
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_USERS_PAGE) {
        throw badInput(`limit must be a number between 1 and ${MAX_USERS_PAGE}`);
      }
      const include = req.query.get('includeRecipeIds');
      if (include !== null && include !== '' && !include.split(',').includes('emailpassword')) return ok({ users: [] });
      let after: { timeJoinedMs: number; userId: string } | undefined;
      const pagination = req.query.get('paginationToken');
      if (pagination !== null && pagination !== '') {
        try {
          const parsed = JSON.parse(Buffer.from(pagination, 'base64url').toString('utf8')) as { t: unknown; u: unknown };
          if (typeof parsed.t !== 'number' || typeof parsed.u !== 'string') throw new Error('shape');
          after = { timeJoinedMs: parsed.t, userId: parsed.u };
        } catch {
          throw badInput('invalid pagination token');
        }
      }
      // Search filters (the dashboard's search): `email`, `phone`, `provider`, each a `;`-separated
      // list; a user matching any tag is listed. Only email/password users exist here, so phone and
      // provider tags match nobody.
      const tags = (name: string) =>
        (req.query.get(name) ?? '')
          .split(';')
          .map((tag) => tag.trim().toLowerCase())
          .filter((tag) => tag !== '');
      const emailTags = tags('email');
      const searching = emailTags.length > 0 || tags('phone').length > 0 || tags('provider').length > 0;
      const rows = searching
        ? await req.runtime.store.searchUsersByEmail(req.appId, req.tenantId, emailTags, order, limit + 1, after)
        : await req.runtime.store.listUsers(req.appId, req.tenantId, order, limit + 1, after);
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      const next =
        rows.length > limit && last !== undefined
          ? Buffer.from(JSON.stringify({ t: last.timeJoinedMs, u: last.userId })).toString('base64url')
          : undefined;
      // Before CDI 4.0 each entry names its recipe: { recipeId, user } with the legacy user.
      const users = req.cdi.hasAccountLinking
        ? await usersToJson(req.runtime.store, req.appId, page)
        : await (async () => {
            const ids = await publicUserIds(req.runtime.store, req.appId, page.map((u) => u.userId));
            return page.map((u) => ({ recipeId: 'emailpassword', user: toLegacyUserJson(u, req.cdi, ids.get(u.userId)) }));
          })();
      return ok({ users, ...(next ? { nextPaginationToken: next } : {}) });
    },
  },
  {
    // `SuperTokens.getUserCount`: `includeAllTenants=true` counts every tenant of the app;
    // `includeRecipeIds` restricts the recipes (only emailpassword users exist here).
    method: 'GET',
    path: '/users/count',
    scope: 'tenant',
    async handle(req) {
      const include = req.query.get('includeRecipeIds');
      if (include !== null && include !== '' && !include.split(',').map((r) => r.trim()).includes('emailpassword')) return ok({ count: 0 });
      const allTenants = req.query.get('includeAllTenants') === 'true';
      return ok({ count: await req.runtime.store.countUsers(req.appId, allTenants ? null : req.tenantId) });
    },
  },
  {
    method: 'POST',
    path: '/user/remove',
    scope: 'app',
    async handle(req) {
      const { store } = req.runtime;
      const given = requireString(req.body, 'userId');
      optionalBoolean(req.body, 'removeAllLinkedAccounts', true);
      // Either id of a mapped user removes it: its row (SuperTokens id), what the non-auth recipes
      // hold under its external id, and the mapping.
      const mapping = (await store.getUserIdMappingByExternalId(req.appId, given)) ?? (await store.getUserIdMappingBySuperTokensId(req.appId, given));
      await store.deleteUser(req.appId, mapping?.superTokensUserId ?? given);
      if (mapping !== undefined) {
        await store.deleteUser(req.appId, mapping.externalUserId);
        await store.deleteUserIdMapping(req.appId, mapping.superTokensUserId);
      }
      return ok();
    },
  },
  {
    method: 'GET',
    path: '/recipe/multitenancy/tenant/v2',
    scope: 'tenant',
    async handle(req) {
      return ok({ tenantId: req.tenantId, thirdParty: { providers: [] }, coreConfig: {} });
    },
  },
  {
    // The v1 shape (CDI <= 5.0; supertokens-node 16-18 read it on every sign-in): per-recipe `enabled`
    // flags instead of v2's `firstFactors`. A configured tenant has every recipe enabled, as the Java
    // core's default tenant does.
    method: 'GET',
    path: '/recipe/multitenancy/tenant',
    scope: 'tenant',
    async handle(req) {
      return ok(tenantV1(req.tenantId));
    },
  },
  {
    method: 'GET',
    path: '/recipe/multitenancy/tenant/list',
    scope: 'app',
    async handle(req) {
      return ok({ tenants: req.runtime.config.tenantIds.map(tenantV1) });
    },
  },
  {
    method: 'GET',
    path: '/recipe/multitenancy/tenant/list/v2',
    scope: 'app',
    async handle(req) {
      return ok({
        tenants: req.runtime.config.tenantIds.map((tenantId) => ({ tenantId, thirdParty: { providers: [] }, coreConfig: {} })),
      });
    },
  },
  {
    method: 'GET',
    path: '/recipe/user/metadata',
    scope: 'app',
    async handle(req) {
      return ok({ metadata: await req.runtime.store.getUserMetadata(req.appId, requireQuery(req.query, 'userId')) });
    },
  },
  {
    method: 'PUT',
    path: '/recipe/user/metadata',
    scope: 'app',
    async handle(req) {
      const userId = requireString(req.body, 'userId');
      const update = requireObject(req.body, 'metadataUpdate');
      return ok({ metadata: await req.runtime.store.mergeUserMetadata(req.appId, userId, update) });
    },
  },
  {
    method: 'POST',
    path: '/recipe/user/metadata/remove',
    scope: 'app',
    async handle(req) {
      await req.runtime.store.deleteUserMetadata(req.appId, requireString(req.body, 'userId'));
      return ok();
    },
  },
];
