/**
 * @module supertokens/store — the one storage interface of the core, and its SQL implementation. [io]
 *
 * `Store` is narrow and named after what the recipes need; it is the sum of one part per recipe, each
 * in `store/` with its rows, its interface and its SQL: `keys.ts` (app secrets, signing keys),
 * `sessions.ts`, `emailpassword.ts` (users, reset tokens), `emailverification.ts`, `userroles.ts`,
 * `usermetadata.ts`, `ratelimit.ts` (sign-in buckets shared by instances), `usersearch.ts` (count, search filters), `useridmapping.ts`, `thirdparty.ts`, `multitenancy.ts` (tenants created at runtime), `passwordless.ts`, `totp.ts`, `usertenants.ts` (each user's tenants), `accountlinking.ts` (primary users and links). `migrations.ts` holds the schema of them all. Both backends share the parts,
 * written in the SQL subset SQLite and PostgreSQL agree on (`store/sql.ts`); the drivers
 * (`store-sqlite.ts`, `store-postgres.ts`) only execute statements and run transactions.
 *
 * Must not: log rows (they hold password hashes and private keys).
 */
import { SqlEmailPasswordStore, type EmailPasswordStore } from './store/emailpassword.ts';
import { SqlEmailVerificationStore, type EmailVerificationStore } from './store/emailverification.ts';
import { SqlKeyStore, type KeyStore } from './store/keys.ts';
import { migrate } from './store/migrations.ts';
import { SqlRateLimitStore, type RateLimitStore } from './store/ratelimit.ts';
import { SqlSessionStore, type SessionStore } from './store/sessions.ts';
import type { SqlDriver } from './store/sql.ts';
import { SqlUserMetadataStore, type UserMetadataStore } from './store/usermetadata.ts';
import { SqlUserRolesStore, type UserRolesStore } from './store/userroles.ts';
import { SqlUserSearchStore, type UserSearchStore } from './store/usersearch.ts';
import { SqlUserIdMappingStore, type UserIdMappingStore } from './store/useridmapping.ts';
import { SqlThirdPartyStore, type ThirdPartyStore } from './store/thirdparty.ts';
import { SqlMultitenancyStore, type MultitenancyStore } from './store/multitenancy.ts';
import { SqlPasswordlessStore, type PasswordlessStore } from './store/passwordless.ts';
import { SqlTotpStore, type TotpStore } from './store/totp.ts';
import { SqlUserTenantsStore, type UserTenantsStore } from './store/usertenants.ts';
import { SqlAccountLinkingStore, type AccountLinkingStore } from './store/accountlinking.ts';

export type { EmailPasswordStore, UserRow } from './store/emailpassword.ts';
export type { EmailVerificationStore } from './store/emailverification.ts';
export type { KeyStore, SigningKeyRow } from './store/keys.ts';
export type { BucketSpec, RateLimitStore } from './store/ratelimit.ts';
export type { SessionRow, SessionStore } from './store/sessions.ts';
export type { ConsumedToken, Json, JsonObject, SqlDriver, SqlExecutor, SqlValue } from './store/sql.ts';
export type { UserMetadataStore } from './store/usermetadata.ts';
export type { UserRolesStore } from './store/userroles.ts';
export type { UserSearchStore } from './store/usersearch.ts';
export type { UserIdMappingRow, UserIdMappingStore } from './store/useridmapping.ts';
export type { ThirdPartyStore, ThirdPartyUserRow } from './store/thirdparty.ts';
export type { MultitenancyStore, TenantConfigRow, TenantRow } from './store/multitenancy.ts';
export type { PasswordlessStore, PasswordlessUserRow, PasswordlessDeviceRow } from './store/passwordless.ts';
export type { TotpDeviceRow, TotpStore } from './store/totp.ts';
export type { AddUserToTenantResult, UserTenantsStore } from './store/usertenants.ts';
export type { AccountInfo, AccountLinkingStore, LinkGroup } from './store/accountlinking.ts';

export interface CleanupResult {
  sessions: number;
  emailVerificationTokens: number;
  passwordResetTokens: number;
  /** Passwordless devices whose every code had expired. */
  passwordlessDevices: number;
}

/** What belongs to the database as a whole rather than to one recipe. */
export interface StoreLifecycle {
  readonly kind: 'sqlite' | 'postgres';
  readonly description: string;
  /** Applies pending migrations; returns the schema version. Safe to call from many instances at once. */
  migrate(): Promise<number>;
  close(): Promise<void>;

  /** Deletes expired sessions and tokens. */
  deleteExpired(nowMs: number): Promise<CleanupResult>;
}

/**
 * The storage interface. All methods are scoped by app; times are ms since the epoch.
 * Stores throw `StoreUnavailableError` when the database cannot be reached.
 */
export interface Store
  extends StoreLifecycle,
    KeyStore,
    SessionStore,
    EmailPasswordStore,
    EmailVerificationStore,
    UserRolesStore,
    UserMetadataStore,
    RateLimitStore,
    UserSearchStore,
    UserIdMappingStore,
    ThirdPartyStore,
    MultitenancyStore,
    PasswordlessStore,
    TotpStore,
    UserTenantsStore,
    AccountLinkingStore {}

/** The `Store` on top of a SQL driver: every part shares the one driver (its connections and transactions). */
export function createSqlStore(driver: SqlDriver): Store {
  return {
    kind: driver.kind,
    description: driver.description,
    migrate: () => migrate(driver),
    close: () => driver.close(),
    deleteExpired: (nowMs) => deleteExpired(driver, nowMs),
    ...methodsOf<KeyStore>(new SqlKeyStore(driver)),
    ...methodsOf<SessionStore>(new SqlSessionStore(driver)),
    ...methodsOf<EmailPasswordStore>(new SqlEmailPasswordStore(driver)),
    ...methodsOf<EmailVerificationStore>(new SqlEmailVerificationStore(driver)),
    ...methodsOf<UserRolesStore>(new SqlUserRolesStore(driver)),
    ...methodsOf<UserMetadataStore>(new SqlUserMetadataStore(driver)),
    ...methodsOf<RateLimitStore>(new SqlRateLimitStore(driver)),
    ...methodsOf<UserSearchStore>(new SqlUserSearchStore(driver)),
    ...methodsOf<UserIdMappingStore>(new SqlUserIdMappingStore(driver)),
    ...methodsOf<ThirdPartyStore>(new SqlThirdPartyStore(driver)),
    ...methodsOf<MultitenancyStore>(new SqlMultitenancyStore(driver)),
    ...methodsOf<PasswordlessStore>(new SqlPasswordlessStore(driver)),
    ...methodsOf<TotpStore>(new SqlTotpStore(driver)),
    ...methodsOf<UserTenantsStore>(new SqlUserTenantsStore(driver)),
    ...methodsOf<AccountLinkingStore>(new SqlAccountLinkingStore(driver)),
  };
}

/**
 * A part's methods bound to it, as own properties: class methods live on the prototype, which an
 * object spread does not copy.
 */
function methodsOf<Part extends object>(part: Part): Part {
  const methods: Record<string, unknown> = {};
  for (const name of Object.getOwnPropertyNames(Object.getPrototypeOf(part))) {
    const value: unknown = Reflect.get(part, name);
    if (name !== 'constructor' && typeof value === 'function') methods[name] = value.bind(part);
  }
  return methods as Part;
}

/** Deletes expired sessions and tokens (of the session, EmailVerification and EmailPassword parts). */
async function deleteExpired(db: SqlDriver, nowMs: number): Promise<CleanupResult> {
  const sessions = await db.run('DELETE FROM st_sessions WHERE expires_at < ?', [nowMs]);
  const emailVerificationTokens = await db.run('DELETE FROM st_email_verification_tokens WHERE expires_at < ?', [
    nowMs,
  ]);
  const passwordResetTokens = await db.run('DELETE FROM st_password_reset_tokens WHERE expires_at < ?', [nowMs]);
  const passwordlessDevices = await new SqlPasswordlessStore(db).deleteExpiredPasswordlessCodes(nowMs);
  return { sessions, emailVerificationTokens, passwordResetTokens, passwordlessDevices };
}
