/**
 * @module authorizers/jwt — the HTTP API JWT authorizer with AWS semantics (spec §1). [glue]
 *
 * `createJwtAuthorizer` builds one plug-in per configured `authorizerType: JWT`. `authorize()` runs
 * AWS's validation order, first failure wins (§1.2):
 *
 *   1 identity source present      → 401 `token not provided` (detail `missing: token not provided`)
 *   2 strip one `Bearer ` prefix (case-sensitive, single space)
 *   3 three base64url segments, JSON-object header and payload; no `b64`, no `crit` (core/jwt.ts)
 *   4 `alg` in allowedAlgorithms (default RS256/384/512; never `none`, never HMAC)
 *   5 `kid` present and in the issuer's JWKS (io/keys.ts: discovery, cache, cooldown)
 *   6 signature, with a key whose type matches `alg` (no algorithm confusion)
 *   7-11 `iss`, `aud`/`client_id`, `exp`, `nbf`, `iat` (core/claims.ts)
 *   12 route `authorizationScopes` → 403 `Forbidden`
 *
 * Hot path: keys stay imported as node:crypto `KeyObject`s and signatures are verified
 * synchronously with `crypto.verify` (jose's awaited WebCrypto path measured ~6x slower). A fully
 * verified token's claims are cached until its `exp` in a bounded map keyed by the token's SHA-256;
 * each hit re-runs the time checks against the clock, re-checks that its key is still published,
 * and applies the route's scopes.
 *
 * Must not: write HTTP responses, log tokens, accept unverified claims.
 */
import { constants, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { sha256 } from '../core/digest.ts';
import { z } from 'zod';
import { defineAuthorizer, type Authorizer, type AuthorizerDeps, type AuthorizerRequest, type AuthorizerStatus } from './authorizer.ts';
import { absoluteHttpUrl, LIMITS, nonEmpty, oneOrMany, type ApiConfig, type AuthorizerConfig, type ConfigIssue } from '../core/config.ts';
import type { AuthorizerOutcome, DecisionAudit } from '../core/model.ts';
import {
  checkJwtClaims,
  checkJwtTimes,
  checkRouteScopes,
  extractScopesFrom,
  rejection,
  stringifyClaims,
  toGatewayError,
  type ClaimRules,
  type JwtRejection,
  type JwtTimes,
} from '../core/claims.ts';
import { checkJoseHeader, decodeUnverifiedJwt, isJwtRejection } from '../core/jwt.ts';
import { checkClaimRules, compileClaimRules, renderClaimValidationBody, REFUSE_ALL_CLAIM_RULES, type CompiledClaimRules } from '../core/claim-rules.ts';
import { ClaimValidationError, type GatewayError } from '../core/errors.ts';
import type { RouteConfig } from '../core/config.ts';
import { createKeyStore, type HttpGet, type KeyStore, type KeyStoreOptions, type KeyStoreStatus, type VerificationKey } from '../io/keys.ts';

/** AWS's default: RSA only. */
export const DEFAULT_ALGORITHMS: readonly string[] = ['RS256', 'RS384', 'RS512'];
/** Most verified tokens remembered per authorizer. */
export const TOKEN_CACHE_MAX_ENTRIES = 10_000;
/** [INF] How long a verified token without `exp` is remembered (its checks still re-run). */
const NO_EXP_CACHE_MS = 300_000;
/** [INF] Smallest RSA modulus accepted (jose and RFC 7518 §3.3 require 2048). */
const MIN_RSA_BITS = 2048;

const JWT_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;

/** `authorizerType: JWT` (HTTP APIs): AWS's `jwtConfiguration`, plus our JWKS and leeway knobs. */
export const jwtAuthorizerSchema = z.strictObject({
  authorizerType: z.literal('JWT'),
  /** Exactly one `$request.header.NAME` or `$request.querystring.NAME`. */
  identitySource: oneOrMany.default(['$request.header.Authorization']),
  jwtConfiguration: z.strictObject({
    /** Exact `iss` value; discovery is `{issuer}/.well-known/openid-configuration`. */
    issuer: absoluteHttpUrl,
    /** Accepted `aud` values (or `client_id` when `aud` is absent). AWS limit: 50. */
    audience: z.array(nonEmpty).min(1, 'must list at least one audience'),
  }),
  /**
   * Beyond AWS: accepted algorithms. Default is `["RS256","RS384","RS512"]` (AWS: RSA only).
   * `none` and HMAC are never accepted.
   */
  allowedAlgorithms: z.array(z.enum(JWT_ALGORITHMS)).min(1).optional(),
  /** Beyond AWS: fetch JWKS from this URL instead of OIDC discovery. */
  jwksUri: absoluteHttpUrl.optional(),
  /** How long fetched keys are trusted. Default is 7200 (AWS caches keys for 2 h). */
  jwksCacheMaxAgeSeconds: z.number().int().min(1).max(86_400).default(7200),
  /** Least time between two refetches caused by an unknown `kid`. Default is 300. */
  jwksCooldownSeconds: z.number().int().min(0).max(86_400).default(300),
  /** Timeout of each discovery / JWKS fetch. Default is 1500 (AWS's limit). */
  jwksTimeoutInMillis: z.number().int().min(10).max(60_000).default(1500),
  /** Leeway for `exp` / `nbf` / `iat`. Default is 0 (AWS documents none). */
  clockSkewSeconds: z.number().int().min(0).max(600).default(0),
  /** Reject tokens without `exp`. Default is false (AWS accepts them). */
  requireExp: z.boolean().default(false),
  /** Send `www-authenticate` on a missing token too. Default is true. */
  wwwAuthenticateOnMissingToken: z.boolean().default(true),
  /**
   * Beyond AWS: claims whose values are the token's scopes for `authorizationScopes` (union of all
   * listed; a string is split on spaces, an array taken as is), e.g. `[scope, permissions]` for Auth0
   * RBAC. Default: AWS's rule, `scp` when present, else `scope`.
   */
  scopeClaims: z.array(nonEmpty).min(1).optional(),
  /**
   * Beyond AWS: the answer when a route's `claims:` fail. Default is 403 with message `invalid claim`
   * (SuperTokens' `verifySession` answer, `invalidClaimStatusCode` of its frontend SDKs).
   */
  claimValidationResponse: z
    .strictObject({
      statusCode: z.number().int().min(400).max(499).default(403),
      message: nonEmpty.default('invalid claim'),
    })
    .optional(),
});
export type JwtAuthorizerConfig = z.infer<typeof jwtAuthorizerSchema>;

/** A parsed authorizer section of this type (the parser checked it with `jwtAuthorizerSchema`). */
export function isJwtAuthorizerConfig(config: Readonly<AuthorizerConfig> | undefined): config is Readonly<AuthorizerConfig & JwtAuthorizerConfig> {
  return config?.authorizerType === 'JWT';
}

/** What the schema cannot say: HTTP APIs only, one `$request.*` identity source, AWS's audience limit. */
function checkJwtAuthorizer(config: JwtAuthorizerConfig, { api }: { api: Readonly<ApiConfig> }): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const sources = Array.isArray(config.identitySource) ? config.identitySource : config.identitySource.split(',').map((s) => s.trim());
  if (api.protocol !== 'http') issues.push({ path: 'authorizerType', message: 'JWT authorizers are an HTTP API feature (use a REQUEST or TOKEN authorizer on REST APIs)' });
  if (sources.length !== 1) issues.push({ path: 'identitySource', message: `must be exactly one identity source, got ${sources.length}` });
  else if (!/^\$request\.(header|querystring)\.[^\s.]+$/.test(sources[0]!)) {
    issues.push({ path: 'identitySource', message: `must be $request.header.NAME or $request.querystring.NAME, got ${JSON.stringify(sources[0])}` });
  }
  if (config.jwtConfiguration.audience.length > LIMITS.audiencesPerAuthorizer) {
    issues.push({ path: 'jwtConfiguration.audience', message: `at most ${LIMITS.audiencesPerAuthorizer} audiences (AWS limit), got ${config.jwtConfiguration.audience.length}` });
  }
  return issues;
}

export interface JwtAuthorizerStatus extends AuthorizerStatus {
  readonly keys: KeyStoreStatus;
  readonly cachedTokens: number;
  /** Verified-token cache lookups since start (or reload). */
  readonly tokenCacheHits: number;
  readonly tokenCacheMisses: number;
  /** `--dev-tokens`: the local key's `kid`, or `null`. */
  readonly devKeyId: string | null;
}

export interface JwtAuthorizer extends Authorizer {
  /** The `kid` of the dev-tokens key this authorizer trusts, or `null`. */
  readonly devKeyId: string | null;
  warmUp(): Promise<void>;
  status(): JwtAuthorizerStatus;
  close(): Promise<void>;
}

/** Extra knobs for tests and tools; the gateway uses the defaults. */
export interface JwtAuthorizerOptions {
  readonly httpGet?: HttpGet;
  readonly tokenCacheMaxEntries?: number;
  /** Share a key store (e.g. several authorizers trusting one issuer). Its owner closes it. */
  readonly keyStore?: KeyStore;
  /** Passed to `createKeyStore` (background retry while no keys are loaded; `null` = off). */
  readonly keylessRetry?: KeyStoreOptions['keylessRetry'];
  /** `--dev-tokens`: a local key trusted beside the issuer's JWKS (its `kid` is checked first). */
  readonly devKey?: VerificationKey & { readonly kid: string };
}

export function createJwtAuthorizer(id: string, config: Readonly<JwtAuthorizerConfig>, api: Readonly<ApiConfig>, deps: AuthorizerDeps): JwtAuthorizer {
  return createJwtAuthorizerWithOptions(id, config, api, deps, {});
}

/** The registry entry (authorizers/index.ts). */
export const jwtAuthorizerPlugin = defineAuthorizer({
  schema: jwtAuthorizerSchema,
  check: checkJwtAuthorizer,
  routeAuthorizationType: 'JWT',
  takesScopes: true,
  takesClaims: true,
  // JWT identity sources are always `$request.…` (HTTP API syntax), whatever the API.
  identitySyntax: 'http',
  compile: createJwtAuthorizer,
});

/** `createJwtAuthorizer` with test/tool options. */
export function createJwtAuthorizerWithOptions(
  id: string,
  config: Readonly<JwtAuthorizerConfig>,
  api: Readonly<ApiConfig>,
  deps: AuthorizerDeps,
  options: JwtAuthorizerOptions,
): JwtAuthorizer {
  const cfg = config;
  const clock = deps.clock;
  const readIdentity = compileIdentitySource(cfg.identitySource);
  const allowed = new Set(cfg.allowedAlgorithms ?? DEFAULT_ALGORITHMS);
  const rules: ClaimRules = {
    issuer: cfg.jwtConfiguration.issuer,
    audience: new Set(cfg.jwtConfiguration.audience),
    clockSkewMs: cfg.clockSkewSeconds * 1000,
    requireExp: cfg.requireExp,
  };
  const render = { wwwAuthenticateOnMissingToken: cfg.wwwAuthenticateOnMissingToken };
  const logger = deps.logger.child({ authorizer_id: id });
  if (/^http:/i.test(rules.issuer) && !/^http:\/\/(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?(\/|$)/i.test(rules.issuer)) {
    logger.warn('JWT issuer uses plain http on a non-loopback host; keys could be tampered with in transit', { issuer: rules.issuer });
  }
  const keys =
    options.keyStore ??
    createKeyStore({
      issuer: rules.issuer,
      jwksUri: cfg.jwksUri,
      clock,
      maxAgeMs: cfg.jwksCacheMaxAgeSeconds * 1000,
      cooldownMs: cfg.jwksCooldownSeconds * 1000,
      timeoutMs: cfg.jwksTimeoutInMillis,
      logger,
      httpGet: options.httpGet,
      metrics: deps.metrics,
      keylessRetry: options.keylessRetry,
    });
  const cache = createTokenCache(options.tokenCacheMaxEntries ?? TOKEN_CACHE_MAX_ENTRIES);
  const claimRules = compileRouteClaimRules(id, api);
  const claimResponse = { statusCode: cfg.claimValidationResponse?.statusCode ?? 403, message: cfg.claimValidationResponse?.message ?? 'invalid claim' };
  const devKey = options.devKey ?? deps.devKeys?.(api.name, id) ?? null;
  let cacheHits = 0;
  let cacheMisses = 0;

  /** The rejection as a taxonomy error, with the words and the decoded token for the decision log. */
  function refuse(r: JwtRejection, token: DecisionAudit['token']): GatewayError {
    const err = toGatewayError(r, render);
    err.audit = { reason: r.explanation ?? r.description, ...(token ? { token } : {}) };
    return err;
  }

  /** Steps 2-11 for one token; the outcome before route scopes. */
  async function verifyToken(token: string, cacheKey: string): Promise<CachedToken | { rejection: JwtRejection; view?: DecisionAudit['token'] }> {
    const jwt = decodeUnverifiedJwt(token);
    if (isJwtRejection(jwt)) return { rejection: jwt };
    const view = { header: jwt.header.raw, payload: jwt.payload, verified: false };
    const r = await verifyDecoded(jwt, cacheKey, view);
    return 'reason' in r ? { rejection: r, view } : r;
  }

  async function verifyDecoded(jwt: Exclude<ReturnType<typeof decodeUnverifiedJwt>, JwtRejection>, cacheKey: string, view: NonNullable<DecisionAudit['token']>): Promise<CachedToken | JwtRejection> {
    const extension = checkJoseHeader(jwt.header);
    if (extension) return extension;
    const alg = jwt.header.alg;
    if (typeof alg !== 'string' || !allowed.has(alg)) return rejection('alg_not_allowed', { alg: describeAlg(alg) });
    const kid = jwt.header.kid;
    if (typeof kid !== 'string' || kid === '') return rejection('kid_missing');
    let found = devKey && kid === devKey.kid ? { candidates: [devKey] } : keys.getKey(kid);
    if (found instanceof Promise) found = await found;
    if ('reason' in found) return found.reason === 'kid_unknown' ? rejection('kid_unknown') : rejection('keys_unavailable', { cause: found.cause });
    const key = await verifySignature(alg, found.candidates, jwt.signingInput, jwt.signature);
    if ('reason' in key) return key;
    const now = clock.nowMs();
    const times = checkJwtClaims(jwt.payload, rules, now);
    if ('reason' in times) {
      if (times.reason === 'issuer_mismatch') return { ...times, explanation: explainIssuerMismatch(jwt.payload.iss, rules.issuer) };
      return times;
    }
    const verifiedView = Object.freeze({ ...view, verified: true });
    const entry: CachedToken = {
      key,
      times,
      payload: jwt.payload,
      claims: Object.freeze(stringifyClaims(jwt.payload)),
      scopes: Object.freeze(extractScopesFrom(jwt.payload, cfg.scopeClaims)),
      auditFresh: Object.freeze({ reason: 'token verified', token: verifiedView }),
      auditCached: Object.freeze({ reason: 'token verified (cached verification)', cached: true, token: verifiedView }),
      expiresAtMs: times.exp !== undefined ? times.exp * 1000 + rules.clockSkewMs : now + NO_EXP_CACHE_MS,
    };
    cache.set(cacheKey, entry);
    return entry;
  }

  async function authorize(input: AuthorizerRequest): Promise<AuthorizerOutcome> {
    const raw = readIdentity(input.request);
    if (raw === undefined || raw.trim() === '') throw refuse(rejection('token_missing'), undefined);
    const token = raw.startsWith('Bearer ') ? raw.slice(7) : raw;
    const cacheKey = sha256(token, 'base64');
    let verified: CachedToken | undefined = cache.get(cacheKey);
    let fromCache = verified !== undefined;
    if (verified) {
      const now = clock.nowMs();
      if (now >= verified.expiresAtMs || !(keys.isCurrent(verified.key) || verified.key === devKey)) {
        cache.delete(cacheKey);
        verified = undefined;
        fromCache = false;
      } else {
        const late = checkJwtTimes(verified.times, rules, now);
        if (late) throw refuse(late, verified.auditCached.token);
      }
    }
    if (fromCache) cacheHits++;
    else cacheMisses++;
    if (!verified) {
      const fresh = await verifyToken(token, cacheKey);
      if ('rejection' in fresh) throw refuse(fresh.rejection, fresh.view);
      verified = fresh;
    }
    const audit = fromCache ? verified.auditCached : verified.auditFresh;
    const scopes = checkRouteScopes(verified.scopes, input.route.authorizationScopes);
    if (scopes !== null && 'reason' in scopes) {
      throw refuse({ ...scopes, explanation: `none of the route's scopes ${JSON.stringify(input.route.authorizationScopes)} is among the token's ${JSON.stringify(verified.scopes)}` }, audit.token);
    }
    const routeRules = input.route.claims ? claimRulesFor(input.route) : null;
    if (routeRules) {
      const failures = checkClaimRules(routeRules, verified.payload, clock.nowMs());
      if (failures.length) {
        const reason = failures.map((f) => f.explanation).join('; ');
        const err = new ClaimValidationError(claimResponse.statusCode, claimResponse.message, renderClaimValidationBody(failures, claimResponse.message), { detail: reason });
        err.audit = { reason, token: audit.token, failedRules: failures.map((f) => ({ path: f.path, id: f.id, explanation: f.explanation })) };
        throw err;
      }
    }
    return { kind: 'jwt', claims: verified.claims as Record<string, string>, scopes, audit };
  }

  /** Rules compiled at construction; a route object not seen then (tools, tests) compiles once here. */
  function claimRulesFor(route: Readonly<RouteConfig>): CompiledClaimRules {
    let compiled = claimRules.get(route);
    if (!compiled) {
      const c = compileClaimRules(route.claims ?? {});
      compiled = c.ok ? c.value : REFUSE_ALL_CLAIM_RULES;
      claimRules.set(route, compiled);
    }
    return compiled;
  }

  return {
    id,
    kind: 'jwt',
    authorize,
    devKeyId: devKey?.kid ?? null,
    warmUp: () => keys.warmUp(),
    status(): JwtAuthorizerStatus {
      const k = keys.status();
      const dev = devKey ? `; DEV TOKENS: also trusts the local key ${devKey.kid} (portcullis token mint)` : '';
      return { ready: k.ready, detail: k.detail + dev, keys: k, cachedTokens: cache.size(), tokenCacheHits: cacheHits, tokenCacheMisses: cacheMisses, devKeyId: devKey?.kid ?? null };
    },
    async close() {
      cache.clear();
      // A store passed in is shared and closed by whoever made it; ours stops its background retry.
      if (!options.keyStore) keys.close();
    },
  };
}

/**
 * Claim rules of every route of `api` that names this authorizer, compiled once. Rules that do not
 * compile (the config check reports them with their path) refuse every token: fail closed.
 */
function compileRouteClaimRules(id: string, api: Readonly<ApiConfig>): WeakMap<Readonly<RouteConfig>, CompiledClaimRules> {
  const out = new WeakMap<Readonly<RouteConfig>, CompiledClaimRules>();
  for (const route of Object.values(api.routes ?? {})) {
    if (route.authorizerId !== id || !route.claims) continue;
    const c = compileClaimRules(route.claims);
    out.set(route, c.ok ? c.value : REFUSE_ALL_CLAIM_RULES);
  }
  return out;
}

/**
 * `issuer http://a/ ≠ configured http://a`, with the likely fix when the two differ by a trailing
 * slash or letter case (the Auth0 thread's case). Both values are public (discovery documents).
 */
export function explainIssuerMismatch(tokenIss: unknown, configured: string, source: 'token' | 'discovery' = 'token'): string {
  const whose = source === 'token' ? "the token's issuer" : "the discovery document's issuer";
  const shown = typeof tokenIss === 'string' ? (tokenIss.length > 200 ? `${tokenIss.slice(0, 200)}…` : tokenIss) : tokenIss === undefined ? '(no iss claim)' : JSON.stringify(tokenIss);
  let fix = '';
  if (typeof tokenIss === 'string') {
    if (tokenIss === `${configured}/`) fix = `; ${whose} ends with "/": set jwtConfiguration.issuer to "${tokenIss}"`;
    else if (`${tokenIss}/` === configured) fix = `; the configured issuer has a trailing "/" that ${whose} lacks: set jwtConfiguration.issuer to "${tokenIss}"`;
    else if (tokenIss.toLowerCase() === configured.toLowerCase()) fix = '; they differ only in letter case (issuers are compared exactly)';
  }
  return `${source === 'token' ? 'issuer' : 'discovery issuer'} ${shown} ≠ configured ${configured}${fix}`;
}

/** The header's `alg` as echoed in the reason: capped, since the client controls it. */
function describeAlg(alg: unknown): string {
  const text = typeof alg === 'string' ? alg : alg === undefined ? '(missing)' : JSON.stringify(alg) ?? String(alg);
  return text.length > 40 ? `${text.slice(0, 40)}...` : text;
}

// ---------------------------------------------------------------------------------------------
// Identity source

/** `$request.header.NAME` (case-insensitive) or `$request.querystring.NAME` (case-sensitive). */
export function compileIdentitySource(source: string | readonly string[]): (req: { headers: Readonly<Record<string, string>>; rawQueryString: string }) => string | undefined {
  const expr = (Array.isArray(source) ? source[0] : source) as string | undefined;
  const m = expr ? /^\$request\.(header|querystring)\.(.+)$/.exec(expr.trim()) : null;
  if (!m) throw new TypeError(`unsupported JWT identity source ${JSON.stringify(expr)}`);
  const name = m[2]!;
  if (m[1] === 'header') {
    const lower = name.toLowerCase();
    return (req) => req.headers[lower];
  }
  return (req) => {
    if (req.rawQueryString === '') return undefined;
    const values = new URLSearchParams(req.rawQueryString).getAll(name);
    return values.length ? values.join(',') : undefined;
  };
}

// ---------------------------------------------------------------------------------------------
// Signatures

interface AlgSpec {
  readonly kty: VerificationKey['kty'];
  readonly hash: string | null;
  readonly curves?: readonly string[];
  readonly pss?: boolean;
  /** ECDSA raw (r||s) signature length. */
  readonly sigBytes?: number;
}

const ALGS: Readonly<Record<string, AlgSpec>> = {
  RS256: { kty: 'RSA', hash: 'sha256' },
  RS384: { kty: 'RSA', hash: 'sha384' },
  RS512: { kty: 'RSA', hash: 'sha512' },
  PS256: { kty: 'RSA', hash: 'sha256', pss: true },
  PS384: { kty: 'RSA', hash: 'sha384', pss: true },
  PS512: { kty: 'RSA', hash: 'sha512', pss: true },
  ES256: { kty: 'EC', hash: 'sha256', curves: ['P-256'], sigBytes: 64 },
  ES384: { kty: 'EC', hash: 'sha384', curves: ['P-384'], sigBytes: 96 },
  ES512: { kty: 'EC', hash: 'sha512', curves: ['P-521'], sigBytes: 132 },
  EdDSA: { kty: 'OKP', hash: null, curves: ['Ed25519', 'Ed448'] },
};

/** True when `key` may verify `alg`: key type, curve, size and the JWK's own `alg` must agree. */
export function isKeyUsableFor(alg: string, key: VerificationKey): boolean {
  const spec = ALGS[alg];
  if (!spec || key.kty !== spec.kty) return false;
  if (key.alg !== undefined && key.alg !== alg) return false;
  if (spec.curves && (key.curve === undefined || !spec.curves.includes(key.curve))) return false;
  if (spec.kty === 'RSA' && (key.modulusBits ?? 0) < MIN_RSA_BITS) return false;
  return true;
}

/** Step 6. Returns the candidate that verifies the signature, or the rejection. */
/**
 * Checks the signature with each usable key. The check runs on libuv's thread pool (node:crypto's
 * callback form): the event loop keeps proxying other requests while a fresh token is verified,
 * so with more than one core the ~35 µs of RSA work per fresh token runs beside the gateway's own.
 */
export async function verifySignature(alg: string, candidates: readonly VerificationKey[], signingInput: string, signature: Buffer): Promise<VerificationKey | JwtRejection> {
  const spec = ALGS[alg];
  const usable = spec ? candidates.filter((k) => isKeyUsableFor(alg, k)) : [];
  if (!spec || usable.length === 0) return rejection('key_alg_mismatch', { alg });
  if (spec.sigBytes !== undefined && signature.length !== spec.sigBytes) return rejection('signature_invalid');
  const data = Buffer.from(signingInput, 'latin1');
  for (const k of usable) if (await verifyOne(spec, k.key, data, signature)) return k;
  return rejection('signature_invalid');
}

function verifyOne(spec: AlgSpec, key: KeyObject, data: Buffer, signature: Buffer): Promise<boolean> {
  return new Promise((resolveVerified) => {
    const done = (err: Error | null, ok: boolean) => resolveVerified(err === null && ok);
    try {
      if (spec.kty === 'EC') cryptoVerify(spec.hash, data, { key, dsaEncoding: 'ieee-p1363' }, signature, done);
      else if (spec.pss) cryptoVerify(spec.hash, data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }, signature, done);
      else cryptoVerify(spec.hash, data, key, signature, done);
    } catch {
      resolveVerified(false);
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Verified-token cache

interface CachedToken {
  /** The key that verified it; when a refresh drops or replaces it, the token is verified again. */
  readonly key: VerificationKey;
  readonly times: JwtTimes;
  readonly claims: Readonly<Record<string, string>>;
  readonly scopes: readonly string[];
  /** The verified payload as decoded (for `claims:` rules). */
  readonly payload: Readonly<Record<string, unknown>>;
  /** Decision-log views, built once per verified token (no allocation per request). */
  readonly auditFresh: DecisionAudit & { token: NonNullable<DecisionAudit['token']> };
  readonly auditCached: DecisionAudit & { token: NonNullable<DecisionAudit['token']> };
  /** Epoch ms after which the entry is dropped. */
  readonly expiresAtMs: number;
}

interface TokenCache {
  get(key: string): CachedToken | undefined;
  set(key: string, value: CachedToken): void;
  delete(key: string): void;
  clear(): void;
  size(): number;
}

/**
 * Bounded map with first-in-first-out eviction through a ring of slots. (Evicting with
 * `map.keys().next()` costs ~9 us per insert on a full 10,000-entry Map: deleted entries leave holes
 * the iterator must skip.) Each entry owns one slot; a slot is reused only after its owner goes.
 */
function createTokenCache(maxEntries: number): TokenCache {
  const map = new Map<string, { value: CachedToken; slot: number }>();
  const ring: Array<string | undefined> = new Array<string | undefined>(Math.max(0, maxEntries));
  let next = 0;
  return {
    get: (key) => map.get(key)?.value,
    set(key, value) {
      if (maxEntries <= 0) return;
      const existing = map.get(key);
      if (existing) {
        existing.value = value;
        return;
      }
      const owner = ring[next];
      if (owner !== undefined && map.get(owner)?.slot === next) map.delete(owner);
      ring[next] = key;
      map.set(key, { value, slot: next });
      next = (next + 1) % maxEntries;
    },
    delete: (key) => void map.delete(key),
    clear() {
      map.clear();
      ring.fill(undefined);
    },
    size: () => map.size,
  };
}

