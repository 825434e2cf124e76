// Hand-rolled RS256 JWT check on node:crypto with a cached KeyObject (the peers' reference verifier).
// Checks: 3 segments, header alg pinned, signature, iss, aud, exp (required) / nbf with 60 s leeway.
import { createPublicKey, verify as cverify } from 'node:crypto';
import { readFileSync } from 'node:fs';

export const ISS = 'https://issuer.example.test/';
export const AUD = 'bench-api';

export function makeVerifier(pubPemPath, { iss = ISS, aud = AUD } = {}) {
  const key = createPublicKey(readFileSync(pubPemPath));
  return function verifyJwt(token) {
    if (typeof token !== 'string') return null;
    const d1 = token.indexOf('.');
    const d2 = token.indexOf('.', d1 + 1);
    if (d1 < 0 || d2 < 0 || token.indexOf('.', d2 + 1) >= 0) return null;
    let header, payload;
    try {
      header = JSON.parse(Buffer.from(token.slice(0, d1), 'base64url').toString());
      if (header.alg !== 'RS256') return null;
      const sig = Buffer.from(token.slice(d2 + 1), 'base64url');
      if (!cverify('sha256', Buffer.from(token.slice(0, d2)), key, sig)) return null;
      payload = JSON.parse(Buffer.from(token.slice(d1 + 1, d2), 'base64url').toString());
    } catch { return null; }
    const now = Date.now() / 1000;
    if (payload.iss !== iss) return null;
    const a = payload.aud;
    if (!(a === aud || (Array.isArray(a) && a.includes(aud)))) return null;
    if (typeof payload.exp !== 'number' || payload.exp + 60 < now) return null;
    if (payload.nbf !== undefined && payload.nbf - 60 > now) return null;
    return payload;
  };
}

export function bearer(h) {
  if (!h || h.length < 8) return null;
  if (h.slice(0, 7).toLowerCase() !== 'bearer ') return null;
  return h.slice(7).trim();
}
