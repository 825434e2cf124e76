/**
 * @module core/jwt-codec — the compact JWS codec both halves use: three base64url segments, the
 * first two JSON. [pure, shared primitive]
 *
 * The gateway's JWT authorizer (core/jwt.ts, AWS's rejection reasons on top), the session core's
 * access tokens (supertokens/tokens.ts) and its JWT recipe (supertokens/routes/core.ts) encode and
 * split tokens here. Signing and verification stay with their callers: the gateway verifies
 * synchronously on cached `KeyObject`s, and neither half needs jose at run time.
 *
 * Hand-written rather than jose's `decodeJwt`/`decodeProtectedHeader`: those throw one error for
 * every malformation (the gateway must tell AWS's reasons apart: segments, base64url, JSON), and the
 * gateway's verify path is tuned per call (docs/BENCHMARKS.md).
 *
 * Must not: verify signatures, read the clock, or put token material in any message.
 */

/** The three segments of a compact JWS, as sent. */
export interface CompactJwsSegments {
  readonly header: string;
  readonly payload: string;
  readonly signature: string;
  /** `header + "." + payload`: the bytes the signature covers. */
  readonly signingInput: string;
}

/** Splits a compact JWS. `undefined` unless there are exactly three segments (two dots). */
export function splitCompactJws(token: string): CompactJwsSegments | undefined {
  const first = token.indexOf('.');
  const second = first < 0 ? -1 : token.indexOf('.', first + 1);
  if (first < 0 || second < 0 || token.indexOf('.', second + 1) >= 0) return undefined;
  return {
    header: token.slice(0, first),
    payload: token.slice(first + 1, second),
    signature: token.slice(second + 1),
    signingInput: token.slice(0, second),
  };
}

const B64URL = /^[A-Za-z0-9_-]*$/;

/**
 * True when `segment` is unpadded base64url (RFC 7515 §2): the alphabet only, and a length a
 * base64 encoding can have. Node's own decoder is lenient (it skips `=`, `+`, `/` and stray bytes).
 */
export function isBase64urlSegment(segment: string): boolean {
  return B64URL.test(segment) && segment.length % 4 !== 1;
}

/** base64url → bytes (Node's lenient decoder: check `isBase64urlSegment` first where that matters). */
export function decodeSegmentBytes(segment: string): Buffer {
  return Buffer.from(segment, 'base64url');
}

/**
 * base64url → UTF-8 → JSON, `__proto__` keys dropped (a parsed `__proto__` is an own property, but
 * copying it onto another object would set that object's prototype).
 * @throws SyntaxError when the text is not JSON.
 */
export function decodeJsonSegment(segment: string): unknown {
  const text = Buffer.from(segment, 'base64url').toString('utf8');
  // A reviver costs a JS call per value; only text that could spell `__proto__` (literally or
  // through a `\u` escape) needs one.
  return text.includes('__proto__') || text.includes('\\') ? JSON.parse(text, (key, v: unknown) => (key === '__proto__' ? undefined : v)) : JSON.parse(text);
}

/** `decodeJsonSegment` for a segment that must hold a JSON object; `undefined` when it does not. */
export function decodeJsonObjectSegment(segment: string): Record<string, unknown> | undefined {
  let value: unknown;
  try {
    value = decodeJsonSegment(segment);
  } catch {
    return undefined;
  }
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** JSON → UTF-8 → base64url (no padding), members in insertion order. */
export function encodeJsonSegment(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

/**
 * Encodes `header.payload.signature`. `sign` receives the signing input as bytes (ASCII, since both
 * segments are base64url) and returns the raw signature.
 */
export function encodeCompactJws(header: unknown, payload: unknown, sign: (signingInput: Buffer) => Buffer): string {
  const signingInput = `${encodeJsonSegment(header)}.${encodeJsonSegment(payload)}`;
  return `${signingInput}.${sign(Buffer.from(signingInput, 'latin1')).toString('base64url')}`;
}
