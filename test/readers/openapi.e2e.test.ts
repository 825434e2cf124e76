/**
 * OpenAPI documents with API Gateway extensions, run as they are: an HTTP API export (OpenAPI 3.0,
 * what `aws apigatewayv2 export-api` writes) and a REST API export (Swagger 2.0, `aws apigateway
 * get-export --extensions integrations,authorizers`).
 */
import { test } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startUpstream, tempDir } from '../helpers/gateway.ts';
import { makeKey, sign, startIdp } from '../jwt/fixtures.ts';
import { runCli, startTemplate } from './helpers.ts';

function httpApiExport(issuer: string, upstream: string): string {
  return `openapi: "3.0.1"
info:
  title: pets-export
  version: "2026-12-06"
servers:
  - url: https://abc123.execute-api.us-east-1.amazonaws.com/{basePath}
    variables:
      basePath:
        default: ""
x-amazon-apigateway-cors:
  allowOrigins: ["https://pets.example"]
  allowMethods: ["GET"]
  maxAge: 60
paths:
  /pets/{id}:
    get:
      security:
        - petsJwt: [pets/read]
      x-amazon-apigateway-integration:
        type: http_proxy
        httpMethod: GET
        uri: ${upstream}/pets/{id}
        payloadFormatVersion: "1.0"
        requestParameters:
          append:header.x-caller: $context.authorizer.claims.sub
  /status:
    x-amazon-apigateway-any-method:
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates:
          application/json: '{"statusCode": 200}'
        responses:
          default:
            statusCode: "200"
            responseTemplates:
              application/json: '{"ok":true}'
components:
  securitySchemes:
    petsJwt:
      type: oauth2
      flows: {}
      x-amazon-apigateway-authorizer:
        type: jwt
        identitySource: $request.header.Authorization
        jwtConfiguration:
          issuer: ${issuer}
          audience: [pets]
x-amazon-apigateway-importexport-version: "1.0"
`;
}

test('an HTTP API export: jwt authorizer with scopes, http_proxy with parameter mapping, any-method mock, x-amazon-apigateway-cors', async (t) => {
  const idp = await startIdp();
  t.after(() => idp.close());
  const key = await makeKey('openapi');
  const { issuer } = idp.tenant('pets', [key.jwk]);
  const upstream = await startUpstream(t);
  const dir = tempDir({ 'openapi.yaml': httpApiExport(issuer, upstream.url) });
  const { url, warnings } = await startTemplate(t, join(dir, 'openapi.yaml'));
  assert.deepEqual(warnings, []);
  const token = (scope: string) => sign(key, { iss: issuer, aud: 'pets', sub: 'bob', scope, exp: Math.floor(Date.now() / 1000) + 600 });
  assert.equal((await fetch(`${url}/pets/1`)).status, 401);
  assert.equal((await fetch(`${url}/pets/1`, { headers: { authorization: `Bearer ${await token('pets/write')}` } })).status, 403);
  const ok = await fetch(`${url}/pets/1`, { headers: { authorization: `Bearer ${await token('pets/read')}` } });
  assert.equal(ok.status, 200);
  await ok.arrayBuffer();
  assert.equal(upstream.requests.at(-1)!.url, '/pets/1');
  assert.equal(upstream.requests.at(-1)!.headers['x-caller'], 'bob');
  const status = await fetch(`${url}/status`, { method: 'DELETE' });
  assert.equal(status.status, 200);
  assert.equal(await status.text(), '{"ok":true}');
  const preflight = await fetch(`${url}/pets/1`, { method: 'OPTIONS', headers: { origin: 'https://pets.example', 'access-control-request-method': 'GET' } });
  assert.equal(preflight.status, 204);
  assert.equal(preflight.headers.get('access-control-max-age'), '60');
});

const REST_EXPORT = (upstream: string) => `swagger: "2.0"
info:
  title: orders
  version: "1"
basePath: /live
x-amazon-apigateway-api-key-source: HEADER
x-amazon-apigateway-gateway-responses:
  MISSING_AUTHENTICATION_TOKEN:
    statusCode: 404
    responseTemplates:
      application/json: '{"message":"no such route"}'
x-amazon-apigateway-binary-media-types: ["image~1png"]
paths:
  /orders/{proxy+}:
    x-amazon-apigateway-any-method:
      x-amazon-apigateway-integration:
        type: http_proxy
        httpMethod: ANY
        uri: ${upstream}/{proxy}
        requestParameters:
          integration.request.path.proxy: method.request.path.proxy
`;

test('a REST API export: basePath is the stage, greedy paths proxy, gateway responses apply, the API key source is reported', async (t) => {
  const upstream = await startUpstream(t);
  const dir = tempDir({ 'export.yaml': REST_EXPORT(upstream.url) });
  const { url, warnings } = await startTemplate(t, join(dir, 'export.yaml'));
  assert.deepEqual(warnings, [{ path: 'x-amazon-apigateway-api-key-source', message: 'API keys are not enforced' }]);
  const res = await fetch(`${url}/live/orders/a/b`, { method: 'POST', body: 'x' });
  assert.equal(res.status, 200);
  await res.arrayBuffer();
  assert.equal(upstream.requests.at(-1)!.url, '/a/b');
  const missing = await fetch(`${url}/live/nope`);
  assert.equal(missing.status, 404);
  assert.equal(await missing.text(), '{"message":"no such route"}');
});

test('an OpenAPI document whose Lambda is not in it: the route answers 500, and says so at start-up', async () => {
  const dir = tempDir({
    'api.json': JSON.stringify({
      openapi: '3.0.1',
      info: { title: 'fn', version: '1' },
      paths: { '/x': { get: { 'x-amazon-apigateway-integration': { type: 'aws_proxy', uri: 'arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:orders/invocations', payloadFormatVersion: '2.0' } } } },
    }),
  });
  const res = await runCli(['validate', join(dir, 'api.json')]);
  assert.equal(res.code, 0, res.stderr);
  assert.equal(res.stderr, 'portcullis: warning: paths["/x"].get.x-amazon-apigateway-integration.uri: Lambda function orders is not defined in this document, so it has no local code (give it some with --function orders=./file.handler): routes to orders answer 500 as AWS does when a Lambda fails\n');
});

test('--function gives a Lambda the document only names local code: the route then runs it', async (t) => {
  const dir = tempDir({
    'api.json': JSON.stringify({
      openapi: '3.0.1',
      info: { title: 'fn', version: '1' },
      paths: { '/x': { get: { 'x-amazon-apigateway-integration': { type: 'aws_proxy', uri: 'arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:orders/invocations', payloadFormatVersion: '2.0' } } } },
    }),
    'fns/orders.mjs': 'export const list = async (event) => ({ statusCode: 200, body: `orders ${event.rawPath}` });\n',
  });
  const res = await runCli(['validate', join(dir, 'api.json'), '--function', `orders=${join(dir, 'fns/orders.list')}`]);
  assert.equal(res.code, 0, res.stderr);
  assert.equal(res.stderr, '');
  const { url } = await startTemplate(t, join(dir, 'api.json'), { functions: { orders: join(dir, 'fns/orders.list') } });
  const ok = await fetch(`${url}/x`);
  assert.equal(ok.status, 200);
  assert.equal(await ok.text(), 'orders /x');
  const bad = await runCli(['validate', join(dir, 'api.json'), '--function', 'orders']);
  assert.equal(bad.code, 2);
  assert.equal(bad.stderr, 'portcullis: --function takes NAME=PATH/FILE.EXPORT (e.g. Orders=./src/orders.handler), got "orders"\n');
});
