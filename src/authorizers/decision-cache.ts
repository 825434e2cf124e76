/**
 * @module authorizers/decision-cache — bounded LRU of Lambda authorizer *decisions*. [pure]
 *
 * AWS caches the authorizer's whole output (policy + principal + context) per authorizer and
 * identity, and every request evaluates the cached policy against its own ARN (spec §2.7, §3.8);
 * this module stores exactly that, never a per-ARN verdict. Entries expire an absolute TTL after
 * the decision (time from the injected `Clock`), and the cache is bounded both in entries and in
 * approximate bytes; the least recently used entry goes first.
 *
 * Keys never hold identity values: `decisionCacheKey()` hashes them (SHA-256) together with the
 * authorizer id and stage, so tokens are not kept in memory longer than the request that carried them.
 *
 * Must not: cache errors (the caller decides what to store), read the wall clock.
 */
import { sha256 } from '../core/digest.ts';
import type { Clock } from '../core/clock.ts';

export interface DecisionCacheOptions {
  clock: Clock;
  /** Most entries kept. Default is 10000. */
  maxEntries?: number;
  /** Most approximate bytes kept (sum of entry sizes). Default is 16777216 (16 MiB). */
  maxBytes?: number;
}

export interface DecisionCacheStats {
  entries: number;
  bytes: number;
  hits: number;
  misses: number;
  evictions: number;
}

export interface DecisionCache<T> {
  /** The live value for `key`, or `undefined` (missing or expired; expired entries are dropped). */
  get(key: string): T | undefined;
  /** Stores `value` for `ttlMs` from now. `sizeBytes` is the caller's estimate of its weight. */
  set(key: string, value: T, ttlMs: number, sizeBytes: number): void;
  delete(key: string): void;
  /** Drops everything (AWS: redeploying the stage flushes the cache). */
  clear(): void;
  stats(): DecisionCacheStats;
}

interface Entry<T> {
  value: T;
  expiresAt: number;
  size: number;
}

const KEY_OVERHEAD_BYTES = 160;

export function createDecisionCache<T>(options: DecisionCacheOptions): DecisionCache<T> {
  const maxEntries = options.maxEntries ?? 10_000;
  const maxBytes = options.maxBytes ?? 16 * 1024 * 1024;
  const clock = options.clock;
  // A Map iterates in insertion order: re-inserting on access makes the first key the LRU one.
  const entries = new Map<string, Entry<T>>();
  let bytes = 0;
  let hits = 0;
  let misses = 0;
  let evictions = 0;

  const remove = (key: string) => {
    const e = entries.get(key);
    if (!e) return;
    entries.delete(key);
    bytes -= e.size;
  };

  return {
    get(key) {
      const e = entries.get(key);
      if (!e) {
        misses++;
        return undefined;
      }
      if (clock.nowMs() >= e.expiresAt) {
        remove(key);
        misses++;
        return undefined;
      }
      entries.delete(key);
      entries.set(key, e);
      hits++;
      return e.value;
    },
    set(key, value, ttlMs, sizeBytes) {
      if (!(ttlMs > 0)) return;
      const size = Math.max(0, sizeBytes) + KEY_OVERHEAD_BYTES;
      remove(key);
      if (size > maxBytes || maxEntries < 1) return;
      entries.set(key, { value, expiresAt: clock.nowMs() + ttlMs, size });
      bytes += size;
      while (entries.size > maxEntries || bytes > maxBytes) {
        const oldest = entries.keys().next();
        if (oldest.done) break;
        remove(oldest.value);
        evictions++;
      }
    },
    delete: remove,
    clear() {
      entries.clear();
      bytes = 0;
    },
    stats: () => ({ entries: entries.size, bytes, hits, misses, evictions }),
  };
}

/**
 * `authorizerId` + stage + SHA-256 of every identity value in configured order. Values are
 * length-prefixed before hashing so `["a,b"]` and `["a","b"]` cannot collide.
 */
export function decisionCacheKey(authorizerId: string, stage: string, identityValues: readonly string[]): string {
  let framed = '';
  for (const v of identityValues) framed += `${Buffer.byteLength(v)}:${v}`;
  return `${authorizerId}\u0000${stage}\u0000${sha256(framed, 'base64url')}`;
}
