/**
 * @module supertokens/store/emailpassword — users (email and password hash) and password-reset tokens. [io]
 *
 * The users table is the EmailPassword recipe's; the implicit user endpoints (`routes/users.ts`) read
 * it through this part too, and `deleteUser` removes what every other part keys by the user id. A user's
 * tenants are its memberships (`store/usertenants.ts`); `tenantId` on a row is only the tenant it signed up in.
 */
import { isUniqueViolation, type ConsumedToken, type SqlDriver, type SqlExecutor } from './sql.ts';
import { accountInfoChangeRefused, inAccountLinkingTransaction } from './accountlinking.ts';
import { accountInfoTakenInUserTenants, deleteMemberships, insertMembership, updateMembershipAccountInfo } from './usertenants.ts';

export interface UserRow {
  appId: string;
  userId: string;
  tenantId: string;
  email: string;
  passwordHash: string;
  timeJoinedMs: number;
}

/** The EmailPassword recipe's rows (`routes/emailpassword.ts`, `routes/users.ts`). */
export interface EmailPasswordStore {
  /** Inserts a user and its membership of `row.tenantId`; returns false if the email is already taken in that tenant. */
  insertUser(row: UserRow): Promise<boolean>;
  getUser(appId: string, userId: string): Promise<UserRow | undefined>;
  getUserByEmail(appId: string, tenantId: string, email: string): Promise<UserRow | undefined>;
  /** Users of a tenant ordered by time joined (then id), starting after `after` when given. */
  listUsers(appId: string, tenantId: string, order: 'ASC' | 'DESC', limit: number, after?: { timeJoinedMs: number; userId: string }): Promise<UserRow[]>;
  /**
   * Returns 'ok', 'unknown-user', 'email-taken' (another email/password user has it in one of the
   * user's tenants, also when that user took it a moment ago) or 'email-change-not-allowed' (the user is
   * linked and another primary user has the email: the account-linking rule, checked in the same
   * transaction under the linking lock).
   */
  updateUser(appId: string, userId: string, change: { email?: string; passwordHash?: string }): Promise<EmailPasswordUpdateResult>;
  /** Deletes the user and everything keyed by the user id (sessions, roles, metadata, verification). */
  deleteUser(appId: string, userId: string): Promise<boolean>;

  insertPasswordResetToken(appId: string, tenantId: string, tokenHash: string, userId: string, email: string, expiresAtMs: number): Promise<void>;
  /** Consumes a token (and every other reset token of that user); undefined if unknown or expired. */
  consumePasswordResetToken(appId: string, tokenHash: string, nowMs: number): Promise<ConsumedToken | undefined>;
}

export type EmailPasswordUpdateResult = 'ok' | 'unknown-user' | 'email-taken' | 'email-change-not-allowed';

interface UserDbRow {
  app_id: string;
  user_id: string;
  tenant_id: string;
  email: string;
  password_hash: string;
  time_joined: number;
}

function toUser(r: UserDbRow): UserRow {
  return {
    appId: r.app_id,
    userId: r.user_id,
    tenantId: r.tenant_id,
    email: r.email,
    passwordHash: r.password_hash,
    timeJoinedMs: Number(r.time_joined),
  };
}

/** The `EmailPasswordStore` on top of a SQL driver. */
export class SqlEmailPasswordStore implements EmailPasswordStore {
  readonly #db: SqlDriver;

  constructor(driver: SqlDriver) {
    this.#db = driver;
  }

  async insertUser(row: UserRow): Promise<boolean> {
    return this.#db.transaction(async (tx) => {
      const member = { appId: row.appId, tenantId: row.tenantId, userId: row.userId, recipeId: 'emailpassword' as const, email: row.email };
      if (!(await insertMembership(tx, member))) return false;
      const changed = await tx.run(
        `INSERT INTO st_users (app_id, user_id, tenant_id, email, password_hash, time_joined) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT DO NOTHING`,
        [row.appId, row.userId, row.tenantId, row.email, row.passwordHash, row.timeJoinedMs],
      );
      if (changed !== 1) throw new Error('email/password user id collision');
      return true;
    });
  }

  async getUser(appId: string, userId: string): Promise<UserRow | undefined> {
    const rows = await this.#db.all<UserDbRow>('SELECT * FROM st_users WHERE app_id = ? AND user_id = ?', [appId, userId]);
    return rows[0] === undefined ? undefined : toUser(rows[0]);
  }

  async getUserByEmail(appId: string, tenantId: string, email: string): Promise<UserRow | undefined> {
    const rows = await this.#db.all<UserDbRow>(
      `SELECT u.* FROM st_users u JOIN st_user_tenants m ON m.app_id = u.app_id AND m.user_id = u.user_id
       WHERE m.app_id = ? AND m.tenant_id = ? AND m.recipe_id = 'emailpassword' AND m.email = ?`,
      [appId, tenantId, email],
    );
    return rows[0] === undefined ? undefined : toUser(rows[0]);
  }

  async listUsers(
    appId: string,
    tenantId: string,
    order: 'ASC' | 'DESC',
    limit: number,
    after?: { timeJoinedMs: number; userId: string },
  ): Promise<UserRow[]> {
    const cmp = order === 'ASC' ? '>' : '<';
    const rows =
      after === undefined
        ? await this.#db.all<UserDbRow>(
            `SELECT u.* FROM st_users u JOIN st_user_tenants m ON m.app_id = u.app_id AND m.user_id = u.user_id
             WHERE u.app_id = ? AND m.tenant_id = ? ORDER BY u.time_joined ${order}, u.user_id ${order} LIMIT ?`,
            [appId, tenantId, limit],
          )
        : await this.#db.all<UserDbRow>(
            `SELECT u.* FROM st_users u JOIN st_user_tenants m ON m.app_id = u.app_id AND m.user_id = u.user_id
             WHERE u.app_id = ? AND m.tenant_id = ?
               AND (u.time_joined ${cmp} ? OR (u.time_joined = ? AND u.user_id ${cmp} ?))
             ORDER BY u.time_joined ${order}, u.user_id ${order} LIMIT ?`,
            [appId, tenantId, after.timeJoinedMs, after.timeJoinedMs, after.userId, limit],
          );
    return rows.map(toUser);
  }

  async updateUser(appId: string, userId: string, change: { email?: string; passwordHash?: string }): Promise<EmailPasswordUpdateResult> {
    // An email change takes the account-linking lock (its rule reads links); a password change alone
    // (password reset) does not.
    const newEmail = change.email;
    const update = (tx: SqlExecutor) => this.#updateUser(tx, appId, userId, change);
    if (newEmail === undefined) return this.#db.transaction(update);
    try {
      return await inAccountLinkingTransaction(this.#db, appId, update);
    } catch (err) {
      // A sign-up or a change to the same email committed between the check and the update: the
      // unique index refused it and the transaction rolled back.
      if (isUniqueViolation(err)) return 'email-taken';
      throw err;
    }
  }

  async #updateUser(tx: SqlExecutor, appId: string, userId: string, change: { email?: string; passwordHash?: string }): Promise<EmailPasswordUpdateResult> {
    const rows = await tx.all<UserDbRow>('SELECT * FROM st_users WHERE app_id = ? AND user_id = ?', [appId, userId]);
    const user = rows[0];
    if (user === undefined) return 'unknown-user';
    if (change.email !== undefined && change.email !== user.email) {
      // A linked user may not take an email of another primary user (store/accountlinking.ts).
      if (await accountInfoChangeRefused(tx, appId, userId, { email: change.email })) return 'email-change-not-allowed';
      // Taken in any of the user's tenants (the memberships' unique index is the last word).
      if (await accountInfoTakenInUserTenants(tx, appId, userId, 'emailpassword', 'email', change.email)) return 'email-taken';
      await tx.run('UPDATE st_users SET email = ? WHERE app_id = ? AND user_id = ?', [change.email, appId, userId]);
      await updateMembershipAccountInfo(tx, appId, userId, { email: change.email });
    }
    if (change.passwordHash !== undefined) {
      await tx.run('UPDATE st_users SET password_hash = ? WHERE app_id = ? AND user_id = ?', [
        change.passwordHash,
        appId,
        userId,
      ]);
    }
    return 'ok';
  }

  async deleteUser(appId: string, userId: string): Promise<boolean> {
    return this.#db.transaction(async (tx) => {
      const n = await tx.run('DELETE FROM st_users WHERE app_id = ? AND user_id = ?', [appId, userId]);
      await deleteMemberships(tx, appId, userId);
      for (const table of [
        'st_sessions',
        'st_user_roles',
        'st_user_metadata',
        'st_verified_emails',
        'st_email_verification_tokens',
        'st_password_reset_tokens',
      ]) {
        await tx.run(`DELETE FROM ${table} WHERE app_id = ? AND user_id = ?`, [appId, userId]);
      }
      return n > 0;
    });
  }

  async insertPasswordResetToken(
    appId: string,
    tenantId: string,
    tokenHash: string,
    userId: string,
    email: string,
    expiresAtMs: number,
  ): Promise<void> {
    await this.#db.run(
      `INSERT INTO st_password_reset_tokens (app_id, token_hash, tenant_id, user_id, email, expires_at)
       VALUES (?, ?, ?, ?, ?, ?)`,
      [appId, tokenHash, tenantId, userId, email, expiresAtMs],
    );
  }

  async consumePasswordResetToken(appId: string, tokenHash: string, nowMs: number): Promise<ConsumedToken | undefined> {
    return this.#db.transaction(async (tx) => {
      const rows = await tx.all<{ user_id: string; email: string; expires_at: number }>(
        'DELETE FROM st_password_reset_tokens WHERE app_id = ? AND token_hash = ? RETURNING user_id, email, expires_at',
        [appId, tokenHash],
      );
      const row = rows[0];
      if (row === undefined) return undefined;
      await tx.run('DELETE FROM st_password_reset_tokens WHERE app_id = ? AND user_id = ?', [appId, row.user_id]);
      if (Number(row.expires_at) < nowMs) return undefined;
      return { userId: row.user_id, email: row.email, expiresAtMs: Number(row.expires_at) };
    });
  }
}
