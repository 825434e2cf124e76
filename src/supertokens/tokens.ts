/**
 * @module supertokens/tokens — access-token (v5 JWT) and refresh-token encoding. [pure, given keys]
 *
 * Access tokens follow spec §1 exactly: header `{"alg":"RS256","typ":"JWT","kid":…,"version":"5"}`,
 * claims in the core's order (`sub, exp, iat, tId, rsub, sessionHandle, refreshTokenHash1,
 * parentRefreshTokenHash1, antiCsrfToken`) and the custom payload appended at the top level.
 *
 * Refresh tokens are opaque to the SDK (spec §2.1). Ours are `<base64url(iv ‖ AES-256-GCM(json) ‖ tag)>.P1`
 * under the app's master key (stored in the database): they carry the session handle, so a refresh
 * finds its row without an index on the hash, and nobody can forge or read one without the key.
 *
 * The compact JWS encoding and splitting are the shared codec's (core/jwt-codec.ts); this module
 * owns the claims, the header rules and RS256.
 *
 * Must not: log tokens or keys.
 */
import { createCipheriv, createDecipheriv, randomBytes, sign, verify, type KeyObject } from 'node:crypto';
import { decodeJsonSegment, decodeSegmentBytes, encodeCompactJws, splitCompactJws } from '../core/jwt-codec.ts';
import type { JsonObject } from './store.ts';

/**
 * Claims the core owns in a v5 token (`requiredAndProtectedPropsV5`, spec §1.3). A custom payload
 * holding any of them is refused with 400 `The user payload contains protected field`.
 */
export const PROTECTED_PROPS_V5: readonly string[] = [
  'sub',
  'exp',
  'iat',
  'sessionHandle',
  'refreshTokenHash1',
  'parentRefreshTokenHash1',
  'antiCsrfToken',
  'tId',
  'rsub',
];

export function hasProtectedProp(payload: JsonObject): boolean {
  return PROTECTED_PROPS_V5.some((key) => Object.hasOwn(payload, key));
}

/** Removes the protected claims, leaving the custom (`userDataInJWT`) part. */
export function customPart(payload: JsonObject): JsonObject {
  const result: JsonObject = {};
  for (const [key, value] of Object.entries(payload)) {
    if (!PROTECTED_PROPS_V5.includes(key)) result[key] = value;
  }
  return result;
}

export interface AccessTokenClaims {
  /** Primary user id. */
  sub: string;
  /** Recipe user id. */
  rsub: string;
  tenantId: string;
  sessionHandle: string;
  refreshTokenHash1: string;
  parentRefreshTokenHash1: string | null;
  antiCsrfToken: string | null;
  /** ms; the `exp` claim is this rounded down to seconds. */
  expiresAtMs: number;
  /** ms; the `iat` claim is this rounded down to seconds. */
  issuedAtMs: number;
  userData: JsonObject;
}

/** The access-token versions this core mints (v2, without `kid`, is never minted). */
export type AccessTokenVersion = 3 | 4 | 5;

/**
 * Signs an access token with `kid`: v5 by default; v4 lacks `rsub`, v3 also `tId` (the versions
 * CDI 3.x and 2.21 callers get, see cdi.ts).
 */
export function signAccessToken(claims: AccessTokenClaims, kid: string, privateKey: KeyObject, version: AccessTokenVersion = 5): string {
  const header = { alg: 'RS256', typ: 'JWT', kid, version: String(version) };
  const payload: JsonObject = {
    sub: claims.sub,
    exp: Math.floor(claims.expiresAtMs / 1000),
    iat: Math.floor(claims.issuedAtMs / 1000),
    ...(version >= 4 ? { tId: claims.tenantId } : {}),
    ...(version >= 5 ? { rsub: claims.rsub } : {}),
    sessionHandle: claims.sessionHandle,
    refreshTokenHash1: claims.refreshTokenHash1,
    parentRefreshTokenHash1: claims.parentRefreshTokenHash1,
    antiCsrfToken: claims.antiCsrfToken,
  };
  for (const [key, value] of Object.entries(claims.userData)) {
    if (!Object.hasOwn(payload, key)) payload[key] = value;
  }
  return encodeCompactJws(header, payload, (signingInput) => sign('sha256', signingInput, privateKey));
}

/** A parsed access token whose signature has not been checked yet. */
export interface UnverifiedAccessToken {
  kid: string;
  version: number;
  signingInput: string;
  signature: Buffer;
  payload: JsonObject;
}

/** Reason codes for a token the core cannot use (it answers TRY_REFRESH_TOKEN with the message). */
export class AccessTokenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AccessTokenError';
  }
}

/** Parses the compact JWS and checks the header rules of spec §1.1 (v3+ only: a `kid` is required). */
export function decodeUnverifiedAccessToken(token: string): UnverifiedAccessToken {
  const segments = splitCompactJws(token);
  if (segments === undefined) throw new AccessTokenError('Invalid JWT');
  let header: { alg?: unknown; typ?: unknown; kid?: unknown; version?: unknown };
  let payload: JsonObject;
  try {
    // Node's lenient base64url reading, as the core always did: a re-encoded segment fails on its
    // signature ('Invalid JWT signature'), not here.
    header = decodeJsonSegment(segments.header) as typeof header;
    payload = decodeJsonSegment(segments.payload) as JsonObject;
  } catch {
    throw new AccessTokenError('Invalid JWT');
  }
  if (header === null || typeof header !== 'object' || payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
    throw new AccessTokenError('Invalid JWT');
  }
  const version = typeof header.version === 'string' ? Number.parseInt(header.version, 10) : 3;
  if (header.alg !== 'RS256' || header.typ !== 'JWT' || typeof header.kid !== 'string' || !(version >= 3)) {
    throw new AccessTokenError('JWT header mismatch');
  }
  return { kid: header.kid, version, signingInput: segments.signingInput, signature: decodeSegmentBytes(segments.signature), payload };
}

/** Verifies an RS256 signature. */
export function hasValidSignature(token: UnverifiedAccessToken, publicKey: KeyObject): boolean {
  return verify('sha256', Buffer.from(token.signingInput), publicKey, token.signature);
}

/** The claims of a verified token, read back (v3/v4 tokens fill in `tId`/`rsub` as the SDK does). */
export function readClaims(payload: JsonObject): AccessTokenClaims {
  const str = (key: string): string => {
    const value = payload[key];
    if (typeof value !== 'string') throw new AccessTokenError(`Access token does not contain ${key}`);
    return value;
  };
  const nullableStr = (key: string): string | null => {
    const value = payload[key];
    return typeof value === 'string' ? value : null;
  };
  const num = (key: string): number => {
    const value = payload[key];
    if (typeof value !== 'number') throw new AccessTokenError(`Access token does not contain ${key}`);
    return value;
  };
  const sub = str('sub');
  return {
    sub,
    rsub: nullableStr('rsub') ?? sub,
    tenantId: nullableStr('tId') ?? 'public',
    sessionHandle: str('sessionHandle'),
    refreshTokenHash1: str('refreshTokenHash1'),
    parentRefreshTokenHash1: nullableStr('parentRefreshTokenHash1'),
    antiCsrfToken: nullableStr('antiCsrfToken'),
    expiresAtMs: num('exp') * 1000,
    issuedAtMs: num('iat') * 1000,
    userData: customPart(payload),
  };
}

/** What a refresh token carries (encrypted). */
export interface RefreshTokenContent {
  sessionHandle: string;
  /** Recipe user id. */
  userId: string;
  tenantId: string;
  parentRefreshTokenHash1: string | null;
  antiCsrfToken: string | null;
  /** Random; makes every token unique. */
  nonce: string;
}

const REFRESH_SUFFIX = '.P1';

/** Encrypts refresh-token content with the app's 32-byte master key. */
export function encodeRefreshToken(content: RefreshTokenContent, masterKey: Buffer): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', masterKey, iv);
  const body = Buffer.concat([
    cipher.update(
      JSON.stringify({
        h: content.sessionHandle,
        u: content.userId,
        t: content.tenantId,
        p: content.parentRefreshTokenHash1,
        a: content.antiCsrfToken,
        n: content.nonce,
      }),
      'utf8',
    ),
    cipher.final(),
  ]);
  return `${Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url')}${REFRESH_SUFFIX}`;
}

/** Decrypts a refresh token; undefined for anything we did not issue (or that was altered). */
export function decodeRefreshToken(token: string, masterKey: Buffer): RefreshTokenContent | undefined {
  if (!token.endsWith(REFRESH_SUFFIX)) return undefined;
  const raw = Buffer.from(token.slice(0, -REFRESH_SUFFIX.length), 'base64url');
  if (raw.length < 12 + 16 + 2) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', masterKey, raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(raw.length - 16));
    const plain = Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]).toString('utf8');
    const json = JSON.parse(plain) as Record<string, unknown>;
    if (typeof json.h !== 'string' || typeof json.u !== 'string' || typeof json.t !== 'string' || typeof json.n !== 'string') {
      return undefined;
    }
    return {
      sessionHandle: json.h,
      userId: json.u,
      tenantId: json.t,
      parentRefreshTokenHash1: typeof json.p === 'string' ? json.p : null,
      antiCsrfToken: typeof json.a === 'string' ? json.a : null,
      nonce: json.n,
    };
  } catch {
    return undefined;
  }
}
