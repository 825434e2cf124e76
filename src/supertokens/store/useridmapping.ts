/**
 * @module supertokens/store/useridmapping — `UserIdMappingStore`: the UserIdMapping recipe's rows, one
 * SuperTokens user id ↔ one external user id per app, with optional free-text info. [io]
 */
import { placeholders, type SqlDriver } from './sql.ts';

export interface UserIdMappingRow {
  superTokensUserId: string;
  externalUserId: string;
  externalUserIdInfo: string | null;
}

/** The non-auth recipes the Java core checks before mapping a SuperTokens user id, in its order. */
export type NonAuthRecipe = 'Session' | 'UserMetadata' | 'UserRoles' | 'EmailVerification' | 'TOTP';

export interface UserIdMappingStore {
  /**
   * Which non-auth recipes hold data under `userId` (a live session, metadata, a role in any tenant, a
   * verification token or verified email, a TOTP device), in the Java core's order (`Session`, `UserMetadata`,
   * `UserRoles`, `EmailVerification`, `TOTP`).
   */
  nonAuthRecipesUsingUserId(appId: string, userId: string, nowMs: number): Promise<NonAuthRecipe[]>;
  /** Moves verified emails and verification tokens from one user id to another (mapping creation, CDI 4.0+). */
  moveEmailVerificationToUserId(appId: string, fromUserId: string, toUserId: string): Promise<void>;
  /** Inserts a mapping; false when either id is already mapped in the app. */
  insertUserIdMapping(appId: string, row: UserIdMappingRow): Promise<boolean>;
  getUserIdMappingBySuperTokensId(appId: string, superTokensUserId: string): Promise<UserIdMappingRow | undefined>;
  getUserIdMappingByExternalId(appId: string, externalUserId: string): Promise<UserIdMappingRow | undefined>;
  /** The external id of each mapped SuperTokens id among `superTokensUserIds`. */
  externalUserIds(appId: string, superTokensUserIds: readonly string[]): Promise<Map<string, string>>;
  /** Deletes the mapping of a SuperTokens id; false when there was none. */
  deleteUserIdMapping(appId: string, superTokensUserId: string): Promise<boolean>;
  /** Sets (or, with null, clears) the info of a mapping; false when there is none. */
  updateExternalUserIdInfo(appId: string, superTokensUserId: string, info: string | null): Promise<boolean>;
}

interface MappingDbRow {
  supertokens_user_id: string;
  external_user_id: string;
  external_user_id_info: string | null;
}

function toRow(r: MappingDbRow): UserIdMappingRow {
  return { superTokensUserId: r.supertokens_user_id, externalUserId: r.external_user_id, externalUserIdInfo: r.external_user_id_info };
}

export class SqlUserIdMappingStore implements UserIdMappingStore {
  readonly #db: SqlDriver;

  constructor(driver: SqlDriver) {
    this.#db = driver;
  }

  async nonAuthRecipesUsingUserId(appId: string, userId: string, nowMs: number): Promise<NonAuthRecipe[]> {
    const checks: [NonAuthRecipe, string, (string | number)[]][] = [
      ['Session', 'SELECT 1 AS x FROM st_sessions WHERE app_id = ? AND user_id = ? AND expires_at >= ?', [appId, userId, nowMs]],
      ['UserMetadata', 'SELECT 1 AS x FROM st_user_metadata WHERE app_id = ? AND user_id = ?', [appId, userId]],
      ['UserRoles', 'SELECT 1 AS x FROM st_user_roles WHERE app_id = ? AND user_id = ?', [appId, userId]],
      [
        'EmailVerification',
        `SELECT 1 AS x FROM st_email_verification_tokens WHERE app_id = ? AND user_id = ?
         UNION ALL SELECT 1 AS x FROM st_verified_emails WHERE app_id = ? AND user_id = ?`,
        [appId, userId, appId, userId],
      ],
      ['TOTP', 'SELECT 1 AS x FROM st_totp_users WHERE app_id = ? AND user_id = ?', [appId, userId]],
    ];
    const used: NonAuthRecipe[] = [];
    for (const [recipe, sql, params] of checks) if ((await this.#db.all(sql, params)).length > 0) used.push(recipe);
    return used;
  }

  async moveEmailVerificationToUserId(appId: string, fromUserId: string, toUserId: string): Promise<void> {
    await this.#db.transaction(async (tx) => {
      for (const table of ['st_verified_emails', 'st_email_verification_tokens']) {
        await tx.run(`UPDATE ${table} SET user_id = ? WHERE app_id = ? AND user_id = ?`, [toUserId, appId, fromUserId]);
      }
    });
  }

  async insertUserIdMapping(appId: string, row: UserIdMappingRow): Promise<boolean> {
    const changed = await this.#db.run(
      `INSERT INTO st_userid_mapping (app_id, supertokens_user_id, external_user_id, external_user_id_info)
       VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`,
      [appId, row.superTokensUserId, row.externalUserId, row.externalUserIdInfo],
    );
    return changed === 1;
  }

  async getUserIdMappingBySuperTokensId(appId: string, superTokensUserId: string): Promise<UserIdMappingRow | undefined> {
    const rows = await this.#db.all<MappingDbRow>('SELECT * FROM st_userid_mapping WHERE app_id = ? AND supertokens_user_id = ?', [
      appId,
      superTokensUserId,
    ]);
    return rows[0] === undefined ? undefined : toRow(rows[0]);
  }

  async getUserIdMappingByExternalId(appId: string, externalUserId: string): Promise<UserIdMappingRow | undefined> {
    const rows = await this.#db.all<MappingDbRow>('SELECT * FROM st_userid_mapping WHERE app_id = ? AND external_user_id = ?', [
      appId,
      externalUserId,
    ]);
    return rows[0] === undefined ? undefined : toRow(rows[0]);
  }

  async externalUserIds(appId: string, superTokensUserIds: readonly string[]): Promise<Map<string, string>> {
    const result = new Map<string, string>();
    if (superTokensUserIds.length === 0) return result;
    const rows = await this.#db.all<MappingDbRow>(
      `SELECT * FROM st_userid_mapping WHERE app_id = ? AND supertokens_user_id IN (${placeholders(superTokensUserIds.length)})`,
      [appId, ...superTokensUserIds],
    );
    for (const row of rows) result.set(row.supertokens_user_id, row.external_user_id);
    return result;
  }

  async deleteUserIdMapping(appId: string, superTokensUserId: string): Promise<boolean> {
    return (await this.#db.run('DELETE FROM st_userid_mapping WHERE app_id = ? AND supertokens_user_id = ?', [appId, superTokensUserId])) > 0;
  }

  async updateExternalUserIdInfo(appId: string, superTokensUserId: string, info: string | null): Promise<boolean> {
    const changed = await this.#db.run('UPDATE st_userid_mapping SET external_user_id_info = ? WHERE app_id = ? AND supertokens_user_id = ?', [
      info,
      appId,
      superTokensUserId,
    ]);
    return changed > 0;
  }
}
