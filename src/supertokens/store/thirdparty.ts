/**
 * @module supertokens/store/thirdparty — `ThirdPartyStore`: the ThirdParty recipe's users, one per
 * (tenant, `thirdPartyId`, `thirdPartyUserId`), with the email the provider last reported. [io]
 *
 * What other parts key by user id (sessions, roles, …) is removed by `EmailPasswordStore.deleteUser`,
 * which the user APIs call for every user; `deleteThirdPartyUser` removes only this part's row.
 */
import { placeholders, type SqlDriver } from './sql.ts';

export interface ThirdPartyUserRow {
  appId: string;
  userId: string;
  tenantId: string;
  thirdPartyId: string;
  thirdPartyUserId: string;
  email: string;
  timeJoinedMs: number;
}

export interface ThirdPartyStore {
  /**
   * Sign-in-up: the user of (tenant, provider, provider's user id), created with `newUser` when there is
   * none, its email updated when it changed. `created` tells which happened. Concurrent calls for one
   * provider user settle on one row (the unique constraint).
   */
  signInUpThirdPartyUser(newUser: ThirdPartyUserRow): Promise<{ created: boolean; user: ThirdPartyUserRow }>;
  getThirdPartyUser(appId: string, userId: string): Promise<ThirdPartyUserRow | undefined>;
  getThirdPartyUserByProvider(appId: string, tenantId: string, thirdPartyId: string, thirdPartyUserId: string): Promise<ThirdPartyUserRow | undefined>;
  listThirdPartyUsersByEmail(appId: string, tenantId: string, email: string): Promise<ThirdPartyUserRow[]>;
  listThirdPartyUsersByIds(appId: string, userIds: readonly string[]): Promise<ThirdPartyUserRow[]>;
  deleteThirdPartyUser(appId: string, userId: string): Promise<boolean>;
}

interface ThirdPartyDbRow {
  app_id: string;
  user_id: string;
  tenant_id: string;
  third_party_id: string;
  third_party_user_id: string;
  email: string;
  time_joined: number | string;
}

function toRow(r: ThirdPartyDbRow): ThirdPartyUserRow {
  return {
    appId: r.app_id,
    userId: r.user_id,
    tenantId: r.tenant_id,
    thirdPartyId: r.third_party_id,
    thirdPartyUserId: r.third_party_user_id,
    email: r.email,
    timeJoinedMs: Number(r.time_joined),
  };
}

export class SqlThirdPartyStore implements ThirdPartyStore {
  readonly #db: SqlDriver;

  constructor(driver: SqlDriver) {
    this.#db = driver;
  }

  async signInUpThirdPartyUser(newUser: ThirdPartyUserRow): Promise<{ created: boolean; user: ThirdPartyUserRow }> {
    const { appId, tenantId, thirdPartyId, thirdPartyUserId, email } = newUser;
    const inserted = await this.#db.run(
      `INSERT INTO st_thirdparty_users (app_id, user_id, tenant_id, third_party_id, third_party_user_id, email, time_joined)
       VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
      [appId, newUser.userId, tenantId, thirdPartyId, thirdPartyUserId, email, newUser.timeJoinedMs],
    );
    if (inserted === 1) return { created: true, user: newUser };
    await this.#db.run(
      `UPDATE st_thirdparty_users SET email = ?
       WHERE app_id = ? AND tenant_id = ? AND third_party_id = ? AND third_party_user_id = ? AND email <> ?`,
      [email, appId, tenantId, thirdPartyId, thirdPartyUserId, email],
    );
    const user = await this.getThirdPartyUserByProvider(appId, tenantId, thirdPartyId, thirdPartyUserId);
    if (user === undefined) throw new Error('third-party user vanished during sign-in-up');
    return { created: false, user };
  }

  async getThirdPartyUser(appId: string, userId: string): Promise<ThirdPartyUserRow | undefined> {
    const rows = await this.#db.all<ThirdPartyDbRow>('SELECT * FROM st_thirdparty_users WHERE app_id = ? AND user_id = ?', [appId, userId]);
    return rows[0] === undefined ? undefined : toRow(rows[0]);
  }

  async getThirdPartyUserByProvider(appId: string, tenantId: string, thirdPartyId: string, thirdPartyUserId: string): Promise<ThirdPartyUserRow | undefined> {
    const rows = await this.#db.all<ThirdPartyDbRow>(
      'SELECT * FROM st_thirdparty_users WHERE app_id = ? AND tenant_id = ? AND third_party_id = ? AND third_party_user_id = ?',
      [appId, tenantId, thirdPartyId, thirdPartyUserId],
    );
    return rows[0] === undefined ? undefined : toRow(rows[0]);
  }

  async listThirdPartyUsersByEmail(appId: string, tenantId: string, email: string): Promise<ThirdPartyUserRow[]> {
    const rows = await this.#db.all<ThirdPartyDbRow>(
      'SELECT * FROM st_thirdparty_users WHERE app_id = ? AND tenant_id = ? AND email = ? ORDER BY time_joined, user_id',
      [appId, tenantId, email],
    );
    return rows.map(toRow);
  }

  async listThirdPartyUsersByIds(appId: string, userIds: readonly string[]): Promise<ThirdPartyUserRow[]> {
    if (userIds.length === 0) return [];
    const rows = await this.#db.all<ThirdPartyDbRow>(
      `SELECT * FROM st_thirdparty_users WHERE app_id = ? AND user_id IN (${placeholders(userIds.length)})`,
      [appId, ...userIds],
    );
    return rows.map(toRow);
  }

  async deleteThirdPartyUser(appId: string, userId: string): Promise<boolean> {
    return (await this.#db.run('DELETE FROM st_thirdparty_users WHERE app_id = ? AND user_id = ?', [appId, userId])) > 0;
  }
}
