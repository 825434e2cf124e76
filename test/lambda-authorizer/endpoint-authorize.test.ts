/**
 * The HTTP-endpoint variant (`authorizerUri`): the event is POSTed as JSON and the reply read back
 * with the same outcome rules as a handler module.
 */
import { after, before, describe, test } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildAuthorizer, createFixture, makeInput, rejection, type Fixture } from './helpers.ts';
import { createEndpointInvoker, EXPLICIT_DENY_MESSAGE } from '../../src/authorizers/lambda.ts';

let fx: Fixture;
let server: Server;
let base: string;
const received: unknown[] = [];

before(async () => {
  fx = createFixture();
  const mod = (await import(pathToFileURL(join(fx.dir, 'auth.mjs')).href)) as { handler: (e: unknown) => Promise<unknown> };
  server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const event = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
    received.push({ event, contentType: req.headers['content-type'], requestId: req.headers['lambda-runtime-aws-request-id'] });
    const token = String(event['authorizationToken'] ?? '');
    if (req.url === '/raw') {
      // Special answers driven by the token.
      if (token === 'not-json') return void res.writeHead(200, { 'content-type': 'text/plain' }).end('yes');
      if (token === 'http-500') return void res.writeHead(500).end('{}');
      if (token === 'http-401') return void res.writeHead(401, { 'content-type': 'application/json' }).end('{"errorMessage":"Unauthorized"}');
      if (token === 'slow') return void setTimeout(() => res.writeHead(200).end('{}'), 2000);
    }
    try {
      const result = await mod.handler(event);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(result));
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      res.writeHead(200, { 'content-type': 'application/json', 'x-amz-function-error': 'Unhandled' }).end(JSON.stringify({ errorType: e.name, errorMessage: e.message }));
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await fx.close();
});

function endpointAuthorizer(path = '/auth') {
  return buildAuthorizer(fx, {
    protocol: 'rest',
    authorizer: { authorizerType: 'TOKEN', authorizerUri: `${base}${path}`, authorizerResultTtlInSeconds: 0 },
  });
}
const input = (api: Parameters<typeof makeInput>[0], token: string) =>
  makeInput(api, { rawPath: '/prod/pets/7', headers: [['Authorization', token]], stage: 'prod', routeKey: 'GET /pets/{id}', resourcePath: '/pets/{id}', pathParameters: { id: '7' } });

describe('authorizerUri (HTTP endpoint) authorizers', () => {
  test('the event is POSTed as JSON; an Allow policy in the reply allows', async () => {
    received.length = 0;
    const { authorizer, api } = endpointAuthorizer();
    const out = await authorizer.authorize(input(api, 'Bearer allow'));
    assert.equal(out.principalId, 'user-1');
    const r = received[0] as { event: unknown; contentType: string; requestId: string };
    assert.deepEqual(r.event, { type: 'TOKEN', methodArn: 'arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/pets/7', authorizationToken: 'Bearer allow' });
    assert.equal(r.contentType, 'application/json');
    assert.match(r.requestId, /^[0-9a-f-]{36}$/);
  });

  test('explicit Deny → 403 with the explicit-deny message', async () => {
    const { authorizer, api } = endpointAuthorizer();
    const err = await rejection(authorizer.authorize(input(api, 'deny')));
    assert.equal(err['publicMessage'], EXPLICIT_DENY_MESSAGE);
  });

  test('a Lambda-style function error "Unauthorized" (X-Amz-Function-Error) → 401', async () => {
    const { authorizer, api } = endpointAuthorizer();
    const err = await rejection(authorizer.authorize(input(api, 'unauthorized')));
    assert.equal(err['status'], 401);
  });

  test('a non-2xx reply with {"errorMessage":"Unauthorized"} → 401', async () => {
    const { authorizer, api } = endpointAuthorizer('/raw');
    const err = await rejection(authorizer.authorize(input(api, 'http-401')));
    assert.equal(err['status'], 401);
  });

  for (const [token, detail] of [['throw', /boom/], ['not-json', /not JSON/], ['http-500', /answered 500/], ['nested-context', /context\.roles/]] as const) {
    test(`"${token}" → 500 AUTHORIZER_CONFIGURATION_ERROR with message null`, async () => {
      const { authorizer, api } = endpointAuthorizer('/raw');
      const err = await rejection(authorizer.authorize(input(api, token)));
      assert.equal(err['status'], 500);
      assert.equal(err['responseType'], 'AUTHORIZER_CONFIGURATION_ERROR');
      assert.equal(err['publicMessage'], null);
      assert.match(String(err['detail']), detail);
    });
  }

  test('an unreachable endpoint → 500 AUTHORIZER_FAILURE (ERR_GW_AUTHORIZER_FAILURE), message null on REST', async () => {
    const { authorizer, api } = buildAuthorizer(fx, { protocol: 'rest', authorizer: { authorizerType: 'TOKEN', authorizerUri: 'http://127.0.0.1:1/auth', authorizerResultTtlInSeconds: 0 } });
    const err = await rejection(authorizer.authorize(input(api, 'allow')));
    assert.equal(err['status'], 500);
    assert.equal(err['code'], 'ERR_GW_AUTHORIZER_FAILURE');
    assert.equal(err['responseType'], 'AUTHORIZER_FAILURE');
    assert.equal(err['publicMessage'], null);
    assert.match(String(err['detail']), /cannot be reached/);
  });

  test('no answer within the timeout → a timeout failure', async () => {
    const invoke = createEndpointInvoker(`${base}/raw`, 200);
    const r = await invoke({ type: 'TOKEN', methodArn: 'x', authorizationToken: 'slow' }, 'id');
    assert.equal(r.ok, false);
    assert.equal(r.ok ? '' : r.error.kind, 'timeout');
  });
});
