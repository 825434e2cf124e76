/**
 * @module supertokens/store-postgres — the shared store: PostgreSQL through a `pg` pool. [io]
 *
 * Several core instances (or Lambdas' worth of load) can share one database: signing keys, the
 * refresh-token master key and every session live there, and session lineage changes are
 * compare-and-set statements (see `store.ts`). Connection waits and queries have client-side time
 * limits, so an unreachable database turns into `StoreUnavailableError` (HTTP 500) instead of a hang.
 *
 * Must not: log connection strings (they may carry passwords).
 */
import pg from 'pg';
import { StoreUnavailableError } from './errors.ts';
import { createSqlStore, type Store } from './store.ts';
import type { SqlDriver, SqlExecutor, SqlValue } from './store/sql.ts';

export interface PostgresStoreOptions {
  connectionString: string;
  /** Schema for the core's tables; created when missing. */
  schema: string;
  poolMax: number;
  connectTimeoutMs: number;
  queryTimeoutMs: number;
}

const INT8_OID = 20;

/** Rewrites `?` placeholders to `$1..$n` (our SQL never has `?` inside literals). */
function toPg(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

function wrapError(err: unknown): unknown {
  const code = (err as { code?: string }).code;
  // SQLSTATE class 23 = integrity constraint violation: a bug or a race the caller handles, not an outage.
  if (typeof code === 'string' && code.startsWith('23')) return err;
  return new StoreUnavailableError(`postgres: ${(err as Error).message}`, { cause: err });
}

class PostgresDriver implements SqlDriver {
  readonly kind = 'postgres' as const;
  readonly description: string;
  readonly #pool: pg.Pool;

  constructor(pool: pg.Pool, description: string) {
    this.#pool = pool;
    this.description = description;
  }

  async all<T = Record<string, unknown>>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    try {
      const result = await this.#pool.query(toPg(sql), params as SqlValue[]);
      return result.rows as T[];
    } catch (err) {
      throw wrapError(err);
    }
  }

  async run(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    try {
      const result = await this.#pool.query(toPg(sql), params as SqlValue[]);
      return result.rowCount ?? 0;
    } catch (err) {
      throw wrapError(err);
    }
  }

  async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.#pool.connect();
    } catch (err) {
      throw wrapError(err);
    }
    // A checked-out client losing its connection emits 'error' besides failing its query, and the pool
    // listens only to idle clients: without a listener here the process would crash. The failed query
    // reports the loss; the client is then released as broken.
    let lost = false;
    const onError = () => {
      lost = true;
    };
    client.on('error', onError);
    const tx: SqlExecutor = {
      all: async <R>(sql: string, params: readonly SqlValue[] = []) => {
        try {
          return (await client.query(toPg(sql), params as SqlValue[])).rows as R[];
        } catch (err) {
          throw wrapError(err);
        }
      },
      run: async (sql: string, params: readonly SqlValue[] = []) => {
        try {
          return (await client.query(toPg(sql), params as SqlValue[])).rowCount ?? 0;
        } catch (err) {
          throw wrapError(err);
        }
      },
    };
    let broken = false;
    try {
      await tx.run('BEGIN');
      const result = await fn(tx);
      await tx.run('COMMIT');
      return result;
    } catch (err) {
      try {
        await client.query('ROLLBACK');
      } catch {
        broken = true;
      }
      throw err;
    } finally {
      client.removeListener('error', onError);
      client.release(broken || lost);
    }
  }

  async lockForMigration(tx: SqlExecutor): Promise<void> {
    // One migrator per database at a time; released at COMMIT/ROLLBACK.
    await tx.run("SELECT pg_advisory_xact_lock(hashtext('portcullis-core-migrations'))");
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }
}

function createPool(options: PostgresStoreOptions, searchPath: string | undefined): pg.Pool {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.poolMax,
    connectionTimeoutMillis: options.connectTimeoutMs,
    query_timeout: options.queryTimeoutMs,
    idleTimeoutMillis: 30_000,
    ...(searchPath === undefined ? {} : { options: `-c search_path=${searchPath}` }),
    types: {
      getTypeParser: ((oid: number, format?: string) =>
        oid === INT8_OID
          ? (value: string) => Number(value)
          : (pg.types.getTypeParser as (o: number, f?: string) => unknown)(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
  // An idle client losing its connection must not crash the process; the next query reports it.
  pool.on('error', () => undefined);
  return pool;
}

/** Describes a connection string without credentials: `postgres: 127.0.0.1:5432/test (schema public)`. */
function describe(options: PostgresStoreOptions): string {
  try {
    const url = new URL(options.connectionString);
    return `postgres: ${url.hostname}:${url.port || '5432'}${url.pathname} (schema ${options.schema})`;
  } catch {
    return `postgres (schema ${options.schema})`;
  }
}

/**
 * Connects, creates the schema if needed and applies migrations. Throws `StoreUnavailableError`
 * when the server cannot be reached within `connectTimeoutMs`.
 */
export async function openPostgresStore(options: PostgresStoreOptions): Promise<Store> {
  if (options.schema !== 'public') {
    const bootstrap = createPool({ ...options, poolMax: 1 }, undefined);
    try {
      await bootstrap.query(`CREATE SCHEMA IF NOT EXISTS "${options.schema}"`);
    } catch (err) {
      // Two instances creating the schema at once: the loser sees a duplicate, which is fine.
      const code = (err as { code?: string }).code;
      if (code !== '23505' && code !== '42P06') throw wrapError(err);
    } finally {
      await bootstrap.end().catch(() => undefined);
    }
  }
  const pool = createPool(options, options.schema === 'public' ? undefined : `"${options.schema}"`);
  const store = createSqlStore(new PostgresDriver(pool, describe(options)));
  try {
    await store.migrate();
  } catch (err) {
    await store.close().catch(() => undefined);
    throw err;
  }
  return store;
}
