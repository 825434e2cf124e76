/**
 * The hostile-input corpus: every request shape a hostile client can send that we know of, as raw
 * bytes over a socket to a real gateway, in front of a backend that parses paths the way Node,
 * browsers and most frameworks do (WHATWG URL). Each row names its reference. A row that holds today
 * must keep holding: this table is the regression net for docs/security.md's threat model.
 *
 * The gateway serves an HTTP API at the root and a REST API under the stage `prod`, each with an open
 * `ANY /open/{proxy+}` and a protected `ANY /secure/{proxy+}` on the same backend (only
 * `Authorization: Bearer good` is allowed), so a path that the gateway routes as open but the backend
 * resolves to `/secure/…` would be an authorizer bypass.
 */
import { after, before, describe, test } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { startGateway, tempDir, type TestGateway } from '../helpers/gateway.ts';
import { makeKey, signRs256Raw, startIdp, type Idp, type TestKey } from '../jwt/fixtures.ts';

/** Allows `Bearer good` only; answers both the REST TOKEN and the HTTP API simple-response shapes. */
const AUTHORIZER = `export const handler = async (event) => {
  const token = event.type === 'TOKEN' ? event.authorizationToken : event.headers?.authorization;
  const ok = token === 'Bearer good';
  if (event.type === 'TOKEN') {
    if (!ok) throw new Error('Unauthorized');
    return { principalId: 'good', policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: '*' }] } };
  }
  return { isAuthorized: ok };
};`;

/** A Lambda integration that answers what it received: the sha256 of the decoded body and the flag. */
const BODY_ECHO = `import { createHash } from 'node:crypto';
export const handler = async (event) => {
  const bytes = event.body == null ? Buffer.alloc(0) : Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8');
  return { statusCode: 200, body: JSON.stringify({ sha256: createHash('sha256').update(bytes).digest('hex'), isBase64Encoded: event.isBase64Encoded }) };
};`;

interface BackendRequest {
  url: string;
  /** `new URL(url, base).pathname`: what a WHATWG-parsing backend routes on. */
  whatwgPath: string;
  rawHeaders: string[];
  headers: Record<string, string | string[] | undefined>;
  bodyBytes: number;
  bodySha256: string;
}

let backend: Server;
let backendUrl: string;
const seen: BackendRequest[] = [];
let gw: TestGateway;
let idp: Idp;
let issuer: string;
let jwtKey: TestKey;

before(async () => {
  backend = createServer((req, res) => {
    const h = createHash('sha256');
    let n = 0;
    req.on('data', (c: Buffer) => {
      n += c.length;
      h.update(c);
    });
    req.on('end', () => {
      const url = req.url ?? '';
      let whatwgPath = '';
      try {
        whatwgPath = new URL(url, 'http://backend.invalid').pathname;
      } catch {
        whatwgPath = '(unparseable)';
      }
      seen.push({ url, whatwgPath, rawHeaders: req.rawHeaders, headers: req.headers, bodyBytes: n, bodySha256: h.digest('hex') });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ path: whatwgPath }));
    });
  });
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', () => r()));
  backendUrl = `http://127.0.0.1:${(backend.address() as AddressInfo).port}`;
  jwtKey = await makeKey('corpus');
  idp = await startIdp();
  ({ issuer } = idp.tenant('corpus', [jwtKey.jwk]));
  const dir = tempDir({ 'auth.mjs': AUTHORIZER, 'body.mjs': BODY_ECHO });
  const fn = { handler: './auth.mjs', timeoutInMillis: 5000 };
  const routes = (authorizerId: string) => ({
    'ANY /open/{proxy+}': { integration: { type: 'http', uri: `${backendUrl}/open/{proxy}` } },
    'ANY /secure/{proxy+}': { authorizerId, integration: { type: 'http', uri: `${backendUrl}/secure/{proxy}` } },
    'GET /ok': { integration: { type: 'mock', body: 'ok' } },
    'POST /lambda': { integration: { type: 'lambda', handler: './body.mjs' } },
  });
  gw = await startGateway(
    {
      server: { headersTimeoutMs: 2000, requestTimeoutMs: 10_000 },
      apis: [
        {
          name: 'h', protocol: 'http', stage: '$default',
          authorizers: {
            gate: { authorizerType: 'REQUEST', function: fn, identitySource: ['$request.header.Authorization'], authorizerPayloadFormatVersion: '2.0', enableSimpleResponses: true, authorizerResultTtlInSeconds: 0 },
            jwt: { authorizerType: 'JWT', identitySource: '$request.header.Authorization', jwtConfiguration: { issuer, audience: ['corpus'] } },
          },
          cors: { allowOrigins: ['http://localhost:*', 'https://*.example.com'], allowMethods: ['GET', 'POST'] },
          routes: {
            ...routes('gate'),
            'ANY /jwt/{proxy+}': { authorizerId: 'jwt', integration: { type: 'http', uri: `${backendUrl}/jwt/{proxy}` } },
            'GET /mapped': { integration: { type: 'http', uri: `${backendUrl}/open/mapped`, requestParameters: { 'append:header.x-q': '$request.querystring.q' } } },
          },
        },
        {
          name: 'r', protocol: 'rest', stage: 'prod',
          authorizers: { gate: { authorizerType: 'TOKEN', function: fn, authorizerResultTtlInSeconds: 0 } },
          routes: {
            ...routes('gate'),
            'GET /mapped': { integration: { type: 'http', uri: `${backendUrl}/open/mapped`, requestParameters: { 'integration.request.header.x-q': 'method.request.querystring.q' } } },
          },
        },
      ],
    },
    { baseDir: dir },
  );
});

after(async () => {
  await gw?.close();
  await idp?.close();
  backend?.closeAllConnections();
  await new Promise<void>((r) => (backend?.listening ? backend.close(() => r()) : r()));
});

interface RawReply {
  status: number;
  head: string;
  body: string;
}

/**
 * Sends raw bytes on a fresh connection and reads the reply until the server closes (each request
 * says `Connection: close`) or `waitMs` passes. `afterInterim` is sent once a `100 Continue` arrives.
 */
function raw(bytes: string | Buffer, { waitMs = 5000, afterInterim }: { waitMs?: number; afterInterim?: Buffer } = {}): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const socket = connect(gw.port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let interimSent = false;
    const done = () => {
      clearTimeout(timer);
      let text = Buffer.concat(chunks).toString('latin1');
      // Skip interim 1xx answers: the final status is what the row is about.
      while (/^HTTP\/1\.1 1\d\d /.test(text) && text.includes('\r\n\r\n')) text = text.slice(text.indexOf('\r\n\r\n') + 4);
      const split = text.indexOf('\r\n\r\n');
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), head: split < 0 ? text : text.slice(0, split), body: split < 0 ? '' : text.slice(split + 4) });
    };
    const timer = setTimeout(() => {
      socket.destroy();
      done();
    }, waitMs);
    socket.on('data', (d: Buffer) => {
      chunks.push(d);
      if (afterInterim && !interimSent && Buffer.concat(chunks).toString('latin1').startsWith('HTTP/1.1 100 ')) {
        interimSent = true;
        socket.write(afterInterim);
      }
    });
    socket.on('close', done);
    socket.on('error', (e) => {
      if (chunks.length) done();
      else {
        clearTimeout(timer);
        reject(e);
      }
    });
    socket.write(bytes);
  });
}

const get = (target: string, extra = '') => `GET ${target} HTTP/1.1\r\nHost: gw.test\r\n${extra}Connection: close\r\n\r\n`;

async function stillServing() {
  const r = await raw(get('/ok'));
  assert.equal(r.status, 200, 'the gateway still serves after the row');
}

/** What a row expects. `backend` checks the request the backend got (undefined: it got none). */
interface Row {
  name: string;
  /** The rule the expected answer comes from. */
  ref: string;
  send: string | Buffer;
  afterInterim?: Buffer;
  status: number | number[];
  backend?: (b: BackendRequest) => void;
  reachesBackend?: boolean;
  reply?: (r: RawReply) => void;
}

async function runRow(row: Row) {
  const before = seen.length;
  const reply = await raw(row.send, row.afterInterim ? { afterInterim: row.afterInterim } : {});
  const statuses = Array.isArray(row.status) ? row.status : [row.status];
  assert.ok(statuses.includes(reply.status), `status ${reply.status}, expected ${statuses.join(' or ')}\n${reply.head}\n${reply.body.slice(0, 300)}`);
  const got = seen.slice(before);
  if (row.reachesBackend === false) assert.equal(got.length, 0, `the backend must not be reached (got ${got.map((g) => g.url).join(', ')})`);
  if (row.backend) {
    assert.equal(got.length, 1, 'exactly one request reached the backend');
    row.backend(got[0]!);
  }
  // Whatever happened, nothing protected was served without the right credential.
  for (const b of got) {
    if (b.whatwgPath.startsWith('/secure')) {
      const auth = b.headers['authorization'];
      assert.equal(auth, 'Bearer good', `the backend served ${b.whatwgPath} (${b.url}) to a request the authorizer did not allow`);
    }
  }
  row.reply?.(reply);
  await stillServing();
}

const underOpen = (b: BackendRequest) => assert.ok(b.whatwgPath.startsWith('/open/'), `the backend resolved ${b.url} to ${b.whatwgPath}`);

// --- paths: one resolved path decides route, authorizer and upstream ------------------------------

const PATH_REF = 'WHATWG URL "path state" (%2e is a dot); RFC 3986 §2.3, §5.2.4, §6.2.2.2; docs/security.md "One path"';

function pathRows(prefix: string, api: string): Row[] {
  const p = (s: string) => prefix + s;
  const denied = 401; // no credential: the HTTP API and REST API both answer 401 Unauthorized
  return [
    { name: `${api}: %2e%2e resolves to the protected route, which asks for a token`, ref: PATH_REF, send: get(p('/open/%2e%2e/secure/x')), status: denied, reachesBackend: false },
    { name: `${api}: .%2e resolves likewise`, ref: PATH_REF, send: get(p('/open/.%2e/secure/x')), status: denied, reachesBackend: false },
    { name: `${api}: %2e. resolves likewise`, ref: PATH_REF, send: get(p('/open/%2e./secure/x')), status: denied, reachesBackend: false },
    { name: `${api}: %2E%2E (upper case) resolves likewise`, ref: PATH_REF, send: get(p('/open/%2E%2E/secure/x')), status: denied, reachesBackend: false },
    { name: `${api}: literal .. resolves likewise`, ref: 'RFC 3986 §5.2.4', send: get(p('/open/../secure/x')), status: denied, reachesBackend: false },
    { name: `${api}: ./.. mixed resolves likewise`, ref: PATH_REF, send: get(p('/open/./%2e%2e/secure/x')), status: denied, reachesBackend: false },
    { name: `${api}: the resolved path with the right token is served`, ref: PATH_REF, send: get(p('/open/%2e%2e/secure/x'), 'Authorization: Bearer good\r\n'), status: 200, backend: (b) => assert.equal(b.whatwgPath, '/secure/x') },
    { name: `${api}: %2e%2e%2f is one segment: an encoded slash stays encoded`, ref: PATH_REF, send: get(p('/open/%2e%2e%2fsecure/x')), status: 200, backend: (b) => { underOpen(b); assert.equal(b.url, '/open/..%2Fsecure/x'); } },
    { name: `${api}: ..%2f likewise`, ref: PATH_REF, send: get(p('/open/..%2fsecure/x')), status: 200, backend: underOpen },
    { name: `${api}: a%2F..%2F..%2F stays one segment`, ref: PATH_REF, send: get(p('/open/a%2F..%2F..%2Fsecure%2Fx')), status: 200, backend: (b) => { underOpen(b); assert.equal(b.url, '/open/a%2F..%2F..%2Fsecure%2Fx'); } },
    { name: `${api}: %5c (backslash) stays encoded: never a separator upstream`, ref: 'WHATWG URL (\\ is a separator in special schemes)', send: get(p('/open/..%5csecure/x')), status: 200, backend: (b) => { underOpen(b); assert.equal(b.url, '/open/..%5Csecure/x'); } },
    { name: `${api}: double encoding is decoded once, re-encoded once`, ref: 'RFC 3986 §2.4 (decode once)', send: get(p('/open/%252e%252e/secure/x')), status: 200, backend: (b) => { underOpen(b); assert.equal(b.url, '/open/%252e%252e/secure/x'); } },
    { name: `${api}: ..; (servlet path parameter) is a plain segment`, ref: 'RFC 3986 §3.3', send: get(p('/open/..;/secure/x')), status: 200, backend: underOpen },
    // `/prod/../../open/x` climbs out of the stage too: it is the HTTP API's `/open/x`.
    { name: `${api}: climbing above the root stays at the root`, ref: 'RFC 3986 §5.2.4', send: get(p('/../../open/x')), status: 200, backend: (b) => assert.equal(b.url, '/open/x') },
    { name: `${api}: case does not select another route`, ref: 'API Gateway: paths are case-sensitive', send: get(p('/SECURE/x')), status: prefix ? 403 : 404, reachesBackend: false },
    { name: `${api}: an empty segment does not select another route`, ref: 'API Gateway routing', send: get(p('//secure/x')), status: prefix ? 403 : 404, reachesBackend: false },
  ];
}

describe('paths', () => {
  for (const row of [...pathRows('', 'HTTP API'), ...pathRows('/prod', 'REST API')]) test(`${row.name} [${row.ref}]`, () => runRow(row));

  test('property: whatever the dot segments, slashes, %2F, %5C, ; and double encodings, the backend never resolves an open request under /secure', async () => {
    const piece = fc.constantFrom('open', 'secure', 'x', '.', '..', '%2e', '%2E', '.%2e', '%2e.', '%2e%2e', '%2E%2e', '%2f', '%2F', '%5c', '%5C', ';', '..;', '%252e%252e', '%252f', '', 'a%2F..');
    const sep = fc.constantFrom('/', '/', '/', '%2F', '%2f', '%5C');
    // Most paths start on a route (`/open/…`, `/secure/…`), where a traversal would matter.
    const first = fc.oneof({ arbitrary: fc.constantFrom('open', 'secure'), weight: 4 }, { arbitrary: piece, weight: 1 });
    const path = fc
      .tuple(fc.constantFrom('', '/prod'), first, fc.array(fc.tuple(sep, piece), { minLength: 1, maxLength: 7 }))
      .map(([stage, head, parts]) => `${stage}/${head}${parts.map(([s, x]) => s + x).join('')}`);
    await fc.assert(
      fc.asyncProperty(path, async (target) => {
        const before = seen.length;
        const status = await new Promise<number>((resolve, reject) => {
          // node:http sends `path` as given (no WHATWG resolution on the client side).
          const req = httpRequest({ host: '127.0.0.1', port: gw.port, path: target, method: 'GET', agent: false, headers: { connection: 'close' } }, (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          });
          req.on('error', reject);
          req.end();
        });
        assert.ok(status < 500, `${target}: status ${status}`);
        for (const b of seen.slice(before)) {
          assert.ok(b.whatwgPath.startsWith('/open/'), `${target} reached the backend as ${b.url}, which resolves to ${b.whatwgPath}`);
        }
      }),
      { seed: Number(process.env.FC_SEED ?? 20261206), numRuns: Number(process.env.FC_RUNS ?? 300) },
    );
  });
});

// --- headers the gateway owns, and hop-by-hop headers ---------------------------------------------

const TWO_MB = randomBytes(2 * 1024 * 1024);
const TWO_MB_SHA = createHash('sha256').update(TWO_MB).digest('hex');

const upload = (target: string) => `POST ${target} HTTP/1.1\r\nHost: gw.test\r\nContent-Type: application/octet-stream\r\nContent-Length: ${TWO_MB.length}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n`;

const headerRows: Row[] = [
  {
    name: 'Expect: 100-continue with a 2 MiB body reaches an HTTP API backend whole, without Expect',
    ref: 'RFC 9110 §10.1.1; curl --data-binary sends Expect over 1 MiB',
    send: upload('/open/upload'), afterInterim: TWO_MB, status: 200,
    backend: (b) => { assert.equal(b.bodyBytes, TWO_MB.length); assert.equal(b.bodySha256, TWO_MB_SHA); assert.equal(b.headers['expect'], undefined); },
  },
  {
    name: 'Expect: 100-continue with a 2 MiB body reaches a REST API backend whole',
    ref: 'RFC 9110 §10.1.1',
    send: upload('/prod/open/upload'), afterInterim: TWO_MB, status: 200,
    backend: (b) => { assert.equal(b.bodySha256, TWO_MB_SHA); assert.equal(b.headers['expect'], undefined); },
  },
  {
    name: 'hop-by-hop headers and the headers Connection names are not forwarded',
    ref: 'RFC 9110 §7.6.1',
    send: `GET /open/h HTTP/1.1\r\nHost: gw.test\r\nConnection: close, X-Secret\r\nX-Secret: 1\r\nKeep-Alive: timeout=5\r\nTE: trailers\r\nUpgrade: websocket\r\nProxy-Connection: keep-alive\r\nX-Kept: yes\r\n\r\n`,
    status: 200,
    backend: (b) => {
      for (const h of ['x-secret', 'keep-alive', 'te', 'upgrade', 'proxy-connection']) assert.equal(b.headers[h], undefined, `${h} was forwarded`);
      assert.equal(b.headers['x-kept'], 'yes');
    },
  },
  {
    name: 'two Host headers are a 400',
    ref: 'RFC 9112 §3.2',
    send: `GET /open/h HTTP/1.1\r\nHost: a.test\r\nHost: b.test\r\nConnection: close\r\n\r\n`,
    status: 400, reachesBackend: false,
  },
  {
    name: 'an absolute-form target sets the host the backend is told about',
    ref: 'RFC 9112 §3.2.2',
    send: `GET http://target.test/open/h HTTP/1.1\r\nHost: other.test\r\nConnection: close\r\n\r\n`,
    status: 200,
    backend: (b) => { assert.equal(b.headers['x-forwarded-host'], 'target.test'); assert.equal(b.url, '/open/h'); },
  },
  {
    name: 'an absolute-form target is routed by its own path, dot segments resolved the same way',
    ref: 'RFC 9112 §3.2.2; WHATWG URL',
    send: `GET http://target.test/open/%2e%2e/secure/x HTTP/1.1\r\nHost: other.test\r\nConnection: close\r\n\r\n`,
    status: 401, reachesBackend: false,
  },
  {
    name: 'an absolute-form target without a path, whose query holds a slash, is the root with that query',
    ref: 'RFC 3986 §3.2 (the authority ends at /, ? or #)',
    send: `GET http://target.test?next=/open/x HTTP/1.1\r\nHost: other.test\r\nConnection: close\r\n\r\n`,
    status: 404, reachesBackend: false,
  },
  {
    name: "the client's X-Forwarded-Port, -Proto and -Host are replaced by the listener's",
    ref: 'AWS: X-Forwarded-* are set by API Gateway; docs/security.md',
    send: `GET /open/h HTTP/1.1\r\nHost: gw.test:1\r\nX-Forwarded-Port: 1\r\nX-Forwarded-Proto: https\r\nX-Forwarded-Host: evil.test\r\nX-Forwarded-For: 10.9.9.9\r\nConnection: close\r\n\r\n`,
    status: 200,
    backend: (b) => {
      assert.equal(b.headers['x-forwarded-port'], String(gw.port));
      assert.equal(b.headers['x-forwarded-proto'], 'http');
      assert.equal(b.headers['x-forwarded-host'], 'gw.test:1');
      assert.equal(b.headers['x-forwarded-for'], '10.9.9.9, 127.0.0.1');
    },
  },
];

describe('headers', () => {
  for (const row of headerRows) test(`${row.name} [${row.ref}]`, () => runRow(row));
});

// --- framing: request smuggling and malformed messages (held before this corpus existed) ----------

const framingRows: Row[] = [
  { name: 'Content-Length with Transfer-Encoding', ref: 'RFC 9112 §6.3 (smuggling)', send: 'POST /open/s HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /open/smuggled HTTP/1.1\r\nHost: x\r\n\r\n', status: 400, reachesBackend: false },
  { name: 'two different Content-Length values', ref: 'RFC 9112 §6.3', send: 'POST /open/s HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 5\r\n\r\nabcde', status: 400, reachesBackend: false },
  { name: 'a Content-Length that is not a number', ref: 'RFC 9110 §8.6', send: 'POST /open/s HTTP/1.1\r\nHost: x\r\nContent-Length: 3a\r\n\r\nabc', status: 400, reachesBackend: false },
  { name: 'an obfuscated Transfer-Encoding', ref: 'RFC 9112 §6.1', send: 'POST /open/s HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n', status: 400, reachesBackend: false },
  { name: 'whitespace before the colon', ref: 'RFC 9112 §5.1', send: 'POST /open/s HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n', status: 400, reachesBackend: false },
  { name: 'obs-fold header continuation', ref: 'RFC 9112 §5.2', send: 'GET /open/s HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\nConnection: close\r\n\r\n', status: 400, reachesBackend: false },
  { name: 'a bare LF line ending in the header section', ref: 'RFC 9112 §2.2', send: 'GET /open/s HTTP/1.1\nHost: x\nConnection: close\n\n', status: 400, reachesBackend: false },
  { name: 'a bare CR in a header value', ref: 'RFC 9110 §5.5', send: 'GET /open/s HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\nConnection: close\r\n\r\n', status: 400, reachesBackend: false },
  { name: 'a NUL in a header value', ref: 'RFC 9110 §5.5', send: 'GET /open/s HTTP/1.1\r\nHost: x\r\nX-A: a\0b\r\nConnection: close\r\n\r\n', status: 400, reachesBackend: false },
  { name: 'an absurd chunk size', ref: 'RFC 9112 §7.1', send: 'POST /open/s HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\na\r\n0\r\n\r\n', status: 400, reachesBackend: false },
  { name: 'a malformed request line', ref: 'RFC 9112 §3', send: 'GARBAGE\r\n\r\n', status: 400, reachesBackend: false },
  { name: 'a header section over the limit', ref: 'RFC 6585 §5; AWS ~10 KB header limit', send: `GET /open/s HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, status: 431, reachesBackend: false },
  { name: 'a huge declared body is refused without being read', ref: 'AWS: 10 MB payload limit', send: `POST /open/s HTTP/1.1\r\nHost: x\r\nContent-Length: ${1024 ** 3}\r\nConnection: close\r\n\r\n`, status: 413, reachesBackend: false },
  { name: 'a fragment in the request target', ref: 'RFC 9112 §3.2 (no fragment in a request-target)', send: get('/open/%2e%2e/secure/x#frag'), status: [400, 401], reachesBackend: false },
];

describe('framing', () => {
  for (const row of framingRows) test(`${row.name} [${row.ref}]`, () => runRow(row));
});

// --- credentials: JOSE headers, time claims, one credential per request ---------------------------

const nowS = () => Math.floor(Date.now() / 1000);
const token = (claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}) =>
  signRs256Raw(jwtKey, { iss: issuer, aud: 'corpus', sub: 'u1', iat: nowS() - 5, exp: nowS() + 600, ...claims }, header);
const withAuth = (target: string, ...values: string[]) => get(target, values.map((v) => `Authorization: ${v}\r\n`).join(''));
const wwwAuthenticate = (pattern: RegExp) => (r: RawReply) => assert.match(r.head, pattern);

describe('credentials', () => {
  // Built lazily: the key and issuer exist once `before` ran.
  const rows = (): Row[] => [
    { name: 'a valid token is admitted (the control row)', ref: 'AWS HTTP API JWT authorizer', send: withAuth('/jwt/x', `Bearer ${token()}`), status: 200, backend: (b) => assert.equal(b.whatwgPath, '/jwt/x') },
    { name: 'crit naming an unknown extension is refused', ref: 'RFC 7515 §4.1.11', send: withAuth('/jwt/x', `Bearer ${token({}, { crit: ['x-unknown'], 'x-unknown': 1 })}`), status: 401, reachesBackend: false, reply: wwwAuthenticate(/critical extension/) },
    { name: 'an empty crit is refused', ref: 'RFC 7515 §4.1.11', send: withAuth('/jwt/x', `Bearer ${token({}, { crit: [] })}`), status: 401, reachesBackend: false, reply: wwwAuthenticate(/invalid crit/) },
    { name: 'a crit that is not an array is refused', ref: 'RFC 7515 §4.1.11', send: withAuth('/jwt/x', `Bearer ${token({}, { crit: 'x' })}`), status: 401, reachesBackend: false, reply: wwwAuthenticate(/invalid crit/) },
    { name: 'b64: false is refused', ref: 'RFC 7797 §3', send: withAuth('/jwt/x', `Bearer ${token({}, { b64: false })}`), status: 401, reachesBackend: false, reply: wwwAuthenticate(/b64/) },
    { name: 'exp: null is refused', ref: 'RFC 7519 §4.1.4 (NumericDate)', send: withAuth('/jwt/x', `Bearer ${token({ exp: null })}`), status: 401, reachesBackend: false, reply: wwwAuthenticate(/invalid exp/) },
    { name: 'nbf: null is refused', ref: 'RFC 7519 §4.1.5', send: withAuth('/jwt/x', `Bearer ${token({ nbf: null })}`), status: 401, reachesBackend: false, reply: wwwAuthenticate(/invalid nbf/) },
    { name: 'iat: "yesterday" is refused', ref: 'RFC 7519 §4.1.6', send: withAuth('/jwt/x', `Bearer ${token({ iat: 'yesterday' })}`), status: 401, reachesBackend: false, reply: wwwAuthenticate(/invalid iat/) },
    { name: 'JWT: a second, different Authorization header is refused before verification', ref: 'docs/lambda-authorizers.md "One credential per request"', send: withAuth('/jwt/x', `Bearer ${token()}`, 'Bearer forged'), status: 401, reachesBackend: false },
    { name: 'HTTP API Lambda authorizer: two different Authorization headers are refused', ref: 'docs/lambda-authorizers.md "One credential per request"', send: withAuth('/secure/x', 'Bearer evil', 'Bearer good'), status: 401, reachesBackend: false },
    { name: 'REST TOKEN authorizer: two different Authorization headers are refused (the last one was validated, the first forwarded)', ref: 'docs/lambda-authorizers.md "One credential per request"', send: withAuth('/prod/secure/x', 'Bearer evil', 'Bearer good'), status: 401, reachesBackend: false },
    { name: 'REST TOKEN authorizer: one good credential is admitted and forwarded as validated', ref: 'AWS REST TOKEN authorizer', send: withAuth('/prod/secure/x', 'Bearer good'), status: 200, backend: (b) => assert.equal(b.headers['authorization'], 'Bearer good') },
  ];
  test('every row', async (t) => {
    for (const row of rows()) await t.test(`${row.name} [${row.ref}]`, () => runRow(row));
  });
});

// --- client input mapped into headers, CORS origins ------------------------------------------------

const MAPPED_REF = 'RFC 9110 §5.5 (field values); docs/errors.md BAD_REQUEST_PARAMETERS';
const mappedRows = (prefix: string, api: string): Row[] => [
  ...['%0D%0Ainjected:%201', '%0A', '%00', '%E2%80%A8', '%E2%82%AC'].map((q): Row => ({ name: `${api}: a query value mapped into a header that cannot be one (${q}) is a 400`, ref: MAPPED_REF, send: get(`${prefix}/mapped?q=${q}`), status: 400, reachesBackend: false })),
  { name: `${api}: a plain value is mapped`, ref: MAPPED_REF, send: get(`${prefix}/mapped?q=plain`), status: 200, backend: (b) => assert.equal(b.headers['x-q'], 'plain') },
];

const CORS_REF = 'RFC 6454 §6.2 (origin serialization); docs/operations.md "Origin matching"';
const originRow = (origin: string, allowed: boolean): Row => ({
  name: `Origin ${origin} is ${allowed ? 'echoed' : 'not allowed'}`,
  ref: CORS_REF,
  send: get('/open/cors', `Origin: ${origin}\r\n`),
  status: 200,
  reply: (r) => {
    const acao = /\r\naccess-control-allow-origin: ([^\r]*)/i.exec(r.head)?.[1];
    assert.equal(acao, allowed ? origin : undefined, r.head);
  },
});

describe('mapped values and origins', () => {
  const rows: Row[] = [
    ...mappedRows('', 'HTTP API'),
    ...mappedRows('/prod', 'REST API'),
    originRow('http://localhost:3000', true),
    originRow('https://app.example.com', true),
    originRow('http://localhost:3000.evil.com', false),
    originRow('https://evil.com/.example.com', false),
    originRow('http://localhost:abc', false),
    originRow('http://localhost:3000?x', false),
    originRow('http://localhost:3000#x', false),
    originRow('https://example.com', false),
  ];
  for (const row of rows) test(`${row.name} [${row.ref}]`, () => runRow(row));
});

// --- bodies for Lambda: the 6 MB payload limit, never lossy -----------------------------------------

const GZ = gzipSync(Buffer.from(JSON.stringify({ hello: 'world', pad: 'x'.repeat(4096) })));
const GZ_SHA = createHash('sha256').update(GZ).digest('hex');
const post = (target: string, headers: string, body: Buffer) => Buffer.concat([Buffer.from(`POST ${target} HTTP/1.1\r\nHost: gw.test\r\n${headers}Content-Length: ${body.length}\r\nConnection: close\r\n\r\n`), body]);
const lambdaSaw = (sha: string, base64: boolean) => (r: RawReply) => assert.deepEqual(JSON.parse(r.body), { sha256: sha, isBase64Encoded: base64 });

describe('Lambda bodies', () => {
  const rows: Row[] = [
    { name: 'HTTP API: a declared body over Lambda\'s 6 MB request payload limit is 413 unread', ref: 'AWS Lambda quotas: 6 MB synchronous request payload', send: `POST /lambda HTTP/1.1\r\nHost: gw.test\r\nContent-Length: ${7 * 1024 * 1024}\r\nConnection: close\r\n\r\n`, status: 413 },
    { name: 'REST API: likewise', ref: 'AWS Lambda quotas: 6 MB synchronous request payload', send: `POST /prod/lambda HTTP/1.1\r\nHost: gw.test\r\nContent-Length: ${7 * 1024 * 1024}\r\nConnection: close\r\n\r\n`, status: 413 },
    { name: 'HTTP API: a gzip body labelled application/json arrives base64, byte-exact', ref: 'AWS HTTP API: isBase64Encoded for binary and encoded bodies', send: post('/lambda', 'Content-Type: application/json\r\nContent-Encoding: gzip\r\n', GZ), status: 200, reply: lambdaSaw(GZ_SHA, true) },
    { name: 'REST API: a body that is not UTF-8 arrives base64, byte-exact (never a lossy string)', ref: 'docs: REST binaryMediaTypes [INF]', send: post('/prod/lambda', 'Content-Type: application/json\r\n', GZ), status: 200, reply: lambdaSaw(GZ_SHA, true) },
    { name: 'HTTP API: a UTF-8 JSON body stays text', ref: 'AWS HTTP API payload 2.0', send: post('/lambda', 'Content-Type: application/json\r\n', Buffer.from('{"a":"é"}')), status: 200, reply: lambdaSaw(createHash('sha256').update('{"a":"é"}').digest('hex'), false) },
  ];
  for (const row of rows) test(`${row.name} [${row.ref}]`, () => runRow(row));
});
