/**
 * @module supertokens/store/ratelimit — token buckets shared by every core instance on one database. [io]
 *
 * One row per bucket: `tokens` left at `updated_at` (ms), refilled continuously at `per_ms` up to
 * `capacity`. Taking a token is one `INSERT … ON CONFLICT DO UPDATE … WHERE refilled >= 1 RETURNING`
 * statement: atomic in PostgreSQL (the conflicting row is locked and re-read, so concurrent takers
 * from any instance serialise on it) and in SQLite (one statement, one write lock). No
 * read-then-write, so N instances together allow exactly `capacity` takes, not N times it.
 *
 * Bucket keys are SHA-256 digests (the caller hashes): no email in the table, and no NUL byte
 * (PostgreSQL text cannot hold one).
 */
import type { SqlDriver } from './sql.ts';

/** Capacity and refill rate of one kind of bucket. */
export interface BucketSpec {
  capacity: number;
  /** Tokens added per millisecond. */
  perMs: number;
}

export interface RateLimitStore {
  /**
   * Takes one token from `key`'s bucket if it holds at least one after refilling to `nowMs` (a
   * missing bucket is full). Returns the tokens left, or `undefined` when refused.
   */
  takeToken(key: string, spec: BucketSpec, nowMs: number): Promise<number | undefined>;
  /** Tokens in `key`'s bucket at `nowMs` (refilled; `spec.capacity` when there is no row). */
  peekTokens(key: string, spec: BucketSpec, nowMs: number): Promise<number>;
  /** Gives one token back (capped at capacity). */
  refundToken(key: string): Promise<void>;
  /** Forgets a bucket (same as a full one). */
  deleteBucket(key: string): Promise<void>;
  /**
   * Deletes buckets that have refilled completely by `nowMs`, then the least recently touched
   * ones beyond `maxKeys`. Returns the rows deleted and the rows left.
   */
  pruneBuckets(nowMs: number, maxKeys: number): Promise<{ deleted: number; remaining: number }>;
}

const T = 'st_rate_limit_buckets';
const elapsed = (now: string) => `(CASE WHEN ${now} > ${T}.updated_at THEN ${now} - ${T}.updated_at ELSE 0 END)`;
/** The row's tokens refilled to `now` with the rate and capacity given (SQL expression). */
const refilled = (now: string, perMs: string, capacity: string) =>
  `(CASE WHEN ${T}.tokens + ${elapsed(now)} * ${perMs} >= ${capacity} THEN ${capacity} ELSE ${T}.tokens + ${elapsed(now)} * ${perMs} END)`;

const TAKE_SQL = `INSERT INTO ${T} (bucket_key, tokens, updated_at, capacity, per_ms)
  VALUES (?, CAST(? AS DOUBLE PRECISION), ?, CAST(? AS DOUBLE PRECISION), CAST(? AS DOUBLE PRECISION))
  ON CONFLICT (bucket_key) DO UPDATE SET
    tokens = ${refilled('excluded.updated_at', 'excluded.per_ms', 'excluded.capacity')} - 1,
    updated_at = excluded.updated_at, capacity = excluded.capacity, per_ms = excluded.per_ms
  WHERE ${refilled('excluded.updated_at', 'excluded.per_ms', 'excluded.capacity')} >= 1
  RETURNING tokens`;

/** The `RateLimitStore` on top of a SQL driver. */
export class SqlRateLimitStore implements RateLimitStore {
  readonly #db: SqlDriver;

  constructor(driver: SqlDriver) {
    this.#db = driver;
  }

  async takeToken(key: string, spec: BucketSpec, nowMs: number): Promise<number | undefined> {
    const rows = await this.#db.all<{ tokens: number }>(TAKE_SQL, [key, spec.capacity - 1, nowMs, spec.capacity, spec.perMs]);
    const row = rows[0];
    return row === undefined ? undefined : Number(row.tokens);
  }

  async peekTokens(key: string, spec: BucketSpec, nowMs: number): Promise<number> {
    const rows = await this.#db.all<{ tokens: number; updated_at: number }>(
      `SELECT tokens, updated_at FROM ${T} WHERE bucket_key = ?`,
      [key],
    );
    const row = rows[0];
    if (row === undefined) return spec.capacity;
    return Math.min(spec.capacity, Number(row.tokens) + Math.max(0, nowMs - Number(row.updated_at)) * spec.perMs);
  }

  async refundToken(key: string): Promise<void> {
    await this.#db.run(
      `UPDATE ${T} SET tokens = CASE WHEN tokens + 1 >= capacity THEN capacity ELSE tokens + 1 END WHERE bucket_key = ?`,
      [key],
    );
  }

  async deleteBucket(key: string): Promise<void> {
    await this.#db.run(`DELETE FROM ${T} WHERE bucket_key = ?`, [key]);
  }

  async pruneBuckets(nowMs: number, maxKeys: number): Promise<{ deleted: number; remaining: number }> {
    let deleted = await this.#db.run(
      `DELETE FROM ${T} WHERE ${T}.tokens + ${elapsed('CAST(? AS BIGINT)')} * ${T}.per_ms >= ${T}.capacity`,
      [nowMs, nowMs],
    );
    const counted = await this.#db.all<{ n: number }>(`SELECT COUNT(*) AS n FROM ${T}`);
    let remaining = Number(counted[0]?.n ?? 0);
    if (remaining > maxKeys) {
      deleted += await this.#db.run(
        `DELETE FROM ${T} WHERE bucket_key IN (SELECT bucket_key FROM ${T} ORDER BY updated_at ASC LIMIT ?)`,
        [remaining - maxKeys],
      );
      remaining = maxKeys;
    }
    return { deleted, remaining };
  }
}
