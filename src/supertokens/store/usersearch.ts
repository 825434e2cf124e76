/**
 * @module supertokens/store/usersearch — `UserSearchStore`: the user list, count and search filters over
 * every auth recipe's users (`GET /users`, `GET /users/count`, `GET /users?email=…&provider=…`). [io]
 *
 * The list is the union of the email/password (`st_users`), third-party (`st_thirdparty_users`) and
 * passwordless (`st_passwordless_users`) tables, ordered by time joined then user id, paginated by that pair;
 * a tenant's users are those with a membership of it (`store/usertenants.ts`), and the app-wide count
 * (`includeAllTenants`) counts each user in at least one tenant once, as the Java core does. The Java core's dashboard search
 * (`getPrimaryUserIdsForSearchTags`) matches an email tag `t` as `email LIKE 't%' OR email LIKE '%@t%'`
 * (a prefix of the address or of its domain), a provider tag as a prefix of `thirdPartyId` and a phone
 * tag as a prefix of a passwordless user's phone number; here
 * `%`, `_` and `\` in a tag are escaped, so a tag matches only its own characters. Emails are stored
 * lowercased and tags are lowercased, so both backends compare alike.
 */
import type { SqlDriver, SqlValue } from './sql.ts';

export type AuthRecipeId = 'emailpassword' | 'thirdparty' | 'passwordless';
export const AUTH_RECIPES: readonly AuthRecipeId[] = ['emailpassword', 'thirdparty', 'passwordless'];

/** One user of the list, whichever recipe it belongs to. */
export interface AuthUserListRow {
  recipeId: AuthRecipeId;
  userId: string;
  tenantId: string;
  /** Absent for a passwordless user with only a phone number. */
  email?: string;
  /** Passwordless users only. */
  phoneNumber?: string;
  timeJoinedMs: number;
  /** Third-party users only. */
  thirdParty?: { id: string; userId: string };
}

export interface UserListFilter {
  recipes: readonly AuthRecipeId[];
  /** Empty arrays everywhere: no search, every user. */
  emailTags: readonly string[];
  phoneTags: readonly string[];
  providerTags: readonly string[];
}

export interface UserSearchStore {
  /** Users of the given recipes in one tenant, or in every tenant of the app when `tenantId` is null. */
  countUsers(appId: string, tenantId: string | null, recipes?: readonly AuthRecipeId[]): Promise<number>;
  /** A page of the tenant's users, after `after` when given, restricted by `filter` (see the module comment). */
  listAuthUsers(
    appId: string,
    tenantId: string,
    filter: UserListFilter,
    order: 'ASC' | 'DESC',
    limit: number,
    after?: { timeJoinedMs: number; userId: string },
  ): Promise<AuthUserListRow[]>;
  /**
   * A page of the tenant's users as the CDI 4.0+ list has them: login methods linked to one primary user
   * (store/accountlinking.ts) are one entry, its id the primary user's, its time the earliest.
   */
  listUserIds(
    appId: string,
    tenantId: string,
    filter: UserListFilter,
    order: 'ASC' | 'DESC',
    limit: number,
    after?: { timeJoinedMs: number; userId: string },
  ): Promise<{ userId: string; timeJoinedMs: number }[]>;
}

/** A LIKE pattern literal: `\`, `%` and `_` escaped (used with `ESCAPE '\'`). */
export function likeLiteral(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/**
 * Each recipe's users as one row shape (`r` is the recipe table, filtered by the caller's WHERE) with
 * `list_id`: the primary user a recipe user is linked to (store/accountlinking.ts), else its own id: the
 * id the user list and count group by, so a linked user is listed once.
 */
const LIST_ID = `COALESCE((SELECT l.primary_user_id FROM st_account_links l WHERE l.app_id = r.app_id AND l.recipe_user_id = r.user_id), r.user_id) AS list_id`;

const TABLES: Record<AuthRecipeId, string> = {
  emailpassword: `SELECT 'emailpassword' AS recipe_id, r.user_id, r.tenant_id, r.email, CAST(NULL AS TEXT) AS phone_number, r.time_joined,
      CAST(NULL AS TEXT) AS third_party_id, CAST(NULL AS TEXT) AS third_party_user_id, ${LIST_ID} FROM st_users r`,
  thirdparty: `SELECT 'thirdparty' AS recipe_id, r.user_id, r.tenant_id, r.email, CAST(NULL AS TEXT) AS phone_number, r.time_joined,
      r.third_party_id, r.third_party_user_id, ${LIST_ID} FROM st_thirdparty_users r`,
  passwordless: `SELECT 'passwordless' AS recipe_id, r.user_id, r.tenant_id, r.email, r.phone_number, r.time_joined,
      CAST(NULL AS TEXT) AS third_party_id, CAST(NULL AS TEXT) AS third_party_user_id, ${LIST_ID} FROM st_passwordless_users r`,
};

/**
 * Every auth recipe's users as one relation (columns of `AuthUserDbRow`), for the list, the count and the
 * account-info lookups (store/accountlinking.ts), with its parameters. Membership (`st_user_tenants`,
 * store/usertenants.ts) decides who is in a tenant: with `tenantId`, the tenant's members (found from its
 * memberships, whose primary key starts with app and tenant); with null, the users in at least one
 * tenant, or (`scope: 'all'`) every user of the app, also one removed from all its tenants.
 */
export function authUsersUnion(
  appId: string,
  tenantId: string | null,
  recipes: readonly AuthRecipeId[] = AUTH_RECIPES,
  scope: 'members' | 'all' = 'members',
): { sql: string; params: SqlValue[] } {
  const params: SqlValue[] = [];
  const parts = recipes.map((recipe) => {
    if (tenantId === null) {
      params.push(appId);
      const members = scope === 'all' ? '' : ' AND EXISTS (SELECT 1 FROM st_user_tenants m WHERE m.app_id = r.app_id AND m.user_id = r.user_id)';
      return `${TABLES[recipe]} WHERE r.app_id = ?${members}`;
    }
    params.push(appId, tenantId);
    return `${TABLES[recipe]} JOIN st_user_tenants m ON m.app_id = r.app_id AND m.user_id = r.user_id WHERE m.app_id = ? AND m.tenant_id = ?`;
  });
  return { sql: parts.join(' UNION ALL '), params };
}

export interface AuthUserDbRow {
  recipe_id: AuthRecipeId;
  user_id: string;
  tenant_id: string;
  email: string | null;
  phone_number: string | null;
  time_joined: number | string;
  third_party_id: string | null;
  third_party_user_id: string | null;
  list_id: string;
}

export function toAuthUserListRow(r: AuthUserDbRow): AuthUserListRow {
  return {
    recipeId: r.recipe_id,
    userId: r.user_id,
    tenantId: r.tenant_id,
    ...(r.email === null ? {} : { email: r.email }),
    ...(r.phone_number === null ? {} : { phoneNumber: r.phone_number }),
    timeJoinedMs: Number(r.time_joined),
    ...(r.third_party_id === null ? {} : { thirdParty: { id: r.third_party_id, userId: r.third_party_user_id ?? '' } }),
  };
}

export class SqlUserSearchStore implements UserSearchStore {
  readonly #db: SqlDriver;

  constructor(driver: SqlDriver) {
    this.#db = driver;
  }

  /** Whether any user of the app is a primary user or linked (store/accountlinking.ts). */
  async #hasLinks(appId: string): Promise<boolean> {
    return (await this.#db.all('SELECT 1 AS x FROM st_account_links WHERE app_id = ? LIMIT 1', [appId])).length > 0;
  }

  async countUsers(appId: string, tenantId: string | null, recipes: readonly AuthRecipeId[] = AUTH_RECIPES): Promise<number> {
    if (recipes.length === 0) return 0;
    const { sql, params } = authUsersUnion(appId, tenantId, recipes);
    // A linked user counts once (`list_id`: its primary user); without any link in the app, every row.
    const counted = (await this.#hasLinks(appId)) ? 'DISTINCT list_id' : '*';
    const rows = await this.#db.all<{ n: number | string }>(`SELECT COUNT(${counted}) AS n FROM (${sql}) AS u`, params);
    return Number(rows[0]?.n ?? 0);
  }

  async listAuthUsers(
    appId: string,
    tenantId: string,
    filter: UserListFilter,
    order: 'ASC' | 'DESC',
    limit: number,
    after?: { timeJoinedMs: number; userId: string },
  ): Promise<AuthUserListRow[]> {
    if (filter.recipes.length === 0) return [];
    const union = authUsersUnion(appId, tenantId, filter.recipes);
    const params: SqlValue[] = [...union.params];
    const conditions: string[] = [];
    const search = searchCondition(filter);
    if (search !== undefined) {
      conditions.push(search.sql);
      params.push(...search.params);
    }
    if (after !== undefined) {
      const cmp = order === 'ASC' ? '>' : '<';
      conditions.push(`(time_joined ${cmp} ? OR (time_joined = ? AND user_id ${cmp} ?))`);
      params.push(after.timeJoinedMs, after.timeJoinedMs, after.userId);
    }
    params.push(limit);
    const rows = await this.#db.all<AuthUserDbRow>(
      `SELECT * FROM (${union.sql}) AS u${conditions.length > 0 ? ` WHERE ${conditions.join(' AND ')}` : ''}
       ORDER BY time_joined ${order}, user_id ${order} LIMIT ?`,
      params,
    );
    return rows.map(toAuthUserListRow);
  }

  async listUserIds(
    appId: string,
    tenantId: string,
    filter: UserListFilter,
    order: 'ASC' | 'DESC',
    limit: number,
    after?: { timeJoinedMs: number; userId: string },
  ): Promise<{ userId: string; timeJoinedMs: number }[]> {
    if (filter.recipes.length === 0) return [];
    // Without any link in the app every user is its own entry: the per-row list walks the time-joined
    // indexes and stops at the page, where grouping reads every row of the tenant (docs/supertokens.md,
    // "Account linking").
    if (!(await this.#hasLinks(appId))) return this.listAuthUsers(appId, tenantId, filter, order, limit, after);
    const union = authUsersUnion(appId, tenantId, filter.recipes);
    const params: SqlValue[] = [...union.params];
    // A user (linked login methods grouped under their primary user) is listed when any of its login
    // methods matches the search; it sorts by its earliest login method.
    const having: string[] = [];
    const search = searchCondition(filter);
    if (search !== undefined) {
      having.push(`MAX(CASE WHEN ${search.sql} THEN 1 ELSE 0 END) = 1`);
      params.push(...search.params);
    }
    if (after !== undefined) {
      const cmp = order === 'ASC' ? '>' : '<';
      having.push(`(MIN(time_joined) ${cmp} ? OR (MIN(time_joined) = ? AND list_id ${cmp} ?))`);
      params.push(after.timeJoinedMs, after.timeJoinedMs, after.userId);
    }
    params.push(limit);
    const rows = await this.#db.all<{ list_id: string; joined: number | string }>(
      `SELECT list_id, MIN(time_joined) AS joined FROM (${union.sql}) AS u GROUP BY list_id
       ${having.length > 0 ? `HAVING ${having.join(' AND ')}` : ''}
       ORDER BY joined ${order}, list_id ${order} LIMIT ?`,
      params,
    );
    return rows.map((r) => ({ userId: r.list_id, timeJoinedMs: Number(r.joined) }));
  }
}

/** The search filter as one SQL condition on a user row, or undefined when not searching (module comment). */
function searchCondition(filter: UserListFilter): { sql: string; params: SqlValue[] } | undefined {
  if (filter.emailTags.length + filter.phoneTags.length + filter.providerTags.length === 0) return undefined;
  const params: SqlValue[] = [];
  const matches: string[] = [];
  for (const tag of filter.emailTags) {
    const literal = likeLiteral(tag.toLowerCase());
    params.push(`${literal}%`, `%@${literal}%`);
    matches.push("email LIKE ? ESCAPE '\\' OR email LIKE ? ESCAPE '\\'");
  }
  for (const tag of filter.providerTags) {
    params.push(`${likeLiteral(tag.toLowerCase())}%`);
    matches.push("third_party_id LIKE ? ESCAPE '\\'");
  }
  // Phone tags: a prefix of a passwordless user's phone number (as stored, e.g. `+1415…`).
  for (const tag of filter.phoneTags) {
    params.push(`${likeLiteral(tag)}%`);
    matches.push("phone_number LIKE ? ESCAPE '\\'");
  }
  return { sql: matches.length === 0 ? '1 = 0' : `(${matches.join(' OR ')})`, params };
}
