/**
 * @module supertokens/store/sessions — session rows and their refresh lineage. [io]
 *
 * Concurrency rule: every change to a session's refresh lineage is a single compare-and-set
 * statement on `refresh_token_hash_2` (`casSessionRefreshHash`), so two instances (or two requests)
 * racing on one session can never both win; the loser re-reads and re-decides (spec §2.3).
 */
import { placeholders, type JsonObject, type SqlDriver } from './sql.ts';

export interface SessionRow {
  appId: string;
  handle: string;
  tenantId: string;
  /** Recipe user id. */
  userId: string;
  refreshTokenHash2: string;
  sessionData: JsonObject;
  jwtPayload: JsonObject;
  expiresAtMs: number;
  createdAtMs: number;
  useStaticKey: boolean;
}

/** The session recipe's rows (the state machine in `supertokens/sessions.ts`, `routes/session.ts`). */
export interface SessionStore {
  insertSession(row: SessionRow): Promise<void>;
  getSession(appId: string, handle: string): Promise<SessionRow | undefined>;
  /**
   * Compare-and-set of the refresh lineage: sets `refresh_token_hash_2 = next` and the new expiry only
   * if the row still holds `expected`. Returns false when another writer got there first (or the
   * session is gone).
   */
  casSessionRefreshHash(appId: string, handle: string, expected: string, next: string, expiresAtMs: number): Promise<boolean>;
  setSessionUseStaticKey(appId: string, handle: string, useStaticKey: boolean): Promise<void>;
  /** Returns false when the session does not exist. */
  updateSessionJwtPayload(appId: string, handle: string, payload: JsonObject): Promise<boolean>;
  updateSessionData(appId: string, handle: string, data: JsonObject): Promise<boolean>;
  /** Deletes the given sessions; returns the handles that existed. */
  deleteSessions(appId: string, handles: readonly string[]): Promise<string[]>;
  /** Handles of the user's sessions that have not expired; `tenantId` null means every tenant. */
  listSessionHandlesForUser(appId: string, tenantId: string | null, userId: string, nowMs: number): Promise<string[]>;
}

interface SessionDbRow {
  app_id: string;
  session_handle: string;
  tenant_id: string;
  user_id: string;
  refresh_token_hash_2: string;
  session_data: string;
  jwt_user_payload: string;
  expires_at: number;
  created_at: number;
  use_static_key: number;
}

function toSession(r: SessionDbRow): SessionRow {
  return {
    appId: r.app_id,
    handle: r.session_handle,
    tenantId: r.tenant_id,
    userId: r.user_id,
    refreshTokenHash2: r.refresh_token_hash_2,
    sessionData: JSON.parse(r.session_data) as JsonObject,
    jwtPayload: JSON.parse(r.jwt_user_payload) as JsonObject,
    expiresAtMs: Number(r.expires_at),
    createdAtMs: Number(r.created_at),
    useStaticKey: Number(r.use_static_key) === 1,
  };
}

/** The `SessionStore` on top of a SQL driver. */
export class SqlSessionStore implements SessionStore {
  readonly #db: SqlDriver;

  constructor(driver: SqlDriver) {
    this.#db = driver;
  }

  async insertSession(row: SessionRow): Promise<void> {
    await this.#db.run(
      `INSERT INTO st_sessions (app_id, session_handle, tenant_id, user_id, refresh_token_hash_2, session_data,
         jwt_user_payload, expires_at, created_at, use_static_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        row.appId,
        row.handle,
        row.tenantId,
        row.userId,
        row.refreshTokenHash2,
        JSON.stringify(row.sessionData),
        JSON.stringify(row.jwtPayload),
        row.expiresAtMs,
        row.createdAtMs,
        row.useStaticKey ? 1 : 0,
      ],
    );
  }

  async getSession(appId: string, handle: string): Promise<SessionRow | undefined> {
    const rows = await this.#db.all<SessionDbRow>('SELECT * FROM st_sessions WHERE app_id = ? AND session_handle = ?', [
      appId,
      handle,
    ]);
    return rows[0] === undefined ? undefined : toSession(rows[0]);
  }

  async casSessionRefreshHash(appId: string, handle: string, expected: string, next: string, expiresAtMs: number): Promise<boolean> {
    const changed = await this.#db.run(
      `UPDATE st_sessions SET refresh_token_hash_2 = ?, expires_at = ?
       WHERE app_id = ? AND session_handle = ? AND refresh_token_hash_2 = ?`,
      [next, expiresAtMs, appId, handle, expected],
    );
    return changed === 1;
  }

  async setSessionUseStaticKey(appId: string, handle: string, useStaticKey: boolean): Promise<void> {
    await this.#db.run('UPDATE st_sessions SET use_static_key = ? WHERE app_id = ? AND session_handle = ?', [
      useStaticKey ? 1 : 0,
      appId,
      handle,
    ]);
  }

  async updateSessionJwtPayload(appId: string, handle: string, payload: JsonObject): Promise<boolean> {
    const changed = await this.#db.run(
      'UPDATE st_sessions SET jwt_user_payload = ? WHERE app_id = ? AND session_handle = ?',
      [JSON.stringify(payload), appId, handle],
    );
    return changed === 1;
  }

  async updateSessionData(appId: string, handle: string, data: JsonObject): Promise<boolean> {
    const changed = await this.#db.run('UPDATE st_sessions SET session_data = ? WHERE app_id = ? AND session_handle = ?', [
      JSON.stringify(data),
      appId,
      handle,
    ]);
    return changed === 1;
  }

  async deleteSessions(appId: string, handles: readonly string[]): Promise<string[]> {
    if (handles.length === 0) return [];
    const rows = await this.#db.all<{ session_handle: string }>(
      `DELETE FROM st_sessions WHERE app_id = ? AND session_handle IN (${placeholders(handles.length)})
       RETURNING session_handle`,
      [appId, ...handles],
    );
    return rows.map((r) => r.session_handle);
  }

  async listSessionHandlesForUser(appId: string, tenantId: string | null, userId: string, nowMs: number): Promise<string[]> {
    const rows =
      tenantId === null
        ? await this.#db.all<{ session_handle: string }>(
            'SELECT session_handle FROM st_sessions WHERE app_id = ? AND user_id = ? AND expires_at >= ? ORDER BY created_at',
            [appId, userId, nowMs],
          )
        : await this.#db.all<{ session_handle: string }>(
            `SELECT session_handle FROM st_sessions WHERE app_id = ? AND tenant_id = ? AND user_id = ? AND expires_at >= ?
             ORDER BY created_at`,
            [appId, tenantId, userId, nowMs],
          );
    return rows.map((r) => r.session_handle);
  }
}
