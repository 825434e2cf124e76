/**
 * Keys and tokens for the benchmark (adapted from the earlier peer benchmark's gen-keys.mjs), written once to
 * `.bench-work/keys/` and reused: an RSA-2048 key (kid `bench-rsa`), its JWKS, one valid RS256 token
 * (iss `https://issuer.example.test/`, aud `bench-api`, exp 2100-01-01), seven bad tokens, and a pool of
 * distinct valid tokens for the "fresh token per request" runs (warm-up and measured sets are disjoint,
 * and the measured set is larger than Portcullis' verified-token cache, so every request verifies).
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const ISS = 'https://issuer.example.test/';
export const AUD = 'bench-api';
const FAR = 4102444800; // 2100-01-01
const KID = 'bench-rsa';

export const BAD_TOKENS = ['bad-sig', 'tampered', 'alg-none', 'expired', 'wrong-aud', 'wrong-iss', 'garbage'] as const;

export interface BenchKeys {
  dir: string;
  publicKeyPem: string;
  jwksFile: string;
  /** One valid token on one line. */
  tokenFile: string;
  token: string;
  bad: Record<(typeof BAD_TOKENS)[number], string>;
  /** Distinct valid tokens, one per line: warm-up set and measured set. */
  freshWarmFile: string;
  freshFile: string;
}

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

function mint(key: KeyObject, claims: Record<string, unknown>): string {
  const input = `${b64({ alg: 'RS256', typ: 'JWT', kid: KID })}.${b64(claims)}`;
  return `${input}.${sign('sha256', Buffer.from(input), key).toString('base64url')}`;
}

export function ensureKeys(workDir: string, freshCount: number, freshWarmCount: number, log: (s: string) => void): BenchKeys {
  const dir = join(workDir, 'keys');
  mkdirSync(dir, { recursive: true });
  const f = (name: string) => join(dir, name);
  if (!existsSync(f('rsa.key.pem'))) {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    writeFileSync(f('rsa.key.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
    writeFileSync(f('rsa.pub.pem'), publicKey.export({ type: 'spki', format: 'pem' }));
  }
  const priv = createPrivateKey(readFileSync(f('rsa.key.pem')));
  const pub = createPublicKey(readFileSync(f('rsa.pub.pem')));
  const jwk = { ...(pub.export({ format: 'jwk' }) as Record<string, unknown>), kid: KID, alg: 'RS256', use: 'sig' };
  writeFileSync(f('jwks.json'), JSON.stringify({ keys: [jwk] }));
  const now = Math.floor(Date.now() / 1000);
  const base = { sub: 'user-123', scope: 'read write', 'cognito:groups': ['bench'] };
  if (!existsSync(f('token.txt'))) {
    const good = mint(priv, { ...base, iss: ISS, aud: AUD, iat: now, exp: FAR });
    writeFileSync(f('token.txt'), good + '\n');
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const [h, , s] = good.split('.');
    const bad = {
      'bad-sig': mint(other, { ...base, iss: ISS, aud: AUD, iat: now, exp: FAR }),
      tampered: `${h}.${b64({ ...base, sub: 'admin', iss: ISS, aud: AUD, iat: now, exp: FAR })}.${s}`,
      'alg-none': `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ ...base, iss: ISS, aud: AUD, exp: FAR })}.`,
      expired: mint(priv, { ...base, iss: ISS, aud: AUD, iat: now - 7200, exp: now - 3600 }),
      'wrong-aud': mint(priv, { ...base, iss: ISS, aud: 'other-api', iat: now, exp: FAR }),
      'wrong-iss': mint(priv, { ...base, iss: 'https://evil.example.test/', aud: AUD, iat: now, exp: FAR }),
      garbage: 'abc.def.ghi',
    };
    writeFileSync(f('bad.json'), JSON.stringify(bad, null, 1));
  }
  const want = freshWarmCount + freshCount;
  const existing = existsSync(f('fresh-all.txt')) ? readFileSync(f('fresh-all.txt'), 'utf8').split('\n').filter(Boolean) : [];
  if (existing.length < want) {
    log(`signing ${want - existing.length} fresh RS256 tokens (once; kept in ${dir})`);
    for (let i = existing.length; i < want; i++) existing.push(mint(priv, { ...base, iss: ISS, aud: AUD, iat: now, exp: FAR, jti: `fresh-${i}` }));
    writeFileSync(f('fresh-all.txt'), existing.join('\n') + '\n');
  }
  writeFileSync(f('fresh-warm.txt'), existing.slice(0, freshWarmCount).join('\n') + '\n');
  writeFileSync(f('fresh.txt'), existing.slice(freshWarmCount, want).join('\n') + '\n');
  const token = readFileSync(f('token.txt'), 'utf8').trim();
  return {
    dir,
    publicKeyPem: f('rsa.pub.pem'),
    jwksFile: f('jwks.json'),
    tokenFile: f('token.txt'),
    token,
    bad: JSON.parse(readFileSync(f('bad.json'), 'utf8')) as BenchKeys['bad'],
    freshWarmFile: f('fresh-warm.txt'),
    freshFile: f('fresh.txt'),
  };
}
