/**
 * @module supertokens/store-sqlite — the embedded store: one SQLite file in WAL mode. [io]
 *
 * better-sqlite3 is synchronous, so each statement is atomic with respect to the event loop. A
 * transaction whose body awaits would let other requests' statements slip into it, so transactions
 * take an in-process lock and plain statements wait while one is open. WAL with `synchronous=NORMAL`
 * keeps every committed transaction across a process crash (kill -9); an OS crash or power loss may
 * lose the last few commits (SQLite's documented trade-off).
 *
 * Must not: be opened by two processes that both run cleanup at high frequency (WAL allows it, but
 * writers then serialise on the busy timeout).
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { StoreUnavailableError } from './errors.ts';
import { createSqlStore, type Store } from './store.ts';
import type { SqlDriver, SqlExecutor, SqlValue } from './store/sql.ts';

class SqliteDriver implements SqlDriver {
  readonly kind = 'sqlite' as const;
  readonly description: string;
  readonly #db: Database.Database;
  readonly #statements = new Map<string, Database.Statement>();
  /** Resolves when no transaction is open. */
  #idle: Promise<void> = Promise.resolve();
  #locked = false;

  constructor(file: string, description: string) {
    this.description = description;
    this.#db = new Database(file, { timeout: 5000 });
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma('synchronous = NORMAL');
    this.#db.pragma('foreign_keys = ON');
  }

  #prepare(sql: string): Database.Statement {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  #allNow<T>(sql: string, params: readonly SqlValue[]): T[] {
    const statement = this.#prepare(sql);
    if (statement.reader) return statement.all(...params) as T[];
    statement.run(...params);
    return [];
  }

  #runNow(sql: string, params: readonly SqlValue[]): number {
    const statement = this.#prepare(sql);
    if (statement.reader) return statement.all(...params).length;
    return statement.run(...params).changes;
  }

  async all<T = Record<string, unknown>>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    while (this.#locked) await this.#idle;
    return wrap(() => this.#allNow<T>(sql, params));
  }

  async run(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    while (this.#locked) await this.#idle;
    return wrap(() => this.#runNow(sql, params));
  }

  async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    // The check and the claim must happen in the same tick, or two waiters could both enter.
    while (this.#locked) await this.#idle;
    this.#locked = true;
    let release!: () => void;
    this.#idle = new Promise<void>((resolve) => (release = resolve));
    const tx: SqlExecutor = {
      all: async <R>(sql: string, params: readonly SqlValue[] = []) => wrap(() => this.#allNow<R>(sql, params)),
      run: async (sql: string, params: readonly SqlValue[] = []) => wrap(() => this.#runNow(sql, params)),
    };
    try {
      wrap(() => this.#db.exec('BEGIN IMMEDIATE'));
      try {
        const result = await fn(tx);
        wrap(() => this.#db.exec('COMMIT'));
        return result;
      } catch (err) {
        if (this.#db.inTransaction) this.#db.exec('ROLLBACK');
        throw err;
      }
    } finally {
      this.#locked = false;
      release();
    }
  }

  async lockForMigration(): Promise<void> {
    // BEGIN IMMEDIATE already holds SQLite's write lock for the whole migration.
  }

  async close(): Promise<void> {
    while (this.#locked) await this.#idle;
    if (this.#db.open) this.#db.close();
  }
}

/** Maps driver failures to `StoreUnavailableError` (constraint errors are bugs and are re-thrown as they are). */
function wrap<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    const code = (err as { code?: string }).code ?? '';
    if (code.startsWith('SQLITE_CONSTRAINT')) throw err;
    throw new StoreUnavailableError(`sqlite: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Opens (creating directory and file on first start) the SQLite store and applies migrations.
 * `description` is shown in the start-up line.
 */
export async function openSqliteStore(file: string, description = `sqlite: ${file}`): Promise<Store> {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const store = createSqlStore(new SqliteDriver(file, description));
  try {
    await store.migrate();
  } catch (err) {
    await store.close().catch(() => undefined);
    throw err;
  }
  return store;
}
