/**
 * @module supertokens/store/usermetadata — one JSON object per user. [io]
 */
import type { JsonObject, SqlDriver } from './sql.ts';

/** The UserMetadata recipe's rows (`routes/users.ts`). */
export interface UserMetadataStore {
  getUserMetadata(appId: string, userId: string): Promise<JsonObject>;
  /** Shallow-merges `update` into the stored metadata (a `null` value removes the key); returns the result. */
  mergeUserMetadata(appId: string, userId: string, update: JsonObject): Promise<JsonObject>;
  deleteUserMetadata(appId: string, userId: string): Promise<void>;
}

/** The `UserMetadataStore` on top of a SQL driver. */
export class SqlUserMetadataStore implements UserMetadataStore {
  readonly #db: SqlDriver;

  constructor(driver: SqlDriver) {
    this.#db = driver;
  }

  async getUserMetadata(appId: string, userId: string): Promise<JsonObject> {
    const rows = await this.#db.all<{ metadata: string }>(
      'SELECT metadata FROM st_user_metadata WHERE app_id = ? AND user_id = ?',
      [appId, userId],
    );
    return rows[0] === undefined ? {} : (JSON.parse(rows[0].metadata) as JsonObject);
  }

  async mergeUserMetadata(appId: string, userId: string, update: JsonObject): Promise<JsonObject> {
    return this.#db.transaction(async (tx) => {
      // Read-modify-write: make sure the row exists, then lock it (SQLite's write lock already serialises).
      await tx.run("INSERT INTO st_user_metadata (app_id, user_id, metadata) VALUES (?, ?, '{}') ON CONFLICT DO NOTHING", [
        appId,
        userId,
      ]);
      const rows = await tx.all<{ metadata: string }>(
        `SELECT metadata FROM st_user_metadata WHERE app_id = ? AND user_id = ?${this.#db.kind === 'postgres' ? ' FOR UPDATE' : ''}`,
        [appId, userId],
      );
      const metadata = rows[0] === undefined ? {} : (JSON.parse(rows[0].metadata) as JsonObject);
      for (const [key, value] of Object.entries(update)) {
        if (value === null) delete metadata[key];
        else metadata[key] = value;
      }
      await tx.run(
        `INSERT INTO st_user_metadata (app_id, user_id, metadata) VALUES (?, ?, ?)
         ON CONFLICT (app_id, user_id) DO UPDATE SET metadata = excluded.metadata`,
        [appId, userId, JSON.stringify(metadata)],
      );
      return metadata;
    });
  }

  async deleteUserMetadata(appId: string, userId: string): Promise<void> {
    await this.#db.run('DELETE FROM st_user_metadata WHERE app_id = ? AND user_id = ?', [appId, userId]);
  }
}
