/**
 * @module supertokens — a SuperTokens-compatible core (CDI 5.4) that the unmodified
 * `supertokens-node` SDK accepts as its `connectionURI`. [glue]
 *
 * `startCore()` validates options, opens the store (SQLite under `dataDir`, or PostgreSQL), makes
 * sure every app has its refresh-token master key and signing keys, listens, and runs periodic
 * maintenance (expired-row cleanup, key rotation and reload). `close()` stops accepting
 * connections, lets in-flight requests finish, then closes the store.
 *
 * Usage:
 *   const core = await startCore({ port: 0, dataDir: tmp });
 *   supertokens.init({ supertokens: { connectionURI: core.url }, ... });
 *   await core.close();
 */
import type { SessionMetrics } from './metrics.ts';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import type { AddressInfo } from 'node:net';
import { coreConfigSchema, formatConfigIssues, type CoreConfig, type CoreConfigInput } from './config.ts';
import { CoreStartError, StoreUnavailableError } from './errors.ts';
import { systemClock, type Clock } from '../core/clock.ts';
import { createSigningKeys } from './keys.ts';
import { createCoreServer } from './server.ts';
import { Sessions } from './sessions.ts';
import type { AppRuntime, CoreRuntime } from './routes/types.ts';
import type { CleanupResult, Store } from './store.ts';
import { openPostgresStore } from './store-postgres.ts';
import { openSqliteStore } from './store-sqlite.ts';
import { asAsyncLimiter, createSignInRateLimiter, createStoreSignInRateLimiter } from './rate-limit.ts';
import type { RedisRateLimitStore } from './rate-limit-redis.ts';

export { coreConfigSchema, type CoreConfig, type CoreConfigInput } from './config.ts';
export { CoreStartError } from './errors.ts';
export type { Clock } from '../core/clock.ts';

/** Options of `startCore()`: the `core:` config section plus test seams. */
export interface CoreOptions extends CoreConfigInput {
  /** Time source (ms). Default is `Date.now`. Test seam for expiry and rotation. */
  clock?: Clock;
  /** Source of randomness for the access-token validity jitter, in [0, 1). Default is `Math.random`. */
  random?: () => number;
  /** Operator log (one line per event, never secrets). Default writes to stderr. */
  log?: (line: string) => void;
  /** Disables the periodic timers (tests call `runMaintenance()` themselves). Default is false. */
  disableTimers?: boolean;
  /** Session operation counters (the gateway's `/metrics` when both run in one process). */
  metrics?: SessionMetrics;
}

export interface RunningCore {
  /** `http://host:port`, the SDK's `connectionURI`. */
  url: string;
  port: number;
  host: string;
  /** The store's location without credentials, e.g. `sqlite: .portcullis/core.sqlite`. */
  storeDescription: string;
  /** The validated configuration in effect. */
  config: CoreConfig;
  /** Deletes expired sessions and tokens now, rotates and retires signing keys. */
  runMaintenance(): Promise<CleanupResult>;
  /** Stops listening, drains in-flight requests (at most `graceMs`, default 10 s), closes the store. */
  close(graceMs?: number): Promise<void>;
}

/** How often each instance re-reads keys written by other instances. */
const KEY_RELOAD_INTERVAL_MS = 60_000;

async function openStore(config: CoreConfig): Promise<Store> {
  const db = config.database;
  if (db.kind === 'postgres') {
    return openPostgresStore({
      connectionString: db.connectionString,
      schema: db.schema,
      poolMax: db.poolMax,
      connectTimeoutMs: db.connectTimeoutMs,
      queryTimeoutMs: db.queryTimeoutMs,
    });
  }
  const file = resolve(config.dataDir, db.file ?? 'core.sqlite');
  const shown = db.file === undefined ? `${config.dataDir.replace(/\/$/, '')}/core.sqlite` : file;
  return openSqliteStore(file, `sqlite: ${shown}`);
}

/** Starts a core. Throws `CoreStartError` for bad options, an unreachable database or a busy port. */
export async function startCore(options: CoreOptions = {}): Promise<RunningCore> {
  const { clock: clockOption, random, log: logOption, disableTimers, metrics, ...section } = options;
  const parsed = coreConfigSchema.safeParse(section);
  if (!parsed.success) {
    throw new CoreStartError('ERR_CORE_CONFIG', `invalid core config: ${formatConfigIssues(parsed.error).join('; ')}`);
  }
  const config = parsed.data;
  const clock: Clock = clockOption ?? systemClock;
  const log = logOption ?? ((line: string) => process.stderr.write(`${line}\n`));

  let store: Store;
  try {
    store = await openStore(config);
  } catch (err) {
    if (err instanceof StoreUnavailableError) {
      throw new CoreStartError('ERR_CORE_STORE_UNAVAILABLE', `database unreachable: ${err.message}`, { cause: err });
    }
    throw new CoreStartError('ERR_CORE_MIGRATION', `database migration failed: ${(err as Error).message}`, { cause: err });
  }

  const apps = new Map<string, AppRuntime>();
  try {
    const timing = {
      accessTokenValidityMs: config.accessTokenValiditySeconds * 1000,
      accessTokenValidityJitterRatio: config.accessTokenValidityJitterRatio,
      refreshTokenValidityMs: config.refreshTokenValidityMinutes * 60_000,
    };
    for (const appId of config.appIds) {
      const masterKey = Buffer.from(
        await store.getOrCreateAppSecret(appId, 'refresh_token_master_key', randomBytes(32).toString('base64')),
        'base64',
      );
      const keys = await createSigningKeys(store, appId, clock, {
        updateIntervalMs: config.accessTokenSigningKeyUpdateIntervalHours * 3_600_000,
        publishAheadMs: config.accessTokenSigningKeyPublishAheadSeconds * 1000,
        accessTokenValidityMs: timing.accessTokenValidityMs,
      });
      apps.set(appId, { appId, keys, sessions: new Sessions(store, appId, keys, masterKey, clock, timing, random) });
    }
  } catch (err) {
    await store.close().catch(() => undefined);
    throw new CoreStartError('ERR_CORE_STORE_UNAVAILABLE', `database unreachable: ${(err as Error).message}`, { cause: err });
  }

  const limitConfig = config.signInRateLimit;
  let redis: RedisRateLimitStore | undefined;
  if (limitConfig.backend === 'redis' && limitConfig.redis !== undefined) {
    try {
      // Loaded only when configured: the redis client stays out of every other start-up.
      const { openRedisRateLimitStore } = await import('./rate-limit-redis.ts');
      redis = await openRedisRateLimitStore(limitConfig.redis, (err) => log(`portcullis core: rate-limit redis: ${err.message}`));
    } catch (err) {
      await store.close().catch(() => undefined);
      throw new CoreStartError('ERR_CORE_STORE_UNAVAILABLE', `rate-limit redis unreachable: ${(err as Error).message}`, { cause: err });
    }
  }
  const onLimiterError = (what: string, err: unknown) => log(`portcullis core: sign-in rate limit (${what}) failed, allowed: ${(err as Error).message}`);
  const signInLimiter =
    limitConfig.backend === 'memory'
      ? asAsyncLimiter(createSignInRateLimiter(limitConfig, clock))
      : createStoreSignInRateLimiter(limitConfig, clock, redis ?? store, { onError: onLimiterError });
  const runtime: CoreRuntime = { config, store, clock, apps, signInLimiter, metrics };
  const { server, drain } = createCoreServer(runtime, { log });
  try {
    await new Promise<void>((resolveListen, rejectListen) => {
      server.once('error', rejectListen);
      server.listen(config.port, config.host, () => {
        server.off('error', rejectListen);
        resolveListen();
      });
    });
  } catch (err) {
    await store.close().catch(() => undefined);
    await redis?.close();
    throw new CoreStartError('ERR_CORE_LISTEN', `cannot listen on ${config.host}:${config.port}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const address = server.address() as AddressInfo;

  async function runMaintenance(): Promise<CleanupResult> {
    for (const app of apps.values()) await app.keys.rotate();
    await signInLimiter.prune();
    // TOTP codes are kept a cooldown past their expiry: they hold a lockout for its whole length.
    await store.deleteExpiredTotpCodes(clock.nowMs() - config.totpRateLimitCooldownSeconds * 1000);
    return store.deleteExpired(clock.nowMs());
  }

  const timers: NodeJS.Timeout[] = [];
  if (!disableTimers) {
    const every = (ms: number, task: () => Promise<unknown>, what: string) => {
      const timer = setInterval(() => {
        task().catch((err: unknown) => log(`portcullis core: ${what} failed: ${(err as Error).message}`));
      }, ms);
      timer.unref();
      timers.push(timer);
    };
    every(config.cleanupIntervalSeconds * 1000, runMaintenance, 'cleanup');
    every(KEY_RELOAD_INTERVAL_MS, async () => {
      for (const app of apps.values()) await app.keys.rotate();
    }, 'key rotation');
  }

  let closing: Promise<void> | undefined;
  const hostForUrl = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${hostForUrl}:${address.port}`,
    port: address.port,
    host: address.address,
    storeDescription: store.description,
    config,
    runMaintenance,
    close(graceMs = 10_000) {
      closing ??= (async () => {
        for (const timer of timers) clearInterval(timer);
        const closed = new Promise<void>((resolveClose) => server.close(() => resolveClose()));
        server.closeIdleConnections();
        let graceTimer: NodeJS.Timeout | undefined;
        await Promise.race([
          drain(),
          new Promise<void>((r) => {
            graceTimer = setTimeout(r, graceMs);
            graceTimer.unref();
          }),
        ]);
        clearTimeout(graceTimer);
        server.closeAllConnections();
        await closed;
        await store.close();
        await redis?.close();
      })();
      return closing;
    },
  };
}
