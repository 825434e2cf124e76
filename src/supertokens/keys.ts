/**
 * @module supertokens/keys — RS256 signing keys: dynamic `d-<ms>` keys rotated on an interval and a
 * static `s-<uuid>` key, stored in the database so every instance signs and verifies alike. [io]
 *
 * Life of a dynamic key (spec §7, with a longer overlap; all times from the key's `createdAtMs`):
 *
 *   created ──(publishAhead)──▶ signs ──(updateInterval)──▶ successor signs ──(2 × AT validity)──▶ deleted
 *   └──────────────── listed in the JWKS from creation until deletion ─────────────────────────┘
 *
 * - The successor is created `updateInterval` after its predecessor, so each key signs for one
 *   interval, and is in the JWKS for `publishAhead` before its first signature (default 3 h: AWS
 *   HTTP-API JWT authorizers may cache a JWKS for 2 h and must never meet an unknown `kid`).
 * - The signer is the newest key that has been published for `publishAhead`; on a fresh database
 *   the first key signs at once (no verifier can have cached an older JWKS).
 * - `seq` is unique per (app, kind): instances racing to add "the next key" insert the same `seq`,
 *   one wins, the others reload.
 * - `Cache-Control: max-age` on the JWKS is the time until the next key is created (>= 1 s).
 *
 * Must not: log or return private keys (only `jwks()` leaves this module, and it holds `n`/`e`).
 */
import { createPrivateKey, createPublicKey, generateKeyPair, randomUUID, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import type { Clock } from '../core/clock.ts';
import type { SigningKeyRow, Store } from './store.ts';

const generateKeyPairAsync = promisify(generateKeyPair);

export interface SigningKeyTiming {
  updateIntervalMs: number;
  publishAheadMs: number;
  accessTokenValidityMs: number;
}

/** A public JWK as published (`kty`, `kid`, `n`, `e`, `alg`, `use`). */
export interface PublicJwk {
  kty: 'RSA';
  kid: string;
  n: string;
  e: string;
  alg: 'RS256';
  use: 'sig';
}

export interface LoadedKey {
  readonly kid: string;
  readonly kind: 'dynamic' | 'static';
  readonly seq: number;
  readonly createdAtMs: number;
  readonly jwk: PublicJwk;
  readonly publicKey: KeyObject;
  readonly privateKey: KeyObject;
}

function loadKey(row: SigningKeyRow): LoadedKey {
  const raw = JSON.parse(row.publicJwk) as { n: string; e: string };
  const jwk: PublicJwk = { kty: 'RSA', kid: row.kid, n: raw.n, e: raw.e, alg: 'RS256', use: 'sig' };
  return {
    kid: row.kid,
    kind: row.kind,
    seq: row.seq,
    createdAtMs: row.createdAtMs,
    jwk,
    publicKey: createPublicKey({ key: { kty: 'RSA', n: raw.n, e: raw.e }, format: 'jwk' }),
    privateKey: createPrivateKey(row.privatePem),
  };
}

async function generateRow(appId: string, kind: 'dynamic' | 'static', seq: number, nowMs: number): Promise<SigningKeyRow> {
  const { publicKey, privateKey } = await generateKeyPairAsync('rsa', { modulusLength: 2048, publicExponent: 0x10001 });
  const jwk = publicKey.export({ format: 'jwk' });
  return {
    appId,
    kid: kind === 'dynamic' ? `d-${nowMs}` : `s-${randomUUID()}`,
    kind,
    seq,
    createdAtMs: nowMs,
    publicJwk: JSON.stringify({ n: jwk.n, e: jwk.e }),
    privatePem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
  };
}

/** Minimum time between two reloads triggered by an unknown `kid` (a bad token must not hammer the DB). */
const UNKNOWN_KID_RELOAD_COOLDOWN_MS = 1000;

/** The signing keys of one app. Create with `createSigningKeys()`. */
export class SigningKeys {
  readonly #store: Store;
  readonly #appId: string;
  readonly #clock: Clock;
  readonly #timing: SigningKeyTiming;
  /** Newest first within each kind. */
  #dynamic: LoadedKey[] = [];
  #static: LoadedKey | undefined;
  #byKid = new Map<string, LoadedKey>();
  #lastReloadMs = -Infinity;
  #rotation: Promise<void> | undefined;

  constructor(store: Store, appId: string, clock: Clock, timing: SigningKeyTiming) {
    this.#store = store;
    this.#appId = appId;
    this.#clock = clock;
    this.#timing = timing;
  }

  /** Reloads every key of the app from the store. */
  async reload(): Promise<void> {
    const rows = await this.#store.listSigningKeys(this.#appId);
    const previous = this.#byKid;
    const byKid = new Map<string, LoadedKey>();
    for (const row of rows) byKid.set(row.kid, previous.get(row.kid) ?? loadKey(row));
    const keys = [...byKid.values()];
    this.#dynamic = keys.filter((k) => k.kind === 'dynamic').sort((a, b) => b.seq - a.seq);
    this.#static = keys.find((k) => k.kind === 'static');
    this.#byKid = byKid;
    this.#lastReloadMs = this.#clock.nowMs();
  }

  /** Makes sure the static key and a current dynamic key exist (creating them when due), and retires old keys. */
  async rotate(): Promise<void> {
    this.#rotation ??= this.#rotateOnce().finally(() => (this.#rotation = undefined));
    return this.#rotation;
  }

  async #rotateOnce(): Promise<void> {
    await this.reload();
    if (this.#static === undefined) {
      await this.#store.insertSigningKey(await generateRow(this.#appId, 'static', 0, this.#clock.nowMs()));
      await this.reload();
    }
    const newest = this.#dynamic[0];
    if (newest === undefined || this.#clock.nowMs() >= newest.createdAtMs + this.#timing.updateIntervalMs) {
      const seq = (newest?.seq ?? 0) + 1;
      // A lost race (another instance inserted this seq) is fine: reload picks up the winner.
      await this.#store.insertSigningKey(await generateRow(this.#appId, 'dynamic', seq, this.#clock.nowMs()));
      await this.reload();
    }
    await this.#retire();
  }

  /** Deletes dynamic keys whose last possible token has expired. */
  async #retire(): Promise<void> {
    const now = this.#clock.nowMs();
    const signer = this.#dynamicSigner();
    const retired: string[] = [];
    // #dynamic is newest first; a key older than the signer stopped signing when its successor started.
    for (let i = 1; i < this.#dynamic.length; i++) {
      const key = this.#dynamic[i]!;
      const successor = this.#dynamic[i - 1]!;
      if (signer === undefined || key.seq >= signer.seq) continue;
      const stoppedSigningAt = successor.createdAtMs + this.#timing.publishAheadMs;
      if (now > stoppedSigningAt + 2 * this.#timing.accessTokenValidityMs) retired.push(key.kid);
    }
    if (retired.length > 0) {
      await this.#store.deleteSigningKeys(this.#appId, retired);
      await this.reload();
    }
  }

  #dynamicSigner(): LoadedKey | undefined {
    const now = this.#clock.nowMs();
    for (const key of this.#dynamic) {
      if (key.createdAtMs + this.#timing.publishAheadMs <= now) return key;
    }
    // Nothing has been published long enough: only possible on a fresh database, where no verifier
    // holds an older JWKS, so the oldest (normally the only) key signs at once.
    return this.#dynamic[this.#dynamic.length - 1];
  }

  /** The key to sign with now. Rotates first when a rotation is due. */
  async signer(dynamic: boolean): Promise<LoadedKey> {
    const newest = this.#dynamic[0];
    if (
      this.#static === undefined ||
      newest === undefined ||
      this.#clock.nowMs() >= newest.createdAtMs + this.#timing.updateIntervalMs
    ) {
      await this.rotate();
    }
    const key = dynamic ? this.#dynamicSigner() : this.#static;
    if (key === undefined) throw new Error(`no ${dynamic ? 'dynamic' : 'static'} signing key for app ${this.#appId}`);
    return key;
  }

  /** Looks a key up by `kid`; an unknown `kid` triggers one reload (rate-limited). */
  async verificationKey(kid: string): Promise<LoadedKey | undefined> {
    const known = this.#byKid.get(kid);
    if (known !== undefined) return known;
    if (this.#clock.nowMs() - this.#lastReloadMs < UNKNOWN_KID_RELOAD_COOLDOWN_MS) return undefined;
    await this.reload();
    return this.#byKid.get(kid);
  }

  /** The public JWKS (dynamic newest first, then static) and its `Cache-Control` max-age in seconds. */
  async jwks(): Promise<{ keys: PublicJwk[]; maxAgeSeconds: number }> {
    const newest = this.#dynamic[0];
    if (this.#static === undefined || newest === undefined || this.#clock.nowMs() >= newest.createdAtMs + this.#timing.updateIntervalMs) {
      await this.rotate();
    }
    const keys = [...this.#dynamic.map((k) => k.jwk), ...(this.#static ? [this.#static.jwk] : [])];
    const nextCreation = (this.#dynamic[0]?.createdAtMs ?? this.#clock.nowMs()) + this.#timing.updateIntervalMs;
    const maxAgeSeconds = Math.max(1, Math.floor((nextCreation - this.#clock.nowMs()) / 1000));
    return { keys, maxAgeSeconds };
  }
}

/** Creates the key set of one app and makes sure its keys exist. */
export async function createSigningKeys(store: Store, appId: string, clock: Clock, timing: SigningKeyTiming): Promise<SigningKeys> {
  const keys = new SigningKeys(store, appId, clock, timing);
  await keys.rotate();
  return keys;
}
