import { test, after } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { startGateway, startUpstream, closedPort, rawRequest, type TestUpstream } from '../helpers/gateway.ts';

const upstreams: TestUpstream[] = [];
after(async () => {
  await Promise.all(upstreams.map((u) => u.close()));
});

async function upstream(respond?: Parameters<typeof startUpstream>[0]) {
  const u = await startUpstream(respond);
  upstreams.push(u);
  return u;
}

test('forwards method, substituted path, query, headers and body; sets X-Forwarded-*; strips hop-by-hop headers', async (t) => {
  const up = await upstream();
  const gw = await startGateway({
    apis: [{ name: 'h', protocol: 'http', stage: 'dev', routes: { 'ANY /items/{id}/{rest+}': { integration: { type: 'http', uri: `${up.url}/base/{id}/x/{rest}` } } } }],
  });
  t.after(() => gw.close());
  const res = await rawRequest(`${gw.url}/dev/items/a%20b/c/d?q=1&q=2`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-custom': 'yes', 'keep-alive': 'timeout=5', connection: 'keep-alive, x-hop', 'x-hop': 'drop-me', 'x-forwarded-for': '10.0.0.9' },
    body: '{"hello":"world"}',
  });
  assert.equal(res.status, 200);
  assert.ok(res.headers['apigw-requestid']);
  const seen = up.requests.at(-1)!;
  assert.equal(seen.method, 'POST');
  assert.equal(seen.url, '/base/a%20b/x/c/d?q=1&q=2');
  assert.equal(seen.body, '{"hello":"world"}');
  assert.equal(seen.headers['x-custom'], 'yes');
  assert.equal(seen.headers['keep-alive'], undefined);
  assert.equal(seen.headers['x-hop'], undefined, 'headers listed in Connection are hop-by-hop');
  assert.equal(seen.headers['x-forwarded-for'], '10.0.0.9, 127.0.0.1');
  assert.equal(seen.headers['x-forwarded-proto'], 'http');
  assert.match(String(seen.headers['x-forwarded-host']), /^127\.0\.0\.1:\d+$/);
  assert.equal(seen.headers['host'], `127.0.0.1:${up.port}`);
});

test('streams a large upstream response body through', async (t) => {
  const size = 5 * 1024 * 1024;
  const up = await upstream((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    const chunk = Buffer.alloc(64 * 1024, 7);
    let sent = 0;
    const pump = () => {
      while (sent < size) {
        sent += chunk.length;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
      res.end();
    };
    pump();
  });
  const gw = await startGateway({ apis: [{ name: 'h', protocol: 'http', stage: '$default', routes: { 'GET /big': { integration: { type: 'http', uri: `${up.url}/big` } } } }] });
  t.after(() => gw.close());
  const res = await fetch(`${gw.url}/big`);
  const body = Buffer.from(await res.arrayBuffer());
  assert.equal(body.length, size);
  assert.ok(body.every((b) => b === 7));
});

test('HTTP API: a refused upstream is 500 Internal Server Error; a slow one is 503 Service Unavailable after the timeout', async (t) => {
  const port = await closedPort();
  const slow = await upstream((_req, res) => setTimeout(() => res.end('late'), 2000));
  const gw = await startGateway({
    apis: [{ name: 'h', protocol: 'http', stage: '$default', routes: {
      'GET /down': { integration: { type: 'http', uri: `http://127.0.0.1:${port}/` } },
      'GET /slow': { integration: { type: 'http', uri: `${slow.url}/`, timeoutInMillis: 200 } },
    } }],
  });
  t.after(() => gw.close());
  const down = await fetch(`${gw.url}/down`);
  assert.equal(down.status, 500);
  assert.deepEqual(await down.json(), { message: 'Internal Server Error' });
  const started = Date.now();
  const late = await fetch(`${gw.url}/slow`);
  assert.equal(late.status, 503);
  assert.deepEqual(await late.json(), { message: 'Service Unavailable' });
  assert.ok(Date.now() - started < 1500, 'answered at the timeout, not when the upstream finished');
});

test('REST API: refused → 504 network error, timeout → 504 Endpoint request timed out (INTEGRATION_* gateway responses)', async (t) => {
  const port = await closedPort();
  const slow = await upstream((_req, res) => setTimeout(() => res.end('late'), 2000));
  const gw = await startGateway({
    apis: [{ name: 'r', protocol: 'rest', stage: 'prod', routes: {
      'GET /down': { integration: { type: 'http', uri: `http://127.0.0.1:${port}/` } },
      'GET /slow': { integration: { type: 'http', uri: `${slow.url}/`, timeoutInMillis: 200 } },
    } }],
  });
  t.after(() => gw.close());
  const down = await fetch(`${gw.url}/prod/down`);
  assert.equal(down.status, 504);
  assert.deepEqual(await down.json(), { message: 'Network error communicating with endpoint' });
  const late = await fetch(`${gw.url}/prod/slow`);
  assert.equal(late.status, 504);
  assert.deepEqual(await late.json(), { message: 'Endpoint request timed out' });
  assert.ok(late.headers.get('x-amzn-requestid'));
});

test('an upstream that resets mid-body ends the client response instead of hanging', async (t) => {
  const up = await upstream((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write('partial');
    setTimeout(() => res.socket?.destroy(), 50);
  });
  const gw = await startGateway({ apis: [{ name: 'h', protocol: 'http', stage: '$default', routes: { 'GET /r': { integration: { type: 'http', uri: `${up.url}/` } } } }] });
  t.after(() => gw.close());
  const res = await fetch(`${gw.url}/r`);
  assert.equal(res.status, 200);
  await assert.rejects(res.text());
  // The gateway keeps serving.
  assert.equal((await fetch(`${gw.url}/nope`)).status, 404);
});

test('a declared body over maxBodyBytes is 413 before the upstream sees anything; a chunked one is cut at the limit', async (t) => {
  const up = await upstream();
  const gw = await startGateway({ apis: [{ name: 'h', protocol: 'http', stage: '$default', maxBodyBytes: 1000, routes: { 'POST /u': { integration: { type: 'http', uri: `${up.url}/u` } } } }] });
  t.after(() => gw.close());
  const before = up.requests.length;
  const res = await fetch(`${gw.url}/u`, { method: 'POST', body: 'x'.repeat(5000) });
  assert.equal(res.status, 413);
  assert.deepEqual(await res.json(), { message: 'Request Too Long' });
  assert.equal(up.requests.length, before);
  // Chunked (no content-length): the stream to the upstream is cut; the client gets an error status.
  const status = await new Promise<number>((resolve, reject) => {
    const req = httpRequest(`${gw.url}/u`, { method: 'POST', headers: { 'transfer-encoding': 'chunked' } }, (r) => {
      r.resume();
      resolve(r.statusCode ?? 0);
    });
    req.on('error', reject);
    for (let i = 0; i < 10; i++) req.write('y'.repeat(500));
    req.end();
  });
  assert.ok(status === 413 || status >= 500, `status ${status}`);
  const ok = await fetch(`${gw.url}/u`, { method: 'POST', body: 'small' });
  assert.equal(ok.status, 200);
});

test('HTTP API requestParameters: overwrite, append and remove headers and query, overwrite path, from $request/$context/$stageVariables', async (t) => {
  const up = await upstream();
  const gw = await startGateway({
    apis: [{ name: 'h', protocol: 'http', stage: 'dev', stageVariables: { env: 'test' }, routes: {
      'GET /m/{id}': { integration: { type: 'http', uri: `${up.url}/m`, requestParameters: {
        'overwrite:header.x-id': '$request.path.id',
        'append:header.x-list': 'two',
        'remove:header.x-secret': '',
        'overwrite:querystring.env': '$stageVariables.env',
        'remove:querystring.drop': '',
        'overwrite:header.x-combo': '${request.path.id}-${context.routeKey}',
        'overwrite:header.x-stage': '$context.stage',
        'overwrite:path': '/new/$request.path.id',
      } } },
    } }],
  });
  t.after(() => gw.close());
  const res = await fetch(`${gw.url}/dev/m/42?drop=1&keep=2`, { headers: { 'x-list': 'one', 'x-secret': 's' } });
  assert.equal(res.status, 200);
  const seen = up.requests.at(-1)!;
  assert.equal(seen.url, '/new/42?keep=2&env=test');
  assert.equal(seen.headers['x-id'], '42');
  assert.equal(seen.headers['x-list'], 'one,two');
  assert.equal(seen.headers['x-secret'], undefined);
  assert.equal(seen.headers['x-combo'], '42-GET /m/{id}');
  assert.equal(seen.headers['x-stage'], 'dev');
});

test('HTTP API responseParameters rewrite the status and headers of an upstream answer', async (t) => {
  const up = await upstream((_req, res) => {
    res.writeHead(500, { 'x-internal': 'boom' });
    res.end('err');
  });
  const gw = await startGateway({
    apis: [{ name: 'h', protocol: 'http', stage: '$default', routes: {
      'GET /x': { integration: { type: 'http', uri: `${up.url}/`, responseParameters: { '500': { 'overwrite:statuscode': '403', 'remove:header.x-internal': '', 'append:header.x-request': '$context.requestId' } } } },
    } }],
  });
  t.after(() => gw.close());
  const res = await fetch(`${gw.url}/x`);
  assert.equal(res.status, 403);
  assert.equal(res.headers.get('x-internal'), null);
  assert.equal(res.headers.get('x-request'), res.headers.get('apigw-requestid'));
});

test('REST integration.request mappings send context, method request and literal values', async (t) => {
  const up = await upstream();
  const gw = await startGateway({
    apis: [{ name: 'r', protocol: 'rest', stage: 'prod', stageVariables: { v: 'sv' }, routes: {
      'GET /p/{id}': { integration: { type: 'http', uri: `${up.url}/p/{id}`, requestParameters: {
        'integration.request.header.x-from-header': 'method.request.header.X-In',
        'integration.request.header.x-literal': "'hello'",
        'integration.request.header.x-stage': 'stageVariables.v',
        'integration.request.header.x-request-id': 'context.requestId',
        'integration.request.querystring.q': 'method.request.path.id',
      } } },
    } }],
  });
  t.after(() => gw.close());
  const res = await fetch(`${gw.url}/prod/p/7`, { headers: { 'x-in': 'abc' } });
  assert.equal(res.status, 200);
  const seen = up.requests.at(-1)!;
  assert.equal(seen.url, '/p/7?q=7');
  assert.equal(seen.headers['x-from-header'], 'abc');
  assert.equal(seen.headers['x-literal'], 'hello');
  assert.equal(seen.headers['x-stage'], 'sv');
  assert.equal(seen.headers['x-request-id'], res.headers.get('x-amzn-requestid'));
});

test('a HEAD request gets headers and no body', async (t) => {
  const up = await upstream();
  const gw = await startGateway({ apis: [{ name: 'h', protocol: 'http', stage: '$default', routes: { 'ANY /h': { integration: { type: 'http', uri: `${up.url}/h` } } } }] });
  t.after(() => gw.close());
  const res = await fetch(`${gw.url}/h`, { method: 'HEAD' });
  assert.equal(res.status, 200);
  assert.equal(await res.text(), '');
});

test('REST method response mappings replace the backend header of the same name; Set-Cookie adds up', async (t) => {
  const up = await upstream((_req, res) => {
    res.writeHead(200, { 'access-control-allow-origin': '*', 'set-cookie': 'backend=1' });
    res.end('ok');
  });
  const gw = await startGateway({
    apis: [{ name: 'r', protocol: 'rest', stage: 'prod', routes: {
      'GET /x': { integration: { type: 'http', uri: `${up.url}/` }, responseParameters: { 'method.response.header.Access-Control-Allow-Origin': "'http://site.example'", 'method.response.header.Set-Cookie': "'mapped=1'" } },
    } }],
  });
  t.after(() => gw.close());
  const res = await rawRequest(`${gw.url}/prod/x`);
  assert.equal(res.headers['access-control-allow-origin'], 'http://site.example');
  assert.deepEqual(res.headers['set-cookie'], ['backend=1', 'mapped=1']);
});

test('a 204 answer carries no Content-Length', async (t) => {
  const gw = await startGateway({ apis: [{ name: 'h', protocol: 'http', stage: '$default', routes: { 'GET /n': { integration: { type: 'mock', statusCode: 204 } } } }] });
  t.after(() => gw.close());
  const res = await rawRequest(`${gw.url}/n`);
  assert.equal(res.status, 204);
  assert.equal(res.headers['content-length'], undefined);
});
