/**
 * @module supertokens/store — the one storage interface of the core, and its SQL implementation. [io]
 *
 * `Store` is narrow and named after what the recipes need. Both backends share one implementation,
 * `SqlStore`, written in the SQL subset SQLite (>= 3.35) and PostgreSQL (>= 12) agree on: `?`
 * placeholders (rewritten to `$n` for pg), `ON CONFLICT DO NOTHING`, `RETURNING`, integers for
 * booleans and times (ms since epoch), JSON as text. The drivers (`store-sqlite.ts`,
 * `store-postgres.ts`) only execute statements and run transactions.
 *
 * Concurrency rule: every change to a session's refresh lineage is a single compare-and-set
 * statement on `refresh_token_hash_2` (`casSessionRefreshHash`), so two instances (or two requests)
 * racing on one session can never both win; the loser re-reads and re-decides (spec §2.3).
 *
 * Must not: log rows (they hold password hashes and private keys).
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** A statement runner. `?` placeholders; values are strings, numbers or null. */
export interface SqlExecutor {
  all<T = Record<string, unknown>>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  /** Runs a statement and returns the number of changed rows. */
  run(sql: string, params?: readonly SqlValue[]): Promise<number>;
}
export type SqlValue = string | number | null;

/** What a backend provides: statements, transactions, a health check and closing. */
export interface SqlDriver extends SqlExecutor {
  readonly kind: 'sqlite' | 'postgres';
  /** Runs `fn` in one transaction; a throw rolls back. */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  /** Serialises concurrent migrators (pg advisory lock; SQLite's write lock does it already). */
  lockForMigration(tx: SqlExecutor): Promise<void>;
  close(): Promise<void>;
  /** A human-readable location for the start-up line (`sqlite: .portcullis/core.sqlite`). */
  readonly description: string;
}

export interface SigningKeyRow {
  appId: string;
  kid: string;
  kind: 'dynamic' | 'static';
  /** Generation number: unique per (app, kind), so two instances cannot both add "the next" key. */
  seq: number;
  createdAtMs: number;
  /** Public JWK (RSA `n`, `e`) as JSON text. */
  publicJwk: string;
  /** PKCS#8 PEM. Never log. */
  privatePem: string;
}

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

export interface UserRow {
  appId: string;
  userId: string;
  tenantId: string;
  email: string;
  passwordHash: string;
  timeJoinedMs: number;
}

/** A consumed single-use token: who it was for. */
export interface ConsumedToken {
  userId: string;
  email: string;
  expiresAtMs: number;
}

export interface CleanupResult {
  sessions: number;
  emailVerificationTokens: number;
  passwordResetTokens: number;
}

/** Ordered migrations; the index + 1 is the version. Append only, never edit a released entry. */
export const MIGRATIONS: readonly (readonly string[])[] = [
  [
    `CREATE TABLE st_app_secrets (app_id TEXT NOT NULL, name TEXT NOT NULL, value TEXT NOT NULL,
       PRIMARY KEY (app_id, name))`,
    `CREATE TABLE st_signing_keys (app_id TEXT NOT NULL, kid TEXT NOT NULL, kind TEXT NOT NULL,
       seq BIGINT NOT NULL, created_at BIGINT NOT NULL, public_jwk TEXT NOT NULL, private_pem TEXT NOT NULL,
       PRIMARY KEY (app_id, kid), UNIQUE (app_id, kind, seq))`,
    `CREATE TABLE st_sessions (app_id TEXT NOT NULL, session_handle TEXT NOT NULL, tenant_id TEXT NOT NULL,
       user_id TEXT NOT NULL, refresh_token_hash_2 TEXT NOT NULL, session_data TEXT NOT NULL,
       jwt_user_payload TEXT NOT NULL, expires_at BIGINT NOT NULL, created_at BIGINT NOT NULL,
       use_static_key INTEGER NOT NULL, PRIMARY KEY (app_id, session_handle))`,
    `CREATE INDEX st_sessions_user ON st_sessions (app_id, user_id)`,
    `CREATE INDEX st_sessions_expires ON st_sessions (expires_at)`,
    `CREATE TABLE st_users (app_id TEXT NOT NULL, user_id TEXT NOT NULL, tenant_id TEXT NOT NULL,
       email TEXT NOT NULL, password_hash TEXT NOT NULL, time_joined BIGINT NOT NULL,
       PRIMARY KEY (app_id, user_id), UNIQUE (app_id, tenant_id, email))`,
    `CREATE INDEX st_users_joined ON st_users (app_id, tenant_id, time_joined)`,
    `CREATE TABLE st_email_verification_tokens (app_id TEXT NOT NULL, tenant_id TEXT NOT NULL,
       token_hash TEXT NOT NULL, user_id TEXT NOT NULL, email TEXT NOT NULL, expires_at BIGINT NOT NULL,
       PRIMARY KEY (app_id, tenant_id, token_hash))`,
    `CREATE INDEX st_ev_tokens_user ON st_email_verification_tokens (app_id, tenant_id, user_id, email)`,
    `CREATE TABLE st_verified_emails (app_id TEXT NOT NULL, user_id TEXT NOT NULL, email TEXT NOT NULL,
       PRIMARY KEY (app_id, user_id, email))`,
    `CREATE TABLE st_password_reset_tokens (app_id TEXT NOT NULL, token_hash TEXT NOT NULL,
       tenant_id TEXT NOT NULL, user_id TEXT NOT NULL, email TEXT NOT NULL, expires_at BIGINT NOT NULL,
       PRIMARY KEY (app_id, token_hash))`,
    `CREATE INDEX st_reset_tokens_user ON st_password_reset_tokens (app_id, user_id)`,
    `CREATE TABLE st_roles (app_id TEXT NOT NULL, role TEXT NOT NULL, PRIMARY KEY (app_id, role))`,
    `CREATE TABLE st_role_permissions (app_id TEXT NOT NULL, role TEXT NOT NULL, permission TEXT NOT NULL,
       PRIMARY KEY (app_id, role, permission))`,
    `CREATE INDEX st_role_permissions_permission ON st_role_permissions (app_id, permission)`,
    `CREATE TABLE st_user_roles (app_id TEXT NOT NULL, tenant_id TEXT NOT NULL, user_id TEXT NOT NULL,
       role TEXT NOT NULL, PRIMARY KEY (app_id, tenant_id, user_id, role))`,
    `CREATE INDEX st_user_roles_role ON st_user_roles (app_id, tenant_id, role)`,
    `CREATE TABLE st_user_metadata (app_id TEXT NOT NULL, user_id TEXT NOT NULL, metadata TEXT NOT NULL,
       PRIMARY KEY (app_id, user_id))`,
  ],
];

/**
 * The storage interface. All methods are scoped by app; times are ms since the epoch.
 * Stores throw `StoreUnavailableError` when the database cannot be reached.
 */
export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  readonly description: string;
  /** Applies pending migrations; returns the schema version. Safe to call from many instances at once. */
  migrate(): Promise<number>;
  close(): Promise<void>;

  /** Returns the stored secret, inserting `candidate` first if there is none (first writer wins). */
  getOrCreateAppSecret(appId: string, name: string, candidate: string): Promise<string>;

  listSigningKeys(appId: string): Promise<SigningKeyRow[]>;
  /** Inserts a key unless one with the same (app, kind, seq) exists; returns whether it was inserted. */
  insertSigningKey(key: SigningKeyRow): Promise<boolean>;
  deleteSigningKeys(appId: string, kids: readonly string[]): Promise<number>;

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

  /** Inserts a user; returns false if the email is already taken in that tenant. */
  insertUser(row: UserRow): Promise<boolean>;
  getUser(appId: string, userId: string): Promise<UserRow | undefined>;
  getUserByEmail(appId: string, tenantId: string, email: string): Promise<UserRow | undefined>;
  /** Users of a tenant ordered by time joined (then id), starting after `after` when given. */
  listUsers(appId: string, tenantId: string, order: 'ASC' | 'DESC', limit: number, after?: { timeJoinedMs: number; userId: string }): Promise<UserRow[]>;
  /** Returns 'ok', 'unknown-user' or 'email-taken'. */
  updateUser(appId: string, userId: string, change: { email?: string; passwordHash?: string }): Promise<'ok' | 'unknown-user' | 'email-taken'>;
  /** Deletes the user and everything keyed by the user id (sessions, roles, metadata, verification). */
  deleteUser(appId: string, userId: string): Promise<boolean>;
  isEmailVerified(appId: string, userId: string, email: string): Promise<boolean>;
  /** Verified emails among `pairs`, as `userId\u0000email` keys. */
  listVerifiedEmails(appId: string, userIds: readonly string[]): Promise<Set<string>>;
  setEmailVerified(appId: string, userId: string, email: string, verified: boolean): Promise<void>;

  insertEmailVerificationToken(appId: string, tenantId: string, tokenHash: string, userId: string, email: string, expiresAtMs: number): Promise<void>;
  /** Consumes a token: deletes it and every token of the same user and email, marks the email verified. */
  consumeEmailVerificationToken(appId: string, tenantId: string, tokenHash: string, nowMs: number): Promise<ConsumedToken | undefined>;
  deleteEmailVerificationTokens(appId: string, tenantId: string, userId: string, email: string): Promise<void>;

  insertPasswordResetToken(appId: string, tenantId: string, tokenHash: string, userId: string, email: string, expiresAtMs: number): Promise<void>;
  /** Consumes a token (and every other reset token of that user); undefined if unknown or expired. */
  consumePasswordResetToken(appId: string, tokenHash: string, nowMs: number): Promise<ConsumedToken | undefined>;

  /** Creates the role if missing and adds permissions; returns whether the role was new. */
  createRoleOrAddPermissions(appId: string, role: string, permissions: readonly string[]): Promise<boolean>;
  roleExists(appId: string, role: string): Promise<boolean>;
  getRolePermissions(appId: string, role: string): Promise<string[]>;
  /** Removes the given permissions, or all when `permissions` is undefined. */
  removeRolePermissions(appId: string, role: string, permissions: readonly string[] | undefined): Promise<void>;
  /** Deletes the role, its permissions and its assignments; returns whether it existed. */
  deleteRole(appId: string, role: string): Promise<boolean>;
  listRoles(appId: string): Promise<string[]>;
  getRolesForPermission(appId: string, permission: string): Promise<string[]>;
  /** Returns whether the user already had the role. */
  addUserRole(appId: string, tenantId: string, userId: string, role: string): Promise<boolean>;
  /** Returns whether the user had the role. */
  removeUserRole(appId: string, tenantId: string, userId: string, role: string): Promise<boolean>;
  getUserRoles(appId: string, tenantId: string, userId: string): Promise<string[]>;
  getUsersWithRole(appId: string, tenantId: string, role: string): Promise<string[]>;

  getUserMetadata(appId: string, userId: string): Promise<JsonObject>;
  /** Shallow-merges `update` into the stored metadata (a `null` value removes the key); returns the result. */
  mergeUserMetadata(appId: string, userId: string, update: JsonObject): Promise<JsonObject>;
  deleteUserMetadata(appId: string, userId: string): Promise<void>;

  /** Deletes expired sessions and tokens. */
  deleteExpired(nowMs: number): Promise<CleanupResult>;
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
interface UserDbRow {
  app_id: string;
  user_id: string;
  tenant_id: string;
  email: string;
  password_hash: string;
  time_joined: number;
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

function placeholders(n: number): string {
  return Array.from({ length: n }, () => '?').join(', ');
}

/** The `Store` on top of a SQL driver. */
export class SqlStore implements Store {
  readonly #db: SqlDriver;

  constructor(driver: SqlDriver) {
    this.#db = driver;
  }

  get kind(): 'sqlite' | 'postgres' {
    return this.#db.kind;
  }
  get description(): string {
    return this.#db.description;
  }

  async migrate(): Promise<number> {
    return this.#db.transaction(async (tx) => {
      await this.#db.lockForMigration(tx);
      await tx.run(
        'CREATE TABLE IF NOT EXISTS st_schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)',
      );
      const rows = await tx.all<{ v: number | null }>('SELECT MAX(version) AS v FROM st_schema_migrations');
      const current = Number(rows[0]?.v ?? 0);
      for (let version = current + 1; version <= MIGRATIONS.length; version++) {
        for (const statement of MIGRATIONS[version - 1] ?? []) await tx.run(statement);
        await tx.run('INSERT INTO st_schema_migrations (version, applied_at) VALUES (?, ?)', [version, Date.now()]);
      }
      return MIGRATIONS.length;
    });
  }

  close(): Promise<void> {
    return this.#db.close();
  }

  async getOrCreateAppSecret(appId: string, name: string, candidate: string): Promise<string> {
    await this.#db.run('INSERT INTO st_app_secrets (app_id, name, value) VALUES (?, ?, ?) ON CONFLICT DO NOTHING', [
      appId,
      name,
      candidate,
    ]);
    const rows = await this.#db.all<{ value: string }>('SELECT value FROM st_app_secrets WHERE app_id = ? AND name = ?', [
      appId,
      name,
    ]);
    const value = rows[0]?.value;
    if (value === undefined) throw new Error(`app secret ${name} vanished after insert`);
    return value;
  }

  async listSigningKeys(appId: string): Promise<SigningKeyRow[]> {
    const rows = await this.#db.all<{
      app_id: string;
      kid: string;
      kind: string;
      seq: number;
      created_at: number;
      public_jwk: string;
      private_pem: string;
    }>('SELECT * FROM st_signing_keys WHERE app_id = ? ORDER BY created_at DESC', [appId]);
    return rows.map((r) => ({
      appId: r.app_id,
      kid: r.kid,
      kind: r.kind === 'static' ? 'static' : 'dynamic',
      seq: Number(r.seq),
      createdAtMs: Number(r.created_at),
      publicJwk: r.public_jwk,
      privatePem: r.private_pem,
    }));
  }

  async insertSigningKey(key: SigningKeyRow): Promise<boolean> {
    const changed = await this.#db.run(
      `INSERT INTO st_signing_keys (app_id, kid, kind, seq, created_at, public_jwk, private_pem)
       VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
      [key.appId, key.kid, key.kind, key.seq, key.createdAtMs, key.publicJwk, key.privatePem],
    );
    return changed === 1;
  }

  async deleteSigningKeys(appId: string, kids: readonly string[]): Promise<number> {
    if (kids.length === 0) return 0;
    return this.#db.run(`DELETE FROM st_signing_keys WHERE app_id = ? AND kid IN (${placeholders(kids.length)})`, [
      appId,
      ...kids,
    ]);
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

  async insertUser(row: UserRow): Promise<boolean> {
    const changed = await this.#db.run(
      `INSERT INTO st_users (app_id, user_id, tenant_id, email, password_hash, time_joined) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT DO NOTHING`,
      [row.appId, row.userId, row.tenantId, row.email, row.passwordHash, row.timeJoinedMs],
    );
    return changed === 1;
  }

  async getUser(appId: string, userId: string): Promise<UserRow | undefined> {
    const rows = await this.#db.all<UserDbRow>('SELECT * FROM st_users WHERE app_id = ? AND user_id = ?', [appId, userId]);
    return rows[0] === undefined ? undefined : toUser(rows[0]);
  }

  async getUserByEmail(appId: string, tenantId: string, email: string): Promise<UserRow | undefined> {
    const rows = await this.#db.all<UserDbRow>('SELECT * FROM st_users WHERE app_id = ? AND tenant_id = ? AND email = ?', [
      appId,
      tenantId,
      email,
    ]);
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
            `SELECT * FROM st_users WHERE app_id = ? AND tenant_id = ? ORDER BY time_joined ${order}, user_id ${order} LIMIT ?`,
            [appId, tenantId, limit],
          )
        : await this.#db.all<UserDbRow>(
            `SELECT * FROM st_users WHERE app_id = ? AND tenant_id = ?
               AND (time_joined ${cmp} ? OR (time_joined = ? AND user_id ${cmp} ?))
             ORDER BY time_joined ${order}, user_id ${order} LIMIT ?`,
            [appId, tenantId, after.timeJoinedMs, after.timeJoinedMs, after.userId, limit],
          );
    return rows.map(toUser);
  }

  async updateUser(
    appId: string,
    userId: string,
    change: { email?: string; passwordHash?: string },
  ): Promise<'ok' | 'unknown-user' | 'email-taken'> {
    return this.#db.transaction(async (tx) => {
      const rows = await tx.all<UserDbRow>('SELECT * FROM st_users WHERE app_id = ? AND user_id = ?', [appId, userId]);
      const user = rows[0];
      if (user === undefined) return 'unknown-user';
      if (change.email !== undefined && change.email !== user.email) {
        const clash = await tx.all('SELECT 1 AS x FROM st_users WHERE app_id = ? AND tenant_id = ? AND email = ?', [
          appId,
          user.tenant_id,
          change.email,
        ]);
        if (clash.length > 0) return 'email-taken';
        await tx.run('UPDATE st_users SET email = ? WHERE app_id = ? AND user_id = ?', [change.email, appId, userId]);
      }
      if (change.passwordHash !== undefined) {
        await tx.run('UPDATE st_users SET password_hash = ? WHERE app_id = ? AND user_id = ?', [
          change.passwordHash,
          appId,
          userId,
        ]);
      }
      return 'ok';
    });
  }

  async deleteUser(appId: string, userId: string): Promise<boolean> {
    return this.#db.transaction(async (tx) => {
      const n = await tx.run('DELETE FROM st_users WHERE app_id = ? AND user_id = ?', [appId, userId]);
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

  async createRoleOrAddPermissions(appId: string, role: string, permissions: readonly string[]): Promise<boolean> {
    return this.#db.transaction(async (tx) => {
      const created = await tx.run('INSERT INTO st_roles (app_id, role) VALUES (?, ?) ON CONFLICT DO NOTHING', [appId, role]);
      for (const permission of new Set(permissions)) {
        await tx.run(
          'INSERT INTO st_role_permissions (app_id, role, permission) VALUES (?, ?, ?) ON CONFLICT DO NOTHING',
          [appId, role, permission],
        );
      }
      return created === 1;
    });
  }

  async roleExists(appId: string, role: string): Promise<boolean> {
    const rows = await this.#db.all('SELECT 1 AS x FROM st_roles WHERE app_id = ? AND role = ?', [appId, role]);
    return rows.length > 0;
  }

  async getRolePermissions(appId: string, role: string): Promise<string[]> {
    const rows = await this.#db.all<{ permission: string }>(
      'SELECT permission FROM st_role_permissions WHERE app_id = ? AND role = ? ORDER BY permission',
      [appId, role],
    );
    return rows.map((r) => r.permission);
  }

  async removeRolePermissions(appId: string, role: string, permissions: readonly string[] | undefined): Promise<void> {
    if (permissions === undefined) {
      await this.#db.run('DELETE FROM st_role_permissions WHERE app_id = ? AND role = ?', [appId, role]);
      return;
    }
    if (permissions.length === 0) return;
    await this.#db.run(
      `DELETE FROM st_role_permissions WHERE app_id = ? AND role = ? AND permission IN (${placeholders(permissions.length)})`,
      [appId, role, ...permissions],
    );
  }

  async deleteRole(appId: string, role: string): Promise<boolean> {
    return this.#db.transaction(async (tx) => {
      const n = await tx.run('DELETE FROM st_roles WHERE app_id = ? AND role = ?', [appId, role]);
      await tx.run('DELETE FROM st_role_permissions WHERE app_id = ? AND role = ?', [appId, role]);
      await tx.run('DELETE FROM st_user_roles WHERE app_id = ? AND role = ?', [appId, role]);
      return n > 0;
    });
  }

  async listRoles(appId: string): Promise<string[]> {
    const rows = await this.#db.all<{ role: string }>('SELECT role FROM st_roles WHERE app_id = ? ORDER BY role', [appId]);
    return rows.map((r) => r.role);
  }

  async getRolesForPermission(appId: string, permission: string): Promise<string[]> {
    const rows = await this.#db.all<{ role: string }>(
      'SELECT role FROM st_role_permissions WHERE app_id = ? AND permission = ? ORDER BY role',
      [appId, permission],
    );
    return rows.map((r) => r.role);
  }

  async addUserRole(appId: string, tenantId: string, userId: string, role: string): Promise<boolean> {
    const n = await this.#db.run(
      'INSERT INTO st_user_roles (app_id, tenant_id, user_id, role) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING',
      [appId, tenantId, userId, role],
    );
    return n === 0;
  }

  async removeUserRole(appId: string, tenantId: string, userId: string, role: string): Promise<boolean> {
    const n = await this.#db.run('DELETE FROM st_user_roles WHERE app_id = ? AND tenant_id = ? AND user_id = ? AND role = ?', [
      appId,
      tenantId,
      userId,
      role,
    ]);
    return n > 0;
  }

  async getUserRoles(appId: string, tenantId: string, userId: string): Promise<string[]> {
    const rows = await this.#db.all<{ role: string }>(
      'SELECT role FROM st_user_roles WHERE app_id = ? AND tenant_id = ? AND user_id = ? ORDER BY role',
      [appId, tenantId, userId],
    );
    return rows.map((r) => r.role);
  }

  async getUsersWithRole(appId: string, tenantId: string, role: string): Promise<string[]> {
    const rows = await this.#db.all<{ user_id: string }>(
      'SELECT user_id FROM st_user_roles WHERE app_id = ? AND tenant_id = ? AND role = ? ORDER BY user_id',
      [appId, tenantId, role],
    );
    return rows.map((r) => r.user_id);
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

  async deleteExpired(nowMs: number): Promise<CleanupResult> {
    const sessions = await this.#db.run('DELETE FROM st_sessions WHERE expires_at < ?', [nowMs]);
    const emailVerificationTokens = await this.#db.run('DELETE FROM st_email_verification_tokens WHERE expires_at < ?', [
      nowMs,
    ]);
    const passwordResetTokens = await this.#db.run('DELETE FROM st_password_reset_tokens WHERE expires_at < ?', [nowMs]);
    return { sessions, emailVerificationTokens, passwordResetTokens };
  }
}
