/**
 * @module supertokens/store/accountlinking — `AccountLinkingStore`: which recipe users are primary users
 * and which are linked to which primary user, the account-info lookups the linking rules need, and the
 * link / unlink writes with their rules checked in the same transaction. [io]
 *
 * `st_account_links` is an overlay on the recipe users (migration 7): a recipe user without a row is an
 * unlinked, non-primary user. A primary user P has the row (P, P) while its own login method exists and
 * each recipe user R linked to it has (R, P). When P's own login method is removed while others stay
 * linked (unlink of a primary user, or `/user/remove` without `removeAllLinkedAccounts`), the other rows
 * keep P as their primary user id, as the Java core keeps it.
 *
 * The rules (the Java core's `checkIfLoginMethodCanBecomePrimary` / `checkIfLoginMethodsCanBeLinked`):
 * a recipe user may become primary unless it is linked already, or one of its account infos (email,
 * phone number, third-party login) is, in one of its tenants, the account info of a login method of
 * another primary user. Two users may be linked unless the one to link is primary or linked elsewhere,
 * or an account info of either (the primary user's login methods and the one to link) is, in a tenant
 * of either, another primary user's. Every check and its write run in one transaction holding the app's
 * linking lock (PostgreSQL: an advisory transaction lock; SQLite: the write lock of `BEGIN IMMEDIATE`),
 * so two racing calls cannot both pass a check that only one of them may pass. The writes these rules
 * also constrain — an email or phone-number change of a login method, a tenant association — take the
 * same lock and run the rule (`accountInfoChangeRefused`, `associationConflictOf`) in their own
 * transaction (`inAccountLinkingTransaction`), where the Java core locks the user rows. Sign-up and
 * sign-in take no lock: a new user is not linked, and a sign-in writes no account info.
 */
import { placeholders, type SqlDriver, type SqlExecutor, type SqlValue } from './sql.ts';
import { authUsersUnion, toAuthUserListRow, type AuthUserDbRow, type AuthUserListRow } from './usersearch.ts';

/** What a user can be found by; a lookup matches a user with any of the given fields. */
export interface AccountInfo {
  email?: string | undefined;
  phoneNumber?: string | undefined;
  thirdParty?: { id: string; userId: string } | undefined;
}

/** A primary user and every recipe user linked to it (its own login method first when it still exists). */
export interface LinkGroup {
  primaryUserId: string;
  recipeUserIds: string[];
}

/** Account-info conflicts, with the Java core's descriptions (`buildAccountInfoConflictMessage`). */
export const CONFLICT_DESCRIPTIONS = {
  email: "This user's email is already associated with another user ID",
  phoneNumber: "This user's phone number is already associated with another user ID",
  thirdParty: "This user's third party login is already associated with another user ID",
} as const;

/** User ids in these outcomes are SuperTokens user ids; the routes translate them to public ones. */
export type CreatePrimaryUserOutcome =
  | { status: 'OK'; wasAlreadyAPrimaryUser: boolean }
  | { status: 'UNKNOWN_USER_ID' }
  | { status: 'RECIPE_USER_ID_ALREADY_LINKED_WITH_PRIMARY_USER_ID_ERROR'; primaryUserId: string; description: string }
  | { status: 'ACCOUNT_INFO_ALREADY_ASSOCIATED_WITH_ANOTHER_PRIMARY_USER_ID_ERROR'; primaryUserId: string; description: string };

export type LinkAccountsOutcome =
  | { status: 'OK'; accountsAlreadyLinked: boolean; primaryUserId: string }
  | { status: 'UNKNOWN_USER_ID' }
  | { status: 'INPUT_USER_IS_NOT_A_PRIMARY_USER' }
  | { status: 'RECIPE_USER_ID_ALREADY_LINKED_WITH_ANOTHER_PRIMARY_USER_ID_ERROR'; primaryUserId: string; description: string }
  | { status: 'ACCOUNT_INFO_ALREADY_ASSOCIATED_WITH_ANOTHER_PRIMARY_USER_ID_ERROR'; primaryUserId: string; description: string };

export type UnlinkAccountOutcome = { status: 'OK'; wasLinked: boolean; wasRecipeUserDeleted: boolean } | { status: 'UNKNOWN_USER_ID' };

export interface AccountLinkingStore {
  /** The tenant's recipe users with any of the given account infos (the one per-tenant account-info lookup). */
  listAuthUsersByAccountInfo(appId: string, tenantId: string, info: AccountInfo): Promise<AuthUserListRow[]>;
  /** Recipe users (of every auth recipe) by SuperTokens user id. */
  listAuthUsersByIds(appId: string, userIds: readonly string[]): Promise<AuthUserListRow[]>;
  /** For each given SuperTokens user id that is a primary user or linked to one: its group. */
  getLinkGroups(appId: string, userIds: readonly string[]): Promise<Map<string, LinkGroup>>;
  /**
   * The id callers know the primary user of `publicUserId` by (external ids accepted and answered, as
   * sessions hold them), or `publicUserId` itself when it is not linked.
   */
  primaryPublicUserId(appId: string, publicUserId: string): Promise<string>;
  /** `dryRun`: the check alone (`…/primary/check`). */
  createPrimaryUser(appId: string, recipeUserId: string, dryRun: boolean, nowMs: number): Promise<CreatePrimaryUserOutcome>;
  /** `primaryUserId` may name any user of the primary user's group. `dryRun`: the check alone. */
  linkAccounts(appId: string, recipeUserId: string, primaryUserId: string, dryRun: boolean, nowMs: number): Promise<LinkAccountsOutcome>;
  /** Unlinks; a primary user with other linked users loses its own login method instead (`wasRecipeUserDeleted`). */
  unlinkAccount(appId: string, recipeUserId: string): Promise<UnlinkAccountOutcome>;
  /** Deletes login methods: their rows in every auth recipe and their link rows, not their non-auth data. */
  deleteLoginMethods(appId: string, recipeUserIds: readonly string[]): Promise<void>;
}

/**
 * THE per-tenant account-info lookup: the tenant's recipe users with any of the given infos (emails are
 * compared as stored: normalised by the recipes), oldest first. A tenant's users are its members
 * (`authUsersUnion`, store/usertenants.ts).
 */
export async function findAuthUsersByAccountInfo(ex: SqlExecutor, appId: string, tenantId: string, info: AccountInfo): Promise<AuthUserListRow[]> {
  const conditions: string[] = [];
  const params: SqlValue[] = [];
  if (info.email !== undefined) {
    conditions.push('email = ?');
    params.push(info.email);
  }
  if (info.phoneNumber !== undefined) {
    conditions.push('phone_number = ?');
    params.push(info.phoneNumber);
  }
  if (info.thirdParty !== undefined) {
    conditions.push('(third_party_id = ? AND third_party_user_id = ?)');
    params.push(info.thirdParty.id, info.thirdParty.userId);
  }
  if (conditions.length === 0) return [];
  const union = authUsersUnion(appId, tenantId);
  const rows = await ex.all<AuthUserDbRow>(
    `SELECT * FROM (${union.sql}) AS u WHERE ${conditions.join(' OR ')} ORDER BY time_joined, user_id`,
    [...union.params, ...params],
  );
  return rows.map(toAuthUserListRow);
}

async function authUsersByIds(ex: SqlExecutor, appId: string, userIds: readonly string[]): Promise<AuthUserListRow[]> {
  if (userIds.length === 0) return [];
  // Every user of the app, also one removed from all its tenants (it still exists, as in the Java core).
  const union = authUsersUnion(appId, null, undefined, 'all');
  const rows = await ex.all<AuthUserDbRow>(
    `SELECT * FROM (${union.sql}) AS u WHERE user_id IN (${placeholders(userIds.length)}) ORDER BY time_joined, user_id`,
    [...union.params, ...userIds],
  );
  return rows.map(toAuthUserListRow);
}

/** The primary user of a recipe user, or the id itself when it is a primary user (even one without its own login method). */
async function primaryUserIdOf(ex: SqlExecutor, appId: string, userId: string): Promise<string | undefined> {
  const rows = await ex.all<{ primary_user_id: string }>(
    'SELECT primary_user_id FROM st_account_links WHERE app_id = ? AND (recipe_user_id = ? OR primary_user_id = ?) LIMIT 1',
    [appId, userId, userId],
  );
  return rows[0]?.primary_user_id;
}

async function groupMemberIds(ex: SqlExecutor, appId: string, primaryUserId: string): Promise<string[]> {
  const rows = await ex.all<{ recipe_user_id: string }>(
    'SELECT recipe_user_id FROM st_account_links WHERE app_id = ? AND primary_user_id = ? ORDER BY recipe_user_id',
    [appId, primaryUserId],
  );
  return rows.map((r) => r.recipe_user_id);
}

/** A recipe user, or a primary user whose own login method is gone but whose group remains. */
async function userExists(ex: SqlExecutor, appId: string, userId: string): Promise<boolean> {
  return (await authUsersByIds(ex, appId, [userId])).length > 0 || (await primaryUserIdOf(ex, appId, userId)) !== undefined;
}

/** The account infos of recipe users, each with its kind, in the order the conflicts are reported. */
function accountInfosOf(users: readonly AuthUserListRow[]): { kind: keyof typeof CONFLICT_DESCRIPTIONS; info: AccountInfo }[] {
  const infos: { kind: keyof typeof CONFLICT_DESCRIPTIONS; info: AccountInfo }[] = [];
  for (const u of users) if (u.email !== undefined) infos.push({ kind: 'email', info: { email: u.email } });
  for (const u of users) if (u.phoneNumber !== undefined) infos.push({ kind: 'phoneNumber', info: { phoneNumber: u.phoneNumber } });
  for (const u of users) if (u.thirdParty !== undefined) infos.push({ kind: 'thirdParty', info: { thirdParty: u.thirdParty } });
  return infos;
}

/**
 * The tenants the given recipe users belong to together (their memberships, store/usertenants.ts): where
 * the linking rules look for conflicting account info.
 */
async function tenantsOfUsers(ex: SqlExecutor, appId: string, userIds: readonly string[]): Promise<string[]> {
  if (userIds.length === 0) return [];
  const rows = await ex.all<{ tenant_id: string }>(
    `SELECT DISTINCT tenant_id FROM st_user_tenants WHERE app_id = ? AND user_id IN (${placeholders(userIds.length)}) ORDER BY tenant_id`,
    [appId, ...userIds],
  );
  return rows.map((r) => r.tenant_id);
}

/**
 * The first primary user other than `primaryUserId` holding, in a tenant of `users`, an account info of
 * `users` (the login methods that would form `primaryUserId`'s group).
 */
async function conflictingPrimaryUser(
  ex: SqlExecutor,
  appId: string,
  primaryUserId: string,
  users: readonly AuthUserListRow[],
  /** Where to look: by default the tenants of `users`. */
  inTenants?: readonly string[],
): Promise<{ primaryUserId: string; description: string; kind: keyof typeof CONFLICT_DESCRIPTIONS } | undefined> {
  const tenants = inTenants ?? (await tenantsOfUsers(ex, appId, users.map((u) => u.userId)));
  const own = new Set(users.map((u) => u.userId));
  for (const { kind, info } of accountInfosOf(users)) {
    const other = await otherPrimaryUserWith(ex, appId, primaryUserId, own, tenants, info);
    if (other !== undefined) return { primaryUserId: other, description: CONFLICT_DESCRIPTIONS[kind], kind };
  }
  return undefined;
}

/** A primary user other than `primaryUserId` with a login method (not in `own`) that has `info` in one of `tenants`. */
async function otherPrimaryUserWith(
  ex: SqlExecutor,
  appId: string,
  primaryUserId: string,
  own: ReadonlySet<string>,
  tenants: readonly string[],
  info: AccountInfo,
): Promise<string | undefined> {
  for (const tenantId of tenants) {
    const others = (await findAuthUsersByAccountInfo(ex, appId, tenantId, info)).filter((u) => !own.has(u.userId));
    for (const other of others) {
      const otherPrimary = await primaryUserIdOf(ex, appId, other.userId);
      if (otherPrimary !== undefined && otherPrimary !== primaryUserId) return otherPrimary;
    }
  }
  return undefined;
}

/**
 * `fn` in a transaction holding the app's account-linking lock (module comment): what a check of the
 * linking rules and the write it guards run in. On PostgreSQL the lock is taken first, before anything
 * is read; SQLite's `BEGIN IMMEDIATE` holds the write lock already.
 */
export function inAccountLinkingTransaction<T>(db: SqlDriver, appId: string, fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    if (db.kind === 'postgres') await tx.all('SELECT pg_advisory_xact_lock(hashtext(?)) AS locked', [`portcullis-account-linking:${appId}`]);
    return fn(tx);
  });
}

/**
 * Whether giving a recipe user `info` (a new email or phone number) would give its primary user's
 * group, in one of the group's tenants, an account info of another primary user (the Java core's
 * EMAIL_CHANGE_NOT_ALLOWED_ERROR / PHONE_NUMBER_CHANGE_NOT_ALLOWED_ERROR). Always false for an unlinked
 * user. Run it in the changing transaction, under `inAccountLinkingTransaction`.
 */
export async function accountInfoChangeRefused(tx: SqlExecutor, appId: string, recipeUserId: string, info: AccountInfo): Promise<boolean> {
  const primary = await primaryUserIdOf(tx, appId, recipeUserId);
  if (primary === undefined) return false;
  const members = await authUsersByIds(tx, appId, await groupMemberIds(tx, appId, primary));
  const tenants = await tenantsOfUsers(tx, appId, members.map((m) => m.userId));
  return (await otherPrimaryUserWith(tx, appId, primary, new Set(members.map((m) => m.userId)), tenants, info)) !== undefined;
}

/**
 * Why adding `recipeUserId` to `tenantId` is not allowed, or undefined: when it is linked, another
 * primary user in that tenant holds an account info of its group (the Java core's
 * `AnotherPrimaryUserWith…AlreadyExistsException`, answered as ASSOCIATION_NOT_ALLOWED_ERROR). Run it in
 * the associating transaction, under `inAccountLinkingTransaction`.
 */
export async function associationConflictOf(tx: SqlExecutor, appId: string, recipeUserId: string, tenantId: string): Promise<string | undefined> {
  const primary = await primaryUserIdOf(tx, appId, recipeUserId);
  if (primary === undefined) return undefined;
  const members = await authUsersByIds(tx, appId, await groupMemberIds(tx, appId, primary));
  const conflict = await conflictingPrimaryUser(tx, appId, primary, members, [tenantId]);
  return conflict === undefined ? undefined : `Another primary user with ${ASSOCIATION_CONFLICT_WORDS[conflict.kind]} already exists: ${conflict.primaryUserId}`;
}

/** The account info named in ASSOCIATION_NOT_ALLOWED_ERROR's `reason`: the Java plugin interface's `AnotherPrimaryUserWith…Exception` texts. */
const ASSOCIATION_CONFLICT_WORDS = { email: 'email', phoneNumber: 'phone number', thirdParty: 'third party info' } as const;

export class SqlAccountLinkingStore implements AccountLinkingStore {
  readonly #db: SqlDriver;

  constructor(driver: SqlDriver) {
    this.#db = driver;
  }

  #locked<T>(appId: string, fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return inAccountLinkingTransaction(this.#db, appId, fn);
  }

  listAuthUsersByAccountInfo(appId: string, tenantId: string, info: AccountInfo): Promise<AuthUserListRow[]> {
    return findAuthUsersByAccountInfo(this.#db, appId, tenantId, info);
  }

  listAuthUsersByIds(appId: string, userIds: readonly string[]): Promise<AuthUserListRow[]> {
    return authUsersByIds(this.#db, appId, userIds);
  }

  async getLinkGroups(appId: string, userIds: readonly string[]): Promise<Map<string, LinkGroup>> {
    const groups = new Map<string, LinkGroup>();
    if (userIds.length === 0) return groups;
    const n = placeholders(userIds.length);
    const direct = await this.#db.all<{ recipe_user_id: string; primary_user_id: string }>(
      `SELECT recipe_user_id, primary_user_id FROM st_account_links
       WHERE app_id = ? AND (recipe_user_id IN (${n}) OR primary_user_id IN (${n}))`,
      [appId, ...userIds, ...userIds],
    );
    if (direct.length === 0) return groups;
    const primaries = [...new Set(direct.map((r) => r.primary_user_id))];
    const members = await this.#db.all<{ recipe_user_id: string; primary_user_id: string }>(
      `SELECT recipe_user_id, primary_user_id FROM st_account_links WHERE app_id = ? AND primary_user_id IN (${placeholders(primaries.length)})
       ORDER BY recipe_user_id`,
      [appId, ...primaries],
    );
    const byPrimary = new Map<string, LinkGroup>(primaries.map((p) => [p, { primaryUserId: p, recipeUserIds: [] }]));
    for (const m of members) {
      const group = byPrimary.get(m.primary_user_id)!;
      if (m.recipe_user_id === m.primary_user_id) group.recipeUserIds.unshift(m.recipe_user_id);
      else group.recipeUserIds.push(m.recipe_user_id);
    }
    for (const r of direct) {
      const group = byPrimary.get(r.primary_user_id)!;
      if (userIds.includes(r.recipe_user_id)) groups.set(r.recipe_user_id, group);
      if (userIds.includes(r.primary_user_id)) groups.set(r.primary_user_id, group);
    }
    return groups;
  }

  async primaryPublicUserId(appId: string, publicUserId: string): Promise<string> {
    // External id → SuperTokens id → its primary user → that user's external id, in one statement.
    const rows = await this.#db.all<{ p: string }>(
      `SELECT COALESCE((SELECT m.external_user_id FROM st_userid_mapping m WHERE m.app_id = l.app_id AND m.supertokens_user_id = l.primary_user_id),
                       l.primary_user_id) AS p
       FROM st_account_links l
       WHERE l.app_id = ? AND l.recipe_user_id = COALESCE(
         (SELECT m2.supertokens_user_id FROM st_userid_mapping m2 WHERE m2.app_id = ? AND m2.external_user_id = ?), ?)`,
      [appId, appId, publicUserId, publicUserId],
    );
    return rows[0]?.p ?? publicUserId;
  }

  async createPrimaryUser(appId: string, recipeUserId: string, dryRun: boolean, nowMs: number): Promise<CreatePrimaryUserOutcome> {
    return this.#locked(appId, async (tx) => {
      const users = await authUsersByIds(tx, appId, [recipeUserId]);
      const primary = await primaryUserIdOf(tx, appId, recipeUserId);
      if (users.length === 0 && primary === undefined) return { status: 'UNKNOWN_USER_ID' };
      if (primary === recipeUserId) return { status: 'OK', wasAlreadyAPrimaryUser: true };
      if (primary !== undefined) {
        return { status: 'RECIPE_USER_ID_ALREADY_LINKED_WITH_PRIMARY_USER_ID_ERROR', primaryUserId: primary, description: 'This user ID is already linked to another user ID' };
      }
      const conflict = await conflictingPrimaryUser(tx, appId, recipeUserId, users);
      if (conflict !== undefined) return { status: 'ACCOUNT_INFO_ALREADY_ASSOCIATED_WITH_ANOTHER_PRIMARY_USER_ID_ERROR', ...conflict };
      if (!dryRun) {
        await tx.run('INSERT INTO st_account_links (app_id, recipe_user_id, primary_user_id, linked_at) VALUES (?, ?, ?, ?)', [appId, recipeUserId, recipeUserId, nowMs]);
      }
      return { status: 'OK', wasAlreadyAPrimaryUser: false };
    });
  }

  async linkAccounts(appId: string, recipeUserId: string, primaryUserId: string, dryRun: boolean, nowMs: number): Promise<LinkAccountsOutcome> {
    return this.#locked(appId, async (tx) => {
      // The Java core looks the primary user up first, then the recipe user.
      if (!(await userExists(tx, appId, primaryUserId))) return { status: 'UNKNOWN_USER_ID' };
      const primary = await primaryUserIdOf(tx, appId, primaryUserId);
      if (primary === undefined) return { status: 'INPUT_USER_IS_NOT_A_PRIMARY_USER' };
      const recipeUsers = await authUsersByIds(tx, appId, [recipeUserId]);
      const recipesPrimary = await primaryUserIdOf(tx, appId, recipeUserId);
      if (recipeUsers.length === 0 && recipesPrimary === undefined) return { status: 'UNKNOWN_USER_ID' };
      if (recipesPrimary === primary) return { status: 'OK', accountsAlreadyLinked: true, primaryUserId: primary };
      if (recipesPrimary !== undefined) {
        return {
          status: 'RECIPE_USER_ID_ALREADY_LINKED_WITH_ANOTHER_PRIMARY_USER_ID_ERROR',
          primaryUserId: recipesPrimary,
          description: 'The input recipe user ID is already linked to another user ID',
        };
      }
      const group = await authUsersByIds(tx, appId, await groupMemberIds(tx, appId, primary));
      const conflict = await conflictingPrimaryUser(tx, appId, primary, [...group, ...recipeUsers]);
      if (conflict !== undefined) return { status: 'ACCOUNT_INFO_ALREADY_ASSOCIATED_WITH_ANOTHER_PRIMARY_USER_ID_ERROR', ...conflict };
      if (!dryRun) {
        await tx.run('INSERT INTO st_account_links (app_id, recipe_user_id, primary_user_id, linked_at) VALUES (?, ?, ?, ?)', [appId, recipeUserId, primary, nowMs]);
      }
      return { status: 'OK', accountsAlreadyLinked: false, primaryUserId: primary };
    });
  }

  async unlinkAccount(appId: string, recipeUserId: string): Promise<UnlinkAccountOutcome> {
    return this.#locked(appId, async (tx) => {
      const users = await authUsersByIds(tx, appId, [recipeUserId]);
      if (users.length === 0) return { status: 'UNKNOWN_USER_ID' };
      const primary = await primaryUserIdOf(tx, appId, recipeUserId);
      if (primary === undefined) return { status: 'OK', wasLinked: false, wasRecipeUserDeleted: false };
      const members = await groupMemberIds(tx, appId, primary);
      if (primary === recipeUserId && members.length > 1) {
        // Unlinked, the primary user's own login method would be a second user with the group's id: the
        // Java core deletes that login method instead (its non-auth data stays with the group).
        await deleteRecipeUserRows(tx, appId, recipeUserId);
        return { status: 'OK', wasLinked: true, wasRecipeUserDeleted: true };
      }
      await tx.run('DELETE FROM st_account_links WHERE app_id = ? AND recipe_user_id = ?', [appId, recipeUserId]);
      return { status: 'OK', wasLinked: true, wasRecipeUserDeleted: false };
    });
  }

  async deleteLoginMethods(appId: string, recipeUserIds: readonly string[]): Promise<void> {
    await this.#db.transaction(async (tx) => {
      for (const id of recipeUserIds) await deleteRecipeUserRows(tx, appId, id);
    });
  }
}

/** A login method's rows in every auth recipe and its link row (not what non-auth recipes hold for the user). */
async function deleteRecipeUserRows(tx: SqlExecutor, appId: string, userId: string): Promise<void> {
  for (const table of ['st_users', 'st_thirdparty_users', 'st_passwordless_users', 'st_user_tenants', 'st_password_reset_tokens', 'st_account_links']) {
    const column = table === 'st_account_links' ? 'recipe_user_id' : 'user_id';
    await tx.run(`DELETE FROM ${table} WHERE app_id = ? AND ${column} = ?`, [appId, userId]);
  }
}
