/**
 * @module io/keys — OIDC discovery and a per-issuer JWKS cache for JWT authorizers. [io]
 *
 * Usage:
 *   const keys = createKeyStore({ issuer, clock });
 *   await keys.warmUp();                       // prefetch at start; never throws
 *   const k = keys.getKey(kid);                // sync when cached, else a Promise (one shared fetch)
 *   if ('reason' in k) -> refuse ('kid_unknown' | 'keys_unavailable' with a cause) else verify with k.candidates
 *
 * Rules (spec §1.4, issue 4 item 5):
 *   - discovery `{issuer}/.well-known/openid-configuration` → `jwks_uri` (the document's `issuer` must
 *     equal the configured one exactly), unless `jwksUri` is configured; then the JWKS itself;
 *   - each GET has a `timeoutMs` deadline (default 1500, AWS's) covering headers and body, and a
 *     150000-byte cap enforced while reading (AWS's JWKS limit; applied to discovery too [INF]);
 *   - concurrent callers share one fetch (single-flight);
 *   - keys are trusted for `maxAgeMs` (default 2 h, AWS's); after that they are refreshed in the
 *     background on next use and keep working until a refresh succeeds (issuer down → cached keys work);
 *   - an unknown kid refetches only when the last fetch attempt is at least `cooldownMs` old, so a
 *     flood of unknown kids costs the issuer at most one request per cooldown;
 *   - with no keys at all (issuer down since start) a request tries a fetch at most once per
 *     `min(cooldownMs, 1 s)`; requests in between fail closed with the last error as the reason;
 *   - with no keys at all, a failed fetch is also retried in the background, 1 s after the first
 *     failure and then with the delay doubled up to 30 s, whatever the cooldown: readiness
 *     (`status().ready`) must recover without requests, which a load balancer routing on `/readyz`
 *     would never send. The timer is unref'd and `close()` stops it.
 * JWKs are imported once into node:crypto `KeyObject`s; `oct` (HMAC) keys, keys whose `use` is not
 * `sig` and keys without `kid` are ignored.
 *
 * Must not: log key or token material; follow redirects; retry without a delay.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { request } from 'undici';
import type { Clock } from '../core/clock.ts';
import type { Logger } from './logger.ts';
import type { KeyMetrics } from './metrics.ts';

/** AWS limit: JWKS response size. */
export const MAX_JWKS_BYTES = 150_000;
/**
 * Upper bound of the retry interval while no keys could ever be fetched (Envoy's
 * `failed_refetch_duration` default): every request fails closed meanwhile, so retry soon, yet at
 * most once a second per issuer.
 */
const MAX_FAILURE_RETRY_MS = 1_000;

/**
 * Background retry while no keys are loaded: first delay and cap. 1 s is Envoy `jwt_authn`'s
 * `failed_refetch_duration` default; doubling up to 8 s bounds what a long outage costs the issuer
 * (one request per 8 s per authorizer) and keeps readiness within 10 s of the issuer's return,
 * however long it was away (a load balancer routing on /readyz sends no request to prompt a fetch).
 */
export const KEYLESS_RETRY_FIRST_MS = 1_000;
export const KEYLESS_RETRY_MAX_MS = 8_000;

/** Delay before background retry number `attempt` (0 = the first): `firstMs · 2^attempt`, capped at `maxMs`. */
export function keylessRetryDelayMs(attempt: number, firstMs = KEYLESS_RETRY_FIRST_MS, maxMs = KEYLESS_RETRY_MAX_MS): number {
  return Math.min(maxMs, firstMs * 2 ** Math.min(attempt, 30));
}

/** One importable verification key. Several JWKs may share a kid; all are candidates. */
export interface VerificationKey {
  readonly kid: string;
  readonly key: KeyObject;
  readonly kty: 'RSA' | 'EC' | 'OKP';
  /** The JWK's own `alg`, when it pins one. */
  readonly alg: string | undefined;
  /** EC curve (`P-256`, …) or OKP curve (`Ed25519`). */
  readonly curve: string | undefined;
  /** RSA modulus length in bits. */
  readonly modulusBits: number | undefined;
}

export type KeyLookup =
  | { readonly candidates: readonly VerificationKey[] }
  | { readonly reason: 'kid_unknown' }
  | { readonly reason: 'keys_unavailable'; readonly cause: string };

export interface KeyStoreStatus {
  /** Keys are loaded (possibly stale). */
  readonly ready: boolean;
  /** Keys are younger than the max age. */
  readonly fresh: boolean;
  /** An unknown kid would not trigger a refetch right now. */
  readonly coolingDown: boolean;
  /** A fetch is in flight. */
  readonly reloading: boolean;
  /** No keys are loaded and a background retry is scheduled. */
  readonly retryScheduled: boolean;
  readonly keyCount: number;
  readonly jwksUri: string | null;
  /** Epoch ms of the last successful fetch. */
  readonly fetchedAt: number | null;
  readonly lastError: string | null;
  /**
   * The `issuer` the discovery document answered when it did not match the configured one (shown by
   * `portcullis token` and the console with the fix), else `null`.
   */
  readonly discoveredIssuer: string | null;
  /** One line for health checks and `portcullis token`. */
  readonly detail: string;
}

export interface KeyStore {
  /** Candidates for `kid`, synchronously when cached; otherwise a Promise that shares one fetch. */
  getKey(kid: string): KeyLookup | Promise<KeyLookup>;
  /**
   * True when `key` is still in the current key set (cached tokens of replaced keys are re-verified).
   * Like `getKey()`, starts the background refresh when the keys are past their max age.
   */
  isCurrent(key: VerificationKey): boolean;
  /** Fetch now unless a fetch is in flight. Never throws; failures show in `status()`. */
  warmUp(): Promise<void>;
  status(): KeyStoreStatus;
  /** Stops the background retry; later failures schedule none. Idempotent. */
  close(): void;
}

/** Test seam: a GET returning status and body, enforcing the deadline and size cap. */
export type HttpGet = (url: string, options: { timeoutMs: number; maxBytes: number; what: string }) => Promise<{ status: number; body: Buffer }>;

export interface KeyStoreOptions {
  /** Configured issuer (exact). */
  readonly issuer: string;
  /** Skip discovery and read keys from here. */
  readonly jwksUri?: string | undefined;
  readonly clock: Clock;
  /** Default is 7_200_000 (2 h). */
  readonly maxAgeMs?: number;
  /** Default is 300_000 (5 min). */
  readonly cooldownMs?: number;
  /** Per request. Default is 1500. */
  readonly timeoutMs?: number;
  readonly logger?: Logger | undefined;
  /** Test seam. Default: undici `request`. */
  readonly httpGet?: HttpGet | undefined;
  /** Counts fetches for `/metrics` (`portcullis_jwks_fetches_total`). */
  readonly metrics?: KeyMetrics | undefined;
  /**
   * Background retry while no keys are loaded. Default `{ firstMs: 1000, maxMs: 30000 }`; `null`
   * turns it off (tests of request-driven fetching that count attempts).
   */
  readonly keylessRetry?: { readonly firstMs: number; readonly maxMs: number } | null | undefined;
}

/** A fetch failure whose message is safe to send as a reason. */
export class KeyFetchError extends Error {
  readonly code = 'ERR_JWKS_FETCH';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KeyFetchError';
  }
}

export function discoveryUrl(issuer: string): string {
  return `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
}

/**
 * Creates the cache for one issuer. Nothing is fetched until `warmUp()` or the first `getKey()`.
 */
export function createKeyStore(options: KeyStoreOptions): KeyStore {
  const { issuer, clock } = options;
  const maxAgeMs = options.maxAgeMs ?? 7_200_000;
  const cooldownMs = options.cooldownMs ?? 300_000;
  const timeoutMs = options.timeoutMs ?? 1500;
  const failureRetryMs = Math.min(cooldownMs, MAX_FAILURE_RETRY_MS);
  const httpGet = options.httpGet ?? undiciGet;
  const logger = options.logger;
  const keylessRetry = options.keylessRetry === undefined ? { firstMs: KEYLESS_RETRY_FIRST_MS, maxMs: KEYLESS_RETRY_MAX_MS } : options.keylessRetry;

  let keys: Map<string, VerificationKey[]> | null = null;
  let keyCount = 0;
  let fetchedAt: number | null = null;
  let lastAttemptAt: number | null = null;
  let lastError: string | null = null;
  let discoveredIssuer: string | null = null;
  let jwksUri: string | null = options.jwksUri ?? null;
  let pending: Promise<void> | null = null;
  let retryTimer: NodeJS.Timeout | null = null;
  /** Background retries made since keys were last missing; sets the next delay. */
  let retryAttempts = 0;
  let closed = false;

  /**
   * While no keys are loaded, one retry is always scheduled after a failure. Requests also fetch
   * (at most once per retry interval); whichever succeeds first ends the retries.
   */
  function retryInBackground(): void {
    if (closed || keylessRetry === null || keys !== null || retryTimer !== null) return;
    const delayMs = keylessRetryDelayMs(retryAttempts, keylessRetry.firstMs, keylessRetry.maxMs);
    retryTimer = setTimeout(() => {
      retryTimer = null;
      retryAttempts++;
      void refresh('retry');
    }, delayMs);
    // A process with nothing else to do may exit: the retry only keeps readiness current.
    retryTimer.unref();
  }

  function stopRetrying(): void {
    if (retryTimer !== null) clearTimeout(retryTimer);
    retryTimer = null;
    retryAttempts = 0;
  }

  /**
   * Single-flight fetch. Resolves when done; errors are recorded, never thrown. `why` only picks the
   * log level of a failure: a warm-up at start (`prefetch`) fails routinely while an issuer served
   * behind this gateway is still starting.
   */
  function refresh(why: 'prefetch' | 'request' | 'retry' = 'request'): Promise<void> {
    if (pending) return pending;
    lastAttemptAt = clock.nowMs();
    pending = (async () => {
      try {
        const uri = await resolveJwksUri();
        const jwks = await getJson(uri, 'JWKS endpoint');
        const imported = importJwks(jwks, logger);
        keys = imported.keys;
        keyCount = imported.count;
        fetchedAt = clock.nowMs();
        lastError = null;
        stopRetrying();
        options.metrics?.jwksFetch(issuer, 'ok');
        logger?.debug('jwks fetched', { issuer, jwks_uri: uri, key_count: keyCount });
      } catch (err) {
        lastError = err instanceof KeyFetchError ? err.message : `unexpected error: ${(err as Error).message}`;
        options.metrics?.jwksFetch(issuer, 'error');
        // A failed prefetch is routine when the issuer sits behind this gateway (it is not listening
        // yet): requests decide fail-closed anyway, and a request-time failure is a warning.
        if (why === 'prefetch') logger?.info('jwks prefetch failed; keys will be fetched on the first request or the background retry', { issuer, reason: lastError });
        else logger?.warn('jwks fetch failed', { issuer, reason: lastError, ...(why === 'retry' ? { retry: retryAttempts } : {}) });
      } finally {
        pending = null;
        retryInBackground();
      }
    })();
    return pending;
  }

  async function resolveJwksUri(): Promise<string> {
    if (options.jwksUri) return options.jwksUri;
    let doc: unknown;
    try {
      doc = await getJson(discoveryUrl(issuer), 'OIDC discovery endpoint');
    } catch (err) {
      // A known jwks_uri still serves when only discovery is down.
      if (jwksUri) return jwksUri;
      throw err;
    }
    const d = doc as { issuer?: unknown; jwks_uri?: unknown };
    discoveredIssuer = d.issuer === issuer ? null : typeof d.issuer === 'string' ? d.issuer.slice(0, 500) : JSON.stringify(d.issuer ?? null).slice(0, 500);
    if (d.issuer !== issuer) throw new KeyFetchError('the issuer in the OIDC discovery endpoint metadata does not match the configured issuer');
    if (typeof d.jwks_uri !== 'string' || !/^https?:\/\//i.test(d.jwks_uri) || !URL.canParse(d.jwks_uri)) {
      throw new KeyFetchError('the OIDC discovery document has no valid jwks_uri');
    }
    jwksUri = d.jwks_uri;
    return d.jwks_uri;
  }

  async function getJson(url: string, what: string): Promise<Record<string, unknown>> {
    const res = await httpGet(url, { timeoutMs, maxBytes: MAX_JWKS_BYTES, what });
    if (res.status !== 200) throw new KeyFetchError(`the ${what} answered with status ${res.status}`);
    let value: unknown;
    try {
      value = JSON.parse(res.body.toString('utf8'));
    } catch {
      throw new KeyFetchError(`the ${what} response is not valid JSON`);
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new KeyFetchError(`the ${what} response is not a JSON object`);
    return value as Record<string, unknown>;
  }

  function isStale(now: number): boolean {
    return fetchedAt === null || now - fetchedAt >= maxAgeMs;
  }

  function unavailable(): KeyLookup {
    return { reason: 'keys_unavailable', cause: lastError ?? 'no keys fetched yet' };
  }

  /** Unknown kid: when the latest fetch failed, that failure is the clearer reason. */
  function notFound(): KeyLookup {
    return keys && lastError === null ? { reason: 'kid_unknown' } : unavailable();
  }

  function lookupAfterFetch(kid: string): KeyLookup {
    const found = keys?.get(kid);
    return found ? { candidates: found } : notFound();
  }

  /** Stale keys keep working while a background refresh runs (or fails: issuer down). */
  function refreshIfStale(now: number): void {
    if (isStale(now) && !pending && (lastAttemptAt === null || now - lastAttemptAt >= failureRetryMs)) void refresh();
  }

  return {
    getKey(kid) {
      const now = clock.nowMs();
      const found = keys?.get(kid);
      if (found) {
        refreshIfStale(now);
        return { candidates: found };
      }
      if (pending) return pending.then(() => lookupAfterFetch(kid));
      const sinceAttempt = lastAttemptAt === null ? Infinity : now - lastAttemptAt;
      // Unknown kid with keys loaded: at most one refetch per cooldown. No keys, or keys past their
      // max age (the refetch a use of a known kid would start anyway: an issuer that published a
      // key since, e.g. a rotation while this gateway was idle, must not wait out the cooldown):
      // one try per retry interval.
      const limit = keys !== null && !isStale(now) ? cooldownMs : failureRetryMs;
      if (sinceAttempt < limit) return notFound();
      return refresh().then(() => lookupAfterFetch(kid));
    },
    isCurrent(key) {
      // Verified-token cache hits come here instead of getKey(): they must age the keys too, or a
      // key the issuer withdrew keeps admitting cached tokens (regression-jwks-stale-on-cache-hits).
      if (keys !== null) refreshIfStale(clock.nowMs());
      return keys?.get(key.kid)?.includes(key) ?? false;
    },
    async warmUp() {
      await refresh('prefetch');
      // A failed prefetch must not hold requests back for the retry interval: at start the issuer
      // may be this very gateway (SuperTokens serves discovery behind it), not listening yet.
      if (keys === null) lastAttemptAt = null;
    },
    status() {
      const now = clock.nowMs();
      const ready = keys !== null;
      const fresh = ready && !isStale(now);
      const coolingDown = lastAttemptAt !== null && now - lastAttemptAt < (ready ? cooldownMs : failureRetryMs);
      const age = fetchedAt === null ? null : Math.round((now - fetchedAt) / 1000);
      const detail = ready
        ? `${keyCount} key${keyCount === 1 ? '' : 's'} from ${jwksUri ?? 'jwks_uri'}, fetched ${age}s ago${fresh ? '' : ' (stale)'}${lastError ? `; last refresh failed: ${lastError}` : ''}`
        : lastError
          ? `no keys: ${lastError}`
          : 'no keys fetched yet';
      return { ready, fresh, coolingDown, reloading: pending !== null, retryScheduled: retryTimer !== null, keyCount, jwksUri, fetchedAt, lastError, discoveredIssuer, detail };
    },
    close() {
      closed = true;
      stopRetrying();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// JWKS import

const KTY = new Set(['RSA', 'EC', 'OKP']);

/** Imports the usable keys of a JWKS document; unusable entries are skipped, not fatal. */
export function importJwks(doc: Record<string, unknown>, logger?: Logger): { keys: Map<string, VerificationKey[]>; count: number } {
  if (!Array.isArray(doc.keys)) throw new KeyFetchError('the JWKS endpoint response has no keys array');
  const keys = new Map<string, VerificationKey[]>();
  let count = 0;
  for (const jwk of doc.keys as unknown[]) {
    if (jwk === null || typeof jwk !== 'object') continue;
    const j = jwk as Record<string, unknown>;
    if (typeof j.kid !== 'string' || typeof j.kty !== 'string' || !KTY.has(j.kty)) continue;
    if (j.use !== undefined && j.use !== 'sig') continue;
    if (Array.isArray(j.key_ops) && !j.key_ops.includes('verify')) continue;
    let key: KeyObject;
    try {
      // Public members only: never import private material even when a JWKS leaks it.
      key = createPublicKey({ key: publicMembers(j), format: 'jwk' });
    } catch (err) {
      logger?.debug('jwks entry skipped', { kid: j.kid, reason: (err as Error).message });
      continue;
    }
    const details = key.asymmetricKeyDetails ?? {};
    if (j.kty === 'RSA' && !((details.modulusLength ?? 0) > 0)) continue; // node accepts an empty modulus
    const entry: VerificationKey = {
      kid: j.kid,
      key,
      kty: j.kty as VerificationKey['kty'],
      alg: typeof j.alg === 'string' ? j.alg : undefined,
      curve: typeof j.crv === 'string' ? j.crv : undefined,
      modulusBits: details.modulusLength,
    };
    const list = keys.get(j.kid);
    if (list) list.push(entry);
    else keys.set(j.kid, [entry]);
    count++;
  }
  return { keys, count };
}

function publicMembers(j: Record<string, unknown>): { kty: string; [k: string]: unknown } {
  const pick = j.kty === 'RSA' ? ['kty', 'n', 'e'] : ['kty', 'crv', 'x', 'y'];
  const out: { kty: string; [k: string]: unknown } = { kty: j.kty as string };
  for (const k of pick) if (j[k] !== undefined) out[k] = j[k];
  return out;
}

// ---------------------------------------------------------------------------------------------
// HTTP

/** GET with a whole-response deadline and a byte cap checked while reading. No redirects. */
export const undiciGet: HttpGet = async (url, { timeoutMs, maxBytes, what }) => {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  try {
    const res = await request(url, { method: 'GET', signal: controller.signal, headers: { accept: 'application/json' }, reset: true });
    const declared = Number(res.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBytes) {
      res.body.destroy();
      throw new KeyFetchError(`the ${what} response is larger than ${maxBytes} bytes`);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res.body) {
      const buf = chunk as Buffer;
      size += buf.length;
      if (size > maxBytes) {
        res.body.destroy();
        throw new KeyFetchError(`the ${what} response is larger than ${maxBytes} bytes`);
      }
      chunks.push(buf);
    }
    return { status: res.statusCode, body: Buffer.concat(chunks, size) };
  } catch (err) {
    if (err instanceof KeyFetchError) throw err;
    if (timedOut) throw new KeyFetchError(`the ${what} did not answer within ${timeoutMs} ms`, { cause: err });
    const code = (err as { code?: unknown }).code;
    throw new KeyFetchError(`the ${what} could not be reached${typeof code === 'string' ? ` (${code})` : ''}`, { cause: err });
  } finally {
    clearTimeout(timer);
  }
};
