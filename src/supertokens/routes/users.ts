/**
 * @module supertokens/routes/users — the recipes the SDK always touches: users (AccountLinking's
 * read side), Multitenancy (the `public` tenant), UserMetadata, and the `User` object itself. [glue]
 */
import type { PasswordlessUserRow, Store, ThirdPartyUserRow } from '../store.ts';
import { AUTH_RECIPES, type AuthRecipeId } from '../store/usersearch.ts';
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

/**
 * A user of any auth recipe, as the user APIs need it: email/password rows (`UserRow`) fit as they
 * are; third-party users carry `thirdParty`.
 */
export interface AuthUser {
  userId: string;
  /** The tenant it signed up in; the tenants it belongs to are `tenantIdsOfUsers`'. */
  tenantId: string;
  /** Absent only for a passwordless user that has a phone number and no email. */
  email?: string | undefined;
  timeJoinedMs: number;
  thirdParty?: { id: string; userId: string } | undefined;
  /** Passwordless users only (`recipeId` is what tells them apart). */
  phoneNumber?: string | undefined;
  recipeId?: AuthRecipeId | undefined;
}

export function passwordlessAuthUser(row: PasswordlessUserRow): AuthUser {
  return { userId: row.userId, tenantId: row.tenantId, email: row.email, phoneNumber: row.phoneNumber, timeJoinedMs: row.timeJoinedMs, recipeId: 'passwordless' };
}

function recipeOf(user: AuthUser): AuthRecipeId {
  return user.recipeId ?? (user.thirdParty === undefined ? 'emailpassword' : 'thirdparty');
}

export function thirdPartyAuthUser(row: ThirdPartyUserRow): AuthUser {
  return { userId: row.userId, tenantId: row.tenantId, email: row.email, timeJoinedMs: row.timeJoinedMs, thirdParty: { id: row.thirdPartyId, userId: row.thirdPartyUserId } };
}

/** The user of either recipe with this SuperTokens user id. */
export async function getAuthUser(store: Store, appId: string, userId: string): Promise<AuthUser | undefined> {
  const emailPassword = await store.getUser(appId, userId);
  if (emailPassword !== undefined) return emailPassword;
  const thirdParty = await store.getThirdPartyUser(appId, userId);
  if (thirdParty !== undefined) return thirdPartyAuthUser(thirdParty);
  const passwordless = await store.getPasswordlessUser(appId, userId);
  return passwordless === undefined ? undefined : passwordlessAuthUser(passwordless);
}

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
    recipeId: AuthRecipeId;
    recipeUserId: string;
    tenantIds: string[];
    timeJoined: number;
    verified: boolean;
    email?: string;
    phoneNumber?: string;
    thirdParty?: { id: string; userId: string };
    webauthn: { credentialIds: string[] };
  }[];
}

/**
 * The one accessor of users' tenants (memberships, store/usertenants.ts): SuperTokens user id → the
 * tenants it belongs to, `[]` for a user removed from all of them.
 */
export async function tenantIdsOfUsers(store: Store, appId: string, superTokensUserIds: readonly string[]): Promise<Map<string, string[]>> {
  return store.listUserTenants(appId, superTokensUserIds);
}

/**
 * `publicId`: the id callers know the user by (its external id when mapped, routes/useridmapping.ts);
 * `tenantIds`: its tenants (`tenantIdsOfUsers`).
 */
export function toUserJson(user: AuthUser, verified: boolean, publicId: string, tenantIds: string[]): UserJson {
  const thirdParty = user.thirdParty === undefined ? undefined : { id: user.thirdParty.id, userId: user.thirdParty.userId };
  return {
    id: publicId,
    isPrimaryUser: false,
    tenantIds,
    timeJoined: user.timeJoinedMs,
    emails: user.email === undefined ? [] : [user.email],
    phoneNumbers: user.phoneNumber === undefined ? [] : [user.phoneNumber],
    thirdParty: thirdParty === undefined ? [] : [thirdParty],
    webauthn: { credentialIds: [] },
    loginMethods: [
      {
        recipeId: recipeOf(user),
        recipeUserId: publicId,
        tenantIds,
        timeJoined: user.timeJoinedMs,
        verified,
        ...(user.email === undefined ? {} : { email: user.email }),
        ...(user.phoneNumber === undefined ? {} : { phoneNumber: user.phoneNumber }),
        ...(thirdParty === undefined ? {} : { thirdParty }),
        webauthn: { credentialIds: [] },
      },
    ],
  };
}

/** Builds `User` objects, reading `loginMethods[].verified` from the verification table in one query. */
export async function usersToJson(store: Store, appId: string, users: readonly AuthUser[]): Promise<UserJson[]> {
  const ids = await publicUserIds(store, appId, users.map((u) => u.userId));
  const tenants = await tenantIdsOfUsers(store, appId, users.map((u) => u.userId));
  // Email verification is a non-auth recipe: it holds the id the SDK was given, the public one.
  const verified = await store.listVerifiedEmails(appId, [...ids.values()]);
  return users.map((u) => {
    const publicId = ids.get(u.userId) ?? u.userId;
    return toUserJson(u, verified.has(`${publicId}\u0000${u.email}`), publicId, tenants.get(u.userId) ?? []);
  });
}

export async function userToJson(store: Store, appId: string, user: AuthUser): Promise<UserJson> {
  return (await usersToJson(store, appId, [user]))[0]!;
}

/** The pre-account-linking (CDI < 4.0) user of one recipe; `tenantIds` from CDI 3.0. */
export interface LegacyUserJson {
  id: string;
  email?: string;
  phoneNumber?: string;
  timeJoined: number;
  thirdParty?: { id: string; userId: string };
  tenantIds?: string[];
}

export function toLegacyUserJson(user: AuthUser, cdi: CdiVersion, publicId: string, tenantIds: string[]): LegacyUserJson {
  return {
    id: publicId,
    ...(user.email === undefined ? {} : { email: user.email }),
    ...(user.phoneNumber === undefined ? {} : { phoneNumber: user.phoneNumber }),
    timeJoined: user.timeJoinedMs,
    ...(user.thirdParty === undefined ? {} : { thirdParty: { id: user.thirdParty.id, userId: user.thirdParty.userId } }),
    ...(cdi.hasMultitenancy ? { tenantIds } : {}),
  };
}

/** Legacy (CDI < 4.0) user objects, with their public ids and tenants. */
export async function legacyUsersToJson(store: Store, appId: string, cdi: CdiVersion, users: readonly AuthUser[]): Promise<LegacyUserJson[]> {
  const ids = await publicUserIds(store, appId, users.map((u) => u.userId));
  const tenants = await tenantIdsOfUsers(store, appId, users.map((u) => u.userId));
  return users.map((u) => toLegacyUserJson(u, cdi, ids.get(u.userId) ?? u.userId, tenants.get(u.userId) ?? []));
}

/** The user object of the caller's CDI version: `User` with `loginMethods` from 4.0, the legacy one before. */
export async function userJsonFor(cdi: CdiVersion, store: Store, appId: string, user: AuthUser): Promise<UserJson | LegacyUserJson> {
  if (cdi.hasAccountLinking) return userToJson(store, appId, user);
  return (await legacyUsersToJson(store, appId, cdi, [user]))[0]!;
}

/** The account info `/users/by-accountinfo` (and account-linking rules) look users up by; absent fields are `undefined`. */
export interface AccountInfoQuery {
  email?: string | undefined;
  phoneNumber?: string | undefined;
  thirdPartyId?: string | undefined;
  thirdPartyUserId?: string | undefined;
  /** `doUnionOfAccountInfo`: users matching any given field; otherwise (the default) all of them. */
  union?: boolean | undefined;
}

/**
 * The users of a tenant (members of it, store/usertenants.ts) with the given account info, oldest first:
 * the one place account info is looked up per tenant. An email matches users of every recipe with it;
 * `thirdPartyId` + `thirdPartyUserId` the one third-party user; a phone number the passwordless user with
 * it. No recipe here stores webauthn credentials.
 */
export async function findAuthUsersByAccountInfo(store: Store, appId: string, tenantId: string, info: AccountInfoQuery): Promise<AuthUser[]> {
  const email = info.email ?? null;
  const phoneNumber = info.phoneNumber ?? null;
  const thirdPartyId = info.thirdPartyId ?? null;
  const thirdPartyUserId = info.thirdPartyUserId ?? null;
  const union = info.union === true;
  if (phoneNumber !== null) {
    const byPhone = await store.getPasswordlessUserByAccount(appId, tenantId, { phoneNumber: phoneNumber.trim() });
    const users = byPhone === undefined ? [] : [passwordlessAuthUser(byPhone)];
    const matchesRest = (u: AuthUser) => (email === null || u.email === normaliseEmail(email)) && thirdPartyId === null;
    if (!union) return users.filter(matchesRest);
    if (email === null && thirdPartyId === null) return users;
  }
  const byEmail: AuthUser[] = [];
  if (email !== null) {
    const normalised = normaliseEmail(email);
    const emailPassword = await store.getUserByEmail(appId, tenantId, normalised);
    if (emailPassword !== undefined) byEmail.push(emailPassword);
    byEmail.push(...(await store.listThirdPartyUsersByEmail(appId, tenantId, normalised)).map(thirdPartyAuthUser));
    const passwordless = await store.getPasswordlessUserByAccount(appId, tenantId, { email: normalised });
    if (passwordless !== undefined) byEmail.push(passwordlessAuthUser(passwordless));
  }
  if (phoneNumber !== null && union) {
    const byPhone = await store.getPasswordlessUserByAccount(appId, tenantId, { phoneNumber: phoneNumber.trim() });
    if (byPhone !== undefined && !byEmail.some((u) => u.userId === byPhone.userId)) byEmail.push(passwordlessAuthUser(byPhone));
  }
  let byProvider: AuthUser[] | undefined;
  if (thirdPartyId !== null && thirdPartyUserId !== null) {
    const user = await store.getThirdPartyUserByProvider(appId, tenantId, thirdPartyId, thirdPartyUserId);
    byProvider = user === undefined ? [] : [thirdPartyAuthUser(user)];
  }
  let users: AuthUser[];
  if (byProvider === undefined) users = byEmail;
  else if (email === null) users = byProvider;
  else if (union) users = [...byEmail, ...byProvider.filter((p) => !byEmail.some((e) => e.userId === p.userId))];
  else users = byProvider.filter((p) => byEmail.some((e) => e.userId === p.userId));
  users.sort((a, b) => a.timeJoinedMs - b.timeJoinedMs || (a.userId < b.userId ? -1 : 1));
  return users;
}

const MAX_USERS_PAGE = 500;

/** `includeRecipeIds` (comma-separated; absent or empty: every recipe) as the auth recipes served here. */
function includedRecipes(include: string | null): AuthRecipeId[] {
  if (include === null || include.trim() === '') return [...AUTH_RECIPES];
  const named = include.split(',').map((r) => r.trim());
  return AUTH_RECIPES.filter((r) => named.includes(r));
}

export const userRoutes: Route[] = [
  {
    method: 'GET',
    path: '/user/id',
    scope: 'app',
    async handle(req) {
      const { store } = req.runtime;
      const user = await getAuthUser(store, req.appId, await resolveUserId(store, req.appId, requireQuery(req.query, 'userId')));
      if (user === undefined) return outcome('UNKNOWN_USER_ID_ERROR');
      return ok({ user: await userToJson(req.runtime.store, req.appId, user) });
    },
  },
  {
    method: 'GET',
    path: '/users/by-accountinfo',
    scope: 'tenant',
    async handle(req) {
      const get = (name: string) => req.query.get(name) ?? undefined;
      const info: AccountInfoQuery = {
        email: get('email'),
        phoneNumber: get('phoneNumber'),
        thirdPartyId: get('thirdPartyId'),
        thirdPartyUserId: get('thirdPartyUserId'),
        union: req.query.get('doUnionOfAccountInfo') === 'true',
      };
      const users = await findAuthUsersByAccountInfo(req.runtime.store, req.appId, req.tenantId, info);
      return ok({ users: await usersToJson(req.runtime.store, req.appId, users) });
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
      const recipes = includedRecipes(req.query.get('includeRecipeIds'));
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
      // list; a user matching any tag is listed (store/usersearch.ts).
      const tags = (name: string) =>
        (req.query.get(name) ?? '')
          .split(';')
          .map((tag) => tag.trim().toLowerCase())
          .filter((tag) => tag !== '');
      const filter = { recipes, emailTags: tags('email'), phoneTags: tags('phone'), providerTags: tags('provider') };
      const rows = await req.runtime.store.listAuthUsers(req.appId, req.tenantId, filter, order, limit + 1, after);
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      const next =
        rows.length > limit && last !== undefined
          ? Buffer.from(JSON.stringify({ t: last.timeJoinedMs, u: last.userId })).toString('base64url')
          : undefined;
      // Before CDI 4.0 each entry names its recipe: { recipeId, user } with the legacy user.
      const users = req.cdi.hasAccountLinking
        ? await usersToJson(req.runtime.store, req.appId, page)
        : (await legacyUsersToJson(req.runtime.store, req.appId, req.cdi, page)).map((user, i) => ({ recipeId: page[i]!.recipeId, user }));
      return ok({ users, ...(next ? { nextPaginationToken: next } : {}) });
    },
  },
  {
    // `SuperTokens.getUserCount`: `includeAllTenants=true` counts every tenant of the app;
    // `includeRecipeIds` restricts the recipes.
    method: 'GET',
    path: '/users/count',
    scope: 'tenant',
    async handle(req) {
      const recipes = includedRecipes(req.query.get('includeRecipeIds'));
      const allTenants = req.query.get('includeAllTenants') === 'true';
      return ok({ count: await req.runtime.store.countUsers(req.appId, allTenants ? null : req.tenantId, recipes) });
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
      await store.deleteThirdPartyUser(req.appId, mapping?.superTokensUserId ?? given);
      await store.deletePasswordlessUser(req.appId, mapping?.superTokensUserId ?? given);
      await store.deleteTotpUser(req.appId, mapping?.externalUserId ?? given);
      if (mapping !== undefined) {
        await store.deleteTotpUser(req.appId, mapping.superTokensUserId);
        await store.deleteUser(req.appId, mapping.externalUserId);
        await store.deleteUserIdMapping(req.appId, mapping.superTokensUserId);
      }
      return ok();
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
