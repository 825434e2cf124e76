// Portcullis REST Lambda REQUEST authorizer for scenario 3: the same check as serverless-offline's handler.js
// (RS256 on node:crypto with a cached KeyObject, iss/aud/exp), Allow for the method ARN.
import { createPublicKey, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
const KEY = createPublicKey(readFileSync(process.env.PUB_KEY));
const ISS = 'https://issuer.example.test/';
const AUD = 'bench-api';

function check(token) {
  const p = token.split('.');
  if (p.length !== 3) return null;
  try {
    const h = JSON.parse(Buffer.from(p[0], 'base64url'));
    if (h.alg !== 'RS256') return null;
    if (!verify('sha256', Buffer.from(p[0] + '.' + p[1]), KEY, Buffer.from(p[2], 'base64url'))) return null;
    const c = JSON.parse(Buffer.from(p[1], 'base64url'));
    const aud = Array.isArray(c.aud) ? c.aud : [c.aud];
    if (c.iss !== ISS || !aud.includes(AUD) || !(c.exp > Date.now() / 1000)) return null;
    return c;
  } catch { return null; }
}

export async function handler(event) {
  const hdr = (event.headers && (event.headers.Authorization || event.headers.authorization)) || '';
  const tok = hdr.startsWith('Bearer ') ? hdr.slice(7) : '';
  const claims = tok && check(tok);
  if (!claims) throw new Error('Unauthorized');
  return {
    principalId: claims.sub,
    policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: event.methodArn }] },
    context: { sub: claims.sub },
  };
}
