'use strict';
// Lambda handlers for serverless-offline. hello: small JSON (the "integration").
// authorize: REST API Lambda REQUEST authorizer that really verifies the RS256 JWT (node:crypto, cached KeyObject).
const { createPublicKey, verify } = require('node:crypto');
const { readFileSync, appendFileSync } = require('node:fs');
const KEY = createPublicKey(readFileSync(process.env.PUB_KEY));
const ISS = 'https://issuer.example.test/';
const AUD = 'bench-api';
const body = JSON.stringify({ ok: true, service: 'upstream', items: [1, 2, 3] });

module.exports.hello = async () => ({ statusCode: 200, headers: { 'content-type': 'application/json' }, body });

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

module.exports.authorize = async (event) => {
  if (process.env.AUTH_COUNT_FILE) appendFileSync(process.env.AUTH_COUNT_FILE, '1');
  const hdr = (event.headers && (event.headers.Authorization || event.headers.authorization)) || '';
  const tok = hdr.startsWith('Bearer ') ? hdr.slice(7) : '';
  const claims = tok && check(tok);
  if (!claims) throw new Error('Unauthorized'); // API Gateway convention -> 401
  return {
    principalId: claims.sub,
    policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: event.methodArn }] },
    context: { sub: claims.sub },
  };
};
