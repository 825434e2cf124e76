/**
 * @module supertokens/store/usertenants — `UserTenantsStore`: which tenants each auth-recipe user belongs
 * to (`st_user_tenants`, migration 8), as the Java core's `*_user_to_tenant` tables. [io]
 *
 * A user belongs to the tenant it signed up in and to every tenant it was associated with
 * (`POST /<t>/recipe/multitenancy/tenant/user`). Each membership row carries the recipe's account info
 * (email/password: email; third party: provider id and provider user id; passwordless: email, phone
 * number), and partial unique indexes make that info unique per tenant and recipe: the database, not a
 * check-then-insert, decides a clash. Every per-tenant lookup of the recipe parts joins this table.
 *
 * Removing a user from its last tenant leaves the user (its recipe row) in place, as the Java core does:
 * `GET /user/id` still finds it, with `tenantIds: []`, and it can be associated again.
 */
import { placeholders, type SqlDriver, type SqlExecutor } from './sql.ts';
import { associationConflictOf, inAccountLinkingTransaction } from './accountlinking.ts';
import type { AuthRecipeId } from './usersearch.ts';

/** One membership row: a user of one recipe in one tenant, with the account info unique there. */
export interface MembershipRow {
  appId: string;
  tenantId: string;
  userId: string;
  recipeId: AuthRecipeId;
  email?: string | null | undefined;
  phoneNumber?: string | null | undefined;
  thirdParty?: { id: string; userId: string } | undefined;
}

/** Why a user could not join a tenant: its account info is another user's there. */
export type MembershipClash = 'EMAIL_EXISTS' | 'PHONE_EXISTS' | 'THIRD_PARTY_EXISTS';

export type AddUserToTenantResult =
  | { status: 'OK'; wasAlreadyAssociated: boolean }
  | { status: 'UNKNOWN_USER' | MembershipClash }
  | { status: 'ASSOCIATION_NOT_ALLOWED'; reason: string };

export interface UserTenantsStore {
  /**
   * Associates a user (SuperTokens id) of any auth recipe with a tenant. `ASSOCIATION_NOT_ALLOWED`: the
   * user is linked and another primary user in the tenant holds an account info of its group (the
   * account-linking rule, checked with the insert in one transaction under the linking lock).
   */
  addUserToTenant(appId: string, tenantId: string, userId: string): Promise<AddUserToTenantResult>;
  /**
   * Removes the user from the tenant and, as the Java core does, what non-auth recipes hold for it in
   * that tenant (sessions, role assignments, email-verification tokens) under `nonAuthUserId` (its
   * external id when mapped). True when any of that existed.
   */
  removeUserFromTenant(appId: string, tenantId: string, userId: string, nonAuthUserId: string): Promise<boolean>;
  /** The one accessor of users' tenants: each given SuperTokens user id → its tenant ids, sorted (absent ids: `[]`). */
  listUserTenants(appId: string, userIds: readonly string[]): Promise<Map<string, string[]>>;
}

/**
 * Inserts a membership; `false` when the tenant already has it or the account info is taken there
 * (the unique indexes; `ON CONFLICT DO NOTHING` leaves a PostgreSQL transaction usable).
 */
export async function insertMembership(db: SqlExecutor, row: MembershipRow): Promise<boolean> {
  const changed = await db.run(
    `INSERT INTO st_user_tenants (app_id, tenant_id, user_id, recipe_id, email, phone_number, third_party_id, third_party_user_id)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
    [
      row.appId,
      row.tenantId,
      row.userId,
      row.recipeId,
      row.email ?? null,
      row.phoneNumber ?? null,
      row.thirdParty?.id ?? null,
      row.thirdParty?.userId ?? null,
    ],
  );
  return changed === 1;
}

/** Removes every membership of a user (user deletion). */
export async function deleteMemberships(db: SqlExecutor, appId: string, userId: string): Promise<void> {
  await db.run('DELETE FROM st_user_tenants WHERE app_id = ? AND user_id = ?', [appId, userId]);
}

/**
 * Whether changing a user's account info to `value` (column `email` or `phone_number`) would clash in
 * one of its tenants. Run inside the changing transaction; the unique indexes stay the last word
 * (a concurrent change that slips between check and update fails with a constraint error, never a duplicate).
 */
export async function accountInfoTakenInUserTenants(
  db: SqlExecutor,
  appId: string,
  userId: string,
  recipeId: AuthRecipeId,
  column: 'email' | 'phone_number',
  value: string,
): Promise<boolean> {
  const rows = await db.all(
    `SELECT 1 AS x FROM st_user_tenants other WHERE other.app_id = ? AND other.recipe_id = ? AND other.${column} = ? AND other.user_id <> ?
       AND other.tenant_id IN (SELECT mine.tenant_id FROM st_user_tenants mine WHERE mine.app_id = ? AND mine.user_id = ?)`,
    [appId, recipeId, value, userId, appId, userId],
  );
  return rows.length > 0;
}

/** Sets the account info column of every membership of a user (after an email or phone change). */
export async function updateMembershipAccountInfo(db: SqlExecutor, appId: string, userId: string, change: { email?: string | null; phoneNumber?: string | null }): Promise<void> {
  if (change.email !== undefined) await db.run('UPDATE st_user_tenants SET email = ? WHERE app_id = ? AND user_id = ?', [change.email, appId, userId]);
  if (change.phoneNumber !== undefined) {
    await db.run('UPDATE st_user_tenants SET phone_number = ? WHERE app_id = ? AND user_id = ?', [change.phoneNumber, appId, userId]);
  }
}

interface RecipeUserDbRow {
  user_id: string;
  email: string | null;
  phone_number: string | null;
  third_party_id: string | null;
  third_party_user_id: string | null;
}

/** The user's membership row for `tenantId`, built from whichever recipe table holds it. */
async function membershipOf(db: SqlExecutor, appId: string, tenantId: string, userId: string): Promise<MembershipRow | undefined> {
  const sources: [AuthRecipeId, string][] = [
    ['emailpassword', 'SELECT user_id, email, NULL AS phone_number, NULL AS third_party_id, NULL AS third_party_user_id FROM st_users'],
    ['thirdparty', 'SELECT user_id, NULL AS email, NULL AS phone_number, third_party_id, third_party_user_id FROM st_thirdparty_users'],
    ['passwordless', 'SELECT user_id, email, phone_number, NULL AS third_party_id, NULL AS third_party_user_id FROM st_passwordless_users'],
  ];
  for (const [recipeId, select] of sources) {
    const [row] = await db.all<RecipeUserDbRow>(`${select} WHERE app_id = ? AND user_id = ?`, [appId, userId]);
    if (row === undefined) continue;
    return {
      appId,
      tenantId,
      userId,
      recipeId,
      email: row.email,
      phoneNumber: row.phone_number,
      thirdParty: row.third_party_id === null ? undefined : { id: row.third_party_id, userId: row.third_party_user_id ?? '' },
    };
  }
  return undefined;
}

/** Which unique index refused `row`: another user of the same recipe in the tenant has its account info. */
async function clashOf(db: SqlExecutor, row: MembershipRow): Promise<MembershipClash> {
  const taken = async (condition: string, values: (string | null)[]) =>
    (await db.all(`SELECT 1 AS x FROM st_user_tenants WHERE app_id = ? AND tenant_id = ? AND recipe_id = ? AND user_id <> ? AND ${condition}`, [
      row.appId,
      row.tenantId,
      row.recipeId,
      row.userId,
      ...values,
    ])).length > 0;
  if (row.recipeId === 'thirdparty') return 'THIRD_PARTY_EXISTS';
  if (row.email != null && (await taken('email = ?', [row.email]))) return 'EMAIL_EXISTS';
  if (row.phoneNumber != null && (await taken('phone_number = ?', [row.phoneNumber]))) return 'PHONE_EXISTS';
  // The clashing row went away between the insert and this look (a concurrent removal): report the
  // recipe's own clash rather than claim success.
  return row.recipeId === 'passwordless' && row.email == null ? 'PHONE_EXISTS' : 'EMAIL_EXISTS';
}

export class SqlUserTenantsStore implements UserTenantsStore {
  readonly #db: SqlDriver;

  constructor(driver: SqlDriver) {
    this.#db = driver;
  }

  async addUserToTenant(appId: string, tenantId: string, userId: string): Promise<AddUserToTenantResult> {
    return inAccountLinkingTransaction(this.#db, appId, async (tx): Promise<AddUserToTenantResult> => {
      const reason = await associationConflictOf(tx, appId, userId, tenantId);
      if (reason !== undefined) return { status: 'ASSOCIATION_NOT_ALLOWED', reason };
      const row = await membershipOf(tx, appId, tenantId, userId);
      if (row === undefined) return { status: 'UNKNOWN_USER' };
      if (await insertMembership(tx, row)) return { status: 'OK', wasAlreadyAssociated: false };
      const member = await tx.all('SELECT 1 AS x FROM st_user_tenants WHERE app_id = ? AND tenant_id = ? AND user_id = ?', [appId, tenantId, userId]);
      if (member.length > 0) return { status: 'OK', wasAlreadyAssociated: true };
      return { status: await clashOf(tx, row) };
    });
  }

  async removeUserFromTenant(appId: string, tenantId: string, userId: string, nonAuthUserId: string): Promise<boolean> {
    return this.#db.transaction(async (tx) => {
      let existed = (await tx.run('DELETE FROM st_user_tenants WHERE app_id = ? AND tenant_id = ? AND user_id = ?', [appId, tenantId, userId])) > 0;
      // The TOTP codes checked in the tenant go too (their lockout there), as in the Java core.
      for (const table of ['st_sessions', 'st_user_roles', 'st_email_verification_tokens', 'st_totp_used_codes']) {
        const removed = await tx.run(`DELETE FROM ${table} WHERE app_id = ? AND tenant_id = ? AND user_id = ?`, [appId, tenantId, nonAuthUserId]);
        existed = existed || removed > 0;
      }
      return existed;
    });
  }

  async listUserTenants(appId: string, userIds: readonly string[]): Promise<Map<string, string[]>> {
    const ids = [...new Set(userIds)];
    const result = new Map<string, string[]>(ids.map((id) => [id, []]));
    if (ids.length === 0) return result;
    const rows = await this.#db.all<{ user_id: string; tenant_id: string }>(
      `SELECT user_id, tenant_id FROM st_user_tenants WHERE app_id = ? AND user_id IN (${placeholders(ids.length)}) ORDER BY tenant_id`,
      [appId, ...ids],
    );
    for (const row of rows) result.get(row.user_id)?.push(row.tenant_id);
    return result;
  }
}
