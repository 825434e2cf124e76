/**
 * `cdk synth` output run as it is: plain CloudFormation JSON with AWS::ApiGateway (resource tree,
 * methods, TOKEN authorizer, gateway response, stage variables) and AWS::ApiGatewayV2 (routes,
 * integration, REQUEST authorizer with simple responses) resources; the handler from the asset folder
 * CDK records in Metadata.aws:asset:path, the authorizers from inline Code.ZipFile.
 */
import { test } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startTemplate, TEMPLATES } from './helpers.ts';

const TEMPLATE = join(TEMPLATES, 'cdk-app/App.template.json');

test('REST API from AWS::ApiGateway resources: the TOKEN authorizer (inline code) guards the asset handler', async (t) => {
  const { url, warnings } = await startTemplate(t, TEMPLATE);
  assert.deepEqual(warnings, []);
  const none = await fetch(`${url}/v1/items/7`);
  assert.equal(none.status, 401);
  assert.equal(none.headers.get('www-authenticate'), 'Bearer');
  const bad = await fetch(`${url}/v1/items/7`, { headers: { authorization: 'Bearer bad' } });
  assert.equal(bad.status, 403);
  const good = await fetch(`${url}/v1/items/7`, { headers: { authorization: 'Bearer good' } });
  assert.equal(good.status, 200);
  const body = await good.json();
  assert.equal(body.route, 'GET /items/{id}');
  assert.deepEqual(body.stageVariables, { color: 'blue' });
  assert.equal(body.authorizer.principalId, 'u1');
  assert.equal(body.authorizer.tier, 'gold');
  const preflight = await fetch(`${url}/v1/items`, { method: 'OPTIONS' });
  assert.equal(preflight.status, 204);
  assert.equal(preflight.headers.get('access-control-allow-origin'), 'https://app.example');
});

test('HTTP API from AWS::ApiGatewayV2 resources: the REQUEST authorizer (simple responses) guards its route, the other is open', async (t) => {
  const { url } = await startTemplate(t, TEMPLATE);
  const none = await fetch(`${url}/things/a/b`);
  assert.equal(none.status, 401);
  const wrong = await fetch(`${url}/things/a/b`, { headers: { 'x-key': 'nope' } });
  assert.equal(wrong.status, 403);
  const right = await fetch(`${url}/things/a/b`, { headers: { 'x-key': 'open-sesame' } });
  assert.equal(right.status, 200);
  const body = await right.json();
  assert.equal(body.route, 'GET /things/{proxy+}');
  assert.deepEqual(body.stageVariables, { color: 'green' });
  assert.deepEqual(body.authorizer.lambda, { who: 'v2' });
  const open = await fetch(`${url}/public`);
  assert.equal(open.status, 200);
});
