import { test, before, after } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { startGateway, type TestGateway } from '../helpers/gateway.ts';

const mock = (body: string) => ({ integration: { type: 'mock', body } });
let gw: TestGateway;
before(async () => {
  gw = await startGateway({
    apis: [
      { name: 'default', protocol: 'http', stage: '$default', routes: { 'GET /pets/dog/1': mock('exact'), 'GET /pets/dog/{id}': mock('param'), 'GET /pets/{proxy+}': mock('greedy'), 'ANY /{proxy+}': mock('any'), '$default': mock('default') } },
      { name: 'dev', protocol: 'http', stage: 'dev', routes: { 'GET /hello': mock('dev hello') } },
      { name: 'rest', protocol: 'rest', stage: 'prod', routes: { 'GET /hello': mock('rest hello'), 'ANY /any': mock('rest any') } },
    ],
  });
});
after(() => gw.close());

const text = async (path: string, init?: RequestInit) => {
  const r = await fetch(gw.url + path, init);
  return `${r.status} ${await r.text()}`;
};

test('the documented precedence example through the real listener', async () => {
  assert.equal(await text('/pets/dog/1'), '200 exact');
  assert.equal(await text('/pets/dog/2'), '200 param');
  assert.equal(await text('/pets/cat/1'), '200 greedy');
  assert.equal(await text('/test/5', { method: 'POST' }), '200 any');
  assert.equal(await text('/'), '200 default');
});

test('stage selection comes first: /dev/... reaches the dev API; unknown paths under a stage are 404 Not Found', async () => {
  assert.equal(await text('/dev/hello'), '200 dev hello');
  assert.equal(await text('/dev/nope'), '404 {"message":"Not Found"}');
});

test('REST: unknown resource or method is 403 Missing Authentication Token with x-amzn-ErrorType', async () => {
  assert.equal(await text('/prod/hello'), '200 rest hello');
  assert.equal(await text('/prod/any', { method: 'DELETE' }), '200 rest any');
  for (const [path, method] of [['/prod/nope', 'GET'], ['/prod/hello', 'POST']] as const) {
    const r = await fetch(gw.url + path, { method });
    assert.equal(r.status, 403);
    assert.equal(r.headers.get('x-amzn-errortype'), 'MissingAuthenticationTokenException');
    assert.deepEqual(await r.json(), { message: 'Missing Authentication Token' });
  }
});

test('every HTTP API response carries apigw-requestid; REST responses carry x-amzn-RequestId', async () => {
  const a = await fetch(`${gw.url}/dev/nope`);
  assert.match(a.headers.get('apigw-requestid') ?? '', /^[A-Za-z0-9+/]{15}=$/);
  const b = await fetch(`${gw.url}/prod/hello`);
  assert.match(b.headers.get('x-amzn-requestid') ?? '', /^[0-9a-f-]{36}$/);
});

test('a REST-only config answers a path that selects no stage (unknown, or a stage in the wrong case) with 403 Missing Authentication Token', async (t) => {
  const rest = await startGateway({ apis: [{ name: 'r', protocol: 'rest', stage: 'prod', routes: { 'GET /hello': mock('hi') } }] }, { t });
  for (const path of ['/nope', '/Prod/hello', '/', '/prod2/hello']) {
    const r = await fetch(rest.url + path);
    assert.equal(r.status, 403, path);
    assert.equal(r.headers.get('x-amzn-errortype'), 'MissingAuthenticationTokenException', path);
    assert.deepEqual(await r.json(), { message: 'Missing Authentication Token' }, path);
  }
  assert.equal((await fetch(`${rest.url}/prod/hello`)).status, 200);
});

test('a config with an HTTP API and no $default answers a path that selects no stage with 404 Not Found', async (t) => {
  const mixed = await startGateway({ apis: [{ name: 'r', protocol: 'rest', stage: 'prod', routes: { 'GET /hello': mock('hi') } }, { name: 'h', protocol: 'http', stage: 'dev', routes: { 'GET /hello': mock('hi') } }] }, { t });
  const r = await fetch(`${mixed.url}/nope`);
  assert.equal(r.status, 404);
  assert.deepEqual(await r.json(), { message: 'Not Found' });
});
