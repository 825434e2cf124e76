/**
 * @module core/claims — JWT claim checks and AWS claim rendering for HTTP API JWT authorizers. [pure]
 *
 * Everything after the signature check in AWS's order (spec §1.2 steps 7-12): `iss` exact, `aud`
 * (then `client_id` only when `aud` is absent), `exp` / `nbf` / `iat` against a `now` passed in,
 * and route scopes from `scp` else `scope`. Also the AWS wire forms: claim stringification (§1.5)
 * and the `www-authenticate` header (§1.3). Failures are values (`JwtRejection`) carrying a closed
 * `reason` and AWS's wording; `toGatewayError()` turns one into the taxonomy error.
 *
 * Must not: read the clock, do I/O, or put token material in any message.
 */
import { AccessDeniedError, UnauthorizedError, type GatewayError } from './errors.ts';

// ---------------------------------------------------------------------------------------------
// Rejections

/** Every way a JWT can be refused. Stable: logs and tests switch on these, never on text. */
export type JwtRejectReason =
  | 'token_missing'
  | 'token_too_large'
  | 'malformed_segments'
  | 'malformed_header_base64'
  | 'malformed_header_json'
  | 'malformed_payload_base64'
  | 'malformed_payload_json'
  | 'malformed_signature_base64'
  | 'crit_invalid'
  | 'crit_unsupported'
  | 'b64_unsupported'
  | 'alg_not_allowed'
  | 'kid_missing'
  | 'kid_unknown'
  | 'keys_unavailable'
  | 'key_alg_mismatch'
  | 'signature_invalid'
  | 'issuer_mismatch'
  | 'audience_invalid'
  | 'exp_missing'
  | 'exp_invalid'
  | 'expired'
  | 'nbf_invalid'
  | 'not_yet_valid'
  | 'iat_invalid'
  | 'used_before_issued'
  | 'scope_missing';

export interface JwtRejection {
  readonly reason: JwtRejectReason;
  /** 401 for every failure except the scope check (403). */
  readonly status: 401 | 403;
  /** The `error_description` sent in `www-authenticate` (AWS wording where known). */
  readonly description: string;
  /** `$context.authorizer.error`. Equal to `description` except for a missing token. */
  readonly detail: string;
  /** Words for the decision log when they say more than `description` (both issuers, scopes). */
  readonly explanation?: string;
}

/**
 * Descriptions. `AWS` = wording observed or documented for AWS; `[INF]` = our wording where AWS's is
 * unverified (golang-jwt's text where AWS evidently uses that library, otherwise a clear sentence).
 */
const DESCRIPTIONS: Record<JwtRejectReason, string> = {
  token_missing: 'token not provided', // [INF] header text; detail is AWS's `missing: token not provided`
  token_too_large: `token is larger than 10240 bytes`, // [INF]
  malformed_segments: 'token contains an invalid number of segments', // AWS [OBS]
  malformed_header_base64: 'token header is not valid base64url', // [INF]
  malformed_header_json: 'token header is not a valid JSON object', // [INF]
  malformed_payload_base64: 'token payload is not valid base64url', // [INF]
  malformed_payload_json: 'token payload is not a valid JSON object', // [INF]
  malformed_signature_base64: 'token signature is not valid base64url', // [INF]
  crit_invalid: 'token header has an invalid crit parameter', // [INF] RFC 7515 §4.1.11
  crit_unsupported: 'token header lists a critical extension that is not supported', // [INF] RFC 7515 §4.1.11
  b64_unsupported: 'token header has a b64 parameter, which is not supported', // [INF] RFC 7797
  alg_not_allowed: 'signing method {alg} is invalid', // AWS [OBS] pattern
  kid_missing: 'token header has no kid', // [INF]
  kid_unknown: "no key in the issuer's JWKS matches the token's kid", // [INF]
  keys_unavailable: "unable to get the issuer's signing keys: {cause}", // [INF]
  key_alg_mismatch: 'the key for the token\'s kid cannot verify signing method {alg}', // [INF]
  signature_invalid: 'signature is invalid', // [INF] golang-jwt ErrSignatureInvalid
  issuer_mismatch: 'issuer does not match', // AWS [OBS partial]
  audience_invalid: 'the token does not have a valid audience', // AWS [DOC]
  exp_missing: 'token has no exp claim', // [INF] only with requireExp
  exp_invalid: 'token has an invalid exp claim', // [INF]
  expired: 'token is expired', // [INF] golang-jwt
  nbf_invalid: 'token has an invalid nbf claim', // [INF]
  not_yet_valid: 'token is not valid yet', // [INF] golang-jwt
  iat_invalid: 'token has an invalid iat claim', // [INF]
  used_before_issued: 'token used before issued', // [INF] golang-jwt
  scope_missing: "the token does not have any of the route's authorization scopes", // [INF] (403, no header)
};

/** Builds a rejection; `params` fill `{alg}` / `{cause}` placeholders. */
export function rejection(reason: JwtRejectReason, params: Readonly<Record<string, string>> = {}): JwtRejection {
  const description = DESCRIPTIONS[reason].replace(/\{(\w+)\}/g, (_, name: string) => params[name] ?? '');
  return {
    reason,
    status: reason === 'scope_missing' ? 403 : 401,
    description,
    detail: reason === 'token_missing' ? 'missing: token not provided' : description,
  };
}

/**
 * AWS's `www-authenticate` for JWT 401s, byte-for-byte (§1.3): single spaces, no commas.
 * Characters that cannot appear in a quoted-string (`"`, `\`, controls, non-ASCII) become `?`.
 */
export function formatWwwAuthenticate(description: string): string {
  return `Bearer scope="" error="invalid_token" error_description="${description.replace(/[^\x20-\x21\x23-\x5b\x5d-\x7e]/g, '?')}"`;
}

export interface RejectionRenderOptions {
  /** Send `www-authenticate` when the token is missing. Default is true. [INF] */
  readonly wwwAuthenticateOnMissingToken?: boolean;
}

/** The taxonomy error the pipeline renders: 401 `Unauthorized` + header, or 403 `Forbidden`. */
export function toGatewayError(r: JwtRejection, options: RejectionRenderOptions = {}): GatewayError {
  if (r.status === 403) return new AccessDeniedError('Forbidden', { detail: r.detail });
  const withHeader = r.reason !== 'token_missing' || (options.wwwAuthenticateOnMissingToken ?? true);
  return new UnauthorizedError({
    detail: r.detail,
    ...(withHeader ? { headers: { 'www-authenticate': formatWwwAuthenticate(r.description) } } : {}),
  });
}

// ---------------------------------------------------------------------------------------------
// Claim checks

export interface ClaimRules {
  /** Configured issuer; compared to `iss` exactly (trailing slash included). */
  readonly issuer: string;
  /** Accepted `aud` values, or `client_id` when `aud` is absent. */
  readonly audience: ReadonlySet<string>;
  /** Leeway for time checks, in milliseconds. AWS: 0. */
  readonly clockSkewMs: number;
  /** Refuse tokens without `exp`. AWS: false. */
  readonly requireExp: boolean;
}

/** The time claims, pulled out once so cached tokens can re-run `checkJwtTimes` cheaply. */
export interface JwtTimes {
  /** Seconds since the epoch, or `undefined` when absent. */
  readonly exp: number | undefined;
  readonly nbf: number | undefined;
  readonly iat: number | undefined;
}

/**
 * Steps 7-11: `iss`, `aud`/`client_id`, `exp`, `nbf`, `iat`. First failure wins.
 * @param nowMs current time in milliseconds since the epoch.
 * @returns the token's times on success, else the rejection.
 */
export function checkJwtClaims(payload: Readonly<Record<string, unknown>>, rules: ClaimRules, nowMs: number): JwtTimes | JwtRejection {
  if (payload.iss !== rules.issuer) return rejection('issuer_mismatch');
  if (!hasValidAudience(payload, rules.audience)) return rejection('audience_invalid');
  const times = readJwtTimes(payload);
  if ('reason' in times) return times;
  const bad = checkJwtTimes(times, rules, nowMs);
  return bad ?? times;
}

/**
 * AWS: when `aud` is present (string or array) one value must be listed; `client_id` is compared
 * only when `aud` is absent. A JSON `null` counts as absent (Go decodes it to nil).
 */
export function hasValidAudience(payload: Readonly<Record<string, unknown>>, audience: ReadonlySet<string>): boolean {
  const aud = payload.aud;
  if (aud === undefined || aud === null) return typeof payload.client_id === 'string' && audience.has(payload.client_id);
  if (typeof aud === 'string') return audience.has(aud);
  if (Array.isArray(aud)) return aud.some((a) => typeof a === 'string' && audience.has(a));
  return false;
}

/**
 * Reads `exp`/`nbf`/`iat`; each must be a finite number (NumericDate, RFC 7519 §2) when present.
 * Unlike `aud`, a JSON `null` is present and not a number: refused, never read as "absent".
 */
export function readJwtTimes(payload: Readonly<Record<string, unknown>>): JwtTimes | JwtRejection {
  const exp = readNumericDate(payload.exp);
  if (exp === null) return rejection('exp_invalid');
  const nbf = readNumericDate(payload.nbf);
  if (nbf === null) return rejection('nbf_invalid');
  const iat = readNumericDate(payload.iat);
  if (iat === null) return rejection('iat_invalid');
  return { exp, nbf, iat };
}

function readNumericDate(v: unknown): number | undefined | null {
  if (v === undefined) return undefined;
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/**
 * Steps 9-11 against `nowMs`: `exp` must be after now, `nbf` and `iat` not after now (± skew).
 * @returns `null` when the times pass.
 */
export function checkJwtTimes(times: JwtTimes, rules: Pick<ClaimRules, 'clockSkewMs' | 'requireExp'>, nowMs: number): JwtRejection | null {
  if (times.exp === undefined) {
    if (rules.requireExp) return rejection('exp_missing');
  } else if (!(nowMs < times.exp * 1000 + rules.clockSkewMs)) return rejection('expired');
  if (times.nbf !== undefined && nowMs < times.nbf * 1000 - rules.clockSkewMs) return rejection('not_yet_valid');
  if (times.iat !== undefined && nowMs < times.iat * 1000 - rules.clockSkewMs) return rejection('used_before_issued');
  return null;
}

// ---------------------------------------------------------------------------------------------
// Scopes

/**
 * The token's scopes: `scp` when present (array, or space-separated string), else `scope`
 * (space-separated string, or array). Order kept; empty entries dropped.
 */
export function extractScopes(payload: Readonly<Record<string, unknown>>): string[] {
  const source = payload.scp !== undefined && payload.scp !== null ? payload.scp : payload.scope;
  if (typeof source === 'string') return source.split(' ').filter((s) => s !== '');
  if (Array.isArray(source)) return source.filter((s): s is string => typeof s === 'string' && s !== '');
  return [];
}

/**
 * Beyond AWS (`scopeClaims`): the union of the listed claims' scopes, each a space-separated string
 * or an array; first occurrence order, no duplicates. `undefined` = AWS's rule (`extractScopes`).
 */
export function extractScopesFrom(payload: Readonly<Record<string, unknown>>, scopeClaims: readonly string[] | undefined): string[] {
  if (!scopeClaims) return extractScopes(payload);
  const out: string[] = [];
  for (const name of scopeClaims) {
    const source = payload[name];
    const list = typeof source === 'string' ? source.split(' ') : Array.isArray(source) ? source : [];
    for (const s of list) if (typeof s === 'string' && s !== '' && !out.includes(s)) out.push(s);
  }
  return out;
}

/**
 * Step 12: with route scopes, at least one must be among the token's scopes (AWS: one is enough).
 * @returns `scopes` for the outcome (`null` when the route lists none) or the 403 rejection.
 */
export function checkRouteScopes(tokenScopes: readonly string[], routeScopes: readonly string[] | undefined): string[] | null | JwtRejection {
  if (!routeScopes || routeScopes.length === 0) return null;
  for (const s of routeScopes) if (tokenScopes.includes(s)) return [...tokenScopes];
  return rejection('scope_missing');
}

// ---------------------------------------------------------------------------------------------
// Claim stringification (§1.5)

/**
 * AWS renders every claim as a string: strings unchanged, integers as digits (no exponent),
 * booleans `true`/`false`, arrays Go-style `[a b c]`, objects as compact JSON, `null` dropped.
 * [INF] non-integer numbers use the shortest decimal form (`1.5`); inside arrays `null` renders as
 * `<nil>` (Go's fmt) and objects as compact JSON.
 */
export function stringifyClaims(payload: Readonly<Record<string, unknown>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(payload)) {
    if (key === '__proto__') continue;
    const v = payload[key];
    if (v === null || v === undefined) continue;
    out[key] = stringifyClaimValue(v);
  }
  return out;
}

export function stringifyClaimValue(v: unknown): string {
  switch (typeof v) {
    case 'string':
      return v;
    case 'number':
      return formatNumber(v);
    case 'boolean':
      return v ? 'true' : 'false';
    default:
      if (v === null || v === undefined) return '<nil>';
      if (Array.isArray(v)) return `[${v.map(stringifyClaimValue).join(' ')}]`;
      return JSON.stringify(v);
  }
}

function formatNumber(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) >= 1e21) return BigInt(n).toString();
  return String(n);
}
