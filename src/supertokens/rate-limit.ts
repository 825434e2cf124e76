/**
 * @module supertokens/rate-limit — sign-in rate limiting per account and per client. [pure]
 *
 * Two token buckets, each refilled continuously (`max` tokens per `window`):
 *
 *   - **per account** (app / tenant / normalised email): one token per attempt, given back in full by
 *     a successful sign-in, so in effect one per *failed* sign-in (taking it up front means a burst
 *     of concurrent guesses cannot all pass before the first failure is counted). When the bucket is
 *     empty, sign-ins for that account are refused without verifying the password (so a guessing
 *     attack also stops costing argon2 time).
 *     Default: 10 failures, then one more attempt every 90 s (10 per 900 s). On by default.
 *   - **per client** (the socket address, or a header the caller trusts): one token per attempt,
 *     success or not — password spraying across many accounts from one client. Off by default
 *     (`clientMaxAttempts: 0`): the core's client is the app's backend (supertokens-node), not the
 *     browser, so a per-address limit would throttle every user of a busy backend at once. Turn it
 *     on with `clientKeyHeader` when the backend forwards the user's address, or with a generous
 *     limit as a brake on a compromised backend.
 *
 * Where the buckets live (`backend`):
 *
 *   - `database` (default): in the core's database (`store/ratelimit.ts`), so every instance on one
 *     PostgreSQL shares them and a restart forgets nothing. Each take is one atomic upsert; N
 *     instances together allow exactly `accountMaxFailures`, not N times it. On SQLite (one
 *     instance) it is the same table. Bounded: full buckets are deleted, then the least recently
 *     touched beyond `maxTrackedKeys`, every `pruneEvery` attempts of an instance and at each
 *     maintenance run (`prune()`).
 *   - `redis`: in Redis (`rate-limit-redis.ts`, one Lua script per take), shared by every
 *     instance on that Redis; buckets expire when they would be full again.
 *   - `memory`: per process (a `Map`), as below. N instances then allow N times the attempts.
 *
 * Memory is bounded: at most `maxTrackedKeys` buckets (least recently touched evicted first), and a
 * bucket that has refilled completely is forgotten (it is the same as no bucket). Under a flood of
 * more distinct keys than that, the oldest buckets are forgotten: an attacker can then reset one
 * account's budget only by spending `maxTrackedKeys` attempts from fresh keys, which the per-client
 * limit (when on) stops first.
 *
 * DIVERGENCE: the SuperTokens core has no sign-in rate limit. A limited sign-in answers
 * `WRONG_CREDENTIALS_ERROR` (what the SDK and the app already handle) rather than an HTTP 429, which
 * supertokens-node would turn into a 500 for the end user.
 *
 * Usage (the sign-in route):
 *   const key = { account: signInAccountKey(appId, tenantId, email), client: signInClientKey(cfg, headers, remoteAddress) };
 *   const verdict = limiter.attempt(key);          // takes an account and a client token
 *   if (!verdict.allowed) return outcome('WRONG_CREDENTIALS_ERROR');
 *   const ok = await verifyPassword(...);
 *   limiter.recordResult(key, ok);                 // a success resets the account bucket
 *
 * Must not: read the clock (injected), do I/O itself (the shared limiter goes through an injected
 * `RateLimitStore`), keep passwords; keys hold no secret (an email is not one, but it is kept only as
 * long as its bucket is not full; the shared backends store only its SHA-256).
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Clock } from '../core/clock.ts';
import type { RateLimitStore } from './store/ratelimit.ts';

/** The `core.signInRateLimit` config section. Every key is optional. */
export const signInRateLimitSchema = z
  .strictObject({
    /** Master switch. Default is true. */
    enabled: z.boolean().default(true),
    /** Failed sign-ins per account before refusals start (bucket size). Default is 10. */
    accountMaxFailures: z.number().int().min(1).default(10),
    /** The account bucket refills completely in this many seconds. Default is 900 (15 minutes). */
    accountWindowSeconds: z.number().int().min(1).default(900),
    /** Sign-in attempts per client (bucket size); 0 turns the per-client limit off. Default is 0 (off). */
    clientMaxAttempts: z.number().int().min(0).default(0),
    /** The client bucket refills completely in this many seconds. Default is 60. */
    clientWindowSeconds: z.number().int().min(1).default(60),
    /**
     * Lower-case request header carrying the end user's address, set by the app's backend (first
     * comma-separated value is used). Only configure it when every caller of the core is trusted
     * to set it. Default: the socket address of the CDI request.
     */
    clientKeyHeader: z.string().regex(/^[a-z0-9-]{1,64}$/, 'must be a lower-case header name').optional(),
    /** Most buckets kept (accounts and clients together). Default is 50000 (~8 MB). */
    maxTrackedKeys: z.number().int().min(16).default(50_000),
    /**
     * Where the buckets live: `database` (shared by every instance on the core's database, kept
     * across restarts), `redis` (shared through the `redis` section's server) or `memory` (per
     * process). Default is `database`.
     */
    backend: z.enum(['database', 'memory', 'redis']).default('database'),
    /** Redis for `backend: redis` (`rate-limit-redis.ts`); required then, refused otherwise. */
    redis: z
      .strictObject({
        /** `redis://[user:password@]host:port[/db]`. */
        url: z.string().regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL'),
        /** Prefix of every key. Default is `portcullis:`. */
        keyPrefix: z.string().max(64).default('portcullis:'),
        /** Connect (at start-up and on reconnects) within this long. Default is 2000. */
        connectTimeoutMs: z.number().int().min(50).default(2000),
        /** One command's limit; past it the attempt is allowed (fail open). Default is 500. */
        commandTimeoutMs: z.number().int().min(10).default(500),
      })
      .optional(),
  })
  .default({
    backend: 'database',
    enabled: true,
    accountMaxFailures: 10,
    accountWindowSeconds: 900,
    clientMaxAttempts: 0,
    clientWindowSeconds: 60,
    maxTrackedKeys: 50_000,
  });

export type SignInRateLimitConfig = z.infer<typeof signInRateLimitSchema>;

export interface SignInKey {
  /** From `signInAccountKey()`. */
  readonly account: string;
  /** From `signInClientKey()`; `undefined` when unknown (the client limit then does not apply). */
  readonly client: string | undefined;
}

export type SignInVerdict =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly scope: 'account' | 'client'; readonly retryAfterSeconds: number };

/** What the sign-in route uses: the memory limiter (wrapped) or the database one. */
export interface AsyncSignInRateLimiter {
  attempt(key: SignInKey): Promise<SignInVerdict>;
  recordResult(key: SignInKey, success: boolean): Promise<void>;
  /** Deletes full buckets and the oldest beyond `maxTrackedKeys` (database backend; no-op in memory). */
  prune(): Promise<void>;
}

export interface SignInRateLimitStats {
  readonly trackedKeys: number;
  readonly refusedAccount: number;
  readonly refusedClient: number;
  readonly evictions: number;
}

export interface SignInRateLimiter {
  /** Call before verifying the password. Takes one account and one client token; refuses when either bucket is empty. */
  attempt(key: SignInKey): SignInVerdict;
  /** Call after verifying: a success resets the account's bucket (a failure keeps the token taken). */
  recordResult(key: SignInKey, success: boolean): void;
  stats(): SignInRateLimitStats;
}

/** The account key: app, tenant and the normalised email (the caller normalises). */
export function signInAccountKey(appId: string, tenantId: string, email: string): string {
  return `a\u0000${appId}\u0000${tenantId}\u0000${email}`;
}

/** The client key: the trusted header's first value when configured, else the socket address. */
export function signInClientKey(
  config: Pick<SignInRateLimitConfig, 'clientKeyHeader'>,
  headers: Readonly<Record<string, string | string[] | undefined>>,
  remoteAddress: string | undefined,
): string | undefined {
  let value: string | undefined = remoteAddress;
  if (config.clientKeyHeader !== undefined) {
    const raw = headers[config.clientKeyHeader];
    const first = (Array.isArray(raw) ? raw[0] : raw)?.split(',')[0]?.trim();
    value = first !== undefined && first !== '' ? first : remoteAddress;
  }
  if (value === undefined || value === '') return undefined;
  const ip = value.startsWith('::ffff:') ? value.slice(7) : value;
  return `c\u0000${ip.slice(0, 64)}`;
}

interface Bucket {
  tokens: number;
  atMs: number;
}

const ALLOWED: SignInVerdict = Object.freeze({ allowed: true });

/** Creates a limiter. With `enabled: false` every attempt is allowed and nothing is stored. */
export function createSignInRateLimiter(config: SignInRateLimitConfig, clock: Clock): SignInRateLimiter {
  const buckets = new Map<string, Bucket>();
  const account = { max: config.accountMaxFailures, perMs: config.accountMaxFailures / (config.accountWindowSeconds * 1000) };
  const client = { max: config.clientMaxAttempts, perMs: config.clientMaxAttempts / (config.clientWindowSeconds * 1000) };
  let refusedAccount = 0;
  let refusedClient = 0;
  let evictions = 0;

  /** Current tokens of `key` (refilled to now); a full bucket is dropped. */
  function level(key: string, spec: { max: number; perMs: number }, now: number): number {
    const b = buckets.get(key);
    if (b === undefined) return spec.max;
    const tokens = Math.min(spec.max, b.tokens + Math.max(0, now - b.atMs) * spec.perMs);
    if (tokens >= spec.max) {
      buckets.delete(key);
      return spec.max;
    }
    return tokens;
  }

  function store(key: string, tokens: number, now: number): void {
    buckets.delete(key); // re-insert: Map order is the LRU order
    buckets.set(key, { tokens, atMs: now });
    while (buckets.size > config.maxTrackedKeys) {
      const oldest = buckets.keys().next();
      if (oldest.done === true) break;
      buckets.delete(oldest.value);
      evictions++;
    }
  }

  const retryAfter = (tokens: number, perMs: number) => Math.max(1, Math.ceil((1 - tokens) / perMs / 1000));

  return {
    attempt(key) {
      if (!config.enabled) return ALLOWED;
      const now = clock.nowMs();
      const acc = level(key.account, account, now);
      if (acc < 1) {
        refusedAccount++;
        return { allowed: false, scope: 'account', retryAfterSeconds: retryAfter(acc, account.perMs) };
      }
      if (client.max > 0 && key.client !== undefined) {
        const cl = level(key.client, client, now);
        if (cl < 1) {
          refusedClient++;
          return { allowed: false, scope: 'client', retryAfterSeconds: retryAfter(cl, client.perMs) };
        }
        store(key.client, cl - 1, now);
      }
      store(key.account, acc - 1, now);
      return ALLOWED;
    },
    recordResult(key, success) {
      if (!config.enabled) return;
      if (success) buckets.delete(key.account);
    },
    stats: () => ({ trackedKeys: buckets.size, refusedAccount, refusedClient, evictions }),
  };
}

/** The memory limiter behind the async interface. */
export function asAsyncLimiter(limiter: SignInRateLimiter): AsyncSignInRateLimiter {
  return {
    attempt: async (key) => limiter.attempt(key),
    recordResult: async (key, success) => limiter.recordResult(key, success),
    prune: async () => undefined,
  };
}

/** A bucket's row key: a digest, so the table holds no email and no NUL byte. */
function bucketKey(key: string): string {
  return createHash('sha256').update(key).digest('base64url');
}

/**
 * Creates the limiter whose buckets live in the database (shared by every instance). Same
 * semantics as the memory limiter. When the database fails a limiter statement the attempt is
 * allowed (fail open, reported to `onError`): a full disk must not stop sign-ins that the
 * database can still answer, and when it is down the sign-in fails on its own reads anyway.
 */
export function createStoreSignInRateLimiter(
  config: SignInRateLimitConfig,
  clock: Clock,
  store: RateLimitStore,
  options: { pruneEvery?: number; onError?: (what: string, err: unknown) => void } = {},
): AsyncSignInRateLimiter {
  const account = { capacity: config.accountMaxFailures, perMs: config.accountMaxFailures / (config.accountWindowSeconds * 1000) };
  const client = { capacity: config.clientMaxAttempts, perMs: config.clientMaxAttempts / (config.clientWindowSeconds * 1000) };
  const pruneEvery = options.pruneEvery ?? Math.max(100, Math.floor(config.maxTrackedKeys / 10));
  let sincePrune = 0;
  let pruning: Promise<void> | undefined;
  const retryAfter = (tokens: number, perMs: number) => Math.max(1, Math.ceil((1 - tokens) / perMs / 1000));

  function prune(): Promise<void> {
    sincePrune = 0;
    pruning ??= store
      .pruneBuckets(clock.nowMs(), config.maxTrackedKeys)
      .then(() => undefined)
      .finally(() => (pruning = undefined));
    return pruning;
  }

  return {
    async attempt(key) {
      if (!config.enabled) return ALLOWED;
      try {
        return await take(key);
      } catch (err) {
        // Fail open: a database that cannot take a write (full disk, outage, timeout) must not stop
        // sign-ins that can still be answered; the caller's own reads fail anyway when it is down.
        options.onError?.('attempt', err);
        return ALLOWED;
      }
    },
    async recordResult(key, success) {
      if (!config.enabled || !success) return;
      await store.deleteBucket(bucketKey(key.account)).catch((err: unknown) => options.onError?.('reset', err));
    },
    prune: () => (config.enabled ? prune() : Promise.resolve()),
  };

  async function take(key: SignInKey): Promise<SignInVerdict> {
    if (++sincePrune >= pruneEvery) prune().catch((err: unknown) => options.onError?.('prune', err));
    const now = clock.nowMs();
    const accountKey = bucketKey(key.account);
    if ((await store.takeToken(accountKey, account, now)) === undefined) {
      const tokens = await store.peekTokens(accountKey, account, now);
      return { allowed: false, scope: 'account', retryAfterSeconds: retryAfter(tokens, account.perMs) };
    }
    if (client.capacity > 0 && key.client !== undefined) {
      const clientKey = bucketKey(key.client);
      if ((await store.takeToken(clientKey, client, now)) === undefined) {
        // Refused for the client: the account's token was not spent on a password check.
        await store.refundToken(accountKey);
        const tokens = await store.peekTokens(clientKey, client, now);
        return { allowed: false, scope: 'client', retryAfterSeconds: retryAfter(tokens, client.perMs) };
      }
    }
    return ALLOWED;
  }
}
