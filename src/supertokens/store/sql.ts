/**
 * @module supertokens/store/sql — what every part of the store shares: the SQL subset both backends
 * speak, the driver a backend provides, and the value types stored as JSON text. [io port]
 *
 * The subset is the one SQLite (>= 3.35) and PostgreSQL (>= 12) agree on: `?` placeholders (rewritten
 * to `$n` for pg), `ON CONFLICT DO NOTHING`, `RETURNING`, integers for booleans and times (ms since
 * epoch), JSON as text.
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

/** A consumed single-use token: who it was for. */
export interface ConsumedToken {
  userId: string;
  email: string;
  expiresAtMs: number;
}

/** `?, ?, …` for an `IN (…)` list of `n` values. */
export function placeholders(n: number): string {
  return Array.from({ length: n }, () => '?').join(', ');
}

/**
 * Whether a statement failed on a unique index or primary key (PostgreSQL SQLSTATE 23505, SQLite
 * `SQLITE_CONSTRAINT_UNIQUE` / `_PRIMARYKEY`): a racing writer took the value between a check and the
 * write. Callers that can lose such a race answer the clash's status (the Java core's
 * `isUniqueConstraintError` → `DuplicateEmailException` …), never an internal error.
 */
export function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
