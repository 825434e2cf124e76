/**
 * CDI request fuzzing against a real core (`startCore({ port: 0, dataDir: tmp })`): random methods,
 * paths (every CDI route, app / tenant prefixes, percent escapes), headers (cdi-version, rid,
 * api-key, content-type) and JSON bodies built from the routes' own field names with hostile
 * values (real tokens, handles and ids mixed in so handlers run deep). Every answer must be one of
 * the core's documented outcomes (200 JSON, or 400/401/403/404/405/413 with the core's plain
 * texts), never a 500 from bad input, never a hang; the core keeps serving.
 * Seeded: FC_SEED reproduces, FC_RUNS lengthens (`FC_RUNS=20000 node scripts/run-tests.mjs fuzz-cdi`).
 */
import { after, before, test } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { request as httpRequest, Agent } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { startCore, type RunningCore } from '../../src/supertokens/index.ts';
import { ALL_ROUTES } from '../../src/supertokens/server.ts';

const seed = Number(process.env.FC_SEED ?? 20261122);
const numRuns = Number(process.env.FC_RUNS ?? 300);
const API_KEY = 'fuzz-api-key-0123456789abcdef';

let core: RunningCore;
let dataDir: string;
const logLines: string[] = [];
const agent = new Agent({ keepAlive: true, maxSockets: 8 });
const real: Record<string, string> = {};

interface Answer { status: number; text: string; contentType: string }

function send(method: string, path: string, headers: Record<string, string>, body: string | undefined): Promise<Answer> {
  return new Promise((resolve, reject) => {
    // An explicit length: node's client sends a DELETE body unframed otherwise.
    const framing = body === undefined ? {} : { 'content-length': String(Buffer.byteLength(body)) };
    const req = httpRequest({ host: '127.0.0.1', port: core.port, method, path, headers: { ...headers, ...framing }, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), contentType: String(res.headers['content-type'] ?? '') }));
      res.on('error', reject);
    });
    // Never a hang: a request without an answer in 5 s fails the property.
    req.setTimeout(5000, () => req.destroy(new Error(`no answer within 5 s: ${method} ${path}`)));
    req.on('error', reject);
    req.end(body);
  });
}

before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'pc-fuzz-cdi-'));
  core = await startCore({
    port: 0, dataDir, apiKeys: [API_KEY], appIds: ['public', 'app2'], tenantIds: ['public', 't1'], log: (l) => logLines.push(l),
    passwordHashing: { algorithm: 'argon2id', argon2MemoryKib: 1024, argon2Iterations: 1, argon2Parallelism: 1, bcryptLogRounds: 4 },
    maxRequestBodyBytes: 4096,
  });
  const h = { 'cdi-version': '5.4', 'api-key': API_KEY, 'content-type': 'application/json' };
  const user = JSON.parse((await send('POST', '/recipe/signup', h, JSON.stringify({ email: 'fuzz@example.com', password: 'pw-123456' }))).text);
  real.userId = user.user.id;
  const session = JSON.parse((await send('POST', '/recipe/session', h, JSON.stringify({ userId: real.userId, userDataInJWT: {}, userDataInDatabase: {}, enableAntiCsrf: true }))).text);
  real.refreshToken = session.refreshToken.token;
  real.accessToken = session.accessToken.token;
  real.sessionHandle = session.session.handle;
  real.antiCsrfToken = session.antiCsrfToken ?? 'x';
});
after(async () => {
  agent.destroy();
  await core.close(1000);
  rmSync(dataDir, { recursive: true, force: true });
});

const FIELDS = ['accessToken', 'algorithm', 'antiCsrfToken', 'checkDatabase', 'doAntiCsrfCheck', 'email', 'enableAntiCsrf', 'metadataUpdate', 'method', 'password', 'passwordHash', 'payload', 'permission', 'permissions', 'recipeUserId', 'refreshToken', 'removeAllLinkedAccounts', 'revokeAcrossAllTenants', 'role', 'sessionHandle', 'sessionHandles', 'token', 'useDynamicSigningKey', 'useStaticSigningKey', 'userDataInDatabase', 'userDataInJWT', 'userId', 'validity', 'tenantId', '__proto__', 'constructor'];
const routePaths = [...new Set(ALL_ROUTES.map((r) => r.path))];

const hostileString = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.constantFrom('', ' ', 'null', '0', '-1', '1e309', 'a@b', ' FUZZ@Example.com ', '$2a$04$' + 'a'.repeat(53), '$argon2id$v=19$m=1,t=1,p=1$AAAA$AAAA', '../../etc/passwd', "' OR 1=1 --", '\u0000', '\ud800', 'x'.repeat(3000)),
  fc.constantFrom('userId', 'refreshToken', 'accessToken', 'sessionHandle', 'antiCsrfToken').map((k) => real[k] ?? ''),
  fc.constantFrom('refreshToken', 'accessToken', 'sessionHandle').map((k) => (real[k] ?? '').slice(0, -3) + 'AAA'),
);
const value: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: hostileString },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  fc.constantFrom(true, false, null, 0, -1, 1.5, 2 ** 53, 1e308, [], {}, ['a', 1], { 'st-ev': { v: true } }, { sub: 'x', iss: 'y', exp: 1 }),
  fc.array(hostileString, { maxLength: 4 }),
);
const jsonBody = fc.dictionary(fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...FIELDS) }, fc.string({ maxLength: 8 })), value, { maxKeys: 8 });
const body = fc.oneof(
  { weight: 8, arbitrary: jsonBody.map((b) => JSON.stringify(b)) },
  fc.constantFrom('', 'null', '[]', '"x"', '1', '{', '{"a":', '{"email":"a","password":"b"}garbage', '\u0000\u0001', '{"a":' + '['.repeat(5000) + ']'.repeat(5000) + '}', 'x'.repeat(5000)),
  fc.string({ maxLength: 50 }),
);

const segment = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('public', 'PUBLIC', 't1', 'nope', 'appid-app2', 'appid-public', 'appid-x', 'appid-', '%74%31', '..', '.', '', 'recipe') },
  { weight: 1, arbitrary: fc.constantFrom('%E0%A4%A', '%', '%ZZ') },
  { weight: 2, arbitrary: fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789-_.~%'), maxLength: 8 }) },
);
const routes = ALL_ROUTES.map((r) => [r.method, r.path] as const);
/** A route with its own method most of the time, so requests reach the handlers. */
const target = fc.oneof(
  { weight: 7, arbitrary: fc.constantFrom(...routes) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom('POST', 'PUT', 'GET', 'DELETE', 'PATCH'), fc.constantFrom(...routes.map(([, p]) => p))) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('POST', 'GET'), fc.string({ unit: fc.constantFrom(...'/abcdefgh%._'), maxLength: 20 }).map((s) => `/${s}`)) },
);
const request = fc.tuple(fc.array(segment, { maxLength: 2 }), target, fc.option(fc.dictionary(fc.constantFrom('email', 'userId', 'limit', 'paginationToken', 'timeJoinedOrder', 'role', 'sessionHandle', 'includeRecipeIds', 'fetchAcrossAllTenants', 'permission', '%', 'x'), hostileString.map((s) => s.slice(0, 60)), { maxKeys: 3 }), { nil: undefined }))
  .map(([prefix, [method, p], q]) => {
    const query = q ? `?${Object.entries(q).map(([k, v]) => `${k}=${encodeURIComponent(Buffer.from(v).toString())}`).join('&')}` : '';
    return { method, path: `${prefix.map((s) => `/${s}`).join('')}${p}${query}`.replace(/\/\/+/g, '/') };
  });
const headers = fc.record(
  {
    'cdi-version': fc.oneof({ weight: 9, arbitrary: fc.constant('5.4') }, fc.constantFrom('2.0', '', '5.4, 5.4', 'x')),
    'api-key': fc.oneof({ weight: 9, arbitrary: fc.constant(API_KEY) }, fc.constantFrom('wrong-key', '')),
    authorization: fc.constantFrom(`Bearer ${API_KEY}`, 'Bearer', 'Basic x'),
    rid: fc.constantFrom('emailpassword', 'session', 'thirdparty', 'x'.repeat(200)),
    'content-type': fc.constantFrom('application/json', 'text/plain', 'application/json; charset=latin1'),
  },
  { requiredKeys: ['cdi-version', 'api-key'] },
);

const PLAIN_TEXTS: Record<number, RegExp> = {
  400: /^(Invalid Json Input|Field name '[^']*' is (invalid in JSON input|missing in GET request)|cdi-version (not provided|.{0,20} not supported; this core supports 2\.21 to 5\.4 \([\d., ]+\))|AppId or tenantId not found => .*|The user payload contains protected field|Password cannot be an empty string|Invalid password hash for bcrypt or argon2 format|invalid pagination token|limit must be a number between 1 and \d+|.{1,80} cannot be an empty String|Please provide one of userId or email|Please provide one of userId or \(thirdPartyId & thirdPartyUserId\)|Cannot create a userId mapping where the externalId is also a SuperTokens userID|Please provide exactly one of (email or phoneNumber|email, phoneNumber, deviceId or preAuthSessionId|userId, email or phoneNumber)|Please provide either linkCode or preAuthSessionId, deviceId and userInputCode|preAuthSessionId and deviceId doesn't match|You cannot clear both email and phone number of a user)$/s,
  401: /^Invalid API key$/,
  403: /^Only public tenantId can call this app specific API$/,
  404: /^Not found(: recipe ".{0,40}" is not implemented)?$/s,
  405: /^Method not supported$/,
  413: /^Request body larger than \d+ bytes$/,
};

test('random CDI requests get the core\'s documented answers, never a 500 or a hang; the core keeps serving', async (t) => {
  const seen = new Map<number, number>();
  await fc.assert(
    fc.asyncProperty(request, headers, body, async ({ method, path: p }, h, b) => {
      const a = await send(method, p, h, method === 'GET' ? undefined : b);
      seen.set(a.status, (seen.get(a.status) ?? 0) + 1);
      if (a.status === 200 && a.text === 'Hello') return; // GET /hello (any prefix)
      if (a.status === 200) {
        assert.match(a.contentType, /^application\/json/);
        const json = JSON.parse(a.text) as Record<string, unknown>;
        assert.ok(p.includes('hello') || p.includes('apiversion') || p.includes('jwks') || typeof json.status === 'string', `200 without status: ${a.text.slice(0, 100)}`);
        return;
      }
      const rule = PLAIN_TEXTS[a.status];
      assert.ok(rule, `unexpected status ${a.status} for ${method} ${p}: ${a.text.slice(0, 200)}`);
      assert.match(a.text, rule, `${a.status} text for ${method} ${p}`);
      assert.ok(!a.text.includes('    at '), 'no stack trace');
    }),
    { seed, numRuns },
  );
  t.diagnostic(`statuses: ${JSON.stringify(Object.fromEntries([...seen].sort()))}`);
  assert.ok((seen.get(200) ?? 0) > 0 && (seen.get(400) ?? 0) > 0, 'the generator reached handlers');
  assert.equal((await send('GET', '/hello', {}, undefined)).text, 'Hello');
  const h = { 'cdi-version': '5.4', 'api-key': API_KEY };
  // (The fuzzer may legitimately have changed or deleted the first account: it knows its id.)
  assert.equal(JSON.parse((await send('POST', '/recipe/signup', h, JSON.stringify({ email: 'after@example.com', password: 'pw-after' }))).text).status, 'OK');
  const signIn = await send('POST', '/recipe/signin', h, JSON.stringify({ email: 'after@example.com', password: 'pw-after' }));
  assert.equal(JSON.parse(signIn.text).status, 'OK', 'sign-up and sign-in still work after the run');
  assert.ok(logLines.every((l) => !l.includes(real.refreshToken!) && !l.includes(API_KEY) && !l.includes('pw-123456') && !l.includes('pw-after')), 'no secret reached the log');
});
