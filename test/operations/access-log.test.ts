/**
 * Access logs (spec §9): every `$context` variable the issue lists renders, for allowed and denied
 * JWT and Lambda authorizer requests; JSON and CLF presets; values inside JSON strings are
 * escaped (a hostile User-Agent cannot add keys or lines); file reopen after rotation; the
 * batching writer keeps order, drains on close and bounds its memory.
 */
import { after, before, describe, test } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { renameSync } from 'node:fs';
import { join } from 'node:path';
import { startGateway, startUpstream, closedPort, tempDir, type TestGateway, type TestUpstream } from '../helpers/gateway.ts';
import { makeKey, sign, startIdp, type Idp, type TestKey } from '../jwt/fixtures.ts';
import { createAccessLog, createBatchWriter } from '../../src/io/access-log.ts';
import type { RequestContext } from '../../src/core/model.ts';
import { AUTH_HANDLER, ECHO_HANDLER, eventually, fileLines, send } from './helpers.ts';

const IAM_HANDLER = String.raw`
export async function handler(event) {
  const effect = event.headers?.authorization === 'allow' ? 'Allow' : 'Deny';
  return { principalId: 'user-42', policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: effect, Resource: event.routeArn }] }, context: { tier: 'gold' } };
}
`;

/** Every variable the issue names, plus a few neighbours, as one JSON object per line. */
const FULL_FORMAT = JSON.stringify({
  requestId: '$context.requestId',
  extendedRequestId: '$context.extendedRequestId',
  ip: '$context.identity.sourceIp',
  ua: '$context.identity.userAgent',
  method: '$context.httpMethod',
  routeKey: '$context.routeKey',
  status: '$context.status',
  protocol: '$context.protocol',
  responseLength: '$context.responseLength',
  requestTime: '$context.requestTime',
  requestTimeEpoch: '$context.requestTimeEpoch',
  integrationLatency: '$context.integrationLatency',
  responseLatency: '$context.responseLatency',
  integrationError: '$context.integrationErrorMessage',
  errorMessage: '$context.error.message',
  errorType: '$context.error.responseType',
  sub: '$context.authorizer.claims.sub',
  email: '$context.authorizer.claims.email',
  principalId: '$context.authorizer.principalId',
  authError: '$context.authorizer.error',
  user: '$context.authorizer.user',
  admin: '$context.authorizer.admin',
  tier: '$context.authorizer.tier',
  stage: '$context.stage',
  apiId: '$context.apiId',
  path: '$context.path',
});

let gw: TestGateway;
let idp: Idp;
let key: TestKey;
let issuer: string;
let dir: string;
let upstream: TestUpstream;
const logFile = () => join(dir, 'access.log');
const clfFile = () => join(dir, 'clf.log');
const jsonFile = () => join(dir, 'json.log');

before(async () => {
  dir = tempDir({ 'auth.mjs': AUTH_HANDLER, 'iam.mjs': IAM_HANDLER, 'echo.mjs': ECHO_HANDLER });
  idp = await startIdp();
  key = await makeKey('ops-1');
  issuer = idp.tenant('ops', [key.jwk]).issuer;
  upstream = await startUpstream();
  const dead = await closedPort();
  const routes = {
    'GET /jwt': { authorizerId: 'jwt', integration: { type: 'http', uri: `${upstream.url}/jwt` } },
    'GET /lambda': { authorizerId: 'simple', integration: { type: 'mock', body: 'hello' } },
    'GET /iam': { authorizerId: 'iam', integration: { type: 'lambda', handler: './echo.mjs' } },
    'GET /down': { integration: { type: 'http', uri: `http://127.0.0.1:${dead}/`, timeoutInMillis: 1000 } },
    'GET /open': { integration: { type: 'mock', body: 'hello' } },
  };
  const authorizers = {
    jwt: { authorizerType: 'JWT', identitySource: '$request.header.Authorization', jwtConfiguration: { issuer, audience: ['api://default'] } },
    simple: { authorizerType: 'REQUEST', authorizerPayloadFormatVersion: '2.0', enableSimpleResponses: true, identitySource: '$request.header.Authorization', function: { handler: './auth.mjs' } },
    iam: { authorizerType: 'REQUEST', authorizerPayloadFormatVersion: '2.0', identitySource: '$request.header.Authorization', function: { handler: './iam.mjs' } },
  };
  gw = await startGateway(
    {
      apis: [
        { name: 'full', protocol: 'http', stage: '$default', authorizers, routes, accessLogSettings: { format: FULL_FORMAT, destination: './access.log' } },
        { name: 'clf', protocol: 'http', stage: 'clf', routes: { 'GET /open': routes['GET /open'] }, accessLogSettings: { format: 'clf', destination: './clf.log' } },
        { name: 'json', protocol: 'http', stage: 'json', routes: { 'GET /open': routes['GET /open'] }, accessLogSettings: { format: 'json', destination: './json.log' } },
      ],
    },
    { baseDir: dir },
  );
});

after(async () => {
  await gw.close();
  await idp.close();
  await upstream.close();
});

/** Sends a request and returns its access-log line (matched by the `apigw-requestid` header). */
async function logged(path: string, headers: Record<string, string> = {}, file = logFile()): Promise<{ reply: Awaited<ReturnType<typeof send>>; line: Record<string, string>; raw: string }> {
  const reply = await send('GET', `${gw.url}${path}`, headers);
  const id = reply.headers['apigw-requestid']!;
  let raw = '';
  await eventually(() => {
    raw = fileLines(file).find((l) => l.includes(id)) ?? '';
    return raw !== '';
  }, 5000, `access-log line for ${path}`);
  return { reply, line: JSON.parse(raw) as Record<string, string>, raw };
}

async function token(claims: Record<string, unknown>): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return sign(key, { iss: issuer, sub: 'user-1', aud: 'api://default', iat: now - 5, exp: now + 600, email: 'ada@example.com', ...claims });
}

describe('$context variables in a JSON access-log format', () => {
  test('an allowed JWT request: ids, ip, method, route, status, protocol, sizes, times, latencies, claims', async () => {
    const before = Date.now();
    const { reply, line } = await logged('/jwt', { authorization: `Bearer ${await token({})}`, 'user-agent': 'ops-test/1.0' });
    assert.equal(reply.status, 200);
    assert.equal(line.requestId, reply.headers['apigw-requestid']);
    assert.equal(line.extendedRequestId, line.requestId);
    assert.equal(line.ip, '127.0.0.1');
    assert.equal(line.ua, 'ops-test/1.0');
    assert.equal(line.method, 'GET');
    assert.equal(line.routeKey, 'GET /jwt');
    assert.equal(line.status, '200');
    assert.equal(line.protocol, 'HTTP/1.1');
    assert.equal(line.responseLength, String(Buffer.byteLength(reply.body)));
    assert.match(line.requestTime!, /^\d\d\/[A-Z][a-z]{2}\/\d{4}:\d\d:\d\d:\d\d \+0000$/);
    assert.ok(Number(line.requestTimeEpoch) >= before - 1000 && Number(line.requestTimeEpoch) <= Date.now(), line.requestTimeEpoch);
    assert.match(line.integrationLatency!, /^\d+$/);
    assert.match(line.responseLatency!, /^\d+$/);
    assert.ok(Number(line.responseLatency) >= Number(line.integrationLatency));
    assert.equal(line.sub, 'user-1');
    assert.equal(line.email, 'ada@example.com');
    assert.equal(line.authError, '-');
    assert.equal(line.errorMessage, '-');
    assert.equal(line.integrationError, '-');
    assert.equal(line.stage, '$default');
    assert.equal(line.path, '/jwt');
    assert.match(line.apiId!, /^[a-z0-9]{10}$/);
  });

  test('a denied JWT request (wrong audience): 401, the reason in authorizer.error, error.* filled', async () => {
    const { reply, line } = await logged('/jwt', { authorization: `Bearer ${await token({ aud: 'someone-else' })}` });
    assert.equal(reply.status, 401);
    assert.match(line.authError!, /audience/i);
    assert.equal(line.errorMessage, 'Unauthorized');
    assert.equal(line.errorType, 'UNAUTHORIZED');
    assert.equal(line.status, '401');
    assert.equal(line.integrationLatency, '-');
  });

  test('a JWT request without a token: the missing-token reason is logged', async () => {
    const { reply, line } = await logged('/jwt');
    assert.equal(reply.status, 401);
    assert.notEqual(line.authError, '-');
    assert.match(line.authError!, /token|missing|authorization/i);
  });

  test('an allowed Lambda (simple) request: context values render as literal text', async () => {
    const { reply, line } = await logged('/lambda', { authorization: 'allow' });
    assert.equal(reply.status, 200);
    assert.equal(line.user, 'user-7');
    assert.equal(line.admin, 'true');
    assert.equal(line.authError, '-');
  });

  test('a denied Lambda (simple) request: 403, ACCESS_DENIED and the authorizer error', async () => {
    const { reply, line } = await logged('/lambda', { authorization: 'deny' });
    assert.equal(reply.status, 403);
    assert.equal(line.errorType, 'ACCESS_DENIED');
    assert.equal(line.errorMessage, 'Forbidden');
    assert.notEqual(line.authError, '-');
  });

  test('a failing Lambda authorizer: 500 and its failure in authorizer.error', async () => {
    const { reply, line } = await logged('/lambda', { authorization: 'boom' });
    assert.equal(reply.status, 500);
    assert.match(line.authError!, /exploded|error|fail/i);
    assert.match(line.errorType!, /AUTHORIZER_/);
  });

  test('an IAM-policy Lambda authorizer: principalId and context on allow; the deny reason on deny', async () => {
    const allowed = await logged('/iam', { authorization: 'allow' });
    assert.equal(allowed.reply.status, 200);
    assert.equal(allowed.line.principalId, 'user-42');
    assert.equal(allowed.line.tier, 'gold');
    const denied = await logged('/iam', { authorization: 'deny' });
    assert.equal(denied.reply.status, 403);
    assert.notEqual(denied.line.authError, '-');
  });

  test('an unreachable integration: integrationErrorMessage says why; error.* filled', async () => {
    const { reply, line } = await logged('/down');
    assert.ok(reply.status >= 500);
    assert.match(line.integrationError!, /127\.0\.0\.1/);
    assert.notEqual(line.errorType, '-');
  });

  test('no route: routeKey `-`, 404 with error fields', async () => {
    const { reply, line } = await logged('/nothing-here');
    assert.equal(reply.status, 404);
    assert.equal(line.routeKey, '-');
    assert.equal(line.errorMessage, 'Not Found');
  });

  test('a hostile User-Agent cannot break out of its JSON string or forge a line', async () => {
    const hostile = 'x", "status":"200", "admin":"yes\\", } {"injected":1} \\';
    const { line, raw } = await logged('/open', { 'user-agent': hostile });
    assert.equal(line.ua, hostile);
    assert.equal(line.admin, '-');
    assert.equal(Object.keys(line).length, Object.keys(JSON.parse(FULL_FORMAT) as object).length);
    assert.ok(!raw.includes('\n'));
  });
});

describe('presets', () => {
  test('clf: `ip - - [time] "METHOD routeKey protocol" status length requestId`', async () => {
    const reply = await send('GET', `${gw.url}/clf/open`);
    const id = reply.headers['apigw-requestid']!;
    let line = '';
    await eventually(() => (line = fileLines(clfFile()).find((l) => l.endsWith(id)) ?? '') !== '');
    assert.match(line, new RegExp(`^127\\.0\\.0\\.1 - - \\[\\d\\d/[A-Z][a-z]{2}/\\d{4}:\\d\\d:\\d\\d:\\d\\d \\+0000\\] "GET GET /open HTTP/1\\.1" 200 5 ${id.replace(/[+/=]/g, '\\$&')}$`));
  });

  test('json: the eight AWS console fields, all strings', async () => {
    const reply = await send('GET', `${gw.url}/json/open`, { 'user-agent': '"quoted"' });
    const id = reply.headers['apigw-requestid']!;
    let line = '';
    await eventually(() => (line = fileLines(jsonFile()).find((l) => l.includes(id)) ?? '') !== '');
    const parsed = JSON.parse(line) as Record<string, unknown>;
    assert.deepEqual(Object.keys(parsed), ['requestId', 'ip', 'requestTime', 'httpMethod', 'routeKey', 'status', 'protocol', 'responseLength']);
    assert.ok(Object.values(parsed).every((v) => typeof v === 'string'));
    assert.equal(parsed.status, '200');
    assert.equal(parsed.routeKey, 'GET /open');
  });
});

describe('the writer', () => {
  const ctx = (requestId: string): RequestContext => ({
    requestId, extendedRequestId: requestId, requestTimeEpoch: 0, requestTime: '01/Jan/1970:00:00:00 +0000', httpMethod: 'GET', protocol: 'HTTP/1.1',
    sourceIp: '127.0.0.1', userAgent: '', domainName: 'localhost', domainPrefix: 'localhost', accountId: '123456789012', apiId: 'x', apiName: 'x', stage: '$default',
    routeKey: 'GET /', resourcePath: '/', path: '/', pathParameters: {}, rawPathParameters: {}, stageVariables: {}, authorizer: null, authorizerError: null, authorizerLatencyMs: null,
    error: null, integrationLatencyMs: null, integrationStatus: null, integrationErrorMessage: null, status: 200, responseLength: 0, responseLatencyMs: 1,
  });

  test('close() writes every accepted line, in order', async () => {
    const d = tempDir();
    const created = createAccessLog({ format: '$context.requestId', destination: './a.log' }, d);
    assert.ok(created.ok);
    for (let i = 0; i < 5000; i++) created.value.write(ctx(`r${i}`));
    await created.value.close();
    const lines = fileLines(join(d, 'a.log'));
    assert.equal(lines.length, 5000);
    assert.deepEqual(lines.slice(0, 3), ['r0', 'r1', 'r2']);
    assert.equal(lines.at(-1), 'r4999');
  });

  test('reopen() after a rename: old lines stay in the renamed file, new ones go to a new file', async () => {
    const d = tempDir();
    const created = createAccessLog({ format: '$context.requestId', destination: './a.log' }, d);
    assert.ok(created.ok);
    created.value.write(ctx('before'));
    await eventually(() => fileLines(join(d, 'a.log')).length === 1);
    renameSync(join(d, 'a.log'), join(d, 'a.log.1'));
    created.value.reopen();
    created.value.write(ctx('after'));
    await created.value.close();
    assert.deepEqual(fileLines(join(d, 'a.log.1')), ['before']);
    assert.deepEqual(fileLines(join(d, 'a.log')), ['after']);
  });

  test('an unopenable file is a config-time error, not a crash later', () => {
    const created = createAccessLog({ format: 'clf', destination: './missing-dir/a.log' }, tempDir());
    assert.equal(created.ok, false);
    assert.match(!created.ok ? created.error : '', /cannot open access log file .*ENOENT/);
  });

  test('a stalled destination holds at most maxBufferedBytes; extra lines are dropped and counted', async () => {
    const chunks: string[] = [];
    let release: (() => void) | null = null;
    let dropped = 0;
    const writer = createBatchWriter((chunk, done) => {
      chunks.push(chunk);
      release = () => done();
    }, { maxBufferedBytes: 100, onDrop: (n) => (dropped += n) });
    writer.push('first\n');
    await new Promise((r) => setImmediate(r));
    assert.equal(chunks.length, 1); // in flight, not yet done
    for (let i = 0; i < 50; i++) writer.push(`line-${String(i).padStart(3, '0')}\n`); // 9 bytes each
    assert.equal(dropped, 50 - 11);
    const drained = writer.drain();
    release!();
    await new Promise((r) => setImmediate(r));
    release!();
    await drained;
    assert.equal(chunks.length, 2);
    assert.equal(chunks[1]!.split('\n').filter(Boolean).length, 11);
  });

});
