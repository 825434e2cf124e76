/**
 * A SAM template run as it is: `portcullis start --config template.yaml` with no portcullis.yaml.
 * Real gateway on loopback, real JWTs from a real OIDC issuer on loopback, the template's own
 * Node.js handlers and TOKEN authorizer in worker threads.
 */
import { test } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeKey, sign, startIdp } from '../jwt/fixtures.ts';
import { runCli, startTemplate, TEMPLATES } from './helpers.ts';

const TEMPLATE = join(TEMPLATES, 'sam-app/template.yaml');

async function issuerWithKey(t: { after(fn: () => unknown): void }) {
  const idp = await startIdp();
  t.after(() => idp.close());
  const key = await makeKey('sam-app');
  const { issuer } = idp.tenant('orders', [key.jwk]);
  const token = (claims: Record<string, unknown> = {}) => sign(key, { iss: issuer, aud: 'orders-api', sub: 'alice', exp: Math.floor(Date.now() / 1000) + 600, ...claims });
  return { issuer, token };
}

test('SAM HttpApi: the JWT authorizer (DefaultAuthorizer, issuer from --parameter-overrides) is enforced; NONE opens a route; scopes are checked', async (t) => {
  const { issuer, token } = await issuerWithKey(t);
  const { url } = await startTemplate(t, TEMPLATE, { parameterOverrides: { Issuer: issuer } });
  const missing = await fetch(`${url}/dev/orders`);
  assert.equal(missing.status, 401);
  assert.deepEqual(await missing.json(), { message: 'Unauthorized' });
  const ok = await fetch(`${url}/dev/orders`, { headers: { authorization: `Bearer ${await token()}` } });
  assert.equal(ok.status, 200);
  const body = await ok.json();
  assert.equal(body.routeKey, 'GET /orders');
  assert.equal(body.claims.sub, 'alice');
  // Globals.Function.Environment merged with the function's own; !Sub and AWS::StackName resolved.
  assert.deepEqual(body.env, { GREETING: 'hello', STACK: 'portcullis-local', TABLE: 'portcullis-local-orders' });
  const wrongAudience = await fetch(`${url}/dev/orders`, { headers: { authorization: `Bearer ${await token({ aud: 'someone-else' })}` } });
  assert.equal(wrongAudience.status, 401);
  const noScope = await fetch(`${url}/dev/orders`, { method: 'POST', headers: { authorization: `Bearer ${await token()}` } });
  assert.equal(noScope.status, 403);
  const scoped = await fetch(`${url}/dev/orders`, { method: 'POST', headers: { authorization: `Bearer ${await token({ scope: 'orders/write' })}` } });
  assert.equal(scoped.status, 200);
  const health = await fetch(`${url}/dev/health`);
  assert.equal(health.status, 200);
});

test('SAM HttpApi: CorsConfiguration answers preflights before the authorizer', async (t) => {
  const { url } = await startTemplate(t, TEMPLATE, { parameterOverrides: { Issuer: 'http://127.0.0.1:9/never' } });
  const res = await fetch(`${url}/dev/orders`, { method: 'OPTIONS', headers: { origin: 'https://shop.example', 'access-control-request-method': 'POST' } });
  assert.equal(res.status, 204);
  assert.equal(res.headers.get('access-control-allow-origin'), 'https://shop.example');
  assert.equal(res.headers.get('access-control-max-age'), '600');
});

test('SAM Api: the TOKEN authorizer (Identity.Header) runs from the template, and GatewayResponses shape its 401', async (t) => {
  const { url } = await startTemplate(t, TEMPLATE, { parameterOverrides: { Issuer: 'http://127.0.0.1:9/never' } });
  // StageName: !If [IsProd, live, test] with Stage defaulting to dev.
  const none = await fetch(`${url}/test/items/7`);
  assert.equal(none.status, 401);
  assert.equal(none.headers.get('x-why'), 'no token');
  const denied = await fetch(`${url}/test/items/7`, { headers: { 'x-token': 'deny' } });
  assert.equal(denied.status, 403);
  const allowed = await fetch(`${url}/test/items/7`, { headers: { 'x-token': 'allow' } });
  assert.equal(allowed.status, 200);
  const body = await allowed.json();
  assert.equal(body.routeKey, 'GET /items/{id}');
  assert.equal(body.principalId, 'user-1');
});

test('validate prints the template\'s warnings once, with their paths, and exits 0', async () => {
  const { code, stdout, stderr } = await runCli(['validate', TEMPLATE, '--parameter-overrides', 'Issuer=https://issuer.example']);
  assert.equal(code, 0, stderr);
  assert.equal(stdout, `${TEMPLATE}: valid (2 APIs, 4 routes)\n`);
  assert.deepEqual(stderr.trim().split('\n'), [
    'portcullis: warning: Resources.ItemsRestApi.Properties.Auth.UsagePlan: usage plans are not enforced',
    'portcullis: warning: Resources.OrdersFunction.Properties.Events.Nightly.Type: Schedule events are not reproduced (only Api and HttpApi events become routes)',
    'portcullis: warning: Resources.Bucket: AWS::S3::Bucket is not reproduced',
  ]);
});

test('a condition turned on by --parameter-overrides brings its resources in (and their problems)', async () => {
  const { code, stderr } = await runCli(['validate', TEMPLATE, '--parameter-overrides', 'Issuer=https://issuer.example Stage=prod']);
  assert.equal(code, 2);
  assert.match(stderr, /apis\[0\]\.routes\["GET \/prod-only"\]\.integration\.handler: .*missing\.js.* \(from Resources\.ProdOnlyFunction\.Properties\.Events\.Prod\)/);
});

test('a parameter without a Default and without an override is an error naming the flag', async () => {
  const { code, stderr } = await runCli(['validate', TEMPLATE]);
  assert.equal(code, 2);
  assert.equal(stderr, 'portcullis: invalid configuration (1 problem):\n  Parameters.Issuer: has no Default: pass --parameter-overrides Issuer=VALUE\n');
});

test('convert prints a commented portcullis.yaml that validate accepts as it is', async (t) => {
  const { code, stdout, stderr } = await runCli(['convert', TEMPLATE, '--parameter-overrides', 'Issuer=https://issuer.example']);
  assert.equal(code, 0, stderr);
  assert.match(stdout, /^# portcullis\.yaml converted from template\.yaml \(sam\)/);
  assert.match(stdout, /# {3}Resources\.Bucket: AWS::S3::Bucket is not reproduced/);
  assert.match(stdout, /# from Resources\.OrdersFunction\.Properties\.Events\.CreateOrder\n/);
  // Beside the template, as the header says (handler paths are relative to it).
  const out = join(TEMPLATES, 'sam-app', `.converted-${process.pid}.yaml`);
  writeFileSync(out, stdout);
  t.after(() => rmSync(out, { force: true }));
  const again = await runCli(['validate', out]);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(again.stdout, `${out}: valid (2 APIs, 4 routes)\n`);
});

test('token checks a JWT against a route of the template (the same reader, the same authorizer)', async (t) => {
  const { issuer, token } = await issuerWithKey(t);
  const good = await token({ scope: 'orders/write' });
  const admitted = await runCli(['token', '--config', TEMPLATE, '--parameter-overrides', `Issuer=${issuer}`, '--route', 'POST /orders', good]);
  assert.equal(admitted.code, 0, admitted.stderr);
  assert.match(admitted.stdout, /result: {2}ADMITTED/);
  const refused = await runCli(['token', '--config', TEMPLATE, '--parameter-overrides', `Issuer=${issuer}`, '--route', 'POST /orders', await token()]);
  assert.equal(refused.code, 1, refused.stderr);
});

test('DefinitionUri: the OpenAPI file beside the template is read with the events', async () => {
  const { tempDir } = await import('../helpers/gateway.ts');
  const dir = tempDir({
    'template.yaml': 'Transform: AWS::Serverless-2016-10-31\nResources:\n  Api:\n    Type: AWS::Serverless::HttpApi\n    Properties:\n      DefinitionUri: api.yaml\n',
    'api.yaml': 'openapi: 3.0.1\ninfo: { title: t, version: "1" }\npaths:\n  /ping:\n    get:\n      x-amazon-apigateway-integration: { type: mock, requestTemplates: { application/json: \'{"statusCode": 200}\' } }\n',
  });
  const res = await runCli(['validate', join(dir, 'template.yaml')]);
  assert.equal(res.code, 0, res.stderr);
  assert.equal(res.stdout, `${join(dir, 'template.yaml')}: valid (1 API, 1 route)\n`);
});

test('DefinitionBody through Fn::Transform AWS::Include: the local OpenAPI file is read, its intrinsics resolved', async () => {
  const { tempDir } = await import('../helpers/gateway.ts');
  const dir = tempDir({
    'template.yaml': 'Transform: AWS::Serverless-2016-10-31\nResources:\n  Api:\n    Type: AWS::Serverless::Api\n    Properties:\n      StageName: v1\n      DefinitionBody:\n        Fn::Transform:\n          Name: AWS::Include\n          Parameters:\n            Location: ./openapi.yaml\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: src/\n      Handler: app.handler\n',
    'openapi.yaml': 'swagger: "2.0"\ninfo: { title: t, version: "1" }\npaths:\n  /hi:\n    get:\n      x-amazon-apigateway-integration:\n        type: aws_proxy\n        httpMethod: POST\n        uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fn.Arn}/invocations\n',
    'src/app.mjs': 'export const handler = async () => ({ statusCode: 200, body: "hi" });\n',
  });
  const res = await runCli(['validate', join(dir, 'template.yaml')]);
  assert.equal(res.code, 0, res.stderr);
  assert.equal(res.stdout, `${join(dir, 'template.yaml')}: valid (1 API, 1 route)\n`);
});
