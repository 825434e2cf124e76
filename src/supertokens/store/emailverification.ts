/**
 * @module supertokens/store/emailverification — verified emails and email-verification tokens. [io]
 */
import { placeholders, type ConsumedToken, type SqlDriver } from './sql.ts';

/** The EmailVerification recipe's rows (`routes/emailverification.ts`, `routes/users.ts`). */
export interface EmailVerificationStore {
  isEmailVerified(appId: string, userId: string, email: string): Promise<boolean>;
  /** Verified emails among `pairs`, as `userId\u0000email` keys. */
  listVerifiedEmails(appId: string, userIds: readonly string[]): Promise<Set<string>>;
  setEmailVerified(appId: string, userId: string, email: string, verified: boolean): Promise<void>;

  insertEmailVerificationToken(appId: string, tenantId: string, tokenHash: string, userId: string, email: string, expiresAtMs: number): Promise<void>;
  /** Consumes a token: deletes it and every token of the same user and email, marks the email verified. */
  consumeEmailVerificationToken(appId: string, tenantId: string, tokenHash: string, nowMs: number): Promise<ConsumedToken | undefined>;
  deleteEmailVerificationTokens(appId: string, tenantId: string, userId: string, email: string): Promise<void>;
}

/** The `EmailVerificationStore` on top of a SQL driver. */
export class SqlEmailVerificationStore implements EmailVerificationStore {
  readonly #db: SqlDriver;

  constructor(driver: SqlDriver) {
    this.#db = driver;
  }

  async isEmailVerified(appId: string, userId: string, email: string): Promise<boolean> {
    const rows = await this.#db.all('SELECT 1 AS x FROM st_verified_emails WHERE app_id = ? AND user_id = ? AND email = ?', [
      appId,
      userId,
      email,
    ]);
    return rows.length > 0;
  }

  async listVerifiedEmails(appId: string, userIds: readonly string[]): Promise<Set<string>> {
    if (userIds.length === 0) return new Set();
    const rows = await this.#db.all<{ user_id: string; email: string }>(
      `SELECT user_id, email FROM st_verified_emails WHERE app_id = ? AND user_id IN (${placeholders(userIds.length)})`,
      [appId, ...userIds],
    );
    return new Set(rows.map((r) => `${r.user_id}\u0000${r.email}`));
  }

  async setEmailVerified(appId: string, userId: string, email: string, verified: boolean): Promise<void> {
    if (verified) {
      await this.#db.run(
        'INSERT INTO st_verified_emails (app_id, user_id, email) VALUES (?, ?, ?) ON CONFLICT DO NOTHING',
        [appId, userId, email],
      );
    } else {
      await this.#db.run('DELETE FROM st_verified_emails WHERE app_id = ? AND user_id = ? AND email = ?', [
        appId,
        userId,
        email,
      ]);
    }
  }

  async insertEmailVerificationToken(
    appId: string,
    tenantId: string,
    tokenHash: string,
    userId: string,
    email: string,
    expiresAtMs: number,
  ): Promise<void> {
    await this.#db.run(
      `INSERT INTO st_email_verification_tokens (app_id, tenant_id, token_hash, user_id, email, expires_at)
       VALUES (?, ?, ?, ?, ?, ?)`,
      [appId, tenantId, tokenHash, userId, email, expiresAtMs],
    );
  }

  async consumeEmailVerificationToken(
    appId: string,
    tenantId: string,
    tokenHash: string,
    nowMs: number,
  ): Promise<ConsumedToken | undefined> {
    return this.#db.transaction(async (tx) => {
      const rows = await tx.all<{ user_id: string; email: string; expires_at: number }>(
        `DELETE FROM st_email_verification_tokens WHERE app_id = ? AND tenant_id = ? AND token_hash = ?
         RETURNING user_id, email, expires_at`,
        [appId, tenantId, tokenHash],
      );
      const row = rows[0];
      if (row === undefined || Number(row.expires_at) < nowMs) return undefined;
      await tx.run(
        'DELETE FROM st_email_verification_tokens WHERE app_id = ? AND tenant_id = ? AND user_id = ? AND email = ?',
        [appId, tenantId, row.user_id, row.email],
      );
      await tx.run('INSERT INTO st_verified_emails (app_id, user_id, email) VALUES (?, ?, ?) ON CONFLICT DO NOTHING', [
        appId,
        row.user_id,
        row.email,
      ]);
      return { userId: row.user_id, email: row.email, expiresAtMs: Number(row.expires_at) };
    });
  }

  async deleteEmailVerificationTokens(appId: string, tenantId: string, userId: string, email: string): Promise<void> {
    await this.#db.run(
      'DELETE FROM st_email_verification_tokens WHERE app_id = ? AND tenant_id = ? AND user_id = ? AND email = ?',
      [appId, tenantId, userId, email],
    );
  }
}
