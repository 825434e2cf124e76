/**
 * @module supertokens/sessions — the session state machine of CDI 5.4 (spec §2.3). [glue: store + keys]
 *
 * - create: a new row holds `hash2(RT0)`; the access token carries `hash1(RT0)` and no parent.
 * - refresh with the current token (case A): mint a child RT1 (parent `hash1(RT0)`) and an access
 *   token with that parent hash, **without writing the row**. Repeating it is harmless.
 * - refresh with a child of the stored token (case B): promote it (CAS `hash2(RT0)` → `hash2(RT1)`,
 *   sliding expiry), then continue as case A.
 * - anything else is theft: `TOKEN_THEFT_DETECTED` (the SDK then revokes the session).
 * - verify of an access token with a parent hash: promote its refresh token the same way (CAS) and
 *   mint a replacement without the parent hash; a token of the current lineage also gets one.
 *
 * Every lineage change is `Store.casSessionRefreshHash`; losing a CAS means another request
 * changed the row first, so we re-read and decide again. Siblings racing to promote: one wins,
 * the other is then neither current nor a child of current, i.e. theft. No fork is possible.
 *
 * Must not: log tokens.
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../core/clock.ts';
import { sha256 } from '../core/digest.ts';
import type { LoadedKey, SigningKeys } from './keys.ts';
import type { JsonObject, SessionRow, Store } from './store.ts';
import {
  AccessTokenError,
  decodeRefreshToken,
  decodeUnverifiedAccessToken,
  encodeRefreshToken,
  hasValidSignature,
  readClaims,
  signAccessToken,
  type AccessTokenClaims,
  type AccessTokenVersion,
} from './tokens.ts';

export interface SessionTiming {
  accessTokenValidityMs: number;
  /** Fresh tokens (create, refresh) live up to this fraction shorter, at random. */
  accessTokenValidityJitterRatio: number;
  refreshTokenValidityMs: number;
}

/** `{token, expiry, createdTime}` as the CDI returns it (times in ms). */
export interface TokenInfo {
  token: string;
  expiry: number;
  createdTime: number;
}

export interface SessionInfo {
  handle: string;
  userId: string;
  recipeUserId: string;
  userDataInJWT: JsonObject;
  tenantId: string;
}

export type NewSessionResult = {
  status: 'OK';
  session: SessionInfo;
  accessToken: TokenInfo;
  refreshToken: TokenInfo;
  antiCsrfToken?: string;
};

export type VerifyResult =
  | { status: 'OK'; session: SessionInfo; accessToken?: TokenInfo }
  | { status: 'UNAUTHORISED'; message: string }
  | { status: 'TRY_REFRESH_TOKEN'; message: string };

export type RefreshResult =
  | NewSessionResult
  | { status: 'UNAUTHORISED'; message: string }
  | { status: 'TOKEN_THEFT_DETECTED'; session: { handle: string; userId: string; recipeUserId: string } };

export type RegenerateResult =
  | { status: 'OK'; session: SessionInfo; accessToken?: TokenInfo }
  | { status: 'UNAUTHORISED'; message: string };

/** Attempts before a CAS loop gives up (each failure means another writer made progress). */
const MAX_CAS_ATTEMPTS = 8;

/** Sessions of one app. */
export class Sessions {
  readonly #store: Store;
  readonly #appId: string;
  readonly #keys: SigningKeys;
  readonly #masterKey: Buffer;
  readonly #clock: Clock;
  readonly #timing: SessionTiming;
  readonly #random: () => number;

  constructor(
    store: Store,
    appId: string,
    keys: SigningKeys,
    masterKey: Buffer,
    clock: Clock,
    timing: SessionTiming,
    random: () => number = Math.random,
  ) {
    this.#store = store;
    this.#appId = appId;
    this.#keys = keys;
    this.#masterKey = masterKey;
    this.#clock = clock;
    this.#timing = timing;
    this.#random = random;
  }

  #freshAccessTokenExpiry(nowMs: number): number {
    const jitter = this.#timing.accessTokenValidityJitterRatio * this.#random();
    return nowMs + Math.floor(this.#timing.accessTokenValidityMs * (1 - jitter));
  }

  async #mintAccessToken(claims: AccessTokenClaims, useDynamicKey: boolean, version: AccessTokenVersion): Promise<TokenInfo> {
    const key: LoadedKey = await this.#keys.signer(useDynamicKey);
    const token = signAccessToken(claims, key.kid, key.privateKey, version);
    // The SDK reads `expiry` (ms) into the front token; keep it equal to `exp * 1000`.
    return { token, expiry: Math.floor(claims.expiresAtMs / 1000) * 1000, createdTime: claims.issuedAtMs };
  }

  /** `userId`: the primary user's id (`recipeUserId`, the row's, when it is not linked). */
  #sessionInfo(row: Pick<SessionRow, 'handle' | 'userId' | 'tenantId'>, userData: JsonObject, primaryUserId: string = row.userId): SessionInfo {
    return { handle: row.handle, userId: primaryUserId, recipeUserId: row.userId, userDataInJWT: userData, tenantId: row.tenantId };
  }

  /**
   * The primary user a session's recipe user is linked to now (store/accountlinking.ts), as the Java
   * core reads it on every refresh: the row keeps the recipe user id the session was created for.
   */
  #primaryUserIdOf(recipeUserId: string): Promise<string> {
    return this.#store.primaryPublicUserId(this.#appId, recipeUserId);
  }

  /** POST /<t>/recipe/session. The caller has already rejected protected fields. */
  async create(input: {
    tenantId: string;
    /** The recipe user id (`rsub`); the token's `sub` is its primary user's. */
    userId: string;
    userDataInJWT: JsonObject;
    userDataInDatabase: JsonObject;
    useDynamicSigningKey: boolean;
    enableAntiCsrf: boolean;
    /** From the caller's CDI version (cdi.ts); 5 when omitted. */
    tokenVersion?: AccessTokenVersion;
  }): Promise<NewSessionResult> {
    const now = this.#clock.nowMs();
    const primaryUserId = await this.#primaryUserIdOf(input.userId);
    const handle = input.tenantId === 'public' ? randomUUID() : `${randomUUID()}_${input.tenantId}`;
    const antiCsrfToken = input.enableAntiCsrf ? randomUUID() : null;
    const refreshToken = encodeRefreshToken(
      { sessionHandle: handle, userId: input.userId, tenantId: input.tenantId, parentRefreshTokenHash1: null, antiCsrfToken, nonce: sha256(randomUUID(), 'hex') },
      this.#masterKey,
    );
    const hash1 = sha256(refreshToken, 'hex');
    const row: SessionRow = {
      appId: this.#appId,
      handle,
      tenantId: input.tenantId,
      userId: input.userId,
      refreshTokenHash2: sha256(hash1, 'hex'),
      sessionData: input.userDataInDatabase,
      jwtPayload: input.userDataInJWT,
      expiresAtMs: now + this.#timing.refreshTokenValidityMs,
      createdAtMs: now,
      useStaticKey: !input.useDynamicSigningKey,
    };
    // Sign before writing: a signing failure must not leave an orphan row.
    const accessToken = await this.#mintAccessToken(
      {
        sub: primaryUserId,
        rsub: input.userId,
        tenantId: input.tenantId,
        sessionHandle: handle,
        refreshTokenHash1: hash1,
        parentRefreshTokenHash1: null,
        antiCsrfToken,
        expiresAtMs: this.#freshAccessTokenExpiry(now),
        issuedAtMs: now,
        userData: input.userDataInJWT,
      },
      input.useDynamicSigningKey,
      input.tokenVersion ?? 5,
    );
    await this.#store.insertSession(row);
    return {
      status: 'OK',
      session: this.#sessionInfo(row, row.jwtPayload, primaryUserId),
      accessToken,
      refreshToken: { token: refreshToken, expiry: row.expiresAtMs, createdTime: now },
      ...(antiCsrfToken === null ? {} : { antiCsrfToken }),
    };
  }

  /** Checks signature (and expiry unless `allowExpired`); throws `AccessTokenError` with the core's message. */
  async #verifiedClaims(accessToken: string, allowExpired: boolean): Promise<AccessTokenClaims & { version: AccessTokenVersion }> {
    const parsed = decodeUnverifiedAccessToken(accessToken);
    const key = await this.#keys.verificationKey(parsed.kid);
    if (key === undefined) throw new AccessTokenError('Key not found');
    if (!hasValidSignature(parsed, key.publicKey)) throw new AccessTokenError('Invalid JWT signature');
    const claims = readClaims(parsed.payload);
    if (!allowExpired && claims.expiresAtMs <= this.#clock.nowMs()) throw new AccessTokenError('Access token expired');
    // Replacements keep the presented token's version, as the Java core does.
    return { ...claims, version: parsed.version >= 5 ? 5 : parsed.version === 4 ? 4 : 3 };
  }

  /** POST /recipe/session/verify (CDI <= 5.4 semantics: may promote and mint a replacement). */
  async verify(input: {
    accessToken: string;
    antiCsrfToken: string | undefined;
    doAntiCsrfCheck: boolean;
    enableAntiCsrf: boolean;
    checkDatabase: boolean;
  }): Promise<VerifyResult> {
    let claims: AccessTokenClaims & { version: AccessTokenVersion };
    try {
      claims = await this.#verifiedClaims(input.accessToken, false);
    } catch (err) {
      if (err instanceof AccessTokenError) return { status: 'TRY_REFRESH_TOKEN', message: err.message };
      throw err;
    }
    if (input.enableAntiCsrf && input.doAntiCsrfCheck && (input.antiCsrfToken === undefined || input.antiCsrfToken !== claims.antiCsrfToken)) {
      return { status: 'TRY_REFRESH_TOKEN', message: 'anti-csrf check failed' };
    }
    const tokenSession: SessionInfo = {
      handle: claims.sessionHandle,
      userId: claims.sub,
      recipeUserId: claims.rsub,
      userDataInJWT: claims.userData,
      tenantId: claims.tenantId,
    };
    let payloadNeedsUpdating = false;
    if (input.checkDatabase) {
      const row = await this.#store.getSession(this.#appId, claims.sessionHandle);
      if (row === undefined || row.expiresAtMs < this.#clock.nowMs()) {
        return { status: 'UNAUTHORISED', message: 'Either the session has ended or has been blacklisted' };
      }
      payloadNeedsUpdating = !jsonEqual(row.jwtPayload, claims.userData);
    }
    if (claims.parentRefreshTokenHash1 === null && !payloadNeedsUpdating) {
      return { status: 'OK', session: tokenSession };
    }

    const ownHash2 = sha256(claims.refreshTokenHash1, 'hex');
    const parentHash2 = claims.parentRefreshTokenHash1 === null ? null : sha256(claims.parentRefreshTokenHash1, 'hex');
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      const row = await this.#store.getSession(this.#appId, claims.sessionHandle);
      if (row === undefined) return { status: 'UNAUTHORISED', message: 'Session missing in db' };
      const promote = parentHash2 !== null && row.refreshTokenHash2 === parentHash2;
      if (promote) {
        const expiresAtMs = this.#clock.nowMs() + this.#timing.refreshTokenValidityMs;
        const won = await this.#store.casSessionRefreshHash(this.#appId, row.handle, parentHash2, ownHash2, expiresAtMs);
        if (!won) continue;
      }
      if (promote || row.refreshTokenHash2 === ownHash2 || payloadNeedsUpdating) {
        const now = this.#clock.nowMs();
        const { version, ...tokenClaims } = claims;
        const accessToken = await this.#mintAccessToken(
          {
            ...tokenClaims,
            parentRefreshTokenHash1: null,
            // Spec §1.6: verify-time replacements get the full validity, without jitter.
            expiresAtMs: now + this.#timing.accessTokenValidityMs,
            issuedAtMs: now,
            userData: row.jwtPayload,
          },
          !row.useStaticKey,
          version,
        );
        return { status: 'OK', session: { ...tokenSession, userDataInJWT: row.jwtPayload }, accessToken };
      }
      return { status: 'OK', session: tokenSession };
    }
    throw new Error('session verify: too much contention on one session');
  }

  /** POST /recipe/session/refresh. */
  async refresh(input: {
    refreshToken: string;
    antiCsrfToken: string | undefined;
    enableAntiCsrf: boolean;
    useDynamicSigningKey: boolean;
    /** From the caller's CDI version (cdi.ts); 5 when omitted. */
    tokenVersion?: AccessTokenVersion;
  }): Promise<RefreshResult> {
    const content = decodeRefreshToken(input.refreshToken, this.#masterKey);
    if (content === undefined) return { status: 'UNAUTHORISED', message: 'Invalid refresh token' };
    if (input.enableAntiCsrf && content.antiCsrfToken !== null && content.antiCsrfToken !== input.antiCsrfToken) {
      return { status: 'UNAUTHORISED', message: 'Anti CSRF token missing, or not matching' };
    }
    const hash1 = sha256(input.refreshToken, 'hex');
    const hash2 = sha256(hash1, 'hex');
    const parentHash2 = content.parentRefreshTokenHash1 === null ? null : sha256(content.parentRefreshTokenHash1, 'hex');

    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      let row = await this.#store.getSession(this.#appId, content.sessionHandle);
      const now = this.#clock.nowMs();
      if (row === undefined || row.expiresAtMs < now) {
        return { status: 'UNAUTHORISED', message: 'Session missing in db or has expired' };
      }
      if (row.refreshTokenHash2 !== hash2) {
        if (parentHash2 === null || row.refreshTokenHash2 !== parentHash2) {
          return {
            status: 'TOKEN_THEFT_DETECTED',
            session: { handle: row.handle, userId: await this.#primaryUserIdOf(row.userId), recipeUserId: row.userId },
          };
        }
        // Case B: the client is using a child that was never promoted; commit it.
        const expiresAtMs = now + this.#timing.refreshTokenValidityMs;
        const won = await this.#store.casSessionRefreshHash(this.#appId, row.handle, parentHash2, hash2, expiresAtMs);
        if (!won) continue;
        row = { ...row, refreshTokenHash2: hash2, expiresAtMs };
      }
      // Case A: the presented token is the current one. Mint a child; the row is not written.
      if (row.useStaticKey === input.useDynamicSigningKey) {
        await this.#store.setSessionUseStaticKey(this.#appId, row.handle, !input.useDynamicSigningKey);
      }
      const antiCsrfToken = input.enableAntiCsrf ? randomUUID() : null;
      const primaryUserId = await this.#primaryUserIdOf(row.userId);
      const child = encodeRefreshToken(
        { sessionHandle: row.handle, userId: row.userId, tenantId: row.tenantId, parentRefreshTokenHash1: hash1, antiCsrfToken, nonce: sha256(randomUUID(), 'hex') },
        this.#masterKey,
      );
      const accessToken = await this.#mintAccessToken(
        {
          sub: primaryUserId,
          rsub: row.userId,
          tenantId: row.tenantId,
          sessionHandle: row.handle,
          refreshTokenHash1: sha256(child, 'hex'),
          parentRefreshTokenHash1: hash1,
          antiCsrfToken,
          expiresAtMs: this.#freshAccessTokenExpiry(now),
          issuedAtMs: now,
          userData: row.jwtPayload,
        },
        input.useDynamicSigningKey,
        input.tokenVersion ?? 5,
      );
      return {
        status: 'OK',
        session: this.#sessionInfo(row, row.jwtPayload, primaryUserId),
        accessToken,
        refreshToken: { token: child, expiry: now + this.#timing.refreshTokenValidityMs, createdTime: now },
        ...(antiCsrfToken === null ? {} : { antiCsrfToken }),
      };
    }
    throw new Error('session refresh: too much contention on one session');
  }

  /**
   * POST /recipe/session/regenerate: stores the new custom payload and, unless the token has
   * expired, re-signs it with the same `exp`, parent hash and anti-CSRF token.
   * DIVERGENCE: the Java core does not check the signature here; we do (expiry is not checked).
   */
  async regenerate(input: { accessToken: string; userDataInJWT: JsonObject }): Promise<RegenerateResult> {
    let claims: AccessTokenClaims & { version: AccessTokenVersion };
    let kid: string;
    try {
      kid = decodeUnverifiedAccessToken(input.accessToken).kid;
      claims = await this.#verifiedClaims(input.accessToken, true);
    } catch (err) {
      if (err instanceof AccessTokenError) return { status: 'UNAUTHORISED', message: err.message };
      throw err;
    }
    const updated = await this.#store.updateSessionJwtPayload(this.#appId, claims.sessionHandle, input.userDataInJWT);
    if (!updated) return { status: 'UNAUTHORISED', message: 'Session does not exist.' };
    const session: SessionInfo = {
      handle: claims.sessionHandle,
      userId: claims.sub,
      recipeUserId: claims.rsub,
      userDataInJWT: input.userDataInJWT,
      tenantId: claims.tenantId,
    };
    const now = this.#clock.nowMs();
    if (claims.expiresAtMs < now) return { status: 'OK', session };
    const { version, ...tokenClaims } = claims;
    const accessToken = await this.#mintAccessToken(
      { ...tokenClaims, issuedAtMs: now, userData: input.userDataInJWT },
      kid.startsWith('d-'),
      version,
    );
    return { status: 'OK', session, accessToken };
  }
}

/** Structural JSON equality (key order ignored). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((v, i) => jsonEqual(v, b[i]));
  }
  const ak = Object.keys(a);
  const bk = Object.keys(b);
  if (ak.length !== bk.length) return false;
  return ak.every((k) => Object.hasOwn(b, k) && jsonEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}
