/**
 * @module supertokens/rate-limit-redis — the sign-in rate-limit buckets in Redis
 * (`signInRateLimit.backend: redis`), for deployments that keep such counters out of the database. [io]
 *
 * The same token buckets as `store/ratelimit.ts`, one hash per bucket (`t` tokens, `at` ms, `c`
 * capacity) under `<keyPrefix>rl:<digest>`. Taking a token is one Lua script (`EVAL`), which Redis
 * runs atomically: every instance on one Redis shares the buckets, exactly. Each bucket expires
 * (`PEXPIRE`) when it would be full again, so Redis holds only buckets that are not full and
 * nothing needs pruning.
 *
 * Bounded waits: no offline queue (a command while disconnected fails at once), a connect timeout,
 * and a per-command timeout that also rejects a command already sent; the limiter then fails open
 * (see `createStoreSignInRateLimiter`). Reconnects in the background with a capped back-off.
 *
 * Must not: log the URL (it may carry a password).
 */
import { createClient } from 'redis';
import type { BucketSpec, RateLimitStore } from './store/ratelimit.ts';

export interface RedisRateLimitOptions {
  url: string;
  keyPrefix: string;
  connectTimeoutMs: number;
  commandTimeoutMs: number;
}

export interface RedisRateLimitStore extends RateLimitStore {
  close(): Promise<void>;
}

const TAKE = `
local b = redis.call('HMGET', KEYS[1], 't', 'at')
local capacity = tonumber(ARGV[1])
local perMs = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local tokens = capacity
if b[1] then
  tokens = math.min(capacity, tonumber(b[1]) + math.max(0, now - tonumber(b[2])) * perMs)
end
if tokens < 1 then return {0, tostring(tokens)} end
tokens = tokens - 1
redis.call('HSET', KEYS[1], 't', tostring(tokens), 'at', tostring(now), 'c', tostring(capacity))
redis.call('PEXPIRE', KEYS[1], math.max(1, math.ceil((capacity - tokens) / perMs)))
return {1, tostring(tokens)}`;

const REFUND = `
local b = redis.call('HMGET', KEYS[1], 't', 'c')
if b[1] then redis.call('HSET', KEYS[1], 't', tostring(math.min(tonumber(b[2]), tonumber(b[1]) + 1))) end
return 1`;

/** Connects (within `connectTimeoutMs`) and returns the store. Throws when Redis cannot be reached. */
export async function openRedisRateLimitStore(options: RedisRateLimitOptions, onError: (err: Error) => void = () => undefined): Promise<RedisRateLimitStore> {
  const client = createClient({
    url: options.url,
    disableOfflineQueue: true,
    socket: {
      connectTimeout: options.connectTimeoutMs,
      reconnectStrategy: (retries: number) => Math.min(100 * 2 ** retries, 5000),
    },
    commandOptions: { timeout: options.commandTimeoutMs, rejectInFlight: true },
  });
  // Without a listener an 'error' event would crash the process; the next command reports it.
  client.on('error', onError);
  let initialError: Error | undefined;
  const failFast = (err: Error) => (initialError ??= err);
  client.on('error', failFast);
  try {
    await Promise.race([
      client.connect(),
      new Promise((_, reject) => setTimeout(() => reject(initialError ?? new Error(`no connection within ${options.connectTimeoutMs} ms`)), options.connectTimeoutMs + 100).unref()),
    ]);
  } catch (err) {
    client.destroy();
    throw err;
  } finally {
    client.off('error', failFast);
  }
  const key = (k: string) => `${options.keyPrefix}rl:${k}`;

  return {
    async takeToken(k: string, spec: BucketSpec, nowMs: number) {
      const [ok, tokens] = (await client.eval(TAKE, { keys: [key(k)], arguments: [String(spec.capacity), String(spec.perMs), String(nowMs)] })) as [number, string];
      return ok === 1 ? Number(tokens) : undefined;
    },
    async peekTokens(k: string, spec: BucketSpec, nowMs: number) {
      const [t, at] = await client.hmGet(key(k), ['t', 'at']);
      if (t === null || t === undefined || at === null || at === undefined) return spec.capacity;
      return Math.min(spec.capacity, Number(t) + Math.max(0, nowMs - Number(at)) * spec.perMs);
    },
    async refundToken(k: string) {
      await client.eval(REFUND, { keys: [key(k)] });
    },
    async deleteBucket(k: string) {
      await client.del(key(k));
    },
    async pruneBuckets() {
      // Buckets expire by themselves when they would be full again.
      return { deleted: 0, remaining: 0 };
    },
    async close() {
      await client.close().catch(() => client.destroy());
    },
  };
}
