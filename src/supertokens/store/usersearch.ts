/**
 * @module supertokens/store/usersearch — `UserSearchStore`: the user count and the user list's search
 * filters (`GET /users/count`, `GET /users?email=…`), over the email/password users table. [io]
 *
 * The Java core's dashboard search (`getPrimaryUserIdsForSearchTags`) matches an email tag `t` as
 * `email LIKE 't%' OR email LIKE '%@t%'` (a prefix of the address or of its domain); here `%`, `_`
 * and `\` in a tag are escaped, so a tag matches only its own characters. Emails are stored
 * lowercased, and tags are lowercased, so both backends compare alike.
 */
import type { UserRow } from './emailpassword.ts';
import type { SqlDriver, SqlValue } from './sql.ts';

export interface UserSearchStore {
  /** Email/password users of one tenant, or of every tenant of the app when `tenantId` is null. */
  countUsers(appId: string, tenantId: string | null): Promise<number>;
  /** Like `listUsers`, restricted to users whose email matches one of `emailTags` (see the module comment). */
  searchUsersByEmail(
    appId: string,
    tenantId: string,
    emailTags: readonly string[],
    order: 'ASC' | 'DESC',
    limit: number,
    after?: { timeJoinedMs: number; userId: string },
  ): Promise<UserRow[]>;
}

interface UserDbRow {
  app_id: string;
  user_id: string;
  tenant_id: string;
  email: string;
  password_hash: string;
  time_joined: number;
}

/** A LIKE pattern literal: `\`, `%` and `_` escaped (used with `ESCAPE '\'`). */
export function likeLiteral(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

export class SqlUserSearchStore implements UserSearchStore {
  readonly #db: SqlDriver;

  constructor(driver: SqlDriver) {
    this.#db = driver;
  }

  async countUsers(appId: string, tenantId: string | null): Promise<number> {
    const rows =
      tenantId === null
        ? await this.#db.all<{ n: number | string }>('SELECT COUNT(*) AS n FROM st_users WHERE app_id = ?', [appId])
        : await this.#db.all<{ n: number | string }>('SELECT COUNT(*) AS n FROM st_users WHERE app_id = ? AND tenant_id = ?', [appId, tenantId]);
    return Number(rows[0]?.n ?? 0);
  }

  async searchUsersByEmail(
    appId: string,
    tenantId: string,
    emailTags: readonly string[],
    order: 'ASC' | 'DESC',
    limit: number,
    after?: { timeJoinedMs: number; userId: string },
  ): Promise<UserRow[]> {
    if (emailTags.length === 0) return [];
    const params: SqlValue[] = [appId, tenantId];
    const matches = emailTags.map((tag) => {
      const literal = likeLiteral(tag.toLowerCase());
      params.push(`${literal}%`, `%@${literal}%`);
      return "(email LIKE ? ESCAPE '\\' OR email LIKE ? ESCAPE '\\')";
    });
    let sql = `SELECT * FROM st_users WHERE app_id = ? AND tenant_id = ? AND (${matches.join(' OR ')})`;
    if (after !== undefined) {
      const cmp = order === 'ASC' ? '>' : '<';
      sql += ` AND (time_joined ${cmp} ? OR (time_joined = ? AND user_id ${cmp} ?))`;
      params.push(after.timeJoinedMs, after.timeJoinedMs, after.userId);
    }
    sql += ` ORDER BY time_joined ${order}, user_id ${order} LIMIT ?`;
    params.push(limit);
    const rows = await this.#db.all<UserDbRow>(sql, params);
    return rows.map((r) => ({
      appId: r.app_id,
      userId: r.user_id,
      tenantId: r.tenant_id,
      email: r.email,
      passwordHash: r.password_hash,
      timeJoinedMs: Number(r.time_joined),
    }));
  }
}
