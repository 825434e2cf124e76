/**
 * @module io/dev-keys — `--dev-tokens`: a local signing key per JWT authorizer, and minting (beyond AWS). [io]
 *
 * Users behind Cognito, Auth0 or Okta cannot get tokens from a laptop or CI. With `portcullis start
 * --dev-tokens` every JWT authorizer trusts, beside its issuer's real JWKS, one local key; `portcullis
 * token mint` (or `POST /dev-tokens` on the admin listener) signs tokens with it, carrying the
 * authorizer's configured `iss` and first `aud`. The keys live in `.portcullis/dev-keys.json` beside
 * the config file (mode 0600): the same file for the gateway and the CLI, unknown to any real issuer,
 * so a minted token is valid for a gateway running in dev-tokens mode and for nothing else.
 *
 * The file is created once, atomically (written aside, then hard-linked into place: concurrent
 * cluster workers or a CLI all end up with the first writer's keys).
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign as cryptoSign, constants, type KeyObject } from 'node:crypto';
import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { GatewayConfig } from '../core/config.ts';
import { isJwtAuthorizerConfig, type JwtAuthorizerConfig } from '../authorizers/jwt.ts';
import { encodeCompactJws } from '../core/jwt-codec.ts';
import type { VerificationKey } from './keys.ts';

export const DEV_KEYS_FILE = join('.portcullis', 'dev-keys.json');
/** Default lifetime of a minted token. */
export const DEFAULT_MINT_TTL_SECONDS = 3600;

type DevAlg = 'RS256' | 'ES256' | 'EdDSA';

interface StoredKey {
  kid: string;
  alg: DevAlg;
  /** PKCS#8 PEM. */
  privateKey: string;
}

export interface DevKey extends VerificationKey {
  readonly alg: DevAlg;
  readonly privateKey: KeyObject;
}

export interface DevKeys {
  /** The key of `api`/`authorizer`, or `undefined` when it has none (not a JWT authorizer). */
  get(api: string, authorizer: string): DevKey | undefined;
  readonly file: string;
}

/** `api/authorizer` of every JWT authorizer, with the algorithm its dev key uses (one it accepts). */
function jwtAuthorizers(config: Readonly<GatewayConfig>): Array<{ name: string; alg: DevAlg }> {
  const out: Array<{ name: string; alg: DevAlg }> = [];
  for (const api of config.apis) {
    for (const [id, a] of Object.entries(api.authorizers)) {
      if (!isJwtAuthorizerConfig(a)) continue;
      const allowed = a.allowedAlgorithms ?? ['RS256'];
      const alg: DevAlg = allowed.includes('RS256') ? 'RS256' : allowed.includes('ES256') ? 'ES256' : allowed.includes('EdDSA') ? 'EdDSA' : 'RS256';
      out.push({ name: `${api.name}/${id}`, alg });
    }
  }
  return out;
}

function generate(alg: DevAlg): StoredKey {
  const pair = alg === 'RS256' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : alg === 'ES256' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('ed25519');
  return { kid: `portcullis-dev-${randomBytes(6).toString('hex')}`, alg, privateKey: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string };
}

function toDevKey(stored: StoredKey): DevKey {
  const privateKey = createPrivateKey(stored.privateKey);
  const key = createPublicKey(privateKey);
  return {
    kid: stored.kid,
    alg: stored.alg,
    key,
    privateKey,
    kty: stored.alg === 'RS256' ? 'RSA' : stored.alg === 'ES256' ? 'EC' : 'OKP',
    curve: stored.alg === 'ES256' ? 'P-256' : stored.alg === 'EdDSA' ? 'Ed25519' : undefined,
    modulusBits: stored.alg === 'RS256' ? (key.asymmetricKeyDetails?.modulusLength ?? 2048) : undefined,
  };
}

async function readStore(file: string): Promise<Record<string, StoredKey> | null> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as Record<string, StoredKey>;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new Error(`cannot read the dev-tokens key file ${file}: ${(err as Error).message}`);
  }
}

/** Writes `store` to `file` unless it exists (then the existing one wins). */
async function createOnce(file: string, store: Record<string, StoredKey>): Promise<void> {
  const aside = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(aside, JSON.stringify(store, null, 2) + '\n', { mode: 0o600 });
  try {
    await link(aside, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    await unlink(aside).catch(() => undefined);
  }
}

/**
 * Loads the dev keys of `config`'s JWT authorizers from `baseDir/.portcullis/dev-keys.json`, creating
 * the file or adding keys for new authorizers. Keys of authorizers no longer configured stay (a config
 * switched back finds its old tokens still valid).
 */
export async function loadDevKeys(config: Readonly<GatewayConfig>, baseDir: string): Promise<DevKeys> {
  const file = join(baseDir, DEV_KEYS_FILE);
  await mkdir(join(baseDir, '.portcullis'), { recursive: true, mode: 0o700 });
  const wanted = jwtAuthorizers(config);
  let store = await readStore(file);
  if (store === null) {
    const fresh: Record<string, StoredKey> = {};
    for (const w of wanted) fresh[w.name] = generate(w.alg);
    await createOnce(file, fresh);
    store = (await readStore(file))!;
  }
  const missing = wanted.filter((w) => !store![w.name] || store![w.name]!.alg !== w.alg);
  if (missing.length) {
    for (const w of missing) store[w.name] = generate(w.alg);
    // Rare (a new authorizer): a plain rewrite; the last writer's keys win, and a gateway started
    // before picks them up on its next start.
    const aside = `${file}.${process.pid}.tmp`;
    await writeFile(aside, JSON.stringify(store, null, 2) + '\n', { mode: 0o600 });
    const { rename } = await import('node:fs/promises');
    await rename(aside, file);
  }
  const keys = new Map<string, DevKey>();
  for (const w of wanted) keys.set(w.name, toDevKey(store[w.name]!));
  return { get: (api, authorizer) => keys.get(`${api}/${authorizer}`), file };
}

export interface MintRequest {
  readonly api: string;
  readonly authorizer: string;
  readonly claims: Readonly<Record<string, unknown>>;
  readonly expiresInSeconds?: number | undefined;
  readonly nowMs: number;
}

/**
 * Signs a token for one authorizer: `iss` its configured issuer, `aud` its first audience, `iat` now,
 * `exp` now + `expiresInSeconds` (default 3600); the given claims are merged over these (a test may
 * mint an expired or wrongly addressed token on purpose).
 */
export function mintDevToken(config: Readonly<GatewayConfig>, keys: DevKeys, req: MintRequest): { token: string } | { error: string } {
  const api = config.apis.find((a) => a.name === req.api);
  if (!api) return { error: `no API named "${req.api}" (known: ${config.apis.map((a) => `"${a.name}"`).join(', ') || 'none'})` };
  const auth = api.authorizers[req.authorizer];
  if (!isJwtAuthorizerConfig(auth)) {
    const jwt = Object.entries(api.authorizers).filter(([, a]) => a.authorizerType === 'JWT').map(([id]) => `"${id}"`);
    return { error: `API "${api.name}" has no JWT authorizer "${req.authorizer}" (JWT authorizers: ${jwt.join(', ') || 'none'})` };
  }
  const key = keys.get(api.name, req.authorizer);
  if (!key) return { error: `no dev key for "${api.name}/${req.authorizer}" in ${keys.file}` };
  const ttl = req.expiresInSeconds ?? DEFAULT_MINT_TTL_SECONDS;
  if (!Number.isInteger(ttl) || ttl < 1 || ttl > 31_536_000) return { error: 'expiresInSeconds must be a whole number from 1 to 31536000' };
  const cfg: Readonly<JwtAuthorizerConfig> = auth;
  const now = Math.floor(req.nowMs / 1000);
  const payload = { iss: cfg.jwtConfiguration.issuer, aud: cfg.jwtConfiguration.audience[0], iat: now, exp: now + ttl, ...req.claims };
  const header = { alg: key.alg, kid: key.kid, typ: 'JWT' };
  const token = encodeCompactJws(header, payload, (input) => {
    if (key.alg === 'RS256') return cryptoSign('sha256', input, { key: key.privateKey, padding: constants.RSA_PKCS1_PADDING });
    if (key.alg === 'ES256') return cryptoSign('sha256', input, { key: key.privateKey, dsaEncoding: 'ieee-p1363' });
    return cryptoSign(null, input, key.privateKey);
  });
  return { token };
}

/** Every API that has a JWT authorizer called `name` (for `--authorizer NAME` without `--api`). */
export function apisWithJwtAuthorizer(config: Readonly<GatewayConfig>, name: string): string[] {
  return config.apis.filter((a) => isJwtAuthorizerConfig(a.authorizers[name])).map((a) => a.name);
}

/**
 * `POST /dev-tokens` (the admin listener; `api` may be left out when one API has the authorizer):
 * `mintDevToken` on the config `currentConfig()` returns when asked.
 */
export function devTokenMinter(currentConfig: () => Readonly<GatewayConfig>, keys: DevKeys, nowMs: () => number) {
  return async (apiName: string | undefined, authorizer: string, claims: Readonly<Record<string, unknown>>, expiresInSeconds?: number): Promise<{ token: string } | { error: string }> => {
    const config = currentConfig();
    let name = apiName;
    if (name === undefined) {
      const apis = apisWithJwtAuthorizer(config, authorizer);
      if (apis.length !== 1) return { error: apis.length ? `several APIs have a JWT authorizer "${authorizer}" (${apis.join(', ')}): give "api"` : `no API has a JWT authorizer "${authorizer}"` };
      name = apis[0]!;
    }
    return mintDevToken(config, keys, { api: name, authorizer, claims, expiresInSeconds, nowMs: nowMs() });
  };
}
