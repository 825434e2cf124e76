// "Lambda/custom authorizer" as a tiny HTTP service: GET /auth with Authorization: Bearer <jwt>
// -> 200 (x-auth-sub header) if RS256 + iss/aud/exp check passes, else 401. PORT env (9401).
// GET /__count returns how many /auth calls it has served (bench.sh uses it to show cache hit rates).
import http from 'node:http';
import { makeVerifier, bearer } from './jwtcheck.mjs';
const verifyJwt = makeVerifier(process.env.PUB_KEY);
const PORT = Number(process.env.PORT || 9401);
let calls = 0;
http.createServer((req, res) => {
  if (req.url === '/__count') { res.end(String(calls)); return; }
  calls++;
  const c = verifyJwt(bearer(req.headers.authorization));
  if (c) { res.writeHead(200, { 'x-auth-sub': String(c.sub), 'content-length': 0, 'cache-control': 'max-age=300' }); }
  else { res.writeHead(401, { 'content-length': 0 }); }
  res.end();
}).listen(PORT, '127.0.0.1', () => console.log(`authorizer :${PORT}`));
for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => process.exit(0));
