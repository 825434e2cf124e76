// Upstream (a): node:http, the same 53-byte JSON for every path. PORT (9001).
// Also serves the bench JWKS at /.well-known/jwks.json (JWKS_FILE) so Portcullis' JWT authorizer can fetch its keys;
// that path is only hit at gateway start-up.
import http from 'node:http';
import { readFileSync } from 'node:fs';
const body = Buffer.from(JSON.stringify({ ok: true, service: 'upstream', items: [1, 2, 3] }));
const jwks = process.env.JWKS_FILE ? readFileSync(process.env.JWKS_FILE) : Buffer.from('{"keys":[]}');
const port = Number(process.env.PORT || 9001);
http.createServer((req, res) => {
  if (req.url === '/.well-known/jwks.json') {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': jwks.length });
    return res.end(jwks);
  }
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
  res.end(body);
}).listen(port, '127.0.0.1', () => console.log(`upstream listening ${port}`));
for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => process.exit(0));
