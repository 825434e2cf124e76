/**
 * @module supertokens/store/migrations — the schema of every part, as versioned migrations, and the
 * migrator. [io]
 *
 * The migrations stay one list rather than one per part: the version number orders them across
 * parts, and a released entry is never edited.
 */
import type { SqlDriver } from './sql.ts';

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
  // 2: sign-in rate-limit buckets (store/ratelimit.ts).
  [
    // Sign-in rate-limit buckets, shared by every instance (store/ratelimit.ts).
    `CREATE TABLE st_rate_limit_buckets (bucket_key TEXT NOT NULL PRIMARY KEY, tokens DOUBLE PRECISION NOT NULL,
       updated_at BIGINT NOT NULL, capacity DOUBLE PRECISION NOT NULL, per_ms DOUBLE PRECISION NOT NULL)`,
    `CREATE INDEX st_rate_limit_buckets_updated ON st_rate_limit_buckets (updated_at)`,
  ],
  // 3: UserIdMapping (store/useridmapping.ts).
  [
    `CREATE TABLE st_userid_mapping (app_id TEXT NOT NULL, supertokens_user_id TEXT NOT NULL,
       external_user_id TEXT NOT NULL, external_user_id_info TEXT,
       PRIMARY KEY (app_id, supertokens_user_id), UNIQUE (app_id, external_user_id))`,
  ],
  // 4: ThirdParty users (store/thirdparty.ts).
  [
    `CREATE TABLE st_thirdparty_users (app_id TEXT NOT NULL, user_id TEXT NOT NULL, tenant_id TEXT NOT NULL,
       third_party_id TEXT NOT NULL, third_party_user_id TEXT NOT NULL, email TEXT NOT NULL,
       time_joined BIGINT NOT NULL, PRIMARY KEY (app_id, user_id),
       UNIQUE (app_id, tenant_id, third_party_id, third_party_user_id))`,
    `CREATE INDEX st_thirdparty_users_email ON st_thirdparty_users (app_id, tenant_id, email)`,
    `CREATE INDEX st_thirdparty_users_joined ON st_thirdparty_users (app_id, tenant_id, time_joined)`,
  ],
  // 5: Passwordless users, devices and codes (store/passwordless.ts). Codes are stored as hashes only.
  [
    `CREATE TABLE st_passwordless_users (app_id TEXT NOT NULL, user_id TEXT NOT NULL, tenant_id TEXT NOT NULL,
       email TEXT, phone_number TEXT, time_joined BIGINT NOT NULL, PRIMARY KEY (app_id, user_id),
       UNIQUE (app_id, tenant_id, email), UNIQUE (app_id, tenant_id, phone_number))`,
    `CREATE INDEX st_passwordless_users_joined ON st_passwordless_users (app_id, tenant_id, time_joined)`,
    `CREATE TABLE st_passwordless_devices (app_id TEXT NOT NULL, tenant_id TEXT NOT NULL, device_id_hash TEXT NOT NULL,
       email TEXT, phone_number TEXT, failed_attempts INTEGER NOT NULL, PRIMARY KEY (app_id, tenant_id, device_id_hash))`,
    `CREATE INDEX st_passwordless_devices_email ON st_passwordless_devices (app_id, tenant_id, email)`,
    `CREATE INDEX st_passwordless_devices_phone ON st_passwordless_devices (app_id, tenant_id, phone_number)`,
    `CREATE TABLE st_passwordless_codes (app_id TEXT NOT NULL, tenant_id TEXT NOT NULL, code_id TEXT NOT NULL,
       device_id_hash TEXT NOT NULL, link_code_hash TEXT NOT NULL, created_at BIGINT NOT NULL,
       expires_at BIGINT NOT NULL, PRIMARY KEY (app_id, tenant_id, code_id), UNIQUE (app_id, tenant_id, link_code_hash))`,
    `CREATE INDEX st_passwordless_codes_device ON st_passwordless_codes (app_id, tenant_id, device_id_hash)`,
    `CREATE INDEX st_passwordless_codes_expires ON st_passwordless_codes (expires_at)`,
  ],
  // 6: Multitenancy: tenants created at runtime (store/multitenancy.ts).
  [
    `CREATE TABLE st_tenants (app_id TEXT NOT NULL, tenant_id TEXT NOT NULL, config TEXT NOT NULL,
       created_at BIGINT NOT NULL, PRIMARY KEY (app_id, tenant_id))`,
  ],
  // 7: Account linking (store/accountlinking.ts): an overlay on the recipe users. A recipe user with no
  // row is an unlinked, non-primary user, so existing databases need no data rewritten; a primary user
  // P has the row (P, P) while its own login method exists, and each user linked to it a row (R, P).
  [
    `CREATE TABLE st_account_links (app_id TEXT NOT NULL, recipe_user_id TEXT NOT NULL,
       primary_user_id TEXT NOT NULL, linked_at BIGINT NOT NULL, PRIMARY KEY (app_id, recipe_user_id))`,
    `CREATE INDEX st_account_links_primary ON st_account_links (app_id, primary_user_id)`,
  ],
  // 8: A user in several tenants (store/usertenants.ts): one membership row per (tenant, user), carrying the
  // recipe's account info so that its per-tenant uniqueness is the database's (partial unique indexes), not a
  // racy check. Back-filled from the tenant each user signed up in; the recipe tables lose their per-tenant
  // UNIQUE constraints (rebuilt: SQLite cannot drop a constraint), their `tenant_id` now only the tenant of sign-up.
  [
    `CREATE TABLE st_user_tenants (app_id TEXT NOT NULL, tenant_id TEXT NOT NULL, user_id TEXT NOT NULL,
       recipe_id TEXT NOT NULL, email TEXT, phone_number TEXT, third_party_id TEXT, third_party_user_id TEXT,
       PRIMARY KEY (app_id, tenant_id, user_id))`,
    `CREATE INDEX st_user_tenants_user ON st_user_tenants (app_id, user_id)`,
    `CREATE UNIQUE INDEX st_user_tenants_ep_email ON st_user_tenants (app_id, tenant_id, email) WHERE recipe_id = 'emailpassword'`,
    `CREATE UNIQUE INDEX st_user_tenants_tp_user ON st_user_tenants (app_id, tenant_id, third_party_id, third_party_user_id)
       WHERE recipe_id = 'thirdparty'`,
    `CREATE UNIQUE INDEX st_user_tenants_pl_email ON st_user_tenants (app_id, tenant_id, email) WHERE recipe_id = 'passwordless'`,
    `CREATE UNIQUE INDEX st_user_tenants_pl_phone ON st_user_tenants (app_id, tenant_id, phone_number) WHERE recipe_id = 'passwordless'`,
    `INSERT INTO st_user_tenants (app_id, tenant_id, user_id, recipe_id, email)
       SELECT app_id, tenant_id, user_id, 'emailpassword', email FROM st_users`,
    `INSERT INTO st_user_tenants (app_id, tenant_id, user_id, recipe_id, third_party_id, third_party_user_id)
       SELECT app_id, tenant_id, user_id, 'thirdparty', third_party_id, third_party_user_id FROM st_thirdparty_users`,
    `INSERT INTO st_user_tenants (app_id, tenant_id, user_id, recipe_id, email, phone_number)
       SELECT app_id, tenant_id, user_id, 'passwordless', email, phone_number FROM st_passwordless_users`,
    // The recipe tables, rebuilt with the same columns in the same order, without the per-tenant UNIQUEs.
    `CREATE TABLE st_users_v8 (app_id TEXT NOT NULL, user_id TEXT NOT NULL, tenant_id TEXT NOT NULL,
       email TEXT NOT NULL, password_hash TEXT NOT NULL, time_joined BIGINT NOT NULL, PRIMARY KEY (app_id, user_id))`,
    `INSERT INTO st_users_v8 SELECT app_id, user_id, tenant_id, email, password_hash, time_joined FROM st_users`,
    `DROP TABLE st_users`,
    `ALTER TABLE st_users_v8 RENAME TO st_users`,
    `CREATE TABLE st_thirdparty_users_v8 (app_id TEXT NOT NULL, user_id TEXT NOT NULL, tenant_id TEXT NOT NULL,
       third_party_id TEXT NOT NULL, third_party_user_id TEXT NOT NULL, email TEXT NOT NULL,
       time_joined BIGINT NOT NULL, PRIMARY KEY (app_id, user_id))`,
    `INSERT INTO st_thirdparty_users_v8
       SELECT app_id, user_id, tenant_id, third_party_id, third_party_user_id, email, time_joined FROM st_thirdparty_users`,
    `DROP TABLE st_thirdparty_users`,
    `ALTER TABLE st_thirdparty_users_v8 RENAME TO st_thirdparty_users`,
    `CREATE INDEX st_thirdparty_users_email ON st_thirdparty_users (app_id, email)`,
    `CREATE TABLE st_passwordless_users_v8 (app_id TEXT NOT NULL, user_id TEXT NOT NULL, tenant_id TEXT NOT NULL,
       email TEXT, phone_number TEXT, time_joined BIGINT NOT NULL, PRIMARY KEY (app_id, user_id))`,
    `INSERT INTO st_passwordless_users_v8 SELECT app_id, user_id, tenant_id, email, phone_number, time_joined FROM st_passwordless_users`,
    `DROP TABLE st_passwordless_users`,
    `ALTER TABLE st_passwordless_users_v8 RENAME TO st_passwordless_users`,
  ],
  // 9: TOTP users, devices and used codes (store/totp.ts). Secrets are stored as the Java core stores
  // them (base32, in clear: verifying a code needs the key itself).
  [
    `CREATE TABLE st_totp_users (app_id TEXT NOT NULL, user_id TEXT NOT NULL, PRIMARY KEY (app_id, user_id))`,
    `CREATE TABLE st_totp_devices (app_id TEXT NOT NULL, user_id TEXT NOT NULL, device_name TEXT NOT NULL,
       secret_key TEXT NOT NULL, period INTEGER NOT NULL, skew INTEGER NOT NULL, verified INTEGER NOT NULL,
       created_at BIGINT NOT NULL, PRIMARY KEY (app_id, user_id, device_name))`,
    `CREATE TABLE st_totp_used_codes (app_id TEXT NOT NULL, tenant_id TEXT NOT NULL, user_id TEXT NOT NULL,
       code TEXT NOT NULL, is_valid INTEGER NOT NULL, expires_at BIGINT NOT NULL, created_at BIGINT NOT NULL,
       PRIMARY KEY (app_id, tenant_id, user_id, created_at))`,
    `CREATE INDEX st_totp_used_codes_expires ON st_totp_used_codes (expires_at)`,
  ],
];

/** Applies pending migrations; returns the schema version. Safe to call from many instances at once. */
export async function migrate(db: SqlDriver): Promise<number> {
  return db.transaction(async (tx) => {
    await db.lockForMigration(tx);
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
