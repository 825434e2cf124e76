// (b) Bare Node reverse proxy, from the team's earlier peer benchmark with paths from env: node:http server + undici Pool forwarding, optional auth.
// Env: PORT (9101), UPSTREAM (http://127.0.0.1:9001), AUTH one of:
//   none            - no auth (configuration b)
//   crypto          - RS256 per request, node:crypto verify on a cached KeyObject + iss/aud/exp checks (c1)
//   jose            - jose jwtVerify per request, imported key (c2)
//   crypto-cache    - like crypto, plus verified-token cache keyed by the token string (c3)
//   authz-http      - "custom authorizer": HTTP call to AUTHZ (authorizer.mjs) per request, no cache (c4)
// PROXY_API: request (pool.request + body.pipe, default) | stream (pool.stream)
//   authz-http-cache- same, decision cache keyed by Authorization header, TTL 300 s like API GW (c5)
import http from 'node:http';
import { Pool } from 'undici';
import { importSPKI, jwtVerify } from 'jose';
import { readFileSync } from 'node:fs';
import { makeVerifier, bearer, ISS, AUD } from './jwtcheck.mjs';

const PORT = Number(process.env.PORT || 9101);
const UPSTREAM = process.env.UPSTREAM || 'http://127.0.0.1:9001';
const AUTH = process.env.AUTH || 'none';
const PROXY_API = process.env.PROXY_API || 'request'; // request | stream
const AUTHZ = process.env.AUTHZ || 'http://127.0.0.1:9401';
const PUB = process.env.PUB_KEY; // RSA public key PEM (bench/run.ts passes .bench-work/keys/rsa.pub.pem)

const pool = new Pool(UPSTREAM, { connections: 128, pipelining: 1, keepAliveTimeout: 60_000 });
const HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'host', 'expect']);

const verifyJwt = makeVerifier(PUB);
const joseKey = AUTH === 'jose' ? await importSPKI(readFileSync(PUB, 'utf8'), 'RS256') : null;
const tokenCache = new Map(); // token -> { claims, until }
const MAX_CACHE = 10_000;
const authzPool = new Pool(AUTHZ, { connections: 64, pipelining: 1 });

function cacheGet(k) {
  const e = tokenCache.get(k);
  if (!e) return undefined;
  if (e.until < Date.now()) { tokenCache.delete(k); return undefined; }
  return e.claims;
}
function cacheSet(k, claims, ttlMs) {
  if (tokenCache.size >= MAX_CACHE) tokenCache.delete(tokenCache.keys().next().value);
  tokenCache.set(k, { claims, until: Date.now() + ttlMs });
}
async function callAuthorizer(authHeader) {
  const { statusCode, headers, body } = await authzPool.request({ method: 'GET', path: '/auth', headers: { authorization: authHeader } });
  await body.dump();
  return statusCode === 200 ? { sub: headers['x-auth-sub'] } : null;
}

// returns claims or null (=> 401)
async function authenticate(req) {
  switch (AUTH) {
    case 'none': return {};
    case 'crypto': return verifyJwt(bearer(req.headers.authorization));
    case 'jose': {
      const t = bearer(req.headers.authorization);
      if (!t) return null;
      try { return (await jwtVerify(t, joseKey, { issuer: ISS, audience: AUD, algorithms: ['RS256'], clockTolerance: 60 })).payload; } catch { return null; }
    }
    case 'crypto-cache': {
      const t = bearer(req.headers.authorization);
      if (!t) return null;
      let c = cacheGet(t);
      if (c) return c;
      c = verifyJwt(t);
      if (c) cacheSet(t, c, Math.min(60_000, c.exp * 1000 - Date.now()));
      return c;
    }
    case 'authz-http': {
      const h = req.headers.authorization;
      if (!h) return null;
      return callAuthorizer(h);
    }
    case 'authz-http-cache': {
      const h = req.headers.authorization;
      if (!h) return null;
      let c = cacheGet(h);
      if (c !== undefined) return c;
      c = await callAuthorizer(h);
      cacheSet(h, c, 300_000); // API Gateway default authorizer TTL; caches denials too
      return c;
    }
    default: throw new Error('unknown AUTH ' + AUTH);
  }
}

const unauthorized = Buffer.from('{"message":"Unauthorized"}');
http.createServer(async (req, res) => {
  let claims;
  try { claims = await authenticate(req); } catch { claims = null; }
  if (!claims) {
    res.writeHead(401, { 'content-type': 'application/json', 'content-length': unauthorized.length, 'www-authenticate': 'Bearer' });
    res.end(unauthorized);
    req.resume();
    return;
  }
  const headers = {};
  for (const [k, v] of Object.entries(req.headers)) if (!HOP.has(k)) headers[k] = v;
  headers['x-forwarded-for'] = req.socket.remoteAddress;
  if (claims.sub) headers['x-jwt-sub'] = claims.sub;
  const opts = { method: req.method, path: req.url, headers, body: req.method === 'GET' || req.method === 'HEAD' ? null : req };
  try {
    if (PROXY_API === 'stream') {
      // pool.stream(): undici writes the upstream body straight into `res` (no intermediate Readable)
      await pool.stream(opts, ({ statusCode, headers: uh }) => {
        const rh = {};
        for (const k in uh) if (!HOP.has(k)) rh[k] = uh[k];
        res.writeHead(statusCode, rh);
        return res;
      });
    } else {
      const up = await pool.request(opts);
      const rh = {};
      for (const k in up.headers) if (!HOP.has(k)) rh[k] = up.headers[k];
      res.writeHead(up.statusCode, rh);
      // body.pipe(res) rather than stream.pipeline(): on Node 20 pipeline() allocates an AbortController and
      // throws away a DOMException per call, which cost ~10% of the proxy's CPU in a profile.
      up.body.on('error', () => res.destroy());
      up.body.pipe(res);
    }
  } catch (e) {
    if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
    res.end('bad gateway');
  }
}).listen(PORT, '127.0.0.1', () => console.log(`proxy-bare AUTH=${AUTH} :${PORT} -> ${UPSTREAM}`));
for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => process.exit(0));
