/**
 * @module core/jwt — compact JWS parsing without verification. [pure]
 *
 * `decodeUnverifiedJwt()` splits a compact JWT into its parts and parses header and payload (with
 * the shared codec, core/jwt-codec.ts, adding AWS's strict base64url and its rejection reasons).
 * Nothing it returns is trustworthy until the signature has been checked (authorizers/jwt.ts does
 * that); the name says so. Failures are `JwtRejection`s carrying AWS's wording where it is known.
 *
 * Must not: verify signatures, read the clock, do I/O, or put token material in any message.
 */
import { rejection, type JwtRejection } from './claims.ts';
import { decodeJsonObjectSegment, decodeSegmentBytes, isBase64urlSegment, splitCompactJws } from './jwt-codec.ts';

/** Header fields the authorizer reads. Other fields are kept in `raw`. */
export interface JwtHeader {
  readonly alg: unknown;
  readonly kid: unknown;
  readonly raw: Readonly<Record<string, unknown>>;
}

export interface UnverifiedJwt {
  readonly header: JwtHeader;
  /** The claims set as sent; `__proto__` keys dropped. */
  readonly payload: Readonly<Record<string, unknown>>;
  /** `base64url(header) + "." + base64url(payload)`: the bytes the signature covers. */
  readonly signingInput: string;
  readonly signature: Buffer;
}

/**
 * Largest token accepted, in bytes. [INF] AWS HTTP APIs refuse requests whose request line and
 * headers exceed 10240 bytes, so no longer token can reach AWS's authorizer.
 */
export const MAX_TOKEN_BYTES = 10_240;

/**
 * Split and parse a compact JWT. DANGER: nothing is verified.
 * @returns the parsed token or a `JwtRejection` (never throws).
 */
export function decodeUnverifiedJwt(token: string): UnverifiedJwt | JwtRejection {
  if (token.length > MAX_TOKEN_BYTES) return rejection('token_too_large');
  // AWS (golang-jwt): exactly three segments.
  const segments = splitCompactJws(token);
  if (segments === undefined) return rejection('malformed_segments');
  if (!isBase64urlSegment(segments.header)) return rejection('malformed_header_base64');
  const header = decodeJsonObjectSegment(segments.header);
  if (header === undefined) return rejection('malformed_header_json');
  if (!isBase64urlSegment(segments.payload)) return rejection('malformed_payload_base64');
  const payload = decodeJsonObjectSegment(segments.payload);
  if (payload === undefined) return rejection('malformed_payload_json');
  if (!isBase64urlSegment(segments.signature)) return rejection('malformed_signature_base64');
  return {
    header: { alg: header.alg, kid: header.kid, raw: header },
    payload,
    signingInput: segments.signingInput,
    signature: decodeSegmentBytes(segments.signature),
  };
}

/**
 * Header parameters RFC 7515 §4.1 defines; §4.1.11 forbids listing them in `crit`. (RFC 7518 adds
 * none for JWS.)
 */
const JWS_HEADER_PARAMETERS = new Set(['alg', 'jku', 'jwk', 'kid', 'x5u', 'x5c', 'x5t', 'x5t#S256', 'typ', 'cty', 'crit']);

/**
 * The header's extension rules. This authorizer implements no JWS extension, so:
 * - `b64` (RFC 7797, unencoded payload) present with any value is refused: `false` would change the
 *   bytes the signature covers, and `true` (the default spelled out) is never needed by a JWT;
 *   refusing both leaves no reading of the token on which two verifiers could disagree;
 * - `crit` (RFC 7515 §4.1.11) that is not a non-empty list of distinct extension names (empty,
 *   not an array, non-string or empty entries, duplicates, names §4.1 defines) is invalid;
 * - a well-formed `crit` names extensions that must be understood, and none are: refused too.
 * @returns `null` when the header asks for nothing beyond plain JWS.
 */
export function checkJoseHeader(header: JwtHeader): JwtRejection | null {
  const raw = header.raw;
  if (Object.hasOwn(raw, 'b64')) return rejection('b64_unsupported');
  if (!Object.hasOwn(raw, 'crit')) return null;
  const crit = raw.crit;
  if (!Array.isArray(crit) || crit.length === 0) return rejection('crit_invalid');
  const seen = new Set<string>();
  for (const name of crit) {
    if (typeof name !== 'string' || name === '' || seen.has(name) || JWS_HEADER_PARAMETERS.has(name)) return rejection('crit_invalid');
    seen.add(name);
  }
  return rejection('crit_unsupported');
}

export function isJwtRejection(value: UnverifiedJwt | JwtRejection): value is JwtRejection {
  return 'reason' in value;
}
