/**
 * @module supertokens/routes/users — the recipes the SDK always touches: users (AccountLinking's
 * read side), Multitenancy (the `public` tenant), UserMetadata, and the `User` object itself. [glue]
 */
import type { PasswordlessUserRow, Store, ThirdPartyUserRow } from '../store.ts';
import { AUTH_RECIPES, type AuthRecipeId, type AuthUserListRow } from '../store/usersearch.ts';
import type { AccountInfo } from '../store/accountlinking.ts';
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

/** One login method of a `User`: the recipe user, the id callers know it by, and its email's verification. */
export interface LoginMethodSource {
  user: AuthUser;
  publicId: string;
  verified: boolean;
  /** Its tenants (`tenantIdsOfUsers`). */
  tenantIds: string[];
}

/**
 * The CDI 4+ `User` of one primary user (or of one unlinked recipe user): every login method, sorted by
 * time joined, with the unions of their emails, phone numbers, third-party logins and tenants, and the
 * earliest time joined (the Java core's `AuthRecipeUserInfo.toJson`).
 */
export function toPrimaryUserJson(id: string, isPrimaryUser: boolean, methods: readonly LoginMethodSource[]): UserJson {
  const sorted = [...methods].sort((a, b) => a.user.timeJoinedMs - b.user.timeJoinedMs || (a.publicId < b.publicId ? -1 : 1));
  const unique = <T>(values: T[], key: (v: T) => string = String) => values.filter((v, i) => values.findIndex((w) => key(w) === key(v)) === i);
  const loginMethods = sorted.map(({ user, publicId, verified, tenantIds }) => {
    const thirdParty = user.thirdParty === undefined ? undefined : { id: user.thirdParty.id, userId: user.thirdParty.userId };
    return {
      recipeId: recipeOf(user),
      recipeUserId: publicId,
      tenantIds,
      timeJoined: user.timeJoinedMs,
      verified,
      ...(user.email === undefined ? {} : { email: user.email }),
      ...(user.phoneNumber === undefined ? {} : { phoneNumber: user.phoneNumber }),
      ...(thirdParty === undefined ? {} : { thirdParty }),
      webauthn: { credentialIds: [] },
    };
  });
  return {
    id,
    isPrimaryUser,
    tenantIds: unique(loginMethods.flatMap((m) => m.tenantIds)),
    timeJoined: Math.min(...loginMethods.map((m) => m.timeJoined)),
    emails: unique(loginMethods.flatMap((m) => (m.email === undefined ? [] : [m.email]))),
    phoneNumbers: unique(loginMethods.flatMap((m) => (m.phoneNumber === undefined ? [] : [m.phoneNumber]))),
    thirdParty: unique(
      loginMethods.flatMap((m) => (m.thirdParty === undefined ? [] : [m.thirdParty])),
      (t) => `${t.id}\u0000${t.userId}`,
    ),
    webauthn: { credentialIds: [] },
    loginMethods,
  };
}

/**
 * One unlinked recipe user's `User`. `publicId`: the id callers know the user by (its external id when
 * mapped, routes/useridmapping.ts); `tenantIds`: its tenants (`tenantIdsOfUsers`).
 */
export function toUserJson(user: AuthUser, verified: boolean, publicId: string, tenantIds: string[]): UserJson {
  return toPrimaryUserJson(publicId, false, [{ user, publicId, verified, tenantIds }]);
}

/**
 * The `User` of each given SuperTokens user id (a recipe user, or a primary user): the primary user's
 * whole group when the id is linked (store/accountlinking.ts), so a recipe user id answers its primary
 * user; undefined for an unknown id. `loginMethods[].verified` comes from the verification table, which
 * holds the id the SDK was given: the public one, per recipe user and email.
 */
export async function usersToJsonByIds(store: Store, appId: string, userIds: readonly string[]): Promise<(UserJson | undefined)[]> {
  return (await usersAndPublicIds(store, appId, userIds)).users;
}

/** `usersToJsonByIds`, with the public id of every recipe user read on the way (`ids`: SuperTokens id → public id). */
async function usersAndPublicIds(
  store: Store,
  appId: string,
  userIds: readonly string[],
): Promise<{ users: (UserJson | undefined)[]; ids: Map<string, string> }> {
  const groups = await store.getLinkGroups(appId, userIds);
  const memberIds = [...new Set(userIds.flatMap((id) => groups.get(id)?.recipeUserIds ?? [id]))];
  const users = new Map((await store.listAuthUsersByIds(appId, memberIds)).map((u) => [u.userId, u as AuthUser]));
  const primaryIds = [...groups.values()].map((g) => g.primaryUserId);
  const ids = await publicUserIds(store, appId, [...new Set([...memberIds, ...primaryIds])]);
  const verified = await store.listVerifiedEmails(appId, memberIds.map((id) => ids.get(id) ?? id));
  const tenants = await tenantIdsOfUsers(store, appId, memberIds);
  const json = userIds.map((id) => {
    const group = groups.get(id);
    const methods = (group?.recipeUserIds ?? [id]).flatMap((memberId) => {
      const user = users.get(memberId);
      if (user === undefined) return [];
      const publicId = ids.get(memberId) ?? memberId;
      return [{ user, publicId, verified: verified.has(`${publicId}\u0000${user.email}`), tenantIds: tenants.get(memberId) ?? [] }];
    });
    if (methods.length === 0) return undefined;
    if (group === undefined) return toPrimaryUserJson(methods[0]!.publicId, false, methods);
    return toPrimaryUserJson(ids.get(group.primaryUserId) ?? group.primaryUserId, true, methods);
  });
  return { users: json, ids };
}

/** Builds `User` objects of recipe users: each one's primary user when linked (`usersToJsonByIds`). */
export async function usersToJson(store: Store, appId: string, users: readonly AuthUser[]): Promise<UserJson[]> {
  const json = await usersToJsonByIds(store, appId, users.map((u) => u.userId));
  return json.map((j, i) => j ?? toUserJson(users[i]!, false, users[i]!.userId, []));
}

export async function userToJson(store: Store, appId: string, user: AuthUser): Promise<UserJson> {
  return (await usersToJson(store, appId, [user]))[0]!;
}

/**
 * The CDI 4+ sign-up / sign-in answer's user fields: the primary user (when the recipe user is linked)
 * and `recipeUserId`, the recipe user that signed in.
 */
export async function signedInUserFields(store: Store, appId: string, user: AuthUser): Promise<{ user: UserJson; recipeUserId: string }> {
  const { users, ids } = await usersAndPublicIds(store, appId, [user.userId]);
  return { user: users[0] ?? toUserJson(user, false, user.userId, []), recipeUserId: ids.get(user.userId) ?? user.userId };
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

const MAX_USERS_PAGE = 500;

/**
 * `POST /user/remove` as the Java core's `deleteUserHelper`: a user linked to a primary user is removed
 * with every login method of its group (`removeAllLinkedAccounts`, the default) or alone. A removed
 * login method's non-auth data (sessions, roles, metadata, verification) goes with it, except the
 * primary user's own while other login methods remain: that data is the group's. When the last login
 * method of a group goes, the primary user's data and id mapping go too.
 */
async function removeUser(store: Store, appId: string, userId: string, removeAllLinkedAccounts: boolean): Promise<void> {
  const group = (await store.getLinkGroups(appId, [userId])).get(userId);
  const primary = group?.primaryUserId;
  const members = group?.recipeUserIds ?? [userId];
  const removed = removeAllLinkedAccounts ? members : members.filter((id) => id === userId);
  const remaining = members.filter((id) => !removed.includes(id));
  const ids = await publicUserIds(store, appId, primary === undefined ? members : [...members, primary]);
  await store.deleteLoginMethods(appId, removed);
  for (const id of removed) {
    if (id === primary && remaining.length > 0) continue;
    await eraseUserData(store, appId, id, ids.get(id) ?? id);
  }
  if (primary !== undefined && remaining.length === 0 && !removed.includes(primary)) await eraseUserData(store, appId, primary, ids.get(primary) ?? primary);
}

/** What the non-auth recipes hold for a user (under both its ids when mapped) and its id mapping. */
async function eraseUserData(store: Store, appId: string, superTokensUserId: string, publicId: string): Promise<void> {
  await store.deleteUser(appId, superTokensUserId);
  await store.deleteTotpUser(appId, superTokensUserId);
  if (publicId !== superTokensUserId) {
    await store.deleteUser(appId, publicId);
    await store.deleteTotpUser(appId, publicId);
    await store.deleteUserIdMapping(appId, superTokensUserId);
  }
}

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
      // A recipe user id answers its primary user (the whole group) when it is linked.
      const [user] = await usersToJsonByIds(store, req.appId, [await resolveUserId(store, req.appId, requireQuery(req.query, 'userId'))]);
      if (user === undefined) return outcome('UNKNOWN_USER_ID_ERROR');
      return ok({ user });
    },
  },
  {
    method: 'GET',
    path: '/users/by-accountinfo',
    scope: 'tenant',
    async handle(req) {
      // Each given account info (email, phone number, third-party login) finds the tenant's recipe
      // users with it (findAuthUsersByAccountInfo); a user (a primary user with its linked login
      // methods, or an unlinked recipe user) is listed once, when it matches every given info, or any
      // of them with `doUnionOfAccountInfo=true`. No recipe here stores webauthn credentials.
      const { store } = req.runtime;
      const email = req.query.get('email');
      const thirdPartyId = req.query.get('thirdPartyId');
      const thirdPartyUserId = req.query.get('thirdPartyUserId');
      const phoneNumber = req.query.get('phoneNumber');
      const union = req.query.get('doUnionOfAccountInfo') === 'true';
      const infos: AccountInfo[] = [];
      if (email !== null) infos.push({ email: normaliseEmail(email) });
      if (phoneNumber !== null) infos.push({ phoneNumber: phoneNumber.trim() });
      if ((thirdPartyId === null) !== (thirdPartyUserId === null)) {
        throw badInput("If 'thirdPartyId' is provided, 'thirdPartyUserId' must also be provided, and vice versa");
      }
      if (thirdPartyId !== null && thirdPartyUserId !== null) infos.push({ thirdParty: { id: thirdPartyId, userId: thirdPartyUserId } });
      const matches: Set<string>[] = [];
      for (const info of infos) {
        const found = (await store.listAuthUsersByAccountInfo(req.appId, req.tenantId, info)).map((u) => u.userId);
        const groups = await store.getLinkGroups(req.appId, found);
        matches.push(new Set(found.map((id) => groups.get(id)?.primaryUserId ?? id)));
      }
      const ids = union ? [...new Set(matches.flatMap((m) => [...m]))] : [...(matches[0] ?? [])].filter((id) => matches.every((m) => m.has(id)));
      const users = (await usersToJsonByIds(store, req.appId, ids)).filter((u) => u !== undefined);
      users.sort((a, b) => a.timeJoined - b.timeJoined || (a.id < b.id ? -1 : 1));
      return ok({ users });
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
      const { store } = req.runtime;
      // From CDI 4.0 a user is a primary user with its linked login methods, listed once; before, each
      // entry is one recipe user naming its recipe: { recipeId, user } with the legacy user.
      const rows = req.cdi.hasAccountLinking
        ? await store.listUserIds(req.appId, req.tenantId, filter, order, limit + 1, after)
        : await store.listAuthUsers(req.appId, req.tenantId, filter, order, limit + 1, after);
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      const next =
        rows.length > limit && last !== undefined
          ? Buffer.from(JSON.stringify({ t: last.timeJoinedMs, u: last.userId })).toString('base64url')
          : undefined;
      const users = req.cdi.hasAccountLinking
        ? (await usersToJsonByIds(store, req.appId, page.map((u) => u.userId))).filter((u) => u !== undefined)
        : await (async () => {
            const legacyPage = page as AuthUserListRow[];
            return (await legacyUsersToJson(store, req.appId, req.cdi, legacyPage)).map((user, i) => ({ recipeId: legacyPage[i]!.recipeId, user }));
          })();
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
      const removeAllLinkedAccounts = optionalBoolean(req.body, 'removeAllLinkedAccounts', true);
      // Either id of a mapped user removes it: its rows (SuperTokens id), what the non-auth recipes
      // hold under its external id, and the mapping.
      const mapping = (await store.getUserIdMappingByExternalId(req.appId, given)) ?? (await store.getUserIdMappingBySuperTokensId(req.appId, given));
      await removeUser(store, req.appId, mapping?.superTokensUserId ?? given, removeAllLinkedAccounts);
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
