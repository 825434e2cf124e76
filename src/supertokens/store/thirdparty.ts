/**
 * @module supertokens/store/thirdparty — `ThirdPartyStore`: the ThirdParty recipe's users, one per
 * (tenant, `thirdPartyId`, `thirdPartyUserId`), with the email the provider last reported. [io]
 *
 * What other parts key by user id (sessions, roles, …) is removed by `EmailPasswordStore.deleteUser`,
 * which the user APIs call for every user; `deleteThirdPartyUser` removes this part's row and the user's
 * memberships. Per-tenant lookups go through the memberships (`store/usertenants.ts`): a user created in
 * one tenant and associated with another is found in both; `tenantId` on a row is the tenant of sign-up.
 */
import { placeholders, type SqlDriver } from './sql.ts';
import { accountInfoChangeRefused, inAccountLinkingTransaction } from './accountlinking.ts';
import { deleteMemberships, insertMembership } from './usertenants.ts';

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
   * provider user settle on one row (the unique constraint). A linked user whose provider now reports an
   * email of another primary user keeps its email (`EMAIL_CHANGE_NOT_ALLOWED`: the account-linking rule,
   * checked with the update in one transaction under the linking lock).
   */
  signInUpThirdPartyUser(newUser: ThirdPartyUserRow): Promise<ThirdPartySignInUpResult>;
  getThirdPartyUser(appId: string, userId: string): Promise<ThirdPartyUserRow | undefined>;
  getThirdPartyUserByProvider(appId: string, tenantId: string, thirdPartyId: string, thirdPartyUserId: string): Promise<ThirdPartyUserRow | undefined>;
  listThirdPartyUsersByEmail(appId: string, tenantId: string, email: string): Promise<ThirdPartyUserRow[]>;
  listThirdPartyUsersByIds(appId: string, userIds: readonly string[]): Promise<ThirdPartyUserRow[]>;
  deleteThirdPartyUser(appId: string, userId: string): Promise<boolean>;
}

export type ThirdPartySignInUpResult = { status: 'OK'; created: boolean; user: ThirdPartyUserRow } | { status: 'EMAIL_CHANGE_NOT_ALLOWED' };

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

  async signInUpThirdPartyUser(newUser: ThirdPartyUserRow): Promise<ThirdPartySignInUpResult> {
    const { appId, tenantId, thirdPartyId, thirdPartyUserId, email } = newUser;
    // The membership's unique index settles concurrent sign-ups of one provider user in one tenant.
    const inserted = await this.#db.transaction(async (tx) => {
      const member = { appId, tenantId, userId: newUser.userId, recipeId: 'thirdparty' as const, thirdParty: { id: thirdPartyId, userId: thirdPartyUserId } };
      if (!(await insertMembership(tx, member))) return false;
      await tx.run(
        `INSERT INTO st_thirdparty_users (app_id, user_id, tenant_id, third_party_id, third_party_user_id, email, time_joined)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
        [appId, newUser.userId, tenantId, thirdPartyId, thirdPartyUserId, email, newUser.timeJoinedMs],
      );
      return true;
    });
    if (inserted) return { status: 'OK', created: true, user: newUser };
    const existing = await this.getThirdPartyUserByProvider(appId, tenantId, thirdPartyId, thirdPartyUserId);
    if (existing === undefined) throw new Error('third-party user vanished during sign-in-up');
    // A sign-in with the email the user has takes no lock; a new email takes the linking lock, and the
    // rule and the update run in its transaction on the row as it is there.
    if (existing.email === email) return { status: 'OK', created: false, user: existing };
    return inAccountLinkingTransaction(this.#db, appId, async (tx): Promise<ThirdPartySignInUpResult> => {
      const [row] = await tx.all<ThirdPartyDbRow>('SELECT * FROM st_thirdparty_users WHERE app_id = ? AND user_id = ?', [appId, existing.userId]);
      if (row === undefined) throw new Error('third-party user vanished during sign-in-up');
      const current = toRow(row);
      if (current.email === email) return { status: 'OK', created: false, user: current };
      if (await accountInfoChangeRefused(tx, appId, current.userId, { email })) return { status: 'EMAIL_CHANGE_NOT_ALLOWED' };
      await tx.run('UPDATE st_thirdparty_users SET email = ? WHERE app_id = ? AND user_id = ?', [email, appId, current.userId]);
      return { status: 'OK', created: false, user: { ...current, email } };
    });
  }

  async getThirdPartyUser(appId: string, userId: string): Promise<ThirdPartyUserRow | undefined> {
    const rows = await this.#db.all<ThirdPartyDbRow>('SELECT * FROM st_thirdparty_users WHERE app_id = ? AND user_id = ?', [appId, userId]);
    return rows[0] === undefined ? undefined : toRow(rows[0]);
  }

  async getThirdPartyUserByProvider(appId: string, tenantId: string, thirdPartyId: string, thirdPartyUserId: string): Promise<ThirdPartyUserRow | undefined> {
    const rows = await this.#db.all<ThirdPartyDbRow>(
      `SELECT u.* FROM st_thirdparty_users u JOIN st_user_tenants m ON m.app_id = u.app_id AND m.user_id = u.user_id
       WHERE m.app_id = ? AND m.tenant_id = ? AND m.recipe_id = 'thirdparty' AND m.third_party_id = ? AND m.third_party_user_id = ?`,
      [appId, tenantId, thirdPartyId, thirdPartyUserId],
    );
    return rows[0] === undefined ? undefined : toRow(rows[0]);
  }

  async listThirdPartyUsersByEmail(appId: string, tenantId: string, email: string): Promise<ThirdPartyUserRow[]> {
    const rows = await this.#db.all<ThirdPartyDbRow>(
      `SELECT u.* FROM st_thirdparty_users u JOIN st_user_tenants m ON m.app_id = u.app_id AND m.user_id = u.user_id
       WHERE u.app_id = ? AND m.tenant_id = ? AND u.email = ? ORDER BY u.time_joined, u.user_id`,
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
    return this.#db.transaction(async (tx) => {
      const removed = await tx.run('DELETE FROM st_thirdparty_users WHERE app_id = ? AND user_id = ?', [appId, userId]);
      if (removed > 0) await deleteMemberships(tx, appId, userId);
      return removed > 0;
    });
  }
}
